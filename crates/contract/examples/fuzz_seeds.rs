//! Writes seed corpora for the cargo-fuzz targets in `fuzz/` from the real captures of the shared data
//! folder: link-layer records, 802.11 frames, BLE PDUs, ODID payloads, DJI and French records, detection
//! lines and small whole files. Seeds live only in `fuzz/corpus` (ignored by git), never in the repository.
//!
//! `cargo run --release -p contract --example fuzz_seeds -- fuzz/corpus`

use capture::link::{self, Payload};
use capture::{LinkType, Records};
use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};
use wire::ieee80211::{self, Found};

/// At most this many seeds per target and file, so the corpus stays small and varied.
const PER_FILE: usize = 40;

struct Corpus {
    root: PathBuf,
    seen: HashSet<(String, Vec<u8>)>,
    written: usize,
}

impl Corpus {
    fn put(&mut self, target: &str, bytes: &[u8]) {
        if !self.seen.insert((target.to_string(), bytes.to_vec())) {
            return;
        }
        let dir = self.root.join(target);
        let _ = fs::create_dir_all(&dir);
        let name = format!("seed-{:06}", self.written);
        if fs::write(dir.join(name), bytes).is_ok() {
            self.written += 1;
        }
    }
}

fn selector(link: LinkType) -> Option<u8> {
    // Must match `LINKS` in fuzz/fuzz_targets/link.rs.
    Some(match link {
        LinkType::Radiotap => 0,
        LinkType::Ieee80211 => 1,
        LinkType::NordicBle => 2,
        LinkType::BleLlWithPhdr => 3,
        LinkType::BleLl => 4,
        LinkType::HciH4WithPhdr => 5,
        _ => return None,
    })
}

fn seed_file(c: &mut Corpus, path: &Path) {
    let Ok(records) = Records::open(path) else {
        return;
    };
    if fs::metadata(path)
        .map(|m| m.len() < 64 * 1024)
        .unwrap_or(false)
    {
        if let Ok(bytes) = fs::read(path) {
            c.put("capture_file", &bytes);
        }
    }
    let mut n = 0;
    for rec in records.flatten() {
        if n >= PER_FILE {
            break;
        }
        let Some(sel) = selector(rec.link) else {
            continue;
        };
        let Ok(frame) = link::decode_frame(rec.link, &rec.data) else {
            continue;
        };
        let mut with_sel = vec![sel];
        with_sel.extend_from_slice(&rec.data);
        match frame.payload {
            Payload::Ieee80211(f) => {
                let Ok(scan) = ieee80211::scan(f) else {
                    continue;
                };
                if scan.found().next().is_none() {
                    continue;
                }
                n += 1;
                c.put("link", &with_sel);
                c.put("ieee80211", f);
                for found in scan.found() {
                    match found {
                        Found::OdidBeacon { payload, .. } | Found::OdidNan { payload, .. } => {
                            c.put("odid", payload)
                        }
                        Found::Dji(r) => c.put("dji_fr", r),
                        Found::French(t) => c.put("dji_fr", t),
                    }
                }
            }
            Payload::BleAdv { pdu, .. } => {
                n += 1;
                c.put("link", &with_sel);
                c.put("ble", pdu);
                if let Ok(adv) = wire::ble::Advertisement::parse(pdu) {
                    if let Some((_, payload)) = wire::ble::odid_service_data(adv.adv_data) {
                        c.put("odid", payload);
                    }
                }
            }
            Payload::HciAdvReports(p) => {
                n += 1;
                c.put("link", &with_sel);
                c.put("ble", p);
            }
            Payload::None => {}
        }
        let mut out = Vec::new();
        capture::decode_frame(rec.link, rec.time, rec.frame, &rec.data, &mut out);
        for d in &out {
            let line = contract::DetectionLine::from_detection(d, &contract::Options::default());
            c.put("contract_line", line.to_json().as_bytes());
        }
    }
}

fn main() {
    let out = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("fuzz/corpus"));
    let mut c = Corpus {
        root: out,
        seen: HashSet::new(),
        written: 0,
    };
    let data = testdata::root();
    if let Ok(dir) = fs::read_dir(data.join("remoteid")) {
        let mut files: Vec<_> = dir.flatten().map(|e| e.path()).collect();
        files.sort();
        for f in files {
            if matches!(
                f.extension().and_then(|e| e.to_str()),
                Some("pcap" | "pcapng")
            ) {
                seed_file(&mut c, &f);
            }
        }
    } else {
        eprintln!(
            "fuzz_seeds: no capture folder under {}: corpora start empty",
            data.display()
        );
    }
    if let Ok(meta) = fs::read(data.join("ocusync/mavic_air_2.sigmf-meta")) {
        c.put("sigmf_meta", &meta);
    }
    println!("fuzz_seeds: {} seeds written", c.written);
}
