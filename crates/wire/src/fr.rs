//! The French "signalement électronique" beacon (arrêté du 27 décembre 2019).
//!
//! A Wi-Fi beacon carries a vendor IE with OUI 6A:5C:35 (SGDSN), vendor type 0x01, then TLVs
//! `type(1) len(1) value` with big-endian values (`remoteid.md` §3.4; FrDroneID, scapy-uas-remoteid,
//! opendroneid-core-c `frdid_build`).
//!
//! - [`Tlvs`] walks the TLV list by its length fields and stops with an error on an overrun.
//! - [`BeaconRepr`] holds the decoded fields (raw integers, `Option` when absent) with conversions to
//!   degrees; TLVs of reserved types, or of known types with an unexpected length, are kept in
//!   [`BeaconRepr::other`] so that [`BeaconRepr::emit`] writes them back.
//! - [`parse_ie`] / [`emit_ie`] add the vendor type byte around the TLVs.

use crate::{Error, Result};
use alloc::vec::Vec;

/// The vendor IE OUI of the French beacon.
pub const OUI: [u8; 3] = [0x6A, 0x5C, 0x35];
/// The vendor type byte after the OUI.
pub const VENDOR_TYPE: u8 = 0x01;

/// A TLV type code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TlvType {
    /// 1: protocol version (1 byte).
    Version,
    /// 2: French ID: manufacturer trigram (3) + model (3) + serial (24).
    FrenchId,
    /// 3: ANSI/CTA-2063-A serial number (6..20 ASCII).
    AnsiSerial,
    /// 4: latitude, int32 × 10⁻⁵ degrees.
    Latitude,
    /// 5: longitude, int32 × 10⁻⁵ degrees.
    Longitude,
    /// 6: altitude above mean sea level, int16 metres.
    AltitudeMsl,
    /// 7: height above take-off, int16 metres.
    Height,
    /// 8: take-off latitude.
    TakeoffLatitude,
    /// 9: take-off longitude.
    TakeoffLongitude,
    /// 10: horizontal ground speed, uint8 m/s.
    GroundSpeed,
    /// 11: true course, uint16 degrees.
    Course,
    /// 0 and 12..=255 are reserved.
    Unknown(u8),
}

impl From<u8> for TlvType {
    fn from(v: u8) -> Self {
        match v {
            1 => TlvType::Version,
            2 => TlvType::FrenchId,
            3 => TlvType::AnsiSerial,
            4 => TlvType::Latitude,
            5 => TlvType::Longitude,
            6 => TlvType::AltitudeMsl,
            7 => TlvType::Height,
            8 => TlvType::TakeoffLatitude,
            9 => TlvType::TakeoffLongitude,
            10 => TlvType::GroundSpeed,
            11 => TlvType::Course,
            other => TlvType::Unknown(other),
        }
    }
}

impl From<TlvType> for u8 {
    fn from(t: TlvType) -> u8 {
        match t {
            TlvType::Version => 1,
            TlvType::FrenchId => 2,
            TlvType::AnsiSerial => 3,
            TlvType::Latitude => 4,
            TlvType::Longitude => 5,
            TlvType::AltitudeMsl => 6,
            TlvType::Height => 7,
            TlvType::TakeoffLatitude => 8,
            TlvType::TakeoffLongitude => 9,
            TlvType::GroundSpeed => 10,
            TlvType::Course => 11,
            TlvType::Unknown(v) => v,
        }
    }
}

/// One TLV as found in the IE.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Tlv<'a> {
    pub kind: u8,
    pub value: &'a [u8],
}

/// Iterator over the TLVs of a French beacon IE (the bytes after the vendor type).
///
/// Yields `Err` once and then ends when a length runs past the buffer.
#[derive(Debug, Clone)]
pub struct Tlvs<'a> {
    rest: &'a [u8],
    failed: bool,
}

impl<'a> Tlvs<'a> {
    pub fn new(tlvs: &'a [u8]) -> Self {
        Tlvs {
            rest: tlvs,
            failed: false,
        }
    }
}

impl<'a> Iterator for Tlvs<'a> {
    type Item = Result<Tlv<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.rest.is_empty() {
            return None;
        }
        let item = match self.rest {
            [kind, len, tail @ ..] => match tail.split_at_checked(usize::from(*len)) {
                Some((value, rest)) => {
                    self.rest = rest;
                    Ok(Tlv { kind: *kind, value })
                }
                None => Err(Error::Truncated {
                    field: "fr.tlv.value",
                    need: usize::from(*len),
                    have: tail.len(),
                }),
            },
            _ => Err(Error::Truncated {
                field: "fr.tlv.header",
                need: 2,
                have: self.rest.len(),
            }),
        };
        if item.is_err() {
            self.failed = true;
        }
        Some(item)
    }
}

/// The French ID of TLV type 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FrenchId {
    pub manufacturer: [u8; 3],
    pub model: [u8; 3],
    /// Zero-padded.
    pub serial: [u8; 24],
}

impl FrenchId {
    fn from_bytes(b: &[u8]) -> Option<FrenchId> {
        Some(FrenchId {
            manufacturer: b.get(0..3)?.try_into().ok()?,
            model: b.get(3..6)?.try_into().ok()?,
            serial: b.get(6..30)?.try_into().ok()?,
        })
    }

    /// The manufacturer trigram as text.
    pub fn manufacturer_str(&self) -> &str {
        crate::dji::ascii_trim(&self.manufacturer)
    }

    /// The model code as text.
    pub fn model_str(&self) -> &str {
        crate::dji::ascii_trim(&self.model)
    }

    /// The serial as text, zero padding removed.
    pub fn serial_str(&self) -> &str {
        crate::dji::ascii_trim(&self.serial)
    }
}

/// 10⁻⁵ degrees to degrees.
pub fn raw_to_degrees(raw: i32) -> f64 {
    f64::from(raw) / 1e5
}

/// A decoded French beacon.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct BeaconRepr<'a> {
    pub version: Option<u8>,
    pub french_id: Option<FrenchId>,
    /// Raw ASCII bytes of the ANSI serial (DJI sends only this, not the French ID).
    pub ansi_serial: Option<&'a [u8]>,
    /// 10⁻⁵ degrees.
    pub latitude_raw: Option<i32>,
    pub longitude_raw: Option<i32>,
    /// Metres above mean sea level.
    pub altitude_msl: Option<i16>,
    /// Metres above take-off.
    pub height: Option<i16>,
    pub takeoff_latitude_raw: Option<i32>,
    pub takeoff_longitude_raw: Option<i32>,
    /// m/s.
    pub ground_speed: Option<u8>,
    /// Degrees from true north.
    pub course: Option<u16>,
    /// TLVs of reserved types, of known types with an unexpected length, or repeated known types,
    /// in their original order.
    pub other: Vec<Tlv<'a>>,
}

fn be<const N: usize>(v: &[u8]) -> Option<[u8; N]> {
    v.try_into().ok()
}

impl<'a> BeaconRepr<'a> {
    /// Decodes the TLV list (the bytes after the vendor type byte).
    ///
    /// # Errors
    ///
    /// [`Error::Truncated`] when a TLV runs past the end of the buffer.
    pub fn parse(tlvs: &'a [u8]) -> Result<BeaconRepr<'a>> {
        let mut r = BeaconRepr::default();
        for tlv in Tlvs::new(tlvs) {
            let tlv = tlv?;
            let v = tlv.value;
            // Each arm stores the value only if the slot is empty and the length is right.
            let stored = match TlvType::from(tlv.kind) {
                TlvType::Version => {
                    set(&mut r.version, v.first().copied().filter(|_| v.len() == 1))
                }
                TlvType::FrenchId => set(
                    &mut r.french_id,
                    FrenchId::from_bytes(v).filter(|_| v.len() == 30),
                ),
                TlvType::AnsiSerial => set(&mut r.ansi_serial, Some(v)),
                TlvType::Latitude => set(&mut r.latitude_raw, be(v).map(i32::from_be_bytes)),
                TlvType::Longitude => set(&mut r.longitude_raw, be(v).map(i32::from_be_bytes)),
                TlvType::AltitudeMsl => set(&mut r.altitude_msl, be(v).map(i16::from_be_bytes)),
                TlvType::Height => set(&mut r.height, be(v).map(i16::from_be_bytes)),
                TlvType::TakeoffLatitude => {
                    set(&mut r.takeoff_latitude_raw, be(v).map(i32::from_be_bytes))
                }
                TlvType::TakeoffLongitude => {
                    set(&mut r.takeoff_longitude_raw, be(v).map(i32::from_be_bytes))
                }
                TlvType::GroundSpeed => set(&mut r.ground_speed, be(v).map(u8::from_be_bytes)),
                TlvType::Course => set(&mut r.course, be(v).map(u16::from_be_bytes)),
                TlvType::Unknown(_) => false,
            };
            if !stored {
                r.other.push(tlv);
            }
        }
        Ok(r)
    }

    /// The ANSI serial as trimmed text.
    pub fn ansi_serial_str(&self) -> Option<&'a str> {
        self.ansi_serial.map(crate::dji::ascii_trim)
    }

    /// The drone position in degrees, when both coordinates are present.
    pub fn position(&self) -> Option<(f64, f64)> {
        Some((
            raw_to_degrees(self.latitude_raw?),
            raw_to_degrees(self.longitude_raw?),
        ))
    }

    /// The take-off position in degrees, when both coordinates are present.
    pub fn takeoff(&self) -> Option<(f64, f64)> {
        Some((
            raw_to_degrees(self.takeoff_latitude_raw?),
            raw_to_degrees(self.takeoff_longitude_raw?),
        ))
    }

    fn for_each_tlv(&self, mut f: impl FnMut(u8, &[u8]) -> Result<()>) -> Result<()> {
        if let Some(v) = self.version {
            f(1, &[v])?;
        }
        if let Some(id) = &self.french_id {
            let mut b = [0u8; 30];
            b[..3].copy_from_slice(&id.manufacturer);
            b[3..6].copy_from_slice(&id.model);
            b[6..].copy_from_slice(&id.serial);
            f(2, &b)?;
        }
        if let Some(s) = self.ansi_serial {
            f(3, s)?;
        }
        let i32s = [(4, self.latitude_raw), (5, self.longitude_raw)];
        for (k, v) in i32s {
            if let Some(v) = v {
                f(k, &v.to_be_bytes())?;
            }
        }
        if let Some(v) = self.altitude_msl {
            f(6, &v.to_be_bytes())?;
        }
        if let Some(v) = self.height {
            f(7, &v.to_be_bytes())?;
        }
        for (k, v) in [
            (8, self.takeoff_latitude_raw),
            (9, self.takeoff_longitude_raw),
        ] {
            if let Some(v) = v {
                f(k, &v.to_be_bytes())?;
            }
        }
        if let Some(v) = self.ground_speed {
            f(10, &[v])?;
        }
        if let Some(v) = self.course {
            f(11, &v.to_be_bytes())?;
        }
        for t in &self.other {
            f(t.kind, t.value)?;
        }
        Ok(())
    }

    /// Bytes [`BeaconRepr::emit`] writes.
    pub fn buffer_len(&self) -> usize {
        let mut n = 0usize;
        let _ = self.for_each_tlv(|_, v| {
            n = n.saturating_add(2 + v.len());
            Ok(())
        });
        n
    }

    /// Writes the TLVs in type order (reserved ones last) and returns the length.
    ///
    /// # Errors
    ///
    /// [`Error::Truncated`] when `buf` is too short, [`Error::Malformed`] when a value is longer
    /// than 255 bytes.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize> {
        let mut pos = 0usize;
        self.for_each_tlv(|kind, v| {
            let len = u8::try_from(v.len()).map_err(|_| Error::Malformed {
                field: "fr.tlv.len",
            })?;
            let end = pos + 2 + v.len();
            let have = buf.len();
            let out = buf.get_mut(pos..end).ok_or(Error::Truncated {
                field: "fr.tlv",
                need: end,
                have,
            })?;
            out[0] = kind;
            out[1] = len;
            out[2..].copy_from_slice(v);
            pos = end;
            Ok(())
        })?;
        Ok(pos)
    }
}

fn set<T>(slot: &mut Option<T>, v: Option<T>) -> bool {
    match (slot.is_none(), v) {
        (true, Some(v)) => {
            *slot = Some(v);
            true
        }
        _ => false,
    }
}

/// Decodes a vendor IE body (the bytes after the OUI): vendor type 1, then TLVs.
///
/// # Errors
///
/// [`Error::NotApplicable`] when the vendor type is not 1, otherwise as [`BeaconRepr::parse`].
pub fn parse_ie(body_after_oui: &[u8]) -> Result<BeaconRepr<'_>> {
    match body_after_oui.split_first() {
        Some((&VENDOR_TYPE, tlvs)) => BeaconRepr::parse(tlvs),
        _ => Err(Error::NotApplicable),
    }
}

/// Writes a vendor IE body (vendor type then TLVs, no OUI) and returns its length.
///
/// # Errors
///
/// As [`BeaconRepr::emit`].
pub fn emit_ie(repr: &BeaconRepr<'_>, buf: &mut [u8]) -> Result<usize> {
    let (t, rest) = buf.split_first_mut().ok_or(Error::Truncated {
        field: "fr.vendor_type",
        need: 1,
        have: 0,
    })?;
    *t = VENDOR_TYPE;
    Ok(1 + repr.emit(rest)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Vendor IE body after the OUI, from a DJI drone's French beacon (Wireshark MR 1705 via
    // scapy-uas-remoteid test_wifi_sgdsn.py; `vectors/french_beacon_vector.txt`):
    const BODY: &[u8] = &[
        0x01, // vendor type 1
        0x01, 0x01, 0x01, // version 1
        0x03, 0x13, b'1', b'5', b'8', b'1', b'E', b'0', b'M', b'6', b'D', b'F', b'7', b'7', b'0',
        b'0', b'1', b'1', b'9', b'B', b'Y', // ANSI serial
        0x04, 0x04, 0x00, 0x43, 0x0f, 0xd5, // latitude 43.94965
        0x05, 0x04, 0x00, 0x07, 0x5a, 0x4f, // longitude 4.81871
        0x06, 0x02, 0x00, 0x25, // altitude MSL 37 m
        0x07, 0x02, 0x00, 0x11, // height 17 m
        0x08, 0x04, 0x00, 0x43, 0x0f, 0xde, // take-off latitude 43.94974
        0x09, 0x04, 0x00, 0x07, 0x5a, 0x57, // take-off longitude 4.81879
        0x0a, 0x01, 0x01, // speed 1 m/s
        0x0b, 0x02, 0x01, 0x4b, // course 331°
    ];

    #[test]
    fn deconstruct_and_construct() {
        let r = parse_ie(BODY).unwrap();
        assert_eq!(r.version, Some(1));
        assert_eq!(r.ansi_serial_str(), Some("1581E0M6DF7700119BY"));
        assert_eq!(
            (r.latitude_raw, r.longitude_raw),
            (Some(4394965), Some(481871))
        );
        assert_eq!((r.altitude_msl, r.height), (Some(37), Some(17)));
        assert_eq!(
            (r.takeoff_latitude_raw, r.takeoff_longitude_raw),
            (Some(4394974), Some(481879))
        );
        assert_eq!((r.ground_speed, r.course), (Some(1), Some(331)));
        assert!(r.other.is_empty() && r.french_id.is_none());
        let mut out = [0u8; 80];
        let n = emit_ie(&r, &mut out).unwrap();
        assert_eq!(&out[..n], BODY);
    }

    #[test]
    fn truncated_unknown_and_wrong_type() {
        assert_eq!(parse_ie(&[0x02, 1, 1, 1]), Err(Error::NotApplicable));
        assert_eq!(
            BeaconRepr::parse(&[0x04, 0x04, 0x00]),
            Err(Error::Truncated {
                field: "fr.tlv.value",
                need: 4,
                have: 1
            })
        );
        // A reserved type and a latitude of the wrong length are kept, not dropped.
        let r = BeaconRepr::parse(&[0x20, 0x01, 0xAA, 0x04, 0x02, 0x01, 0x02]).unwrap();
        assert_eq!(r.latitude_raw, None);
        assert_eq!(
            r.other,
            [
                Tlv {
                    kind: 0x20,
                    value: &[0xAA]
                },
                Tlv {
                    kind: 0x04,
                    value: &[1, 2]
                }
            ]
        );
    }
}
