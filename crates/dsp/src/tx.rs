//! The transmit chain: transport block → turbo code → QPSK → OFDM burst at 15.36 MSps, and the channel
//! impairments used to test the receiver.
//!
//! - [`Modulator`]: planned once (inverse FFT, ZC sequences, Gold symbol); [`Modulator::modulate`] turns a
//!   176-byte transport block into a 9- or 8-symbol burst of unit mean power, exactly as the receiver
//!   expects it (carriers, CP schedule, ZC roots 600/147, symbol 0 = Gold bits).
//! - [`Channel`]: what the air and the radio do to it: timing offset, carrier offset, placement at a
//!   frequency inside a wider band, sample-rate conversion (with [`Resampler`]), AWGN at a set *in-band* SNR
//!   (noise power measured in the 9 MHz occupied band), all seeded.
//! - [`quantise`]: ci8/ci16/cu8 encoding with a chosen peak level, through [`IqFormat::encode`].

use std::sync::Arc;

use num_complex::Complex;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use rustfft::{Fft, FftPlanner};

use crate::fec::{Codec, TB_BYTES};
use crate::iq::IqFormat;
use crate::phy::nco::Nco;
use crate::phy::ofdm::zadoff_chu;
use crate::phy::resample::{RateError, Resampler};
use crate::phy::{carrier_bin, BurstKind, BITS_PER_SYMBOL, CARRIERS, DATA_BITS, NFFT, SAMPLE_RATE};

/// Bandwidth over which the in-band SNR is defined: 600 carriers × 15 kHz.
pub const OCCUPIED_HZ: f64 = CARRIERS as f64 * 15e3;

/// OFDM modulator, planned once.
pub struct Modulator {
    ifft: Arc<dyn Fft<f32>>,
    scratch: Vec<Complex<f32>>,
    zc: [Vec<Complex<f32>>; 2],
    gold: Vec<u8>,
    codec: Codec,
    sym: Vec<Complex<f32>>,
}

impl Default for Modulator {
    fn default() -> Self {
        Self::new()
    }
}

impl Modulator {
    /// Plans the inverse FFT, the ZC symbols, the Gold symbol and the FEC encoder.
    pub fn new() -> Self {
        let ifft = FftPlanner::new().plan_fft_inverse(NFFT);
        let scratch = vec![Complex::default(); ifft.get_inplace_scratch_len()];
        Modulator {
            ifft,
            scratch,
            zc: [zadoff_chu(600), zadoff_chu(147)],
            gold: crate::fec::gold(crate::fec::C_INIT, BITS_PER_SYMBOL),
            codec: Codec::new(),
            sym: vec![Complex::default(); NFFT],
        }
    }

    /// Encodes and modulates a transport block (CRC24A already in place) into `out` (cleared).
    pub fn modulate(&mut self, tb: &[u8; TB_BYTES], kind: BurstKind, out: &mut Vec<Complex<f32>>) {
        let bits = self.codec.encode(tb);
        self.modulate_bits(&bits, kind, out);
    }

    /// Modulates 7,200 scrambled bits (one per byte, transmission order) into `out` (cleared): unit mean
    /// power over the burst, 15.36 MSps.
    pub fn modulate_bits(
        &mut self,
        bits: &[u8; DATA_BITS],
        kind: BurstKind,
        out: &mut Vec<Complex<f32>>,
    ) {
        out.clear();
        let data = kind.data_symbols();
        let [z1, z2] = kind.zc_symbols();
        // Unnormalised inverse FFT of 600 unit carriers has mean power 600 per sample.
        let norm = 1.0 / (CARRIERS as f32).sqrt();
        for (i, &cp) in kind.cp_lengths().iter().enumerate() {
            self.sym.iter_mut().for_each(|v| *v = Complex::default());
            if i == z1 || i == z2 {
                let zc = if i == z1 { &self.zc[0] } else { &self.zc[1] };
                for (c, v) in zc.iter().enumerate() {
                    if let Some(s) = self.sym.get_mut(carrier_bin(c)) {
                        *s = *v;
                    }
                }
            } else {
                let src: &[u8] = match data.iter().position(|&d| d == i) {
                    Some(n) => bits
                        .get(n * BITS_PER_SYMBOL..(n + 1) * BITS_PER_SYMBOL)
                        .unwrap_or_default(),
                    None => &self.gold,
                };
                for (c, pair) in src.chunks_exact(2).enumerate() {
                    // 1+j → 00, so bit 1 is a negative component.
                    let comp = |b: u8| {
                        if b == 0 {
                            std::f32::consts::FRAC_1_SQRT_2
                        } else {
                            -std::f32::consts::FRAC_1_SQRT_2
                        }
                    };
                    if let (Some(s), [b0, b1]) = (self.sym.get_mut(carrier_bin(c)), pair) {
                        *s = Complex::new(comp(*b0), comp(*b1));
                    }
                }
            }
            self.ifft
                .process_with_scratch(&mut self.sym, &mut self.scratch);
            let tail = self.sym.get(NFFT - cp..).unwrap_or_default();
            out.extend(tail.iter().map(|v| v * norm));
            out.extend(self.sym.iter().map(|v| v * norm));
        }
    }
}

/// A channel between the modulator and the receiver.
#[derive(Debug, Clone, PartialEq)]
pub struct Channel {
    /// Output sample rate in Hz (the burst is resampled from 15.36 MSps when different).
    pub sample_rate: f64,
    /// Where the burst's centre sits relative to the output band centre, in Hz (placement plus carrier
    /// offset).
    pub freq_offset_hz: f64,
    /// Silence (then noise) before the burst, in output samples.
    pub lead: usize,
    /// Silence after the burst, in output samples.
    pub tail: usize,
    /// In-band SNR in dB (noise measured over the 9 MHz occupied band); `None` for no noise.
    pub snr_db: Option<f64>,
    /// Amplitude of the burst (its RMS) before noise.
    pub gain: f32,
    /// Noise seed.
    pub seed: u64,
}

impl Channel {
    /// A clean channel at 15.36 MSps with 2,000 samples of lead and tail.
    pub fn new() -> Self {
        Channel {
            sample_rate: SAMPLE_RATE,
            freq_offset_hz: 0.0,
            lead: 2000,
            tail: 2000,
            snr_db: None,
            gain: 1.0,
            seed: 0,
        }
    }

    /// Sends `burst` (15.36 MSps, unit power) through the channel.
    ///
    /// # Errors
    ///
    /// [`RateError`] when the output rate has no usable ratio to 15.36 MSps.
    pub fn apply(&self, burst: &[Complex<f32>]) -> Result<Vec<Complex<f32>>, RateError> {
        let mut x = if (self.sample_rate - SAMPLE_RATE).abs() < 1.0 {
            burst.to_vec()
        } else {
            let mut r = Resampler::for_rates(SAMPLE_RATE, self.sample_rate)?;
            let mut y = Vec::new();
            r.process_block(burst, &mut y);
            y
        };
        Nco::new(self.freq_offset_hz, self.sample_rate).mix_in_place(&mut x);
        let mut out = vec![Complex::default(); self.lead];
        out.extend(x.iter().map(|v| v * self.gain));
        out.resize(out.len() + self.tail, Complex::default());
        if let Some(snr) = self.snr_db {
            add_noise(&mut out, self.noise_power(snr), self.seed);
        }
        Ok(out)
    }

    /// Complex noise power per sample that gives in-band SNR `snr_db` for this channel's gain and rate.
    pub fn noise_power(&self, snr_db: f64) -> f64 {
        let signal = f64::from(self.gain * self.gain);
        signal / 10f64.powf(snr_db / 10.0) * self.sample_rate / OCCUPIED_HZ
    }
}

impl Default for Channel {
    fn default() -> Self {
        Self::new()
    }
}

/// Adds complex white Gaussian noise of total power `power` per sample, seeded.
pub fn add_noise(x: &mut [Complex<f32>], power: f64, seed: u64) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let sd = (power / 2.0).sqrt();
    for v in x.iter_mut() {
        let re: f64 = StandardNormal.sample(&mut rng);
        let im: f64 = StandardNormal.sample(&mut rng);
        *v += Complex::new((re * sd) as f32, (im * sd) as f32);
    }
}

/// Encodes `x` in `format` after scaling so that its largest component reaches `peak` of full scale
/// (e.g. 0.5 leaves 6 dB of headroom); returns the bytes and the scale applied.
pub fn quantise(x: &[Complex<f32>], format: IqFormat, peak: f32) -> (Vec<u8>, f32) {
    let max = x
        .iter()
        .map(|v| v.re.abs().max(v.im.abs()))
        .fold(0.0f32, f32::max);
    let scale = if max > 0.0 { peak / max } else { 1.0 };
    let scaled: Vec<Complex<f32>> = x.iter().map(|v| v * scale).collect();
    let mut out = Vec::new();
    format.encode(&scaled, &mut out);
    (out, scale)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::phy::ofdm::Demodulator;

    /// Modulate, then demodulate without noise: every data LLR has the sign of its bit, and symbol 0
    /// carries the Gold bits.
    #[test]
    fn modulate_demodulate_round_trip() {
        let mut m = Modulator::new();
        let mut bits = [0u8; DATA_BITS];
        let mut state = 0x1234_5678u32;
        for b in bits.iter_mut() {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            *b = (state >> 31) as u8;
        }
        for kind in [BurstKind::Nine, BurstKind::Eight] {
            let mut burst = Vec::new();
            m.modulate_bits(&bits, kind, &mut burst);
            assert_eq!(burst.len(), kind.samples());
            let power: f32 = burst.iter().map(|v| v.norm_sqr()).sum::<f32>() / burst.len() as f32;
            assert!((power - 1.0).abs() < 0.05, "power {power}");
            let mut x = Channel {
                lead: 300,
                tail: 300,
                freq_offset_hz: 31e3,
                ..Channel::new()
            }
            .apply(&burst)
            .unwrap();
            let mut d = Demodulator::new();
            let sync = d.sync(&mut x, kind).unwrap();
            assert_eq!(sync.start, 300);
            let mut offs = Vec::new();
            d.integer_offsets(10, &mut offs);
            assert_eq!(offs[0].0, 2, "31 kHz = 2 carriers + 1 kHz");
            assert!((sync.frac_cfo_hz - 1e3).abs() < 1.0, "{}", sync.frac_cfo_hz);
            let mut llrs = vec![0.0; DATA_BITS];
            let mut gold = vec![0.0; BITS_PER_SYMBOL];
            d.demap(2, &mut llrs, &mut gold).unwrap();
            let wrong = llrs
                .iter()
                .zip(&bits)
                .filter(|(l, b)| (**l < 0.0) != (**b == 1))
                .count();
            assert_eq!(wrong, 0, "{kind:?}");
            if kind == BurstKind::Nine {
                let g = crate::fec::gold(crate::fec::C_INIT, BITS_PER_SYMBOL);
                assert_eq!(
                    gold.iter()
                        .zip(&g)
                        .filter(|(l, b)| (**l < 0.0) != (**b == 1))
                        .count(),
                    0
                );
            }
        }
    }

    #[test]
    fn noise_power_matches_in_band_definition() {
        let ch = Channel {
            sample_rate: 50e6,
            snr_db: Some(0.0),
            ..Channel::new()
        };
        // 0 dB in 9 MHz at 50 MSps: total noise power 50/9 of the signal.
        assert!((ch.noise_power(0.0) - 50.0 / 9.0).abs() < 1e-9);
        let mut x = vec![Complex::default(); 200_000];
        add_noise(&mut x, 2.0, 7);
        let p: f64 = x.iter().map(|v| f64::from(v.norm_sqr())).sum::<f64>() / x.len() as f64;
        assert!((p - 2.0).abs() < 0.03, "{p}");
    }

    #[test]
    fn quantise_scales_to_peak() {
        let x = [Complex::new(0.5f32, -0.25), Complex::new(0.1, 0.0)];
        let (bytes, scale) = quantise(&x, IqFormat::Ci8, 0.5);
        assert_eq!(scale, 1.0);
        assert_eq!(bytes, vec![64, (-32i8) as u8, 13, 0]);
    }
}
