//! `skytrace decode`: capture files in, detections out (JSON lines or a table), with a per-file summary.

use crate::output::{Format, Summary, TableWriter};
use anyhow::{Context, Result};
use capture::Event;
use contract::{DetectionLine, Options};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;
use wire::dji::{AltitudeScaling, AltitudeUnit};

/// How to read IQ recordings whose metadata the file does not give: the flags `decode` and `replay` share.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct IqArgs {
    /// Read the files as IQ samples in this format (cf32, ci16, ci8, cu8); overrides SigMF metadata.
    #[arg(long, value_name = "FORMAT", help_heading = "IQ recordings")]
    pub iq_format: Option<String>,
    /// Sample rate of raw IQ input in Hz (for example 50e6, 15.36e6); overrides SigMF metadata.
    #[arg(long, value_name = "HZ", help_heading = "IQ recordings")]
    pub sample_rate: Option<f64>,
    /// Centre frequency of the IQ recording in Hz, to report absolute burst frequencies.
    #[arg(long, value_name = "HZ", help_heading = "IQ recordings")]
    pub center_freq: Option<f64>,
}

impl IqArgs {
    /// The reader options these flags give.
    ///
    /// # Errors
    ///
    /// An unknown `--iq-format`.
    pub fn source_options(&self) -> Result<dsp::iq::SourceOptions> {
        let format = match &self.iq_format {
            Some(f) => Some(
                f.parse::<dsp::iq::IqFormat>()
                    .with_context(|| format!("--iq-format {f}"))?,
            ),
            None => None,
        };
        Ok(dsp::iq::SourceOptions {
            format,
            sample_rate: self.sample_rate,
            center_freq: self.center_freq,
        })
    }

    /// Whether `path` is read as an IQ recording: always with `--iq-format`, otherwise by its name.
    pub fn is_iq(&self, path: &Path) -> bool {
        self.iq_format.is_some() || is_iq_path(path)
    }
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Capture files: pcap, pcapng or btsnoop (recognised by content, not by name); IQ recordings for DJI
    /// OcuSync DroneID: SigMF (`.sigmf-meta`/`.sigmf-data`), raw `.cf32`/`.fc32`/`.ci16`/`.cs16`/`.ci8`/
    /// `.cs8`/`.cu8` (or any file with --iq-format), or `-` for samples on standard input.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    #[command(flatten)]
    iq: IqArgs,
    /// FEC decoding of OcuSync bursts: the turbo decoder, or the research receiver's method (systematic
    /// bits with hard decisions) for comparison.
    #[arg(long, value_enum, default_value_t = Fec::Turbo, help_heading = "IQ recordings")]
    fec: Fec,
    /// Output format [default: jsonl when stdout is not a terminal, table otherwise].
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Print only a summary per file: frames read, frames with broadcasts by transport, messages, aircraft
    /// seen, frames dropped with the reason. As JSON lines with --format jsonl.
    #[arg(long)]
    summary: bool,
    /// Unit of DJI DroneID altitude (public sources disagree; raw values are always printed too).
    #[arg(long, value_enum, default_value_t = Unit::M, value_name = "UNIT")]
    dji_altitude_unit: Unit,
    /// Unit of DJI DroneID height above take-off.
    #[arg(long, value_enum, default_value_t = Unit::Dm, value_name = "UNIT")]
    dji_height_unit: Unit,
    /// Never show a progress bar (it is shown on a terminal for files over 4 MiB).
    #[arg(long)]
    no_progress: bool,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Fec {
    /// Soft-input LTE turbo decoding (max-log-MAP, early stop on CRC24A).
    Turbo,
    /// Systematic bits only, hard decisions (what the public research receiver does).
    SystematicHard,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Unit {
    /// Metres.
    M,
    /// Decimetres.
    Dm,
    /// Feet.
    Ft,
}

impl From<Unit> for AltitudeUnit {
    fn from(u: Unit) -> Self {
        match u {
            Unit::M => AltitudeUnit::Metres,
            Unit::Dm => AltitudeUnit::Decimetres,
            Unit::Ft => AltitudeUnit::Feet,
        }
    }
}

/// Files at least this large get a progress bar.
const PROGRESS_MIN_BYTES: u64 = 4 << 20;

pub fn run(args: Args, quiet: bool) -> Result<ExitCode> {
    let format = args.format.unwrap_or(if io::stdout().is_terminal() {
        Format::Table
    } else {
        Format::Jsonl
    });
    let opts = Options {
        dji_altitude: AltitudeScaling {
            altitude: args.dji_altitude_unit.into(),
            height: args.dji_height_unit.into(),
        },
    };
    let show_progress = !quiet && !args.no_progress && io::stderr().is_terminal();
    let iq = iq_options(&args)?;
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut table = TableWriter::new();
    let mut failed = 0usize;
    for path in &args.files {
        let job = FileJob {
            path,
            format,
            summary_only: args.summary,
            opts: &opts,
            show_progress,
        };
        let result = if args.iq.is_iq(path) {
            job.run_iq(&iq, &mut out, &mut table)
        } else {
            job.run(&mut out, &mut table)
        };
        match result {
            Ok(()) => {}
            Err(e) if is_broken_pipe(&e) => return Ok(ExitCode::SUCCESS),
            Err(e) => {
                out.flush().ok();
                eprintln!("skytrace: error: {e:#}");
                failed += 1;
            }
        }
    }
    match out.flush() {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
        r => r.context("writing to stdout")?,
    }
    Ok(if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Extensions of IQ recordings; anything else is read as a capture (by its magic number).
const IQ_EXTENSIONS: &[&str] = &[
    "sigmf-data",
    "sigmf-meta",
    "sigmf",
    "cf32",
    "fc32",
    "ci16",
    "cs16",
    "sc16",
    "ci8",
    "cs8",
    "sc8",
    "cu8",
    "iq",
];

/// Whether a path names an IQ recording (standard input or an IQ file extension).
pub(crate) fn is_iq_path(path: &Path) -> bool {
    path.as_os_str() == "-"
        || path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| IQ_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

/// Decodes one capture file, or IQ recording when `iq_file` is set, writing its detections as JSON lines
/// to `out`: the decoding of `skytrace decode`, shared with `skytrace replay`.
///
/// # Errors
///
/// The file cannot be opened or read, or `out` fails.
pub(crate) fn decode_jsonl(
    path: &Path,
    iq_file: bool,
    iq: &dsp::rx::DecodeOptions,
    opts: &Options,
    out: &mut impl Write,
) -> Result<()> {
    let job = FileJob {
        path,
        format: Format::Jsonl,
        summary_only: false,
        opts,
        show_progress: false,
    };
    let mut table = TableWriter::new();
    if iq_file {
        job.run_iq(iq, out, &mut table)
    } else {
        job.run(out, &mut table)
    }
}

fn iq_options(args: &Args) -> Result<dsp::rx::DecodeOptions> {
    Ok(dsp::rx::DecodeOptions {
        source: args.iq.source_options()?,
        mode: match args.fec {
            Fec::Turbo => dsp::fec::DecodeMode::Turbo,
            Fec::SystematicHard => dsp::fec::DecodeMode::SystematicHard,
        },
    })
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    })
}

struct FileJob<'a> {
    path: &'a Path,
    format: Format,
    summary_only: bool,
    opts: &'a Options,
    show_progress: bool,
}

impl FileJob<'_> {
    fn run(&self, out: &mut impl Write, table: &mut TableWriter) -> Result<()> {
        let started = Instant::now();
        let name = self.path.display().to_string();
        let mut summary = Summary::new(&name);
        let mut decoder = capture::open(self.path)?;
        let progress = self.progress_bar(decoder.stats().total_bytes);
        let mut buf = Vec::with_capacity(1024);
        let mut last_update = 0u64;
        while let Some(event) = decoder.next() {
            let event = match event {
                Ok(e) => e,
                Err(e) => {
                    progress.finish_and_clear();
                    return Err(e.into());
                }
            };
            if let Event::Detection(d) = event {
                summary.add(&d);
                if !self.summary_only {
                    let line = DetectionLine::from_detection(&d, self.opts);
                    self.emit(out, table, &mut buf, &d, &line)?;
                }
            }
            if let Some(bar) = &progress.bar {
                let pos = bar_position(&decoder);
                if pos - last_update > 1 << 20 {
                    bar.set_position(pos);
                    last_update = pos;
                }
            }
        }
        progress.finish_and_clear();
        let stats = decoder.stats();
        summary.frames_read = stats.frames_read;
        summary.dropped = stats
            .dropped_by_reason()
            .map(|(r, n)| (r.as_str().to_string(), n))
            .collect();
        summary.seconds = started.elapsed().as_secs_f64();
        summary.finish();
        tracing::info!(file = %name, frames = stats.frames_read, dropped = stats.dropped_total(),
            seconds = summary.seconds, "decoded");
        self.write_summary(out, &summary)
    }

    /// Prints one detection in the chosen format (`buf` is reused between lines).
    fn emit(
        &self,
        out: &mut impl Write,
        table: &mut TableWriter,
        buf: &mut Vec<u8>,
        d: &capture::Detection,
        line: &DetectionLine,
    ) -> io::Result<()> {
        match self.format {
            Format::Jsonl => {
                buf.clear();
                line.write_json(buf);
                out.write_all(buf)
            }
            Format::Table => table.write(out, d, line),
        }
    }

    fn write_summary(&self, out: &mut impl Write, summary: &Summary) -> Result<()> {
        if self.summary_only {
            match self.format {
                Format::Jsonl => {
                    serde_json::to_writer(&mut *out, summary)?;
                    writeln!(out)?;
                }
                Format::Table => summary.write_table(out)?,
            }
        }
        Ok(())
    }

    /// An IQ recording: every OcuSync burst the receiver finds. Decoded bursts become `dji-ocusync`
    /// detections; bursts that fail a CRC or are cut off by the end of the recording are counted as
    /// dropped, never printed as frames.
    fn run_iq(
        &self,
        iq: &dsp::rx::DecodeOptions,
        out: &mut impl Write,
        table: &mut TableWriter,
    ) -> Result<()> {
        use dsp::rx::{Bursts, Outcome};
        let started = Instant::now();
        let name = self.path.display().to_string();
        let mut summary = Summary::new(&name);
        let bursts = Bursts::open(self.path, iq)?;
        let base = recording_start(self.path);
        let mut dropped: std::collections::BTreeMap<String, u64> = Default::default();
        let mut buf = Vec::with_capacity(1024);
        for (index, burst) in bursts.enumerate() {
            let burst = burst?;
            summary.frames_read += 1;
            let reason = match &burst.outcome {
                Outcome::Truncated => Some("truncated-burst".to_string()),
                Outcome::Failed(f) => Some(format!("undecodable-burst ({f})")),
                Outcome::Decoded(_) => None,
            };
            if let Some(r) = reason {
                tracing::info!(file = %name, start_s = burst.start_time_s, reason = %r, "burst dropped");
                *dropped.entry(r).or_default() += 1;
                continue;
            }
            let record = match burst.frame() {
                Some(Ok(f)) => f.record_bytes().to_vec(),
                Some(Err(e)) => {
                    // CRC24A passed, so this was a DroneID burst; its frame is not trustworthy.
                    tracing::warn!(file = %name, start_s = burst.start_time_s, error = %e,
                        "OcuSync burst decoded but its DJI frame is invalid: not reported as a detection");
                    let key = match e {
                        dsp::frame::FrameError::Crc16 { .. } => "bad-crc16".to_string(),
                        other => format!("bad-frame ({other})"),
                    };
                    *dropped.entry(key).or_default() += 1;
                    continue;
                }
                None => continue,
            };
            let freq_hz = burst.freq_hz.unwrap_or(burst.freq_offset_hz);
            let time = base + (burst.start_time_s * 1e9) as i64;
            let d = capture::Detection {
                time,
                frame: index as u64 + 1,
                transport: capture::Transport::DjiOcusync,
                mac: None,
                rssi_dbm: None,
                freq_mhz: None,
                channel: None,
                ssid: None,
                counter: None,
                messages: vec![capture::Message::Dji(capture::DjiRecord::new(&record))],
                partial: false,
            };
            summary.add(&d);
            if self.summary_only {
                continue;
            }
            let mut line = DetectionLine::from_detection(&d, self.opts);
            line.freq_mhz = Some(freq_hz / 1e6);
            line.snr_db = Some(f64::from(burst.snr_db));
            line.cfo_hz = Some(burst.cfo_hz);
            line.burst_start_s = Some(burst.start_time_s);
            self.emit(out, table, &mut buf, &d, &line)?;
        }
        summary.dropped = dropped;
        summary.seconds = started.elapsed().as_secs_f64();
        summary.finish();
        self.write_summary(out, &summary)
    }

    fn progress_bar(&self, total: Option<u64>) -> Progress {
        let bar = match total {
            Some(t) if self.show_progress && t >= PROGRESS_MIN_BYTES => {
                let bar = ProgressBar::with_draw_target(Some(t), ProgressDrawTarget::stderr());
                bar.set_style(
                    ProgressStyle::with_template(
                        "{msg} [{bar:40}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
                );
                bar.set_message(
                    self.path
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                );
                Some(bar)
            }
            _ => None,
        };
        Progress { bar }
    }
}

fn bar_position(d: &capture::Decoder) -> u64 {
    d.stats().bytes_read
}

struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    fn finish_and_clear(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

/// The wall-clock time of a recording's first sample, Unix nanoseconds: SigMF `core:datetime` when the
/// metadata has it, else the data file's modification time (the recording's start is not stored in raw
/// files; burst times are then offsets from that moment).
fn recording_start(path: &Path) -> i64 {
    let meta_path = path.with_extension("sigmf-meta");
    if let Ok(text) = std::fs::read_to_string(&meta_path) {
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) {
            let dt = v["captures"][0]["core:datetime"].as_str();
            if let Some(t) = dt.and_then(|d| {
                time::OffsetDateTime::parse(d, &time::format_description::well_known::Rfc3339).ok()
            }) {
                return t.unix_timestamp_nanos() as i64;
            }
        }
    }
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_nanos() as i64)
        .unwrap_or(0)
}
