//! Message Pack (type 0xF): several 25-byte messages in one transport frame (Wi-Fi Beacon, Wi-Fi NAN,
//! Bluetooth 5 Long Range).
//!
//! [`Packet`] is the zero-copy view over the pack header and its message slots; [`Repr`] (re-exported as
//! `odid::Pack`) the decoded pack: a list of [`Message`]s plus what the header declared and whether the
//! buffer fell short of it.
//!
//! Layout (remoteid.md §1.7): byte 0 header (0xF, version), byte 1 message size (25), byte 2 message
//! count N (1..=9; 10 in version 0), then N × 25 bytes. Real transmitters break these rules in ways a
//! receiver must survive, so [`Repr::parse`] is tolerant:
//!
//! - N = 0 with an all-zero body (BT5 transmitters while starting up) is an empty pack;
//! - bytes after the N messages (fixed-size transport buffers padded with zeros) are ignored;
//! - a buffer shorter than 3 + 25 N yields the complete messages with `truncated = true`
//!   (a spoofer sends N = 4 with 3 messages and 22 bytes);
//! - a slot holding a nested pack or an undecodable message is skipped and counted in `skipped`, so that
//!   one bad slot does not hide the others;
//! - any message order and any mix of types is accepted (the per-type limits of the reference
//!   `checkPackContent` are left to the consumer).

use alloc::vec::Vec;

use super::{Message, MessageType, MESSAGE_LEN};
use crate::{Error, Result};

/// Length of the pack header (header byte, message size, message count).
pub const HEADER_LEN: usize = 3;
/// Maximum number of messages in a pack from protocol version 1 on.
pub const MAX_MESSAGES: u8 = 9;
/// Maximum number of messages in a version-0 (F3411-19) pack.
pub const MAX_MESSAGES_V0: u8 = 10;

/// The most messages a pack of protocol `version` may declare.
pub fn max_messages(version: u8) -> u8 {
    if version == 0 {
        MAX_MESSAGES_V0
    } else {
        MAX_MESSAGES
    }
}

/// A zero-copy view over a Message Pack.
///
/// Accessors never panic: missing header bytes read as zero, [`Packet::message`] returns `None` for slots
/// beyond the buffer, and setters ignore bytes that are not there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Wraps `buffer` without checking its length.
    pub const fn new_unchecked(buffer: T) -> Self {
        Packet { buffer }
    }

    /// Wraps `buffer` after checking that it holds the header and every declared message slot.
    ///
    /// # Errors
    ///
    /// [`Error::Truncated`] when the buffer is shorter than 3 + 25 × N bytes.
    pub fn new_checked(buffer: T) -> Result<Self> {
        let packet = Self::new_unchecked(buffer);
        packet.check_len()?;
        Ok(packet)
    }

    /// Checks that the header and every declared message slot are present.
    ///
    /// # Errors
    ///
    /// [`Error::Truncated`] with field `"pack header"` or `"pack messages"`.
    pub fn check_len(&self) -> Result<()> {
        let have = self.buffer.as_ref().len();
        if have < HEADER_LEN {
            return Err(Error::Truncated {
                field: "pack header",
                need: HEADER_LEN,
                have,
            });
        }
        let need = HEADER_LEN + usize::from(self.message_count()) * MESSAGE_LEN;
        if have < need {
            return Err(Error::Truncated {
                field: "pack messages",
                need,
                have,
            });
        }
        Ok(())
    }

    /// Returns the wrapped buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// The message type nibble of byte 0 (0xF for a pack).
    pub fn message_type(&self) -> MessageType {
        MessageType::from(self.byte(0) >> 4)
    }

    /// The protocol version nibble of byte 0.
    pub fn version(&self) -> u8 {
        self.byte(0) & 0x0f
    }

    /// Byte 1: size of each message (must be 25).
    pub fn message_size(&self) -> u8 {
        self.byte(1)
    }

    /// Byte 2: number of messages declared.
    pub fn message_count(&self) -> u8 {
        self.byte(2)
    }

    /// The 25 bytes of slot `index`, or `None` when the slot is not wholly inside the buffer. Does not
    /// look at the declared count.
    pub fn message(&self, index: usize) -> Option<&[u8]> {
        let start = index.checked_mul(MESSAGE_LEN)?.checked_add(HEADER_LEN)?;
        self.buffer
            .as_ref()
            .get(start..start.checked_add(MESSAGE_LEN)?)
    }

    fn byte(&self, index: usize) -> u8 {
        super::get_u8(self.buffer.as_ref(), index)
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    /// Writes byte 0: type 0xF and `version`.
    pub fn set_header(&mut self, version: u8) {
        super::set_u8(self.buffer.as_mut(), 0, 0xf0 | (version & 0x0f));
    }

    /// Sets byte 1.
    pub fn set_message_size(&mut self, value: u8) {
        super::set_u8(self.buffer.as_mut(), 1, value);
    }

    /// Sets byte 2.
    pub fn set_message_count(&mut self, value: u8) {
        super::set_u8(self.buffer.as_mut(), 2, value);
    }

    /// The mutable 25 bytes of slot `index`, or `None` when outside the buffer.
    pub fn message_mut(&mut self, index: usize) -> Option<&mut [u8]> {
        let start = index.checked_mul(MESSAGE_LEN)?.checked_add(HEADER_LEN)?;
        self.buffer
            .as_mut()
            .get_mut(start..start.checked_add(MESSAGE_LEN)?)
    }
}

/// A decoded Message Pack.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Repr {
    /// Protocol version nibble of the pack header.
    pub version: u8,
    /// Message count N from the header.
    pub declared: u8,
    /// The messages that were complete and decodable, in transmission order.
    pub messages: Vec<Message>,
    /// The buffer ended before the last declared message: `messages` holds only the complete ones.
    pub truncated: bool,
    /// Complete slots that were skipped: nested packs and messages that failed to decode (for example an
    /// Authentication page 0 with an impossible length).
    pub skipped: u8,
}

impl Repr {
    /// Decodes a Message Pack from `buf` (trailing bytes after the declared messages are ignored).
    ///
    /// Never panics; a short buffer gives a partial result (see the module docs).
    ///
    /// # Errors
    ///
    /// - [`Error::Truncated`] `"pack header"` when `buf` has fewer than 3 bytes.
    /// - [`Error::NotApplicable`] when the type nibble is not 0xF.
    /// - [`Error::Malformed`] `"pack message count"` when N exceeds 9 (10 in version 0), and
    ///   `"pack message size"` when the size byte is not 25 (0 is accepted when N = 0).
    pub fn parse(buf: &[u8]) -> Result<Repr> {
        let packet = Packet::new_unchecked(buf);
        if buf.len() < HEADER_LEN {
            return Err(Error::Truncated {
                field: "pack header",
                need: HEADER_LEN,
                have: buf.len(),
            });
        }
        if packet.message_type() != MessageType::Pack {
            return Err(Error::NotApplicable);
        }
        let version = packet.version();
        let declared = packet.message_count();
        if declared > max_messages(version) {
            return Err(Error::Malformed {
                field: "pack message count",
            });
        }
        let size = packet.message_size();
        if usize::from(size) != MESSAGE_LEN && !(declared == 0 && size == 0) {
            return Err(Error::Malformed {
                field: "pack message size",
            });
        }
        let mut pack = Repr {
            version,
            declared,
            messages: Vec::with_capacity(usize::from(declared)),
            truncated: false,
            skipped: 0,
        };
        for index in 0..usize::from(declared) {
            let Some(slot) = packet.message(index) else {
                pack.truncated = true;
                break;
            };
            match Message::parse(slot) {
                Ok(message) => pack.messages.push(message),
                // Nested packs come back as NotApplicable, undecodable messages as Malformed.
                Err(_) => pack.skipped = pack.skipped.saturating_add(1),
            }
        }
        Ok(pack)
    }

    /// Bytes [`Repr::emit`] writes: 3 + 25 × the number of messages.
    pub fn buffer_len(&self) -> usize {
        HEADER_LEN + self.messages.len().saturating_mul(MESSAGE_LEN)
    }

    /// Writes the pack header and `messages` into the start of `buf`. N is the number of messages held;
    /// `declared`, `truncated` and `skipped` describe a received pack and are not written.
    ///
    /// # Errors
    ///
    /// - [`Error::Malformed`] `"pack message count"` when there are more messages than the version allows.
    /// - [`Error::Truncated`] `"pack"` when `buf` is shorter than [`Repr::buffer_len`].
    pub fn emit(&self, buf: &mut [u8]) -> Result<()> {
        let count = u8::try_from(self.messages.len())
            .ok()
            .filter(|&n| n <= max_messages(self.version))
            .ok_or(Error::Malformed {
                field: "pack message count",
            })?;
        let need = self.buffer_len();
        if buf.len() < need {
            return Err(Error::Truncated {
                field: "pack",
                need,
                have: buf.len(),
            });
        }
        let mut packet = Packet::new_unchecked(buf);
        packet.set_header(self.version);
        packet.set_message_size(MESSAGE_LEN as u8);
        packet.set_message_count(count);
        for (index, message) in self.messages.iter().enumerate() {
            let slot = packet.message_mut(index).ok_or(Error::Truncated {
                field: "pack",
                need,
                have: need,
            })?;
            message.emit(slot)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::odid::{basic_id, location};

    /// Pack header of vectors/opendroneid-core-c_generated_frames.txt, then its first message (Basic ID).
    const HEAD: [u8; 28] = [
        0xf2, // type 0xF Message Pack, version 2
        0x19, // message size 25
        0x05, // 5 messages declared
        0x02, // Basic ID, version 2
        0x12, // ID type 1 (serial), UA type 2
        b'1', b'5', b'9', b'6', b'A', b'1', b'2', b'3', b'4', b'5', // "1596A1234567890"
        b'6', b'7', b'8', b'9', b'0', 0, 0, 0, 0, 0, // NUL padding
        0, 0, 0, // reserved
    ];

    fn basic_id_repr() -> basic_id::Repr {
        basic_id::Repr::parse(&basic_id::Packet::new_unchecked(&HEAD[3..])).unwrap()
    }

    #[test]
    fn deconstruct() {
        let p = Packet::new_unchecked(&HEAD[..]);
        assert_eq!(p.message_type(), MessageType::Pack);
        assert_eq!(p.version(), 2);
        assert_eq!(p.message_size(), 25);
        assert_eq!(p.message_count(), 5);
        assert_eq!(p.message(0), Some(&HEAD[3..28]));
        assert_eq!(p.message(1), None);
        assert_eq!(p.message(usize::MAX), None);
        assert_eq!(
            p.check_len(),
            Err(Error::Truncated {
                field: "pack messages",
                need: 128,
                have: 28
            })
        );
    }

    #[test]
    fn truncated_pack_keeps_complete_messages() {
        // Declares 5, carries 1 whole message: like the spoofed Parrot capture (declares 4, carries 3 + 22 B).
        let pack = Repr::parse(&HEAD).unwrap();
        assert_eq!(pack.declared, 5);
        assert!(pack.truncated);
        assert_eq!(pack.messages, [Message::BasicId(basic_id_repr())]);
        assert_eq!(pack.skipped, 0);
    }

    #[test]
    fn empty_and_padded_packs() {
        // BT5 sample start-up pack: f0 19 00 and zero padding up to the 229-byte AD payload
        // (odid_bt5_lr_sample.pcapng).
        let mut buf = [0u8; 229];
        buf[0] = 0xf0;
        buf[1] = 0x19;
        let pack = Repr::parse(&buf).unwrap();
        assert_eq!(pack, Repr::default());
        // One message followed by padding: trailing bytes ignored.
        buf[..28].copy_from_slice(&HEAD);
        buf[2] = 1;
        let pack = Repr::parse(&buf).unwrap();
        assert_eq!((pack.version, pack.declared, pack.truncated), (2, 1, false));
        assert_eq!(pack.messages.len(), 1);
        // Size byte 0 is accepted only with N = 0.
        assert_eq!(Repr::parse(&[0xf2, 0, 0]).unwrap().messages.len(), 0);
    }

    #[test]
    fn header_errors() {
        let cases: &[(&[u8], Error)] = &[
            (
                &[],
                Error::Truncated {
                    field: "pack header",
                    need: 3,
                    have: 0,
                },
            ),
            (
                &[0xf2, 0x19],
                Error::Truncated {
                    field: "pack header",
                    need: 3,
                    have: 2,
                },
            ),
            (&[0x02, 0x19, 0x01], Error::NotApplicable),
            (
                &[0xf2, 0x18, 0x01],
                Error::Malformed {
                    field: "pack message size",
                },
            ),
            (
                &[0xf2, 0x00, 0x01],
                Error::Malformed {
                    field: "pack message size",
                },
            ),
            (
                &[0xf2, 0x19, 0x0a],
                Error::Malformed {
                    field: "pack message count",
                },
            ),
            (
                &[0xf0, 0x19, 0x0b],
                Error::Malformed {
                    field: "pack message count",
                },
            ),
        ];
        for (buf, want) in cases {
            assert_eq!(Repr::parse(buf), Err(*want), "{buf:02x?}");
        }
        // Version 0 allowed ten messages.
        let pack = Repr::parse(&[0xf0, 0x19, 0x0a]).unwrap();
        assert!(pack.truncated);
    }

    #[test]
    fn nested_pack_and_bad_slot_are_skipped() {
        let mut buf = [0u8; 3 + 3 * 25];
        buf[..3].copy_from_slice(&[0xf2, 0x19, 0x03]);
        buf[3] = 0xf2; // slot 0: a nested pack header
        buf[4] = 0x19;
        buf[28..53].copy_from_slice(&HEAD[3..]); // slot 1: Basic ID
        buf[53] = 0x22; // slot 2: Auth page 0 with LastPageIndex 16
        buf[55] = 16;
        let pack = Repr::parse(&buf).unwrap();
        assert_eq!(pack.messages, [Message::BasicId(basic_id_repr())]);
        assert_eq!((pack.skipped, pack.truncated), (2, false));
    }

    #[test]
    fn emit_round_trip_and_errors() {
        let mut loc = [0u8; 25];
        loc[0] = 0x12;
        let loc = location::Repr::parse(&location::Packet::new_unchecked(&loc[..])).unwrap();
        let pack = Repr {
            version: 2,
            declared: 2,
            messages: alloc::vec![Message::Location(loc), Message::BasicId(basic_id_repr())],
            truncated: false,
            skipped: 0,
        };
        let mut buf = [0u8; 53];
        pack.emit(&mut buf).unwrap();
        assert_eq!(&buf[..3], &[0xf2, 0x19, 0x02]);
        assert_eq!(&buf[28..], &HEAD[3..]);
        assert_eq!(Repr::parse(&buf).unwrap(), pack);
        assert_eq!(
            pack.emit(&mut buf[..52]),
            Err(Error::Truncated {
                field: "pack",
                need: 53,
                have: 52
            })
        );
        let too_many = Repr {
            messages: alloc::vec![Message::Location(loc); 10],
            ..pack
        };
        assert_eq!(
            too_many.emit(&mut [0u8; 300]),
            Err(Error::Malformed {
                field: "pack message count"
            })
        );
    }
}
