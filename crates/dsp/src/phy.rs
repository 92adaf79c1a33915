//! The physical layer of the OcuSync DroneID burst: from wideband IQ to per-bit log-likelihood ratios.
//!
//! Stages, each a small struct planned once and reused for every burst (no per-burst allocation):
//! - [`resample::Resampler`]: polyphase rational resampler (Kaiser-windowed sinc), e.g. 192/625 for
//!   50 → 15.36 MSps.
//! - [`nco::Nco`]: numerically controlled oscillator that moves a burst's band to baseband.
//! - [`detect::Detector`]: wideband burst detection (short-time FFT energy gating over time and frequency,
//!   burst-length and bandwidth checks) that yields [`detect::Candidate`]s with a coarse centre frequency.
//! - [`ofdm::Demodulator`]: cyclic-prefix timing, fractional and integer carrier-frequency offset, FFT,
//!   Zadoff-Chu channel estimate, equalisation and soft QPSK demapping to the 7,200 data-bit LLRs that
//!   `fec::Codec` decodes.
//!
//! [`BurstKind`] describes the two burst shapes (9 symbols, and the 8-symbol "legacy" burst without the
//! Gold-only symbol 0).

pub mod detect;
pub mod nco;
pub mod ofdm;
pub mod resample;

/// The DroneID numerology's sample rate: 1024 × 15 kHz.
pub const SAMPLE_RATE: f64 = 15.36e6;
/// FFT size at [`SAMPLE_RATE`].
pub const NFFT: usize = 1024;
/// Occupied carriers (DC excluded).
pub const CARRIERS: usize = 600;
/// Subcarrier spacing in Hz.
pub const SPACING_HZ: f64 = 15e3;
/// Data bits per burst (6 data symbols × 600 carriers × 2 bits).
pub const DATA_BITS: usize = 7200;
/// Bits carried by one OFDM symbol.
pub const BITS_PER_SYMBOL: usize = 2 * CARRIERS;

/// The two burst layouts seen on the air.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BurstKind {
    /// 9 OFDM symbols (Mavic Air 2, Mini 2, …): Gold symbol 0, ZC at 3 and 5; 9,880 samples, 643 µs.
    Nine,
    /// 8 OFDM symbols (Mavic Pro, Mavic 2): no Gold symbol, ZC at 2 and 4; 8,776 samples, 571 µs.
    Eight,
}

impl BurstKind {
    /// Cyclic-prefix lengths at 15.36 MSps, symbol by symbol.
    pub fn cp_lengths(self) -> &'static [usize] {
        match self {
            BurstKind::Nine => &[80, 72, 72, 72, 72, 72, 72, 72, 80],
            BurstKind::Eight => &[80, 72, 72, 72, 72, 72, 72, 80],
        }
    }

    /// Number of OFDM symbols.
    pub fn symbols(self) -> usize {
        self.cp_lengths().len()
    }

    /// Burst length in samples at 15.36 MSps.
    pub fn samples(self) -> usize {
        self.cp_lengths().iter().sum::<usize>() + self.symbols() * NFFT
    }

    /// Burst duration in seconds.
    pub fn duration_s(self) -> f64 {
        self.samples() as f64 / SAMPLE_RATE
    }

    /// Indices of the Zadoff-Chu symbols (root 600, then root 147).
    pub fn zc_symbols(self) -> [usize; 2] {
        match self {
            BurstKind::Nine => [3, 5],
            BurstKind::Eight => [2, 4],
        }
    }

    /// Indices of the six data symbols, in transmission order.
    pub fn data_symbols(self) -> [usize; 6] {
        match self {
            BurstKind::Nine => [1, 2, 4, 6, 7, 8],
            BurstKind::Eight => [0, 1, 3, 5, 6, 7],
        }
    }

    /// The index of the Gold-only symbol, if the burst has one.
    pub fn gold_symbol(self) -> Option<usize> {
        match self {
            BurstKind::Nine => Some(0),
            BurstKind::Eight => None,
        }
    }

    /// Offset of symbol `i`'s useful part (after its cyclic prefix) from the burst start.
    pub fn symbol_offset(self, i: usize) -> usize {
        let cps = self.cp_lengths();
        cps.iter().take(i + 1).sum::<usize>() + i * NFFT
    }
}

/// The FFT bin (0..1024, unshifted) of carrier `c` (0..600, lowest frequency first): the carriers are the
/// fft-shifted bins 212..511 and 513..812, with DC (512) left empty.
pub fn carrier_bin(c: usize) -> usize {
    let shifted = if c < CARRIERS / 2 { 212 + c } else { 213 + c };
    (shifted + NFFT / 2) % NFFT
}

/// The signed frequency index (−300..=300, 0 = DC) of carrier `c`.
pub fn carrier_index(c: usize) -> i32 {
    let c = c as i32;
    if c < 300 {
        c - 300
    } else {
        c - 299
    }
}
