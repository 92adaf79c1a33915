//! The wiring, the one place where components meet (STYLE.md "Pipelines"):
//!
//! ```text
//! source thread ×N (Source::next → decode → contract lines) ──bounded channel──► spool writer (group
//! commit) ──SQLite──► uplink thread (batches, acks, backoff)      heartbeat thread, status line, status page
//! ```
//!
//! Each source runs on its own thread and decodes its own frames, so a slow SDR decode does not hold up a
//! Wi-Fi card. The spool writer takes everything waiting in the channel into one transaction (group
//! commit: the busier the sources, the bigger the transactions). The uplink only ever sends what is
//! committed.
//!
//! Shutdown (SIGINT, SIGTERM, or every source finished and everything acknowledged): sources stop at their
//! next item, the writer commits what reached the channel, the uplink stops at its next batch, a last
//! heartbeat goes out. Live sources return [`Item::Idle`] at least every [`crate::source::POLL`] when
//! nothing arrives, so a silent source sees the stop too; one blocked anyway is not waited for longer
//! than a second.

use crate::config::{Config, SourceSpec};
use crate::events::{Event, SourceCounters};
use crate::health::{Monitor, Position};
use crate::source::{Item, Source, SourceError};
use crate::spool::{Spool, SpoolError};
use crate::uplink::{Http, UplinkConfig, UplinkCounters, UplinkError};
use std::collections::HashMap;
use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Why the sensor stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("configuration: {0}")]
    Config(#[from] crate::config::ConfigError),
    #[error(transparent)]
    Spool(#[from] SpoolError),
    #[error(transparent)]
    Uplink(#[from] UplinkError),
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error("status page on {addr}: {message}")]
    StatusPage { addr: String, message: String },
    #[error("a pipeline thread panicked: {0}")]
    Thread(&'static str),
}

/// What a finished run leaves: the last status.
#[derive(Debug)]
pub struct Outcome {
    pub status: crate::health::Status,
}

/// Lines of one item, and the replay position reached with it.
struct Spooled {
    lines: Vec<String>,
    position: Option<(usize, u64)>,
}

/// The error for a live source whose adapter was not compiled in.
#[cfg_attr(
    all(feature = "wifi", feature = "ble", feature = "sdr"),
    allow(dead_code)
)]
fn missing(spec: &SourceSpec, feature: &str) -> SourceError {
    SourceError {
        source_name: spec.to_string(),
        message: format!(
            "built without the `{feature}` feature: rebuild with `--features {feature}`"
        ),
        fatal: true,
    }
}

/// Builds a source from its spec. File replays start after `skip` items.
///
/// # Errors
///
/// The file cannot be opened, the device cannot be used, or the binary was built without the feature
/// the source needs.
pub fn open_source(
    spec: &SourceSpec,
    name: String,
    cfg: &Config,
    skip: u64,
    stop: Arc<AtomicBool>,
) -> Result<Box<dyn Source>, SourceError> {
    match spec {
        SourceSpec::Pcap(p) => Ok(Box::new(crate::replay::PcapReplay::open(
            name, p, cfg.replay, skip, stop,
        )?)),
        SourceSpec::Iq(p) => {
            let format = match &cfg.iq_format {
                Some(f) => Some(f.parse::<dsp::iq::IqFormat>().map_err(|e| SourceError {
                    source_name: name.clone(),
                    message: format!("iq_format {f}: {e}"),
                    fatal: true,
                })?),
                None => None,
            };
            let opts = dsp::rx::DecodeOptions {
                source: dsp::iq::SourceOptions {
                    format,
                    sample_rate: cfg.sample_rate,
                    center_freq: cfg.center_freq,
                },
                mode: dsp::fec::DecodeMode::Turbo,
            };
            Ok(Box::new(crate::replay::IqReplay::open(
                name, p, opts, cfg.replay, skip, stop,
            )?))
        }
        #[cfg(feature = "wifi")]
        SourceSpec::Wifi(iface) => crate::source::wifi::open(iface, &cfg.wifi),
        #[cfg(not(feature = "wifi"))]
        SourceSpec::Wifi(_) => Err(missing(spec, "wifi")),
        #[cfg(feature = "ble")]
        SourceSpec::Ble(adapter) => crate::source::ble::open(adapter, &cfg.ble),
        #[cfg(not(feature = "ble"))]
        SourceSpec::Ble(_) => Err(missing(spec, "ble")),
        #[cfg(feature = "sdr")]
        SourceSpec::Sdr(args) => crate::source::sdr::open(args, &cfg.sdr),
        #[cfg(not(feature = "sdr"))]
        SourceSpec::Sdr(_) => Err(missing(spec, "sdr")),
    }
}

/// Unique, stable names: the spec as written, with `#2`, `#3`... for repeats. Replay positions are kept
/// under these names, so a restart with the same `--source` list resumes each file where it stopped.
pub fn source_names(specs: &[SourceSpec]) -> Vec<String> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    specs
        .iter()
        .map(|s| {
            let base = s.to_string();
            let n = seen.entry(base.clone()).or_insert(0);
            *n += 1;
            if *n == 1 {
                base
            } else {
                format!("{base}#{n}")
            }
        })
        .collect()
}

/// The decode transform of one source thread: items → counted events → contract JSON lines.
struct SourceTask {
    index: usize,
    replay: bool,
    skip: u64,
    counters: Arc<SourceCounters>,
    opts: contract::Options,
    out: SyncSender<Spooled>,
    stop: Arc<AtomicBool>,
}

fn source_loop(mut src: Box<dyn Source>, t: &SourceTask) {
    let (index, replay, counters, opts, out, stop) =
        (t.index, t.replay, &*t.counters, &t.opts, &t.out, &*t.stop);
    let mut items = t.skip;
    let mut scratch: Vec<capture::Detection> = Vec::new();
    // Drops inside the source (adapter queues, failed bursts) are read into the counters this often.
    const DROPS_EVERY: Duration = Duration::from_millis(250);
    let mut drops_read = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        if drops_read.elapsed() >= DROPS_EVERY {
            counters.set_source_drops(&src.drops());
            drops_read = Instant::now();
        }
        let item = match src.next() {
            Ok(Some(Item::Idle)) => continue,
            Ok(Some(i)) => i,
            Ok(None) => break,
            Err(e) => {
                counters.emit(Event::Error {
                    message: &e.to_string(),
                    fatal: e.fatal,
                });
                if e.fatal {
                    break;
                }
                continue;
            }
        };
        items += 1;
        counters.emit(Event::Frame);
        scratch.clear();
        match item {
            Item::Frame { link, time, data } => {
                match capture::decode_frame(link, time, items, &data, &mut scratch) {
                    capture::FrameOutcome::Detections(n) => counters.emit(Event::Detections(n)),
                    capture::FrameOutcome::Other => counters.emit(Event::Other),
                    capture::FrameOutcome::Dropped(r) => counters.emit(Event::Dropped(r)),
                }
            }
            Item::Detection(d) => {
                counters.emit(Event::Detections(1));
                scratch.push(d);
            }
            Item::Idle => {}
        }
        if scratch.is_empty() {
            continue;
        }
        let lines = scratch
            .iter()
            .map(|d| contract::DetectionLine::from_detection(d, opts).to_json())
            .collect();
        let msg = Spooled {
            lines,
            position: replay.then_some((index, items)),
        };
        if out.send(msg).is_err() {
            break;
        }
    }
    counters.set_source_drops(&src.drops());
    counters.emit(Event::Finished);
}

/// The spool writer: everything waiting in the channel goes into one transaction.
fn writer_loop(
    rx: &Receiver<Spooled>,
    spool: &Mutex<Spool>,
    names: &[String],
    stop: &AtomicBool,
) -> Result<(), SpoolError> {
    const MAX_GROUP: usize = 20_000;
    let mut lines: Vec<String> = Vec::new();
    let mut positions: HashMap<usize, u64> = HashMap::new();
    let mut stopping_since: Option<Instant> = None;
    loop {
        let first = match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(m) => Some(m),
            Err(RecvTimeoutError::Disconnected) => return Ok(()),
            Err(RecvTimeoutError::Timeout) => None,
        };
        if stop.load(Ordering::Relaxed) {
            let since = *stopping_since.get_or_insert_with(Instant::now);
            // Sources stop at their next item; one blocked in a device read is not waited for.
            if first.is_none() && since.elapsed() > Duration::from_secs(1) {
                return Ok(());
            }
        }
        let Some(first) = first else { continue };
        let take = |m: Spooled, lines: &mut Vec<String>, positions: &mut HashMap<usize, u64>| {
            if let Some((i, n)) = m.position {
                let p = positions.entry(i).or_insert(0);
                *p = (*p).max(n);
            }
            lines.extend(m.lines);
        };
        take(first, &mut lines, &mut positions);
        while lines.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(m) => take(m, &mut lines, &mut positions),
                Err(_) => break,
            }
        }
        let pos: Vec<(String, u64)> = positions
            .drain()
            .filter_map(|(i, n)| names.get(i).map(|s| (s.clone(), n)))
            .collect();
        spool
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .append(&lines, &pos)?;
        lines.clear();
    }
}

/// Answers every connection on the status address with the status as JSON. Hand-written: one route, one
/// answer, local only; an HTTP framework would be the agent's only async dependency for it.
fn status_page(listener: std::net::TcpListener, monitor: &Monitor, stop: &AtomicBool) {
    let _ = listener.set_nonblocking(true);
    while !stop.load(Ordering::Relaxed) {
        match listener.accept() {
            Ok((mut s, _)) => {
                let _ = s.set_nonblocking(false);
                let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
                let mut buf = [0u8; 2048];
                let _ = s.read(&mut buf);
                let body = serde_json::to_string_pretty(&monitor.status()).unwrap_or_default();
                let _ = write!(
                    s,
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
                     Connection: close\r\n\r\n{body}",
                    body.len()
                );
            }
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
}

fn sleep_unless_stopped(d: Duration, stop: &AtomicBool) {
    let until = Instant::now() + d;
    while !stop.load(Ordering::Relaxed) && Instant::now() < until {
        std::thread::sleep((until - Instant::now()).min(Duration::from_millis(50)));
    }
}

fn send_heartbeat(monitor: &Monitor) {
    let hb = monitor.heartbeat();
    let body = serde_json::to_vec(&hb).unwrap_or_default();
    match monitor.http.post("heartbeat", "application/json", body) {
        crate::uplink::Answer::Ok(_) => tracing::debug!("heartbeat sent"),
        crate::uplink::Answer::Status(s, b) => {
            tracing::warn!(status = s, body = %b, "heartbeat refused")
        }
        crate::uplink::Answer::Failed(e) => tracing::debug!(error = %e, "heartbeat not sent"),
    }
}

/// A stop flag set by SIGINT or SIGTERM (graceful shutdown); a second signal while stopping ends the
/// process at once.
///
/// # Errors
///
/// The signal handlers cannot be installed.
pub fn stop_on_signals() -> std::io::Result<Arc<AtomicBool>> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [SIGINT, SIGTERM] {
        // Order matters: the first signal only sets the flag; once it is set, the next one exits.
        signal_hook::flag::register_conditional_shutdown(sig, 130, stop.clone())?;
        signal_hook::flag::register(sig, stop.clone())?;
    }
    Ok(stop)
}

/// Runs the sensor until `stop` is set, a fatal error, or — when every source is a finite replay — until
/// every detection is acknowledged.
///
/// # Errors
///
/// A bad configuration, a spool that cannot be opened or written, a token the server refuses, a status
/// address that cannot be bound.
pub fn run(cfg: &Config, stop: Arc<AtomicBool>) -> Result<Outcome, RunError> {
    cfg.validate()?;
    let spool = Spool::open(&cfg.spool_dir, cfg.limits())?;
    let positions = spool.positions()?;
    let spool = Arc::new(Mutex::new(spool));
    let http = Http::new(&cfg.server, &cfg.token, cfg.ca_cert.as_deref())?;
    let names = source_names(&cfg.sources);
    let counters: Vec<Arc<SourceCounters>> = names
        .iter()
        .map(|n| Arc::new(SourceCounters::new(n.clone())))
        .collect();
    let fixed = Position {
        lat: cfg.lat,
        lon: cfg.lon,
        alt_m: cfg.alt_m,
    };
    let monitor = Arc::new(Monitor {
        sources: counters.clone(),
        spool: spool.clone(),
        uplink: Arc::new(UplinkCounters::default()),
        http: http.clone(),
        position: Mutex::new(fixed),
        position_source: if cfg.gpsd.is_some() {
            "gpsd"
        } else if cfg.lat.is_some() {
            "fixed"
        } else {
            "none"
        },
        started: Instant::now(),
    });
    let status_listener = match cfg.status_listen {
        Some(addr) => {
            Some(
                std::net::TcpListener::bind(addr).map_err(|e| RunError::StatusPage {
                    addr: addr.to_string(),
                    message: e.to_string(),
                })?,
            )
        }
        None => None,
    };
    // DJI altitude units as `skytrace decode` and `skytrace replay` print them.
    let opts = contract::Options {
        dji_altitude: wire::dji::AltitudeScaling {
            altitude: wire::dji::AltitudeUnit::Metres,
            height: wire::dji::AltitudeUnit::Decimetres,
        },
    };

    // Sources are opened here, before any thread starts, so that a missing file, a device that cannot be
    // used or a feature left out of the build is an error of the run, not a log line.
    let mut opened = Vec::new();
    for (i, spec) in cfg.sources.iter().enumerate() {
        let name = names[i].clone();
        let skip = if spec.is_replay() {
            positions.get(&name).copied().unwrap_or(0)
        } else {
            0
        };
        if skip > 0 {
            tracing::info!(source = %name, skip, "resuming the replay after what the spool holds");
        }
        let src = open_source(spec, name, cfg, skip, stop.clone())?;
        opened.push((i, spec.is_replay(), skip, src));
    }
    let (tx, rx) = mpsc::sync_channel::<Spooled>(4096);
    for (i, replay, skip, src) in opened {
        let task = SourceTask {
            index: i,
            replay,
            skip,
            counters: counters[i].clone(),
            opts,
            out: tx.clone(),
            stop: stop.clone(),
        };
        std::thread::Builder::new()
            .name(format!("source-{i}"))
            .spawn(move || source_loop(src, &task))
            .map_err(|_| RunError::Thread("source"))?;
    }
    drop(tx);

    let writer_done = Arc::new(AtomicBool::new(false));
    let writer = {
        let (spool, stop, done, names) = (
            spool.clone(),
            stop.clone(),
            writer_done.clone(),
            names.clone(),
        );
        std::thread::Builder::new()
            .name("spool".into())
            .spawn(move || {
                let r = writer_loop(&rx, &spool, &names, &stop);
                if let Err(e) = &r {
                    tracing::error!(error = %e, "the spool cannot be written: stopping");
                    stop.store(true, Ordering::Relaxed);
                }
                done.store(true, Ordering::Relaxed);
                r
            })
            .map_err(|_| RunError::Thread("spool"))?
    };

    let mut helpers = Vec::new();
    {
        let (m, stop) = (monitor.clone(), stop.clone());
        let every = Duration::from_secs_f64(cfg.heartbeat_s);
        let gpsd = cfg.gpsd.clone();
        helpers.push(std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                if let Some(addr) = &gpsd {
                    match crate::health::gpsd_fix(addr, Duration::from_secs(3)) {
                        Ok(p) => *m.position.lock().unwrap_or_else(|p| p.into_inner()) = p,
                        Err(e) => tracing::warn!(error = %e, "no position from gpsd"),
                    }
                }
                send_heartbeat(&m);
                sleep_unless_stopped(every, &stop);
            }
        }));
    }
    if cfg.status.unwrap_or(false) {
        let (m, stop) = (monitor.clone(), stop.clone());
        helpers.push(std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                sleep_unless_stopped(Duration::from_secs(5), &stop);
                eprintln!("{}", m.status_line());
            }
        }));
    }
    if let Some(l) = status_listener {
        let (m, stop) = (monitor.clone(), stop.clone());
        helpers.push(std::thread::spawn(move || status_page(l, &m, &stop)));
    }

    let up_cfg = UplinkConfig {
        batch_lines: cfg.batch_lines,
        // Well under the server's default 16 MiB body limit.
        batch_bytes: 4 << 20,
        retry_max: Duration::from_secs_f64(cfg.retry_max_s),
        linger: Duration::from_millis(100),
    };
    let all_done = || writer_done.load(Ordering::Relaxed) && counters.iter().all(|c| c.finished());
    let uplinked = crate::uplink::run(&http, &spool, up_cfg, &monitor.uplink, &stop, &all_done);
    stop.store(true, Ordering::Relaxed);
    let written = writer.join().map_err(|_| RunError::Thread("spool"))?;
    for h in helpers {
        let _ = h.join();
    }
    // A last heartbeat with the final counters (best effort).
    if !matches!(uplinked, Err(UplinkError::Unauthorized { .. })) {
        send_heartbeat(&monitor);
    }
    uplinked?;
    written?;
    Ok(Outcome {
        status: monitor.status(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_stable() {
        let specs: Vec<SourceSpec> = ["pcap:a", "wifi:wlan0", "pcap:a", "pcap:a"]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        assert_eq!(
            source_names(&specs),
            ["pcap:a", "wifi:wlan0", "pcap:a#2", "pcap:a#3"]
        );
    }

    /// A live source on a quiet channel: `Idle` every 10 ms, and drops counted inside it.
    struct Quiet {
        dropped: Arc<std::sync::atomic::AtomicU64>,
    }

    impl Source for Quiet {
        fn name(&self) -> &str {
            "quiet"
        }
        fn next(&mut self) -> Result<Option<Item>, SourceError> {
            std::thread::sleep(Duration::from_millis(10));
            Ok(Some(Item::Idle))
        }
        fn drops(&self) -> Vec<(&'static str, u64)> {
            vec![("queue-full", self.dropped.load(Ordering::Relaxed))]
        }
    }

    /// A silent source stops with the pipeline, Idle counts as nothing, and the drops it counted reach
    /// the source's counters (while it runs and at the end).
    #[test]
    fn a_silent_source_stops_and_its_drops_are_counted() {
        let dropped = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let counters = Arc::new(SourceCounters::new("quiet".into()));
        let stop = Arc::new(AtomicBool::new(false));
        let (tx, rx) = mpsc::sync_channel(4);
        let task = SourceTask {
            index: 0,
            replay: false,
            skip: 0,
            counters: counters.clone(),
            opts: contract::Options::default(),
            out: tx,
            stop: stop.clone(),
        };
        let src = Box::new(Quiet {
            dropped: dropped.clone(),
        });
        let thread = std::thread::spawn(move || source_loop(src, &task));
        dropped.store(7, Ordering::Relaxed);
        let deadline = Instant::now() + Duration::from_secs(10);
        while counters.snapshot().dropped.get("queue-full") != Some(&7) {
            assert!(Instant::now() < deadline, "{:?}", counters.snapshot());
            std::thread::sleep(Duration::from_millis(20));
        }
        dropped.store(9, Ordering::Relaxed);
        let asked = Instant::now();
        stop.store(true, Ordering::Relaxed);
        thread.join().unwrap();
        assert!(
            asked.elapsed() < Duration::from_secs(1),
            "{:?}",
            asked.elapsed()
        );
        let s = counters.snapshot();
        assert!(s.finished);
        assert_eq!(
            (s.frames, s.detections, s.other),
            (0, 0, 0),
            "Idle is no frame"
        );
        assert_eq!(s.dropped.get("queue-full"), Some(&9), "totals, not sums");
        assert!(rx.try_recv().is_err(), "nothing spooled");
    }

    #[test]
    fn live_sources_without_their_feature_say_how_to_rebuild() {
        let cfg = Config::default();
        for (spec, feature) in [
            ("wifi:wlan0", "wifi"),
            ("ble:hci0", "ble"),
            ("sdr:driver=x", "sdr"),
        ] {
            let spec: SourceSpec = spec.parse().unwrap();
            let r = open_source(
                &spec,
                spec.to_string(),
                &cfg,
                0,
                Arc::new(AtomicBool::new(false)),
            );
            let enabled = match feature {
                "wifi" => cfg!(feature = "wifi"),
                "ble" => cfg!(feature = "ble"),
                _ => cfg!(feature = "sdr"),
            };
            if !enabled {
                let e = r.err().unwrap();
                assert!(e.fatal);
                assert!(e.message.contains(&format!("--features {feature}")), "{e}");
            }
        }
    }
}
