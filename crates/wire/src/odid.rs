//! ASTM F3411 / ASD-STAN EN 4709-002 Remote ID ("Open Drone ID") messages, protocol versions 0, 1 and 2.
//!
//! Every message is 25 bytes: a header byte (message type in the high nibble, protocol version in the low
//! nibble) and 24 bytes of fields, little-endian. One submodule per message type, each with a zero-copy
//! `Packet<T>` view over the raw bytes and a `Repr` in physical units with `parse` and `emit`:
//!
//! - [`basic_id`]: UA identity (serial number, CAA registration, UTM UUID, session ID) and UA type.
//! - [`location`]: position, altitudes, speeds, direction, accuracies, timestamp.
//! - [`auth`]: one authentication page (page 0 or 1..15) and [`auth::Reassembly`] to join pages.
//! - [`self_id`]: free-text description of the flight.
//! - [`system`]: operator position, operating area, EU classification, system timestamp.
//! - [`operator_id`]: operator registration ID.
//! - [`pack`]: the Message Pack (type 0xF) that Wi-Fi, BT5 and NAN use to carry several messages at once.
//!
//! [`Message`] is the sum of the single-message `Repr`s, [`Pack`] a decoded Message Pack, and [`Payload`]
//! what a transport carries (one message over BT4 legacy advertising, a pack elsewhere). The entry points
//! [`Message::parse`], [`Pack::parse`] and [`Payload::parse`] accept any byte slice and never panic.
//!
//! ```
//! use wire::odid::{location::Status, Message, Payload};
//!
//! // A Location message as encoded by opendroneid-core-c (test_inout vectors).
//! let bytes = [
//!     0x12, 0x26, 0x24, 0x16, 0x0a, 0x42, 0xbf, 0x24, 0x1b, 0x6e, 0xd1, 0xb4, 0xb6,
//!     0x98, 0x08, 0xac, 0x08, 0x70, 0x08, 0x6b, 0x53, 0x15, 0x0e, 0x02, 0x00,
//! ];
//! let payload = Payload::parse(&bytes)?;
//! let [Message::Location(loc)] = payload.messages() else { panic!("one Location") };
//! assert_eq!(loc.status, Status::Airborne);
//! assert_eq!(loc.direction, Some(216));
//! assert_eq!(loc.geodetic_altitude, Some(110.0));
//! # Ok::<(), wire::Error>(())
//! ```
//!
//! Reserved bits and bytes are ignored when parsing and written as zero when emitting, so `emit` after
//! `parse` reproduces the input bytes except for reserved bits and for the few values that have two
//! encodings (noted on the fields concerned).

use alloc::vec::Vec;

use crate::{Error, Result};

/// Declares a code-point enum whose unlisted values are kept as `Unknown(raw)`, with lossless
/// conversions from and to the raw number. Written as a macro because every ODID code point needs the
/// same two conversions and a hand-written copy per enum would invite mismatched tables.
macro_rules! code_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $value:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
            /// A value this decoder does not know (reserved, private use or newer than the spec used).
            Unknown(u8),
        }

        impl From<u8> for $name {
            fn from(raw: u8) -> Self {
                match raw {
                    $( $value => $name::$variant, )*
                    other => $name::Unknown(other),
                }
            }
        }

        impl From<$name> for u8 {
            fn from(value: $name) -> u8 {
                match value {
                    $( $name::$variant => $value, )*
                    $name::Unknown(other) => other,
                }
            }
        }
    };
}

/// Declares the zero-copy `Packet<T>` view shared by every single-message module: construction, length
/// check, header accessors and bounds-safe byte helpers. A macro because the six message views differ only
/// in their message type and field accessors.
macro_rules! message_packet {
    ($msg_type:expr) => {
        /// A zero-copy view over the 25 bytes of one message.
        ///
        /// Accessors never panic: on a buffer shorter than 25 bytes (only possible through
        /// [`Packet::new_unchecked`]) missing bytes read as zero and setters ignore them.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct Packet<T: AsRef<[u8]>> {
            buffer: T,
        }

        impl<T: AsRef<[u8]>> Packet<T> {
            /// Wraps `buffer` without checking its length.
            pub const fn new_unchecked(buffer: T) -> Self {
                Packet { buffer }
            }

            /// Wraps `buffer` after checking that it holds a whole message (25 bytes; more is allowed).
            ///
            /// # Errors
            ///
            /// [`Error::Truncated`] when the buffer is shorter than 25 bytes.
            pub fn new_checked(buffer: T) -> Result<Self> {
                let packet = Self::new_unchecked(buffer);
                packet.check_len()?;
                Ok(packet)
            }

            /// Checks that the buffer holds a whole message.
            ///
            /// # Errors
            ///
            /// [`Error::Truncated`] when the buffer is shorter than 25 bytes.
            pub fn check_len(&self) -> Result<()> {
                super::check_message_len(self.buffer.as_ref().len())
            }

            /// Returns the wrapped buffer.
            pub fn into_inner(self) -> T {
                self.buffer
            }

            /// The message type from the header's high nibble.
            pub fn message_type(&self) -> super::MessageType {
                super::MessageType::from(self.byte(0) >> 4)
            }

            /// The protocol version from the header's low nibble.
            pub fn version(&self) -> u8 {
                self.byte(0) & 0x0f
            }

            fn bytes(&self) -> &[u8] {
                self.buffer.as_ref()
            }

            fn byte(&self, index: usize) -> u8 {
                super::get_u8(self.bytes(), index)
            }

            /// Parse-time guard shared by every `Repr::parse`: whole message and the right type.
            fn check_for(&self) -> Result<()> {
                self.check_len()?;
                if self.message_type() != $msg_type {
                    return Err(Error::NotApplicable);
                }
                Ok(())
            }
        }

        impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
            /// Writes the header byte: this module's message type and `version` (low nibble).
            pub fn set_header(&mut self, version: u8) {
                let ty = u8::from($msg_type);
                self.set_byte(0, (ty << 4) | (version & 0x0f));
            }

            fn set_byte(&mut self, index: usize, value: u8) {
                super::set_u8(self.buffer.as_mut(), index, value);
            }

            fn bytes_mut(&mut self) -> &mut [u8] {
                self.buffer.as_mut()
            }
        }
    };
}

pub mod auth;
pub mod basic_id;
pub mod location;
pub mod operator_id;
pub mod pack;
pub mod self_id;
pub mod system;

pub use pack::Repr as Pack;

/// Length of every single ODID message.
pub const MESSAGE_LEN: usize = 25;

/// The Unix time of the ODID epoch, 2019-01-01 00:00:00 UTC, from which System and Authentication
/// timestamps count seconds.
pub const EPOCH_UNIX: u64 = 1_546_300_800;

/// Converts an ODID timestamp (seconds since 2019-01-01 00:00:00 UTC) to Unix seconds.
pub const fn unix_seconds(odid_seconds: u32) -> u64 {
    EPOCH_UNIX + odid_seconds as u64
}

code_enum! {
    /// Message type, the high nibble of byte 0 (`ODID_messagetype_t`).
    pub enum MessageType {
        /// 0: Basic ID.
        BasicId = 0,
        /// 1: Location/Vector.
        Location = 1,
        /// 2: Authentication page.
        Auth = 2,
        /// 3: Self-ID.
        SelfId = 3,
        /// 4: System.
        System = 4,
        /// 5: Operator ID.
        OperatorId = 5,
        /// 0xF: Message Pack.
        Pack = 15,
    }
}

/// Reads the header byte of `buf`: message type and protocol version.
///
/// # Errors
///
/// [`Error::Truncated`] when `buf` is empty.
pub fn parse_header(buf: &[u8]) -> Result<(MessageType, u8)> {
    let header = *buf.first().ok_or(Error::Truncated {
        field: "odid header",
        need: 1,
        have: 0,
    })?;
    Ok((MessageType::from(header >> 4), header & 0x0f))
}

/// Decodes a NUL-padded ASCII field (UAS ID, Self-ID text, operator ID) as text.
///
/// Trailing NUL bytes are removed. Returns `None` when any remaining byte is not printable ASCII
/// (0x20..=0x7E), which is the case for binary IDs (UTM UUID, session ID) and for corrupted fields; callers
/// then show the raw bytes instead. Returns `Some("")` for an all-NUL field.
pub fn ascii_text(field: &[u8]) -> Option<&str> {
    let end = field.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    let text = field.get(..end)?;
    if text.iter().all(|b| (0x20..=0x7e).contains(b)) {
        core::str::from_utf8(text).ok()
    } else {
        None
    }
}

/// One decoded single message (anything but a Message Pack).
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    BasicId(basic_id::Repr),
    Location(location::Repr),
    Auth(auth::Repr),
    SelfId(self_id::Repr),
    System(system::Repr),
    OperatorId(operator_id::Repr),
    /// A message type this decoder does not know (6..=14), kept whole so it can be forwarded or logged.
    Unknown {
        /// The type nibble.
        msg_type: u8,
        /// The protocol version nibble.
        version: u8,
        /// All 25 bytes, header included.
        raw: [u8; MESSAGE_LEN],
    },
}

impl Message {
    /// Decodes one 25-byte message from the start of `buf`; bytes after the 25th are ignored.
    ///
    /// The protocol version is not checked (as in the reference decoder): versions 0, 1 and 2 share one
    /// layout, with fields added later reading as zero/unknown in older versions.
    ///
    /// # Errors
    ///
    /// - [`Error::Truncated`] when `buf` is shorter than 25 bytes.
    /// - [`Error::NotApplicable`] when the type is a Message Pack (use [`Pack::parse`] or
    ///   [`Payload::parse`]).
    /// - [`Error::Malformed`] when an Authentication page 0 declares an impossible page count or length.
    pub fn parse(buf: &[u8]) -> Result<Message> {
        check_message_len(buf.len())?;
        let (msg_type, version) = parse_header(buf)?;
        Ok(match msg_type {
            MessageType::BasicId => Message::BasicId(basic_id::Repr::parse(
                &basic_id::Packet::new_unchecked(buf),
            )?),
            MessageType::Location => Message::Location(location::Repr::parse(
                &location::Packet::new_unchecked(buf),
            )?),
            MessageType::Auth => {
                Message::Auth(auth::Repr::parse(&auth::Packet::new_unchecked(buf))?)
            }
            MessageType::SelfId => {
                Message::SelfId(self_id::Repr::parse(&self_id::Packet::new_unchecked(buf))?)
            }
            MessageType::System => {
                Message::System(system::Repr::parse(&system::Packet::new_unchecked(buf))?)
            }
            MessageType::OperatorId => Message::OperatorId(operator_id::Repr::parse(
                &operator_id::Packet::new_unchecked(buf),
            )?),
            MessageType::Pack => return Err(Error::NotApplicable),
            MessageType::Unknown(msg_type) => {
                let mut raw = [0u8; MESSAGE_LEN];
                let src = buf.get(..MESSAGE_LEN).ok_or(Error::Truncated {
                    field: "odid message",
                    need: MESSAGE_LEN,
                    have: buf.len(),
                })?;
                raw.copy_from_slice(src);
                Message::Unknown {
                    msg_type,
                    version,
                    raw,
                }
            }
        })
    }

    /// Writes the message into the first 25 bytes of `buf`.
    ///
    /// For [`Message::Unknown`] the raw bytes are written with the header rebuilt from `msg_type` and
    /// `version`.
    ///
    /// # Errors
    ///
    /// [`Error::Truncated`] when `buf` is shorter than 25 bytes.
    pub fn emit(&self, buf: &mut [u8]) -> Result<()> {
        check_message_len(buf.len())?;
        match self {
            Message::BasicId(r) => r.emit(&mut basic_id::Packet::new_unchecked(&mut *buf)),
            Message::Location(r) => r.emit(&mut location::Packet::new_unchecked(&mut *buf)),
            Message::Auth(r) => r.emit(&mut auth::Packet::new_unchecked(&mut *buf)),
            Message::SelfId(r) => r.emit(&mut self_id::Packet::new_unchecked(&mut *buf)),
            Message::System(r) => r.emit(&mut system::Packet::new_unchecked(&mut *buf)),
            Message::OperatorId(r) => r.emit(&mut operator_id::Packet::new_unchecked(&mut *buf)),
            Message::Unknown {
                msg_type,
                version,
                raw,
            } => {
                if let Some(dst) = buf.get_mut(..MESSAGE_LEN) {
                    dst.copy_from_slice(raw);
                }
                set_u8(buf, 0, (msg_type << 4) | (version & 0x0f));
            }
        }
        Ok(())
    }

    /// The message type.
    pub fn message_type(&self) -> MessageType {
        match self {
            Message::BasicId(_) => MessageType::BasicId,
            Message::Location(_) => MessageType::Location,
            Message::Auth(_) => MessageType::Auth,
            Message::SelfId(_) => MessageType::SelfId,
            Message::System(_) => MessageType::System,
            Message::OperatorId(_) => MessageType::OperatorId,
            Message::Unknown { msg_type, .. } => MessageType::from(*msg_type),
        }
    }

    /// The protocol version nibble the message was sent with.
    pub fn version(&self) -> u8 {
        match self {
            Message::BasicId(r) => r.version,
            Message::Location(r) => r.version,
            Message::Auth(r) => r.version,
            Message::SelfId(r) => r.version,
            Message::System(r) => r.version,
            Message::OperatorId(r) => r.version,
            Message::Unknown { version, .. } => *version,
        }
    }
}

/// Lets encoders write `Message::from(repr)` or `repr.into()` for every single-message `Repr`.
macro_rules! message_from_repr {
    ($($module:ident => $variant:ident),* $(,)?) => {
        $(
            impl From<$module::Repr> for Message {
                fn from(repr: $module::Repr) -> Message {
                    Message::$variant(repr)
                }
            }
        )*
    };
}

message_from_repr! {
    basic_id => BasicId,
    location => Location,
    auth => Auth,
    self_id => SelfId,
    system => System,
    operator_id => OperatorId,
}

/// What one Remote ID transport frame carries: a single message (Bluetooth 4 legacy advertising) or a
/// Message Pack (Wi-Fi Beacon, Wi-Fi NAN, Bluetooth 5 Long Range).
#[derive(Debug, Clone, PartialEq)]
pub enum Payload {
    Single(Message),
    Pack(Pack),
}

impl Payload {
    /// Decodes `buf` as a pack when its type nibble is 0xF, as a single message otherwise.
    ///
    /// # Errors
    ///
    /// The errors of [`Message::parse`] or [`Pack::parse`], whichever applies.
    pub fn parse(buf: &[u8]) -> Result<Payload> {
        match parse_header(buf)?.0 {
            MessageType::Pack => Pack::parse(buf).map(Payload::Pack),
            _ => Message::parse(buf).map(Payload::Single),
        }
    }

    /// The decoded messages: one for a single message, the complete ones of a pack.
    pub fn messages(&self) -> &[Message] {
        match self {
            Payload::Single(m) => core::slice::from_ref(m),
            Payload::Pack(p) => &p.messages,
        }
    }

    /// Consumes the payload and returns its messages.
    pub fn into_messages(self) -> Vec<Message> {
        match self {
            Payload::Single(m) => alloc::vec![m],
            Payload::Pack(p) => p.messages,
        }
    }
}

// ---- field helpers shared by the message modules ----
//
// All reads use `get` so that a view over a short buffer reads zeros instead of panicking, and all
// writes silently skip bytes that are not there; `Repr::parse` and `emit` check the length first.

fn check_message_len(have: usize) -> Result<()> {
    if have < MESSAGE_LEN {
        Err(Error::Truncated {
            field: "odid message",
            need: MESSAGE_LEN,
            have,
        })
    } else {
        Ok(())
    }
}

fn get_u8(buf: &[u8], index: usize) -> u8 {
    buf.get(index).copied().unwrap_or(0)
}

fn set_u8(buf: &mut [u8], index: usize, value: u8) {
    if let Some(b) = buf.get_mut(index) {
        *b = value;
    }
}

fn get_array<const N: usize>(buf: &[u8], index: usize) -> [u8; N] {
    let mut out = [0u8; N];
    if let Some(src) = index.checked_add(N).and_then(|end| buf.get(index..end)) {
        out.copy_from_slice(src);
    }
    out
}

fn set_slice(buf: &mut [u8], index: usize, value: &[u8]) {
    for (i, v) in value.iter().enumerate() {
        if let Some(pos) = index.checked_add(i) {
            set_u8(buf, pos, *v);
        }
    }
}

fn get_u16(buf: &[u8], index: usize) -> u16 {
    u16::from_le_bytes(get_array(buf, index))
}

fn set_u16(buf: &mut [u8], index: usize, value: u16) {
    set_slice(buf, index, &value.to_le_bytes());
}

fn get_u32(buf: &[u8], index: usize) -> u32 {
    u32::from_le_bytes(get_array(buf, index))
}

fn set_u32(buf: &mut [u8], index: usize, value: u32) {
    set_slice(buf, index, &value.to_le_bytes());
}

fn get_i32(buf: &[u8], index: usize) -> i32 {
    i32::from_le_bytes(get_array(buf, index))
}

fn set_i32(buf: &mut [u8], index: usize, value: i32) {
    set_slice(buf, index, &value.to_le_bytes());
}

/// Rounds half away from zero and saturates. `f64::round` lives in `std`, not `core`, and this crate is
/// `no_std`; float-to-int `as` casts saturate and map NaN to 0, which is the clamping we want.
fn round_f64(x: f64) -> i64 {
    if x >= 0.0 {
        (x + 0.5) as i64
    } else {
        -((-x + 0.5) as i64)
    }
}

/// Altitude encoding shared by Location and System: `raw × 0.5 − 1000` m, raw 0 (−1000 m) = unknown.
fn decode_altitude(raw: u16) -> Option<f32> {
    (raw != 0).then(|| f32::from(raw) * 0.5 - 1000.0)
}

/// Inverse of [`decode_altitude`], truncating like the reference encoder (`(alt + 1000) / 0.5`) and
/// saturating to the field range.
fn encode_altitude(alt: Option<f32>) -> u16 {
    match alt {
        Some(m) => ((m + 1000.0) / 0.5) as u16,
        None => 0,
    }
}

/// Latitude/longitude in 1e-7 degrees; both zero means "unknown".
fn decode_lat_lon(lat: i32, lon: i32) -> (Option<f64>, Option<f64>) {
    if lat == 0 && lon == 0 {
        (None, None)
    } else {
        (Some(f64::from(lat) / 1e7), Some(f64::from(lon) / 1e7))
    }
}

fn encode_coordinate(deg: Option<f64>) -> i32 {
    match deg {
        Some(d) => round_f64(d * 1e7).clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32,
        None => 0,
    }
}

/// System and Authentication timestamps: seconds since 2019-01-01; 0 is treated as "not provided"
/// (versions before 2 leave the System field reserved, i.e. zero).
fn decode_timestamp(raw: u32) -> Option<u32> {
    (raw != 0).then_some(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_fields() {
        // (field bytes, expected text)
        let cases: &[(&[u8], Option<&str>)] = &[
            (b"1596A1234567890\0\0\0\0\0", Some("1596A1234567890")),
            (b"\0\0\0\0", Some("")),
            (b"AB\0C", None),
            (&[0x41, 0xff, 0, 0], None),
            (b"Drone ID demo\0\0\0\0\0\0\0\0\0\0", Some("Drone ID demo")),
        ];
        for (field, want) in cases {
            assert_eq!(ascii_text(field), *want, "{field:02x?}");
        }
    }

    #[test]
    fn header() {
        assert_eq!(parse_header(&[0x12]), Ok((MessageType::Location, 2)));
        assert_eq!(parse_header(&[0xf0]), Ok((MessageType::Pack, 0)));
        assert_eq!(parse_header(&[0x7f]), Ok((MessageType::Unknown(7), 15)));
        assert_eq!(
            parse_header(&[]),
            Err(Error::Truncated {
                field: "odid header",
                need: 1,
                have: 0
            })
        );
    }

    #[test]
    fn unknown_message_type_round_trips() {
        let mut bytes = [0u8; 25];
        bytes[0] = 0x62; // type 6 (unassigned), version 2
        bytes[1] = 0xaa;
        bytes[24] = 0x55;
        let msg = Message::parse(&bytes).unwrap();
        assert_eq!(msg.message_type(), MessageType::Unknown(6));
        assert_eq!(msg.version(), 2);
        let mut out = [0u8; 25];
        msg.emit(&mut out).unwrap();
        assert_eq!(out, bytes);
    }

    #[test]
    fn message_parse_errors() {
        assert_eq!(
            Message::parse(&[0x12; 24]),
            Err(Error::Truncated {
                field: "odid message",
                need: 25,
                have: 24
            })
        );
        // A pack is not a single message.
        assert_eq!(Message::parse(&[0xf2; 25]), Err(Error::NotApplicable));
        let mut out = [0u8; 10];
        let msg = Message::Unknown {
            msg_type: 6,
            version: 0,
            raw: [0; 25],
        };
        assert_eq!(
            msg.emit(&mut out),
            Err(Error::Truncated {
                field: "odid message",
                need: 25,
                have: 10
            })
        );
    }

    #[test]
    fn rounding() {
        for (x, want) in [
            (0.4, 0),
            (0.5, 1),
            (-0.5, -1),
            (-1.4, -1),
            (2.6, 3),
            (f64::NAN, 0),
        ] {
            assert_eq!(round_f64(x), want, "{x}");
        }
        assert_eq!(encode_coordinate(Some(45.539309)), 455_393_090);
        assert_eq!(encode_coordinate(Some(1e9)), i32::MAX);
        assert_eq!(decode_altitude(0), None);
        assert_eq!(decode_altitude(2200), Some(100.0));
        assert_eq!(encode_altitude(Some(176.9)), 2353);
        assert_eq!(encode_altitude(Some(-5000.0)), 0);
        assert_eq!(encode_altitude(Some(1e9)), u16::MAX);
    }
}
