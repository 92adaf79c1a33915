//! The Wi-Fi framing of DroneID: a vendor-specific IE whose body (after the 3-byte OUI) is
//! `58 62 13 | record`.
//!
//! Kismet names the three header bytes vendor_type/unk1/unk2; on OcuSync the same 0x58 is the record
//! length byte. We only require the exact header, so ordinary DJI vendor IEs under the DJI MAC OUIs are
//! not mistaken for DroneID.

use super::Record;
use crate::{Error, Result};

/// The IE body header that precedes the record.
pub const HEADER: [u8; 3] = [0x58, 0x62, 0x13];

/// Vendor IE OUIs accepted for DroneID: 26:37:12 (Kismet) and the DJI MAC OUIs 60:60:1F, 48:1C:B9,
/// 34:D2:62 that RemoteIDReceiver and DJI-DroneID-Scanner also accept.
pub const OUIS: [[u8; 3]; 4] = [
    [0x26, 0x37, 0x12],
    [0x60, 0x60, 0x1F],
    [0x48, 0x1C, 0xB9],
    [0x34, 0xD2, 0x62],
];

/// True when `oui` is one of [`OUIS`].
pub fn is_droneid_oui(oui: &[u8]) -> bool {
    OUIS.iter().any(|o| o.as_slice() == oui)
}

/// The record bytes of a vendor IE body (the bytes after the OUI).
///
/// # Errors
///
/// [`Error::NotApplicable`] when the body does not start with [`HEADER`].
pub fn record_bytes(body_after_oui: &[u8]) -> Result<&[u8]> {
    match body_after_oui.split_at_checked(HEADER.len()) {
        Some((h, rest)) if h == HEADER => Ok(rest),
        _ => Err(Error::NotApplicable),
    }
}

/// Decodes the record of a vendor IE body (the bytes after the OUI).
///
/// # Errors
///
/// [`Error::NotApplicable`] without the `58 62 13` header, otherwise as [`Record::parse`].
pub fn parse_ie(body_after_oui: &[u8]) -> Result<Record<'_>> {
    Record::parse(record_bytes(body_after_oui)?)
}

/// Bytes [`emit_ie`] writes.
pub fn ie_body_len(record: &Record<'_>) -> usize {
    HEADER.len() + record.buffer_len()
}

/// Writes a vendor IE body (header then record, no OUI) and returns its length.
///
/// # Errors
///
/// [`Error::Truncated`] when `buf` is shorter than [`ie_body_len`].
pub fn emit_ie(record: &Record<'_>, buf: &mut [u8]) -> Result<usize> {
    let len = ie_body_len(record);
    let have = buf.len();
    let out = buf.get_mut(..len).ok_or(Error::Truncated {
        field: "dji.ie",
        need: len,
        have,
    })?;
    let (h, rest) = out.split_at_mut(HEADER.len());
    h.copy_from_slice(&HEADER);
    record.emit(rest)?;
    Ok(len)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dji::{InfoBody, Variant};

    fn hex(s: &str) -> alloc::vec::Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    // Real Mavic Air flight telemetry IE body (after the OUI), from llorencroma/DJIDroneIDspoofer
    // replay_mavic.py via `vectors/dji_droneid_vectors.txt` section B: v2, no GPS fix, pilot in Thun.
    const MAVIC_AIR: &str = "58621310024d06331f304b31434736473341483856324d00000000000000000000efff0c00000000000000b04385b3a0287601000045897c00cc3d1400000000000000000018000000000000000000000000000000000000000000";

    #[test]
    fn parse_real_mavic_air() {
        let body = hex(MAVIC_AIR);
        let Ok(Record::Telemetry(t)) = parse_ie(&body) else {
            panic!("not telemetry")
        };
        assert_eq!((t.sequence, t.state.0), (1613, 0x1f33));
        assert!(!t.state.gps_valid());
        assert_eq!(t.serial(), "0K1CG6G3AH8V2M");
        assert_eq!(t.position(), None);
        assert_eq!((t.altitude_raw, t.height_raw, t.yaw_raw), (-17, 12, 17328));
        assert_eq!(t.app_time_ms(), Some(1606999389061));
        let Variant::V2 { .. } = t.variant else {
            panic!("v1")
        };
        let pilot = t.pilot().unwrap();
        assert!((pilot.lat - 46.762552055287024).abs() < 3e-5);
        assert!((pilot.lon - 7.600514335528422).abs() < 3e-5);
        assert_eq!(t.home(), None);
        assert_eq!((t.product_name(), t.uuid()), (Some("Mavic Air"), ""));
        let mut out = [0u8; 91];
        assert_eq!(emit_ie(&Record::Telemetry(t), &mut out), Ok(91));
        assert_eq!(&out[..], &body[..]);
    }

    #[test]
    fn header_and_oui() {
        assert_eq!(parse_ie(&[0x58, 0x62]), Err(Error::NotApplicable));
        assert_eq!(
            parse_ie(&[0x58, 0x62, 0x14, 0x10]),
            Err(Error::NotApplicable)
        );
        assert!(is_droneid_oui(&[0x26, 0x37, 0x12]) && is_droneid_oui(&[0x34, 0xD2, 0x62]));
        assert!(!is_droneid_oui(&[0xFA, 0x0B, 0xBC]));
        // The real flight-purpose body (section C) is opaque after the serial: cc aa 02 00 then zeros.
        let mut c = hex("58621311334b31434736473341483856324d0000ccaa02");
        c.resize(147, 0);
        let Ok(Record::FlightPurpose(info)) = parse_ie(&c) else {
            panic!("not info")
        };
        assert_eq!(info.serial(), "3K1CG6G3AH8V2M");
        let InfoBody::Opaque(rest) = info.body else {
            panic!("text")
        };
        assert_eq!((rest.len(), &rest[..3]), (127, &[0xcc, 0xaa, 0x02][..]));
    }
}
