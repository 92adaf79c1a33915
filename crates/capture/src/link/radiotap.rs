//! Radiotap (link type 127): the header capture drivers put before 802.11 frames.
//!
//! Written by hand: the maintained `radiotap` crate allocates a `Vec` per header and stops at the first
//! vendor namespace, and we only need five fields. This walker follows the radiotap rules: a chain of
//! 32-bit present words (bit 31 = another word follows, bit 29 = the next word is in the radiotap namespace
//! again, bit 30 = a vendor namespace header `OUI(3) sub_ns(1) skip_length(2)` sits in the data at that
//! point and its `skip_length` bytes of vendor data follow), and every field aligned to its natural size
//! relative to the start of the header.

use crate::DropReason;

/// Flags field bit: the frame carries its 4-byte FCS at the end.
pub const FLAG_FCS: u8 = 0x10;
/// Flags field bit: the frame failed its FCS check.
pub const FLAG_BAD_FCS: u8 = 0x40;

/// The radiotap fields skytrace uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Radiotap {
    /// `it_len`: the 802.11 frame starts at this offset.
    pub len: usize,
    /// TSFT (bit 0): the MAC timestamp in microseconds.
    pub tsft: Option<u64>,
    /// Flags (bit 1).
    pub flags: Option<u8>,
    /// Channel (bit 3): centre frequency in MHz.
    pub freq_mhz: Option<u16>,
    /// Channel (bit 3): channel flags.
    pub channel_flags: Option<u16>,
    /// dBm antenna signal (bit 5), the first one in the header (the combined signal).
    pub antsignal_dbm: Option<i8>,
}

impl Radiotap {
    /// True when the frame ends with a 4-byte FCS.
    pub fn has_fcs(&self) -> bool {
        self.flags.is_some_and(|f| f & FLAG_FCS != 0)
    }

    /// True when the driver says the FCS check failed.
    pub fn bad_fcs(&self) -> bool {
        self.flags.is_some_and(|f| f & FLAG_BAD_FCS != 0)
    }
}

/// (alignment, size) of the radiotap-namespace fields 0..=27; 28 (TLV list) and above end the walk.
const FIELDS: [(usize, usize); 28] = [
    (8, 8),  // 0 TSFT
    (1, 1),  // 1 Flags
    (1, 1),  // 2 Rate
    (2, 4),  // 3 Channel: freq u16, flags u16
    (1, 2),  // 4 FHSS
    (1, 1),  // 5 dBm antenna signal
    (1, 1),  // 6 dBm antenna noise
    (2, 2),  // 7 Lock quality
    (2, 2),  // 8 TX attenuation
    (2, 2),  // 9 dB TX attenuation
    (1, 1),  // 10 dBm TX power
    (1, 1),  // 11 Antenna
    (1, 1),  // 12 dB antenna signal
    (1, 1),  // 13 dB antenna noise
    (2, 2),  // 14 RX flags
    (2, 2),  // 15 TX flags
    (1, 1),  // 16 RTS retries
    (1, 1),  // 17 data retries
    (4, 8),  // 18 XChannel
    (1, 3),  // 19 MCS
    (4, 8),  // 20 A-MPDU status
    (2, 12), // 21 VHT
    (8, 12), // 22 timestamp
    (2, 12), // 23 HE
    (2, 12), // 24 HE-MU
    (2, 6),  // 25 HE-MU-other-user
    (1, 1),  // 26 0-length PSDU
    (2, 4),  // 27 L-SIG
];

const BIT_RADIOTAP_NS: u32 = 29;
const BIT_VENDOR_NS: u32 = 30;
const BIT_EXT: u32 = 31;
/// A present-word chain longer than this is treated as malformed (real headers use 1-4 words).
const MAX_WORDS: usize = 64;

fn le_u16(b: &[u8], at: usize) -> Option<u16> {
    let s = b.get(at..at.checked_add(2)?)?;
    Some(u16::from_le_bytes([s[0], s[1]]))
}

fn le_u32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

fn le_u64(b: &[u8], at: usize) -> Option<u64> {
    let s = b.get(at..at.checked_add(8)?)?;
    let mut a = [0u8; 8];
    a.copy_from_slice(s);
    Some(u64::from_le_bytes(a))
}

fn align(off: usize, to: usize) -> Option<usize> {
    // `to` is always a power of two from the table.
    off.checked_add(to - 1).map(|v| v & !(to - 1))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Ns {
    Radiotap,
    Vendor,
}

/// Parses the radiotap header at the start of `frame`.
///
/// Fields after one the walker does not know the size of are left `None`: their offset cannot be known.
///
/// # Errors
///
/// [`DropReason::Truncated`] when the buffer is shorter than the 8-byte fixed header or than `it_len`;
/// [`DropReason::Malformed`] for a version other than 0, an `it_len` below 8 or a present-word chain
/// running past `it_len`.
pub fn parse(frame: &[u8]) -> Result<Radiotap, DropReason> {
    if frame.len() < 8 {
        return Err(DropReason::Truncated);
    }
    if frame[0] != 0 {
        return Err(DropReason::Malformed);
    }
    let len = usize::from(le_u16(frame, 2).ok_or(DropReason::Truncated)?);
    if len < 8 {
        return Err(DropReason::Malformed);
    }
    let hdr = frame.get(..len).ok_or(DropReason::Truncated)?;
    let mut out = Radiotap {
        len,
        ..Radiotap::default()
    };

    // Count the present words first: the field data starts after the last one.
    let mut words = 1usize;
    loop {
        let w = le_u32(hdr, 4 + 4 * (words - 1)).ok_or(DropReason::Malformed)?;
        if w & (1 << BIT_EXT) == 0 {
            break;
        }
        words += 1;
        if words > MAX_WORDS {
            return Err(DropReason::Malformed);
        }
    }
    let mut off = 4 + 4 * words;
    let mut ns = Ns::Radiotap;
    let mut base = 0u32; // field index of bit 0 of the current word within its namespace
    'words: for i in 0..words {
        let w = le_u32(hdr, 4 + 4 * i).ok_or(DropReason::Malformed)?;
        if ns == Ns::Radiotap {
            let mut bits = w & 0x1fff_ffff;
            while bits != 0 {
                let bit = bits.trailing_zeros();
                bits &= bits - 1;
                let idx = base + bit;
                let Some(&(al, size)) = FIELDS.get(idx as usize) else {
                    // Unknown field size: nothing after it can be located.
                    break 'words;
                };
                let Some(at) = align(off, al) else {
                    break 'words;
                };
                let Some(field) = hdr.get(at..at.saturating_add(size)) else {
                    // The field runs past it_len: keep what we found so far.
                    break 'words;
                };
                match idx {
                    0 => out.tsft = le_u64(field, 0),
                    1 => out.flags = field.first().copied(),
                    3 => {
                        out.freq_mhz = le_u16(field, 0);
                        out.channel_flags = le_u16(field, 2);
                    }
                    5 if out.antsignal_dbm.is_none() => {
                        out.antsignal_dbm = field.first().map(|&b| b as i8)
                    }
                    _ => {}
                }
                off = at + size;
                // Every field we read is at index 5 or below: once the signal is known, nothing further
                // in the header matters (this early exit halves the cost of a typical header).
                if idx >= 5 && out.antsignal_dbm.is_some() {
                    break 'words;
                }
            }
        }
        // Vendor-namespace words carry no fields we know; their data is skipped as one block below.
        if w & (1 << BIT_VENDOR_NS) != 0 {
            let Some(at) = align(off, 2) else {
                break;
            };
            let Some(skip) = le_u16(hdr, at.saturating_add(4)) else {
                break;
            };
            off = at + 6 + usize::from(skip);
            ns = Ns::Vendor;
            base = 0;
        } else if w & (1 << BIT_RADIOTAP_NS) != 0 {
            ns = Ns::Radiotap;
            base = 0;
        } else {
            base = base.saturating_add(32);
        }
    }
    Ok(out)
}

/// The 802.11 frame behind the radiotap header, with the FCS removed when the Flags say it is there.
///
/// # Errors
///
/// The errors of [`parse`], [`DropReason::BadFcs`] when the Flags mark a failed FCS, and
/// [`DropReason::Truncated`] when the frame is shorter than its declared FCS.
pub fn payload(frame: &[u8]) -> Result<(Radiotap, &[u8]), DropReason> {
    let rt = parse(frame)?;
    if rt.bad_fcs() {
        return Err(DropReason::BadFcs);
    }
    let mut body = frame.get(rt.len..).ok_or(DropReason::Truncated)?;
    if rt.has_fcs() {
        let end = body.len().checked_sub(4).ok_or(DropReason::Truncated)?;
        body = &body[..end];
    }
    Ok((rt, body))
}

/// 802.11 channel number of a centre frequency (2.4 GHz, 5 GHz and 6 GHz bands), `None` outside them.
pub fn channel_of_freq(mhz: u32) -> Option<u16> {
    let ch = match mhz {
        2484 => 14,
        2412..=2472 => (mhz - 2407) / 5,
        5955..=7115 => (mhz - 5950) / 5,
        5000..=5925 => (mhz - 5000) / 5,
        4910..=4980 => (mhz - 4000) / 5,
        _ => return None,
    };
    u16::try_from(ch).ok()
}
