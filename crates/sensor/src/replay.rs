//! File replay sources (`pcap_file`, `iq_file`): a capture or IQ recording played back as if it were
//! live, for tests, demos and lab work.
//!
//! Pacing: at the capture's own pace (a record is due when as much wall time has passed since the start of
//! the pass as capture time since its first record), or at a set rate of *detections* per second (records
//! that carry no broadcast are passed on at once). Time stamps are shifted onto the wall clock, so a loop
//! replays "live" detections, never copies of old ones.
//!
//! Resume: a replay source starts after `skip` items (the number it had handed over when the spool last
//! committed, see [`crate::spool::Spool::append`]), without pacing them; with loops, items count across
//! passes.

use crate::config::Replay;
use crate::source::{Item, Source, SourceError};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn wall_ns() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp_nanos() as i64
}

/// The error that ends a replay source: its file cannot be (re)opened or read.
fn fatal(source_name: &str, message: String) -> SourceError {
    SourceError {
        source_name: source_name.to_owned(),
        message,
        fatal: true,
    }
}

/// Decides when each item is due and what time stamp it carries.
#[derive(Debug)]
struct Pacer {
    replay: Replay,
    /// Start of the current pass: wall instant, wall clock (ns) and the first capture time (ns).
    origin: Option<(Instant, i64, i64)>,
    /// Detections paced in this pass (rate mode).
    paced: u64,
    /// Passes started so far (the first counts).
    passes: u64,
    /// The current pass has yielded at least one item (an empty file must not loop forever).
    any: bool,
    stop: Arc<AtomicBool>,
}

impl Pacer {
    fn new(replay: Replay, stop: Arc<AtomicBool>) -> Pacer {
        Pacer {
            replay,
            origin: None,
            paced: 0,
            passes: 1,
            any: false,
            stop,
        }
    }

    /// At the end of a pass: whether to play the file again (loop on, the pass was not empty, and the
    /// `loops` limit not reached); if so the next pass is started.
    fn next_pass(&mut self) -> bool {
        let r = self.replay;
        if !r.repeat || !self.any || r.loops.is_some_and(|n| self.passes >= n) {
            return false;
        }
        self.passes += 1;
        self.any = false;
        self.origin = None;
        self.paced = 0;
        true
    }

    /// Waits until an item of capture time `t` carrying `detections` detections is due; returns its live
    /// time stamp, or `None` when the pipeline is stopping.
    fn wait(&mut self, t: i64, detections: usize) -> Option<i64> {
        let (w0, c0, t0) = *self.origin.get_or_insert((Instant::now(), wall_ns(), t));
        let due = match self.replay.rate {
            None => {
                let ahead = t.saturating_sub(t0).max(0);
                w0 + Duration::from_nanos(u64::try_from(ahead).unwrap_or(0))
            }
            Some(rate) if detections > 0 => {
                let due = w0 + Duration::from_secs_f64((self.paced as f64 / rate).min(1e9));
                self.paced += detections as u64;
                due
            }
            Some(_) => Instant::now(),
        };
        loop {
            if self.stop.load(Ordering::Relaxed) {
                return None;
            }
            let now = Instant::now();
            if due <= now {
                break;
            }
            // Short slices so that a stop request is seen quickly even in a long capture gap.
            std::thread::sleep((due - now).min(Duration::from_millis(100)));
        }
        Some(match self.replay.rate {
            None => c0.saturating_add(t.saturating_sub(t0)),
            Some(_) => wall_ns(),
        })
    }
}

/// Replays a pcap, pcapng or btsnoop capture as raw frames ([`Item::Frame`]).
pub struct PcapReplay {
    name: String,
    path: PathBuf,
    records: capture::Records,
    pacer: Pacer,
    skip: u64,
    scratch: Vec<capture::Detection>,
}

impl PcapReplay {
    /// Opens the capture.
    ///
    /// # Errors
    ///
    /// The file cannot be opened or is no capture (the message names the file and offset).
    pub fn open(
        name: String,
        path: &Path,
        replay: Replay,
        skip: u64,
        stop: Arc<AtomicBool>,
    ) -> Result<PcapReplay, SourceError> {
        let records = capture::Records::open(path).map_err(|e| fatal(&name, e.to_string()))?;
        Ok(PcapReplay {
            name,
            path: path.to_path_buf(),
            records,
            pacer: Pacer::new(replay, stop),
            skip,
            scratch: Vec::new(),
        })
    }

    /// The next record, reopening the file for the next pass when looping.
    fn record(&mut self) -> Result<Option<capture::RawRecord>, SourceError> {
        loop {
            match self.records.next() {
                Some(Ok(r)) => {
                    self.pacer.any = true;
                    return Ok(Some(r));
                }
                Some(Err(e)) => return Err(fatal(&self.name, e.to_string())),
                None => {
                    if !self.pacer.next_pass() {
                        return Ok(None);
                    }
                    self.records = capture::Records::open(&self.path)
                        .map_err(|e| fatal(&self.name, e.to_string()))?;
                }
            }
        }
    }
}

impl Source for PcapReplay {
    fn name(&self) -> &str {
        &self.name
    }

    fn next(&mut self) -> Result<Option<Item>, SourceError> {
        while self.skip > 0 {
            if self.record()?.is_none() {
                return Ok(None);
            }
            self.skip -= 1;
        }
        let Some(rec) = self.record()? else {
            return Ok(None);
        };
        // Decoded here only to count detections for the rate; the pipeline's decode step does the real
        // work on the item, with the live time stamp.
        let n = if rec.dropped.is_some() || self.pacer.replay.rate.is_none() {
            0
        } else {
            self.scratch.clear();
            match capture::decode_frame(rec.link, rec.time, rec.frame, &rec.data, &mut self.scratch)
            {
                capture::FrameOutcome::Detections(n) => n,
                _ => 0,
            }
        };
        let Some(time) = self.pacer.wait(rec.time, n) else {
            return Ok(None);
        };
        // A record the container could not deliver goes on as an empty frame, which the decode step
        // counts as dropped.
        Ok(Some(Item::Frame {
            link: rec.link,
            time,
            data: rec.data,
        }))
    }
}

/// Replays an IQ recording through the OcuSync receiver; each decoded DroneID burst is an
/// [`Item::Detection`]. Bursts that fail (cut off, CRC24A, DJI CRC16) are logged and not handed over, as
/// the live SDR adapter does; items (for resuming) count decoded bursts only.
pub struct IqReplay {
    name: String,
    path: PathBuf,
    opts: dsp::rx::DecodeOptions,
    bursts: dsp::rx::Bursts,
    pacer: Pacer,
    skip: u64,
    index: u64,
    base_ns: i64,
}

impl IqReplay {
    /// Opens the recording.
    ///
    /// # Errors
    ///
    /// The file cannot be opened, or its format or sample rate is unknown.
    pub fn open(
        name: String,
        path: &Path,
        opts: dsp::rx::DecodeOptions,
        replay: Replay,
        skip: u64,
        stop: Arc<AtomicBool>,
    ) -> Result<IqReplay, SourceError> {
        let bursts = dsp::rx::Bursts::open(path, &opts)
            .map_err(|e| fatal(&name, format!("{}: {e}", path.display())))?;
        Ok(IqReplay {
            name,
            path: path.to_path_buf(),
            opts,
            bursts,
            pacer: Pacer::new(replay, stop),
            skip,
            index: 0,
            base_ns: 0,
        })
    }

    fn burst(&mut self) -> Result<Option<dsp::rx::Burst>, SourceError> {
        loop {
            match self.bursts.next() {
                Some(Ok(b)) => {
                    self.pacer.any = true;
                    self.index += 1;
                    return Ok(Some(b));
                }
                Some(Err(e)) => {
                    return Err(fatal(&self.name, format!("{}: {e}", self.path.display())))
                }
                None => {
                    if !self.pacer.next_pass() {
                        return Ok(None);
                    }
                    self.index = 0;
                    self.bursts = dsp::rx::Bursts::open(&self.path, &self.opts)
                        .map_err(|e| fatal(&self.name, format!("{}: {e}", self.path.display())))?;
                }
            }
        }
    }
}

impl Source for IqReplay {
    fn name(&self) -> &str {
        &self.name
    }

    fn next(&mut self) -> Result<Option<Item>, SourceError> {
        loop {
            let Some((b, record)) = self.decoded()? else {
                return Ok(None);
            };
            if self.skip > 0 {
                self.skip -= 1;
                continue;
            }
            let t = self.base_ns + (b.start_time_s * 1e9) as i64;
            let Some(time) = self.pacer.wait(t, 1) else {
                return Ok(None);
            };
            return Ok(Some(Item::Detection(capture::Detection {
                time,
                frame: self.index,
                transport: capture::Transport::DjiOcusync,
                mac: None,
                rssi_dbm: None,
                freq_mhz: b.freq_hz.map(|f| (f / 1e6).round() as u32),
                channel: None,
                ssid: None,
                counter: None,
                messages: vec![capture::Message::Dji(capture::DjiRecord::new(&record))],
                partial: false,
            })));
        }
    }
}

impl IqReplay {
    /// The next burst that decoded to a valid DJI frame, with the frame's record bytes.
    fn decoded(&mut self) -> Result<Option<(dsp::rx::Burst, Vec<u8>)>, SourceError> {
        while let Some(b) = self.burst()? {
            let record = match (&b.outcome, b.frame()) {
                (dsp::rx::Outcome::Decoded(_), Some(Ok(f))) => f.record_bytes().to_vec(),
                (outcome, frame) => {
                    tracing::debug!(source = %self.name, start_s = b.start_time_s,
                        outcome = ?outcome, frame_error = ?frame.and_then(Result::err),
                        "OcuSync burst not decoded");
                    continue;
                }
            };
            return Ok(Some((b, record)));
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stop() -> Arc<AtomicBool> {
        Arc::new(AtomicBool::new(false))
    }

    fn replay(rate: f64, repeat: bool, loops: Option<u64>) -> Replay {
        Replay {
            rate: Some(rate),
            repeat,
            loops,
        }
    }

    fn frames(src: &mut dyn Source) -> Vec<Item> {
        let mut out = Vec::new();
        while let Some(i) = src.next().unwrap() {
            out.push(i);
        }
        out
    }

    #[test]
    fn loops_skip_and_shift_time() {
        let Some(file) = testdata::file("remoteid", "odid_wifi_sample.pcap") else {
            return;
        };
        let fast = replay(1e6, true, Some(3));
        let mut src = PcapReplay::open("p".into(), &file, fast, 0, stop()).unwrap();
        let all = frames(&mut src);
        let once = capture::Records::open(&file).unwrap().count();
        assert_eq!(all.len(), 3 * once);
        let now = wall_ns();
        for i in &all {
            let Item::Frame { time, .. } = i else {
                panic!("frames only")
            };
            // Live: within a minute of now, not the capture's 2021 time stamps.
            assert!((now - time).abs() < 60_000_000_000, "{time}");
        }
        // Resuming after 5 items yields the rest, in order.
        let mut src = PcapReplay::open("p".into(), &file, fast, 5, stop()).unwrap();
        let rest = frames(&mut src);
        assert_eq!(rest.len(), 3 * once - 5);
        let data = |i: &Item| match i {
            Item::Frame { data, .. } => data.clone(),
            Item::Detection(_) | Item::Idle => Vec::new(),
        };
        assert_eq!(
            rest.iter().map(data).collect::<Vec<_>>(),
            all[5..].iter().map(data).collect::<Vec<_>>()
        );
    }

    #[test]
    fn rate_paces_detections() {
        let Some(file) = testdata::file("remoteid", "odid_wifi_bcn_sample.pcap") else {
            return;
        };
        // 21 detections at 100/s: the last is due 0.2 s after the first.
        let r = replay(100.0, false, None);
        let mut src = PcapReplay::open("p".into(), &file, r, 0, stop()).unwrap();
        let t = Instant::now();
        let n = frames(&mut src).len();
        let took = t.elapsed();
        assert!(n >= 21);
        assert!(
            took >= Duration::from_millis(195) && took < Duration::from_secs(2),
            "{took:?}"
        );
    }

    #[test]
    fn a_stop_request_ends_a_paced_replay() {
        let Some(file) = testdata::file("remoteid", "odid_wifi_bcn_sample.pcap") else {
            return;
        };
        let r = replay(1.0, true, None);
        let s = stop();
        let mut src = PcapReplay::open("p".into(), &file, r, 0, s.clone()).unwrap();
        assert!(src.next().unwrap().is_some());
        s.store(true, Ordering::Relaxed);
        let t = Instant::now();
        while src.next().unwrap().is_some() {}
        assert!(t.elapsed() < Duration::from_millis(500));
    }

    #[test]
    fn iq_recordings_yield_ocusync_detections_and_resume() {
        let Some(file) = testdata::file("ocusync", "mavic_air_2.sigmf-data") else {
            return;
        };
        let fast = replay(1e6, true, Some(2));
        let opts = dsp::rx::DecodeOptions {
            source: dsp::iq::SourceOptions::default(),
            mode: dsp::fec::DecodeMode::Turbo,
        };
        let mut src = IqReplay::open("iq".into(), &file, opts.clone(), fast, 0, stop()).unwrap();
        let all = frames(&mut src);
        // Three of the four bursts decode (`mavic_air_2.expected.json`; the fourth is cut off), twice.
        assert_eq!(all.len(), 6);
        for i in &all {
            let Item::Detection(d) = i else {
                panic!("detections only")
            };
            assert_eq!(d.transport, capture::Transport::DjiOcusync);
        }
        // Resuming after 4 items yields the last two, the same records.
        let mut src = IqReplay::open("iq".into(), &file, opts, fast, 4, stop()).unwrap();
        let rest = frames(&mut src);
        let messages = |items: &[Item]| -> Vec<Vec<capture::Message>> {
            items
                .iter()
                .map(|i| match i {
                    Item::Detection(d) => d.messages.clone(),
                    Item::Frame { .. } | Item::Idle => Vec::new(),
                })
                .collect()
        };
        assert_eq!(messages(&rest), messages(&all[4..]));
    }

    #[test]
    fn unreadable_files_are_fatal_and_named() {
        let e = PcapReplay::open(
            "pcap:/nope".into(),
            Path::new("/nope/x.pcap"),
            Replay::default(),
            0,
            stop(),
        )
        .err()
        .unwrap();
        assert!(e.fatal);
        assert!(e.to_string().contains("/nope/x.pcap"), "{e}");
    }
}
