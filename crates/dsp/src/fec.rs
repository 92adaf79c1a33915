//! Forward error correction of the OcuSync DroneID burst: Gold descrambling, LTE rate (de)matching, the
//! LTE turbo code (K = 1408) and CRC24A, in both directions.
//!
//! The main types:
//! - [`Codec`]: everything planned once (Gold sequence, QPP interleaver, rate-matching table). It encodes
//!   transport blocks ([`Codec::encode`], [`Codec::encode_payload`]) and decodes bursts
//!   ([`Codec::decode`]).
//! - [`Scratch`]: the working memory of one decoder, allocated once; the per-burst path does not allocate.
//! - [`DecodeMode`]: the full turbo decoder or the research receiver's systematic-only slicer.
//! - [`TransportBlock`]: a decoded 176-byte block that passed CRC24A; [`FecError`] says why not.
//!
//! # Interface with the receiver
//!
//! The receiver hands [`Codec::decode`] the 7,200 soft bits of one burst as `&[f32]`:
//! - in transmission order: data symbols 1, 2, 4, 6, 7, 8 of the 9-symbol burst, within a symbol the
//!   600 carriers from lowest to highest frequency, per carrier b0 (from the real part) then b1 (from the
//!   imaginary part);
//! - as log-likelihood ratios **LLR = ln P(bit = 0) / P(bit = 1)**: positive means 0, so QPSK 1+j
//!   gives two positive LLRs (bits 00);
//! - still scrambled: descrambling is done here.
//!
//! [`Codec::encode`] returns the same 7,200 bits (0/1, scrambled) in the same order for the transmitter.
//! Symbol 0 of a burst carries `gold(C_INIT, 1200)`, available through [`gold`].
//!
//! # Decoding chain
//!
//! descramble (flip the LLR where c(n) = 1) → rate de-matching (rv 0, E = 7200, N_cb = 4320, k0 = 90):
//! the 2,964 coded bits sent twice are soft-combined by adding their LLRs, the 28 dummy bits per stream
//! never enter → max-log-MAP turbo decoding (extrinsic scaled by [`EXTRINSIC_SCALE`]), at most
//! [`Codec::max_iterations`] iterations, stopping as soon as CRC24A passes → CRC24A over 176 bytes.

mod gold;
mod ratematch;
mod turbo;

pub use gold::{gold, Gold};
pub use ratematch::{E, K0, K_PI, N_CB};
pub use turbo::{D, K, QPP_F1, QPP_F2};

use turbo::{Siso, Tail};

/// The scrambler initialisation used by OcuSync DroneID (x2 register = 0x12345678).
pub const C_INIT: u32 = 0x1234_5678;
/// Bytes of a transport block (173 payload bytes + 3 CRC24A bytes).
pub const TB_BYTES: usize = K / 8;
/// Payload bytes of a transport block, before CRC24A.
pub const PAYLOAD_BYTES: usize = TB_BYTES - 3;
/// Soft bits per burst, the input length of [`Codec::decode`].
pub const LLR_COUNT: usize = E;
/// Default cap on turbo iterations.
pub const MAX_ITERATIONS: u8 = 8;
/// Scale applied to extrinsic information between the constituent decoders: the usual correction of
/// max-log-MAP's over-confidence, worth a few tenths of a dB.
pub const EXTRINSIC_SCALE: f32 = 0.7;
/// Input LLRs are clamped to this magnitude (and NaN treated as 0) so no input can overflow the metrics.
const LLR_LIMIT: f32 = 1.0e4;

const CRC24A: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_24_LTE_A);

/// CRC24A of TS 36.212 §5.1.1 (polynomial 0x864CFB, init 0, MSB-first). Over a block with its CRC appended
/// the result is 0.
pub fn crc24a(data: &[u8]) -> u32 {
    CRC24A.checksum(data)
}

/// How [`Codec::decode`] turns soft bits into a block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DecodeMode {
    /// Max-log-MAP turbo decoding with early stop on CRC24A.
    #[default]
    Turbo,
    /// The research receiver's method (RUB-SysSec): hard decisions on one copy of the systematic bits (the
    /// complete copy starting at output bit 4148), no combining, no turbo decoding. Kept to compare
    /// sensitivity.
    SystematicHard,
    /// Hard decisions on the systematic bits after soft-combining both copies: no turbo decoding.
    SystematicSoft,
}

/// A 176-byte transport block that passed CRC24A.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportBlock {
    /// The block: 173 payload bytes then CRC24A, big-endian.
    pub bytes: [u8; TB_BYTES],
    /// Turbo iterations used (1..=max); 0 for the systematic modes.
    pub iterations: u8,
    /// How it was decoded.
    pub mode: DecodeMode,
    /// Of the 7,200 received soft bits, how many have the wrong sign for the re-encoded block: the bit
    /// errors the code corrected, a link-quality figure (0 on a clean burst).
    pub channel_errors: u16,
}

impl TransportBlock {
    /// The 173 payload bytes (the OcuSync frame and its padding).
    pub fn payload(&self) -> &[u8] {
        self.bytes.get(..PAYLOAD_BYTES).unwrap_or(&[])
    }
}

/// Why a burst did not yield a transport block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FecError {
    /// The soft-bit slice does not hold exactly [`LLR_COUNT`] values.
    #[error("expected {expected} soft bits, got {got}")]
    Length { expected: usize, got: usize },
    /// No candidate block satisfied CRC24A.
    #[error("CRC24A failed after {iterations} turbo iterations ({mode:?})")]
    Crc24 { iterations: u8, mode: DecodeMode },
}

/// The planned encoder and decoder; build once with [`Codec::new`] and share (`&self` everywhere).
#[derive(Debug, Clone)]
pub struct Codec {
    /// QPP permutation Π.
    pi: Box<[u16]>,
    /// Output bit e of the rate matcher → coded bit index (`stream·D + k`).
    rm: Box<[u16]>,
    /// Gold bits c(0..E).
    scramble: Box<[u8]>,
    /// For each systematic bit, the output position of its last (complete-copy) transmission.
    sys_last: Box<[u16]>,
    max_iterations: u8,
}

impl Default for Codec {
    fn default() -> Self {
        Self::new()
    }
}

/// Working memory for [`Codec::decode`]: allocate once per thread with [`Scratch::new`], reuse per burst.
pub struct Scratch {
    /// Soft-combined coded bits, d0 | d1 | d2.
    coded: Box<[f32]>,
    /// Systematic LLRs in interleaved order (input of the second decoder).
    sys_int: Box<[f32]>,
    /// A-priori LLRs of the current constituent decoder.
    apriori: Box<[f32]>,
    /// A-posteriori LLRs of the current constituent decoder.
    app: Box<[f32]>,
    /// Extrinsic LLRs from decoder 2, in natural order (a-priori of decoder 1).
    ext: Box<[f32]>,
    siso: Siso,
}

impl Default for Scratch {
    fn default() -> Self {
        Self::new()
    }
}

impl Scratch {
    /// Allocates the decoder's buffers (about 80 KB).
    pub fn new() -> Self {
        let z = |n: usize| vec![0.0f32; n].into_boxed_slice();
        Scratch {
            coded: z(3 * D),
            sys_int: z(K),
            apriori: z(K),
            app: z(K),
            ext: z(K),
            siso: Siso::new(),
        }
    }
}

impl Codec {
    /// Plans the Gold sequence, the QPP interleaver (f1 = 43, f2 = 88) and the rate-matching table.
    pub fn new() -> Self {
        let pi = turbo::qpp(K, QPP_F1, QPP_F2).into_boxed_slice();
        let rm = ratematch::plan().into_boxed_slice();
        let scramble = gold(C_INIT, E).into_boxed_slice();
        let mut sys_last = vec![0u16; K];
        for (e, &i) in rm.iter().enumerate() {
            if let Some(s) = sys_last.get_mut(usize::from(i)) {
                *s = e as u16;
            }
        }
        Codec {
            pi,
            rm,
            scramble,
            sys_last: sys_last.into_boxed_slice(),
            max_iterations: MAX_ITERATIONS,
        }
    }

    /// The cap on turbo iterations ([`MAX_ITERATIONS`] unless changed).
    pub fn max_iterations(&self) -> u8 {
        self.max_iterations
    }

    /// Sets the cap on turbo iterations (at least 1).
    pub fn set_max_iterations(&mut self, n: u8) {
        self.max_iterations = n.max(1);
    }

    /// Transmit side for a payload: appends CRC24A to the 173 bytes, then as [`Codec::encode`].
    pub fn encode_payload(&self, payload: &[u8; PAYLOAD_BYTES]) -> [u8; E] {
        self.encode(&with_crc24a(payload))
    }

    /// Transmit side: turbo encode the 176-byte block (CRC24A already in place), rate match to 7,200 bits
    /// and scramble. One bit (0/1) per byte, in the order described in the module docs.
    pub fn encode(&self, tb: &[u8; TB_BYTES]) -> [u8; E] {
        let mut d = [[0u8; D]; 3];
        turbo::encode(&bytes_to_bits(tb), &self.pi, &mut d);
        let mut out = [0u8; E];
        for ((o, &i), &c) in out.iter_mut().zip(self.rm.iter()).zip(self.scramble.iter()) {
            let i = usize::from(i);
            let bit = d
                .get(i / D)
                .and_then(|s| s.get(i % D))
                .copied()
                .unwrap_or(0);
            *o = bit ^ c;
        }
        out
    }

    /// Decodes the 7,200 scrambled soft bits of one burst into a transport block that passes CRC24A.
    ///
    /// # Errors
    ///
    /// [`FecError::Length`] when `llrs` is not 7,200 long; [`FecError::Crc24`] when no decision passes
    /// CRC24A within the iteration cap.
    pub fn decode(
        &self,
        scratch: &mut Scratch,
        llrs: &[f32],
        mode: DecodeMode,
    ) -> Result<TransportBlock, FecError> {
        if llrs.len() != E {
            return Err(FecError::Length {
                expected: E,
                got: llrs.len(),
            });
        }
        let mut bits = [0u8; K];
        let iterations = match mode {
            DecodeMode::SystematicHard => {
                for (b, &e) in bits.iter_mut().zip(self.sys_last.iter()) {
                    let e = usize::from(e);
                    let l = descrambled(llrs, &self.scramble, e);
                    *b = u8::from(l < 0.0);
                }
                0
            }
            DecodeMode::SystematicSoft => {
                self.dematch(scratch, llrs);
                for (b, &l) in bits.iter_mut().zip(scratch.coded.iter()) {
                    *b = u8::from(l < 0.0);
                }
                0
            }
            DecodeMode::Turbo => {
                self.dematch(scratch, llrs);
                match self.turbo(scratch, &mut bits) {
                    Ok(n) => n,
                    Err(n) => {
                        return Err(FecError::Crc24 {
                            iterations: n,
                            mode,
                        })
                    }
                }
            }
        };
        let bytes = bits_to_bytes(&bits);
        if crc24a(&bytes) != 0 {
            return Err(FecError::Crc24 { iterations, mode });
        }
        let tx = self.encode(&bytes);
        let errors = tx
            .iter()
            .zip(llrs)
            .filter(|(&b, &l)| (b == 0 && l < 0.0) || (b == 1 && l > 0.0))
            .count();
        Ok(TransportBlock {
            bytes,
            iterations,
            mode,
            channel_errors: errors as u16,
        })
    }

    /// Descrambles and soft-combines the received LLRs into `scratch.coded` (d0 | d1 | d2).
    fn dematch(&self, scratch: &mut Scratch, llrs: &[f32]) {
        scratch.coded.fill(0.0);
        for (e, &i) in self.rm.iter().enumerate() {
            let l = descrambled(llrs, &self.scramble, e);
            if let Some(c) = scratch.coded.get_mut(usize::from(i)) {
                *c += l;
            }
        }
    }

    /// Turbo iterations on `scratch.coded`; `Ok(iterations)` with `bits` passing CRC24A, or
    /// `Err(iterations)`.
    fn turbo(&self, s: &mut Scratch, bits: &mut [u8; K]) -> Result<u8, u8> {
        let (d0, rest) = s.coded.split_at(D);
        let (d1, d2) = rest.split_at(D);
        let [tail1, tail2]: [Tail; 2] = turbo::split_tails(d0, d1, d2);
        let sys = d0.get(..K).unwrap_or(&[]);
        let par1 = d1.get(..K).unwrap_or(&[]);
        let par2 = d2.get(..K).unwrap_or(&[]);
        for (o, &p) in s.sys_int.iter_mut().zip(self.pi.iter()) {
            *o = sys.get(usize::from(p)).copied().unwrap_or(0.0);
        }
        s.ext.fill(0.0);
        for it in 1..=self.max_iterations {
            // Decoder 1, natural order, a-priori = extrinsic of decoder 2.
            s.siso.run(sys, &s.ext, par1, &tail1, &mut s.app);
            // Its extrinsic, interleaved, is decoder 2's a-priori.
            for (a, &p) in s.apriori.iter_mut().zip(self.pi.iter()) {
                let p = usize::from(p);
                let app = s.app.get(p).copied().unwrap_or(0.0);
                let ls = sys.get(p).copied().unwrap_or(0.0);
                let la = s.ext.get(p).copied().unwrap_or(0.0);
                *a = EXTRINSIC_SCALE * (app - ls - la);
            }
            s.siso.run(&s.sys_int, &s.apriori, par2, &tail2, &mut s.app);
            // Deinterleave decoder 2's output: extrinsic for decoder 1 and the hard decisions.
            for (i, &p) in self.pi.iter().enumerate() {
                let p = usize::from(p);
                let app = s.app.get(i).copied().unwrap_or(0.0);
                let ls = s.sys_int.get(i).copied().unwrap_or(0.0);
                let la = s.apriori.get(i).copied().unwrap_or(0.0);
                if let Some(e) = s.ext.get_mut(p) {
                    *e = EXTRINSIC_SCALE * (app - ls - la);
                }
                if let Some(b) = bits.get_mut(p) {
                    *b = u8::from(app < 0.0);
                }
            }
            if crc24a(&bits_to_bytes(bits)) == 0 {
                return Ok(it);
            }
        }
        Err(self.max_iterations)
    }
}

/// The received LLR at output position `e`, sanitised and with the scrambling undone.
#[inline]
fn descrambled(llrs: &[f32], scramble: &[u8], e: usize) -> f32 {
    let l = llrs.get(e).copied().unwrap_or(0.0);
    let l = if l.is_nan() {
        0.0
    } else {
        l.clamp(-LLR_LIMIT, LLR_LIMIT)
    };
    if scramble.get(e).copied().unwrap_or(0) == 1 {
        -l
    } else {
        l
    }
}

/// Appends CRC24A (big-endian, i.e. parity bit p0 first) to a 173-byte payload.
pub fn with_crc24a(payload: &[u8; PAYLOAD_BYTES]) -> [u8; TB_BYTES] {
    let mut tb = [0u8; TB_BYTES];
    tb[..PAYLOAD_BYTES].copy_from_slice(payload);
    let crc = crc24a(payload).to_be_bytes();
    tb[PAYLOAD_BYTES..].copy_from_slice(&crc[1..]);
    tb
}

/// Bytes to bits, MSB first (TS 36.212 numbers the first transmitted bit a0 = MSB of byte 0).
fn bytes_to_bits(bytes: &[u8; TB_BYTES]) -> [u8; K] {
    let mut bits = [0u8; K];
    for (chunk, &b) in bits.chunks_exact_mut(8).zip(bytes.iter()) {
        for (j, bit) in chunk.iter_mut().enumerate() {
            *bit = (b >> (7 - j)) & 1;
        }
    }
    bits
}

fn bits_to_bytes(bits: &[u8; K]) -> [u8; TB_BYTES] {
    let mut bytes = [0u8; TB_BYTES];
    for (b, chunk) in bytes.iter_mut().zip(bits.chunks_exact(8)) {
        *b = chunk.iter().fold(0u8, |acc, &x| (acc << 1) | (x & 1));
    }
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn crc24a_check_value_and_append() {
        // The CRC catalogue's check value for CRC-24/LTE-A over "123456789".
        assert_eq!(crc24a(b"123456789"), 0xCDE703);
        let payload = [0xA5u8; PAYLOAD_BYTES];
        let tb = with_crc24a(&payload);
        assert_eq!(crc24a(&tb), 0);
    }

    #[test]
    fn crc24a_of_a_real_block_is_zero() {
        // mavic_air_2 burst 2 (test_vectors_frames.txt vector 1): its last 3 bytes are CRC24A 0x53452e.
        let tb = unhex(
            "5810024f02f71f31574e4248333930303230314e310000915a13008b0289008d002a00feff02001a0011cc129ef84b80\
             010000750289007d5a1300a95a13007e0289003a13313134333633353533323137313533343333360048b00000000000\
             00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000ee7c\
             02d8a8ffe1dcf7f72451238407e1b27afcf71e50502a6b1b44f0f5fe6f53452e",
        );
        assert_eq!(tb.len(), TB_BYTES);
        assert_eq!(crc24a(&tb), 0);
        assert_eq!(crc24a(&tb[..PAYLOAD_BYTES]), 0x53452e);
    }

    #[test]
    fn bits_round_trip() {
        let mut tb = [0u8; TB_BYTES];
        for (i, b) in tb.iter_mut().enumerate() {
            *b = (i * 37 + 11) as u8;
        }
        let bits = bytes_to_bits(&tb);
        assert_eq!(&bits[..8], &[0, 0, 0, 0, 1, 0, 1, 1]); // 11 = 0b0000_1011, MSB first
        assert_eq!(bits_to_bytes(&bits), tb);
    }
}
