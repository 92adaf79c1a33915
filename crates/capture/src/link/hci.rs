//! HCI framing of host-stack captures (link type 201 `BLUETOOTH_HCI_H4_WITH_PHDR`, btsnoop files): finds
//! the LE Meta event 0x3E with an LE Advertising Report (0x02) or LE Extended Advertising Report (0x0D)
//! subevent and returns its parameters; `wire::ble::hci::Reports` reads the reports themselves.
//!
//! Written by hand: a direction word, a packet-type byte and an event header (Bluetooth Core spec Vol 4
//! Part E §5.4.4 and Part A for H4); no maintained crate parses HCI event captures.

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

/// The parameters of an LE Meta advertising-report event carried in an H4 packet (`04 3E len subevent ...`),
/// starting at the subevent code; `Ok(None)` for any other H4 packet or event.
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
