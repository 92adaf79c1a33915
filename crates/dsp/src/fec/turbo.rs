//! The LTE turbo code of 3GPP TS 36.212 §5.1.3.2 for one block size: the QPP interleaver, the PCCC
//! encoder with trellis termination, and an iterative max-log-MAP decoder.
//!
//! Written by hand rather than taken from the `pccc` crate: that crate allocates on every call, works on
//! an enum per bit, runs a fixed number of iterations (we stop as soon as CRC24A passes) and does not place
//! the 12 tail bits the way §5.1.3.2.2 does, which the rate matcher depends on.

/// Information bits per block, K (the 176-byte transport block).
pub const K: usize = 1408;
/// Bits per encoder output stream, D = K + 4 (K systematic or parity bits plus 4 tail bits).
pub const D: usize = K + 4;
/// QPP interleaver coefficients for K = 1408 (TS 36.212 Table 5.1.3-3).
pub const QPP_F1: usize = 43;
/// See [`QPP_F1`].
pub const QPP_F2: usize = 88;

/// Steps of the trellis including the 3 termination steps.
const STEPS: usize = K + 3;
/// Stands in for log(0): finite so that sums of it never make NaN.
const NEG: f32 = -1.0e30;

/// The QPP permutation Π(i) = (f1·i + f2·i²) mod K: the interleaved sequence is c'(i) = c(Π(i)).
pub fn qpp(k: usize, f1: usize, f2: usize) -> Vec<u16> {
    (0..k)
        .map(|i| {
            // Reduce as we go: i² alone fits, but f2·i² may not on 32-bit targets.
            let sq = (i * i) % k;
            ((f1 * i + f2 * sq) % k) as u16
        })
        .collect()
}

/// One step of the constituent RSC encoder (g0 = 1 + D² + D³ feedback, g1 = 1 + D + D³ parity).
///
/// The state is `s1 << 2 | s2 << 1 | s3` with s1 the newest register. Returns (next state, parity bit).
#[inline]
const fn rsc_step(state: usize, u: usize) -> (usize, usize) {
    let s1 = (state >> 2) & 1;
    let s2 = (state >> 1) & 1;
    let s3 = state & 1;
    let a = u ^ s2 ^ s3;
    let z = a ^ s1 ^ s3;
    ((a << 2) | (state >> 1), z)
}

/// The input that drives the feedback to zero, used for termination (TS 36.212 §5.1.3.2.2).
#[inline]
const fn tail_input(state: usize) -> usize {
    ((state >> 1) ^ state) & 1
}

/// Encodes K information bits (0/1 per byte) into the streams d0 (systematic), d1 (parity 1) and
/// d2 (parity 2), each of D bits, with the tail bits placed as in TS 36.212 §5.1.3.2.2.
pub fn encode(bits: &[u8; K], pi: &[u16], d: &mut [[u8; D]; 3]) {
    let mut s1 = 0usize;
    let mut s2 = 0usize;
    for k in 0..K {
        let u = usize::from(bits[k] & 1);
        let (n1, z1) = rsc_step(s1, u);
        // `pi` holds K values below K by construction (see `qpp`).
        let ui = usize::from(bits[usize::from(pi[k])] & 1);
        let (n2, z2) = rsc_step(s2, ui);
        d[0][k] = u as u8;
        d[1][k] = z1 as u8;
        d[2][k] = z2 as u8;
        s1 = n1;
        s2 = n2;
    }
    let mut x = [0u8; 3];
    let mut z = [0u8; 3];
    let mut xp = [0u8; 3];
    let mut zp = [0u8; 3];
    for t in 0..3 {
        let u = tail_input(s1);
        let (n, p) = rsc_step(s1, u);
        x[t] = u as u8;
        z[t] = p as u8;
        s1 = n;
        let u = tail_input(s2);
        let (n, p) = rsc_step(s2, u);
        xp[t] = u as u8;
        zp[t] = p as u8;
        s2 = n;
    }
    let tails = tail_layout();
    for (stream, row) in tails.iter().enumerate() {
        for (j, &(enc, kind, t)) in row.iter().enumerate() {
            let v = match (enc, kind) {
                (0, 0) => x[t],
                (0, _) => z[t],
                (_, 0) => xp[t],
                _ => zp[t],
            };
            d[stream][K + j] = v;
        }
    }
}

/// Where each tail bit goes: `[stream][j]` = (encoder 0|1, 0 = systematic x | 1 = parity z, step t) for
/// d_stream(K + j), per TS 36.212 §5.1.3.2.2.
const fn tail_layout() -> [[(u8, u8, usize); 4]; 3] {
    [
        [(0, 0, 0), (0, 1, 1), (1, 0, 0), (1, 1, 1)],
        [(0, 1, 0), (0, 0, 2), (1, 1, 0), (1, 0, 2)],
        [(0, 0, 1), (0, 1, 2), (1, 0, 1), (1, 1, 2)],
    ]
}

/// The trellis as tables: for state s and input u, the next state and the parity bit.
struct Trellis {
    next: [[usize; 2]; 8],
    parity: [[bool; 2]; 8],
}

const TRELLIS: Trellis = {
    let mut next = [[0usize; 2]; 8];
    let mut parity = [[false; 2]; 8];
    let mut s = 0;
    while s < 8 {
        let mut u = 0;
        while u < 2 {
            let (n, z) = rsc_step(s, u);
            next[s][u] = n;
            parity[s][u] = z == 1;
            u += 1;
        }
        s += 1;
    }
    Trellis { next, parity }
};

/// Soft input of one constituent decoder's termination: the LLRs of x(K..K+3) and z(K..K+3).
#[derive(Debug, Clone, Copy, Default)]
pub struct Tail {
    pub sys: [f32; 3],
    pub par: [f32; 3],
}

/// Splits the 12 tail LLRs of d0..d2 (positions K..K+3) into the two encoders' tails.
pub fn split_tails(d0: &[f32], d1: &[f32], d2: &[f32]) -> [Tail; 2] {
    let mut t = [Tail::default(); 2];
    let streams = [d0, d1, d2];
    for (stream, row) in tail_layout().iter().enumerate() {
        for (j, &(enc, kind, step)) in row.iter().enumerate() {
            let v = streams[stream].get(K + j).copied().unwrap_or(0.0);
            let tail = &mut t[usize::from(enc)];
            if kind == 0 {
                tail.sys[step] = v;
            } else {
                tail.par[step] = v;
            }
        }
    }
    t
}

/// Working memory of the max-log-MAP constituent decoder: the forward metrics of every step.
pub struct Siso {
    alpha: Box<[[f32; 8]]>,
}

impl Default for Siso {
    fn default() -> Self {
        Self::new()
    }
}

impl Siso {
    /// Allocates the forward-metric memory once.
    pub fn new() -> Self {
        Siso {
            alpha: vec![[0.0; 8]; STEPS + 1].into_boxed_slice(),
        }
    }

    /// Max-log-MAP over the terminated trellis. Inputs are LLRs ln P(0)/P(1) of the systematic bits,
    /// their a-priori values and the parity bits (each K long); writes the a-posteriori LLRs to `app`.
    pub fn run(&mut self, sys: &[f32], apriori: &[f32], par: &[f32], tail: &Tail, app: &mut [f32]) {
        let alpha = &mut self.alpha;
        let mut a0 = [NEG; 8];
        a0[0] = 0.0;
        if let Some(a) = alpha.first_mut() {
            *a = a0;
        }
        // Forward recursion over the K information steps then the 3 termination steps.
        let mut cur = a0;
        for k in 0..STEPS {
            let (hs, hp, tail_step) = if k < K {
                let s = sys.get(k).copied().unwrap_or(0.0) + apriori.get(k).copied().unwrap_or(0.0);
                (0.5 * s, 0.5 * par.get(k).copied().unwrap_or(0.0), false)
            } else {
                let t = k - K;
                (0.5 * tail.sys[t], 0.5 * tail.par[t], true)
            };
            let mut nxt = [NEG; 8];
            for (s, &a) in cur.iter().enumerate() {
                for u in 0..2 {
                    if tail_step && u != tail_input(s) {
                        continue;
                    }
                    let g = branch(hs, hp, u, TRELLIS.parity[s][u]);
                    let n = TRELLIS.next[s][u];
                    let m = a + g;
                    if m > nxt[n] {
                        nxt[n] = m;
                    }
                }
            }
            // Normalise so metrics stay small whatever the block.
            let norm = nxt[0];
            for v in nxt.iter_mut() {
                *v -= norm;
            }
            cur = nxt;
            if let Some(a) = alpha.get_mut(k + 1) {
                *a = cur;
            }
        }
        // Backward recursion: termination steps first (no LLR output), then information steps.
        let mut beta = [NEG; 8];
        beta[0] = 0.0;
        for k in (K..STEPS).rev() {
            let t = k - K;
            let (hs, hp) = (0.5 * tail.sys[t], 0.5 * tail.par[t]);
            let mut prev = [NEG; 8];
            for (s, p) in prev.iter_mut().enumerate() {
                let u = tail_input(s);
                let g = branch(hs, hp, u, TRELLIS.parity[s][u]);
                *p = g + beta[TRELLIS.next[s][u]];
            }
            beta = normalised(prev);
        }
        for k in (0..K).rev() {
            let s_in = sys.get(k).copied().unwrap_or(0.0) + apriori.get(k).copied().unwrap_or(0.0);
            let hs = 0.5 * s_in;
            let hp = 0.5 * par.get(k).copied().unwrap_or(0.0);
            let a = alpha.get(k).copied().unwrap_or([NEG; 8]);
            let mut best = [NEG; 2];
            let mut prev = [NEG; 8];
            for s in 0..8 {
                for u in 0..2 {
                    let g = branch(hs, hp, u, TRELLIS.parity[s][u]);
                    let gb = g + beta[TRELLIS.next[s][u]];
                    let m = a[s] + gb;
                    if m > best[u] {
                        best[u] = m;
                    }
                    if gb > prev[s] {
                        prev[s] = gb;
                    }
                }
            }
            if let Some(o) = app.get_mut(k) {
                *o = best[0] - best[1];
            }
            beta = normalised(prev);
        }
    }
}

/// The branch metric ½(±(Ls+La)) + ½(±Lp) with + for a 0 bit.
#[inline]
fn branch(hs: f32, hp: f32, u: usize, p: bool) -> f32 {
    let s = if u == 0 { hs } else { -hs };
    let q = if p { -hp } else { hp };
    s + q
}

#[inline]
fn normalised(mut m: [f32; 8]) -> [f32; 8] {
    let norm = m[0];
    for v in m.iter_mut() {
        *v -= norm;
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qpp_is_a_permutation_with_known_values() {
        let pi = qpp(K, QPP_F1, QPP_F2);
        let mut seen = vec![false; K];
        for &p in &pi {
            assert!(!seen[usize::from(p)]);
            seen[usize::from(p)] = true;
        }
        // Π(1) = 43 + 88 = 131; Π(2) = 86 + 352 = 438; Π(16) = (688 + 22528) mod 1408 = 688.
        assert_eq!(&pi[..3], &[0, 131, 438]);
        assert_eq!(pi[16], 688);
    }

    #[test]
    fn termination_returns_both_encoders_to_state_zero() {
        // Run the recursion by hand and check that the 3 tail inputs always end in state 0.
        for s0 in 0..8 {
            let mut s = s0;
            for _ in 0..3 {
                s = rsc_step(s, tail_input(s)).0;
            }
            assert_eq!(s, 0, "from state {s0}");
        }
    }

    #[test]
    fn impulse_response_of_the_rsc() {
        // A single 1 into 1 + D + D³ / 1 + D² + D³: feedback sequence a = 1,0,1,1,1,0,0,1,... (period 7),
        // parity z(n) = a(n) + a(n-1) + a(n-3). Worked out by hand from the generator polynomials.
        let mut s = 0;
        let mut zs = Vec::new();
        for n in 0..8 {
            let (ns, z) = rsc_step(s, usize::from(n == 0));
            zs.push(z);
            s = ns;
        }
        assert_eq!(zs, [1, 1, 1, 1, 0, 0, 1, 0]);
    }

    /// A straightforward Viterbi search over the terminated trellis, used as the naive reference: with
    /// `forced = Some((k, u))` the information bit k is constrained to u. Returns the best path metric
    /// (same branch metric as the decoder) and its information bits.
    fn viterbi(
        sys: &[f32],
        par: &[f32],
        tail: &Tail,
        forced: Option<(usize, usize)>,
    ) -> (f32, Vec<u8>) {
        let mut metric = vec![f32::NEG_INFINITY; 8];
        metric[0] = 0.0;
        let mut back: Vec<[(usize, usize); 8]> = Vec::new();
        for k in 0..STEPS {
            let (ls, lp) = if k < K {
                (sys[k], par[k])
            } else {
                (tail.sys[k - K], tail.par[k - K])
            };
            let mut next = vec![f32::NEG_INFINITY; 8];
            let mut from = [(0usize, 0usize); 8];
            for (s, &ms) in metric.iter().enumerate() {
                for u in 0..2 {
                    let allowed = if k < K {
                        !matches!(forced, Some((fk, fu)) if fk == k && fu != u)
                    } else {
                        u == tail_input(s)
                    };
                    if !allowed || ms == f32::NEG_INFINITY {
                        continue;
                    }
                    let (n, z) = rsc_step(s, u);
                    let sign = |b: usize| if b == 0 { 0.5 } else { -0.5 };
                    let m = ms + sign(u) * ls + sign(z) * lp;
                    if m > next[n] {
                        next[n] = m;
                        from[n] = (s, u);
                    }
                }
            }
            metric = next;
            back.push(from);
        }
        let mut bits = vec![0u8; K];
        let mut s = 0;
        for k in (0..STEPS).rev() {
            let (p, u) = back[k][s];
            if k < K {
                bits[k] = u as u8;
            }
            s = p;
        }
        (metric[0], bits)
    }

    #[test]
    fn max_log_map_agrees_with_a_naive_viterbi_search() {
        // One constituent code over a noisy channel (a fixed pseudo-random pattern, no RNG needed).
        let mut x = 0x2545_F491_u32;
        let mut noise = || {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x as f32 / u32::MAX as f32 - 0.5) * 5.0
        };
        let bits: Vec<u8> = (0..K).map(|k| ((k * 7 + k / 5) % 3 == 0) as u8).collect();
        let mut s = 0;
        let mut sys = vec![0.0; K];
        let mut par = vec![0.0; K];
        let bpsk = |b: usize| if b == 0 { 1.5 } else { -1.5 };
        for k in 0..K {
            let u = usize::from(bits[k]);
            let (n, z) = rsc_step(s, u);
            sys[k] = bpsk(u) + noise();
            par[k] = bpsk(z) + noise();
            s = n;
        }
        let mut tail = Tail::default();
        for t in 0..3 {
            let u = tail_input(s);
            let (n, z) = rsc_step(s, u);
            tail.sys[t] = bpsk(u) + noise();
            tail.par[t] = bpsk(z) + noise();
            s = n;
        }
        let mut siso = Siso::new();
        let mut app = vec![0.0; K];
        siso.run(&sys, &vec![0.0; K], &par, &tail, &mut app);
        let (best, ml) = viterbi(&sys, &par, &tail, None);
        // Max-log-MAP decisions are the maximum-likelihood path...
        let hard: Vec<u8> = app.iter().map(|&l| u8::from(l < 0.0)).collect();
        assert_eq!(hard, ml);
        // ...and the channel was noisy enough for that path to differ from what was sent.
        assert!(ml != bits);
        // Each LLR is the gap to the best path with that bit flipped.
        for k in [0, 1, 5, 700, 1200, K - 1] {
            let flip = 1 - usize::from(ml[k]);
            let (other, _) = viterbi(&sys, &par, &tail, Some((k, flip)));
            let expect = if ml[k] == 0 {
                best - other
            } else {
                other - best
            };
            assert!(
                (app[k] - expect).abs() < 1e-2 * (1.0 + expect.abs()),
                "bit {k}: {} vs {expect}",
                app[k]
            );
        }
    }
}
