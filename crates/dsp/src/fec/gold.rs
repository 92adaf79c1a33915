//! The LTE pseudo-random (Gold) sequence of 3GPP TS 36.211 §7.2, used by OcuSync as the data scrambler.
//!
//! Written by hand: it is two 31-bit LFSRs, and no maintained crate exposes this exact sequence.

/// Offset N_c of TS 36.211 §7.2: the output starts 1600 steps after the registers are loaded.
const NC: usize = 1600;

/// A generator of the Gold sequence c(n), one bit per call to [`Gold::next_bit`].
///
/// Register bit `i` holds x(n+i), so the oldest value x(n) is bit 0 and each step shifts right.
#[derive(Debug, Clone)]
pub struct Gold {
    x1: u32,
    x2: u32,
}

impl Gold {
    /// A generator positioned at c(0) for the given `c_init` (x2(i) = bit i of `c_init`).
    pub fn new(c_init: u32) -> Self {
        // x1(0) = 1, x1(1..31) = 0; only the low 31 bits of c_init are meaningful.
        let mut g = Gold {
            x1: 1,
            x2: c_init & 0x7FFF_FFFF,
        };
        for _ in 0..NC {
            g.step();
        }
        g
    }

    fn step(&mut self) {
        // x1(n+31) = x1(n+3) ^ x1(n); x2(n+31) = x2(n+3) ^ x2(n+2) ^ x2(n+1) ^ x2(n).
        let f1 = ((self.x1 >> 3) ^ self.x1) & 1;
        let f2 = ((self.x2 >> 3) ^ (self.x2 >> 2) ^ (self.x2 >> 1) ^ self.x2) & 1;
        self.x1 = (self.x1 >> 1) | (f1 << 30);
        self.x2 = (self.x2 >> 1) | (f2 << 30);
    }

    /// The next bit c(n) (0 or 1), then advances to c(n+1).
    pub fn next_bit(&mut self) -> u8 {
        let c = ((self.x1 ^ self.x2) & 1) as u8;
        self.step();
        c
    }
}

/// The first `n` bits c(0..n) of the Gold sequence for `c_init`, one bit (0 or 1) per byte.
///
/// OcuSync uses `c_init = 0x12345678` ([`super::C_INIT`]); symbol 0 of a burst carries `gold(C_INIT, 1200)`.
pub fn gold(c_init: u32, n: usize) -> Vec<u8> {
    let mut g = Gold::new(c_init);
    (0..n).map(|_| g.next_bit()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A literal transcription of the recurrences of TS 36.211 §7.2 over whole arrays: the reference that
    /// the shift-register version is checked against.
    fn naive(c_init: u32, n: usize) -> Vec<u8> {
        let len = n + NC + 31;
        let mut x1 = vec![0u8; len];
        let mut x2 = vec![0u8; len];
        x1[0] = 1;
        for (i, x) in x2.iter_mut().enumerate().take(31) {
            *x = ((c_init >> i) & 1) as u8;
        }
        for k in 0..len - 31 {
            x1[k + 31] = x1[k + 3] ^ x1[k];
            x2[k + 31] = x2[k + 3] ^ x2[k + 2] ^ x2[k + 1] ^ x2[k];
        }
        (0..n).map(|k| x1[k + NC] ^ x2[k + NC]).collect()
    }

    #[test]
    fn matches_the_spec_recurrence() {
        for c_init in [0x1234_5678, 0, 1, 0x7FFF_FFFF, 0x0BAD_F00D] {
            assert_eq!(
                gold(c_init, 7200),
                naive(c_init, 7200),
                "c_init {c_init:#x}"
            );
        }
    }
}
