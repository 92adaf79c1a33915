//! The `skytrace` binary end to end: real captures in, JSON lines, tables and summaries out; bad files give
//! a clear error and a non-zero exit status without stopping the other files.

mod common;
mod demo;
mod sensor;

use common::{add_sensor, add_user, free_port, http, BIN};
use std::process::{Command, Output};

fn skytrace(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().expect("run skytrace")
}

fn capture(name: &str) -> Option<String> {
    testdata::file("remoteid", name).map(|p| p.display().to_string())
}

#[test]
fn help_explains_decode() {
    let out = skytrace(&["decode", "--help"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for word in ["--format", "--summary", "pcapng", "btsnoop"] {
        assert!(text.contains(word), "help lacks {word}");
    }
}

#[test]
fn decode_prints_one_json_line_per_broadcast() {
    let Some(file) = capture("odid_wifi_sample.pcap") else {
        return;
    };
    let out = skytrace(&["decode", &file]);
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 42);
    let first = &lines[0];
    assert_eq!(first["frame"], 2);
    assert_eq!(first["transport"], "wifi-nan");
    assert_eq!(first["mac"], "84:cc:a8:60:43:24");
    assert_eq!(first["time"], "2021-05-12T20:03:25.193865Z");
    assert_eq!(first["messages"][0]["type"], "operator-id");
    assert_eq!(first["messages"][0]["operator_id"], "GBR-OP-123ABCD");
}

#[test]
fn summary_counts_transports_aircraft_and_drops() {
    let Some(file) = capture("odid_bt5_lr_sample.pcapng") else {
        return;
    };
    let out = skytrace(&["decode", "--summary", "--format", "jsonl", &file]);
    assert!(out.status.success());
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(s["frames_read"], 274);
    assert_eq!(s["frames_with_broadcasts"], 244);
    assert_eq!(s["by_transport"]["ble-long-range"], 244);
    assert_eq!(s["dropped"]["bad-crc"], 30);
    assert_eq!(s["aircraft"], serde_json::json!(["SSEVTFG93700070"]));
    assert_eq!(s["messages"]["operator-id"], 199);
}

#[test]
fn table_has_a_header_and_a_row_per_broadcast() {
    let Some(file) = capture("bk_wireless_RID_test_linux_transmitter.pcapng") else {
        return;
    };
    let out = skytrace(&["decode", "--format", "table", &file]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let mut rows = text.lines();
    assert!(rows.next().unwrap().starts_with("TIME (UTC)"));
    assert_eq!(rows.count(), 21);
}

#[test]
fn unreadable_files_fail_clearly_and_the_others_still_decode() {
    let dir = std::env::temp_dir().join(format!("skytrace-it-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let junk = dir.join("junk.pcap");
    std::fs::write(&junk, b"this is not a capture file at all").unwrap();
    let missing = dir.join("missing.pcapng");
    let Some(good) = capture("odid_wifi_bcn_sample.pcap") else {
        return;
    };
    let out = skytrace(&[
        "decode",
        junk.to_str().unwrap(),
        &good,
        missing.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("junk.pcap") && stderr.contains("offset 0"),
        "{stderr}"
    );
    assert!(stderr.contains("missing.pcapng"), "{stderr}");
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 21);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn ocusync_recording_gives_three_bursts_and_drops_the_truncated_fourth() {
    let Some(file) = testdata::file("ocusync", "mavic_air_2.sigmf-data") else {
        return;
    };
    let file = file.display().to_string();
    let out = skytrace(&["decode", &file]);
    assert!(out.status.success());
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    let kinds: Vec<_> = lines
        .iter()
        .map(|l| l["messages"][0]["type"].clone())
        .collect();
    assert_eq!(kinds, ["dji-info", "dji-telemetry", "dji-telemetry"]);
    assert!(lines.iter().all(|l| l["transport"] == "dji-ocusync"));
    assert!(lines
        .iter()
        .all(|l| l["messages"][0]["serial"] == "1WNBH3900201N1"));
    let seqs: Vec<_> = lines[1..]
        .iter()
        .map(|l| l["messages"][0]["seq"].clone())
        .collect();
    assert_eq!(seqs, [589, 591]);
    let t = &lines[2]["messages"][0];
    let near = |v: &serde_json::Value, want: f64| (v.as_f64().unwrap() - want).abs() < 1e-7;
    assert!(
        near(&t["lat"], 51.4463339) && near(&t["lon"], 7.2672159),
        "{t}"
    );
    assert!(near(&t["operator_lat"], 51.4462079) && near(&t["operator_lon"], 7.2671014));
    assert!(near(&t["home_lat"], 51.4462594) && near(&t["home_lon"], 7.2673535));
    assert_eq!(t["product"], "Mavic Air 2");
    // Bursts at +2.0 MHz and -12.47 MHz from the 2457.5 MHz centre.
    let f: Vec<f64> = lines
        .iter()
        .map(|l| l["freq_mhz"].as_f64().unwrap())
        .collect();
    assert!(
        (f[0] - 2459.5).abs() < 0.05 && (f[2] - 2445.03).abs() < 0.05,
        "{f:?}"
    );

    let out = skytrace(&["decode", "--summary", "--format", "jsonl", &file]);
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(s["frames_read"], 4);
    assert_eq!(s["dropped"]["truncated-burst"], 1);
    assert_eq!(s["by_transport"]["dji-ocusync"], 3);
}

#[test]
fn raw_iq_needs_a_sample_rate() {
    let Some(file) = testdata::file("ocusync", "synthetic/skysense_droneid_burst_15p36msps.fc32")
    else {
        return;
    };
    let out = skytrace(&["decode", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--sample-rate"));
    // With the rate, the burst is found and its FEC decodes, but the synthetic encoder's DJI CRC16 is
    // misplaced: the burst is counted as dropped, never printed.
    let out = skytrace(&[
        "decode",
        "--summary",
        "--format",
        "jsonl",
        "--sample-rate",
        "15.36e6",
        file.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (s["frames_read"].clone(), s["dropped"]["bad-crc16"].clone()),
        (1.into(), 1.into())
    );
}

/// `skytrace admin` and `skytrace serve` as the acceptance checks drive them: a user from stdin, a sensor
/// token on the last line, then a login over HTTP on loopback.
#[test]
fn admin_then_serve_then_login() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().to_str().expect("utf-8 path");
    add_user(data, "alice", "correct horse battery");
    let out = add_sensor(data, "roof");
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    let token = stdout.lines().last().unwrap();
    assert_eq!(token.len(), 64, "{stdout}");
    assert!(token.bytes().all(|b| b.is_ascii_hexdigit()));
    // A second sensor of the same name is refused.
    assert!(!add_sensor(data, "roof").status.success());

    let addr = format!("127.0.0.1:{}", free_port());
    let mut server = Command::new(BIN)
        .args(["serve", "--data-dir", data, "--listen", &addr])
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let body = r#"{"username":"alice","password":"correct horse battery"}"#;
    let mut response = None;
    for _ in 0..100 {
        response = http(&addr, "POST", "/api/v1/login", None, body);
        if response.is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    server.kill().ok();
    server.wait().ok();
    let (status, body) = response.expect("the server answered");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"token\""), "{body}");
}
