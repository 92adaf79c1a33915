//! Container readers on files built in the test: both byte orders, timestamp resolutions, block kinds,
//! truncation and unknown formats.

use std::io::{Cursor, Read};

use capture::{DropReason, Error, LinkType, RawRecord, Records};

use crate::build::{self, Ng};

fn records(bytes: Vec<u8>) -> Result<Vec<RawRecord>, Error> {
    Records::new("test.cap", Cursor::new(bytes))?.collect()
}

/// (frame, link type, time, bytes, drop reason) of a record.
type Summary = (u64, LinkType, i64, Vec<u8>, Option<DropReason>);

fn summary(recs: &[RawRecord]) -> Vec<Summary> {
    recs.iter()
        .map(|r| (r.frame, r.link, r.time, r.data.clone(), r.dropped))
        .collect()
}

#[test]
fn pcap_byte_orders_and_resolutions() {
    for be in [false, true] {
        let us = build::pcap(
            be,
            false,
            127,
            &[
                (1_700_000_000, 123_456, &[1, 2, 3]),
                (1_700_000_001, 0, &[4]),
            ],
        );
        let r = records(us).unwrap();
        assert_eq!(
            summary(&r),
            vec![
                (
                    1,
                    LinkType::Radiotap,
                    1_700_000_000_123_456_000,
                    vec![1, 2, 3],
                    None
                ),
                (
                    2,
                    LinkType::Radiotap,
                    1_700_000_001_000_000_000,
                    vec![4],
                    None
                ),
            ],
            "big endian {be}"
        );
        let ns = build::pcap(be, true, 105, &[(1_700_000_000, 123_456_789, &[9])]);
        let r = records(ns).unwrap();
        assert_eq!(
            summary(&r),
            vec![(
                1,
                LinkType::Ieee80211,
                1_700_000_000_123_456_789,
                vec![9],
                None
            )]
        );
    }
}

#[test]
fn pcap_truncated_last_record() {
    let mut f = build::pcap(
        false,
        false,
        127,
        &[(1, 0, &[1, 2, 3, 4]), (2, 0, &[5, 6, 7, 8])],
    );
    f.truncate(f.len() - 2);
    let r = records(f).unwrap();
    assert_eq!(r.len(), 2);
    assert_eq!(r[0].data, vec![1, 2, 3, 4]);
    assert_eq!(r[1].dropped, Some(DropReason::Truncated));
    assert_eq!(r[1].frame, 2);
}

#[test]
fn pcapng_blocks_interfaces_and_time() {
    for be in [false, true] {
        let mut ng = Ng::new(be);
        ng.idb(127, None, None); // if 0: µs
        ng.idb(272, Some(9), Some(100)); // if 1: ns, +100 s
        ng.idb(251, Some(0x80 | 20), None); // if 2: 2^-20 s
        ng.nrb();
        ng.epb(0, 1_700_000_000_000_001, &[0xaa]);
        ng.dsb();
        ng.epb(1, 5_000_000_007, &[0xbb, 0xcc]);
        ng.custom();
        ng.epb(2, (3 << 20) | (1 << 19), &[0xdd]); // 3.5 s
        ng.spb(&[0xee, 0xef]); // interface 0, time of the previous packet
        ng.pb(1, 1_000_000_000, &[0x01]);
        ng.isb();
        ng.epb(7, 0, &[0x02]); // no interface 7
        let r = records(ng.out).unwrap();
        assert_eq!(
            summary(&r),
            vec![
                (
                    1,
                    LinkType::Radiotap,
                    1_700_000_000_000_001_000,
                    vec![0xaa],
                    None
                ),
                (
                    2,
                    LinkType::NordicBle,
                    105_000_000_007,
                    vec![0xbb, 0xcc],
                    None
                ),
                (3, LinkType::BleLl, 3_500_000_000, vec![0xdd], None),
                (4, LinkType::Radiotap, 3_500_000_000, vec![0xee, 0xef], None),
                (5, LinkType::NordicBle, 101_000_000_000, vec![0x01], None),
                (
                    6,
                    LinkType::Unknown(0),
                    0,
                    vec![],
                    Some(DropReason::Malformed)
                ),
            ],
            "big endian {be}"
        );
    }
}

#[test]
fn pcapng_new_section_resets_interfaces_and_byte_order() {
    let mut ng = Ng::new(false);
    ng.idb(127, None, None);
    ng.epb(0, 1, &[1]);
    let mut second = Ng::new(true);
    second.idb(105, None, None);
    second.epb(0, 2, &[2]);
    ng.out.extend_from_slice(&second.out);
    let r = records(ng.out).unwrap();
    assert_eq!(
        summary(&r),
        vec![
            (1, LinkType::Radiotap, 1_000, vec![1], None),
            (2, LinkType::Ieee80211, 2_000, vec![2], None),
        ]
    );
}

#[test]
fn pcapng_truncated_and_oversized() {
    let mut ng = Ng::new(false);
    ng.idb(127, None, None);
    ng.epb(0, 1, &[1, 2, 3, 4]);
    ng.epb(0, 2, &[5, 6, 7, 8]);
    let mut cut = ng.out.clone();
    cut.truncate(cut.len() - 6);
    let r = records(cut).unwrap();
    assert_eq!(r.len(), 2);
    assert_eq!(r[1].dropped, Some(DropReason::Truncated));

    // A block that declares 1 GiB at the end of a small file: the file is cut inside it.
    let mut big = ng.out.clone();
    let at = big.len();
    big.extend_from_slice(&6u32.to_le_bytes());
    big.extend_from_slice(&(1u32 << 30).to_le_bytes());
    big.extend_from_slice(&[0u8; 64]);
    let r = records(big.clone()).unwrap();
    assert_eq!(r.len(), 3);
    assert_eq!(r[2].dropped, Some(DropReason::Truncated));
    // The same block followed by 20 MiB: over the reader's 16 MiB limit → an error at its offset.
    let input = Cursor::new(big).chain(std::io::repeat(0).take(20 << 20));
    let mut it = Records::new("big.pcapng", input).unwrap();
    assert!(it.next().unwrap().is_ok());
    assert!(it.next().unwrap().is_ok());
    let e = it.next().unwrap().unwrap_err();
    assert_eq!(e.offset(), at as u64);
    assert_eq!(
        e.to_string(),
        format!(
            "big.pcapng: offset {at}: record of 16777216 bytes exceeds the 16777216-byte limit"
        )
    );
    assert!(it.next().is_none());
}

#[test]
fn pcapng_large_block_grows_buffer() {
    // A 3 MiB packet is larger than the initial 1 MiB buffer but under the limit.
    let mut ng = Ng::new(false);
    ng.idb(105, None, None);
    let payload = vec![0x5a; 3 << 20];
    ng.epb(0, 1, &payload);
    ng.epb(0, 2, &[1]);
    let r = records(ng.out).unwrap();
    assert_eq!(r.len(), 2);
    assert_eq!(r[0].data.len(), 3 << 20);
    assert_eq!(r[1].data, vec![1]);
}

#[test]
fn btsnoop_h4_and_h1() {
    let ev = [0x04, 0x3e, 0x01, 0x02]; // H4 event
    let f = build::btsnoop(
        1002,
        &[
            (3, 1_700_000_000_000_000, &ev),
            (0, 1_700_000_000_000_001, &[0x01, 0x00]),
        ],
    );
    let r = records(f).unwrap();
    assert_eq!(
        summary(&r),
        vec![
            (
                1,
                LinkType::HciH4,
                1_700_000_000_000_000_000,
                ev.to_vec(),
                None
            ),
            (
                2,
                LinkType::HciH4,
                1_700_000_000_000_001_000,
                vec![0x01, 0x00],
                None
            ),
        ]
    );
    // H1: flags bit 1 (command/event) + bit 0 (received) = event.
    let f = build::btsnoop(
        1001,
        &[(3, 0, &ev[1..]), (2, 0, &[0x03, 0x0c, 0x00]), (1, 0, &[0])],
    );
    let r = records(f).unwrap();
    let links: Vec<_> = r.iter().map(|r| r.link).collect();
    assert_eq!(
        links,
        vec![LinkType::HciEvent, LinkType::HciOther, LinkType::HciOther]
    );
    assert_eq!(r[0].time, 0);
    // Truncated last record.
    let mut f = build::btsnoop(1002, &[(3, 0, &ev), (3, 0, &ev)]);
    f.truncate(f.len() - 1);
    let r = records(f).unwrap();
    assert_eq!(r[1].dropped, Some(DropReason::Truncated));
    // Other data links are read, and their frames dropped as unsupported by the decoder.
    let f = build::btsnoop(1004, &[(3, 0, &ev)]);
    assert_eq!(records(f).unwrap()[0].link, LinkType::Unknown(1004));
}

#[test]
fn unknown_and_empty_files() {
    let e = records(b"GIF89a-not-a-capture".to_vec()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "test.cap: offset 0: unknown capture format (magic 47 49 46 38; expected pcap, pcapng or btsnoop)"
    );
    let e = records(Vec::new()).unwrap_err();
    assert_eq!(e.to_string(), "test.cap: offset 0: empty file");
    let e = capture::open("/nonexistent/x.pcap").err().unwrap();
    assert!(
        e.to_string()
            .starts_with("/nonexistent/x.pcap: offset 0: I/O error"),
        "{e}"
    );
}

#[test]
fn decoder_counts_frames_and_drops() {
    // Two radiotap frames: one with a bad FCS, one too short for its header; then a cut record.
    let bad_fcs = [
        0x00, 0x00, 0x09, 0x00, 0x02, 0x00, 0x00, 0x00, 0x50, 0x80, 0, 0, 0, 0, 0, 0, 0,
    ];
    let short = [0x00, 0x00, 0x40, 0x00];
    let mut f = build::pcap(
        false,
        false,
        127,
        &[(1, 0, &bad_fcs), (2, 0, &short), (3, 0, &[0; 8])],
    );
    f.truncate(f.len() - 3);
    let total = f.len() as u64;
    let mut d = capture::Decoder::new("t.pcap", Cursor::new(f), Some(total)).unwrap();
    let events: Vec<_> = d.by_ref().map(|e| e.unwrap()).collect();
    assert_eq!(
        events,
        vec![
            capture::Event::Dropped {
                frame: 1,
                reason: DropReason::BadFcs
            },
            capture::Event::Dropped {
                frame: 2,
                reason: DropReason::Truncated
            },
            capture::Event::Dropped {
                frame: 3,
                reason: DropReason::Truncated
            },
        ]
    );
    let s = d.stats();
    assert_eq!(s.frames_read, 3);
    assert_eq!(s.dropped(DropReason::BadFcs), 1);
    assert_eq!(s.dropped(DropReason::Truncated), 2);
    assert_eq!(s.total_bytes, Some(total));
    assert_eq!(s.bytes_read, 24 + 16 + 17 + 16 + 4);
}
