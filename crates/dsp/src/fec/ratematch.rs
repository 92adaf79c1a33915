//! LTE rate matching for turbo-coded transport channels (TS 36.212 §5.1.4.1) specialised to OcuSync:
//! D = 1412 bits per stream, rv = 0, no soft-buffer limit (N_cb = 3·K_Π = 4320, k0 = 90), E = 7200.
//!
//! Rather than moving bits through the sub-block interleavers and the circular buffer on every burst, the
//! whole chain is planned once into one table: output bit e of the rate matcher is coded bit `table[e]`,
//! where coded bits are numbered `stream·D + k` (d0, then d1, then d2). Dummy (NULL) bits never appear in
//! the table, which is how the spec skips them.

use super::turbo::D;

/// Columns of the sub-block interleaver, C.
pub const COLUMNS: usize = 32;
/// Rows R = ⌈D / C⌉ = 45.
pub const ROWS: usize = D.div_ceil(COLUMNS);
/// Sub-block size K_Π = R·C = 1440.
pub const K_PI: usize = ROWS * COLUMNS;
/// Dummy bits padded at the front of each stream, N_D = K_Π − D = 28.
pub const DUMMY: usize = K_PI - D;
/// Circular buffer length N_cb = 3·K_Π (the soft buffer is not limited).
pub const N_CB: usize = 3 * K_PI;
/// Start of redundancy version 0, k0 = R·(2·⌈N_cb / 8R⌉·rv + 2) = 2R.
pub const K0: usize = 2 * ROWS;
/// Rate-matched output length per burst: 6 data symbols × 600 carriers × 2 bits.
pub const E: usize = 7200;

/// Inter-column permutation P of the sub-block interleaver (TS 36.212 Table 5.1.4-1).
const PERM: [usize; COLUMNS] = [
    0, 16, 8, 24, 4, 20, 12, 28, 2, 18, 10, 26, 6, 22, 14, 30, 1, 17, 9, 25, 5, 21, 13, 29, 3, 19,
    11, 27, 7, 23, 15, 31,
];

/// For stream `stream` (0..3) and sub-block output position `k` (0..K_Π), the index of the stream bit
/// d(stream)(·) read there, or `None` for a dummy bit.
pub fn subblock(stream: usize, k: usize) -> Option<usize> {
    let col = PERM.get(k / ROWS).copied().unwrap_or(0);
    let base = col + COLUMNS * (k % ROWS);
    // The third stream is read one position later (§5.1.4.1.1, π(k) for d2), wrapping at K_Π.
    let y = if stream == 2 { (base + 1) % K_PI } else { base };
    y.checked_sub(DUMMY)
}

/// The rate-matching table: `table[e]` = coded bit (`stream·D + k`) sent as output bit e.
pub fn plan() -> Vec<u16> {
    // The circular buffer w: the systematic sub-block, then the two parity sub-blocks interlaced.
    let mut w: Vec<Option<usize>> = Vec::with_capacity(N_CB);
    for k in 0..K_PI {
        w.push(subblock(0, k));
    }
    for k in 0..K_PI {
        w.push(subblock(1, k).map(|i| D + i));
        w.push(subblock(2, k).map(|i| 2 * D + i));
    }
    let mut table = Vec::with_capacity(E);
    let mut j = 0;
    while table.len() < E {
        if let Some(Some(i)) = w.get((K0 + j) % N_CB) {
            table.push(*i as u16);
        }
        j += 1;
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dimensions_match_the_reference_notes() {
        // ocusync.md §1.10: R = 45, K_Π = 1440, 28 dummy bits, N_cb = 4320, k0 = 90.
        assert_eq!((ROWS, K_PI, DUMMY, N_CB, K0), (45, 1440, 28, 4320, 90));
    }

    #[test]
    fn every_coded_bit_is_sent_and_systematic_repeats_from_4148() {
        let t = plan();
        assert_eq!(t.len(), E);
        let mut count = vec![0u32; 3 * D];
        for &i in &t {
            count[usize::from(i)] += 1;
        }
        // 4236 non-null bits; 7200 − 4236 = 2964 sent twice, none three times.
        assert!(count.iter().all(|&c| c == 1 || c == 2));
        assert_eq!(count.iter().filter(|&&c| c == 2).count(), E - 3 * D);
        // RUB's shortcut (ocusync.md §1.10): the whole systematic stream, in sub-block order, restarts at
        // output bit 4148 = 4236 − 88.
        let second: Vec<usize> = t[4148..4148 + D].iter().map(|&i| usize::from(i)).collect();
        let expect: Vec<usize> = (0..K_PI).filter_map(|k| subblock(0, k)).collect();
        assert_eq!(second, expect);
        // k0 = 90 is the third permuted column, P(2) = 8: row 0 reads y(8), a dummy, so the first output
        // bit is row 1, y(40) = d0(12).
        assert_eq!(t[0], 12);
    }

    #[test]
    fn dummy_bits_per_stream() {
        for s in 0..3 {
            let nulls = (0..K_PI).filter(|&k| subblock(s, k).is_none()).count();
            assert_eq!(nulls, DUMMY, "stream {s}");
        }
        // d2 reads y(1) first: a dummy; its last position reads y((31 + 32·44 + 1) mod 1440) = y(0): dummy.
        assert_eq!(subblock(2, 0), None);
        assert_eq!(subblock(2, K_PI - 1), None);
        assert_eq!(subblock(1, K_PI - 1), Some(K_PI - 1 - DUMMY));
    }
}
