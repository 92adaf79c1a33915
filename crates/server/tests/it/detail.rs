//! Everything the tracker knows reaches the API, on a real capture: `odid_wifi_bcn_sample.pcap` (21 ESP32
//! beacons, each a pack of Basic ID "MFG1A0123456789" (type 0, UA type 0), Location, Self-ID
//! "Recreational", System (operator location type 0 = take-off) and Operator ID "GBR-OP-123ABCD"; the
//! values asserted are those of `odid_wifi_bcn_sample.pcap.txt`), decoded as `skytrace decode` does and
//! posted to a real server on 127.0.0.1. The detail survives a restart and the restored track keeps it.

use crate::common::{fixture, serve, Served};
use contract::{DetectionLine, Options};
use reqwest::StatusCode;
use serde_json::Value;
use server::{AppState, Config};

/// The capture's detection lines, or `None` when the test data is not present.
fn capture_lines(name: &str) -> Option<Vec<DetectionLine>> {
    let path = testdata::file("remoteid", name)?;
    let dec = capture::open(&path).expect("open capture");
    let mut out = Vec::new();
    for ev in dec {
        if let capture::Event::Detection(d) = ev.expect("decode") {
            out.push(DetectionLine::from_detection(&d, &Options::default()));
        }
    }
    Some(out)
}

fn body(lines: &[DetectionLine]) -> String {
    lines.iter().map(|l| l.to_json() + "\n").collect()
}

/// The requests this file makes, on the shared real-server fixture.
impl Served {
    async fn tracks(&self, token: &str) -> Vec<Value> {
        let r = self
            .client
            .get(format!("{}/tracks", self.base))
            .bearer_auth(token)
            .send()
            .await
            .expect("get");
        assert_eq!(r.status(), StatusCode::OK);
        let v: Value = r.json().await.expect("json");
        v.as_array().expect("array").clone()
    }

    async fn ingest(&self, token: &str, seq: i64, body: String) {
        let (st, ack) = self.ingest_as(token, seq, body).await;
        assert_eq!(st, StatusCode::OK, "{ack}");
    }

    async fn put_lists(&self, token: &str, allow: &[&str]) {
        let r = self
            .client
            .put(format!("{}/lists", self.base))
            .bearer_auth(token)
            .json(&serde_json::json!({ "allowlist": allow, "watchlist": [] }))
            .send()
            .await
            .expect("lists");
        assert_eq!(r.status(), StatusCode::OK, "{:?}", r.text().await);
    }
}

/// The fields the capture's last pack gives (last Location: direction 280, speed 20.5, vspeed 63.0 =
/// unknown, alt_geo 237, height 100 above take-off, alt_baro -1000 = unknown).
fn assert_aircraft(t: &Value) {
    assert_eq!(t["uas_id"].as_str(), Some("MFG1A0123456789"), "{t}");
    assert_eq!(t["speed_mps"].as_f64(), Some(20.5), "{t}");
    assert_eq!(t["heading_deg"].as_f64(), Some(280.0), "{t}");
    // Vertical speed 63 m/s is F3411's "unknown" value.
    assert!(t["climb_mps"].is_null(), "{t}");
    assert_eq!(t["alt_geo_m"].as_f64(), Some(237.0), "{t}");
    assert_eq!(t["alt_m"].as_f64(), Some(237.0), "{t}");
    assert!(t["alt_baro_m"].is_null(), "{t}");
    assert_eq!(t["height_m"].as_f64(), Some(100.0), "{t}");
    assert!(t["height_agl_m"].is_null(), "{t}");
    assert_eq!(t["ua_type"].as_str(), Some("none"), "{t}");
    assert_eq!(t["self_id"].as_str(), Some("Recreational"), "{t}");
    assert_eq!(t["operator_id"].as_str(), Some("GBR-OP-123ABCD"), "{t}");
    assert!(t["model"].is_null() && t["registration"].is_null(), "{t}");
    assert!(
        t["session_id"].is_null() && t["dji_serial"].is_null(),
        "{t}"
    );
    assert_eq!(t["auth_pages"].as_u64(), Some(0), "{t}");
    // Location timestamp 0 tenths after the hour, resolved to the hour nearest the reception (21:52 UTC).
    assert_eq!(
        t["last_reported"].as_str(),
        Some("2021-05-21T22:00:00Z"),
        "{t}"
    );
    let seen = t["sensors_seen"].as_array().expect("sensors_seen");
    assert_eq!(seen.len(), 1, "{t}");
    assert_eq!(seen[0]["name"].as_str(), Some("mast-1"));
    assert_eq!(seen[0]["last_seen"], t["last_seen"], "{t}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_capture_gives_every_field_and_a_restart_keeps_them() {
    let Some(lines) = capture_lines("odid_wifi_bcn_sample.pcap") else {
        return;
    };
    assert_eq!(lines.len(), 21);
    let f = fixture(Config::default()).await;
    let s = serve(f.state.clone()).await;
    let (op, viewer) = (s.login("op").await, s.login("viewer").await);
    s.ingest(&f.sensor_token, 1, body(&lines)).await;

    let t = s.tracks(&op).await;
    assert_eq!(t.len(), 1, "{t:?}");
    assert_aircraft(&t[0]);
    assert_eq!(t[0]["detections"].as_i64(), Some(21));
    assert_eq!(t[0]["pilot_kind"].as_str(), Some("takeoff"), "{}", t[0]);
    assert_eq!(
        (t[0]["operator_lat"].as_f64(), t[0]["operator_lon"].as_f64()),
        (Some(45.5443876), Some(-122.9726866))
    );
    assert_eq!(t[0]["allowlisted"].as_bool(), Some(false));
    let rssi = t[0]["sensors_seen"][0]["rssi_dbm"].clone();
    assert_eq!(rssi.as_f64(), lines[20].rssi_dbm, "the last frame's RSSI");

    // A viewer sees the aircraft's detail and the operator ID, not the pilot position nor its kind.
    let v = s.tracks(&viewer).await;
    assert_aircraft(&v[0]);
    assert!(
        v[0]["pilot_kind"].is_null() && v[0]["operator_lat"].is_null(),
        "{}",
        v[0]
    );
    assert!(v[0]["operator_alt_m"].is_null() && v[0]["home_lat"].is_null());

    // The GeoJSON export names the aircraft with the same detail; no pilot position is exported.
    let r = s
        .client
        .get(format!(
            "{}/export/tracks/{}?format=geojson",
            s.base, t[0]["id"]
        ))
        .bearer_auth(&op)
        .send()
        .await
        .expect("export");
    assert_eq!(r.status(), StatusCode::OK);
    let g: Value = r.json().await.expect("geojson");
    let props = &g["features"][0]["properties"];
    assert_eq!(
        (
            props["operator_id"].as_str(),
            props["self_id"].as_str(),
            props["ua_type"].as_str()
        ),
        (Some("GBR-OP-123ABCD"), Some("Recreational"), Some("none")),
        "{g}"
    );
    // The exported path is the stored one: the 21 positions (every ~400 ms), thinned to one per
    // `store::POINT_EVERY_MS` of reported time.
    let mut kept: Vec<i64> = Vec::new();
    for l in &lines {
        let t = i64::try_from(l.time.unix_timestamp_nanos() / 1_000_000).expect("time");
        if kept.last().is_none_or(|k| t - k >= store::POINT_EVERY_MS) {
            kept.push(t);
        }
    }
    assert!(kept.len() > 10 && kept.len() < 21, "{kept:?}");
    assert_eq!(
        g["features"][0]["geometry"]["coordinates"]
            .as_array()
            .map(Vec::len),
        Some(kept.len())
    );

    // The OpenAPI document describes every field a track has.
    let r = s
        .client
        .get(format!("{}/openapi.json", s.base))
        .send()
        .await
        .expect("openapi");
    let doc: Value = r.json().await.expect("json");
    let schema = &doc["components"]["schemas"]["Track"]["properties"];
    for k in t[0].as_object().expect("object").keys() {
        assert!(schema.get(k).is_some(), "{k} missing from the Track schema");
    }

    // On the allowlist by operator ID: the REST answer follows the lists at once.
    s.put_lists(&op, &["operator-id:GBR-OP-123ABCD"]).await;
    assert_eq!(s.tracks(&op).await[0]["allowlisted"].as_bool(), Some(true));
    s.stop().await;

    // Restart on the same data directory: the row reads back, and the restored track keeps the detail
    // when a Location-only frame (no Basic ID, System, Self-ID nor Operator ID) continues it.
    let dir = f._dir;
    drop(f.state);
    let store = store::Store::open(dir.path()).expect("reopen");
    let state = AppState::new(store, Config::default(), server::system_clock()).expect("state");
    let s = serve(state).await;
    let op = s.login("op").await;
    let t = s.tracks(&op).await;
    assert_aircraft(&t[0]);
    assert_eq!(t[0]["pilot_kind"].as_str(), Some("takeoff"));
    assert_eq!(t[0]["allowlisted"].as_bool(), Some(true));

    let mut more = lines[20].clone();
    more.time += time::Duration::seconds(1);
    more.messages
        .retain(|m| matches!(m, contract::Message::Location(_)));
    assert_eq!(more.messages.len(), 1);
    s.ingest(&f.sensor_token, 100, body(&[more])).await;
    let t = s.tracks(&op).await;
    assert_eq!(t.len(), 1, "{t:?}");
    assert_eq!(t[0]["detections"].as_i64(), Some(22));
    assert_eq!(
        t[0]["operator_id"].as_str(),
        Some("GBR-OP-123ABCD"),
        "{}",
        t[0]
    );
    assert_eq!(t[0]["self_id"].as_str(), Some("Recreational"));
    assert_eq!(t[0]["pilot_kind"].as_str(), Some("takeoff"));
    assert_eq!(t[0]["ua_type"].as_str(), Some("none"));
    assert_eq!(t[0]["allowlisted"].as_bool(), Some(true));
    assert_eq!(t[0]["sensors_seen"][0]["rssi_dbm"], rssi);
    s.stop().await;
}
