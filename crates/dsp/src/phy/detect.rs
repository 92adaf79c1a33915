//! Wideband burst detection: where (in time and frequency) a DroneID burst sits in a captured band.
//!
//! The input is cut into short FFT frames (bins of about 100–200 kHz) whose power spectra are averaged
//! into blocks of about 20 µs. Per bin, a noise floor is tracked while nothing is active. For every block the
//! detector slides a 9 MHz window over the spectrum and keeps the largest in-window excess power over the
//! floor (an in-band SNR estimate). Runs of active blocks become [`Candidate`]s when they last about as long
//! as a burst (571 µs or 643 µs); the excess spectrum summed over the run gives the band edges, hence the
//! centre frequency and the occupied bandwidth (≈ 9 MHz for DroneID, which rejects video downlinks and
//! narrow control bursts). A run still open when the stream ends is reported as truncated.
//!
//! Known limit: one band per instant; two drones overlapping in time are seen as the stronger one.

use std::sync::Arc;

use num_complex::Complex;
use rustfft::{Fft, FftPlanner};

/// Width of the DroneID band in Hz.
const BAND_HZ: f64 = 9.0e6;
/// Target duration of one detection block.
const BLOCK_S: f64 = 20e-6;
/// In-band SNR (linear) that starts a run, in standard deviations of the noise-only statistic (and at
/// least 0.3).
const ON_SIGMAS: f32 = 4.5;
/// In-band SNR (linear) below which a block counts as quiet, in the same units (and at least 0.15): the
/// statistic is a maximum over window positions, so noise alone often reaches 1–2 σ.
const OFF_SIGMAS: f32 = 3.0;
/// Quiet blocks that end a run.
const END_GAP: u32 = 2;
/// Accepted run durations.
const MIN_RUN_S: f64 = 420e-6;
const MAX_RUN_S: f64 = 820e-6;
/// Runs shorter than this are noise, not even worth reporting as truncated.
const MIN_TRUNCATED_S: f64 = 60e-6;
/// A block this far below the current run's mean level counts as quiet (−13 dB).
const QUIET_RATIO: f32 = 0.05;
/// Blocks at the start of a stream during which only the noise floor is learned.
const WARM_UP_BLOCKS: u64 = 8;
/// In-band SNR (linear) above which a warm-up block is a signal, not noise, and is kept out of the floor.
const WARM_UP_MAX: f32 = 2.0;
/// Slowest noise-floor adaptation (per block).
const FLOOR_ALPHA: f32 = 1.0 / 256.0;

/// A detected burst, in input samples.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candidate {
    /// Estimated first sample (absolute stream index; detection resolution is one block, ≈ 20 µs).
    pub start: u64,
    /// Estimated end (exclusive).
    pub end: u64,
    /// Centre of the occupied band relative to the capture centre, in Hz.
    pub center_hz: f64,
    /// Occupied bandwidth between the half-power edges, in Hz.
    pub bandwidth_hz: f64,
    /// Mean in-band SNR over the run, in dB (coarse, from the spectrogram).
    pub snr_db: f32,
    /// The stream ended while the burst was still on.
    pub truncated: bool,
}

impl Candidate {
    /// Duration in seconds at `sample_rate`.
    pub fn duration_s(&self, sample_rate: f64) -> f64 {
        self.end.saturating_sub(self.start) as f64 / sample_rate
    }
}

struct Run {
    start_block: u64,
    last_active: u64,
    quiet: u32,
    excess: Vec<f32>,
    stat_sum: f32,
    blocks: u32,
}

/// Streaming burst detector; feed it with [`Detector::push`], close with [`Detector::finish`].
pub struct Detector {
    fs: f64,
    nfft: usize,
    frames_per_block: usize,
    band_bins: usize,
    t_on: f32,
    t_off: f32,
    fft: Arc<dyn Fft<f32>>,
    scratch: Vec<Complex<f32>>,
    window: Vec<f32>,
    frame: Vec<Complex<f32>>,
    fill: usize,
    acc: Vec<f32>,
    frames: usize,
    floor: Vec<f32>,
    floor_blocks: u32,
    block: u64,
    run: Option<Run>,
    /// Set after an over-long run (to its mean level): wait for quiet before starting another.
    blocked: Option<f32>,
}

impl Detector {
    /// A detector for a stream at `sample_rate` Hz (at least 10 MSps, to see a 9 MHz band).
    pub fn new(sample_rate: f64) -> Self {
        // Bins of at most ~200 kHz keep the band edges sharp; a power of two keeps the FFT fast.
        let nfft = ((sample_rate / 200e3).ceil() as usize)
            .next_power_of_two()
            .clamp(32, 2048);
        let frames_per_block = ((BLOCK_S * sample_rate / nfft as f64).round() as usize).max(1);
        let band_bins = ((BAND_HZ / (sample_rate / nfft as f64)).round() as usize).clamp(1, nfft);
        // Noise-only relative power in a window: an average of band_bins × frames_per_block squared
        // magnitudes, with neighbouring Hann-windowed bins correlated (noise bandwidth 1.5 bins).
        let sigma = (1.5 / (band_bins * frames_per_block) as f32).sqrt();
        let fft = FftPlanner::new().plan_fft_forward(nfft);
        let scratch = vec![Complex::default(); fft.get_inplace_scratch_len()];
        let window = (0..nfft)
            .map(|i| {
                let x = std::f32::consts::PI * 2.0 * i as f32 / nfft as f32;
                0.5 - 0.5 * x.cos()
            })
            .collect();
        Detector {
            fs: sample_rate,
            nfft,
            frames_per_block,
            band_bins,
            t_on: (ON_SIGMAS * sigma).max(0.3),
            t_off: (OFF_SIGMAS * sigma).max(0.15),
            fft,
            scratch,
            window,
            frame: vec![Complex::default(); nfft],
            fill: 0,
            acc: vec![0.0; nfft],
            frames: 0,
            floor: vec![0.0; nfft],
            floor_blocks: 0,
            block: 0,
            run: None,
            blocked: None,
        }
    }

    /// Samples per detection block (the time resolution).
    pub fn block_len(&self) -> usize {
        self.nfft * self.frames_per_block
    }

    /// Feeds consecutive samples; completed candidates are appended to `out`.
    pub fn push(&mut self, samples: &[Complex<f32>], out: &mut Vec<Candidate>) {
        let mut rest = samples;
        while !rest.is_empty() {
            let take = (self.nfft - self.fill).min(rest.len());
            let (head, tail) = rest.split_at(take);
            if let Some(dst) = self.frame.get_mut(self.fill..self.fill + take) {
                dst.copy_from_slice(head);
            }
            self.fill += take;
            rest = tail;
            if self.fill == self.nfft {
                self.fill = 0;
                self.frame_done(out);
            }
        }
    }

    /// Ends the stream: a run still open is reported as a truncated candidate.
    pub fn finish(&mut self, out: &mut Vec<Candidate>) {
        if let Some(run) = self.run.take() {
            let bl = self.block_len() as u64;
            let start = run.start_block * bl;
            let active_s = (run.last_active + 1 - run.start_block) as f64 * bl as f64 / self.fs;
            if run.quiet > 0 && active_s >= MIN_RUN_S {
                // It went quiet before the end, just not for long enough to close: a complete burst.
                if let Some((center_hz, bandwidth_hz)) = self.band(&run.excess) {
                    out.push(Candidate {
                        start,
                        end: (run.last_active + 1) * bl,
                        center_hz,
                        bandwidth_hz,
                        snr_db: 10.0 * (run.stat_sum / run.blocks.max(1) as f32).max(1e-3).log10(),
                        truncated: false,
                    });
                }
                return;
            }
            let end = (self.block + 1) * bl + self.fill as u64;
            // A cut-off burst must still look like a 9 MHz DroneID band to be reported.
            let band = self.band(&run.excess);
            if let (true, Some((center_hz, bandwidth_hz))) =
                ((end - start) as f64 / self.fs >= MIN_TRUNCATED_S, band)
            {
                out.push(Candidate {
                    start,
                    end,
                    center_hz,
                    bandwidth_hz,
                    snr_db: 10.0 * (run.stat_sum / run.blocks.max(1) as f32).max(1e-3).log10(),
                    truncated: true,
                });
            }
        }
    }

    fn frame_done(&mut self, out: &mut Vec<Candidate>) {
        for (v, w) in self.frame.iter_mut().zip(&self.window) {
            *v *= *w;
        }
        self.fft
            .process_with_scratch(&mut self.frame, &mut self.scratch);
        let half = self.nfft / 2;
        // Accumulate in fft-shifted order (lowest frequency first): negative frequencies, then the rest.
        let (pos, neg) = self.frame.split_at(half);
        let (acc_neg, acc_pos) = self.acc.split_at_mut(half);
        for (a, v) in acc_neg
            .iter_mut()
            .zip(neg)
            .chain(acc_pos.iter_mut().zip(pos))
        {
            *a += v.norm_sqr();
        }
        self.frames += 1;
        if self.frames == self.frames_per_block {
            self.frames = 0;
            self.block_done(out);
            self.acc.iter_mut().for_each(|a| *a = 0.0);
            self.block += 1;
        }
    }

    /// The best 9 MHz window of the current block: (in-band SNR, first bin).
    fn best_window(&self) -> (f32, usize) {
        let w = self.band_bins;
        let (mut sp, mut sf) = (0.0f32, 0.0f32);
        for k in 0..w {
            sp += self.acc.get(k).copied().unwrap_or(0.0);
            sf += self.floor.get(k).copied().unwrap_or(0.0);
        }
        let mut best = (if sf > 0.0 { sp / sf - 1.0 } else { 0.0 }, 0);
        for k in w..self.nfft {
            sp += self.acc.get(k).copied().unwrap_or(0.0)
                - self.acc.get(k - w).copied().unwrap_or(0.0);
            sf += self.floor.get(k).copied().unwrap_or(0.0)
                - self.floor.get(k - w).copied().unwrap_or(0.0);
            let s = if sf > 0.0 { sp / sf - 1.0 } else { 0.0 };
            if s > best.0 {
                best = (s, k + 1 - w);
            }
        }
        best
    }

    fn block_done(&mut self, out: &mut Vec<Candidate>) {
        if self.floor_blocks == 0 {
            self.floor.copy_from_slice(&self.acc);
            self.floor_blocks = 1;
            return;
        }
        let (stat, _) = self.best_window();
        // "Quiet" is relative to what is on: the gaps between strong back-to-back bursts still hold some
        // leakage, far above the absolute threshold but far below the bursts.
        let quiet_level = match (&self.run, self.blocked) {
            (Some(run), _) => self
                .t_off
                .max(QUIET_RATIO * run.stat_sum / run.blocks.max(1) as f32),
            (None, Some(level)) => self.t_on.max(QUIET_RATIO * level),
            (None, None) => self.t_on,
        };
        let active = stat > quiet_level;
        if let Some(level) = self.blocked {
            if !active {
                self.blocked = None;
            } else if stat > level / QUIET_RATIO {
                // A much stronger signal on top of the one that was too long: start afresh.
                self.blocked = None;
            } else {
                return;
            }
        }
        if let Some(run) = &self.run {
            if run.blocks > 0 && stat > run.stat_sum / run.blocks as f32 / QUIET_RATIO {
                // A much stronger signal starts on top of a weaker one: the burst begins here.
                self.run = None;
            }
        }
        // No run may start before the floor has seen a few blocks: a floor from one or two blocks is too
        // noisy and lets noise open a run that then swallows the burst.
        let warming = self.block < WARM_UP_BLOCKS;
        if (!active || warming) && self.run.is_none() {
            // During warm-up every block short of a clear signal teaches the floor: measured against a floor
            // from one unlucky block, plain noise can look active and the floor would never learn.
            if stat < self.t_on || (warming && stat < WARM_UP_MAX) {
                // Only quiet blocks teach the floor; early on it is a plain running mean.
                self.floor_blocks = self.floor_blocks.saturating_add(1);
                let a = (1.0 / self.floor_blocks as f32).max(FLOOR_ALPHA);
                for (f, p) in self.floor.iter_mut().zip(&self.acc) {
                    *f += a * (p - *f);
                }
            }
            return;
        }
        let block = self.block;
        let bl = self.block_len() as u64;
        let fs = self.fs;
        let run = self.run.get_or_insert_with(|| Run {
            start_block: block,
            last_active: block,
            quiet: 0,
            excess: vec![0.0; self.nfft],
            stat_sum: 0.0,
            blocks: 0,
        });
        if active {
            run.last_active = block;
            run.quiet = 0;
            run.stat_sum += stat;
            run.blocks += 1;
            for ((e, p), f) in run.excess.iter_mut().zip(&self.acc).zip(&self.floor) {
                *e += p - f;
            }
        } else {
            run.quiet += 1;
        }
        let dur = (run.last_active + 1 - run.start_block) as f64 * bl as f64 / fs;
        if dur > MAX_RUN_S {
            // Too long for DroneID (video downlink, Wi-Fi, interference): drop it and wait for quiet.
            self.blocked = Some(run.stat_sum / run.blocks.max(1) as f32);
            self.run = None;
            return;
        }
        if run.quiet >= END_GAP {
            let Some(run) = self.run.take() else { return };
            if dur < MIN_RUN_S {
                return;
            }
            let Some((center_hz, bandwidth_hz)) = self.band(&run.excess) else {
                return;
            };
            out.push(Candidate {
                start: run.start_block * bl,
                end: (run.last_active + 1) * bl,
                center_hz,
                bandwidth_hz,
                snr_db: 10.0 * (run.stat_sum / run.blocks.max(1) as f32).max(1e-3).log10(),
                truncated: false,
            });
        }
    }

    /// Centre and width (Hz) of the occupied band in an excess-power spectrum (fft-shifted bins), or `None`
    /// when the shape is not a ≈ 9 MHz block (much wider, or concentrated in a narrow part).
    ///
    /// The centre is the position of the best 9 MHz window (the matched filter for a flat band, robust at
    /// low SNR), refined to the midpoint of the half-power edges when those agree with it.
    fn band(&self, excess: &[f32]) -> Option<(f64, f64)> {
        let w = self.band_bins;
        let n = excess.len();
        let bin_hz = self.fs / self.nfft as f64;
        let freq = |k: f64| (k - (self.nfft / 2) as f64) * bin_hz;
        let window_sum =
            |from: usize, width: usize| -> f32 { excess.iter().skip(from).take(width).sum() };
        let mut sum = window_sum(0, w);
        let mut best = (sum, 0usize);
        for k in w..n {
            sum +=
                excess.get(k).copied().unwrap_or(0.0) - excess.get(k - w).copied().unwrap_or(0.0);
            if sum > best.0 {
                best = (sum, k + 1 - w);
            }
        }
        let level = best.0 / w as f32;
        if level <= 0.0 {
            return None;
        }
        // Shape checks. Too wide: the bins just outside the window carry as much as inside (a 20 MHz video
        // link). Too narrow: a third of the window holds most of it (a 1.5 MHz control burst).
        let guard = (w / 5).max(1);
        let (g_lo, g_hi) = (best.1.saturating_sub(guard), best.1 + w);
        let guard_bins = (best.1 - g_lo) + guard.min(n.saturating_sub(g_hi));
        if guard_bins > 0 {
            let outside =
                (window_sum(g_lo, best.1 - g_lo) + window_sum(g_hi, guard)) / guard_bins as f32;
            if outside > 0.5 * level {
                return None;
            }
        }
        let third = (w / 3).max(1);
        let densest = (best.1..=best.1 + w - third)
            .map(|k| window_sum(k, third))
            .fold(f32::MIN, f32::max);
        if densest / third as f32 > 2.0 * level {
            return None;
        }
        let centre_bin = best.1 as f64 + (w as f64 - 1.0) / 2.0;
        let coarse = (freq(centre_bin), w as f64 * bin_hz);
        // Half-power edges, scanning outwards from the window centre over a 7-bin average.
        let smooth = |k: usize| {
            let lo = k.saturating_sub(3);
            let hi = (k + 4).min(n);
            let s = excess.get(lo..hi).unwrap_or_default();
            s.iter().sum::<f32>() / s.len().max(1) as f32
        };
        let half = level / 2.0;
        let mid = centre_bin.round() as usize;
        let mut lo = None;
        let mut k = mid;
        while k > 0 {
            let (a, b) = (smooth(k - 1), smooth(k));
            if a < half {
                lo = Some((k - 1) as f64 + f64::from((half - a) / (b - a).max(1e-12)));
                break;
            }
            k -= 1;
        }
        let mut hi = None;
        let mut k = mid;
        while k + 1 < n {
            let (a, b) = (smooth(k), smooth(k + 1));
            if b < half {
                hi = Some(k as f64 + f64::from((a - half) / (a - b).max(1e-12)));
                break;
            }
            k += 1;
        }
        match (lo, hi) {
            (Some(lo), Some(hi))
                if ((hi - lo) * bin_hz - BAND_HZ).abs() < 1.5e6
                    && ((lo + hi) / 2.0 - centre_bin).abs() <= 3.0 =>
            {
                Some(((freq(lo) + freq(hi)) / 2.0, (hi - lo) * bin_hz))
            }
            _ => Some(coarse),
        }
    }
}
