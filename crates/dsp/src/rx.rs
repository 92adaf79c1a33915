//! The streaming DroneID receiver: IQ chunks in, [`Burst`] reports out.
//!
//! [`Receiver`] runs the wideband [`Detector`] over everything pushed, keeps a bounded look-back of raw
//! samples (a few milliseconds, whatever the stream length), and for each candidate moves the band to
//! baseband ([`Nco`]), resamples it to 15.36 MSps ([`Resampler`]), synchronises and demaps it
//! ([`Demodulator`]) and decodes it ([`Codec`]). Integer frequency offsets are tried in order of ZC
//! coherence and the burst shape (9 or 8 symbols) in order of the detected duration, until CRC24A passes.
//! A burst cut off by the end of the stream is reported as [`Outcome::Truncated`], never as a frame.
//!
//! [`decode_file`] and [`Bursts`] are the entry points for a file or any reader (the CLI's `decode`).

use std::collections::VecDeque;
use std::io::Read;
use std::path::Path;

use num_complex::Complex;

use crate::fec::{Codec, DecodeMode, FecError, Scratch, TransportBlock, LLR_COUNT};
use crate::frame::{Frame, FrameError};
use crate::iq::{self, IqFormat, IqReader, SourceOptions};
use crate::phy::detect::{Candidate, Detector};
use crate::phy::nco::Nco;
use crate::phy::ofdm::{DemodError, Demodulator};
use crate::phy::resample::{RateError, Resampler};
use crate::phy::{BurstKind, BITS_PER_SYMBOL, NFFT, SAMPLE_RATE, SPACING_HZ};

/// Margin (seconds) added before and after a candidate when cutting its window.
const MARGIN_S: f64 = 150e-6;
/// Raw samples kept behind the newest one, in seconds (longer than detector latency + burst + margins).
const LOOK_BACK_S: f64 = 3e-3;
/// Symbol 0 hard-decision errors against the Gold sequence above which a burst has no Gold symbol (noise
/// gives about 600 of 1,200; a real Gold symbol at 0 dB SNR about 190).
const GOLD_ERRORS_MAX: u16 = 400;
/// ZC coherence above which the timing is taken as confirmed (a real burst at ≥ 3 dB SNR is above 0.6).
const CONFIRMED: f32 = 0.6;
/// A second integer-offset hypothesis is tried only when its coherence is at least this share of the best.
const SECOND_CHOICE: f32 = 0.5;

/// Receiver settings.
#[derive(Debug, Clone, PartialEq)]
pub struct ReceiverConfig {
    /// Input sample rate in Hz (at least 15.36 MSps is best; 10 MSps is the floor for a 9 MHz band).
    pub sample_rate: f64,
    /// Capture centre frequency in Hz, when known: bursts then get an absolute frequency.
    pub center_freq: Option<f64>,
    /// FEC decoding method.
    pub mode: DecodeMode,
    /// Largest whole-subcarrier offset searched (× 15 kHz) around the detector's band centre.
    pub max_int_offset: i32,
}

impl ReceiverConfig {
    /// Defaults for a stream at `sample_rate` Hz: turbo decoding, ±80 subcarriers (±1.2 MHz: at low SNR the
    /// detector's band centre can be that far off, and each hypothesis costs only 1,200 multiplications).
    pub fn new(sample_rate: f64) -> Self {
        ReceiverConfig {
            sample_rate,
            center_freq: None,
            mode: DecodeMode::Turbo,
            max_int_offset: 80,
        }
    }
}

/// Why a detected burst did not decode.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum Failure {
    /// OFDM synchronisation failed.
    #[error("synchronisation: {0}")]
    Sync(#[from] DemodError),
    /// The FEC found no block passing CRC24A.
    #[error("{0}")]
    Fec(#[from] FecError),
}

/// What became of a detected burst.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// CRC24A passed; the block holds the OcuSync frame (see [`Burst::frame`]).
    Decoded(Box<TransportBlock>),
    /// Detected and demodulated, but not decodable.
    Failed(Failure),
    /// Cut off by the end of the stream (dropped, never decoded).
    Truncated,
}

/// One detected DroneID burst.
#[derive(Debug, Clone, PartialEq)]
pub struct Burst {
    /// First sample of the burst (start of symbol 0's cyclic prefix), in input samples from stream start.
    pub start_sample: u64,
    /// `start_sample` in seconds.
    pub start_time_s: f64,
    /// Frequency of the burst's centre (its DC subcarrier) relative to the capture centre, in Hz.
    pub freq_offset_hz: f64,
    /// Absolute centre frequency in Hz, when the capture centre is known.
    pub freq_hz: Option<f64>,
    /// Carrier offset found by the OFDM stage relative to the detector's coarse band centre, in Hz
    /// (whole subcarriers plus the fractional part).
    pub cfo_hz: f64,
    /// In-band SNR in dB (from the ZC symbols when demodulated, else from the spectrogram).
    pub snr_db: f32,
    /// Occupied bandwidth measured by the detector, in Hz.
    pub bandwidth_hz: f64,
    /// OFDM symbols: 9, or 8 for the legacy burst.
    pub symbols: u8,
    /// Normalised cyclic-prefix correlation (0..1).
    pub cp_metric: f32,
    /// Coherence of the two ZC channel estimates (0..1; ≥ 0.9 means a real DroneID burst).
    pub zc_coherence: f32,
    /// Hard-decision errors against the Gold sequence on symbol 0 (9-symbol bursts only).
    pub gold_errors: Option<u16>,
    /// The result.
    pub outcome: Outcome,
}

impl Burst {
    /// The transport block, when decoded.
    pub fn transport_block(&self) -> Option<&TransportBlock> {
        match &self.outcome {
            Outcome::Decoded(tb) => Some(tb),
            _ => None,
        }
    }

    /// The OcuSync frame inside the decoded block (DJI CRC16 checked), when decoded.
    pub fn frame(&self) -> Option<Result<Frame<'_>, FrameError>> {
        self.transport_block().map(|tb| Frame::parse(&tb.bytes))
    }
}

/// Streaming receiver; see the module docs.
pub struct Receiver {
    cfg: ReceiverConfig,
    detector: Detector,
    candidates: Vec<Candidate>,
    pending: VecDeque<Candidate>,
    /// Look-back ring: raw samples from `buf_start` on (a deque, so dropping old samples moves nothing).
    buf: VecDeque<Complex<f32>>,
    /// Absolute index of `buf[0]`.
    buf_start: u64,
    look_back: usize,
    resampler: Option<Resampler>,
    mixed: Vec<Complex<f32>>,
    base: Vec<Complex<f32>>,
    work: Vec<Complex<f32>>,
    demod: Demodulator,
    codec: Codec,
    scratch: Scratch,
    llrs: Vec<f32>,
    gold_llrs: Vec<f32>,
    gold: Vec<u8>,
    offsets: Vec<(i32, f32)>,
}

impl Receiver {
    /// Plans every stage for `cfg.sample_rate`.
    ///
    /// # Errors
    ///
    /// [`RateError`] when the sample rate is not positive, below 10 MSps, or has no usable ratio to
    /// 15.36 MSps.
    pub fn new(cfg: ReceiverConfig) -> Result<Self, RateError> {
        let fs = cfg.sample_rate;
        if !(fs.is_finite() && fs >= 10e6) {
            return Err(RateError::Invalid(fs));
        }
        let resampler = if (fs - SAMPLE_RATE).abs() < 1.0 {
            None
        } else {
            Some(Resampler::for_rates(fs, SAMPLE_RATE)?)
        };
        let look_back = (LOOK_BACK_S * fs) as usize;
        Ok(Receiver {
            detector: Detector::new(fs),
            candidates: Vec::new(),
            pending: VecDeque::new(),
            buf: VecDeque::with_capacity(4 * look_back),
            buf_start: 0,
            look_back,
            resampler,
            mixed: Vec::new(),
            base: Vec::new(),
            work: Vec::new(),
            demod: Demodulator::new(),
            codec: Codec::new(),
            scratch: Scratch::new(),
            llrs: vec![0.0; LLR_COUNT],
            gold_llrs: vec![0.0; BITS_PER_SYMBOL],
            gold: crate::fec::gold(crate::fec::C_INIT, BITS_PER_SYMBOL),
            offsets: Vec::new(),
            cfg,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &ReceiverConfig {
        &self.cfg
    }

    /// Raw samples currently held for look-back (bounded: a few milliseconds' worth, whatever the stream
    /// length).
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Samples pushed so far.
    pub fn samples_seen(&self) -> u64 {
        self.buf_start + self.buf.len() as u64
    }

    /// Feeds the next chunk of samples; bursts completed by it are appended to `out`.
    pub fn push(&mut self, samples: &[Complex<f32>], out: &mut Vec<Burst>) {
        self.buf.extend(samples);
        self.candidates.clear();
        self.detector.push(samples, &mut self.candidates);
        self.pending.extend(self.candidates.drain(..));
        self.drain_pending(false, out);
        // Bound the look-back: drop what no pending candidate needs and is older than `look_back`.
        if self.buf.len() > 2 * self.look_back {
            let mut keep_from = self.samples_seen().saturating_sub(self.look_back as u64);
            if let Some(c) = self.pending.front() {
                keep_from = keep_from.min(self.window(c).0);
            }
            let drop = keep_from
                .saturating_sub(self.buf_start)
                .min(self.buf.len() as u64) as usize;
            self.buf.drain(..drop);
            self.buf_start += drop as u64;
        }
    }

    /// Ends the stream: decodes what can be, reports bursts cut off by the end as truncated.
    pub fn finish(&mut self, out: &mut Vec<Burst>) {
        self.candidates.clear();
        self.detector.finish(&mut self.candidates);
        self.pending.extend(self.candidates.drain(..));
        self.drain_pending(true, out);
    }

    /// The raw-sample window [start, end) a candidate is decoded from.
    fn window(&self, c: &Candidate) -> (u64, u64) {
        let fs = self.cfg.sample_rate;
        let margin = (MARGIN_S * fs) as u64;
        let longest = (BurstKind::Nine.duration_s() * fs).ceil() as u64;
        (
            c.start.saturating_sub(margin),
            c.end.max(c.start + longest) + margin,
        )
    }

    fn drain_pending(&mut self, at_end: bool, out: &mut Vec<Burst>) {
        while let Some(c) = self.pending.front().copied() {
            let (lo, hi) = self.window(&c);
            let seen = self.samples_seen();
            if hi > seen && !at_end {
                return;
            }
            self.pending.pop_front();
            let burst = if c.truncated {
                self.truncated(&c)
            } else {
                self.decode(&c, lo, hi.min(seen))
            };
            out.push(burst);
        }
    }

    fn truncated(&self, c: &Candidate) -> Burst {
        let nine = (BurstKind::Nine.duration_s() * self.cfg.sample_rate) as u64;
        let symbols = if c.end.saturating_sub(c.start) * 10 > nine * 9 {
            9
        } else {
            0
        };
        Burst {
            start_sample: c.start,
            start_time_s: c.start as f64 / self.cfg.sample_rate,
            freq_offset_hz: c.center_hz,
            freq_hz: self.cfg.center_freq.map(|f| f + c.center_hz),
            cfo_hz: 0.0,
            snr_db: c.snr_db,
            bandwidth_hz: c.bandwidth_hz,
            symbols,
            cp_metric: 0.0,
            zc_coherence: 0.0,
            gold_errors: None,
            outcome: Outcome::Truncated,
        }
    }

    /// Cuts, shifts and resamples the window, then tries the burst shapes and offsets.
    fn decode(&mut self, c: &Candidate, lo: u64, hi: u64) -> Burst {
        let fs = self.cfg.sample_rate;
        let from = lo.saturating_sub(self.buf_start) as usize;
        let to = hi.saturating_sub(self.buf_start) as usize;
        let to = to.min(self.buf.len());
        let from = from.min(to);
        self.mixed.clear();
        self.mixed.extend(self.buf.range(from..to));
        let mut nco = Nco::new(-c.center_hz, fs);
        // Start the oscillator at the phase it has at `lo`, so that phases are consistent in absolute time.
        nco.reset(-2.0 * std::f64::consts::PI * (c.center_hz * (lo as f64 / fs)).fract());
        nco.mix_in_place(&mut self.mixed);
        match &mut self.resampler {
            Some(r) => r.process_block(&self.mixed, &mut self.base),
            None => {
                self.base.clear();
                self.base.extend_from_slice(&self.mixed);
            }
        }
        // The 9-symbol schedule first: an 8-symbol burst is the 9-symbol one without its Gold symbol 0, so
        // both shapes decode under it (and a 9-symbol burst also decodes under the 8-symbol schedule). The
        // Gold symbol then tells them apart.
        let kinds = [BurstKind::Nine, BurstKind::Eight];
        let mut first: Option<Burst> = None;
        for kind in kinds {
            match self.attempt(c, lo, kind) {
                Ok(mut b) if matches!(b.outcome, Outcome::Decoded(_)) => {
                    if kind == BurstKind::Nine && b.gold_errors.is_some_and(|e| e > GOLD_ERRORS_MAX)
                    {
                        // No Gold symbol in front: an 8-symbol burst, which starts one symbol later
                        // (80 + 1024 samples, less the 8 by which its first prefix is longer).
                        let shift = ((NFFT + 80 - 8) as f64 * fs / SAMPLE_RATE).round();
                        b.start_sample += shift as u64;
                        b.start_time_s = b.start_sample as f64 / fs;
                        b.symbols = 8;
                        b.gold_errors = None;
                    }
                    return b;
                }
                Ok(b) => {
                    // Keep the attempt whose ZC symbols look most like DroneID for the report.
                    if first
                        .as_ref()
                        .is_none_or(|f| b.zc_coherence > f.zc_coherence)
                    {
                        first = Some(b);
                    }
                }
                Err(e) => {
                    if first.is_none() {
                        let mut b = self.truncated(c);
                        b.outcome = Outcome::Failed(Failure::Sync(e));
                        first = Some(b);
                    }
                }
            }
        }
        first.unwrap_or_else(|| self.truncated(c))
    }

    fn attempt(&mut self, c: &Candidate, lo: u64, kind: BurstKind) -> Result<Burst, DemodError> {
        let fs = self.cfg.sample_rate;
        self.work.clear();
        self.work.extend_from_slice(&self.base);
        let mut sync = self.demod.sync(&mut self.work, kind)?;
        self.demod
            .integer_offsets(self.cfg.max_int_offset, &mut self.offsets);
        let coherence = self.offsets.first().map_or(0.0, |o| o.1);
        if coherence < CONFIRMED {
            // Weak burst: a timing one symbol off can win the CP search; let the ZC symbols decide.
            let mut best = (sync.start, coherence);
            for alt in self.demod.alternatives(sync.start).into_iter().flatten() {
                self.work.clear();
                self.work.extend_from_slice(&self.base);
                if self.demod.sync_at(&mut self.work, kind, alt).is_ok() {
                    self.demod
                        .integer_offsets(self.cfg.max_int_offset, &mut self.offsets);
                    let c = self.offsets.first().map_or(0.0, |o| o.1);
                    if c > best.1 {
                        best = (alt, c);
                    }
                }
            }
            self.work.clear();
            self.work.extend_from_slice(&self.base);
            sync = self.demod.sync_at(&mut self.work, kind, best.0)?;
            self.demod
                .integer_offsets(self.cfg.max_int_offset, &mut self.offsets);
        }
        let best = self.offsets.first().copied().unwrap_or((0, 0.0));
        let mut report: Option<Burst> = None;
        for &(k, coh) in self.offsets.iter().take(2) {
            if coh < best.1 * SECOND_CHOICE {
                break;
            }
            let q = self.demod.demap(k, &mut self.llrs, &mut self.gold_llrs)?;
            let gold_errors = kind.gold_symbol().map(|_| {
                self.gold_llrs
                    .iter()
                    .zip(&self.gold)
                    .filter(|(l, g)| (**l < 0.0) != (**g == 1))
                    .count() as u16
            });
            let outcome = match self
                .codec
                .decode(&mut self.scratch, &self.llrs, self.cfg.mode)
            {
                Ok(tb) => Outcome::Decoded(Box::new(tb)),
                Err(e) => Outcome::Failed(Failure::Fec(e)),
            };
            let start_sample = lo + (sync.start as f64 * fs / SAMPLE_RATE).round() as u64;
            let cfo_hz = f64::from(k) * SPACING_HZ + sync.frac_cfo_hz + q.residual_cfo_hz;
            let freq_offset_hz = c.center_hz + cfo_hz;
            let decoded = matches!(outcome, Outcome::Decoded(_));
            let b = Burst {
                start_sample,
                start_time_s: start_sample as f64 / fs,
                freq_offset_hz,
                freq_hz: self.cfg.center_freq.map(|f| f + freq_offset_hz),
                cfo_hz,
                snr_db: q.snr_db,
                bandwidth_hz: c.bandwidth_hz,
                symbols: kind.symbols() as u8,
                cp_metric: sync.cp_metric,
                zc_coherence: q.zc_coherence,
                gold_errors,
                outcome,
            };
            if decoded {
                return Ok(b);
            }
            report.get_or_insert(b);
        }
        report.ok_or(DemodError::NotSynced)
    }
}

/// Options of [`decode_file`] / [`Bursts::open`]: how to read the input and how to decode.
#[derive(Debug, Clone, Default)]
pub struct DecodeOptions {
    /// Format, sample rate and centre frequency overrides (needed for raw files).
    pub source: SourceOptions,
    /// FEC decoding method (turbo by default).
    pub mode: DecodeMode,
}

/// Errors of the file entry points.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// Opening or reading the input failed.
    #[error(transparent)]
    Source(#[from] iq::Error),
    /// The sample rate cannot be handled.
    #[error("{path}: {source}")]
    Rate {
        /// The input.
        path: String,
        /// Why.
        source: RateError,
    },
}

/// An iterator over the bursts of a sample stream, reading it in bounded chunks.
pub struct Bursts {
    reader: IqReader<Box<dyn Read + Send>>,
    receiver: Receiver,
    chunk: Vec<Complex<f32>>,
    ready: VecDeque<Burst>,
    out: Vec<Burst>,
    done: bool,
    path: std::path::PathBuf,
}

/// Samples read per chunk (about 1.3 ms at 50 MSps).
const CHUNK: usize = 1 << 16;

impl Bursts {
    /// Opens a file (raw, SigMF, or `-` for standard input) and prepares the receiver.
    ///
    /// # Errors
    ///
    /// [`DecodeError::Source`] when the file cannot be opened or described; [`DecodeError::Rate`] for an
    /// unusable sample rate.
    pub fn open(path: &Path, opts: &DecodeOptions) -> Result<Self, DecodeError> {
        let src = iq::open(path, &opts.source)?;
        let mut cfg = ReceiverConfig::new(src.sample_rate);
        cfg.center_freq = src.center_freq;
        cfg.mode = opts.mode;
        let receiver = Receiver::new(cfg).map_err(|source| DecodeError::Rate {
            path: path.display().to_string(),
            source,
        })?;
        Ok(Self::with_reader(src.reader, receiver, src.path))
    }

    /// Decodes samples in `format` from any reader (for example standard input or a socket).
    ///
    /// # Errors
    ///
    /// [`RateError`] for an unusable sample rate.
    pub fn from_reader<R: Read + Send + 'static>(
        reader: R,
        format: IqFormat,
        cfg: ReceiverConfig,
    ) -> Result<Self, RateError> {
        let receiver = Receiver::new(cfg)?;
        Ok(Self::with_reader(
            IqReader::new(Box::new(reader), format),
            receiver,
            "-".into(),
        ))
    }

    fn with_reader(
        reader: IqReader<Box<dyn Read + Send>>,
        receiver: Receiver,
        path: std::path::PathBuf,
    ) -> Self {
        Bursts {
            reader,
            receiver,
            chunk: Vec::with_capacity(CHUNK),
            ready: VecDeque::new(),
            out: Vec::new(),
            done: false,
            path,
        }
    }

    /// The receiver's configuration (sample rate and centre frequency as resolved from the input).
    pub fn config(&self) -> &ReceiverConfig {
        self.receiver.config()
    }
}

impl Iterator for Bursts {
    type Item = Result<Burst, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(b) = self.ready.pop_front() {
                return Some(Ok(b));
            }
            if self.done {
                return None;
            }
            match self.reader.read_chunk(&mut self.chunk, CHUNK) {
                Ok(0) => {
                    self.done = true;
                    self.receiver.finish(&mut self.out);
                }
                Ok(_) => self.receiver.push(&self.chunk, &mut self.out),
                Err(source) => {
                    self.done = true;
                    return Some(Err(DecodeError::Source(iq::Error::Io {
                        path: self.path.clone(),
                        source,
                    })));
                }
            }
            self.ready.extend(self.out.drain(..));
        }
    }
}

/// Decodes every burst of a file (raw, SigMF, or `-` for standard input).
///
/// # Errors
///
/// As [`Bursts::open`], plus read errors met along the way.
pub fn decode_file(path: &Path, opts: &DecodeOptions) -> Result<Vec<Burst>, DecodeError> {
    Bursts::open(path, opts)?.collect()
}
