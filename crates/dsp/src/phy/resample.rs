//! A polyphase rational resampler: upsample by `P`, low-pass, downsample by `Q`, computing only the
//! output samples (one short dot product per output).
//!
//! The prototype low-pass is a Kaiser-windowed sinc designed for the *narrower* of the two rates: its
//! passband ends at 60 % of that Nyquist frequency and its stopband (≈ 70 dB) starts at 100 %, so a 9 MHz
//! DroneID band (±4.5 MHz) passes untouched at 15.36 MSps while anything that would alias into it is removed.
//! Hand-written because the few Rust resampling crates are either audio-oriented (sinc interpolation on
//! `f32` frames, no complex samples) or pull in a whole SDR framework.

use num_complex::Complex;

/// Errors of [`Resampler::for_rates`].
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum RateError {
    /// A rate is not a positive finite number.
    #[error("sample rate {0} Hz is not a positive number")]
    Invalid(f64),
    /// The ratio has no small rational approximation.
    #[error("cannot resample {from} Hz to {to} Hz: no ratio P/Q with P, Q ≤ 4096 within 1 ppm")]
    NoRatio {
        /// Input rate.
        from: f64,
        /// Output rate.
        to: f64,
    },
}

/// Streaming rational resampler for complex samples.
#[derive(Debug, Clone)]
pub struct Resampler {
    p: usize,
    q: usize,
    /// Taps per polyphase branch.
    taps: usize,
    /// `p` branches of `taps` coefficients each, each stored reversed so that it lines up with the input
    /// history in time order.
    bank: Vec<f32>,
    /// The last `taps - 1` inputs, then the current chunk.
    buf: Vec<Complex<f32>>,
    /// Index (into the current chunk) of the newest input the next output depends on.
    next_in: usize,
    /// Polyphase branch of the next output.
    phase: usize,
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// The zeroth-order modified Bessel function of the first kind, by its power series (for the Kaiser window).
fn bessel_i0(x: f64) -> f64 {
    let mut sum = 1.0;
    let mut term = 1.0;
    let half = x / 2.0;
    for k in 1..50 {
        term *= half / k as f64;
        sum += term * term;
        if term * term < sum * 1e-17 {
            break;
        }
    }
    sum
}

impl Resampler {
    /// A resampler from `from` Hz to `to` Hz.
    ///
    /// # Errors
    ///
    /// [`RateError`] when a rate is not positive or the ratio is not (within 1 ppm) a fraction P/Q with
    /// P and Q at most 4096.
    pub fn for_rates(from: f64, to: f64) -> Result<Self, RateError> {
        Self::for_rates_with_passband(from, to, 0.6)
    }

    /// As [`Resampler::for_rates`] with the passband edge at `passband` (0.1..0.9) of the narrower Nyquist
    /// frequency instead of 0.6: wider passbands (for converting whole captures) cost longer filters.
    ///
    /// # Errors
    ///
    /// As [`Resampler::for_rates`].
    pub fn for_rates_with_passband(from: f64, to: f64, passband: f64) -> Result<Self, RateError> {
        for r in [from, to] {
            if !(r.is_finite() && r > 0.0) {
                return Err(RateError::Invalid(r));
            }
        }
        let (p, q) = ratio(from, to).ok_or(RateError::NoRatio { from, to })?;
        Ok(Self::with_passband(p, q, passband))
    }

    /// A resampler by the factor `p / q` (reduced internally; both clamped to at least 1), passband to 60 %
    /// of the narrower Nyquist frequency.
    pub fn new(p: usize, q: usize) -> Self {
        Self::with_passband(p, q, 0.6)
    }

    /// A resampler by `p / q` whose passband ends at `passband` (clamped to 0.1..0.9) of the narrower
    /// Nyquist frequency; the stopband starts at that Nyquist frequency.
    pub fn with_passband(p: usize, q: usize, passband: f64) -> Self {
        let (p, q) = (p.max(1) as u64, q.max(1) as u64);
        let g = gcd(p, q);
        let (p, q) = ((p / g) as usize, (q / g) as usize);
        // Design at the upsampled rate, normalised so that 1.0 = that rate. The narrower Nyquist band is
        // 0.5 / max(p, q) of it.
        let nyq = 0.5 / p.max(q) as f64;
        let pass = passband.clamp(0.1, 0.9) * nyq;
        let stop = nyq;
        let cutoff = (pass + stop) / 2.0;
        let atten = 70.0;
        let beta = 0.1102 * (atten - 8.7);
        let transition = 2.0 * std::f64::consts::PI * (stop - pass);
        let n = ((atten - 7.95) / (2.285 * transition)).ceil() as usize + 1;
        // Round the prototype up to a whole number of taps per branch.
        let taps = n.div_ceil(p).max(1);
        let len = taps * p;
        // An integer centre keeps the group delay a whole number of upsampled samples, so that block mode
        // can start exactly on the input grid.
        let mid = ((len - 1) / 2) as f64;
        let i0b = bessel_i0(beta);
        let mut proto = vec![0.0f64; len];
        for (i, h) in proto.iter_mut().enumerate() {
            let t = i as f64 - mid;
            let x = 2.0 * cutoff * t;
            let sinc = if x.abs() < 1e-12 {
                1.0
            } else {
                (std::f64::consts::PI * x).sin() / (std::f64::consts::PI * x)
            };
            let r = t / (mid + 0.5).max(1.0);
            let w = bessel_i0(beta * (1.0 - r * r).max(0.0).sqrt()) / i0b;
            // Gain p restores the amplitude lost to the zeros inserted by upsampling.
            *h = 2.0 * cutoff * sinc * w * p as f64;
        }
        let mut bank = vec![0.0f32; len];
        for ph in 0..p {
            for k in 0..taps {
                // Output at branch `ph` uses h[ph + k p] on input x[m - k]; stored reversed.
                bank[ph * taps + (taps - 1 - k)] = proto[ph + k * p] as f32;
            }
        }
        let mut r = Resampler {
            p,
            q,
            taps,
            bank,
            buf: Vec::new(),
            next_in: 0,
            phase: 0,
        };
        r.reset();
        r
    }

    /// The reduced interpolation factor P.
    pub fn p(&self) -> usize {
        self.p
    }

    /// The reduced decimation factor Q.
    pub fn q(&self) -> usize {
        self.q
    }

    /// The filter's group delay in input samples: output sample `n` describes input time
    /// `n·Q/P − delay`.
    pub fn delay(&self) -> f64 {
        self.delay_up() as f64 / self.p as f64
    }

    /// The group delay in upsampled samples (an integer by design).
    fn delay_up(&self) -> usize {
        (self.taps * self.p - 1) / 2
    }

    /// Forgets all history (the next input is treated as the first, preceded by zeros).
    pub fn reset(&mut self) {
        self.buf.clear();
        self.buf.resize(self.taps - 1, Complex::default());
        self.next_in = 0;
        self.phase = 0;
    }

    /// Resamples `input`, appending the outputs to `out`. Call repeatedly on consecutive chunks.
    pub fn process(&mut self, input: &[Complex<f32>], out: &mut Vec<Complex<f32>>) {
        let hist = self.taps - 1;
        self.buf.truncate(hist);
        self.buf.extend_from_slice(input);
        let n = input.len();
        out.reserve((n * self.p) / self.q + 1);
        while self.next_in < n {
            let start = self.next_in;
            let (Some(x), Some(h)) = (
                self.buf.get(start..start + self.taps),
                self.bank
                    .get(self.phase * self.taps..(self.phase + 1) * self.taps),
            ) else {
                break;
            };
            let mut acc = Complex::<f32>::default();
            for (xi, hi) in x.iter().zip(h) {
                acc += xi * hi;
            }
            out.push(acc);
            self.phase += self.q;
            self.next_in += self.phase / self.p;
            self.phase %= self.p;
        }
        self.next_in -= n;
        // Keep the last `hist` samples as the history of the next chunk.
        let total = self.buf.len();
        self.buf.copy_within(total - hist.., 0);
        self.buf.truncate(hist);
    }

    /// Resamples one whole block from a fresh state into `out` (cleared first), appending enough zeros to
    /// flush the filter so that `out` covers the whole block, delay compensated: `out[n]` describes input
    /// time `n·Q/P`.
    pub fn process_block(&mut self, input: &[Complex<f32>], out: &mut Vec<Complex<f32>>) {
        self.reset();
        out.clear();
        // Start the output grid one group delay in, so that output 0 describes input time 0 exactly.
        let d = self.delay_up();
        self.next_in = d / self.p;
        self.phase = d % self.p;
        let want = (input.len() * self.p).div_ceil(self.q);
        self.process(input, out);
        let zeros = [Complex::default(); 64];
        while out.len() < want {
            self.process(&zeros, out);
        }
        out.truncate(want);
    }
}

/// The fraction `to / from` as (P, Q) with P, Q ≤ 4096, exact for integer-Hz rates with a small ratio and
/// otherwise the best continued-fraction approximation within 1 ppm.
fn ratio(from: f64, to: f64) -> Option<(usize, usize)> {
    if from.fract() == 0.0 && to.fract() == 0.0 && from < 1e12 && to < 1e12 {
        let (a, b) = (to as u64, from as u64);
        let g = gcd(a, b);
        if g > 0 && a / g <= 4096 && b / g <= 4096 {
            return Some(((a / g) as usize, (b / g) as usize));
        }
    }
    let x = to / from;
    let (mut h0, mut h1, mut k0, mut k1) = (0u64, 1u64, 1u64, 0u64);
    let mut v = x;
    for _ in 0..32 {
        let a = v.floor();
        if a > 1e9 {
            break;
        }
        let a = a as u64;
        let (h2, k2) = (
            a.checked_mul(h1)?.checked_add(h0)?,
            a.checked_mul(k1)?.checked_add(k0)?,
        );
        if h2 > 4096 || k2 > 4096 {
            break;
        }
        (h0, h1, k0, k1) = (h1, h2, k1, k2);
        if k1 > 0 && ((h1 as f64 / k1 as f64) / x - 1.0).abs() < 1e-6 {
            return Some((h1 as usize, k1 as usize));
        }
        let f = v - v.floor();
        if f < 1e-12 {
            break;
        }
        v = 1.0 / f;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(f: f64, fs: f64, n: usize) -> Vec<Complex<f32>> {
        (0..n)
            .map(|i| {
                let ph = 2.0 * std::f64::consts::PI * f * i as f64 / fs;
                Complex::new(ph.cos() as f32, ph.sin() as f32)
            })
            .collect()
    }

    #[test]
    fn ratios() {
        let check = |from: f64, to: f64, want: (usize, usize)| {
            let r = Resampler::for_rates(from, to).unwrap();
            assert_eq!((r.p(), r.q()), want, "{from} -> {to}");
        };
        check(50e6, 15.36e6, (192, 625));
        check(20e6, 15.36e6, (96, 125));
        check(30.72e6, 15.36e6, (1, 2));
        check(15.36e6, 50e6, (625, 192));
        check(15.36e6, 15.36e6, (1, 1));
        assert_eq!(
            Resampler::for_rates(0.0, 1.0).unwrap_err(),
            RateError::Invalid(0.0)
        );
        assert!(Resampler::for_rates(1.0, std::f64::consts::PI * 1e6).is_err());
    }

    /// A tone inside the passband comes out as the same tone at the new rate, with unit gain; a tone in
    /// the stopband is removed.
    fn check_tone(from: f64, to: f64, f: f64, want_gain: f64) {
        let n = 40_000;
        let mut r = Resampler::for_rates(from, to).unwrap();
        let input = tone(f, from, n);
        // Feed in uneven chunks to exercise the streaming state.
        let mut out = Vec::new();
        for chunk in input.chunks(777) {
            r.process(chunk, &mut out);
        }
        let expect_len = n as f64 * to / from;
        assert!(
            (out.len() as f64 - expect_len).abs() <= 2.0,
            "{} vs {expect_len}",
            out.len()
        );
        let delay = r.delay();
        let skip = 200;
        let mut err = 0.0f64;
        let mut power = 0.0f64;
        for (m, y) in out.iter().enumerate().skip(skip).take(out.len() - 2 * skip) {
            let t = m as f64 * from / to - delay;
            let ph = 2.0 * std::f64::consts::PI * f * t / from;
            let want = Complex::new(ph.cos(), ph.sin()) * want_gain;
            err += (Complex::new(f64::from(y.re), f64::from(y.im)) - want).norm_sqr();
            power += f64::from(y.norm_sqr());
        }
        let count = (out.len() - 2 * skip) as f64;
        if want_gain > 0.0 {
            assert!(
                err / count < 1e-5,
                "{from}->{to} f={f}: mse {}",
                err / count
            );
        } else {
            assert!(
                power / count < 1e-6,
                "{from}->{to} f={f}: stopband power {}",
                power / count
            );
        }
    }

    #[test]
    fn passband_and_stopband() {
        check_tone(50e6, 15.36e6, 4.4e6, 1.0);
        check_tone(50e6, 15.36e6, -3.0e6, 1.0);
        check_tone(50e6, 15.36e6, 12.0e6, 0.0);
        check_tone(20e6, 15.36e6, -4.4e6, 1.0);
        check_tone(30.72e6, 15.36e6, 2.0e6, 1.0);
        check_tone(15.36e6, 50e6, 4.4e6, 1.0);
        check_tone(15.36e6, 20e6, -1.0e6, 1.0);
    }

    #[test]
    fn block_is_delay_compensated() {
        let mut r = Resampler::for_rates(50e6, 15.36e6).unwrap();
        let input = tone(1e6, 50e6, 5000);
        let mut out = Vec::new();
        r.process_block(&input, &mut out);
        assert_eq!(out.len(), (5000usize * 192).div_ceil(625));
        for (m, y) in out.iter().enumerate().skip(100).take(1000) {
            let ph = 2.0 * std::f64::consts::PI * 1e6 * (m as f64 * 625.0 / 192.0) / 50e6;
            assert!((f64::from(y.re) - ph.cos()).abs() < 0.01, "m={m}");
        }
    }
}
