//! Authentication message (type 2): one page of an authentication payload of up to 16 pages.
//!
//! [`Packet`] is the zero-copy view, [`Repr`] one decoded page ([`Page::First`] carries the page count,
//! total length and timestamp; [`Page::Next`] only data), [`AuthType`] the scheme, and [`Reassembly`]
//! joins pages 0..=LastPageIndex of one UA into the authentication bytes.
//!
//! Layout (remoteid.md §1.3): byte 1 = auth type (bits 7..4) and page number (bits 3..0). Page 0: byte 2
//! LastPageIndex, byte 3 Length (total auth bytes), bytes 4..7 timestamp (s since 2019-01-01), bytes 8..24
//! data (17). Pages 1..15: bytes 2..24 data (23). Version 0 used byte 2 as a page count (max 5 pages);
//! it is read as LastPageIndex regardless, as the reference decoder does.

use super::MessageType;
use crate::{Error, Result};

/// Data bytes on page 0.
pub const FIRST_PAGE_DATA_LEN: usize = 17;
/// Data bytes on pages 1..15.
pub const NEXT_PAGE_DATA_LEN: usize = 23;
/// Number of pages (LastPageIndex ≤ 15).
pub const MAX_PAGES: usize = 16;
/// Total capacity of 16 pages: 17 + 15 × 23 = 362 bytes.
pub const MAX_DATA_LEN: usize = FIRST_PAGE_DATA_LEN + (MAX_PAGES - 1) * NEXT_PAGE_DATA_LEN;

code_enum! {
    /// Authentication scheme, byte 1 bits 7..4.
    pub enum AuthType {
        None = 0,
        UasIdSignature = 1,
        OperatorIdSignature = 2,
        MessageSetSignature = 3,
        /// 4: authentication provided by network Remote ID.
        NetworkRemoteId = 4,
        /// 5 (v1+): specific authentication method; first data byte names the ICAO-managed method.
        SpecificAuthentication = 5,
    }
}

message_packet!(MessageType::Auth);

impl<T: AsRef<[u8]>> Packet<T> {
    /// Byte 1 bits 7..4.
    pub fn auth_type(&self) -> AuthType {
        AuthType::from(self.byte(1) >> 4)
    }

    /// Byte 1 bits 3..0.
    pub fn page_number(&self) -> u8 {
        self.byte(1) & 0x0f
    }

    /// Byte 2 (page 0 only): index of the last page.
    pub fn last_page_index(&self) -> u8 {
        self.byte(2)
    }

    /// Byte 3 (page 0 only): total length of the authentication data in bytes.
    pub fn length(&self) -> u8 {
        self.byte(3)
    }

    /// Bytes 4..7 (page 0 only): seconds since 2019-01-01 00:00:00 UTC.
    pub fn timestamp_raw(&self) -> u32 {
        super::get_u32(self.bytes(), 4)
    }

    /// The data bytes of this page: 8..24 on page 0, 2..24 on the others (empty if the buffer is short).
    pub fn data(&self) -> &[u8] {
        let start = if self.page_number() == 0 { 8 } else { 2 };
        self.bytes().get(start..super::MESSAGE_LEN).unwrap_or(&[])
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    /// Sets byte 1 (values masked to 4 bits).
    pub fn set_type_and_page(&mut self, auth_type: AuthType, page: u8) {
        self.set_byte(1, ((u8::from(auth_type) & 0x0f) << 4) | (page & 0x0f));
    }

    /// Sets byte 2 (page 0).
    pub fn set_last_page_index(&mut self, value: u8) {
        self.set_byte(2, value);
    }

    /// Sets byte 3 (page 0).
    pub fn set_length(&mut self, value: u8) {
        self.set_byte(3, value);
    }

    /// Sets bytes 4..7 (page 0).
    pub fn set_timestamp_raw(&mut self, value: u32) {
        super::set_u32(self.bytes_mut(), 4, value);
    }

    /// Writes `data` from the data offset of the current page number (8 on page 0, 2 otherwise).
    pub fn set_data(&mut self, data: &[u8]) {
        let start = if self.page_number() == 0 { 8 } else { 2 };
        let len = data.len().min(super::MESSAGE_LEN - start);
        super::set_slice(self.bytes_mut(), start, data.get(..len).unwrap_or(&[]));
    }
}

/// The page-specific part of an Authentication message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Page {
    /// Page 0.
    First {
        /// Index of the last page (0..=15).
        last_page_index: u8,
        /// Total authentication data length in bytes (≤ 17 + 23 × last_page_index). Bytes beyond it may
        /// carry forward error correction.
        length: u8,
        /// Seconds since 2019-01-01 00:00:00 UTC; `None` when zero.
        timestamp: Option<u32>,
        data: [u8; FIRST_PAGE_DATA_LEN],
    },
    /// Pages 1..=15.
    Next {
        /// Page number, 1..=15.
        page: u8,
        data: [u8; NEXT_PAGE_DATA_LEN],
    },
}

/// A decoded Authentication page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Repr {
    /// Protocol version nibble.
    pub version: u8,
    pub auth_type: AuthType,
    pub page: Page,
}

impl Repr {
    /// Decodes one Authentication page.
    ///
    /// # Errors
    ///
    /// - [`Error::Truncated`] for fewer than 25 bytes, [`Error::NotApplicable`] for another message type.
    /// - [`Error::Malformed`] `"auth last page index"` when page 0 declares LastPageIndex ≥ 16, and
    ///   `"auth length"` when its Length exceeds what the declared pages can hold (17 + 23 × index),
    ///   the checks of the reference `decodeAuthMessage`.
    #[inline]
    pub fn parse<T: AsRef<[u8]> + ?Sized>(packet: &Packet<&T>) -> Result<Repr> {
        packet.check_for()?;
        let page_number = packet.page_number();
        let page = if page_number == 0 {
            let last_page_index = packet.last_page_index();
            if usize::from(last_page_index) >= MAX_PAGES {
                return Err(Error::Malformed {
                    field: "auth last page index",
                });
            }
            let length = packet.length();
            if usize::from(length) > capacity(last_page_index) {
                return Err(Error::Malformed {
                    field: "auth length",
                });
            }
            Page::First {
                last_page_index,
                length,
                timestamp: super::decode_timestamp(packet.timestamp_raw()),
                data: super::get_array(packet.bytes(), 8),
            }
        } else {
            Page::Next {
                page: page_number,
                data: super::get_array(packet.bytes(), 2),
            }
        };
        Ok(Repr {
            version: packet.version(),
            auth_type: packet.auth_type(),
            page,
        })
    }

    /// Writes the page. Out-of-range numbers are masked to their field width (page to 4 bits).
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]> + ?Sized>(&self, packet: &mut Packet<&mut T>) {
        packet.set_header(self.version);
        match &self.page {
            Page::First {
                last_page_index,
                length,
                timestamp,
                data,
            } => {
                packet.set_type_and_page(self.auth_type, 0);
                packet.set_last_page_index(*last_page_index);
                packet.set_length(*length);
                packet.set_timestamp_raw(timestamp.unwrap_or(0));
                packet.set_data(data);
            }
            Page::Next { page, data } => {
                packet.set_type_and_page(self.auth_type, *page);
                packet.set_data(data);
            }
        }
    }

    /// The page number (0..=15).
    pub fn page_number(&self) -> u8 {
        match self.page {
            Page::First { .. } => 0,
            Page::Next { page, .. } => page & 0x0f,
        }
    }

    /// LastPageIndex, known from page 0 only.
    pub fn last_page_index(&self) -> Option<u8> {
        match self.page {
            Page::First {
                last_page_index, ..
            } => Some(last_page_index),
            Page::Next { .. } => None,
        }
    }

    /// Total authentication length in bytes, known from page 0 only.
    pub fn length(&self) -> Option<u8> {
        match self.page {
            Page::First { length, .. } => Some(length),
            Page::Next { .. } => None,
        }
    }

    /// Timestamp in seconds since 2019-01-01, page 0 only.
    pub fn timestamp(&self) -> Option<u32> {
        match self.page {
            Page::First { timestamp, .. } => timestamp,
            Page::Next { .. } => None,
        }
    }

    /// Timestamp in Unix seconds, page 0 only.
    pub fn unix_timestamp(&self) -> Option<u64> {
        self.timestamp().map(super::unix_seconds)
    }

    /// The data bytes carried on this page (17 on page 0, 23 on the others).
    pub fn data(&self) -> &[u8] {
        match &self.page {
            Page::First { data, .. } => data,
            Page::Next { data, .. } => data,
        }
    }
}

/// Bytes that pages 0..=last_page_index can hold.
fn capacity(last_page_index: u8) -> usize {
    FIRST_PAGE_DATA_LEN + usize::from(last_page_index) * NEXT_PAGE_DATA_LEN
}

/// Offset of page `page`'s data in the joined authentication data.
fn page_offset(page: u8) -> usize {
    match page {
        0 => 0,
        n => capacity(n - 1),
    }
}

/// Collects the pages of one UA's authentication payload and yields the `length` data bytes once pages
/// 0..=LastPageIndex have all arrived (in any order).
///
/// Pure and allocation-free: the tracker keeps one per UA (and auth type) and feeds it decoded pages. A new
/// page 0 that differs from the one held (type, timestamp, page count or length) starts a new payload; a
/// page of another auth type than the held page 0 is ignored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reassembly {
    buf: [u8; MAX_DATA_LEN],
    /// Bit n set = page n received.
    received: u16,
    first: Option<(AuthType, u8, u8, Option<u32>)>,
}

impl Default for Reassembly {
    fn default() -> Self {
        Self::new()
    }
}

impl Reassembly {
    /// An empty reassembly.
    pub const fn new() -> Self {
        Reassembly {
            buf: [0; MAX_DATA_LEN],
            received: 0,
            first: None,
        }
    }

    /// Adds one page. Returns the authentication data (exactly `length` bytes) when this page completes
    /// the payload, `None` while pages are missing.
    pub fn push(&mut self, page: &Repr) -> Option<&[u8]> {
        match page.page {
            Page::First {
                last_page_index,
                length,
                timestamp,
                ..
            } => {
                let key = (page.auth_type, last_page_index, length, timestamp);
                if self.first != Some(key) {
                    // A different payload started: pages from other ones may not be mixed in, except
                    // pages that arrived before any page 0 (kept, as they may belong to this one).
                    if self.first.is_some() {
                        self.received = 0;
                    }
                    self.first = Some(key);
                }
            }
            Page::Next { .. } => {
                if let Some((auth_type, ..)) = self.first {
                    if auth_type != page.auth_type {
                        return None;
                    }
                }
            }
        }
        let n = page.page_number();
        let data = page.data();
        let start = page_offset(n);
        if let Some(dst) = self.buf.get_mut(start..start + data.len()) {
            dst.copy_from_slice(data);
            self.received |= 1 << n;
        }
        self.complete()
    }

    /// The authentication data if every page 0..=LastPageIndex has been received.
    pub fn complete(&self) -> Option<&[u8]> {
        let (_, last, length, _) = self.first?;
        let needed: u16 = u16::MAX >> (15 - last.min(15));
        if self.received & needed == needed {
            self.buf.get(..usize::from(length))
        } else {
            None
        }
    }

    /// Forgets every page.
    pub fn clear(&mut self) {
        *self = Self::new();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Auth page 0 from vectors/opendroneid-core-c_test_inout.txt ("Auth0:").
    const PAGE0: [u8; 25] = [
        0x22, // type 2 Authentication, version 2
        0x10, // auth type 1 (UAS ID signature), page 0
        0x01, // LastPageIndex 1
        0x28, // Length 40
        0x00, 0x3f, 0xab, 0x01, // timestamp 28000000 s since 2019-01-01
        b'1', b'2', b'3', b'4', b'5', b'6', b'7', b'8', b'9',
        b'0', // data "12345678901234567"
        b'1', b'2', b'3', b'4', b'5', b'6', b'7', //
    ];

    /// Auth page 1 from the same file ("Auth1:").
    const PAGE1: [u8; 25] = [
        0x22, // Authentication, version 2
        0x11, // auth type 1, page 1
        b'1', b'2', b'3', b'4', b'5', b'6', b'7', b'8', b'9',
        b'0', // data "12345678901234567890123"
        b'1', b'2', b'3', b'4', b'5', b'6', b'7', b'8', b'9', b'0', //
        b'1', b'2', b'3', //
    ];

    fn parse(bytes: &[u8]) -> Result<Repr> {
        Repr::parse(&Packet::new_unchecked(bytes))
    }

    #[test]
    fn deconstruct() {
        let p = Packet::new_checked(&PAGE0[..]).unwrap();
        assert_eq!(p.auth_type(), AuthType::UasIdSignature);
        assert_eq!(p.page_number(), 0);
        assert_eq!(p.last_page_index(), 1);
        assert_eq!(p.length(), 40);
        assert_eq!(p.timestamp_raw(), 28_000_000);
        assert_eq!(p.data(), b"12345678901234567");
        let p = Packet::new_checked(&PAGE1[..]).unwrap();
        assert_eq!(p.page_number(), 1);
        assert_eq!(p.data(), b"12345678901234567890123");
    }

    #[test]
    fn parse_and_emit() {
        let r0 = parse(&PAGE0).unwrap();
        assert_eq!(r0.page_number(), 0);
        assert_eq!(r0.last_page_index(), Some(1));
        assert_eq!(r0.length(), Some(40));
        assert_eq!(r0.timestamp(), Some(28_000_000));
        assert_eq!(r0.unix_timestamp(), Some(1_546_300_800 + 28_000_000));
        let r1 = parse(&PAGE1).unwrap();
        assert_eq!(r1.auth_type, AuthType::UasIdSignature);
        assert_eq!(r1.page_number(), 1);
        assert_eq!(r1.last_page_index(), None);
        for (repr, bytes) in [(r0, PAGE0), (r1, PAGE1)] {
            let mut out = [0u8; 25];
            repr.emit(&mut Packet::new_unchecked(&mut out[..]));
            assert_eq!(out, bytes);
        }
    }

    #[test]
    fn page_zero_validation() {
        // (LastPageIndex, Length, expected)
        let cases = [
            (1, 40, Ok(())),
            (
                1,
                41,
                Err(Error::Malformed {
                    field: "auth length",
                }),
            ),
            (0, 17, Ok(())),
            (
                0,
                18,
                Err(Error::Malformed {
                    field: "auth length",
                }),
            ),
            (15, 255, Ok(())),
            (
                16,
                0,
                Err(Error::Malformed {
                    field: "auth last page index",
                }),
            ),
        ];
        for (last, len, want) in cases {
            let mut bytes = PAGE0;
            bytes[2] = last;
            bytes[3] = len;
            assert_eq!(parse(&bytes).map(|_| ()), want, "last {last} length {len}");
        }
        // Pages other than 0 have no header to validate.
        let mut bytes = PAGE1;
        bytes[1] = 0x6f; // auth type 6 (reserved), page 15
        let r = parse(&bytes).unwrap();
        assert_eq!(r.auth_type, AuthType::Unknown(6));
        assert_eq!(r.page_number(), 15);
    }

    #[test]
    fn reassembly() {
        let r0 = parse(&PAGE0).unwrap();
        let r1 = parse(&PAGE1).unwrap();
        let want: &[u8] = b"1234567890123456712345678901234567890123";
        // In order.
        let mut re = Reassembly::new();
        assert_eq!(re.push(&r0), None);
        assert_eq!(re.push(&r1), Some(want));
        // Out of order, with a duplicate.
        let mut re = Reassembly::new();
        assert_eq!(re.push(&r1), None);
        assert_eq!(re.push(&r1), None);
        assert_eq!(re.push(&r0), Some(want));
        // A new page 0 (other timestamp) restarts: page 1 of the old payload must be received again.
        let mut bytes = PAGE0;
        bytes[4] = 0x01;
        let r0b = parse(&bytes).unwrap();
        assert_eq!(re.push(&r0b), None);
        assert_eq!(re.complete(), None);
        assert_eq!(re.push(&r1).map(<[u8]>::len), Some(40));
        // A page of another auth type is ignored.
        let mut other = r1;
        other.auth_type = AuthType::OperatorIdSignature;
        let mut re = Reassembly::new();
        assert_eq!(re.push(&r0), None);
        assert_eq!(re.push(&other), None);
        // Single page payload.
        let mut single = r0;
        single.page = Page::First {
            last_page_index: 0,
            length: 5,
            timestamp: None,
            data: [7; 17],
        };
        assert_eq!(Reassembly::new().push(&single), Some(&[7u8; 5][..]));
    }
}
