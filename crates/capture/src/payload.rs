//! Link-layer payloads → detections, through the `wire` decoders: `wire::ieee80211::scan` for 802.11,
//! `wire::ble::Advertisement` + `wire::ble::odid_service_data` for BLE PDUs, `wire::ble::hci::Reports`
//! for HCI advertising reports; then `wire::odid::Payload`, `wire::dji::Record` and `wire::fr`.

use wire::ble::hci::Reports;
use wire::ble::{self as wble, Advertisement, PduType};
use wire::ieee80211::{self, Found};
use wire::odid;

use crate::link::{Frame, Payload, Radio};
use crate::model::{Detection, DjiRecord, DropReason, FrenchBeacon, Message, Transport};

/// Per-record context copied into every detection.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Meta {
    pub time: i64,
    pub frame: u64,
}

/// Appends the detections found in `frame` to `out`.
///
/// # Errors
///
/// The reason to drop the frame: a cut 802.11 header, a malformed IE list with nothing recoverable, a
/// broadcast payload that does not decode at all.
pub(crate) fn detect(
    frame: &Frame<'_>,
    meta: Meta,
    out: &mut Vec<Detection>,
) -> Result<(), DropReason> {
    match frame.payload {
        Payload::Ieee80211(body) => wifi(body, &frame.radio, meta, out),
        Payload::BleAdv { pdu, coded } => ble_pdu(pdu, coded, &frame.radio, meta, out),
        Payload::HciAdvReports(params) => hci(params, &frame.radio, meta, out),
        Payload::None => Ok(()),
    }
}

fn new_detection(
    transport: Transport,
    mac: Option<[u8; 6]>,
    radio: &Radio,
    meta: Meta,
) -> Detection {
    Detection {
        time: meta.time,
        frame: meta.frame,
        transport,
        mac,
        rssi_dbm: radio.rssi_dbm,
        freq_mhz: radio.freq_mhz,
        channel: radio.channel,
        ssid: None,
        counter: None,
        messages: Vec::new(),
        partial: false,
    }
}

/// The detection of `transport` in this frame's part of `out`, created on first use: one detection per
/// transport and frame, even when a frame carries two payloads of the same kind.
fn slot<'o>(
    out: &'o mut Vec<Detection>,
    first: usize,
    transport: Transport,
    mac: Option<[u8; 6]>,
    radio: &Radio,
    meta: Meta,
) -> &'o mut Detection {
    let pos = out
        .iter()
        .skip(first)
        .position(|d| d.transport == transport)
        .map(|p| p + first);
    let idx = match pos {
        Some(i) => i,
        None => {
            out.push(new_detection(transport, mac, radio, meta));
            out.len() - 1
        }
    };
    &mut out[idx]
}

/// Decodes an ODID payload (pack or single message) into `d`.
fn add_odid(d: &mut Detection, counter: u8, payload: &[u8]) -> bool {
    match odid::Payload::parse(payload) {
        Ok(odid::Payload::Single(m)) => {
            d.messages.push(Message::Odid(m));
        }
        Ok(odid::Payload::Pack(p)) => {
            d.partial |= p.truncated;
            if d.messages.is_empty() {
                d.messages = p.messages.into_iter().map(Message::Odid).collect();
            } else {
                d.messages.extend(p.messages.into_iter().map(Message::Odid));
            }
        }
        Err(_) => return false,
    }
    d.counter.get_or_insert(counter);
    true
}

fn wifi(
    body: &[u8],
    radio: &Radio,
    meta: Meta,
    out: &mut Vec<Detection>,
) -> Result<(), DropReason> {
    let scan = match ieee80211::scan(body) {
        Ok(s) => s,
        Err(wire::Error::NotApplicable) => return Ok(()),
        Err(wire::Error::Truncated { .. }) => return Err(DropReason::Truncated),
        Err(wire::Error::Malformed { .. }) => return Err(DropReason::MalformedIe),
    };
    let first = out.len();
    let mac = Some(scan.transmitter.0);
    let mut undecodable = false;
    for found in scan.found() {
        let ok = match found {
            Found::OdidBeacon { counter, payload } => {
                let d = slot(out, first, Transport::WifiBeacon, mac, radio, meta);
                add_odid(d, counter, payload)
            }
            Found::OdidNan { counter, payload } => {
                let d = slot(out, first, Transport::WifiNan, mac, radio, meta);
                add_odid(d, counter, payload)
            }
            Found::Dji(record) => {
                if wire::dji::Record::parse(record).is_ok() {
                    let d = slot(out, first, Transport::DjiWifi, mac, radio, meta);
                    d.messages.push(Message::Dji(DjiRecord::new(record)));
                    true
                } else {
                    false
                }
            }
            Found::French(tlvs) => {
                if wire::fr::BeaconRepr::parse(tlvs).is_ok() {
                    let d = slot(out, first, Transport::FrBeacon, mac, radio, meta);
                    d.messages.push(Message::French(FrenchBeacon::new(tlvs)));
                    true
                } else {
                    false
                }
            }
        };
        undecodable |= !ok;
    }
    // A payload that did not decode can leave an empty detection behind; remove those.
    let mut i = first;
    while i < out.len() {
        if out[i].messages.is_empty() && out[i].counter.is_none() {
            out.remove(i);
        } else {
            i += 1;
        }
    }
    if out.len() > first {
        if let Some(ssid) = scan.ssid.and_then(|s| std::str::from_utf8(s).ok()) {
            for d in &mut out[first..] {
                d.ssid = Some(ssid.to_owned());
            }
        }
        return Ok(());
    }
    if undecodable {
        return Err(DropReason::Malformed);
    }
    if scan.error.is_some() {
        return Err(DropReason::MalformedIe);
    }
    Ok(())
}

fn ble_pdu(
    pdu: &[u8],
    coded: bool,
    radio: &Radio,
    meta: Meta,
    out: &mut Vec<Detection>,
) -> Result<(), DropReason> {
    let adv = match Advertisement::parse(pdu) {
        Ok(a) => a,
        Err(wire::Error::NotApplicable) => return Ok(()),
        Err(wire::Error::Truncated { .. }) => return Err(DropReason::Truncated),
        Err(wire::Error::Malformed { .. }) => return Err(DropReason::Malformed),
    };
    let Some((counter, payload)) = wble::odid_service_data(adv.adv_data) else {
        return Ok(());
    };
    // Bluetooth 5 extended advertising (PDU type 7) is "long range" whatever the PHY, see Transport.
    let transport = if adv.pdu_type == PduType::AdvExt || coded {
        Transport::BleLongRange
    } else {
        Transport::BleLegacy
    };
    let mut d = new_detection(transport, adv.adv_a.map(|a| a.0), radio, meta);
    if !add_odid(&mut d, counter, payload) {
        return Err(DropReason::Malformed);
    }
    out.push(d);
    Ok(())
}

fn hci(
    params: &[u8],
    radio: &Radio,
    meta: Meta,
    out: &mut Vec<Detection>,
) -> Result<(), DropReason> {
    let extended = params.first() == Some(&wble::hci::SUBEVENT_EXTENDED_ADVERTISING_REPORT);
    let reports = Reports::from_le_meta(params).map_err(|_| DropReason::Malformed)?;
    let first = out.len();
    for r in reports {
        let Ok(r) = r else {
            break;
        };
        let Some((counter, payload)) = wble::odid_service_data(r.data) else {
            continue;
        };
        // Extended reports set bit 4 of the event type for legacy PDUs.
        let transport = if extended && r.event_type & 0x0010 == 0 {
            Transport::BleLongRange
        } else {
            Transport::BleLegacy
        };
        let mut d = new_detection(transport, Some(r.address.0), radio, meta);
        d.rssi_dbm = r.rssi.map(i16::from);
        if add_odid(&mut d, counter, payload) {
            out.push(d);
        }
    }
    if out.len() == first && Reports::from_le_meta(params).is_ok_and(|mut r| r.any(|x| x.is_err()))
    {
        return Err(DropReason::Truncated);
    }
    Ok(())
}
