//! BLE sniffer framings: Nordic nRF Sniffer (link type 272), LE LL with pseudo-header (256) and bare LE LL
//! (251), all ending in an on-air link-layer packet `access address(4) [CI(1) if coded] header(2) payload CRC(3)`.
//!
//! Written by hand: no maintained crate reads these sniffer headers; each is a fixed layout of a few bytes
//! (Wireshark's `packet-nordic_ble.c` and `packet-btle.c` describe them).

use crate::DropReason;

/// The access address of every advertising-channel packet (primary and secondary advertising).
pub const ADV_ACCESS_ADDRESS: u32 = 0x8E89_BED6;

/// The radio PHY of a BLE packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phy {
    Le1M,
    Le2M,
    /// LE Coded (long range): the packet carries a coding-indicator byte after the access address.
    Coded,
    Unknown(u8),
}

impl Phy {
    fn from_bits(raw: u8) -> Phy {
        match raw {
            0 => Phy::Le1M,
            1 => Phy::Le2M,
            2 => Phy::Coded,
            other => Phy::Unknown(other),
        }
    }
}

/// One link-layer packet as seen on air.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LlPacket<'a> {
    pub access_address: u32,
    /// The coding indicator (0 = S=8, 1 = S=2) on the coded PHY.
    pub coding_indicator: Option<u8>,
    /// PDU header (2 bytes) + payload, without the CRC.
    pub pdu: &'a [u8],
}

impl LlPacket<'_> {
    /// True for packets on the advertising channels' access address.
    pub fn is_advertising(&self) -> bool {
        self.access_address == ADV_ACCESS_ADDRESS
    }
}

/// Parses `AA [CI] header payload CRC`. The CRC bytes are not required (some sniffers strip them).
///
/// # Errors
///
/// [`DropReason::Truncated`] when the buffer ends before the access address, header or payload.
pub fn parse_ll(b: &[u8], coded: bool) -> Result<LlPacket<'_>, DropReason> {
    let aa = b.get(..4).ok_or(DropReason::Truncated)?;
    let access_address = u32::from_le_bytes([aa[0], aa[1], aa[2], aa[3]]);
    let (coding_indicator, rest) = if coded {
        let ci = *b.get(4).ok_or(DropReason::Truncated)?;
        (Some(ci), &b[5..])
    } else {
        (None, &b[4..])
    };
    let len = usize::from(*rest.get(1).ok_or(DropReason::Truncated)?);
    let pdu = rest.get(..2 + len).ok_or(DropReason::Truncated)?;
    Ok(LlPacket {
        access_address,
        coding_indicator,
        pdu,
    })
}

/// BLE channel index (0..=39) → centre frequency in MHz.
pub fn channel_freq_mhz(channel: u8) -> Option<u32> {
    let c = u32::from(channel);
    match channel {
        37 => Some(2402),
        38 => Some(2426),
        39 => Some(2480),
        0..=10 => Some(2404 + 2 * c),
        11..=36 => Some(2428 + 2 * (c - 11)),
        _ => None,
    }
}

/// RF channel (0..=39, 2 MHz steps from 2402 MHz, as in the LL pseudo-header) → BLE channel index.
pub fn rf_to_ble_channel(rf: u8) -> Option<u8> {
    match rf {
        0 => Some(37),
        12 => Some(38),
        39 => Some(39),
        1..=11 => Some(rf - 1),
        13..=38 => Some(rf - 2),
        _ => None,
    }
}

/// The Nordic nRF Sniffer header (link type 272, protocol versions 2 and 3).
///
/// Layout: board(1) payload_len(2 LE) protocol_version(1) packet_counter(2 LE) packet_id(1), then the packet
/// header: header_len(1) flags(1) channel(1) rssi(1, = −dBm) event_counter(2 LE) timestamp µs(4 LE), then
/// the link-layer packet. `header_len` (10 in v2/v3) says where the LL packet starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Nordic<'a> {
    pub board: u8,
    pub protocol_version: u8,
    pub packet_counter: u16,
    pub packet_id: u8,
    pub flags: u8,
    pub channel: u8,
    pub rssi_dbm: i16,
    pub event_counter: u16,
    pub timestamp_us: u32,
    /// The link-layer packet from the access address on.
    pub ll: &'a [u8],
}

impl Nordic<'_> {
    /// Flags bit 0: the sniffer verified the CRC.
    pub fn crc_ok(&self) -> bool {
        self.flags & 0x01 != 0
    }

    /// Flags bits 4..6: the PHY.
    pub fn phy(&self) -> Phy {
        Phy::from_bits((self.flags >> 4) & 0x07)
    }
}

/// Parses the nRF Sniffer header.
///
/// # Errors
///
/// [`DropReason::Truncated`] when the buffer ends inside the header; [`DropReason::Malformed`] for
/// protocol versions other than 2 and 3 (version 1 has a different layout) or a packet header length
/// below 10.
pub fn parse_nordic(b: &[u8]) -> Result<Nordic<'_>, DropReason> {
    let h = b.get(..17).ok_or(DropReason::Truncated)?;
    let protocol_version = h[3];
    if !(2..=3).contains(&protocol_version) {
        return Err(DropReason::Malformed);
    }
    let hdr_len = usize::from(h[7]);
    if hdr_len < 10 {
        return Err(DropReason::Malformed);
    }
    let ll = b.get(7 + hdr_len..).ok_or(DropReason::Truncated)?;
    Ok(Nordic {
        board: h[0],
        protocol_version,
        packet_counter: u16::from_le_bytes([h[4], h[5]]),
        packet_id: h[6],
        flags: h[8],
        channel: h[9],
        rssi_dbm: -i16::from(h[10]),
        event_counter: u16::from_le_bytes([h[11], h[12]]),
        timestamp_us: u32::from_le_bytes([h[13], h[14], h[15], h[16]]),
        ll,
    })
}

/// The LE LL pseudo-header (link type 256, Sniffle/Ubertooth/ICE9).
///
/// Layout: rf_channel(1) signal_dbm(1, i8) noise_dbm(1, i8) aa_offenses(1) reference_aa(4 LE) flags(2 LE),
/// then the link-layer packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Phdr<'a> {
    pub rf_channel: u8,
    pub signal_dbm: i8,
    pub noise_dbm: i8,
    pub aa_offenses: u8,
    pub reference_aa: u32,
    pub flags: u16,
    /// The link-layer packet from the access address on.
    pub ll: &'a [u8],
}

/// Pseudo-header flag: the signal power field is valid.
pub const PHDR_SIGNAL_VALID: u16 = 0x0002;
/// Pseudo-header flag: the CRC was checked.
pub const PHDR_CRC_CHECKED: u16 = 0x0400;
/// Pseudo-header flag: the CRC check passed.
pub const PHDR_CRC_VALID: u16 = 0x0800;

impl Phdr<'_> {
    /// Bits 14..15: the PHY.
    pub fn phy(&self) -> Phy {
        Phy::from_bits(((self.flags >> 14) & 0x03) as u8)
    }

    /// True when the sniffer checked the CRC and it failed.
    pub fn bad_crc(&self) -> bool {
        self.flags & PHDR_CRC_CHECKED != 0 && self.flags & PHDR_CRC_VALID == 0
    }

    /// The signal strength when the sniffer marked it valid.
    pub fn rssi_dbm(&self) -> Option<i16> {
        (self.flags & PHDR_SIGNAL_VALID != 0).then_some(i16::from(self.signal_dbm))
    }
}

/// Parses the 10-byte LE LL pseudo-header.
///
/// # Errors
///
/// [`DropReason::Truncated`] when fewer than 10 bytes are present.
pub fn parse_phdr(b: &[u8]) -> Result<Phdr<'_>, DropReason> {
    let h = b.get(..10).ok_or(DropReason::Truncated)?;
    Ok(Phdr {
        rf_channel: h[0],
        signal_dbm: h[1] as i8,
        noise_dbm: h[2] as i8,
        aa_offenses: h[3],
        reference_aa: u32::from_le_bytes([h[4], h[5], h[6], h[7]]),
        flags: u16::from_le_bytes([h[8], h[9]]),
        ll: &b[10..],
    })
}
