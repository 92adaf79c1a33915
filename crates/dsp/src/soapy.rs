//! Live SDR input through SoapySDR (cargo feature `soapy`; system library from Debian's `libsoapysdr-dev`).
//!
//! A thin adapter: it tunes the radio along a [`Sweep`], reads CF32 samples and hands them to the same
//! streaming [`Receiver`] that decodes files, so everything but the hardware calls is tested through the
//! file path. It cannot be exercised here without hardware.

use crate::rx::{Burst, Receiver, ReceiverConfig};
use crate::sweep::{Sweep, DRONEID_CHANNELS_MHZ};
use num_complex::Complex;
use std::time::{Duration, Instant};

/// How the radio is driven.
#[derive(Debug, Clone, PartialEq)]
pub struct SoapyConfig {
    /// SoapySDR device arguments, e.g. `driver=hackrf` or `driver=uhd,serial=...`.
    pub device_args: String,
    /// Sample rate in Hz (15.36 MSps is the receiver's native rate; 20 MSps suits most radios).
    pub sample_rate: f64,
    /// Overall RX gain in dB, `None` for the radio's automatic gain.
    pub gain_db: Option<f64>,
    /// Centre frequencies to sweep, in Hz.
    pub channels_hz: Vec<f64>,
    /// Time spent on a channel where nothing was heard.
    pub dwell: Duration,
    /// Time spent on a channel after a burst was heard there (extended on every burst).
    pub hold: Duration,
}

impl SoapyConfig {
    /// Defaults: the DroneID channel list, 20 MSps, automatic gain, 1.3 s dwell (two burst periods), 10 s
    /// hold.
    pub fn new(device_args: impl Into<String>) -> Self {
        SoapyConfig {
            device_args: device_args.into(),
            sample_rate: 20e6,
            gain_db: None,
            channels_hz: DRONEID_CHANNELS_MHZ.iter().map(|m| m * 1e6).collect(),
            dwell: Duration::from_millis(1300),
            hold: Duration::from_secs(10),
        }
    }
}

/// Errors of the live source.
#[derive(Debug, thiserror::Error)]
pub enum SoapyError {
    #[error("SoapySDR device {args:?}: {source}")]
    Device {
        args: String,
        source: soapysdr::Error,
    },
    #[error("receiver: {0}")]
    Rate(#[from] crate::phy::resample::RateError),
}

/// Runs the live receiver until `keep_going` returns false, handing every burst to `on_burst` with the
/// centre frequency it was heard on.
///
/// # Errors
///
/// The device cannot be opened, configured or read.
pub fn run(
    cfg: &SoapyConfig,
    mut keep_going: impl FnMut() -> bool,
    mut on_burst: impl FnMut(f64, Burst),
) -> Result<(), SoapyError> {
    use soapysdr::Direction::Rx;
    let dev_err = |source| SoapyError::Device {
        args: cfg.device_args.clone(),
        source,
    };
    let dev = soapysdr::Device::new(cfg.device_args.as_str()).map_err(dev_err)?;
    dev.set_sample_rate(Rx, 0, cfg.sample_rate)
        .map_err(dev_err)?;
    match cfg.gain_db {
        Some(g) => dev.set_gain(Rx, 0, g).map_err(dev_err)?,
        None => dev.set_gain_mode(Rx, 0, true).map_err(dev_err)?,
    }
    let mut sweep = Sweep::new(&cfg.channels_hz, cfg.dwell, cfg.hold);
    let mut stream = dev.rx_stream::<Complex<f32>>(&[0]).map_err(dev_err)?;
    let mut buf = vec![Complex::new(0.0f32, 0.0); stream.mtu().map_err(dev_err)?.max(4096)];
    let mut bursts = Vec::new();
    while keep_going() {
        let freq = sweep.current();
        dev.set_frequency(Rx, 0, freq, ()).map_err(dev_err)?;
        let mut rcfg = ReceiverConfig::new(cfg.sample_rate);
        rcfg.center_freq = Some(freq);
        let mut receiver = Receiver::new(rcfg)?;
        stream.activate(None).map_err(dev_err)?;
        let started = Instant::now();
        loop {
            let n = stream
                .read(&mut [&mut buf[..]], 1_000_000)
                .map_err(dev_err)?;
            receiver.push(&buf[..n], &mut bursts);
            for b in bursts.drain(..) {
                if b.transport_block().is_some() {
                    sweep.heard(started.elapsed());
                }
                on_burst(freq, b);
            }
            if !keep_going() || sweep.poll(started.elapsed()).is_some() {
                break;
            }
        }
        stream.deactivate(None).map_err(dev_err)?;
        receiver.finish(&mut bursts);
        for b in bursts.drain(..) {
            on_burst(freq, b);
        }
    }
    Ok(())
}
