//! Golden decoding of every real capture in the shared data folder (`testdata::dir("remoteid")`): each
//! expected figure below is transcribed from the capture's `.txt` ("What a correct decoder should
//! output"). The `.txt` names `wifi-dji` and `bt5-ext-coded` what we call `dji-wifi` and `ble-long-range`.

use std::collections::BTreeMap;

use capture::{DropReason, Event, Message, Transport};
use wire::odid::{self, basic_id::IdType};

/// Messages by type: Basic ID, Location, Auth, Self-ID, System, Operator ID.
type Counts = [u64; 6];

struct Expected {
    file: &'static str,
    frames: u64,
    transports: &'static [(Transport, u64)],
    dropped: &'static [(DropReason, u64)],
    macs: &'static [(&'static str, u64)],
    ssids: &'static [(&'static str, u64)],
    counts: Counts,
    basic_ids: &'static [(&'static str, u64)],
    operator_ids: &'static [(&'static str, u64)],
    /// Location latitude min/max, longitude min/max.
    location: Option<[f64; 4]>,
    /// System operator latitude min/max, longitude min/max.
    operator: Option<[f64; 4]>,
    /// Detections whose pack was cut short.
    partial: u64,
    dji_serials: &'static [(&'static str, u64)],
}

const NONE: Expected = Expected {
    file: "",
    frames: 0,
    transports: &[],
    dropped: &[],
    macs: &[],
    ssids: &[],
    counts: [0; 6],
    basic_ids: &[],
    operator_ids: &[],
    location: None,
    operator: None,
    partial: 0,
    dji_serials: &[],
};

use DropReason::*;
use Transport::*;

/// The herlev latency runs: two transmitters, packs of 5 with synthetic content.
const fn herlev(
    file: &'static str,
    n: u64,
    macs: &'static [(&'static str, u64)],
    lat: f64,
    lon: f64,
) -> Expected {
    Expected {
        file,
        frames: n,
        transports: &[],
        macs,
        counts: [n, n, 0, n, n, n],
        location: Some([lat, lat, lon, lon]),
        operator: Some([0.0, 0.0, 0.0, 0.0]),
        ..NONE
    }
}

const EXPECTED: &[Expected] = &[
    Expected {
        file: "bk_wireless_RID_test_linux_transmitter.pcapng",
        frames: 21,
        transports: &[(WifiBeacon, 21)],
        macs: &[("8c:17:59:f5:95:65", 21)],
        ssids: &[("DroneIDTest", 21)],
        counts: [42, 21, 63, 21, 21, 21],
        basic_ids: &[
            ("112624150A90E3AE1EC0", 21),
            ("4644333435344237373845353635433234423730", 21),
        ],
        operator_ids: &[("FIN87astrdge12k8", 21)],
        location: Some([51.4791, 51.4791, -0.0013, -0.0013]),
        operator: Some([0.001, 0.001, -0.001, -0.001]),
        ..NONE
    },
    Expected {
        file: "cdc_mavic_alessa_spoofed.pcapng",
        frames: 10,
        transports: &[(DjiWifi, 10)],
        macs: &[("60:60:1f:c6:0e:cc", 10)],
        ssids: &[("fabiassid", 10)],
        dji_serials: &[("K6RE0WENAH9P8QAL", 10)],
        ..NONE
    },
    Expected {
        file: "cdc_parrot_anafi4_spoofed.pcapng",
        frames: 1606,
        transports: &[(WifiBeacon, 26)],
        macs: &[("90:3a:e6:5b:c8:a8", 26)],
        ssids: &[("AnafiThermal-Spoofed", 26)],
        counts: [26, 26, 0, 0, 26, 0],
        basic_ids: &[("1588E040445AC004418", 26)],
        location: Some([47.3702734, 47.3868734, 8.5282979, 8.5409979]),
        operator: Some([47.198656, 47.198656, 8.7302205, 8.7302205]),
        partial: 26,
        ..NONE
    },
    Expected {
        transports: &[(WifiBeacon, 12132)],
        ssids: &[("RID", 12132)],
        basic_ids: &[("EDRI", 12132)],
        operator_ids: &[("", 12132)],
        ..herlev(
            "herlev_latency-test-YS7-10min.pcapng",
            12132,
            &[("02:45:6d:ff:dd:dd", 6067), ("02:45:6d:ff:dd:dc", 6065)],
            0.0,
            0.0,
        )
    },
    Expected {
        transports: &[(WifiBeacon, 1198)],
        ssids: &[("RID", 1198)],
        basic_ids: &[("EDRI", 1198)],
        operator_ids: &[("", 1198)],
        ..herlev(
            "herlev_latency-test-YS7.pcapng",
            1198,
            &[("02:45:6d:ff:dd:dc", 599), ("02:45:6d:ff:dd:dd", 599)],
            0.0,
            0.0,
        )
    },
    Expected {
        transports: &[(WifiBeacon, 11912)],
        ssids: &[("RID", 11912)],
        basic_ids: &[("EDRI", 11912)],
        operator_ids: &[("", 11912)],
        ..herlev(
            "herlev_latency-test-usb-adapter-YS7-10min.pcapng",
            11912,
            &[("02:45:6d:ff:dd:dd", 5961), ("02:45:6d:ff:dd:dc", 5951)],
            0.0,
            0.0,
        )
    },
    Expected {
        transports: &[(WifiBeacon, 1150)],
        ssids: &[("RID", 1150)],
        basic_ids: &[("EDRI", 1150)],
        operator_ids: &[("", 1150)],
        ..herlev(
            "herlev_latency-test-usb-adapter-YS7.pcapng",
            1150,
            &[("02:45:6d:ff:dd:dc", 576), ("02:45:6d:ff:dd:dd", 574)],
            0.0,
            0.0,
        )
    },
    Expected {
        transports: &[(WifiBeacon, 12014)],
        ssids: &[("RID", 12014)],
        basic_ids: &[("EDRI", 12014)],
        operator_ids: &[("", 12014)],
        ..herlev(
            "herlev_latency-test-usb-adapter-zg14-5min.pcapng",
            12014,
            &[("ec:da:3b:bf:57:00", 6057), ("02:45:6d:ff:dd:dc", 5957)],
            55.0,
            10.0,
        )
    },
    Expected {
        transports: &[(WifiBeacon, 12509)],
        ssids: &[("RID", 12509)],
        basic_ids: &[("EDRI", 12509)],
        operator_ids: &[("", 12509)],
        ..herlev(
            "herlev_latency-test-usb-adapter-zg14-5min_2.pcapng",
            12509,
            &[("ec:da:3b:bf:57:00", 6290), ("02:45:6d:ff:dd:dc", 6219)],
            55.0,
            10.0,
        )
    },
    Expected {
        transports: &[(WifiBeacon, 12008)],
        ssids: &[("RID", 12008)],
        basic_ids: &[("EDRI", 12008)],
        operator_ids: &[("", 12008)],
        ..herlev(
            "herlev_latency-test-zg14-10min.pcapng",
            12008,
            &[("02:45:6d:ff:dd:dc", 6036), ("02:45:6d:ff:dd:dd", 5972)],
            0.0,
            0.0,
        )
    },
    Expected {
        transports: &[(WifiBeacon, 12188)],
        ssids: &[("RID", 12188)],
        basic_ids: &[("EDRI", 12188)],
        operator_ids: &[("", 12188)],
        ..herlev(
            "herlev_latency-test-zg14-5min.pcapng",
            12188,
            &[("ec:da:3b:bf:57:00", 6098), ("02:45:6d:ff:dd:dc", 6090)],
            55.0,
            10.0,
        )
    },
    Expected {
        file: "herlev_relay_test_ARPLF352709570738211_F4relay.pcapng",
        frames: 369,
        transports: &[(WifiBeacon, 369)],
        macs: &[("d4:f9:8d:04:03:f4", 369)],
        ssids: &[("RID", 369)],
        counts: [369, 369, 0, 369, 369, 369],
        basic_ids: &[("ARPLF352709570738211", 369)],
        operator_ids: &[("DNK87astrdge12k8", 369)],
        location: Some([55.3551902, 55.3565711, 10.4369277, 10.4381465]),
        operator: Some([55.3551101, 55.3551101, 10.4379386, 10.4379386]),
        ..NONE
    },
    Expected {
        file: "herlev_relay_test_ARPLF352709570739565_F4relay.pcapng",
        frames: 253,
        transports: &[(WifiBeacon, 253)],
        macs: &[("d4:f9:8d:04:03:f4", 253)],
        ssids: &[("RID", 253)],
        counts: [253, 253, 0, 253, 253, 253],
        basic_ids: &[("ARPLF352709570739565", 253)],
        operator_ids: &[("DNKairplate0demo", 253)],
        location: Some([55.3698463, 55.3699378, 10.4361209, 10.4361572]),
        operator: Some([55.3699073, 55.3699073, 10.4361419, 10.4361419]),
        ..NONE
    },
    Expected {
        file: "herlev_relay_test_EDRI-D1_F4relay.pcapng",
        frames: 9655,
        transports: &[(WifiBeacon, 9655)],
        macs: &[("d4:f9:8d:04:03:f4", 9655)],
        ssids: &[("RID", 9655)],
        counts: [9655, 9655, 0, 0, 0, 0],
        basic_ids: &[("EDRI-D1", 9655)],
        location: Some([55.3553301, 55.3553774, 10.4380015, 10.4380878]),
        ..NONE
    },
    Expected {
        file: "herlev_relay_test_EDRI-D2_F4relay.pcapng",
        frames: 4309,
        transports: &[(WifiBeacon, 4309)],
        macs: &[("d4:f9:8d:04:03:f4", 4309)],
        ssids: &[("RID", 4309)],
        counts: [4309, 4309, 0, 0, 0, 0],
        basic_ids: &[("EDRI-D2", 4309)],
        location: Some([55.3693646, 55.3710564, 10.4360511, 10.4388501]),
        ..NONE
    },
    Expected {
        file: "odid_bt5_lr_sample.pcapng",
        frames: 274,
        transports: &[(BleLongRange, 244)],
        dropped: &[(BadCrc, 30)],
        macs: &[("e0:7d:ea:eb:2f:1c", 244)],
        counts: [225, 222, 0, 216, 207, 199],
        basic_ids: &[("SSEVTFG93700070", 225)],
        operator_ids: &[("FIN87astrdge12kxyz8", 199)],
        location: Some([0.0, 0.0, 0.0, 0.0]),
        operator: Some([0.0, 0.0, 0.0, 0.0]),
        ..NONE
    },
    Expected {
        file: "odid_wifi_bcn_sample.pcap",
        frames: 21,
        transports: &[(WifiBeacon, 21)],
        macs: &[("84:cc:a8:60:43:24", 21)],
        ssids: &[("GBR-OP-123ABCD", 21)],
        counts: [21, 21, 0, 21, 21, 21],
        basic_ids: &[("MFG1A0123456789", 21)],
        operator_ids: &[("GBR-OP-123ABCD", 21)],
        location: Some([45.5457355, 45.5470818, -122.9681496, -122.9666906]),
        operator: Some([45.5443876, 45.5443876, -122.9726866, -122.9726866]),
        ..NONE
    },
    Expected {
        file: "odid_wifi_sample.pcap",
        frames: 63,
        transports: &[(WifiBeacon, 21), (WifiNan, 21)],
        macs: &[("84:cc:a8:60:43:24", 42)],
        ssids: &[("GBR-OP-123ABCD", 21)],
        counts: [0, 31, 0, 4, 4, 3],
        operator_ids: &[("GBR-OP-123ABCD", 3)],
        location: Some([45.5448998, 45.5456905, -122.9736204, -122.9722283]),
        operator: Some([45.5443876, 45.5443876, -122.9726866, -122.9726866]),
        ..NONE
    },
    Expected {
        file: "sutt0n_beacon_frames_howlong.pcap",
        frames: 1614,
        transports: &[(WifiBeacon, 58)],
        macs: &[("7e:f2:4a:b0:b9:71", 58)],
        ssids: &[("DroneBeacon_1039", 58)],
        counts: [58, 58, 0, 58, 58, 0],
        basic_ids: &[("1787F04BM24010011039", 58)],
        location: Some([35.8025766, 35.8026088, -90.7110315, -90.7110070]),
        operator: Some([35.8026075, 35.8026075, -90.71099, -90.71099]),
        ..NONE
    },
    Expected {
        file: "sutt0n_packet-data_capture_output.pcap",
        frames: 139,
        transports: &[(WifiNan, 18)],
        macs: &[("0e:e2:93:94:e6:f1", 18)],
        counts: [18, 18, 0, 18, 18, 0],
        basic_ids: &[("1787F04BM24010011039", 18)],
        location: Some([35.8025486, 35.8025516, -90.7109815, -90.7109794]),
        operator: Some([35.8024736, 35.8024736, -90.7109733, -90.7109733]),
        ..NONE
    },
    Expected {
        file: "wsd_beacon_sample_0bec396.pcap",
        frames: 239,
        transports: &[(WifiBeacon, 4)],
        macs: &[("84:cc:a8:60:43:24", 4)],
        ssids: &[("GBR-OP-123ABCD", 4)],
        counts: [0, 3, 0, 1, 0, 0],
        location: Some([45.5602773, 45.5605545, -123.0033515, -123.0027248]),
        ..NONE
    },
    Expected {
        file: "wsd_beacon_sample_898e76b.pcap",
        frames: 816,
        transports: &[(WifiBeacon, 21), (WifiNan, 21)],
        macs: &[("84:cc:a8:60:43:24", 42)],
        ssids: &[("GBR-OP-123ABCD", 21)],
        counts: [0, 31, 0, 4, 4, 3],
        operator_ids: &[("GBR-OP-123ABCD", 3)],
        location: Some([45.5448998, 45.5456905, -122.9736204, -122.9722283]),
        operator: Some([45.5443876, 45.5443876, -122.9726866, -122.9726866]),
        ..NONE
    },
];

fn mac(m: [u8; 6]) -> String {
    m.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|b| format!("{b:02X}")).collect()
}

fn tally(v: &[(&str, u64)]) -> BTreeMap<String, u64> {
    v.iter().map(|(k, n)| (k.to_string(), *n)).collect()
}

fn widen(r: &mut Option<[f64; 4]>, lat: f64, lon: f64) {
    let r = r.get_or_insert([lat, lat, lon, lon]);
    r[0] = r[0].min(lat);
    r[1] = r[1].max(lat);
    r[2] = r[2].min(lon);
    r[3] = r[3].max(lon);
}

fn assert_range(what: &str, file: &str, got: Option<[f64; 4]>, want: Option<[f64; 4]>) {
    match (got, want) {
        (Some(g), Some(w)) => {
            for i in 0..4 {
                assert!(
                    (g[i] - w[i]).abs() < 0.6e-7,
                    "{file}: {what} range {g:?}, expected {w:?}"
                );
            }
        }
        (g, w) => assert_eq!(g, w, "{file}: {what} range"),
    }
}

/// Decodes `file` and compares everything the `.txt` states.
fn check(dir: &std::path::Path, e: &Expected) {
    let path = dir.join(e.file);
    let mut dec = capture::open(&path).unwrap();
    let mut macs = BTreeMap::new();
    let mut ssids = BTreeMap::new();
    let mut basic_ids = BTreeMap::new();
    let mut operator_ids = BTreeMap::new();
    let mut dji_serials = BTreeMap::new();
    let mut counts: Counts = [0; 6];
    let mut location = None;
    let mut operator = None;
    let mut partial = 0;
    let mut last_frame = 0;
    for ev in dec.by_ref() {
        let d = match ev.unwrap() {
            Event::Detection(d) => d,
            Event::Dropped { frame, .. } | Event::Other { frame } => {
                assert!(frame > last_frame, "{}: frames out of order", e.file);
                last_frame = frame;
                continue;
            }
        };
        assert!(d.frame >= last_frame && d.frame > 0);
        last_frame = d.frame;
        assert!(
            d.time > 1_500_000_000_000_000_000,
            "{}: time {}",
            e.file,
            d.time
        );
        *macs.entry(mac(d.mac.unwrap())).or_insert(0) += 1;
        if let Some(s) = d.ssid {
            *ssids.entry(s).or_insert(0) += 1;
        }
        partial += u64::from(d.partial);
        for m in &d.messages {
            match m {
                Message::Odid(m) => match m {
                    odid::Message::BasicId(b) => {
                        counts[0] += 1;
                        let id = match b.id_type {
                            IdType::UtmAssignedUuid | IdType::SpecificSessionId => hex(&b.uas_id),
                            _ => b.uas_id_str().unwrap().to_string(),
                        };
                        *basic_ids.entry(id).or_insert(0) += 1;
                    }
                    odid::Message::Location(l) => {
                        counts[1] += 1;
                        widen(
                            &mut location,
                            l.latitude.unwrap_or(0.0),
                            l.longitude.unwrap_or(0.0),
                        );
                    }
                    odid::Message::Auth(_) => counts[2] += 1,
                    odid::Message::SelfId(_) => counts[3] += 1,
                    odid::Message::System(s) => {
                        counts[4] += 1;
                        widen(
                            &mut operator,
                            s.operator_latitude.unwrap_or(0.0),
                            s.operator_longitude.unwrap_or(0.0),
                        );
                    }
                    odid::Message::OperatorId(o) => {
                        counts[5] += 1;
                        *operator_ids
                            .entry(o.operator_id_str().unwrap().to_string())
                            .or_insert(0) += 1;
                    }
                    odid::Message::Unknown { .. } => panic!("{}: unknown ODID message", e.file),
                },
                Message::Dji(r) => {
                    let wire::dji::Record::Telemetry(t) = r.record().unwrap() else {
                        panic!("{}: DJI record is not telemetry", e.file);
                    };
                    *dji_serials.entry(t.serial().to_string()).or_insert(0) += 1;
                }
                Message::French(_) => panic!("{}: no French beacon expected", e.file),
            }
        }
    }
    let s = dec.stats();
    let f = e.file;
    assert_eq!(s.frames_read, e.frames, "{f}: frames");
    assert_eq!(last_frame, e.frames, "{f}: last frame index");
    let transports: Vec<_> = s.by_transport().collect();
    let mut want = e.transports.to_vec();
    want.sort();
    assert_eq!(transports, want, "{f}: detections by transport");
    // No other drops in these files: the FCS of the BlueMark captures is stripped, not counted as bad.
    let dropped: Vec<_> = s.dropped_by_reason().collect();
    assert_eq!(dropped, e.dropped.to_vec(), "{f}: dropped frames");
    assert_eq!(macs, tally(e.macs), "{f}: transmitters");
    assert_eq!(ssids, tally(e.ssids), "{f}: SSIDs");
    assert_eq!(
        counts, e.counts,
        "{f}: message counts (BasicID, Location, Auth, SelfID, System, OperatorID)"
    );
    assert_eq!(basic_ids, tally(e.basic_ids), "{f}: Basic IDs");
    assert_eq!(operator_ids, tally(e.operator_ids), "{f}: operator IDs");
    assert_eq!(dji_serials, tally(e.dji_serials), "{f}: DJI serials");
    assert_eq!(partial, e.partial, "{f}: partial packs");
    assert_range("Location", f, location, e.location);
    assert_range("System operator", f, operator, e.operator);
    assert_eq!(
        s.bytes_read,
        std::fs::metadata(&path).unwrap().len(),
        "{f}: bytes read"
    );
}

#[test]
fn every_capture_decodes_as_its_txt_states() {
    let Some(dir) = testdata::dir("remoteid") else {
        return;
    };
    // Every capture in the folder must have an entry here.
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".pcap") || n.ends_with(".pcapng"))
        .collect();
    files.sort();
    let mut listed: Vec<String> = EXPECTED.iter().map(|e| e.file.to_string()).collect();
    listed.sort();
    assert_eq!(files, listed);
    for e in EXPECTED {
        check(&dir, e);
    }
}
