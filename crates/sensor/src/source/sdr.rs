//! Live SDR capture of DJI DroneID over OcuSync (cargo feature `sdr` = `dsp/soapy`): `dsp::soapy::run`
//! tunes a SoapySDR radio along the `dsp::sweep` DroneID channel sweep and feeds the streaming
//! `dsp::rx::Receiver`; every burst whose transport block and DJI frame check out becomes an
//! [`Item::Detection`] (transport `dji-ocusync`), the rest are counted as dropped.
//!
//! The radio loop runs on its own thread and hands items over a bounded queue. [`spawn`] takes the burst
//! producer as a closure, so the tests run the whole source — thread, conversion, queue, shutdown — with
//! a producer that pushes a real IQ recording through the same receiver; only the SoapySDR calls are
//! left untested here.
//!
//! Configuration ([`SdrConfig`]):
//!
//! ```toml
//! sample_rate = 20e6        # Hz
//! gain_db = 40              # absent: automatic gain
//! channels_mhz = [2414.5]   # default: the DroneID channel list of dsp::sweep
//! dwell_ms = 1300
//! hold_ms = 10000
//! ```

pub use super::settings::SdrConfig;
use super::{queue, Item, Source, SourceError};
use dsp::rx::{Burst, Outcome};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

impl SdrConfig {
    /// The `dsp::soapy` configuration for device arguments `args`.
    ///
    /// # Errors
    ///
    /// A message naming the bad field.
    pub fn soapy(&self, args: &str) -> Result<dsp::soapy::SoapyConfig, String> {
        if !(self.sample_rate.is_finite() && self.sample_rate >= 10e6) {
            return Err(format!(
                "sample_rate {} Hz: at least 10e6 is needed for the 9 MHz OcuSync band",
                self.sample_rate
            ));
        }
        if let Some((i, f)) = self
            .channels_mhz
            .iter()
            .enumerate()
            .find(|(_, f)| !(f.is_finite() && **f > 0.0))
        {
            return Err(format!("channels_mhz[{i}]: {f} is not a frequency"));
        }
        if self.dwell_ms == 0 {
            return Err("dwell_ms must be at least 1".into());
        }
        if self.queue == 0 {
            return Err("queue must be at least 1".into());
        }
        let mut c = dsp::soapy::SoapyConfig::new(args);
        c.sample_rate = self.sample_rate;
        c.gain_db = self.gain_db;
        if !self.channels_mhz.is_empty() {
            c.channels_hz = self.channels_mhz.iter().map(|m| m * 1e6).collect();
        }
        c.dwell = std::time::Duration::from_millis(self.dwell_ms);
        c.hold = std::time::Duration::from_millis(self.hold_ms);
        Ok(c)
    }
}

/// What one burst is to the sensor.
#[derive(Debug, Clone, PartialEq)]
pub enum BurstOutcome {
    /// A DroneID frame that passed CRC24A and the DJI CRC16.
    Detection(capture::Detection),
    /// A burst that was detected but must not be reported, with the reason (as `skytrace decode
    /// --summary` names it).
    Dropped(String),
}

/// Turns a burst heard with the radio tuned to `center_hz` into a detection (`time` Unix ns, `frame`
/// the burst's 1-based index). The burst's own absolute frequency is used when the receiver knows it.
/// No telemetry is ever taken from a burst that failed a CRC.
pub fn burst_outcome(center_hz: f64, burst: &Burst, time: i64, frame: u64) -> BurstOutcome {
    match &burst.outcome {
        Outcome::Truncated => return BurstOutcome::Dropped("truncated-burst".into()),
        Outcome::Failed(f) => return BurstOutcome::Dropped(format!("undecodable-burst ({f})")),
        Outcome::Decoded(_) => {}
    }
    let record = match burst.frame() {
        Some(Ok(f)) => f.record_bytes().to_vec(),
        Some(Err(dsp::frame::FrameError::Crc16 { .. })) => {
            return BurstOutcome::Dropped("bad-crc16".into())
        }
        Some(Err(e)) => return BurstOutcome::Dropped(format!("bad-frame ({e})")),
        None => return BurstOutcome::Dropped("no-frame".into()),
    };
    let freq_hz = burst.freq_hz.unwrap_or(center_hz + burst.freq_offset_hz);
    BurstOutcome::Detection(capture::Detection {
        time,
        frame,
        transport: capture::Transport::DjiOcusync,
        mac: None,
        rssi_dbm: None,
        freq_mhz: (freq_hz.is_finite() && freq_hz > 0.0).then(|| (freq_hz / 1e6).round() as u32),
        channel: None,
        ssid: None,
        counter: None,
        messages: vec![capture::Message::Dji(capture::DjiRecord::new(&record))],
        partial: false,
    })
}

/// Produces bursts until `keep_going` returns false, calling `on_burst(center_hz, burst)` for each.
pub type Producer =
    Box<dyn FnOnce(&dyn Fn() -> bool, &mut dyn FnMut(f64, Burst)) -> Result<(), String> + Send>;

/// An SDR source: the receiving end of the radio thread's queue. Dropping it stops the radio.
pub struct SdrSource {
    name: String,
    queue: queue::Receiver,
    stop: Arc<AtomicBool>,
    counters: Arc<Counters>,
}

/// What the radio thread counted.
#[derive(Debug, Default)]
pub struct Counters {
    /// Bursts the receiver detected.
    pub bursts: AtomicU64,
    /// Bursts not reported (failed CRC, cut off, invalid frame).
    pub dropped_bursts: AtomicU64,
}

impl SdrSource {
    /// The radio thread's counters.
    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    /// Detections dropped because the queue was full.
    pub fn dropped_queue_full(&self) -> u64 {
        self.queue.dropped()
    }
}

impl Drop for SdrSource {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

impl Source for SdrSource {
    fn name(&self) -> &str {
        &self.name
    }

    fn next(&mut self) -> Result<Option<Item>, SourceError> {
        // No burst decoded meanwhile: `Idle`, back to the pipeline, which may be stopping. `None`: the
        // producer returned without error, the stream ended.
        self.queue.next()
    }

    fn drops(&self) -> Vec<(&'static str, u64)> {
        let c = &self.counters;
        vec![
            ("bad-burst", c.dropped_bursts.load(Ordering::Relaxed)),
            ("queue-full", self.dropped_queue_full()),
        ]
    }
}

fn fatal(name: &str, message: String) -> SourceError {
    SourceError {
        source_name: name.to_owned(),
        message,
        fatal: true,
    }
}

fn now_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Runs `producer` on a thread named `name` and returns the source of its detections. Detections are
/// stamped with the wall-clock time they leave the receiver.
///
/// # Errors
///
/// The thread cannot be started.
pub fn spawn(name: &str, queue: usize, producer: Producer) -> Result<SdrSource, SourceError> {
    let (tx, rx) = queue::bounded(queue);
    let stop = Arc::new(AtomicBool::new(false));
    let counters = Arc::new(Counters::default());
    let (stop2, counters2, name2) = (stop.clone(), counters.clone(), name.to_owned());
    std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(move || {
            let keep_going = || !stop2.load(Ordering::Relaxed);
            let mut on_burst = |center_hz: f64, burst: Burst| {
                let frame = counters2.bursts.fetch_add(1, Ordering::Relaxed) + 1;
                match burst_outcome(center_hz, &burst, now_ns(), frame) {
                    BurstOutcome::Detection(d) => {
                        if tx.offer(Item::Detection(d)) == queue::Offer::Closed {
                            stop2.store(true, Ordering::Relaxed);
                        }
                    }
                    BurstOutcome::Dropped(reason) => {
                        counters2.dropped_bursts.fetch_add(1, Ordering::Relaxed);
                        tracing::debug!(source = %name2, %reason, "OcuSync burst dropped");
                    }
                }
            };
            if let Err(m) = producer(&keep_going, &mut on_burst) {
                tx.fail(fatal(&name2, m));
            }
        })
        .map_err(|e| fatal(name, format!("cannot start the radio thread: {e}")))?;
    Ok(SdrSource {
        name: name.to_owned(),
        queue: rx,
        stop,
        counters,
    })
}

/// Opens the SoapySDR device `args` (e.g. `driver=hackrf`), named `sdr:ARGS`, and starts the sweep.
///
/// # Errors
///
/// Fatal [`SourceError`]s: an invalid configuration, no SoapySDR device matching `args` (the devices
/// found are listed). Errors of the radio after the start (configuration refused, stream lost) arrive
/// through [`Source::next`].
pub fn open(args: &str, cfg: &SdrConfig) -> Result<Box<dyn Source>, SourceError> {
    let name = format!("sdr:{args}");
    let soapy = cfg.soapy(args).map_err(|m| fatal(&name, m))?;
    let found = soapysdr::enumerate(args)
        .map_err(|e| fatal(&name, format!("SoapySDR device enumeration: {e}")))?;
    if found.is_empty() {
        let all = soapysdr::enumerate("")
            .map(|v| {
                v.iter()
                    .map(|a| a.to_string())
                    .collect::<Vec<_>>()
                    .join("; ")
            })
            .unwrap_or_default();
        let all = if all.is_empty() { "none".into() } else { all };
        return Err(fatal(
            &name,
            format!("no SoapySDR device matches {args:?} (devices found: {all}); check the driver module (SoapySDRUtil --find)"),
        ));
    }
    let producer: Producer = Box::new(move |keep_going, on_burst| {
        dsp::soapy::run(&soapy, keep_going, on_burst).map_err(|e| e.to_string())
    });
    Ok(Box::new(spawn(&name, cfg.queue, producer)?))
}

#[cfg(test)]
mod tests;
