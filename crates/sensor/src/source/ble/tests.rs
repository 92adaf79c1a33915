//! `report_frame` on the service data of real captures: each BLE advertisement of a capture is reduced
//! to what BlueZ would report (address, address type, RSSI, service data 0xFFFA), turned back into a
//! frame and decoded by `capture::decode_frame`; the detections must equal those of `capture::open`.

use super::*;
use capture::link::{self, Payload};

/// What BlueZ reports for one capture record, read with `capture`'s and `wire`'s parsers: the address,
/// address type, RSSI and the bytes after the 0xFFFA UUID of the service data AD.
fn bluez_view(link_type: capture::LinkType, data: &[u8]) -> Option<(Report<'_>, bool)> {
    let frame = link::decode_frame(link_type, data).ok()?;
    let Payload::BleAdv { pdu, .. } = frame.payload else {
        return None;
    };
    let adv = wire::ble::Advertisement::parse(pdu).ok()?;
    let service_data = wire::ble::AdStructures::new(adv.adv_data)
        .map_while(|r| r.ok())
        .find_map(|ad| match (ad.ad_type, ad.data) {
            (wire::ble::AD_SERVICE_DATA_16, [0xFA, 0xFF, rest @ ..]) => Some(rest),
            _ => None,
        })?;
    let report = Report {
        address: adv.adv_a?.0,
        random: adv.tx_add,
        rssi_dbm: frame.radio.rssi_dbm,
        service_data,
    };
    Some((report, adv.pdu_type == wire::ble::PduType::AdvExt))
}

#[test]
fn reports_from_the_bt5_long_range_capture_decode_like_the_capture() {
    let Some(path) = testdata::file("remoteid", "odid_bt5_lr_sample.pcapng") else {
        return;
    };
    let mut want = Vec::new();
    for e in capture::open(&path).unwrap() {
        if let capture::Event::Detection(d) = e.unwrap() {
            want.push(d);
        }
    }
    let mut got = Vec::new();
    for rec in capture::Records::open(&path).unwrap() {
        let rec = rec.unwrap();
        if rec.dropped.is_some() {
            continue;
        }
        // Frames with a bad CRC never reach BlueZ: the controller drops them.
        if capture::link::decode_frame(rec.link, &rec.data).is_err() {
            continue;
        }
        let Some((report, extended)) = bluez_view(rec.link, &rec.data) else {
            continue;
        };
        assert!(
            extended,
            "frame {}: this capture is all extended advertising",
            rec.frame
        );
        let frame = report_frame(&report).expect("Remote ID service data");
        let mut out = Vec::new();
        let outcome = capture::decode_frame(
            capture::LinkType::BleLlWithPhdr,
            rec.time,
            rec.frame,
            &frame,
            &mut out,
        );
        assert_eq!(
            outcome,
            capture::FrameOutcome::Detections(1),
            "frame {}",
            rec.frame
        );
        got.extend(out);
    }
    assert_eq!(want.len(), 244, "INDEX.md: 244 Remote ID frames");
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(&want) {
        // BlueZ does not say which channel a report came on: everything else is the same.
        assert_eq!((g.freq_mhz, g.channel), (None, None));
        let w = capture::Detection {
            freq_mhz: None,
            channel: None,
            ..w.clone()
        };
        assert_eq!(g, &w);
        assert_eq!(g.transport, capture::Transport::BleLongRange);
    }
}

/// Real Bluetooth 4 service data (app code, counter, one message), from the fixture file's hex lines.
fn bt4_vectors() -> Vec<Vec<u8>> {
    let Some(path) = testdata::file("remoteid", "vectors/sutt0n_fixture_vectors.txt") else {
        return Vec::new();
    };
    let text = std::fs::read_to_string(&path).unwrap();
    text.lines()
        .filter_map(|l| {
            let hex: String = l.split_whitespace().last()?.chars().collect();
            if hex.len() != 54 || !hex.starts_with("0d") {
                return None;
            }
            (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).ok())
                .collect()
        })
        .collect()
}

#[test]
fn bluetooth_4_service_data_becomes_a_legacy_advertisement() {
    let vectors = bt4_vectors();
    if testdata::dir("remoteid").is_none() {
        return;
    }
    assert!(
        !vectors.is_empty(),
        "no 27-byte BT4 service data lines found in the fixture"
    );
    for sd in &vectors {
        let report = Report {
            address: [0xC0, 1, 2, 3, 4, 5],
            random: true,
            rssi_dbm: Some(-71),
            service_data: sd,
        };
        let frame = report_frame(&report).unwrap();
        let mut out = Vec::new();
        let outcome =
            capture::decode_frame(capture::LinkType::BleLlWithPhdr, 7, 1, &frame, &mut out);
        assert_eq!(outcome, capture::FrameOutcome::Detections(1), "{sd:02x?}");
        let d = &out[0];
        assert_eq!(d.transport, capture::Transport::BleLegacy);
        assert_eq!(d.mac, Some([0xC0, 1, 2, 3, 4, 5]));
        assert_eq!(d.rssi_dbm, Some(-71));
        assert_eq!(d.counter, Some(sd[1]));
        let want = wire::odid::Payload::parse(&sd[2..]).unwrap();
        match want {
            wire::odid::Payload::Single(m) => {
                assert_eq!(d.messages, vec![capture::Message::Odid(m)])
            }
            other => panic!("BT4 carries single messages: {other:?}"),
        }
    }
}

#[test]
fn reports_that_are_not_remote_id_give_no_frame() {
    let r = |sd: &'static [u8]| Report {
        address: [0; 6],
        random: false,
        rssi_dbm: None,
        service_data: sd,
    };
    // Another application code, a bare app code, nothing.
    for sd in [&[0x0E, 0x01, 0x02][..], &[0x0D], &[]] {
        assert_eq!(report_frame(&r(sd)), None, "{sd:02x?}");
    }
    // Longer than one extended PDU can carry.
    static LONG: [u8; 250] = {
        let mut b = [0u8; 250];
        b[0] = 0x0D;
        b
    };
    assert_eq!(report_frame(&r(&LONG)), None);
    // Without RSSI the pseudo-header says the signal field is not valid.
    let f = report_frame(&r(&[0x0D, 0x01, 0x00])).unwrap();
    assert_eq!(&f[..10], &[0xFF, 0, 0x80, 0, 0xD6, 0xBE, 0x89, 0x8E, 0, 0]);
    let mut out = Vec::new();
    capture::decode_frame(capture::LinkType::BleLlWithPhdr, 0, 1, &f, &mut out);
    assert!(out.iter().all(|d| d.rssi_dbm.is_none()));
}

#[test]
fn config_defaults_and_unknown_keys() {
    let parse = |s: &str| toml::from_str::<BleConfig>(s).map_err(|e| e.to_string());
    assert_eq!(parse("").unwrap(), BleConfig::default());
    assert_eq!(
        parse("scan = \"discovery\"").unwrap().scan,
        ScanMode::Discovery
    );
    assert!(parse("scan = \"passive\"")
        .unwrap_err()
        .contains("unknown variant"));
    assert!(parse("rssi = 3")
        .unwrap_err()
        .contains("unknown field `rssi`"));
    let e = match open(
        "hci0",
        &BleConfig {
            queue: 0,
            ..BleConfig::default()
        },
    ) {
        Err(e) => e,
        Ok(_) => panic!("queue 0 accepted"),
    };
    assert_eq!(e.to_string(), "ble:hci0: queue must be at least 1");
}
