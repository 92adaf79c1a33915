//! IQ sample sources, streamed in chunks with bounded memory.
//!
//! - [`IqFormat`]: the sample encodings we read (cf32, ci16, ci8, cu8; little-endian).
//! - [`IqReader`]: wraps any [`std::io::Read`] (a file, standard input) and converts its bytes to
//!   `Complex<f32>` chunk by chunk, carrying a partial sample over a chunk boundary.
//! - [`sigmf::Meta`]: the few SigMF metadata fields a receiver needs (datatype, sample rate, centre frequency).
//! - [`Source`] / [`open`]: a file path (raw or SigMF, either half of the pair) resolved to a reader plus its
//!   sample rate and centre frequency.
//!
//! Raw samples are scaled to about ±1.0 full scale so that thresholds do not depend on the format.

pub mod sigmf;

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use num_complex::Complex;

/// A sample encoding: interleaved I then Q, little-endian where it matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IqFormat {
    /// 32-bit IEEE float I and Q (SigMF `cf32_le`, GNU Radio `fc32`).
    Cf32,
    /// Signed 16-bit I and Q (SigMF `ci16_le`), full scale 32768.
    Ci16,
    /// Signed 8-bit I and Q (SigMF `ci8`, HackRF), full scale 128.
    Ci8,
    /// Unsigned 8-bit I and Q offset by 127.5 (SigMF `cu8`, RTL-SDR).
    Cu8,
}

impl IqFormat {
    /// Bytes per complex sample.
    pub fn sample_bytes(self) -> usize {
        match self {
            IqFormat::Cf32 => 8,
            IqFormat::Ci16 => 4,
            IqFormat::Ci8 | IqFormat::Cu8 => 2,
        }
    }

    /// The SigMF datatype name of this format.
    pub fn sigmf_name(self) -> &'static str {
        match self {
            IqFormat::Cf32 => "cf32_le",
            IqFormat::Ci16 => "ci16_le",
            IqFormat::Ci8 => "ci8",
            IqFormat::Cu8 => "cu8",
        }
    }

    /// Decodes whole samples from `bytes` (a trailing partial sample is ignored) and appends them to `out`.
    fn decode_into(self, bytes: &[u8], out: &mut Vec<Complex<f32>>) {
        // One tight loop per format (fixed-size chunks, no per-byte bounds checks): this runs on every
        // input sample, up to 50 million a second.
        match self {
            IqFormat::Cf32 => out.extend(bytes.chunks_exact(8).map(|b| {
                let [a, b, c, d, e, f, g, h] = <[u8; 8]>::try_from(b).unwrap_or_default();
                Complex::new(
                    f32::from_le_bytes([a, b, c, d]),
                    f32::from_le_bytes([e, f, g, h]),
                )
            })),
            IqFormat::Ci16 => out.extend(bytes.chunks_exact(4).map(|b| {
                let [a, b, c, d] = <[u8; 4]>::try_from(b).unwrap_or_default();
                Complex::new(
                    f32::from(i16::from_le_bytes([a, b])) / 32768.0,
                    f32::from(i16::from_le_bytes([c, d])) / 32768.0,
                )
            })),
            IqFormat::Ci8 => out.extend(bytes.chunks_exact(2).map(|b| {
                let [i, q] = <[u8; 2]>::try_from(b).unwrap_or_default();
                Complex::new(f32::from(i as i8) / 128.0, f32::from(q as i8) / 128.0)
            })),
            IqFormat::Cu8 => out.extend(bytes.chunks_exact(2).map(|b| {
                let [i, q] = <[u8; 2]>::try_from(b).unwrap_or_default();
                Complex::new(
                    (f32::from(i) - 127.5) / 128.0,
                    (f32::from(q) - 127.5) / 128.0,
                )
            })),
        }
    }

    /// Encodes samples (full scale ±1.0, saturating) and appends the bytes to `out`. Used by the transmit
    /// chain to make quantised test signals.
    pub fn encode(self, samples: &[Complex<f32>], out: &mut Vec<u8>) {
        out.reserve(samples.len() * self.sample_bytes());
        for s in samples {
            match self {
                IqFormat::Cf32 => {
                    out.extend_from_slice(&s.re.to_le_bytes());
                    out.extend_from_slice(&s.im.to_le_bytes());
                }
                IqFormat::Ci16 => {
                    for v in [s.re, s.im] {
                        // `as` from f32 saturates, which is the clipping a real ADC does.
                        out.extend_from_slice(&((v * 32768.0).round() as i16).to_le_bytes());
                    }
                }
                IqFormat::Ci8 => {
                    for v in [s.re, s.im] {
                        out.push(((v * 128.0).round() as i8) as u8);
                    }
                }
                IqFormat::Cu8 => {
                    for v in [s.re, s.im] {
                        out.push((v * 128.0 + 127.5).round() as u8);
                    }
                }
            }
        }
    }
}

impl FromStr for IqFormat {
    type Err = Error;

    /// Accepts the SigMF names and the usual short names (`fc32`, `cs16`, `cs8`, `cu8`, `sc16`…).
    fn from_str(s: &str) -> Result<Self, Error> {
        match s.to_ascii_lowercase().as_str() {
            "cf32_le" | "cf32" | "fc32" | "complex64" => Ok(IqFormat::Cf32),
            "ci16_le" | "ci16" | "cs16" | "sc16" | "iq16" => Ok(IqFormat::Ci16),
            "ci8" | "ci8_le" | "cs8" | "sc8" | "iq8" => Ok(IqFormat::Ci8),
            "cu8" | "cu8_le" => Ok(IqFormat::Cu8),
            _ => Err(Error::UnsupportedFormat {
                value: s.to_owned(),
            }),
        }
    }
}

/// Errors of the sample sources. Every variant names the file (or field) it is about.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading or opening a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// The SigMF metadata is not valid JSON or lacks a field.
    #[error("{}: {source}", path.display())]
    Meta {
        /// The `.sigmf-meta` file.
        path: PathBuf,
        /// What is wrong with it.
        source: sigmf::MetaError,
    },
    /// A sample format name we do not read.
    #[error("unsupported IQ format {value:?} (expected cf32_le, ci16_le, ci8 or cu8)")]
    UnsupportedFormat {
        /// The name given.
        value: String,
    },
    /// A raw file was given without the options it needs.
    #[error("{}: raw IQ file needs {what} (no .sigmf-meta found next to it)", path.display())]
    MissingOption {
        /// The file.
        path: PathBuf,
        /// The missing option, e.g. `--sample-rate`.
        what: &'static str,
    },
}

/// Streams complex samples out of any byte reader.
///
/// Memory use is bounded by the chunk size the caller asks for; a sample split between two reads is kept
/// in a small carry buffer.
pub struct IqReader<R> {
    inner: R,
    format: IqFormat,
    buf: Vec<u8>,
    carry: usize,
    /// Complex samples handed out so far.
    position: u64,
}

impl<R: Read> IqReader<R> {
    /// Wraps `inner`, whose bytes are samples in `format`.
    pub fn new(inner: R, format: IqFormat) -> Self {
        IqReader {
            inner,
            format,
            buf: Vec::new(),
            carry: 0,
            position: 0,
        }
    }

    /// The sample format.
    pub fn format(&self) -> IqFormat {
        self.format
    }

    /// The number of samples returned so far.
    pub fn position(&self) -> u64 {
        self.position
    }

    /// Clears `out` and fills it with up to `max` samples. Returns the number read; 0 means end of stream.
    /// A trailing partial sample at end of stream is discarded.
    ///
    /// # Errors
    ///
    /// Returns the reader's I/O error (interrupted reads are retried).
    pub fn read_chunk(&mut self, out: &mut Vec<Complex<f32>>, max: usize) -> io::Result<usize> {
        out.clear();
        let sb = self.format.sample_bytes();
        let want = max.max(1) * sb;
        if self.buf.len() < want {
            self.buf.resize(want, 0);
        }
        let mut filled = self.carry;
        // Read until at least one whole sample is in, or the stream ends.
        while filled < want {
            let n = match self
                .inner
                .read(self.buf.get_mut(filled..want).unwrap_or_default())
            {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if n == 0 {
                break;
            }
            filled += n;
            if filled >= sb {
                break;
            }
        }
        let whole = filled - filled % sb;
        let bytes = self.buf.get(..whole).unwrap_or_default();
        self.format.decode_into(bytes, out);
        self.buf.copy_within(whole..filled, 0);
        self.carry = filled - whole;
        if out.is_empty() {
            self.carry = 0;
        }
        self.position += out.len() as u64;
        Ok(out.len())
    }
}

/// How to read an input whose metadata is not (fully) known from the file itself.
#[derive(Debug, Clone, Default)]
pub struct SourceOptions {
    /// Sample format; overrides SigMF. Required for raw files other than `.fc32`/`.cf32`/`.cs16`/`.cs8`/`.cu8`.
    pub format: Option<IqFormat>,
    /// Sample rate in Hz; overrides SigMF. Required for raw files.
    pub sample_rate: Option<f64>,
    /// Centre frequency in Hz; overrides SigMF. Optional.
    pub center_freq: Option<f64>,
}

/// An opened sample source: a reader plus what is known about the samples.
pub struct Source {
    /// The samples.
    pub reader: IqReader<Box<dyn Read + Send>>,
    /// Sample rate in Hz.
    pub sample_rate: f64,
    /// Centre frequency in Hz when known.
    pub center_freq: Option<f64>,
    /// The data file being read (`-` for standard input).
    pub path: PathBuf,
}

/// Opens `path` as a sample source: `-` is standard input; a `.sigmf-meta` or `.sigmf-data` path (or a raw
/// file with a `.sigmf-meta` next to it) is read as SigMF; anything else as raw samples described by `opts`.
///
/// # Errors
///
/// [`Error::Io`] when a file cannot be opened, [`Error::Meta`] for bad SigMF metadata,
/// [`Error::MissingOption`] when a raw file lacks a sample rate or format.
pub fn open(path: &Path, opts: &SourceOptions) -> Result<Source, Error> {
    if path.as_os_str() == "-" {
        let format = opts.format.ok_or(Error::MissingOption {
            path: path.into(),
            what: "--iq-format",
        })?;
        let sample_rate = opts.sample_rate.ok_or(Error::MissingOption {
            path: path.into(),
            what: "--sample-rate",
        })?;
        return Ok(Source {
            reader: IqReader::new(Box::new(io::stdin()), format),
            sample_rate,
            center_freq: opts.center_freq,
            path: path.into(),
        });
    }
    let (meta_path, data_path) = sigmf_pair(path);
    let meta = match &meta_path {
        Some(m) => {
            let text = std::fs::read_to_string(m).map_err(|source| Error::Io {
                path: m.clone(),
                source,
            })?;
            Some(sigmf::Meta::parse(&text).map_err(|source| Error::Meta {
                path: m.clone(),
                source,
            })?)
        }
        None => None,
    };
    let format = match (opts.format, &meta) {
        (Some(f), _) => f,
        (None, Some(m)) => m.format,
        (None, None) => format_from_extension(&data_path).ok_or(Error::MissingOption {
            path: data_path.clone(),
            what: "--iq-format",
        })?,
    };
    let sample_rate = match (opts.sample_rate, meta.as_ref().and_then(|m| m.sample_rate)) {
        (Some(r), _) | (None, Some(r)) => r,
        (None, None) => {
            let what = if meta.is_some() {
                "core:sample_rate or --sample-rate"
            } else {
                "--sample-rate"
            };
            return Err(Error::MissingOption {
                path: meta_path.unwrap_or(data_path),
                what,
            });
        }
    };
    let center_freq = opts
        .center_freq
        .or(meta.as_ref().and_then(|m| m.center_freq));
    let file = File::open(&data_path).map_err(|source| Error::Io {
        path: data_path.clone(),
        source,
    })?;
    Ok(Source {
        reader: IqReader::new(Box::new(BufReader::with_capacity(1 << 16, file)), format),
        sample_rate,
        center_freq,
        path: data_path,
    })
}

/// Resolves the SigMF metadata and data files for `path`: either half of a pair, or a raw file with a
/// metadata file of the same stem next to it.
fn sigmf_pair(path: &Path) -> (Option<PathBuf>, PathBuf) {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    match ext {
        "sigmf-meta" => (Some(path.into()), path.with_extension("sigmf-data")),
        "sigmf-data" => (Some(path.with_extension("sigmf-meta")), path.into()),
        _ => {
            let m = path.with_extension("sigmf-meta");
            (m.is_file().then_some(m), path.into())
        }
    }
}

fn format_from_extension(path: &Path) -> Option<IqFormat> {
    match path.extension()?.to_str()? {
        "fc32" | "cf32" | "cfile" => Some(IqFormat::Cf32),
        "cs16" | "ci16" | "sc16" => Some(IqFormat::Ci16),
        "cs8" | "ci8" | "sc8" => Some(IqFormat::Ci8),
        "cu8" => Some(IqFormat::Cu8),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that returns at most `n` bytes per call, to split samples across reads.
    struct Dribble<'a>(&'a [u8], usize);
    impl Read for Dribble<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.1.min(buf.len()).min(self.0.len());
            let (a, b) = self.0.split_at(n);
            buf.get_mut(..n).unwrap_or_default().copy_from_slice(a);
            self.0 = b;
            Ok(n)
        }
    }

    fn check(format: IqFormat, bytes: &[u8], expected: &[(f32, f32)]) {
        for dribble in [1, 3, 7, 1000] {
            let mut r = IqReader::new(Dribble(bytes, dribble), format);
            let mut all = Vec::new();
            let mut chunk = Vec::new();
            while r.read_chunk(&mut chunk, 2).unwrap() > 0 {
                all.extend_from_slice(&chunk);
            }
            assert_eq!(all.len(), expected.len(), "{format:?} dribble {dribble}");
            for (got, want) in all.iter().zip(expected) {
                assert!(
                    (got.re - want.0).abs() < 1e-6 && (got.im - want.1).abs() < 1e-6,
                    "{got} vs {want:?}"
                );
            }
        }
    }

    #[test]
    fn formats_decode() {
        let mut cf = Vec::new();
        for v in [0.5f32, -0.25, 1.0, 0.0] {
            cf.extend_from_slice(&v.to_le_bytes());
        }
        check(IqFormat::Cf32, &cf, &[(0.5, -0.25), (1.0, 0.0)]);
        // 0x4000 = 16384 = 0.5 full scale, 0xC000 = -16384; trailing odd byte is dropped.
        check(
            IqFormat::Ci16,
            &[0x00, 0x40, 0x00, 0xC0, 0x01],
            &[(0.5, -0.5)],
        );
        check(
            IqFormat::Ci8,
            &[64, 0xC0, 127, 0x80],
            &[(0.5, -0.5), (127.0 / 128.0, -1.0)],
        );
        check(IqFormat::Cu8, &[255, 0], &[(127.5 / 128.0, -127.5 / 128.0)]);
    }

    #[test]
    fn encode_round_trips() {
        let s = [Complex::new(0.5f32, -0.25), Complex::new(-1.0, 0.75)];
        for f in [IqFormat::Cf32, IqFormat::Ci16, IqFormat::Ci8, IqFormat::Cu8] {
            let mut bytes = Vec::new();
            f.encode(&s, &mut bytes);
            let mut r = IqReader::new(&bytes[..], f);
            let mut out = Vec::new();
            r.read_chunk(&mut out, 10).unwrap();
            for (a, b) in out.iter().zip(&s) {
                assert!((a - b).norm() < 0.01, "{f:?}: {a} vs {b}");
            }
        }
    }

    #[test]
    fn format_names() {
        assert_eq!("cf32_le".parse::<IqFormat>().unwrap(), IqFormat::Cf32);
        assert_eq!("CI16_LE".parse::<IqFormat>().unwrap(), IqFormat::Ci16);
        assert_eq!("cs8".parse::<IqFormat>().unwrap(), IqFormat::Ci8);
        assert!(matches!(
            "cf64_be".parse::<IqFormat>(),
            Err(Error::UnsupportedFormat { .. })
        ));
    }
}
