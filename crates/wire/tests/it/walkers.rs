//! The 802.11, NAN, French beacon and BLE walkers on real bytes: the reference-library frames
//! (`opendroneid-core-c_generated_frames.txt`, `opendroneid-core-c_unit_beacon_expected.txt`), the
//! BlueMark DroneBeacon fixtures (`sutt0n_fixture_vectors.txt`), the French beacon
//! (`french_beacon_vector.txt`) and the BT5 Long Range capture (`odid_bt5_lr_sample.pcapng`), plus
//! property tests.

use proptest::prelude::*;
use wire::ble::{self, hci, AdStructures, Advertisement, ExtAdvRepr, LegacyAdvRepr, PduType};
use wire::fr;
use wire::ieee80211::{
    self, nan, Address, BeaconFields, Found, FrameKind, Ies, OdidBeaconRepr, OdidNanRepr,
};
use wire::Error;

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| c.is_ascii_hexdigit()).collect();
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

fn read(name: &str) -> Option<String> {
    let p = testdata::file("remoteid", name)?;
    Some(std::fs::read_to_string(p).unwrap())
}

/// The hex block that follows the line starting with `title` (up to the next line with a colon or
/// an empty line).
fn block(text: &str, title: &str) -> Vec<u8> {
    let mut lines = text.lines().skip_while(|l| !l.starts_with(title));
    lines.next().unwrap_or_else(|| panic!("no block {title}"));
    let body: String = lines
        .take_while(|l| !l.trim().is_empty() && !l.contains(':') && !l.contains(' '))
        .collect();
    hex(&body)
}

/// Hex of the line that starts with `prefix` (after optional leading words on that line).
fn hex_after(text: &str, marker: &str) -> Vec<u8> {
    let line = text
        .lines()
        .find(|l| l.contains(marker))
        .unwrap_or_else(|| panic!("no line with {marker}"));
    let word = line.split_whitespace().last().unwrap();
    hex(word)
}

/// Removes the radiotap header (length at bytes 2..4, LE) and the 4-byte FCS.
fn strip_radiotap_fcs(b: &[u8]) -> &[u8] {
    let len = usize::from(u16::from_le_bytes([b[2], b[3]]));
    &b[len..b.len() - 4]
}

const SA: Address = Address([0x02, 0x11, 0x22, 0x33, 0x44, 0x55]);

#[test]
fn reference_library_frames() {
    let Some(txt) = read("vectors/opendroneid-core-c_generated_frames.txt") else {
        return;
    };
    let pack = block(&txt, "message_pack (128 bytes)");
    let nan_frame = block(&txt, "nan_action_frame_80211");
    let beacon = block(&txt, "beacon_frame_80211");
    let sync = block(&txt, "nan_sync_beacon_80211");
    assert_eq!(
        (pack.len(), nan_frame.len(), beacon.len(), sync.len()),
        (128, 179, 195, 72)
    );

    // Our builders reproduce the reference library byte for byte (send_counter 7, SA 02:11:22:33:44:55,
    // SSID "RID-1596A1234567890", interval 100 TU, TSF zeroed).
    let b = OdidBeaconRepr {
        source: SA,
        sequence_control: 0,
        fields: BeaconFields {
            timestamp: 0,
            interval: 100,
            capability: 0x0420,
        },
        ssid: b"RID-1596A1234567890",
        counter: 7,
        pack: &pack,
    };
    let mut out = vec![0u8; b.buffer_len()];
    assert_eq!(b.emit(&mut out), Ok(195));
    assert_eq!(out, beacon);
    let n = OdidNanRepr {
        source: SA,
        cluster: Address(nan::ODID_CLUSTER_ID),
        sequence_control: 0,
        instance_id: 1,
        counter: 7,
        pack: &pack,
    };
    let mut out = vec![0u8; n.buffer_len()];
    assert_eq!(n.emit(&mut out), Ok(179));
    assert_eq!(out, nan_frame);

    // And the scanner finds the pack in both.
    let s = ieee80211::scan(&beacon).unwrap();
    assert_eq!(
        (s.kind, s.transmitter, s.bssid),
        (FrameKind::Beacon, SA, SA)
    );
    assert_eq!(s.ssid, Some(&b"RID-1596A1234567890"[..]));
    assert_eq!(s.beacon.map(|f| f.interval), Some(100));
    assert_eq!(
        s.found().collect::<Vec<_>>(),
        [Found::OdidBeacon {
            counter: 7,
            payload: &pack
        }]
    );
    let s = ieee80211::scan(&nan_frame).unwrap();
    assert_eq!(s.kind, FrameKind::NanAction);
    assert_eq!(
        (s.destination, s.bssid),
        (Address(nan::NAN_NETWORK_ID), Address(nan::ODID_CLUSTER_ID))
    );
    assert_eq!(
        s.found().collect::<Vec<_>>(),
        [Found::OdidNan {
            counter: 7,
            payload: &pack
        }]
    );
    // The SDEA carries the counter as service update indicator.
    let attrs: Vec<_> = nan::sdf_attributes(&nan_frame[24..])
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(attrs.len(), 2);
    let sdea = nan::ServiceDescriptorExt::parse(attrs[1].body).unwrap();
    assert_eq!(
        (sdea.instance_id, sdea.service_update_indicator),
        (1, Some(7))
    );

    // The NAN synchronisation beacon: BSSID = cluster ID, NAN IE, no SSID, no drone data.
    let s = ieee80211::scan(&sync).unwrap();
    assert_eq!(
        (s.kind, s.nan_sync, s.ssid),
        (FrameKind::Beacon, true, None)
    );
    assert_eq!(s.beacon.map(|f| f.interval), Some(512));
    assert_eq!(s.found().count(), 0);
}

#[test]
fn unit_beacon_prefix() {
    let Some(txt) = read("vectors/opendroneid-core-c_unit_beacon_expected.txt") else {
        return;
    };
    // The 98 asserted bytes are the hex lines after the blank line that follows the prose.
    let expected: Vec<u8> = txt
        .lines()
        .filter(|l| {
            let w: Vec<_> = l.split_whitespace().collect();
            !w.is_empty() && w.iter().all(|x| x.len() == 2 && hex(x).len() == 1)
        })
        .flat_map(hex)
        .collect();
    assert_eq!(expected.len(), 98);
    // The pack starts at 68: header 24 + fixed 12 + SSID IE 22 + rates 3 + dd 53 fa0bbc 0d 55.
    let mut pack = expected[68..].to_vec();
    pack.resize(3 + 3 * 25, 0);
    let b = OdidBeaconRepr {
        source: Address([0x12, 0x34, 0x56, 0x21, 0x43, 0x65]),
        sequence_control: 0,
        fields: BeaconFields {
            timestamp: u64::MAX,
            interval: 100,
            capability: 0x0420,
        },
        ssid: b"testSSID_0123456789A",
        counter: 0x55,
        pack: &pack,
    };
    let mut out = vec![0u8; 200];
    assert_eq!(b.emit(&mut out), Ok(146));
    assert_eq!(&out[..98], &expected[..]);
}

#[test]
fn bluemark_fixtures() {
    let Some(txt) = read("vectors/sutt0n_fixture_vectors.txt") else {
        return;
    };
    // BT4 service-data payloads: 0d | counter | 25-byte message. Rebuild the AD and the PDU with our
    // encoders and walk them back.
    for (file, counter) in [
        ("bluetooth_basic_id_packet.txt", 0x4d),
        ("bluetooth_location_packet.txt", 0x21),
        ("bluetooth_system_packet.txt", 0x45),
    ] {
        let payload = hex_after(&txt, file);
        assert_eq!((payload.len(), payload[0], payload[1]), (27, 0x0d, counter));
        let mut ad = [0u8; 31];
        assert_eq!(ble::emit_odid_ad(counter, &payload[2..], &mut ad), Ok(31));
        assert_eq!(&ad[..4], &[0x1e, 0x16, 0xfa, 0xff]);
        assert_eq!(&ad[4..], &payload[..]);
        let pdu = LegacyAdvRepr {
            pdu_type: PduType::AdvNonconnInd,
            tx_add: true,
            adv_a: ble::Address([0xC1, 2, 3, 4, 5, 6]),
            adv_data: &ad,
        };
        let mut buf = [0u8; 39];
        assert_eq!(pdu.emit(&mut buf), Ok(39));
        assert_eq!(&buf[..2], &[0x42, 37]);
        let a = Advertisement::parse(&buf).unwrap();
        assert_eq!(a.pdu_type, PduType::AdvNonconnInd);
        assert_eq!(
            ble::odid_service_data(a.adv_data),
            Some((counter, &payload[2..]))
        );
    }
    assert!(txt.contains("counter 0x4d; Basic ID v2"));

    // NAN action frame with radiotap and FCS: 86:fc:2e:e9:57:e0 -> NAN network, cluster 50:6f:9a:01:00:ff,
    // counter 237, pack of 4 messages (service info 104 = 1 + 3 + 4*25).
    let raw = hex_after(&txt, "000012002e48000010028509");
    let frame = strip_radiotap_fcs(&raw);
    let s = ieee80211::scan(frame).unwrap();
    assert_eq!(s.kind, FrameKind::NanAction);
    assert_eq!(s.transmitter.to_string(), "86:fc:2e:e9:57:e0");
    assert_eq!(s.destination.to_string(), "51:6f:9a:01:00:00");
    assert_eq!(s.bssid.to_string(), "50:6f:9a:01:00:ff");
    assert_eq!(s.error, None);
    let v: Vec<_> = s.found().collect();
    let [Found::OdidNan { counter, payload }] = v[..] else {
        panic!("{v:?}")
    };
    assert_eq!((counter, payload.len()), (237, 103));
    assert_eq!(&payload[..3], &[0xf2, 0x19, 0x04]);
    assert!(txt.contains("counter 237 (0xed); pack v2 of 4"));
    assert_eq!(
        wire::odid::Payload::parse(payload)
            .unwrap()
            .messages()
            .len(),
        4
    );

    // The inconsistent beacon: the HT Operation IE claims 22 bytes but has 20, so the strict walk
    // fails; the ODID IE is recovered by its signature.
    let raw = hex_after(&txt, "000012002e48000010028009");
    let frame = strip_radiotap_fcs(&raw);
    let s = ieee80211::scan(frame).unwrap();
    assert_eq!(s.kind, FrameKind::Beacon);
    assert_eq!(s.ssid, Some(&b"DroneBeacon_1039"[..]));
    assert_eq!(
        s.error,
        Some(Error::Malformed {
            field: "ieee80211.ie_list"
        })
    );
    assert!(s.resynced);
    let v: Vec<_> = s.found().collect();
    let [Found::OdidBeacon {
        counter: 0x39,
        payload,
    }] = v[..]
    else {
        panic!("{v:?}")
    };
    assert_eq!(
        (payload.len(), &payload[..3]),
        (0x6c - 5, &[0xf2, 0x19, 0x04][..])
    );
    // The strict IE walker reports the fault itself, once.
    let ies = &frame[24 + 12..];
    let errs = Ies::new(ies).filter(|r| r.is_err()).count();
    assert_eq!(errs, 1);
}

#[test]
fn french_beacon() {
    let Some(txt) = read("vectors/french_beacon_vector.txt") else {
        return;
    };
    let frame = hex(txt.lines().find(|l| l.starts_with("80000000")).unwrap());
    let s = ieee80211::scan(&frame).unwrap();
    assert_eq!(s.transmitter.to_string(), "60:60:1f:09:73:68");
    assert_eq!(s.ssid, Some(&b"DJI-1581E0M6DF7700119BY"[..]));
    let Some(Found::French(tlvs)) = s.found().next() else {
        panic!("no French IE")
    };
    let r = fr::BeaconRepr::parse(tlvs).unwrap();
    for (k, v) in [
        ("version", "1"),
        ("id_ansi", "\"1581E0M6DF7700119BY\""),
        ("lat", "43.94965"),
        ("lon", "4.81871"),
        ("alt_msl", "37"),
        ("height_agl", "17"),
        ("to_lat", "43.94974"),
        ("to_lon", "4.81879"),
        ("speed", "1"),
        ("route", "331"),
    ] {
        assert!(txt.contains(&format!("\"{k}\": {v}")), "{k}");
    }
    assert_eq!(r.version, Some(1));
    assert_eq!(r.ansi_serial_str(), Some("1581E0M6DF7700119BY"));
    let (lat, lon) = r.position().unwrap();
    assert!((lat - 43.94965).abs() < 1e-9 && (lon - 4.81871).abs() < 1e-9);
    let (lat, lon) = r.takeoff().unwrap();
    assert!((lat - 43.94974).abs() < 1e-9 && (lon - 4.81879).abs() < 1e-9);
    assert_eq!((r.altitude_msl, r.height), (Some(37), Some(17)));
    assert_eq!((r.ground_speed, r.course), (Some(1), Some(331)));
    let mut out = vec![0u8; r.buffer_len()];
    assert_eq!(r.emit(&mut out), Ok(tlvs.len()));
    assert_eq!(out, tlvs);
}

/// Enhanced Packet Block payloads of a little-endian pcapng file (enough for the BT5 sample).
fn pcapng_packets(b: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos + 12 <= b.len() {
        let kind = u32::from_le_bytes(b[pos..pos + 4].try_into().unwrap());
        let len = u32::from_le_bytes(b[pos + 4..pos + 8].try_into().unwrap()) as usize;
        if kind == 6 {
            let cap = u32::from_le_bytes(b[pos + 20..pos + 24].try_into().unwrap()) as usize;
            out.push(&b[pos + 28..pos + 28 + cap]);
        }
        pos += len;
    }
    out
}

#[test]
fn bt5_long_range_capture() {
    let Some(p) = testdata::file("remoteid", "odid_bt5_lr_sample.pcapng") else {
        return;
    };
    let bytes = std::fs::read(p).unwrap();
    let packets = pcapng_packets(&bytes);
    assert_eq!(packets.len(), 274);
    let mut counters = Vec::new();
    let mut per_pack = std::collections::BTreeMap::new();
    for pkt in &packets {
        // nRF Sniffer v3 header: 7 bytes, then a 10-byte packet header whose flags bit 0 is CRC OK and
        // bits 6..4 the PHY (2 = coded: one coding-indicator byte after the 4-byte access address).
        let flags = pkt[8];
        if flags & 1 == 0 {
            continue;
        }
        let coded = (flags >> 4) & 7 == 2;
        let start = 17 + 4 + usize::from(coded);
        let pdu = &pkt[start..pkt.len() - 3];
        let a = Advertisement::parse(pdu).unwrap();
        assert_eq!(a.pdu_type, PduType::AdvExt);
        assert_eq!(a.adv_a.unwrap().to_string(), "e0:7d:ea:eb:2f:1c");
        let ext = a.ext.unwrap();
        assert_eq!(ext.adv_mode, ble::AdvMode::NonConnectableNonScannable);
        assert!(ext.adi.is_some() && ext.aux_ptr.is_none());
        let ad = AdStructures::new(a.adv_data).next().unwrap().unwrap();
        assert_eq!((ad.ad_type, ad.data.len()), (0x16, 0xE9 - 1));
        let (counter, pack) = ble::odid_service_data(a.adv_data).unwrap();
        assert_eq!(pack.len(), 0xE9 - 5);
        counters.push(counter);
        // End to end with the odid decoder: count messages per pack.
        let n = wire::odid::Payload::parse(pack).map_or(usize::MAX, |p| p.messages().len());
        *per_pack.entry(n).or_insert(0) += 1;
        // Construct: the same header and AdvData re-emit the PDU exactly.
        let r = ExtAdvRepr {
            tx_add: pdu[0] & 0x40 != 0,
            header: ext,
            adv_data: a.adv_data,
        };
        let mut out = vec![0u8; r.buffer_len()];
        assert_eq!(r.emit(&mut out), Ok(pdu.len()));
        assert_eq!(out, pdu);
    }
    // The capture's .txt: 244 valid frames, counters 12 first, 33 last.
    assert_eq!(counters.len(), 244);
    assert_eq!((counters[0], *counters.last().unwrap()), (12, 33));
    // The .txt states messages per pack {"0": 19, "1": 3, "2": 6, "3": 9, "4": 8, "5": 199}.
    let expected: std::collections::BTreeMap<usize, i32> =
        [(0, 19), (1, 3), (2, 6), (3, 9), (4, 8), (5, 199)].into();
    assert_eq!(per_pack, expected);
}

#[test]
fn aux_adv_ind_builder() {
    // AUX_ADV_IND as ArduRemoteID sends it: AdvMode 0, flags AdvA + ADI, then the ODID AD.
    let pack = [0xf2, 0x19, 0x00];
    let mut ad = [0u8; 16];
    let n = ble::emit_odid_ad(9, &pack, &mut ad).unwrap();
    let r = ExtAdvRepr {
        tx_add: true,
        header: ble::ExtHeader {
            adv_mode: ble::AdvMode::NonConnectableNonScannable,
            adv_a: Some(ble::Address([0xe0, 0x7d, 0xea, 0xeb, 0x2f, 0x1c])),
            target_a: None,
            cte_info: None,
            adi: Some(ble::Adi { did: 0x123, sid: 1 }),
            aux_ptr: None,
            sync_info: None,
            tx_power: None,
            acad: &[],
            flags: None,
        },
        adv_data: &ad[..n],
    };
    let mut out = [0u8; 40];
    let len = r.emit(&mut out).unwrap();
    assert_eq!(
        &out[..len],
        &[
            0x47, 19, 0x09, 0x09, 0x1c, 0x2f, 0xeb, 0xea, 0x7d, 0xe0, 0x23, 0x11, 8, 0x16, 0xfa,
            0xff, 0x0d, 9, 0xf2, 0x19, 0x00
        ]
    );
    let a = Advertisement::parse(&out[..len]).unwrap();
    assert_eq!(ble::odid_service_data(a.adv_data), Some((9, &pack[..])));
    // The same data in an HCI LE Extended Advertising Report (coded/coded, RSSI -70).
    let mut ev = vec![0x3E, 0, 0x0D, 1, 0x00, 0x00, 0x01];
    ev.extend_from_slice(&[
        0x1c, 0x2f, 0xeb, 0xea, 0x7d, 0xe0, 3, 3, 1, 127, 0xBA, 0, 0, 0,
    ]);
    ev.extend_from_slice(&[0; 6]);
    ev.push(n as u8);
    ev.extend_from_slice(&ad[..n]);
    ev[1] = (ev.len() - 2) as u8;
    let rep = hci::Reports::from_event(&ev)
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    assert_eq!(rep.address.to_string(), "e0:7d:ea:eb:2f:1c");
    assert_eq!(
        (rep.rssi, rep.sid, rep.primary_phy),
        (Some(-70), Some(1), hci::Phy::LeCoded)
    );
    assert_eq!(ble::odid_service_data(rep.data), Some((9, &pack[..])));
}

fn arb_fr() -> impl Strategy<Value = fr::BeaconRepr<'static>> {
    // The serial and unknown TLV values are leaked so the repr can borrow them for 'static.
    (
        proptest::option::of(any::<u8>()),
        proptest::option::of(proptest::collection::vec(any::<u8>(), 0..20)),
        proptest::option::of(any::<(i32, i32, i16, i16)>()),
        proptest::option::of(any::<(i32, i32, u8, u16)>()),
        proptest::option::of((12u8..=255, proptest::collection::vec(any::<u8>(), 0..8))),
    )
        .prop_map(|(version, serial, pos, rest, other)| {
            let serial: Option<&'static [u8]> = serial.map(|s| &*Box::leak(s.into_boxed_slice()));
            let mut r = fr::BeaconRepr {
                version,
                ansi_serial: serial,
                ..Default::default()
            };
            if let Some((a, b, c, d)) = pos {
                (r.latitude_raw, r.longitude_raw, r.altitude_msl, r.height) =
                    (Some(a), Some(b), Some(c), Some(d));
            }
            if let Some((a, b, c, d)) = rest {
                (
                    r.takeoff_latitude_raw,
                    r.takeoff_longitude_raw,
                    r.ground_speed,
                    r.course,
                ) = (Some(a), Some(b), Some(c), Some(d));
            }
            if let Some((kind, v)) = other {
                r.other.push(fr::Tlv {
                    kind,
                    value: Box::leak(v.into_boxed_slice()),
                });
            }
            r
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn french_round_trip(r in arb_fr()) {
        let mut buf = vec![0u8; r.buffer_len()];
        let n = r.emit(&mut buf).unwrap();
        prop_assert_eq!(fr::BeaconRepr::parse(&buf[..n]).unwrap(), r);
    }

    #[test]
    fn ext_header_round_trip(
        adv_a in proptest::option::of(any::<[u8; 6]>()),
        adi in proptest::option::of((0u16..0x1000, 0u8..16)),
        aux in proptest::option::of((0u8..64, any::<bool>(), any::<bool>(), 0u16..0x2000, 0u8..8)),
        tx_power in proptest::option::of(any::<i8>()),
        data in proptest::collection::vec(any::<u8>(), 0..40),
    ) {
        let header = ble::ExtHeader {
            adv_mode: ble::AdvMode::NonConnectableNonScannable,
            adv_a: adv_a.map(ble::Address),
            target_a: None,
            cte_info: None,
            adi: adi.map(|(did, sid)| ble::Adi { did, sid }),
            aux_ptr: aux.map(|(channel, ca, offset_units_300us, aux_offset, aux_phy)| ble::AuxPtr {
                channel, ca, offset_units_300us, aux_offset, aux_phy,
            }),
            sync_info: None,
            tx_power,
            acad: &[],
            flags: None,
        };
        let r = ExtAdvRepr { tx_add: false, header, adv_data: &data };
        let mut out = vec![0u8; r.buffer_len()];
        r.emit(&mut out).unwrap();
        let a = Advertisement::parse(&out).unwrap();
        // The parser reports the flags byte it saw; the repr above left it implicit.
        let back = ble::ExtHeader { flags: None, ..a.ext.unwrap() };
        prop_assert_eq!(back, header);
        prop_assert_eq!(a.adv_data, &data[..]);
    }

    #[test]
    fn walkers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = ieee80211::scan(&bytes);
        let _ = Ies::new(&bytes).count();
        let _ = ieee80211::ssid(&bytes);
        let _ = ieee80211::VendorIe::classify(&bytes);
        let _ = nan::Attributes::new(&bytes).count();
        let _ = nan::ServiceDescriptor::parse(&bytes);
        let _ = nan::ServiceDescriptorExt::parse(&bytes);
        let _ = nan::sdf_attributes(&bytes).map(|a| a.count());
        let _ = fr::BeaconRepr::parse(&bytes);
        let _ = fr::parse_ie(&bytes);
        let _ = Advertisement::parse(&bytes);
        let _ = AdStructures::new(&bytes).count();
        let _ = ble::odid_service_data(&bytes);
        let _ = hci::Reports::from_event(&bytes).map(|r| r.count());
        let _ = hci::Reports::from_le_meta(&bytes).map(|r| r.count());
    }

    #[test]
    fn mutated_frames_never_panic(
        which in 0usize..3,
        flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..10),
        cut in any::<usize>(),
    ) {
        let Some(txt) = read("vectors/opendroneid-core-c_generated_frames.txt") else { return Ok(()); };
        let mut f = match which {
            0 => block(&txt, "nan_action_frame_80211"),
            1 => block(&txt, "beacon_frame_80211"),
            _ => block(&txt, "nan_sync_beacon_80211"),
        };
        for (i, x) in flips {
            let n = f.len();
            f[i % n] ^= x;
        }
        f.truncate(cut % (f.len() + 1));
        if let Ok(s) = ieee80211::scan(&f) {
            for found in s.found() {
                if let Found::French(t) = found { let _ = fr::BeaconRepr::parse(t); }
                if let Found::Dji(r) = found { let _ = wire::dji::Record::parse(r); }
            }
        }
    }
}
