//! Basic ID message (type 0): the UA's identity and type.
//!
//! [`Packet`] is the zero-copy view, [`Repr`] the decoded message with [`IdType`] and [`UaType`].
//! Layout (remoteid.md §1.1): byte 1 = ID type (bits 7..4) and UA type (bits 3..0), bytes 2..21 = UAS ID,
//! bytes 22..24 reserved (real transmitters fill them with non-zero bytes; they are ignored).

use super::{ascii_text, MessageType};
use crate::{Error, Result};

/// Length of the UAS ID field.
pub const UAS_ID_LEN: usize = 20;

code_enum! {
    /// How the UAS ID field is to be read (`ODID_idtype_t`).
    pub enum IdType {
        /// 0: no ID type declared (some transmitters still send an ASCII serial).
        None = 0,
        /// 1: serial number (ANSI/CTA-2063-A), ASCII.
        SerialNumber = 1,
        /// 2: CAA registration ID, ASCII.
        CaaRegistrationId = 2,
        /// 3: UTM-assigned UUID, binary.
        UtmAssignedUuid = 3,
        /// 4: specific session ID (v1+), binary; first byte = session-ID type.
        SpecificSessionId = 4,
    }
}

code_enum! {
    /// Kind of aircraft (`ODID_uatype_t`).
    pub enum UaType {
        None = 0,
        Aeroplane = 1,
        /// Helicopter or multirotor.
        HelicopterOrMultirotor = 2,
        Gyroplane = 3,
        /// Hybrid lift, e.g. fixed wing with VTOL.
        HybridLift = 4,
        Ornithopter = 5,
        Glider = 6,
        Kite = 7,
        FreeBalloon = 8,
        CaptiveBalloon = 9,
        Airship = 10,
        /// Free fall or parachute.
        FreeFallParachute = 11,
        Rocket = 12,
        TetheredPoweredAircraft = 13,
        GroundObstacle = 14,
        Other = 15,
    }
}

message_packet!(MessageType::BasicId);

impl<T: AsRef<[u8]>> Packet<T> {
    /// Byte 1, bits 7..4.
    pub fn id_type(&self) -> IdType {
        IdType::from(self.byte(1) >> 4)
    }

    /// Byte 1, bits 3..0.
    pub fn ua_type(&self) -> UaType {
        UaType::from(self.byte(1) & 0x0f)
    }

    /// Bytes 2..21, raw (NUL-padded ASCII for ID types 1 and 2, binary otherwise).
    pub fn uas_id(&self) -> [u8; UAS_ID_LEN] {
        super::get_array(self.bytes(), 2)
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    /// Sets byte 1, bits 7..4 (the value is masked to 4 bits).
    pub fn set_id_type(&mut self, value: IdType) {
        let b = (self.byte(1) & 0x0f) | ((u8::from(value) & 0x0f) << 4);
        self.set_byte(1, b);
    }

    /// Sets byte 1, bits 3..0 (the value is masked to 4 bits).
    pub fn set_ua_type(&mut self, value: UaType) {
        let b = (self.byte(1) & 0xf0) | (u8::from(value) & 0x0f);
        self.set_byte(1, b);
    }

    /// Sets bytes 2..21.
    pub fn set_uas_id(&mut self, value: &[u8; UAS_ID_LEN]) {
        super::set_slice(self.bytes_mut(), 2, value);
    }

    /// Zeroes the reserved bytes 22..24.
    pub fn clear_reserved(&mut self) {
        super::set_slice(self.bytes_mut(), 22, &[0; 3]);
    }
}

/// A decoded Basic ID message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Repr {
    /// Protocol version nibble (0, 1 or 2 today).
    pub version: u8,
    pub id_type: IdType,
    pub ua_type: UaType,
    /// The 20 raw bytes of the UAS ID; see [`Repr::uas_id_str`].
    pub uas_id: [u8; UAS_ID_LEN],
}

impl Repr {
    /// Decodes a Basic ID message.
    ///
    /// # Errors
    ///
    /// [`Error::Truncated`] for fewer than 25 bytes, [`Error::NotApplicable`] for another message type.
    #[inline]
    pub fn parse<T: AsRef<[u8]> + ?Sized>(packet: &Packet<&T>) -> Result<Repr> {
        packet.check_for()?;
        Ok(Repr {
            version: packet.version(),
            id_type: packet.id_type(),
            ua_type: packet.ua_type(),
            uas_id: packet.uas_id(),
        })
    }

    /// Writes the message; reserved bytes are zeroed. The buffer must hold 25 bytes (shorter buffers
    /// get only the bytes that fit).
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]> + ?Sized>(&self, packet: &mut Packet<&mut T>) {
        packet.set_header(self.version);
        packet.set_id_type(self.id_type);
        packet.set_ua_type(self.ua_type);
        packet.set_uas_id(&self.uas_id);
        packet.clear_reserved();
    }

    /// The UAS ID as text: trailing NULs removed, `None` when it holds anything but printable ASCII
    /// (binary UUID or session IDs, corrupted bytes). An all-NUL ID gives `Some("")`.
    pub fn uas_id_str(&self) -> Option<&str> {
        ascii_text(&self.uas_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Basic ID from vectors/opendroneid-core-c_test_inout.txt ("BasicID:" line).
    const CAA_ID: [u8; 25] = [
        0x02, // type 0 Basic ID, version 2
        0x22, // ID type 2 (CAA registration), UA type 2 (helicopter/multirotor)
        b'1', b'2', b'3', b'4', b'5', b'6', b'7', b'8', b'9',
        b'0', // UAS ID "12345678901234567890"
        b'1', b'2', b'3', b'4', b'5', b'6', b'7', b'8', b'9', b'0', //
        0x00, 0x00, 0x00, // reserved
    ];

    /// Real BlueMark DroneBeacon BT4 Basic ID (vectors/sutt0n_fixture_vectors.txt, after `0d 4d`).
    const DRONEBEACON: [u8; 25] = [
        0x02, // Basic ID, version 2
        0x12, // ID type 1 (serial), UA type 2
        0x31, 0x37, 0x38, 0x37, 0x46, 0x30, 0x34, 0x42, 0x4d, 0x32, // "1787F04BM2"
        0x34, 0x30, 0x31, 0x30, 0x30, 0x31, 0x31, 0x30, 0x33, 0x39, // "4010011039"
        0x00, 0x00, 0x00, // reserved
    ];

    #[test]
    fn deconstruct() {
        let p = Packet::new_checked(&CAA_ID[..]).unwrap();
        assert_eq!(p.message_type(), MessageType::BasicId);
        assert_eq!(p.version(), 2);
        assert_eq!(p.id_type(), IdType::CaaRegistrationId);
        assert_eq!(p.ua_type(), UaType::HelicopterOrMultirotor);
        assert_eq!(&p.uas_id(), b"12345678901234567890");
    }

    #[test]
    fn construct() {
        let mut out = [0xffu8; 25];
        let mut p = Packet::new_unchecked(&mut out[..]);
        p.set_header(2);
        p.set_id_type(IdType::CaaRegistrationId);
        p.set_ua_type(UaType::HelicopterOrMultirotor);
        p.set_uas_id(b"12345678901234567890");
        p.clear_reserved();
        assert_eq!(out, CAA_ID);
        // Into a Message through `From`.
        let repr = Repr::parse(&Packet::new_unchecked(&out[..])).unwrap();
        assert_eq!(
            crate::odid::Message::from(repr).message_type(),
            MessageType::BasicId
        );
    }

    #[test]
    fn parse_and_emit() {
        let cases: &[(&[u8; 25], IdType, &str)] = &[
            (&CAA_ID, IdType::CaaRegistrationId, "12345678901234567890"),
            (&DRONEBEACON, IdType::SerialNumber, "1787F04BM24010011039"),
        ];
        for (bytes, id_type, id) in cases {
            let repr = Repr::parse(&Packet::new_unchecked(&bytes[..])).unwrap();
            assert_eq!(repr.id_type, *id_type);
            assert_eq!(repr.uas_id_str(), Some(*id));
            let mut out = [0xffu8; 25];
            repr.emit(&mut Packet::new_unchecked(&mut out[..]));
            assert_eq!(&out, *bytes);
        }
    }

    #[test]
    fn unknown_values_and_binary_ids() {
        let mut bytes = CAA_ID;
        bytes[1] = 0x9f; // ID type 9 (reserved), UA type 15 (other)
        bytes[2] = 0xe1; // not ASCII
        let repr = Repr::parse(&Packet::new_unchecked(&bytes[..])).unwrap();
        assert_eq!(repr.id_type, IdType::Unknown(9));
        assert_eq!(repr.ua_type, UaType::Other);
        assert_eq!(repr.uas_id_str(), None);
        let mut out = [0u8; 25];
        repr.emit(&mut Packet::new_unchecked(&mut out[..]));
        assert_eq!(out, bytes);
    }

    #[test]
    fn truncated_and_wrong_type() {
        assert_eq!(
            Packet::new_checked(&CAA_ID[..24]),
            Err(Error::Truncated {
                field: "odid message",
                need: 25,
                have: 24
            })
        );
        let mut bytes = CAA_ID;
        bytes[0] = 0x12;
        assert_eq!(
            Repr::parse(&Packet::new_unchecked(&bytes[..])),
            Err(Error::NotApplicable)
        );
        // A short unchecked view reads zeros instead of panicking.
        let short = Packet::new_unchecked(&CAA_ID[..5]);
        assert_eq!(&short.uas_id(), &[0u8; 20]);
    }
}
