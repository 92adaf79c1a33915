//! Operator ID message (type 5): the operator's registration ID.
//!
//! [`Packet`] is the zero-copy view, [`Repr`] the decoded message with its [`OperatorIdType`].
//! Layout (remoteid.md §1.6): byte 1 operator-ID type, bytes 2..21 ID (20 ASCII bytes, NUL-padded),
//! bytes 22..24 reserved.

use super::{ascii_text, MessageType};
use crate::{Error, Result};

/// Length of the operator ID field.
pub const OPERATOR_ID_LEN: usize = 20;

code_enum! {
    /// Kind of operator ID, byte 1 (1..=200 reserved, 201..=255 private use).
    pub enum OperatorIdType {
        /// 0: CAA-issued operator registration ID.
        CaaRegistrationId = 0,
    }
}

message_packet!(MessageType::OperatorId);

impl<T: AsRef<[u8]>> Packet<T> {
    /// Byte 1.
    pub fn operator_id_type(&self) -> OperatorIdType {
        OperatorIdType::from(self.byte(1))
    }

    /// Bytes 2..21, raw.
    pub fn operator_id(&self) -> [u8; OPERATOR_ID_LEN] {
        super::get_array(self.bytes(), 2)
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    /// Sets byte 1.
    pub fn set_operator_id_type(&mut self, value: OperatorIdType) {
        self.set_byte(1, u8::from(value));
    }

    /// Sets bytes 2..21.
    pub fn set_operator_id(&mut self, value: &[u8; OPERATOR_ID_LEN]) {
        super::set_slice(self.bytes_mut(), 2, value);
    }

    /// Zeroes the reserved bytes 22..24.
    pub fn clear_reserved(&mut self) {
        super::set_slice(self.bytes_mut(), 22, &[0; 3]);
    }
}

/// A decoded Operator ID message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Repr {
    /// Protocol version nibble.
    pub version: u8,
    pub operator_id_type: OperatorIdType,
    /// The 20 raw bytes; see [`Repr::operator_id_str`].
    pub operator_id: [u8; OPERATOR_ID_LEN],
}

impl Repr {
    /// Decodes an Operator ID message.
    ///
    /// # Errors
    ///
    /// [`Error::Truncated`] for fewer than 25 bytes, [`Error::NotApplicable`] for another message type.
    #[inline]
    pub fn parse<T: AsRef<[u8]> + ?Sized>(packet: &Packet<&T>) -> Result<Repr> {
        packet.check_for()?;
        Ok(Repr {
            version: packet.version(),
            operator_id_type: packet.operator_id_type(),
            operator_id: packet.operator_id(),
        })
    }

    /// Writes the message; reserved bytes are zeroed.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]> + ?Sized>(&self, packet: &mut Packet<&mut T>) {
        packet.set_header(self.version);
        packet.set_operator_id_type(self.operator_id_type);
        packet.set_operator_id(&self.operator_id);
        packet.clear_reserved();
    }

    /// The operator ID as text, trailing NULs removed; `None` if not printable ASCII.
    pub fn operator_id_str(&self) -> Option<&str> {
        ascii_text(&self.operator_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Operator ID from vectors/opendroneid-core-c_test_inout.txt ("OperatorID:").
    const INOUT: [u8; 25] = [
        0x52, // type 5 Operator ID, version 2
        0x00, // operator ID type 0 (CAA registration)
        0x39, 0x38, 0x37, 0x36, 0x35, 0x34, 0x33, 0x32, 0x31, 0x30, // "9876543210"
        0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, // "0123456789"
        0x00, 0x00, 0x00, // reserved
    ];

    #[test]
    fn parse_and_emit() {
        let p = Packet::new_checked(&INOUT[..]).unwrap();
        assert_eq!(p.operator_id_type(), OperatorIdType::CaaRegistrationId);
        let r = Repr::parse(&p).unwrap();
        assert_eq!(r.operator_id_str(), Some("98765432100123456789"));
        let mut out = [0xffu8; 25];
        r.emit(&mut Packet::new_unchecked(&mut out[..]));
        assert_eq!(out, INOUT);
    }

    #[test]
    fn unknown_type_and_wrong_message() {
        let mut bytes = INOUT;
        bytes[1] = 0xc9; // 201, private use
        let r = Repr::parse(&Packet::new_unchecked(&bytes[..])).unwrap();
        assert_eq!(r.operator_id_type, OperatorIdType::Unknown(201));
        bytes[0] = 0x32;
        assert_eq!(
            Repr::parse(&Packet::new_unchecked(&bytes[..])),
            Err(Error::NotApplicable)
        );
    }
}
