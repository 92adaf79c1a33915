//! Self-ID message (type 3): a short free-text description of the flight.
//!
//! [`Packet`] is the zero-copy view, [`Repr`] the decoded message with its [`DescriptionType`].
//! Layout (remoteid.md §1.4): byte 1 description type, bytes 2..24 text (23 ASCII bytes, NUL-padded).

use super::{ascii_text, MessageType};
use crate::{Error, Result};

/// Length of the description field.
pub const DESCRIPTION_LEN: usize = 23;

code_enum! {
    /// What the description says, byte 1.
    pub enum DescriptionType {
        /// 0: free text (purpose of the flight).
        Text = 0,
        /// 1 (v2): emergency description.
        Emergency = 1,
        /// 2 (v2): extended status.
        ExtendedStatus = 2,
    }
}

message_packet!(MessageType::SelfId);

impl<T: AsRef<[u8]>> Packet<T> {
    /// Byte 1.
    pub fn description_type(&self) -> DescriptionType {
        DescriptionType::from(self.byte(1))
    }

    /// Bytes 2..24, raw.
    pub fn description(&self) -> [u8; DESCRIPTION_LEN] {
        super::get_array(self.bytes(), 2)
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    /// Sets byte 1.
    pub fn set_description_type(&mut self, value: DescriptionType) {
        self.set_byte(1, u8::from(value));
    }

    /// Sets bytes 2..24.
    pub fn set_description(&mut self, value: &[u8; DESCRIPTION_LEN]) {
        super::set_slice(self.bytes_mut(), 2, value);
    }
}

/// A decoded Self-ID message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Repr {
    /// Protocol version nibble.
    pub version: u8,
    pub description_type: DescriptionType,
    /// The 23 raw bytes; see [`Repr::description_str`].
    pub description: [u8; DESCRIPTION_LEN],
}

impl Repr {
    /// Decodes a Self-ID message.
    ///
    /// # Errors
    ///
    /// [`Error::Truncated`] for fewer than 25 bytes, [`Error::NotApplicable`] for another message type.
    #[inline]
    pub fn parse<T: AsRef<[u8]> + ?Sized>(packet: &Packet<&T>) -> Result<Repr> {
        packet.check_for()?;
        Ok(Repr {
            version: packet.version(),
            description_type: packet.description_type(),
            description: packet.description(),
        })
    }

    /// Writes the message.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]> + ?Sized>(&self, packet: &mut Packet<&mut T>) {
        packet.set_header(self.version);
        packet.set_description_type(self.description_type);
        packet.set_description(&self.description);
    }

    /// The description as text, trailing NULs removed; `None` if not printable ASCII.
    pub fn description_str(&self) -> Option<&str> {
        ascii_text(&self.description)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Self-ID from vectors/opendroneid-core-c_test_inout.txt ("SelfID:").
    const INOUT: [u8; 25] = [
        0x32, // type 3 Self-ID, version 2
        0x00, // description type 0 (text)
        0x44, 0x72, 0x6f, 0x6e, 0x65, 0x73, 0x52, 0x55, 0x53, 0x3a, 0x20, // "DronesRUS: "
        0x52, 0x65, 0x61, 0x6c, 0x20, 0x45, 0x73, 0x74, 0x61, 0x74, 0x65, // "Real Estate"
        0x00, // padding
    ];

    #[test]
    fn parse_and_emit() {
        let p = Packet::new_checked(&INOUT[..]).unwrap();
        assert_eq!(p.description_type(), DescriptionType::Text);
        let r = Repr::parse(&p).unwrap();
        assert_eq!(r.version, 2);
        assert_eq!(r.description_str(), Some("DronesRUS: Real Estate"));
        let mut out = [0u8; 25];
        r.emit(&mut Packet::new_unchecked(&mut out[..]));
        assert_eq!(out, INOUT);
    }

    #[test]
    fn unknown_type() {
        let mut bytes = INOUT;
        bytes[1] = 201; // private use
        let r = Repr::parse(&Packet::new_unchecked(&bytes[..])).unwrap();
        assert_eq!(r.description_type, DescriptionType::Unknown(201));
        bytes[1] = 2;
        let r = Repr::parse(&Packet::new_unchecked(&bytes[..])).unwrap();
        assert_eq!(r.description_type, DescriptionType::ExtendedStatus);
    }

    #[test]
    fn truncated() {
        assert_eq!(
            Repr::parse(&Packet::new_unchecked(&INOUT[..3])),
            Err(Error::Truncated {
                field: "odid message",
                need: 25,
                have: 3
            })
        );
    }
}
