//! `skytrace sensor` against a real `skytrace serve` on 127.0.0.1, both as child processes, with replay
//! sources: the server killed (SIGKILL) for 30 s during a 1,000 detections/s replay, the sensor killed
//! (SIGKILL) and restarted on its spool, and a spool filled to its limit while the server is down. The
//! expected counts come from decoding the capture with `capture`, not from constants.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{add_sensor, add_user, free_port, http, BIN};

/// Detections `skytrace decode` finds in a capture.
fn detections_in(file: &Path) -> u64 {
    capture::open(file)
        .expect("open capture")
        .filter(|e| matches!(e, Ok(capture::Event::Detection(_))))
        .count() as u64
}

/// A server data directory with an operator and a sensor, and the server process when running.
struct Server {
    dir: tempfile::TempDir,
    addr: String,
    sensor_token: String,
    user_token: Option<String>,
    child: Option<Child>,
}

impl Server {
    fn new() -> Server {
        let dir = tempfile::tempdir().expect("temp dir");
        let data = dir.path().join("data");
        let data = data.to_str().expect("utf-8 path");
        add_user(data, "op", "a long test password");
        let out = add_sensor(data, "roof");
        assert!(out.status.success());
        let stdout = String::from_utf8_lossy(&out.stdout);
        let sensor_token = stdout.lines().last().expect("token line").trim().to_owned();
        Server {
            dir,
            addr: format!("127.0.0.1:{}", free_port()),
            sensor_token,
            user_token: None,
            child: None,
        }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn start(&mut self) {
        self.start_with_env(&[]);
    }

    /// Starts the server with extra environment variables (server settings such as
    /// `SKYTRACE_SENSOR_STALE_S`).
    fn start_with_env(&mut self, env: &[(&str, &str)]) {
        let data = self.dir.path().join("data");
        let child = Command::new(BIN)
            .args(["serve", "--data-dir"])
            .arg(&data)
            .args(["--listen", &self.addr])
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("skytrace serve");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        while http(&self.addr, "GET", "/healthz", None, "").is_none() {
            assert!(Instant::now() < deadline, "the server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        let (_, body) = http(
            &self.addr,
            "POST",
            "/api/v1/login",
            None,
            r#"{"username":"op","password":"a long test password"}"#,
        )
        .expect("login");
        let v: serde_json::Value = serde_json::from_str(&body).expect("login answer");
        self.user_token = v["token"].as_str().map(str::to_owned);
    }

    /// SIGKILL, as a crash.
    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.kill().ok();
            c.wait().ok();
        }
    }

    /// The sensor as `GET /api/v1/sensors` shows it.
    fn sensor(&self) -> serde_json::Value {
        let (st, body) = http(
            &self.addr,
            "GET",
            "/api/v1/sensors",
            self.user_token.as_deref(),
            "",
        )
        .expect("GET /api/v1/sensors");
        assert_eq!(st, 200, "{body}");
        let v: serde_json::Value = serde_json::from_str(&body).expect("sensors JSON");
        v[0].clone()
    }

    fn stored(&self) -> u64 {
        self.sensor()["detections_stored"].as_u64().unwrap_or(0)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// `skytrace sensor --server SERVER --token TOKEN --spool-dir SPOOL`, for more flags to be added.
fn sensor_command(server: &str, token: &str, spool: &Path) -> Command {
    let mut c = Command::new(BIN);
    c.args(["sensor", "--server", server, "--token", token])
        .arg("--spool-dir")
        .arg(spool);
    c
}

/// A sensor process; killed on drop.
struct Sensor {
    child: Child,
    status_addr: String,
}

impl Sensor {
    fn start(server: &Server, spool: &Path, extra: &[&str]) -> Sensor {
        let status_addr = format!("127.0.0.1:{}", free_port());
        let child = sensor_command(&server.url(), &server.sensor_token, spool)
            .args([
                "--retry-max-s",
                "1",
                "--heartbeat-s",
                "1",
                "--status-listen",
                &status_addr,
            ])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("skytrace sensor");
        Sensor { child, status_addr }
    }

    /// The local status page, once it answers.
    fn status(&self) -> Option<serde_json::Value> {
        status_at(&self.status_addr)
    }

    fn wait_for(&self, what: &str, timeout: Duration, ok: impl Fn(&serde_json::Value) -> bool) {
        poll(
            timeout,
            Duration::from_millis(50),
            || self.status().is_some_and(|v| ok(&v)),
            || format!("timed out waiting for {what}: {:?}", self.status()),
        );
    }

    /// SIGKILL (the [`Drop`] below).
    fn kill(self) {}

    /// Waits for the sensor to exit on its own (every replay done and acknowledged).
    fn wait_exit(mut self, timeout: Duration) {
        let (child, addr) = (&mut self.child, &self.status_addr);
        let exited = || match child.try_wait().expect("try_wait") {
            Some(st) => {
                assert!(st.success(), "the sensor failed: {st}");
                true
            }
            None => false,
        };
        poll(timeout, Duration::from_millis(100), exited, || {
            format!("the sensor did not finish: {:?}", status_at(addr))
        });
    }
}

/// Calls `done` every `step` until it holds; fails with `failure()` once `timeout` has passed.
fn poll(
    timeout: Duration,
    step: Duration,
    mut done: impl FnMut() -> bool,
    failure: impl Fn() -> String,
) {
    let deadline = Instant::now() + timeout;
    while !done() {
        assert!(Instant::now() < deadline, "{}", failure());
        std::thread::sleep(step);
    }
}

/// The sensor status page at `addr`, once it answers.
fn status_at(addr: &str) -> Option<serde_json::Value> {
    let (_, body) = http(addr, "GET", "/", None, "")?;
    serde_json::from_str(&body).ok()
}

impl Drop for Sensor {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

fn capture_file(name: &str) -> Option<PathBuf> {
    testdata::file("remoteid", name)
}

/// Issue 6 "Done means": the server is killed for 30 s during a replay at 1,000 detections/s and
/// restarted on the same data and port; every detection arrives exactly once.
#[test]
fn server_outage_loses_and_doubles_nothing() {
    let Some(file) = capture_file("herlev_latency-test-YS7-10min.pcapng") else {
        return;
    };
    let passes = 4;
    let expected = passes * detections_in(&file);
    let mut server = Server::new();
    server.start();
    let spool = server.dir.path().join("spool");
    let source = format!("pcap:{}", file.display());
    let loops = passes.to_string();
    let sensor = Sensor::start(
        &server,
        &spool,
        &[
            "--source", &source, "--rate", "1000", "--loop", "--loops", &loops,
        ],
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while server.stored() < 2000 {
        assert!(Instant::now() < deadline, "nothing arrives");
        std::thread::sleep(Duration::from_millis(100));
    }
    server.kill();
    let killed_at = Instant::now();
    // During the outage the spool grows and the sensor says it is offline.
    sensor.wait_for("the spool to grow", Duration::from_secs(20), |s| {
        s["spool"]["depth"].as_u64() > Some(5000) && s["connected"] == false
    });
    std::thread::sleep(Duration::from_secs(30).saturating_sub(killed_at.elapsed()));
    server.start();
    sensor.wait_exit(Duration::from_secs(120));
    assert_eq!(server.stored(), expected, "every detection exactly once");
    let s = server.sensor();
    assert_eq!(s["health"]["spool_depth"], 0, "{s}");
    assert_eq!(s["health"]["spool_dropped_oldest"], 0, "{s}");
    assert_eq!(
        s["counters"][&source]["detections"].as_u64(),
        Some(expected),
        "{s}"
    );
}

/// The sensor is killed (SIGKILL) twice — once while the server is down, with detections only in its
/// spool, and once while delivering — and restarted on the same spool each time. The guarantee: a
/// replay resumes after the last item whose detections the spool committed (the position is committed
/// in the same transaction as the lines), the spool's unacknowledged lines are resent with their
/// sequence numbers, and the server stores each number once; so the server ends with exactly the
/// detections of the file.
#[test]
fn sensor_crash_loses_and_doubles_nothing() {
    let Some(file) = capture_file("herlev_latency-test-YS7.pcapng") else {
        return;
    };
    let expected = detections_in(&file);
    let mut server = Server::new();
    let spool = server.dir.path().join("spool");
    let source = format!("pcap:{}", file.display());
    let args = ["--source", source.as_str(), "--rate", "300"];

    // 1. Server down: everything goes to the spool; killed mid-replay.
    let sensor = Sensor::start(&server, &spool, &args);
    sensor.wait_for("some spooled detections", Duration::from_secs(20), |s| {
        s["spool"]["depth"].as_u64() > Some(200)
    });
    sensor.kill();

    // 2. Server up: the restart delivers the spool and goes on; killed again while delivering.
    server.start();
    let sensor = Sensor::start(&server, &spool, &args);
    let deadline = Instant::now() + Duration::from_secs(30);
    while server.stored() < 500 {
        assert!(
            Instant::now() < deadline,
            "nothing arrives after the restart"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        server.stored() < expected,
        "killed too late to test anything"
    );
    sensor.kill();

    // 3. The last restart finishes the file.
    let sensor = Sensor::start(&server, &spool, &args);
    sensor.wait_exit(Duration::from_secs(60));
    assert_eq!(server.stored(), expected, "nothing lost, nothing doubled");
}

/// A spool limit of 300 lines while the server is down: drop-oldest applies, the drops are counted on the
/// status page and in the heartbeat, and the server stores exactly the 300 survivors.
#[test]
fn full_spool_drops_the_oldest_and_says_so() {
    let Some(file) = capture_file("herlev_latency-test-YS7.pcapng") else {
        return;
    };
    let total = detections_in(&file);
    let limit = 300;
    let mut server = Server::new();
    let spool = server.dir.path().join("spool");
    let source = format!("pcap:{}", file.display());
    let sensor = Sensor::start(
        &server,
        &spool,
        &[
            "--source",
            &source,
            "--rate",
            "20000",
            "--spool-max-rows",
            "300",
        ],
    );
    sensor.wait_for(
        "the replay to fill the spool",
        Duration::from_secs(30),
        |s| {
            s["sources"][&source]["finished"] == true
                && s["spool"]["dropped_oldest"].as_u64() == Some(total - limit)
        },
    );
    let s = sensor.status().expect("status");
    assert_eq!(s["spool"]["depth"].as_u64(), Some(limit), "{s}");
    assert_eq!(
        s["heartbeat"]["health"]["spool_dropped_oldest"].as_u64(),
        Some(total - limit),
        "{s}"
    );
    server.start();
    sensor.wait_exit(Duration::from_secs(60));
    assert_eq!(server.stored(), limit);
    let s = server.sensor();
    assert_eq!(
        s["health"]["spool_dropped_oldest"].as_u64(),
        Some(total - limit),
        "{s}"
    );
    assert_eq!(s["status"], "online", "{s}");
}

/// SIGTERM stops a sensor cleanly: sources stop, the spool is committed, it exits 0 and says what it left.
#[test]
fn sigterm_stops_the_sensor_gracefully() {
    let Some(file) = capture_file("herlev_latency-test-YS7.pcapng") else {
        return;
    };
    let mut server = Server::new();
    server.start();
    let spool = server.dir.path().join("spool");
    let source = format!("pcap:{}", file.display());
    let mut child = sensor_command(&server.url(), &server.sensor_token, &spool)
        .args(["--source", &source, "--rate", "500", "--loop"])
        .stderr(Stdio::piped())
        .spawn()
        .expect("skytrace sensor");
    let deadline = Instant::now() + Duration::from_secs(20);
    while server.stored() < 100 {
        assert!(Instant::now() < deadline, "nothing arrives");
        std::thread::sleep(Duration::from_millis(50));
    }
    let term = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill -TERM");
    assert!(term.success());
    let t = Instant::now();
    let status = child.wait().expect("wait");
    assert!(status.success(), "{status}");
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    let mut err = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut err)
        .expect("stderr");
    assert!(err.contains("sensor stopped"), "{err}");
}

/// A wrong token is fatal and said clearly, not retried forever.
#[test]
fn a_refused_token_stops_the_sensor_with_a_clear_error() {
    let Some(file) = capture_file("odid_wifi_sample.pcap") else {
        return;
    };
    let mut server = Server::new();
    server.start();
    let spool = server.dir.path().join("spool");
    let out = sensor_command(&server.url(), "not-a-token", &spool)
        .args(["--rate", "1000"])
        .arg("--source")
        .arg(format!("pcap:{}", file.display()))
        .output()
        .expect("run sensor");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("refused the sensor's token"), "{err}");
}

/// A live source the binary was built without says how to rebuild, and `--help` explains itself.
#[test]
fn sensor_help_and_missing_features() {
    let out = Command::new(BIN)
        .args(["sensor", "--help"])
        .output()
        .expect("help");
    let text = String::from_utf8_lossy(&out.stdout);
    for word in [
        "--source",
        "pcap:FILE",
        "--spool-dir",
        "--spool-max-mb",
        "--rate",
        "--gpsd",
        "--status-listen",
    ] {
        assert!(text.contains(word), "help lacks {word}");
    }
    let bad = Command::new(BIN)
        .args([
            "sensor",
            "--server",
            "http://127.0.0.1:1",
            "--token",
            "t",
            "--spool-dir",
            "/nonexistent/x",
            "--source",
            "usb:1",
        ])
        .output()
        .expect("run");
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown kind"));
}

/// The records of a classic pcap file: the 24-byte file header, then each record (16-byte record header
/// and its bytes) as written, so a test can hand a capture over in parts.
fn pcap_records(file: &Path) -> (Vec<u8>, Vec<Vec<u8>>) {
    let data = std::fs::read(file).expect("read capture");
    assert_eq!(
        &data[..4],
        &[0xd4, 0xc3, 0xb2, 0xa1],
        "little-endian µs pcap"
    );
    let mut records = Vec::new();
    let mut at = 24;
    while at + 16 <= data.len() {
        let len = u32::from_le_bytes(data[at + 8..at + 12].try_into().expect("4 bytes")) as usize;
        records.push(data[at..at + 16 + len].to_vec());
        at += 16 + len;
    }
    assert_eq!(at, data.len(), "whole records");
    (data[..24].to_vec(), records)
}

/// Issue 6 "Health": the server marks a sensor `degraded` when one of its sources stops producing
/// while its heartbeats go on, and `online` again when frames come back. The source is a real replay
/// reading a FIFO that the test feeds: it blocks on the read when the test stops writing, exactly as a
/// live interface that hears nothing, and the sensor keeps heartbeating. Closing the FIFO ends the
/// replay cleanly, which is not a fault (the sensor exits once everything is acknowledged).
#[test]
fn a_source_that_stops_producing_makes_the_sensor_degraded() {
    let Some(file) = capture_file("odid_wifi_bcn_sample.pcap") else {
        return;
    };
    let (header, records) = pcap_records(&file);
    let mut server = Server::new();
    server.start_with_env(&[
        ("SKYTRACE_SENSOR_STALE_S", "2"),
        ("SKYTRACE_SENSOR_OFFLINE_S", "60"),
    ]);
    let fifo = server.dir.path().join("wifi.fifo");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    let spool = server.dir.path().join("spool");
    let source = format!("pcap:{}", fifo.display());
    let sensor = Sensor::start(&server, &spool, &["--source", &source, "--rate", "1000"]);
    // Opening the write end waits for the sensor to open the read end.
    let (tx, rx) = std::sync::mpsc::channel();
    let path = fifo.clone();
    std::thread::spawn(move || {
        let _ = tx.send(std::fs::OpenOptions::new().write(true).open(path));
    });
    let mut feed = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the sensor opens the FIFO")
        .expect("open the FIFO for writing");
    let status = |server: &Server| server.sensor()["status"].as_str().map(str::to_owned);
    let frames = |server: &Server| server.sensor()["counters"][&source]["frames"].as_u64();
    let wait = |what: &str, ok: &dyn Fn() -> bool| {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !ok() {
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}: {}",
                server.sensor()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    };

    // The capture, over and over: `capture` reads up to 64 KiB before it recognises the format, so the
    // first part is more than that. Every pass is the same frames (the replay at a set rate stamps
    // them with the wall clock).
    let pass_bytes: usize = records.iter().map(Vec::len).sum();
    let first_passes = (64 << 10) / pass_bytes + 2;
    let write_passes = |feed: &mut std::fs::File, n: usize| {
        for _ in 0..n {
            for r in &records {
                feed.write_all(r).expect("write");
            }
        }
        feed.flush().expect("flush");
    };
    feed.write_all(&header).expect("write");
    write_passes(&mut feed, first_passes);
    let first = (first_passes * records.len()) as u64;
    wait("the first part's frames, online", &|| {
        frames(&server) == Some(first) && status(&server).as_deref() == Some("online")
    });
    // Nothing more is written: the frame counter stands still while heartbeats keep arriving.
    wait("degraded", &|| {
        status(&server).as_deref() == Some("degraded")
    });
    // Only once the frames stood still for the stale interval (the server's own record of when the
    // counter last moved; server and test share the clock).
    let s = server.sensor();
    let changed_ms = s["counters"][&source]["frames_changed_ms"]
        .as_i64()
        .expect("frames_changed_ms");
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_millis() as i64;
    assert!(now_ms - changed_ms > 2000, "{now_ms} {s}");
    assert_eq!(s["counters"][&source]["finished"], false, "{s}");
    assert_eq!(
        s["counters"][&source]["frames"].as_u64(),
        Some(first),
        "{s}"
    );

    // Frames again: online again.
    write_passes(&mut feed, 1);
    wait("one more pass's frames, online again", &|| {
        frames(&server) == Some(first + records.len() as u64)
            && status(&server).as_deref() == Some("online")
    });
    // The end of the stream: the replay finishes cleanly, which is no fault.
    drop(feed);
    sensor.wait_exit(Duration::from_secs(30));
    let s = server.sensor();
    assert_eq!(s["counters"][&source]["finished"], true, "{s}");
    assert_eq!(
        server.stored(),
        (first_passes as u64 + 1) * detections_in(&file),
        "every detection written to the FIFO stored"
    );
}
