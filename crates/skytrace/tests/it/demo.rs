//! `skytrace demo` end to end: the binary as a child on a free port; the printed console address signs the
//! demo user in; tracks with positions, alerts and an online sensor appear within seconds, from the real
//! captures and from simulated aircraft; SIGTERM stops it and removes its temporary database.

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A `GET` on loopback with a bearer token: the status and the JSON body.
fn get(addr: &str, path: &str, token: &str) -> (u16, Value) {
    let mut s = std::net::TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(30))).ok();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    )
    .expect("write");
    let mut resp = String::new();
    s.read_to_string(&mut resp).expect("read");
    let status = resp
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = resp.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

struct Demo {
    child: Child,
    banner: Vec<String>,
    addr: String,
    token: String,
}

/// Starts `skytrace demo --listen 127.0.0.1:0 --no-open` and reads its banner up to the console URL.
fn start(env: &[(&str, &std::ffi::OsStr)], extra: &[&str]) -> Demo {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_skytrace"));
    cmd.args(["demo", "--listen", "127.0.0.1:0", "--no-open"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("spawn skytrace demo");
    let out = child.stdout.take().expect("stdout");
    let mut banner = Vec::new();
    let mut url = None;
    for line in BufReader::new(out).lines() {
        let line = line.expect("banner line");
        banner.push(line.clone());
        if line.starts_with("http://") {
            url = Some(line);
            break;
        }
    }
    let url = url.unwrap_or_else(|| panic!("no console URL in the banner: {banner:#?}"));
    let rest = url.strip_prefix("http://").expect("http");
    let (addr, token) = rest.split_once("/#session=").expect("#session= in the URL");
    assert!(
        !addr.ends_with(":0"),
        "the printed port must be the real one: {url}"
    );
    Demo {
        child,
        addr: addr.to_owned(),
        token: token.to_owned(),
        banner,
    }
}

impl Demo {
    fn field(&self, name: &str) -> String {
        self.banner
            .iter()
            .find_map(|l| l.trim_start().strip_prefix(name))
            .unwrap_or_else(|| panic!("no {name} line in {:#?}", self.banner))
            .trim()
            .to_owned()
    }

    /// Polls the API until tracks with positions, alerts and an online sensor are there, or 90 s pass.
    /// Returns the tracks.
    fn wait_for_live_picture(&self) -> Vec<Value> {
        let (status, me) = get(&self.addr, "/api/v1/me", &self.token);
        assert_eq!(status, 200, "the session token signs in: {me}");
        assert_eq!(me["name"], "demo");
        assert_eq!(me["role"], "operator");
        let deadline = Instant::now() + Duration::from_secs(90);
        let mut last = (Value::Null, Value::Null, Value::Null);
        while Instant::now() < deadline {
            let (_, tracks) = get(&self.addr, "/api/v1/tracks", &self.token);
            let (_, alerts) = get(&self.addr, "/api/v1/alerts", &self.token);
            let (_, sensors) = get(&self.addr, "/api/v1/sensors", &self.token);
            let placed: Vec<Value> = tracks
                .as_array()
                .map(|a| a.iter().filter(|t| t["lat"].is_f64()).cloned().collect())
                .unwrap_or_default();
            let alerted = alerts.as_array().is_some_and(|a| !a.is_empty());
            let online = sensors.as_array().is_some_and(|a| {
                a.iter()
                    .any(|s| s["name"] == "demo-sensor" && s["status"] == "online")
            });
            if !placed.is_empty() && alerted && online {
                return placed;
            }
            last = (tracks, alerts, sensors);
            std::thread::sleep(Duration::from_millis(500));
        }
        panic!(
            "no live picture within 90 s: tracks {}, alerts {}, sensors {}",
            last.0, last.1, last.2
        );
    }

    /// SIGTERM, then the process must end cleanly and its temporary database be gone.
    fn stop(mut self) {
        let db = std::path::PathBuf::from(
            self.field("database")
                .trim_end_matches("(removed on exit)")
                .trim(),
        );
        assert!(db.is_dir(), "{} exists while running", db.display());
        let pid = self.child.id().to_string();
        let killed = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill");
        assert!(killed.success());
        let deadline = Instant::now() + Duration::from_secs(30);
        let status = loop {
            if let Some(s) = self.child.try_wait().expect("wait") {
                break s;
            }
            if Instant::now() > deadline {
                self.child.kill().ok();
                panic!("skytrace demo did not stop within 30 s of SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(100));
        };
        assert!(status.success(), "exit status {status}");
        assert!(!db.exists(), "{} is still there", db.display());
    }
}

#[test]
fn demo_replays_the_real_captures_live() {
    let Some(_) = testdata::dir("remoteid") else {
        return;
    };
    let root = testdata::root();
    let d = start(&[], &["--data", root.to_str().expect("utf-8 path")]);
    assert!(d.field("data").contains("real captures"), "{:#?}", d.banner);
    assert!(d.field("zones").contains("Demo zone"), "{:#?}", d.banner);
    let tracks = d.wait_for_live_picture();
    // The tracks are live: seen in the last minute, not at the captures' original dates.
    let (_, active) = get(&d.addr, "/api/v1/tracks?active=true", &d.token);
    assert!(
        active.as_array().is_some_and(|a| !a.is_empty()),
        "no active track: {tracks:?}"
    );
    d.stop();
}

#[test]
fn demo_without_data_flies_simulated_aircraft_with_pilots_and_home_points() {
    let empty = std::env::temp_dir().join(format!("skytrace-demo-empty-{}", std::process::id()));
    std::fs::create_dir_all(&empty).expect("mkdir");
    let d = start(&[("SKYTRACE_DATA", empty.as_os_str())], &[]);
    assert!(
        d.field("data").contains("simulating 6 aircraft"),
        "{:#?}",
        d.banner
    );
    let tracks = d.wait_for_live_picture();
    // Every simulated aircraft reports its pilot; the DJI ones their home point too. Wait for all six.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut tracks = tracks;
    while tracks.len() < 6 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(500));
        tracks = get(&d.addr, "/api/v1/tracks", &d.token)
            .1
            .as_array()
            .cloned()
            .unwrap_or_default();
    }
    assert_eq!(tracks.len(), 6, "{tracks:#?}");
    assert!(
        tracks.iter().all(|t| t["operator_lat"].is_f64()),
        "{tracks:#?}"
    );
    assert_eq!(
        tracks.iter().filter(|t| t["home_lat"].is_f64()).count(),
        2,
        "{tracks:#?}"
    );
    d.stop();
    std::fs::remove_dir_all(&empty).ok();
}

#[test]
fn demo_says_clearly_when_the_address_is_taken() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("addr").to_string();
    let out = Command::new(env!("CARGO_BIN_EXE_skytrace"))
        .args(["demo", "--no-open", "--listen", &addr])
        .output()
        .expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("{addr} is already in use")), "{err}");
    assert!(err.contains("--listen"), "{err}");
}
