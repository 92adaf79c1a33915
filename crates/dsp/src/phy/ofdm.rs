//! OFDM demodulation of one DroneID burst at 15.36 MSps: timing, frequency offset, FFT, channel estimate,
//! equalisation and soft demapping.
//!
//! [`Demodulator::sync`] finds the burst start by cyclic-prefix correlation over the whole CP schedule
//! (immune to frequency offset, unlike Zadoff-Chu correlation), takes the fractional carrier offset from the
//! phase of that same correlation, and FFTs every symbol. [`Demodulator::integer_offsets`] then ranks
//! whole-subcarrier offsets by the *coherence between the two ZC channel estimates*: a wrong shift turns each
//! ZC into itself times a linear phase ramp whose slope depends on the root, so the two estimates only agree
//! at the right shift (a single ZC is blind to it). [`Demodulator::demap`] estimates the channel from both
//! ZC symbols, tracks the residual phase drift between them, smooths across carriers, estimates the noise
//! from the difference of the two estimates, and writes LLRs `ln P(0)/P(1)` in transmission order.

use std::sync::Arc;

use num_complex::Complex;
use rustfft::{Fft, FftPlanner};

use super::{
    carrier_bin, carrier_index, BurstKind, BITS_PER_SYMBOL, CARRIERS, DATA_BITS, NFFT, SAMPLE_RATE,
};

/// Samples of cyclic prefix the FFT window is moved back by, so that a timing estimate a few samples late
/// still avoids the next symbol; the resulting phase ramp is part of the ZC channel estimate.
const BACKOFF: usize = 4;
/// Integer offsets searched first (±300 kHz), and the ZC coherence that makes the wider search unnecessary.
const NEAR_OFFSETS: i32 = 20;
const NEAR_ENOUGH: f32 = 0.7;
/// Half-width (carriers) of the moving average that smooths the channel estimate.
const SMOOTH: usize = 4;

/// The frequency-domain Zadoff-Chu sequence of root `u` on the 600 carriers: x_u(n) = exp(−jπ·u·n(n+1)/601),
/// n = 0..600 with the centre element n = 300 (which would sit on DC) removed, lowest carrier first.
pub fn zadoff_chu(u: u32) -> Vec<Complex<f32>> {
    (0..=600u64)
        .filter(|&n| n != 300)
        .map(|n| {
            // Reduce the exponent modulo 2·601 exactly in integers before going to floating point.
            let e = (u64::from(u) * n * (n + 1)) % 1202;
            let ph = -std::f64::consts::PI * e as f64 / 601.0;
            Complex::new(ph.cos() as f32, ph.sin() as f32)
        })
        .collect()
}

/// What synchronisation found.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sync {
    /// Burst start (first sample of symbol 0's cyclic prefix) in the input window.
    pub start: usize,
    /// Normalised cyclic-prefix correlation at `start` (≈ SNR/(1+SNR); noise gives ≈ 0.04).
    pub cp_metric: f32,
    /// Fractional carrier frequency offset in Hz (within ±7.5 kHz), already removed.
    pub frac_cfo_hz: f64,
}

/// Channel and noise estimates of one demapped burst.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quality {
    /// Whole-subcarrier offset used (multiply by 15 kHz).
    pub int_offset: i32,
    /// Coherence (0..1) of the two ZC channel estimates at that offset.
    pub zc_coherence: f32,
    /// In-band signal-to-noise ratio in dB, from the ZC symbols.
    pub snr_db: f32,
    /// Residual carrier offset measured between the two ZC symbols, in Hz (already tracked).
    pub residual_cfo_hz: f64,
}

/// Errors of the demodulator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DemodError {
    /// The window is shorter than one burst.
    #[error("window of {have} samples is shorter than a {need}-sample burst")]
    TooShort {
        /// Samples needed.
        need: usize,
        /// Samples given.
        have: usize,
    },
    /// No symbols have been synchronised yet.
    #[error("demap called before sync")]
    NotSynced,
}

/// The OFDM demodulator, planned once (FFT plan, ZC references, buffers) and reused for every burst.
pub struct Demodulator {
    fft: Arc<dyn Fft<f32>>,
    scratch: Vec<Complex<f32>>,
    zc: [Vec<Complex<f32>>; 2],
    /// FFT outputs of the current burst's symbols, `NFFT` each.
    symbols: Vec<Complex<f32>>,
    kind: BurstKind,
    synced: bool,
    /// Prefix sums for the CP correlation (reused).
    corr: Vec<Complex<f64>>,
    energy: Vec<f64>,
    /// CP metric and correlation per candidate start (reused).
    metric: Vec<(f64, Complex<f64>)>,
    /// Channel estimate work buffers.
    h: [Vec<Complex<f32>>; 3],
}

impl Default for Demodulator {
    fn default() -> Self {
        Self::new()
    }
}

impl Demodulator {
    /// Plans the FFT and the ZC references.
    pub fn new() -> Self {
        let fft = FftPlanner::new().plan_fft_forward(NFFT);
        let scratch = vec![Complex::default(); fft.get_inplace_scratch_len()];
        Demodulator {
            fft,
            scratch,
            zc: [zadoff_chu(600), zadoff_chu(147)],
            symbols: vec![Complex::default(); 9 * NFFT],
            kind: BurstKind::Nine,
            synced: false,
            corr: Vec::new(),
            energy: Vec::new(),
            metric: Vec::new(),
            h: [
                vec![Complex::default(); CARRIERS],
                vec![Complex::default(); CARRIERS],
                vec![Complex::default(); CARRIERS],
            ],
        }
    }

    /// The FFT output (unshifted, `NFFT` bins) of symbol `i` of the last synchronised burst.
    pub fn symbol(&self, i: usize) -> &[Complex<f32>] {
        self.symbols
            .get(i * NFFT..(i + 1) * NFFT)
            .unwrap_or_default()
    }

    /// Finds a `kind` burst starting anywhere in `x[..=x.len() - kind.samples()]`, removes its fractional
    /// frequency offset (`x` is modified) and FFTs its symbols.
    ///
    /// # Errors
    ///
    /// [`DemodError::TooShort`] when `x` cannot hold a burst.
    pub fn sync(&mut self, x: &mut [Complex<f32>], kind: BurstKind) -> Result<Sync, DemodError> {
        let len = kind.samples();
        if x.len() < len {
            return Err(DemodError::TooShort {
                need: len,
                have: x.len(),
            });
        }
        self.synced = false;
        // Prefix sums of x[n]·conj(x[n+N]) and of the energies, so that every CP correlation is O(1).
        let m = x.len() - NFFT;
        self.corr.clear();
        self.energy.clear();
        self.corr.push(Complex::default());
        self.energy.push(0.0);
        let (mut c, mut e) = (Complex::<f64>::default(), 0.0f64);
        for (a, b) in x.iter().zip(x.iter().skip(NFFT)).take(m) {
            let p = a * b.conj();
            c += Complex::new(f64::from(p.re), f64::from(p.im));
            e += f64::from(a.norm_sqr() + b.norm_sqr()) / 2.0;
            self.corr.push(c);
            self.energy.push(e);
        }
        let cps = kind.cp_lengths();
        self.metric.clear();
        for s in 0..=(x.len() - len) {
            let mut acc = Complex::<f64>::default();
            let mut en = 0.0;
            let mut off = s;
            for &cp in cps {
                if let (Some(c1), Some(c0), Some(e1), Some(e0)) = (
                    self.corr.get(off + cp),
                    self.corr.get(off),
                    self.energy.get(off + cp),
                    self.energy.get(off),
                ) {
                    acc += c1 - c0;
                    en += e1 - e0;
                }
                off += cp + NFFT;
            }
            let metric = if en > 0.0 { acc.norm() / en } else { 0.0 };
            self.metric.push((metric, acc));
        }
        let start = best_in(&self.metric, 0, self.metric.len());
        self.sync_at(x, kind, start)
    }

    /// Starts one symbol (1,096 samples) before and after `start` where the CP metric peaks locally: at low
    /// SNR a schedule shifted by a whole symbol still matches 8 of 9 prefixes and can win by noise, so the
    /// caller may compare these by ZC coherence.
    pub fn alternatives(&self, start: usize) -> [Option<usize>; 2] {
        let step = NFFT + 72;
        let near = |c: usize| {
            let lo = c.saturating_sub(12);
            let hi = (c + 13).min(self.metric.len());
            (lo < hi).then(|| best_in(&self.metric, lo, hi))
        };
        [start.checked_sub(step).and_then(near), near(start + step)]
    }

    /// As [`Demodulator::sync`] with the burst start given (from [`Demodulator::alternatives`]); `x` must be
    /// the same window, unmodified, that `sync` measured.
    ///
    /// # Errors
    ///
    /// [`DemodError::TooShort`] when the burst does not fit in `x` at `start`.
    pub fn sync_at(
        &mut self,
        x: &mut [Complex<f32>],
        kind: BurstKind,
        start: usize,
    ) -> Result<Sync, DemodError> {
        let len = kind.samples();
        if x.len() < start + len {
            return Err(DemodError::TooShort {
                need: start + len,
                have: x.len(),
            });
        }
        self.synced = false;
        let (metric, acc) = self.metric.get(start).copied().unwrap_or_default();
        // x[n] = e^{j2πfn/fs} gives x[n]·conj(x[n+N]) = e^{−j2πfN/fs}.
        let frac = -acc.arg() * SAMPLE_RATE / (2.0 * std::f64::consts::PI * NFFT as f64);
        let w = -2.0 * std::f64::consts::PI * frac / SAMPLE_RATE;
        let step = Complex::from_polar(1.0, w);
        let mut ph = Complex::from_polar(1.0, w * start as f64);
        for (i, v) in x.iter_mut().skip(start).take(len).enumerate() {
            *v *= Complex::new(ph.re as f32, ph.im as f32);
            ph *= step;
            if i % 1024 == 1023 {
                ph /= ph.norm();
            }
        }
        self.kind = kind;
        for i in 0..kind.symbols() {
            let at = start + kind.symbol_offset(i) - BACKOFF;
            let (Some(src), Some(dst)) = (
                x.get(at..at + NFFT),
                self.symbols.get_mut(i * NFFT..(i + 1) * NFFT),
            ) else {
                return Err(DemodError::TooShort {
                    need: at + NFFT,
                    have: x.len(),
                });
            };
            dst.copy_from_slice(src);
            self.fft.process_with_scratch(dst, &mut self.scratch);
        }
        self.synced = true;
        Ok(Sync {
            start,
            cp_metric: metric as f32,
            frac_cfo_hz: frac,
        })
    }

    /// The ZC coherence (0..1) at whole-subcarrier offset `k`.
    pub fn coherence(&self, k: i32) -> f32 {
        let [z1, z2] = self.kind.zc_symbols();
        let (y1, y2) = (self.symbol(z1), self.symbol(z2));
        let mut acc = Complex::<f32>::default();
        let (mut p1, mut p2) = (0.0f32, 0.0f32);
        for (c, (r1, r2)) in self.zc[0].iter().zip(&self.zc[1]).enumerate() {
            let b = bin(c, k);
            let (Some(a1), Some(a2)) = (y1.get(b), y2.get(b)) else {
                continue;
            };
            let h1 = a1 * r1.conj();
            let h2 = a2 * r2.conj();
            acc += h1 * h2.conj();
            p1 += h1.norm_sqr();
            p2 += h2.norm_sqr();
        }
        // Normalised like a correlation coefficient (one square root per hypothesis, not per carrier).
        let norm = (p1 * p2).sqrt();
        if norm > 0.0 {
            acc.norm() / norm
        } else {
            0.0
        }
    }

    /// Whole-subcarrier offsets within ±`max` ranked by ZC coherence, best first, into `out` (cleared).
    pub fn integer_offsets(&self, max: i32, out: &mut Vec<(i32, f32)>) {
        out.clear();
        if !self.synced {
            return;
        }
        // Near offsets first; the wide search only when nothing near looks like the two ZC symbols.
        let near = max.min(NEAR_OFFSETS);
        out.extend((-near..=near).map(|k| (k, self.coherence(k))));
        if out.iter().all(|o| o.1 < NEAR_ENOUGH) {
            out.extend(
                (-max..-near)
                    .chain(near + 1..=max)
                    .map(|k| (k, self.coherence(k))),
            );
        }
        out.sort_by(|a, b| b.1.total_cmp(&a.1));
    }

    /// Estimates the channel at whole-subcarrier offset `k` and writes the 7,200 data-bit LLRs
    /// (ln P(0)/P(1), transmission order, still scrambled) into `llrs`; when the burst has a Gold symbol
    /// its 1,200 LLRs go to `gold_llrs` (pass an empty slice to skip).
    ///
    /// # Errors
    ///
    /// [`DemodError::NotSynced`] before a successful [`Demodulator::sync`].
    pub fn demap(
        &mut self,
        k: i32,
        llrs: &mut [f32],
        gold_llrs: &mut [f32],
    ) -> Result<Quality, DemodError> {
        if !self.synced {
            return Err(DemodError::NotSynced);
        }
        let kind = self.kind;
        let [z1, z2] = kind.zc_symbols();
        let coherence = self.coherence(k);
        let [h1, h2, hs] = &mut self.h;
        let (r1, r2) = (int_phase(kind, z1, k), int_phase(kind, z2, k));
        for c in 0..CARRIERS {
            let b = bin(c, k);
            let y1 = self.symbols.get(z1 * NFFT + b).copied().unwrap_or_default() * r1;
            let y2 = self.symbols.get(z2 * NFFT + b).copied().unwrap_or_default() * r2;
            if let (Some(d1), Some(d2), Some(r1), Some(r2)) = (
                h1.get_mut(c),
                h2.get_mut(c),
                self.zc[0].get(c),
                self.zc[1].get(c),
            ) {
                *d1 = y1 * r1.conj();
                *d2 = y2 * r2.conj();
            }
        }
        // Common phase drift between the two ZC symbols (residual CFO): rotate both to their midpoint.
        let drift: Complex<f32> = h1.iter().zip(h2.iter()).map(|(a, b)| b * a.conj()).sum();
        let phi = drift.arg();
        let gap = (z2 - z1) as f32;
        let half = Complex::from_polar(1.0f32, phi / 2.0);
        let mut noise = 0.0f32;
        for ((a, b), s) in h1.iter().zip(h2.iter()).zip(hs.iter_mut()) {
            let a = a * half;
            let b = b * half.conj();
            noise += (a - b).norm_sqr();
            *s = (a + b) * 0.5;
        }
        // Per-carrier noise variance: E|a−b|² = 2σ².
        let sigma2 = (noise / (2.0 * CARRIERS as f32)).max(1e-20);
        // Smooth across carriers after removing the timing phase ramp (measured across bins, DC skipped).
        let ramp: Complex<f32> = (1..CARRIERS)
            .filter(|&c| c != CARRIERS / 2)
            .filter_map(|c| Some(hs.get(c)? * hs.get(c - 1)?.conj()))
            .sum();
        let slope = ramp.arg();
        for (c, v) in hs.iter().enumerate() {
            if let Some(d) = h1.get_mut(c) {
                *d = v * Complex::from_polar(1.0, -slope * carrier_index(c) as f32);
            }
        }
        let mut signal = 0.0f32;
        for c in 0..CARRIERS {
            let lo = c.saturating_sub(SMOOTH);
            let hi = (c + SMOOTH + 1).min(CARRIERS);
            let part = h1.get(lo..hi).unwrap_or_default();
            let avg = part.iter().sum::<Complex<f32>>() / part.len().max(1) as f32;
            if let Some(d) = hs.get_mut(c) {
                *d = avg * Complex::from_polar(1.0, slope * carrier_index(c) as f32);
                signal += d.norm_sqr();
            }
        }
        signal /= CARRIERS as f32;
        let snr = ((signal - sigma2 / (2.0 * (2 * SMOOTH + 1) as f32)) / sigma2).max(1e-6);
        // QPSK symbols are (±1 ± j)/√2 with the ZC's unit carrier power: LLR = 2√2·Re(y·h*)/σ².
        let scale = 2.0 * std::f32::consts::SQRT_2 / sigma2;
        let mid = (z1 + z2) as f32 / 2.0;
        let write = |sym: usize, out: &mut [f32]| {
            let rot = Complex::from_polar(1.0f32, phi / gap * (sym as f32 - mid))
                * int_phase(kind, sym, k).conj();
            let y = self
                .symbols
                .get(sym * NFFT..(sym + 1) * NFFT)
                .unwrap_or_default();
            for (c, pair) in out.chunks_exact_mut(2).enumerate().take(CARRIERS) {
                let h = hs.get(c).copied().unwrap_or_default() * rot;
                let v = y.get(bin(c, k)).copied().unwrap_or_default() * h.conj() * scale;
                if let [b0, b1] = pair {
                    *b0 = v.re;
                    *b1 = v.im;
                }
            }
        };
        for (i, sym) in kind.data_symbols().into_iter().enumerate() {
            if let Some(out) = llrs.get_mut(i * BITS_PER_SYMBOL..(i + 1) * BITS_PER_SYMBOL) {
                write(sym, out);
            }
        }
        debug_assert_eq!(llrs.len(), DATA_BITS);
        if let (Some(g), Some(out)) = (kind.gold_symbol(), gold_llrs.get_mut(..BITS_PER_SYMBOL)) {
            write(g, out);
        }
        let residual = f64::from(phi) / f64::from(gap) * SAMPLE_RATE
            / (2.0 * std::f64::consts::PI * (NFFT + 72) as f64);
        Ok(Quality {
            int_offset: k,
            zc_coherence: coherence,
            snr_db: 10.0 * snr.log10(),
            residual_cfo_hz: residual,
        })
    }
}

/// The phase correction of symbol `sym` for an offset of `k` whole subcarriers: such an offset advances the
/// phase by 2π·k·n/1024 at sample n, which is a whole number of turns per FFT window but not per cyclic
/// prefix, so it differs from symbol to symbol.
fn int_phase(kind: BurstKind, sym: usize, k: i32) -> Complex<f32> {
    let turns = (i64::from(k) * kind.symbol_offset(sym) as i64).rem_euclid(NFFT as i64);
    Complex::from_polar(
        1.0,
        -2.0 * std::f32::consts::PI * turns as f32 / NFFT as f32,
    )
}

/// The index in `lo..hi` with the largest metric (`lo` when empty).
fn best_in(metric: &[(f64, Complex<f64>)], lo: usize, hi: usize) -> usize {
    let mut best = (lo, f64::MIN);
    for (i, (m, _)) in metric.iter().enumerate().take(hi).skip(lo) {
        if *m > best.1 {
            best = (i, *m);
        }
    }
    best.0
}

/// The FFT bin of carrier `c` shifted by `k` whole subcarriers.
fn bin(c: usize, k: i32) -> usize {
    (carrier_bin(c) as i64 + i64::from(k)).rem_euclid(NFFT as i64) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zc_has_unit_magnitude_and_600_values() {
        let z = zadoff_chu(600);
        assert_eq!(z.len(), 600);
        assert!(z.iter().all(|v| (v.norm() - 1.0).abs() < 1e-5));
        // n = 0 → phase 0; n = 1 → −π·600·2/601.
        assert!((z[0] - Complex::new(1.0, 0.0)).norm() < 1e-6);
        let ph = -std::f64::consts::PI * 1200.0 / 601.0;
        assert!((z[1] - Complex::new(ph.cos() as f32, ph.sin() as f32)).norm() < 1e-5);
        // n = 301 sits at index 300 once the centre element is removed.
        let ph = -std::f64::consts::PI * ((147u64 * 301 * 302) % 1202) as f64 / 601.0;
        assert!(
            (zadoff_chu(147)[300] - Complex::new(ph.cos() as f32, ph.sin() as f32)).norm() < 1e-5
        );
    }

    #[test]
    fn carrier_bins() {
        // Shifted bins 212 and 812 are the band edges; 511 and 513 flank DC.
        assert_eq!(carrier_bin(0), 724);
        assert_eq!(carrier_bin(299), 1023);
        assert_eq!(carrier_bin(300), 1);
        assert_eq!(carrier_bin(599), 300);
        assert_eq!(bin(0, -1), 723);
        assert_eq!(bin(299, 1), 0);
    }
}
