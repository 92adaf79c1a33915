//! BLE legacy advertising and HCI reports end to end, on frames built with `wire`'s own encoders:
//! a Basic ID message → ODID service data AD → ADV_NONCONN_IND → LE LL with pseudo-header, and the same
//! AdvData in an HCI LE Advertising Report inside a btsnoop file.

use std::io::Cursor;

use capture::{decode_frame, Event, FrameOutcome, LinkType, Message, Transport};
use wire::ble::{self, LegacyAdvRepr, PduType};
use wire::odid::{self, basic_id};

fn basic_id_message() -> [u8; 25] {
    let mut uas_id = [0u8; 20];
    uas_id[..8].copy_from_slice(b"TEST1234");
    let m = odid::Message::BasicId(basic_id::Repr {
        version: 2,
        id_type: basic_id::IdType::SerialNumber,
        ua_type: basic_id::UaType::HelicopterOrMultirotor,
        uas_id,
    });
    let mut buf = [0u8; 25];
    m.emit(&mut buf).unwrap();
    buf
}

fn adv_data() -> Vec<u8> {
    let mut ad = [0u8; 31];
    let n = ble::emit_odid_ad(7, &basic_id_message(), &mut ad).unwrap();
    ad[..n].to_vec()
}

const ADDR: [u8; 6] = [0xc1, 0x22, 0x33, 0x44, 0x55, 0x66];

fn check_basic_id(messages: &[Message]) {
    let [Message::Odid(odid::Message::BasicId(b))] = messages else {
        panic!("expected one Basic ID, got {messages:?}");
    };
    assert_eq!(b.uas_id_str(), Some("TEST1234"));
}

#[test]
fn legacy_advertising_over_ll_phdr() {
    let ad = adv_data();
    let mut pdu = [0u8; 40];
    let n = LegacyAdvRepr {
        pdu_type: PduType::AdvNonconnInd,
        tx_add: true,
        adv_a: ble::Address(ADDR),
        adv_data: &ad,
    }
    .emit(&mut pdu)
    .unwrap();
    let mut frame = vec![
        0x27, // RF channel 39 = BLE channel 39
        0xc4, // -60 dBm
        0x80, 0x00, // noise, AA offenses
        0xd6, 0xbe, 0x89, 0x8e, // reference AA
        0x02, 0x0c, // flags: signal valid, CRC checked + valid, 1M PHY
        0xd6, 0xbe, 0x89, 0x8e, // access address
    ];
    frame.extend_from_slice(&pdu[..n]);
    frame.extend_from_slice(&[0, 0, 0]); // CRC (not checked by us: the sniffer says it is valid)
    let mut out = Vec::new();
    assert_eq!(
        decode_frame(LinkType::BleLlWithPhdr, 5, 9, &frame, &mut out),
        FrameOutcome::Detections(1)
    );
    let d = &out[0];
    assert_eq!(d.transport, Transport::BleLegacy);
    assert_eq!(d.mac, Some(ADDR));
    assert_eq!(d.rssi_dbm, Some(-60));
    assert_eq!(d.channel, Some(39));
    assert_eq!(d.freq_mhz, Some(2480));
    assert_eq!(d.counter, Some(7));
    assert_eq!((d.time, d.frame), (5, 9));
    check_basic_id(&d.messages);
}

#[test]
fn hci_reports_in_btsnoop() {
    let ad = adv_data();
    // H4 event: LE Meta / LE Advertising Report with one report.
    let mut ev = vec![0x04, 0x3e, 0, 0x02, 0x01, 0x03, 0x01];
    ev.extend(ADDR.iter().rev()); // address, little-endian
    ev.push(ad.len() as u8);
    ev.extend_from_slice(&ad);
    ev.push(0xb0); // RSSI -80
    ev[2] = (ev.len() - 3) as u8;
    // Extended report of the same data, event type 0 (extended PDU → long range).
    let mut ext = vec![0x04, 0x3e, 0, 0x0d, 0x01, 0x00, 0x00, 0x01];
    ext.extend(ADDR.iter().rev());
    ext.extend_from_slice(&[
        0x03, 0x03, 0x00, 0x7f, 0xc8, 0x00, 0x00, 0x00, 0, 0, 0, 0, 0, 0,
    ]);
    ext.push(ad.len() as u8);
    ext.extend_from_slice(&ad);
    ext[2] = (ext.len() - 3) as u8;
    let file = crate::build::btsnoop(
        1002,
        &[
            (3, 1_700_000_000_000_000, &ev),
            (3, 1_700_000_000_000_001, &ext),
        ],
    );
    let events: Vec<Event> = capture::Decoder::new("hci.log", Cursor::new(file), None)
        .unwrap()
        .map(|e| e.unwrap())
        .collect();
    assert_eq!(events.len(), 2);
    let mut seen = Vec::new();
    for e in &events {
        let Event::Detection(d) = e else {
            panic!("expected detections, got {e:?}");
        };
        check_basic_id(&d.messages);
        assert_eq!(d.mac, Some(ADDR));
        seen.push((d.frame, d.transport, d.rssi_dbm, d.time));
    }
    assert_eq!(
        seen,
        vec![
            (
                1,
                Transport::BleLegacy,
                Some(-80),
                1_700_000_000_000_000_000
            ),
            (
                2,
                Transport::BleLongRange,
                Some(-56),
                1_700_000_000_000_001_000
            ),
        ]
    );
}
