//! A numerically controlled oscillator: multiplies samples by `exp(j·2π·f·n/fs)` with a phase that
//! continues across calls.

use num_complex::Complex;

/// Frequency shifter with a continuous phase.
#[derive(Debug, Clone)]
pub struct Nco {
    step: Complex<f64>,
    phasor: Complex<f64>,
    count: u32,
}

impl Nco {
    /// An oscillator at `freq_hz` for samples at `sample_rate` (shift a signal *down* with a negative
    /// frequency).
    pub fn new(freq_hz: f64, sample_rate: f64) -> Self {
        let w = 2.0 * std::f64::consts::PI * freq_hz / sample_rate;
        Nco {
            step: Complex::from_polar(1.0, w),
            phasor: Complex::new(1.0, 0.0),
            count: 0,
        }
    }

    /// Restarts at phase `phase` radians.
    pub fn reset(&mut self, phase: f64) {
        self.phasor = Complex::from_polar(1.0, phase);
        self.count = 0;
    }

    /// Mixes `input` into `output` (same length; extra elements are left alone).
    pub fn mix(&mut self, input: &[Complex<f32>], output: &mut [Complex<f32>]) {
        for (o, i) in output.iter_mut().zip(input) {
            let p = Complex::new(self.phasor.re as f32, self.phasor.im as f32);
            *o = i * p;
            self.advance();
        }
    }

    /// Mixes in place.
    pub fn mix_in_place(&mut self, data: &mut [Complex<f32>]) {
        for d in data.iter_mut() {
            *d *= Complex::new(self.phasor.re as f32, self.phasor.im as f32);
            self.advance();
        }
    }

    fn advance(&mut self) {
        self.phasor *= self.step;
        self.count += 1;
        // Recursive rotation drifts in magnitude by rounding; renormalising now and then keeps it at 1
        // at a fraction of the cost of a sin/cos per sample.
        if self.count >= 1024 {
            self.count = 0;
            self.phasor /= self.phasor.norm();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_direct_evaluation() {
        let mut nco = Nco::new(-1.234e6, 15.36e6);
        let input = vec![Complex::new(1.0f32, 0.0); 100_000];
        let mut out = vec![Complex::default(); input.len()];
        nco.mix(&input, &mut out);
        for n in [0usize, 1, 999, 54_321, 99_999] {
            let want = Complex::from_polar(
                1.0,
                -2.0 * std::f64::consts::PI * 1.234e6 * n as f64 / 15.36e6,
            );
            assert!((f64::from(out[n].re) - want.re).abs() < 1e-4, "n={n}");
            assert!((f64::from(out[n].im) - want.im).abs() < 1e-4, "n={n}");
        }
    }
}
