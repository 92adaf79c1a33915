//! Link layers: what precedes the radio frame in a capture record, and where the frame starts.
//!
//! [`decode_frame`] is the single entry point (also the fuzz target): a link type and a record's bytes in,
//! a [`Frame`] out — the radio metadata ([`Radio`]) and the [`Payload`] to hand to `wire` — or the
//! [`DropReason`] the record must be dropped for. The per-framing parsers live in [`radiotap`], [`ble`]
//! (Nordic, LL pseudo-header, bare LL) and [`hci`].

pub mod ble;
pub mod hci;
pub mod radiotap;

use crate::DropReason;

/// The link types skytrace reads (pcap `LINKTYPE_*` values; btsnoop data links are mapped onto them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LinkType {
    /// 105 `IEEE802_11`: a bare 802.11 frame.
    Ieee80211,
    /// 127 `IEEE802_11_RADIOTAP`.
    Radiotap,
    /// 201 `BLUETOOTH_HCI_H4_WITH_PHDR`: 4-byte direction, then an H4 packet.
    HciH4WithPhdr,
    /// 251 `BLUETOOTH_LE_LL`: access address + PDU + CRC.
    BleLl,
    /// 256 `BLUETOOTH_LE_LL_WITH_PHDR`.
    BleLlWithPhdr,
    /// 272 `NORDIC_BLE`.
    NordicBle,
    /// btsnoop data link 1002: an H4 packet (type byte first).
    HciH4,
    /// btsnoop data link 1001 record flagged as an event: an HCI event without type byte.
    HciEvent,
    /// btsnoop data link 1001 record that is not an event (command, ACL, SCO).
    HciOther,
    /// Anything else, with the raw pcap value.
    Unknown(u32),
}

impl LinkType {
    /// The link type of a pcap/pcapng `LINKTYPE_*` value.
    pub fn from_dlt(dlt: u32) -> LinkType {
        match dlt {
            105 => LinkType::Ieee80211,
            127 => LinkType::Radiotap,
            201 => LinkType::HciH4WithPhdr,
            251 => LinkType::BleLl,
            256 => LinkType::BleLlWithPhdr,
            272 => LinkType::NordicBle,
            other => LinkType::Unknown(other),
        }
    }
}

/// Radio metadata from the link header, when the header carries it.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Radio {
    pub rssi_dbm: Option<i16>,
    pub freq_mhz: Option<u32>,
    /// 802.11 channel number or BLE channel index (0..=39).
    pub channel: Option<u16>,
}

/// The frame behind the link header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Payload<'a> {
    /// An 802.11 frame without FCS.
    Ieee80211(&'a [u8]),
    /// A BLE advertising-channel PDU: 2-byte header + payload, no CRC.
    BleAdv {
        pdu: &'a [u8],
        /// Received on the LE Coded PHY (long range).
        coded: bool,
    },
    /// LE Meta event parameters (subevent 0x02 or 0x0D first), for `wire::ble::hci::Reports::from_le_meta`.
    HciAdvReports(&'a [u8]),
    /// A record that cannot carry a broadcast (BLE data channel, other HCI traffic).
    None,
}

/// A decoded link-layer record.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Frame<'a> {
    pub radio: Radio,
    pub payload: Payload<'a>,
}

impl<'a> Frame<'a> {
    fn new(payload: Payload<'a>) -> Self {
        Frame {
            radio: Radio::default(),
            payload,
        }
    }
}

fn ble_frame(ll: &[u8], coded: bool, radio: Radio) -> Result<Frame<'_>, DropReason> {
    let pkt = ble::parse_ll(ll, coded)?;
    let payload = if pkt.is_advertising() {
        Payload::BleAdv {
            pdu: pkt.pdu,
            coded,
        }
    } else {
        Payload::None
    };
    Ok(Frame { radio, payload })
}

/// Decodes the link header of one capture record.
///
/// # Errors
///
/// The reason the record must be dropped: [`DropReason::BadFcs`] (radiotap Flags 0x40),
/// [`DropReason::BadCrc`] (Nordic CRC-OK flag clear, pseudo-header CRC checked and invalid),
/// [`DropReason::Truncated`] / [`DropReason::Malformed`] for headers that do not fit, and
/// [`DropReason::UnsupportedLinktype`].
pub fn decode_frame(link: LinkType, data: &[u8]) -> Result<Frame<'_>, DropReason> {
    match link {
        LinkType::Ieee80211 => Ok(Frame::new(Payload::Ieee80211(data))),
        LinkType::Radiotap => {
            let (rt, body) = radiotap::payload(data)?;
            let freq = rt.freq_mhz.map(u32::from);
            Ok(Frame {
                radio: Radio {
                    rssi_dbm: rt.antsignal_dbm.map(i16::from),
                    freq_mhz: freq,
                    channel: freq.and_then(radiotap::channel_of_freq),
                },
                payload: Payload::Ieee80211(body),
            })
        }
        LinkType::NordicBle => {
            let n = ble::parse_nordic(data)?;
            if !n.crc_ok() {
                return Err(DropReason::BadCrc);
            }
            let radio = Radio {
                rssi_dbm: Some(n.rssi_dbm),
                freq_mhz: ble::channel_freq_mhz(n.channel),
                channel: Some(u16::from(n.channel)),
            };
            ble_frame(n.ll, n.phy() == ble::Phy::Coded, radio)
        }
        LinkType::BleLlWithPhdr => {
            let p = ble::parse_phdr(data)?;
            if p.bad_crc() {
                return Err(DropReason::BadCrc);
            }
            let channel = ble::rf_to_ble_channel(p.rf_channel);
            let radio = Radio {
                rssi_dbm: p.rssi_dbm(),
                freq_mhz: (p.rf_channel < 40).then(|| 2402 + 2 * u32::from(p.rf_channel)),
                channel: channel.map(u16::from),
            };
            ble_frame(p.ll, p.phy() == ble::Phy::Coded, radio)
        }
        LinkType::BleLl => ble_frame(data, false, Radio::default()),
        LinkType::HciH4WithPhdr => hci_payload(hci::h4_le_meta(hci::strip_phdr(data)?)?),
        LinkType::HciH4 => hci_payload(hci::h4_le_meta(data)?),
        LinkType::HciEvent => hci_payload(hci::event_le_meta(data)?),
        LinkType::HciOther => Ok(Frame::new(Payload::None)),
        LinkType::Unknown(_) => Err(DropReason::UnsupportedLinktype),
    }
}

fn hci_payload(params: Option<&[u8]>) -> Result<Frame<'_>, DropReason> {
    Ok(Frame::new(match params {
        Some(p) => Payload::HciAdvReports(p),
        None => Payload::None,
    }))
}
