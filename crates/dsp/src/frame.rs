//! The OcuSync DroneID frame inside a transport block (`ocusync.md` §1.11–1.12, §2).
//!
//! A 176-byte transport block ([`crate::fec::TransportBlock`]) carries 173 payload bytes; the frame starts
//! at byte 0:
//!
//! ```text
//! len | record (len bytes, type byte first) | DJI CRC16 (little-endian) | stale buffer bytes up to 173
//! ```
//!
//! so the frame is `len + 3` bytes: 91 for telemetry (len 0x58), 144 for flight purpose (len 0x8d), 138 or
//! 173 for O4 "INFP"/"CRYP" frames. The CRC16 is DJI's (init 0x3692, reflected polynomial 0x8408) over the
//! first `len + 1` bytes; running it over all `len + 3` bytes leaves 0.
//!
//! The main types:
//! - [`Frame`]: what [`Frame::parse`] finds in a CRC-valid frame: a plain DroneID record
//!   ([`Frame::DroneId`], decoded by [`wire::dji::Record`]), an encrypted O3/O4 frame
//!   ([`Frame::Encrypted`], see [`Encrypted`]) or an unknown type ([`Frame::Unknown`]).
//! - [`FrameError`]: why no frame was read. A frame whose CRC16 fails never yields a record.
//! - [`build`] / [`Frame::emit`]: the transmit side, record → frame → CRC16 → padding → CRC24A, to make
//!   transport blocks for tests and the signal generator.
//!
//! [`Frame::parse`] never panics on any input and does not allocate: it is the fuzzing entry point.

use crate::fec::{with_crc24a, PAYLOAD_BYTES, TB_BYTES};
use wire::dji::{Record, Scheme};

/// DJI's CRC16 in the Rocksoft model: polynomial 0x1021 reflected (0x8408), input and output reflected.
/// DJI (and crcmod) give the initial value 0x3692 as the reflected register content; the model wants it
/// unreflected, hence the bit reversal.
const DJI_CRC16: crc::Algorithm<u16> = crc::Algorithm {
    width: 16,
    poly: 0x1021,
    init: 0x3692u16.reverse_bits(),
    refin: true,
    refout: true,
    xorout: 0,
    check: 0x7109,
    residue: 0,
};
const CRC16: crc::Crc<u16> = crc::Crc::<u16>::new(&DJI_CRC16);

/// The DJI CRC16 of `data` (table-driven, via the `crc` crate).
pub fn crc16_dji(data: &[u8]) -> u16 {
    CRC16.checksum(data)
}

/// Longest record a transport block can carry: 173 bytes less the length byte and the CRC16.
pub const MAX_RECORD: usize = PAYLOAD_BYTES - 3;

/// Why a transport block does not hold a usable frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// The buffer is shorter than the frame its length byte announces (or empty).
    #[error("frame truncated: need {need} bytes, have {have}")]
    Truncated { need: usize, have: usize },
    /// The DJI CRC16 does not match: the bytes are not a frame (or are corrupted).
    #[error("DJI CRC16 mismatch: computed {computed:#06x}, stored {stored:#06x}")]
    Crc16 { computed: u16, stored: u16 },
    /// The CRC is good but the record inside cannot be read (for example a telemetry record too short).
    #[error("record: {0}")]
    Record(wire::Error),
    /// [`build`] was given a record that does not fit in a transport block.
    #[error("record of {len} bytes does not fit (at most {MAX_RECORD})")]
    TooLong { len: usize },
}

/// A CRC-valid O3/O4 frame whose version byte is replaced by "INFP" or "CRYP" (`ocusync.md` §2.7).
///
/// The key is not public: such a drone can be detected and tracked by these fields and RF only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Encrypted<'a> {
    /// The type byte (0x10 or 0x13 seen so far).
    pub kind: u8,
    /// "INFP" or "CRYP".
    pub scheme: Scheme,
    /// Bytes 6..10 of the frame, a per-session hash according to public research on O4 (a claim, not
    /// verified on our data); `None` when the frame is too short to hold it.
    pub session_hash: Option<[u8; 4]>,
    /// The whole record, type byte first (frame bytes 1..len+1).
    pub record: &'a [u8],
}

impl<'a> Encrypted<'a> {
    /// The bytes after the 4-byte scheme tag.
    pub fn body(&self) -> &'a [u8] {
        self.record.get(5..).unwrap_or(&[])
    }

    /// For "INFP": the little-endian u16 at frame bytes 18..20, reported publicly as the ciphertext length
    /// (unverified). `None` for "CRYP" or a short frame.
    pub fn declared_len(&self) -> Option<u16> {
        if self.scheme != Scheme::Infp {
            return None;
        }
        // Frame offset 18 is record offset 17.
        let b = self.record.get(17..19)?;
        Some(u16::from_le_bytes([*b.first()?, *b.get(1)?]))
    }
}

/// One CRC16-valid OcuSync frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frame<'a> {
    /// A plain DroneID record (telemetry 0x10, flight purpose 0x11, or a blank record).
    DroneId {
        /// The decoded record.
        record: Record<'a>,
        /// Its bytes, type byte first.
        raw: &'a [u8],
    },
    /// An encrypted O3/O4 frame.
    Encrypted(Encrypted<'a>),
    /// A frame type or version nobody has described; kept as data.
    Unknown {
        /// The type byte (frame byte 1), or 0 for an empty record.
        kind: u8,
        /// The whole record, type byte first.
        bytes: &'a [u8],
    },
}

impl<'a> Frame<'a> {
    /// Reads the frame at the start of `tb` (a transport block, or just its payload): checks the length
    /// byte and the DJI CRC16, then decodes the record. CRC24A is not checked here (the FEC did it).
    ///
    /// # Errors
    ///
    /// [`FrameError::Truncated`] when `tb` is shorter than `len + 3`; [`FrameError::Crc16`] when the CRC
    /// fails (no record is ever returned then); [`FrameError::Record`] when a CRC-valid record of a known
    /// type is malformed.
    pub fn parse(tb: &'a [u8]) -> Result<Frame<'a>, FrameError> {
        let have = tb.len();
        let len = usize::from(*tb.first().ok_or(FrameError::Truncated { need: 1, have })?);
        let need = len + 3;
        let frame = tb.get(..need).ok_or(FrameError::Truncated { need, have })?;
        let (body, crc) = frame.split_at(len + 1);
        let stored = u16::from_le_bytes([
            crc.first().copied().unwrap_or(0),
            crc.get(1).copied().unwrap_or(0),
        ]);
        let computed = crc16_dji(body);
        if computed != stored {
            return Err(FrameError::Crc16 { computed, stored });
        }
        let raw = body.get(1..).unwrap_or(&[]);
        if raw.is_empty() {
            return Ok(Frame::Unknown {
                kind: 0,
                bytes: raw,
            });
        }
        match Record::parse(raw).map_err(FrameError::Record)? {
            Record::Encrypted { kind, scheme, .. } => Ok(Frame::Encrypted(Encrypted {
                kind,
                scheme,
                session_hash: raw.get(5..9).and_then(|h| h.try_into().ok()),
                record: raw,
            })),
            Record::Unknown { kind, .. } => Ok(Frame::Unknown { kind, bytes: raw }),
            record => Ok(Frame::DroneId { record, raw }),
        }
    }

    /// The record bytes, type byte first, whatever the variant.
    pub fn record_bytes(&self) -> &'a [u8] {
        match self {
            Frame::DroneId { raw, .. } => raw,
            Frame::Encrypted(e) => e.record,
            Frame::Unknown { bytes, .. } => bytes,
        }
    }

    /// The transport block that carries this frame (see [`build`]).
    ///
    /// # Errors
    ///
    /// [`FrameError::TooLong`] cannot happen for a parsed frame of a 176-byte block, but can for one read
    /// from a longer buffer.
    pub fn emit(&self) -> Result<[u8; TB_BYTES], FrameError> {
        build(self.record_bytes())
    }
}

/// Makes the transport block for a record (type byte first): length byte, record, DJI CRC16 (LE), zero
/// padding to 173 bytes, CRC24A.
///
/// # Errors
///
/// [`FrameError::TooLong`] when the record exceeds [`MAX_RECORD`] bytes.
pub fn build(record: &[u8]) -> Result<[u8; TB_BYTES], FrameError> {
    let len = record.len();
    let len_byte = u8::try_from(len)
        .ok()
        .filter(|_| len <= MAX_RECORD)
        .ok_or(FrameError::TooLong { len })?;
    let mut payload = [0u8; PAYLOAD_BYTES];
    payload[0] = len_byte;
    payload[1..=len].copy_from_slice(record);
    let crc = crc16_dji(&payload[..=len]).to_le_bytes();
    payload[len + 1..len + 3].copy_from_slice(&crc);
    Ok(with_crc24a(&payload))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fec::crc24a;

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// `test_vectors_frames.txt` vector 5: a 91-byte Air 2S frame (proto17 issue #60), CRC16 `f8a8`.
    const AIR_2S: &str = "5810028401071f335954424a34443030333031445800000000000000000000efff0000000000\
                          0000000933608355469f010000607d6a002f2f570000000000000000004213313831353637\
                          3830393735383531363031393200f8a8";

    #[test]
    fn crc16_check_value_and_real_frame() {
        // crcmod.mkCrcFun(0x11021, 0x3692, rev=True) over "123456789".
        assert_eq!(crc16_dji(b"123456789"), 0x7109);
        let f = unhex(AIR_2S);
        assert_eq!(f.len(), 91);
        assert_eq!(crc16_dji(&f[..89]), 0xA8F8); // stored LE: f8 a8
        assert_eq!(crc16_dji(&f), 0);
    }

    #[test]
    fn parse_air_2s_telemetry() {
        let f = unhex(AIR_2S);
        let Frame::DroneId {
            record: Record::Telemetry(t),
            raw,
        } = Frame::parse(&f).unwrap()
        else {
            panic!("not telemetry")
        };
        assert_eq!(raw.len(), 88);
        // State 0x1f07 (no motors, no GPS), product 66 (Air 2S), serial 3YTBJ4D00301DX, alt raw -17,
        // yaw raw 13065 (vector 5 comment).
        assert_eq!(t.state.0, 0x1F07);
        assert_eq!(t.product_type, 66);
        assert_eq!(t.serial(), "3YTBJ4D00301DX");
        assert_eq!(t.altitude_raw, -17);
        assert_eq!(t.yaw_raw, 13065);
        assert_eq!(t.position(), None);
    }

    #[test]
    fn bad_crc_never_yields_a_record() {
        let mut f = unhex(AIR_2S);
        f[10] ^= 0x01;
        assert!(matches!(
            Frame::parse(&f),
            Err(FrameError::Crc16 { stored: 0xA8F8, .. })
        ));
    }

    #[test]
    fn truncated() {
        assert_eq!(
            Frame::parse(&[]),
            Err(FrameError::Truncated { need: 1, have: 0 })
        );
        let f = unhex(AIR_2S);
        assert_eq!(
            Frame::parse(&f[..90]),
            Err(FrameError::Truncated { need: 91, have: 90 })
        );
    }

    #[test]
    fn encrypted_o4_frame_round_trip() {
        // A made-up INFP record in the O4 shape (`ocusync.md` §2.7): type 0x10, "INFP", a 4-byte hash, then
        // bytes with the declared length 0x0070 at frame offsets 18..20.
        let mut record = vec![0x10];
        record.extend_from_slice(b"INFP");
        record.extend_from_slice(&[0xDE, 0xAD, 0xBE, 0xEF]);
        record.extend_from_slice(&[0x11; 8]);
        record.extend_from_slice(&[0x70, 0x00]);
        record.resize(0x87, 0x5A);
        let tb = build(&record).unwrap();
        assert_eq!(crc24a(&tb), 0);
        assert_eq!(&tb[..6], &[0x87, 0x10, b'I', b'N', b'F', b'P']);
        let Frame::Encrypted(e) = Frame::parse(&tb).unwrap() else {
            panic!("not encrypted")
        };
        assert_eq!(e.scheme, Scheme::Infp);
        assert_eq!(e.kind, 0x10);
        assert_eq!(e.session_hash, Some([0xDE, 0xAD, 0xBE, 0xEF]));
        assert_eq!(e.declared_len(), Some(0x70));
        assert_eq!(e.body().len(), 0x87 - 5);
        assert_eq!(Frame::Encrypted(e).emit().unwrap(), tb);
    }

    #[test]
    fn unknown_type_and_limits() {
        let tb = build(&[0x42, 1, 2, 3]).unwrap();
        assert_eq!(
            Frame::parse(&tb),
            Ok(Frame::Unknown {
                kind: 0x42,
                bytes: &[0x42, 1, 2, 3]
            })
        );
        assert_eq!(
            build(&[0u8; MAX_RECORD + 1]),
            Err(FrameError::TooLong {
                len: MAX_RECORD + 1
            })
        );
        assert!(build(&[0x13; MAX_RECORD]).is_ok());
        // A CRC-valid telemetry record of the wrong size is a record error, not a frame.
        let tb = build(&[0x10, 0x02, 0x00]).unwrap();
        assert!(matches!(
            Frame::parse(&tb),
            Err(FrameError::Record(wire::Error::Truncated { .. }))
        ));
    }
}
