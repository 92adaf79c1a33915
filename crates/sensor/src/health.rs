//! Health: what the sensor says about itself in heartbeats (`POST /api/v1/heartbeat`), on the status line
//! and on the local status page — position (fixed or from gpsd), per-source counters, spool depth and
//! drops, uplink state, clock offset, CPU temperature, software version.

use crate::events::{SourceCounters, SourceSnapshot};
use crate::spool::SpoolStats;
use crate::uplink::{Http, UplinkCounters};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The sensor's position.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Position {
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub alt_m: Option<f64>,
}

/// Sensor-wide health, sent next to the per-source counters.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Health {
    pub spool_depth: u64,
    pub spool_bytes: u64,
    pub spool_dropped_oldest: u64,
    pub dead_letters: u64,
    pub acknowledged: u64,
    pub uplink_failures: u64,
    /// Server clock minus sensor clock, milliseconds (±0.5 s: HTTP dates have one-second resolution).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clock_offset_ms: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_temp_c: Option<f64>,
    /// Where the position comes from: `fixed`, `gpsd` or `none`.
    pub position_source: &'static str,
}

/// A heartbeat as the server takes it.
#[derive(Debug, Clone, Serialize)]
pub struct Heartbeat {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lat: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lon: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alt_m: Option<f64>,
    pub counters: BTreeMap<String, SourceSnapshot>,
    pub version: &'static str,
    pub health: Health,
}

/// The highest temperature among `/sys/class/thermal/thermal_zone*/temp` (millidegrees), in °C.
pub fn cpu_temp_c(root: &Path) -> Option<f64> {
    let mut best: Option<f64> = None;
    for e in std::fs::read_dir(root).ok()?.flatten() {
        if !e.file_name().to_string_lossy().starts_with("thermal_zone") {
            continue;
        }
        let Ok(s) = std::fs::read_to_string(e.path().join("temp")) else {
            continue;
        };
        if let Ok(milli) = s.trim().parse::<i64>() {
            let c = milli as f64 / 1000.0;
            if (-60.0..200.0).contains(&c) {
                best = Some(best.map_or(c, |b: f64| b.max(c)));
            }
        }
    }
    best
}

/// Reads one fix from gpsd (JSON protocol): sends `?WATCH={"enable":true,"json":true}` and waits for a TPV
/// report with a 2D or 3D fix, at most `timeout`.
///
/// # Errors
///
/// gpsd is not reachable, closes the connection, or gives no fix in time (the message says which).
pub fn gpsd_fix(addr: &str, timeout: Duration) -> Result<Position, String> {
    let sock = addr
        .parse::<std::net::SocketAddr>()
        .map_err(|e| format!("gpsd address {addr}: {e}"))?;
    let mut s =
        TcpStream::connect_timeout(&sock, timeout).map_err(|e| format!("gpsd {addr}: {e}"))?;
    s.set_read_timeout(Some(timeout))
        .map_err(|e| format!("gpsd {addr}: {e}"))?;
    s.write_all(b"?WATCH={\"enable\":true,\"json\":true};\n")
        .map_err(|e| format!("gpsd {addr}: {e}"))?;
    let deadline = std::time::Instant::now() + timeout;
    let mut r = BufReader::new(s);
    let mut line = String::new();
    while std::time::Instant::now() < deadline {
        line.clear();
        match r.read_line(&mut line) {
            Ok(0) => return Err(format!("gpsd {addr}: connection closed")),
            Ok(_) => {}
            Err(e) => return Err(format!("gpsd {addr}: {e}")),
        }
        if let Some(p) = parse_tpv(&line) {
            return Ok(p);
        }
    }
    Err(format!("gpsd {addr}: no fix within {timeout:?}"))
}

/// A gpsd TPV report with a fix (mode 2 or 3) → position; anything else → `None`.
pub fn parse_tpv(line: &str) -> Option<Position> {
    let v: serde_json::Value = serde_json::from_str(line.trim()).ok()?;
    if v["class"] != "TPV" || v["mode"].as_i64().unwrap_or(0) < 2 {
        return None;
    }
    let lat = v["lat"].as_f64().filter(|x| x.abs() <= 90.0)?;
    let lon = v["lon"].as_f64().filter(|x| x.abs() <= 180.0)?;
    let alt = if v["mode"] == 3 {
        v["altMSL"].as_f64().or_else(|| v["alt"].as_f64())
    } else {
        None
    };
    Some(Position {
        lat: Some(lat),
        lon: Some(lon),
        alt_m: alt,
    })
}

/// Everything the health reports read, shared by the pipeline's threads.
pub struct Monitor {
    pub sources: Vec<Arc<SourceCounters>>,
    pub spool: Arc<Mutex<crate::spool::Spool>>,
    pub uplink: Arc<UplinkCounters>,
    pub http: Http,
    pub position: Mutex<Position>,
    pub position_source: &'static str,
    pub started: std::time::Instant,
}

/// The local status: what the status page serves and the status line prints.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    pub uptime_s: u64,
    pub connected: bool,
    pub batches_sent: u64,
    pub lines_sent: u64,
    pub spool: SpoolStats,
    pub sources: BTreeMap<String, SourceSnapshot>,
    pub heartbeat: Heartbeat,
}

impl Monitor {
    pub fn spool_stats(&self) -> SpoolStats {
        self.spool.lock().unwrap_or_else(|p| p.into_inner()).stats()
    }

    pub fn heartbeat(&self) -> Heartbeat {
        let sp = self.spool_stats();
        let pos = *self.position.lock().unwrap_or_else(|p| p.into_inner());
        Heartbeat {
            lat: pos.lat,
            lon: pos.lon,
            alt_m: pos.alt_m,
            counters: self
                .sources
                .iter()
                .map(|s| (s.name.clone(), s.snapshot()))
                .collect(),
            version: env!("CARGO_PKG_VERSION"),
            health: Health {
                spool_depth: sp.depth,
                spool_bytes: sp.bytes,
                spool_dropped_oldest: sp.dropped_oldest,
                dead_letters: sp.dead_letters,
                acknowledged: sp.acknowledged,
                uplink_failures: self.uplink.failures.load(Ordering::Relaxed),
                clock_offset_ms: self
                    .http
                    .clock_known
                    .load(Ordering::Relaxed)
                    .then(|| self.http.clock_offset_ms.load(Ordering::Relaxed)),
                cpu_temp_c: cpu_temp_c(Path::new("/sys/class/thermal")),
                position_source: self.position_source,
            },
        }
    }

    pub fn status(&self) -> Status {
        let hb = self.heartbeat();
        Status {
            uptime_s: self.started.elapsed().as_secs(),
            connected: self.uplink.connected.load(Ordering::Relaxed),
            batches_sent: self.uplink.batches.load(Ordering::Relaxed),
            lines_sent: self.uplink.lines.load(Ordering::Relaxed),
            spool: self.spool_stats(),
            sources: hb.counters.clone(),
            heartbeat: hb,
        }
    }

    /// One line for a terminal.
    pub fn status_line(&self) -> String {
        let st = self.status();
        let (frames, dets, errs) = st.sources.values().fold((0, 0, 0), |a, s| {
            (a.0 + s.frames, a.1 + s.detections, a.2 + s.errors)
        });
        format!(
            "sensor: {} | frames {frames} detections {dets} errors {errs} | spool {} ({} KiB) dropped-oldest {} dead {} | sent {}",
            if st.connected { "connected" } else { "OFFLINE" },
            st.spool.depth,
            st.spool.bytes / 1024,
            st.spool.dropped_oldest,
            st.spool.dead_letters,
            st.lines_sent,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gpsd_reports() {
        let check = |line: &str, want: Option<(f64, f64, Option<f64>)>| {
            let got = parse_tpv(line).map(|p| (p.lat.unwrap(), p.lon.unwrap(), p.alt_m));
            assert_eq!(got, want, "{line}");
        };
        check(
            r#"{"class":"TPV","device":"/dev/ttyACM0","mode":3,"lat":55.36,"lon":10.43,"altMSL":31.5}"#,
            Some((55.36, 10.43, Some(31.5))),
        );
        check(
            r#"{"class":"TPV","mode":2,"lat":55.36,"lon":10.43,"alt":31.5}"#,
            Some((55.36, 10.43, None)),
        );
        check(r#"{"class":"TPV","mode":1}"#, None);
        check(r#"{"class":"SKY","mode":3,"lat":1,"lon":1}"#, None);
        check(r#"{"class":"TPV","mode":3,"lat":95,"lon":1}"#, None);
        check("not json", None);
    }

    #[test]
    fn gpsd_over_a_socket() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap().to_string();
        let t = std::thread::spawn(move || {
            let (mut s, _) = l.accept().unwrap();
            let mut buf = [0u8; 64];
            let _ = std::io::Read::read(&mut s, &mut buf);
            s.write_all(b"{\"class\":\"VERSION\"}\n{\"class\":\"TPV\",\"mode\":3,\"lat\":1.5,\"lon\":2.5,\"alt\":3}\n")
                .unwrap();
        });
        let p = gpsd_fix(&addr, Duration::from_secs(5)).unwrap();
        assert_eq!((p.lat, p.lon, p.alt_m), (Some(1.5), Some(2.5), Some(3.0)));
        t.join().unwrap();
        assert!(gpsd_fix("127.0.0.1:1", Duration::from_millis(200)).is_err());
    }

    #[test]
    fn thermal_zones() {
        let d = tempfile::tempdir().unwrap();
        assert_eq!(cpu_temp_c(d.path()), None);
        for (z, t) in [
            ("thermal_zone0", "41500\n"),
            ("thermal_zone1", "52000\n"),
            ("cooling_device0", "99000"),
        ] {
            std::fs::create_dir(d.path().join(z)).unwrap();
            std::fs::write(d.path().join(z).join("temp"), t).unwrap();
        }
        assert_eq!(cpu_temp_c(d.path()), Some(52.0));
    }
}
