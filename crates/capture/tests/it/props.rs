//! No-panic properties: arbitrary bytes and mutated real frames through every link-type entry point and
//! through the container readers. Modest case counts keep the suite fast.

use std::io::Cursor;
use std::sync::OnceLock;

use capture::link::{self, ble, hci, radiotap, LinkType};
use capture::{decode_frame, Decoder, Records};
use proptest::prelude::*;

const LINKS: [LinkType; 10] = [
    LinkType::Ieee80211,
    LinkType::Radiotap,
    LinkType::HciH4WithPhdr,
    LinkType::BleLl,
    LinkType::BleLlWithPhdr,
    LinkType::NordicBle,
    LinkType::HciH4,
    LinkType::HciEvent,
    LinkType::HciOther,
    LinkType::Unknown(1),
];

/// Some real frames (link type, bytes) from the shared captures, or none when the data is missing.
fn real_frames() -> &'static [(LinkType, Vec<u8>)] {
    static FRAMES: OnceLock<Vec<(LinkType, Vec<u8>)>> = OnceLock::new();
    FRAMES.get_or_init(|| {
        let Some(dir) = testdata::dir("remoteid") else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for f in [
            "odid_bt5_lr_sample.pcapng",
            "sutt0n_beacon_frames_howlong.pcap",
            "odid_wifi_sample.pcap",
            "cdc_mavic_alessa_spoofed.pcapng",
            "cdc_parrot_anafi4_spoofed.pcapng",
        ] {
            for r in Records::open(dir.join(f)).unwrap().take(40) {
                let r = r.unwrap();
                out.push((r.link, r.data));
            }
        }
        out
    })
}

fn all_entry_points(data: &[u8]) {
    let mut out = Vec::new();
    for l in LINKS {
        let _ = link::decode_frame(l, data);
        let _ = decode_frame(l, 0, 1, data, &mut out);
    }
    let _ = radiotap::parse(data);
    let _ = radiotap::payload(data);
    let _ = ble::parse_nordic(data);
    let _ = ble::parse_phdr(data);
    let _ = ble::parse_ll(data, true);
    let _ = ble::parse_ll(data, false);
    let _ = hci::h4_le_meta(data);
    let _ = hci::event_le_meta(data);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..300)) {
        all_entry_points(&data);
    }

    #[test]
    fn mutated_real_frames_never_panic(
        pick in any::<prop::sample::Index>(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        cut in any::<prop::sample::Index>(),
    ) {
        let frames = real_frames();
        if frames.is_empty() {
            return Ok(());
        }
        let (link, frame) = &frames[pick.index(frames.len())];
        let mut data = frame.clone();
        for (at, v) in &edits {
            let i = at.index(data.len());
            data[i] = *v;
        }
        let mut out = Vec::new();
        let _ = decode_frame(*link, 0, 1, &data, &mut out);
        data.truncate(cut.index(data.len() + 1));
        all_entry_points(&data);
    }

    #[test]
    fn containers_never_panic(
        magic in prop::sample::select(vec![
            vec![0xd4, 0xc3, 0xb2, 0xa1],
            vec![0xa1, 0xb2, 0x3c, 0x4d],
            vec![0x0a, 0x0d, 0x0d, 0x0a, 0x1c, 0x00, 0x00, 0x00, 0x4d, 0x3c, 0x2b, 0x1a],
            b"btsnoop\0\0\0\0\x01\0\0\x03\xea".to_vec(),
        ]),
        rest in proptest::collection::vec(any::<u8>(), 0..400),
    ) {
        let mut bytes = magic.clone();
        bytes.extend_from_slice(&rest);
        if let Ok(r) = Records::new("p", Cursor::new(bytes.clone())) {
            for x in r.take(200) {
                if x.is_err() {
                    break;
                }
            }
        }
        if let Ok(d) = Decoder::new("p", Cursor::new(bytes), None) {
            for x in d.take(200) {
                if x.is_err() {
                    break;
                }
            }
        }
    }
}

#[test]
fn mutated_real_files_never_panic() {
    // Flip bytes all over two real files (deterministic positions) and read them whole.
    let Some(dir) = testdata::dir("remoteid") else {
        return;
    };
    for f in ["odid_wifi_sample.pcap", "odid_bt5_lr_sample.pcapng"] {
        let orig = std::fs::read(dir.join(f)).unwrap();
        for step in [7usize, 13, 101] {
            let mut bytes = orig.clone();
            let mut i = 24;
            while i < bytes.len() {
                bytes[i] ^= 0x5a;
                i += step * 37;
            }
            if let Ok(d) = Decoder::new(f, Cursor::new(bytes), None) {
                for x in d {
                    if x.is_err() {
                        break;
                    }
                }
            }
        }
    }
}
