//! Link-layer parsers on small byte arrays built here, every byte commented.

use capture::link::{self, ble, hci, radiotap, LinkType, Payload};
use capture::DropReason;
use wire::ble::hci::Reports;

/// A radiotap header with TSFT, Flags, Channel and dBm antenna signal, then a 4-byte "frame" + FCS.
fn radiotap_sample(flags: u8) -> Vec<u8> {
    vec![
        0x00, 0x00, // version 0, pad
        0x18, 0x00, // it_len = 24
        0x2b, 0x00, 0x00, 0x00, // present: TSFT(0) Flags(1) Channel(3) dBm antsignal(5)
        0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22,
        0x11,  // TSFT at 8 (8-aligned) = 0x1122334455667788
        flags, // Flags at 16
        0x00,  // pad: Channel is 2-aligned
        0x85, 0x09, // Channel freq 0x0985 = 2437 MHz
        0xa0, 0x00, // Channel flags 0x00a0
        0xc4, // dBm antenna signal = -60
        0x00, // pad to it_len
        0x80, 0x00, 0x00, 0x00, // 802.11 frame bytes (beacon FC + duration), our "payload"
        0xde, 0xad, 0xbe, 0xef, // FCS
    ]
}

#[test]
fn radiotap_fields_and_fcs() {
    let f = radiotap_sample(radiotap::FLAG_FCS);
    let rt = radiotap::parse(&f).unwrap();
    assert_eq!(rt.len, 24);
    assert_eq!(rt.tsft, Some(0x1122_3344_5566_7788));
    assert_eq!(rt.flags, Some(0x10));
    assert_eq!(rt.freq_mhz, Some(2437));
    assert_eq!(rt.channel_flags, Some(0x00a0));
    assert_eq!(rt.antsignal_dbm, Some(-60));
    let (_, body) = radiotap::payload(&f).unwrap();
    assert_eq!(body, &[0x80, 0x00, 0x00, 0x00]); // FCS stripped
    let fr = link::decode_frame(LinkType::Radiotap, &f).unwrap();
    assert_eq!(fr.radio.channel, Some(6));
    assert_eq!(fr.radio.rssi_dbm, Some(-60));
    assert_eq!(fr.radio.freq_mhz, Some(2437));
    // Without the FCS flag the last 4 bytes stay.
    let f = radiotap_sample(0);
    assert_eq!(radiotap::payload(&f).unwrap().1.len(), 8);
}

#[test]
fn radiotap_bad_fcs_and_bounds() {
    let f = radiotap_sample(radiotap::FLAG_FCS | radiotap::FLAG_BAD_FCS);
    assert_eq!(
        link::decode_frame(LinkType::Radiotap, &f),
        Err(DropReason::BadFcs)
    );
    // it_len beyond the buffer.
    let mut f = radiotap_sample(0);
    f[2] = 0xff;
    assert_eq!(radiotap::parse(&f), Err(DropReason::Truncated));
    // it_len below the fixed header.
    let mut f = radiotap_sample(0);
    f[2] = 4;
    assert_eq!(radiotap::parse(&f), Err(DropReason::Malformed));
    // version 1
    let mut f = radiotap_sample(0);
    f[0] = 1;
    assert_eq!(radiotap::parse(&f), Err(DropReason::Malformed));
    assert_eq!(radiotap::parse(&[0, 0, 8]), Err(DropReason::Truncated));
    // FCS flag on a frame shorter than 4 bytes after the header.
    let f = [0x00, 0x00, 0x09, 0x00, 0x02, 0x00, 0x00, 0x00, 0x10, 0xaa];
    assert_eq!(radiotap::payload(&f), Err(DropReason::Truncated));
}

#[test]
fn radiotap_extended_bitmaps_and_vendor_namespace() {
    let f = [
        0x00, 0x00, // version, pad
        0x24, 0x00, // it_len = 36
        0x22, 0x00, 0x00, 0xc0, // word 0: Flags(1) antsignal(5) + vendor NS (30) + ext (31)
        0x01, 0x00, 0x00,
        0xc0, // word 1 (vendor ns): bit 0 (vendor field) + vendor NS again (30) + ext
        0x28, 0x00, 0x00,
        0x00, // word 2 (second vendor ns): bits 3 and 5 are vendor fields, last word
        // data starts at 16
        0x10, // Flags = FCS
        0xb0, // antsignal = -80
        // vendor namespace header, 2-aligned at 18: OUI 00:11:22, sub-ns 0, skip_length 2
        0x00, 0x11, 0x22, 0x00, 0x02, 0x00, //
        0xee, 0xee, // vendor data (skipped)
        // second vendor namespace header at 26: skip_length 4
        0x00, 0x11, 0x22, 0x01, 0x04, 0x00, //
        0xaa, 0xbb, 0xcc, 0xdd, // its vendor data (skipped)
        0x80, 0x00, 0x00, 0x00, // frame + FCS
    ];
    let rt = radiotap::parse(&f).unwrap();
    assert_eq!(rt.len, 36);
    assert_eq!(rt.flags, Some(0x10));
    assert_eq!(rt.antsignal_dbm, Some(-80));
    assert_eq!(rt.freq_mhz, None);
}

#[test]
fn radiotap_second_radiotap_namespace_word() {
    // Word 0 sets bit 29: word 1 restarts the radiotap namespace at field 0, so its bit 5 is an antenna
    // signal again (per-antenna fields); it is taken because no combined signal came before.
    let f = [
        0x00, 0x00, 0x14, 0x00, // it_len 20
        0x02, 0x00, 0x00, 0xa0, // word 0: Flags, radiotap NS (29), ext (31)
        0x20, 0x08, 0x00, 0x00, // word 1 (radiotap ns reset): antsignal(5), antenna(11)
        0x00, // Flags = 0 at 12
        0xc8, // antsignal -56 at 13
        0x01, // antenna 1
        0x00, 0x00, 0x00, 0x00, 0x00, // pad to 20
    ];
    let rt = radiotap::parse(&f).unwrap();
    assert_eq!(rt.flags, Some(0));
    assert_eq!(rt.antsignal_dbm, Some(-56));
}

/// nRF Sniffer v3 header + coded-PHY AUX_ADV_IND shell, as in odid_bt5_lr_sample.pcapng frame 1.
fn nordic_sample(flags: u8) -> Vec<u8> {
    vec![
        0x03, // board 3
        0x11, 0x00, // payload length 17 (from the packet header length byte)
        0x03, // protocol version 3
        0x13, 0xbe,  // packet counter 0xbe13
        0x02,  // packet id
        0x0a,  // packet header length 10
        flags, // flags
        0x0a,  // channel 10
        0x35,  // RSSI 0x35 → -53 dBm
        0x00, 0x00, // event counter
        0xa5, 0xe2, 0x95, 0xa0, // timestamp µs
        0xd6, 0xbe, 0x89, 0x8e, // access address 0x8E89BED6 (LE)
        0x00, // coding indicator (coded PHY only): S=8
        0x07, 0x02, // PDU header: type 7 (ADV_EXT_IND/AUX_ADV_IND), length 2
        0x00, 0x00, // payload: ext header length 0, (padding)
        0x11, 0x22, 0x33, // CRC
    ]
}

#[test]
fn nordic_coded_adv() {
    let f = nordic_sample(0x21); // CRC OK, PHY 2 = coded
    let n = ble::parse_nordic(&f).unwrap();
    assert_eq!(n.board, 3);
    assert_eq!(n.protocol_version, 3);
    assert_eq!(n.packet_counter, 0xbe13);
    assert_eq!(n.channel, 10);
    assert_eq!(n.rssi_dbm, -53);
    assert_eq!(n.timestamp_us, 0xa095_e2a5);
    assert!(n.crc_ok());
    assert_eq!(n.phy(), ble::Phy::Coded);
    let fr = link::decode_frame(LinkType::NordicBle, &f).unwrap();
    assert_eq!(
        fr.payload,
        Payload::BleAdv {
            pdu: &[0x07, 0x02, 0x00, 0x00],
            coded: true
        }
    );
    assert_eq!(fr.radio.rssi_dbm, Some(-53));
    assert_eq!(fr.radio.channel, Some(10));
    assert_eq!(fr.radio.freq_mhz, Some(2424));
}

#[test]
fn nordic_bad_crc_and_versions() {
    let f = nordic_sample(0x20); // CRC flag clear
    assert_eq!(
        link::decode_frame(LinkType::NordicBle, &f),
        Err(DropReason::BadCrc)
    );
    let mut f = nordic_sample(0x21);
    f[3] = 1; // protocol version 1: other layout
    assert_eq!(ble::parse_nordic(&f), Err(DropReason::Malformed));
    let f = nordic_sample(0x21);
    assert_eq!(ble::parse_nordic(&f[..16]), Err(DropReason::Truncated));
    // 1M PHY (flags 0x01): no coding indicator, so `00 07` is read as the PDU header (length 7), which
    // runs past the 8 bytes that follow.
    let f = nordic_sample(0x01);
    assert_eq!(
        link::decode_frame(LinkType::NordicBle, &f),
        Err(DropReason::Truncated)
    );
}

#[test]
fn phdr_and_bare_ll() {
    let f = [
        0x0c, // RF channel 12 = BLE channel 38
        0xbf, // signal -65 dBm
        0x80, // noise
        0x00, // AA offenses
        0xd6, 0xbe, 0x89, 0x8e, // reference AA
        0x02, 0x0c, // flags 0x0c02: signal valid, CRC checked, CRC valid, PHY 1M
        0xd6, 0xbe, 0x89, 0x8e, // AA
        0x02, 0x06, // ADV_NONCONN_IND, length 6
        0x01, 0x02, 0x03, 0x04, 0x05, 0x06, // AdvA
        0xaa, 0xbb, 0xcc, // CRC
    ];
    let p = ble::parse_phdr(&f).unwrap();
    assert_eq!(p.rssi_dbm(), Some(-65));
    assert!(!p.bad_crc());
    assert_eq!(p.phy(), ble::Phy::Le1M);
    let fr = link::decode_frame(LinkType::BleLlWithPhdr, &f).unwrap();
    assert_eq!(fr.radio.channel, Some(38));
    assert_eq!(fr.radio.freq_mhz, Some(2426));
    assert_eq!(
        fr.payload,
        Payload::BleAdv {
            pdu: &f[14..22],
            coded: false
        }
    );
    // CRC checked but not valid.
    let mut bad = f;
    bad[9] = 0x04;
    assert_eq!(
        link::decode_frame(LinkType::BleLlWithPhdr, &bad),
        Err(DropReason::BadCrc)
    );
    // Bare LL (251) is the same packet without the pseudo-header.
    let fr = link::decode_frame(LinkType::BleLl, &f[10..]).unwrap();
    assert_eq!(
        fr.payload,
        Payload::BleAdv {
            pdu: &f[14..22],
            coded: false
        }
    );
    // Data-channel access address: not advertising.
    let mut data = f;
    data[10] = 0x11;
    assert_eq!(
        link::decode_frame(LinkType::BleLlWithPhdr, &data)
            .unwrap()
            .payload,
        Payload::None
    );
    // Length byte past the end.
    assert_eq!(
        link::decode_frame(LinkType::BleLl, &f[10..18]),
        Err(DropReason::Truncated)
    );
    assert_eq!(ble::rf_to_ble_channel(0), Some(37));
    assert_eq!(ble::rf_to_ble_channel(39), Some(39));
    assert_eq!(ble::rf_to_ble_channel(13), Some(11));
    assert_eq!(ble::channel_freq_mhz(0), Some(2404));
    assert_eq!(ble::channel_freq_mhz(36), Some(2478));
}

/// H4 LE Advertising Report with one report carrying 3 bytes of AdvData.
const H4_ADV_REPORT: [u8; 18] = [
    0x04, // H4: event
    0x3e, // LE Meta
    0x0f, // parameter length 15
    0x02, // subevent: LE Advertising Report
    0x01, // one report
    0x03, // event type ADV_NONCONN_IND
    0x01, // random address
    0x66, 0x55, 0x44, 0x33, 0x22, 0xc1, // address, little-endian → c1:22:33:44:55:66
    0x03, // data length
    0x02, 0x01, 0x06, // AD: Flags
    0xc4, // RSSI -60
];

#[test]
fn hci_legacy_report() {
    let params = hci::h4_le_meta(&H4_ADV_REPORT).unwrap().unwrap();
    assert_eq!(params, &H4_ADV_REPORT[3..]);
    let reports: Vec<_> = Reports::from_le_meta(params).unwrap().collect();
    assert_eq!(reports.len(), 1);
    let r = reports[0].unwrap();
    assert_eq!(r.address.0, [0xc1, 0x22, 0x33, 0x44, 0x55, 0x66]);
    assert_eq!(r.rssi, Some(-60));
    assert_eq!(r.data, &[0x02, 0x01, 0x06]);
    // With the 4-byte direction pseudo-header (link type 201).
    let mut phdr = vec![0x00, 0x00, 0x00, 0x01];
    phdr.extend_from_slice(&H4_ADV_REPORT);
    let fr = link::decode_frame(LinkType::HciH4WithPhdr, &phdr).unwrap();
    assert_eq!(fr.payload, Payload::HciAdvReports(params));
    // Truncated parameter length.
    assert_eq!(
        hci::h4_le_meta(&H4_ADV_REPORT[..10]),
        Err(DropReason::Truncated)
    );
    // An HCI command (H4 type 1) carries nothing.
    assert_eq!(
        link::decode_frame(LinkType::HciH4, &[0x01, 0x03, 0x0c, 0x00])
            .unwrap()
            .payload,
        Payload::None
    );
}

#[test]
fn hci_extended_report() {
    let ev = [
        0x3e, // LE Meta (H1 event: no H4 type byte)
        0x1c, // parameter length 28
        0x0d, // LE Extended Advertising Report
        0x01, // one report
        0x00, 0x00, // event type 0: extended, non-connectable (bit 4 clear = not legacy)
        0x01, // random address
        0x1c, 0x2f, 0xeb, 0xea, 0x7d, 0xe0, // address → e0:7d:ea:eb:2f:1c
        0x03, // primary PHY coded
        0x03, // secondary PHY coded
        0x00, // SID
        0x7f, // TX power n/a
        0xd0, // RSSI -48
        0x00, 0x00, // periodic interval
        0x00, // direct address type
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // direct address
        0x02, // data length
        0x01, 0x02, // data
    ];
    let fr = link::decode_frame(LinkType::HciEvent, &ev).unwrap();
    let Payload::HciAdvReports(params) = fr.payload else {
        panic!("expected advertising reports, got {:?}", fr.payload);
    };
    assert_eq!(params, &ev[2..]);
    let r = Reports::from_le_meta(params)
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    assert_eq!(r.event_type, 0);
    assert_eq!(r.address.0, [0xe0, 0x7d, 0xea, 0xeb, 0x2f, 0x1c]);
    assert_eq!(r.rssi, Some(-48));
    assert_eq!(r.data, &[0x01, 0x02]);
    // Another LE Meta subevent (0x03, connection update) carries nothing.
    let other = [0x3e, 0x02, 0x03, 0x00];
    assert_eq!(
        link::decode_frame(LinkType::HciEvent, &other)
            .unwrap()
            .payload,
        Payload::None
    );
}

#[test]
fn unknown_linktype_is_dropped() {
    assert_eq!(LinkType::from_dlt(1), LinkType::Unknown(1));
    assert_eq!(
        link::decode_frame(LinkType::Unknown(1), &[1, 2, 3]),
        Err(DropReason::UnsupportedLinktype)
    );
    assert_eq!(LinkType::from_dlt(272), LinkType::NordicBle);
}

#[test]
fn message_is_no_larger_than_an_odid_message() {
    // Detections move ODID messages into `capture::Message`; equal sizes let `collect` reuse the pack's
    // allocation.
    assert_eq!(
        std::mem::size_of::<capture::Message>(),
        std::mem::size_of::<wire::odid::Message>()
    );
}
