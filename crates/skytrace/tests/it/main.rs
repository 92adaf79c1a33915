//! The `skytrace` binary end to end: real captures in, JSON lines, tables and summaries out; bad files give
//! a clear error and a non-zero exit status without stopping the other files.

use std::process::{Command, Output};

fn skytrace(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_skytrace"))
        .args(args)
        .output()
        .expect("run skytrace")
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
