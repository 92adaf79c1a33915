//! HCI events from a host stack (link type 201 `BLUETOOTH_HCI_H4_WITH_PHDR`, btsnoop files): the LE Meta
//! event 0x3E with its LE Advertising Report (0x02) and LE Extended Advertising Report (0x0D) subevents.
//!
//! Written by hand: these are a handful of fixed fields (Bluetooth Core spec Vol 4 Part E §7.7.65.2 and
//! §7.7.65.13); no maintained crate parses HCI event captures.

use crate::DropReason;

/// H4 packet type of an HCI event.
pub const H4_EVENT: u8 = 0x04;
/// HCI event code of the LE Meta event.
pub const EVENT_LE_META: u8 = 0x3E;
/// LE Meta subevent: LE Advertising Report (legacy advertising).
pub const SUBEVENT_ADV_REPORT: u8 = 0x02;
/// LE Meta subevent: LE Extended Advertising Report.
pub const SUBEVENT_EXT_ADV_REPORT: u8 = 0x0D;

/// Strips the 4-byte direction pseudo-header of link type 201 and returns the H4 packet.
///
/// # Errors
///
/// [`DropReason::Truncated`] when fewer than 4 bytes are present.
pub fn strip_phdr(b: &[u8]) -> Result<&[u8], DropReason> {
    b.get(4..).ok_or(DropReason::Truncated)
}

/// The parameters of an LE Meta event carried in an H4 packet (`04 3E len subevent ...`), starting at the
/// subevent code; `Ok(None)` for any other H4 packet.
///
/// # Errors
///
/// [`DropReason::Truncated`] when the event is shorter than its parameter length says.
pub fn h4_le_meta(h4: &[u8]) -> Result<Option<&[u8]>, DropReason> {
    match h4.split_first() {
        Some((&H4_EVENT, event)) => event_le_meta(event),
        Some(_) => Ok(None),
        None => Err(DropReason::Truncated),
    }
}

/// Like [`h4_le_meta`] for an event packet without the H4 type byte (`3E len subevent ...`).
///
/// # Errors
///
/// [`DropReason::Truncated`] when the event is shorter than its parameter length says.
pub fn event_le_meta(event: &[u8]) -> Result<Option<&[u8]>, DropReason> {
    let (&code, rest) = event.split_first().ok_or(DropReason::Truncated)?;
    if code != EVENT_LE_META {
        return Ok(None);
    }
    let (&len, rest) = rest.split_first().ok_or(DropReason::Truncated)?;
    let params = rest.get(..usize::from(len)).ok_or(DropReason::Truncated)?;
    match params.first() {
        Some(&SUBEVENT_ADV_REPORT) | Some(&SUBEVENT_EXT_ADV_REPORT) => Ok(Some(params)),
        _ => Ok(None),
    }
}

/// One advertising report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdvReport<'a> {
    /// From the extended report (subevent 0x0D).
    pub extended: bool,
    /// Event type: 1 byte in legacy reports, 2 bytes in extended ones (bit 4 = legacy PDU).
    pub event_type: u16,
    pub addr_type: u8,
    /// The advertiser address in display order (most significant byte first).
    pub addr: [u8; 6],
    /// Primary / secondary PHY of extended reports (1 = 1M, 2 = 2M, 3 = Coded; 0 = no secondary).
    pub primary_phy: Option<u8>,
    pub secondary_phy: Option<u8>,
    /// RSSI, `None` when the controller reported 127 (not available).
    pub rssi_dbm: Option<i16>,
    /// The AdvData (AD structures).
    pub data: &'a [u8],
}

impl AdvReport<'_> {
    /// True when the report is of a legacy advertising PDU (Bluetooth 4 style).
    pub fn is_legacy(&self) -> bool {
        !self.extended || self.event_type & 0x0010 != 0
    }
}

/// Iterator over the reports of an LE (Extended) Advertising Report; see [`reports`].
#[derive(Debug, Clone)]
pub struct Reports<'a> {
    extended: bool,
    left: u8,
    rest: &'a [u8],
}

/// The reports of LE Meta parameters returned by [`h4_le_meta`] / [`event_le_meta`].
///
/// Reports are read one after the other, each with all its fields, as Linux and BlueZ do (controllers
/// send one report per event in practice).
pub fn reports(params: &[u8]) -> Reports<'_> {
    let extended = params.first() == Some(&SUBEVENT_EXT_ADV_REPORT);
    let left = params.get(1).copied().unwrap_or(0);
    Reports {
        extended,
        left,
        rest: params.get(2..).unwrap_or(&[]),
    }
}

fn addr_display(le: &[u8]) -> [u8; 6] {
    let mut a = [0u8; 6];
    for (dst, src) in a.iter_mut().zip(le.iter().rev()) {
        *dst = *src;
    }
    a
}

fn rssi(raw: u8) -> Option<i16> {
    (raw != 127).then_some(i16::from(raw as i8))
}

impl<'a> Iterator for Reports<'a> {
    type Item = Result<AdvReport<'a>, DropReason>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let r = if self.extended {
            self.next_extended()
        } else {
            self.next_legacy()
        };
        if r.is_err() {
            self.left = 0;
        }
        Some(r)
    }
}

impl<'a> Reports<'a> {
    fn next_legacy(&mut self) -> Result<AdvReport<'a>, DropReason> {
        // event_type(1) addr_type(1) addr(6) data_len(1) data rssi(1)
        let b = self.rest;
        let h = b.get(..9).ok_or(DropReason::Truncated)?;
        let len = usize::from(h[8]);
        let data = b.get(9..9 + len).ok_or(DropReason::Truncated)?;
        let rssi_raw = *b.get(9 + len).ok_or(DropReason::Truncated)?;
        self.rest = &b[10 + len..];
        Ok(AdvReport {
            extended: false,
            event_type: u16::from(h[0]),
            addr_type: h[1],
            addr: addr_display(&h[2..8]),
            primary_phy: None,
            secondary_phy: None,
            rssi_dbm: rssi(rssi_raw),
            data,
        })
    }

    fn next_extended(&mut self) -> Result<AdvReport<'a>, DropReason> {
        // event_type(2) addr_type(1) addr(6) primary_phy(1) secondary_phy(1) sid(1) tx_power(1) rssi(1)
        // periodic_interval(2) direct_addr_type(1) direct_addr(6) data_len(1) data
        let b = self.rest;
        let h = b.get(..24).ok_or(DropReason::Truncated)?;
        let len = usize::from(h[23]);
        let data = b.get(24..24 + len).ok_or(DropReason::Truncated)?;
        self.rest = &b[24 + len..];
        Ok(AdvReport {
            extended: true,
            event_type: u16::from_le_bytes([h[0], h[1]]),
            addr_type: h[2],
            addr: addr_display(&h[3..9]),
            primary_phy: Some(h[9]),
            secondary_phy: Some(h[10]),
            rssi_dbm: rssi(h[13]),
            data,
        })
    }
}
