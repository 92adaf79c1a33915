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

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Capture files: pcap, pcapng or btsnoop (recognised by content, not by name).
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
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
        match job.run(&mut out, &mut table) {
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
                    match self.format {
                        Format::Jsonl => {
                            buf.clear();
                            line.write_json(&mut buf);
                            out.write_all(&buf)?;
                        }
                        Format::Table => table.write(out, &name, &line)?,
                    }
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
        if self.summary_only {
            match self.format {
                Format::Jsonl => {
                    serde_json::to_writer(&mut *out, &summary)?;
                    writeln!(out)?;
                }
                Format::Table => summary.write_table(out)?,
            }
        }
        tracing::info!(file = %name, frames = stats.frames_read, dropped = stats.dropped_total(),
            seconds = summary.seconds, "decoded");
        Ok(())
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
