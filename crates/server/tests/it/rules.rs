//! The alert rules and track life cycle through the API, on a controlled clock: zone enter, in-zone,
//! pilot-in-zone, dwell and exit; the allowlist and watchlist set through `/lists`; unknown aircraft;
//! lost and closed tracks after the tracker's timeouts.

use crate::common::{batch, call, fixture_with_clock, line, location_on};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{json, Value};
use server::Config;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

/// 2026-01-01T12:00:00Z.
const T0: i64 = 1_767_268_800_000;

fn req(method: &str, uri: &str, token: &str, body: Option<Value>) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(uri)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(body.map_or_else(Body::empty, |b| Body::from(b.to_string())))
        .expect("request")
}

/// A Wi-Fi frame with a serial Basic ID, a Location and the pilot's live position.
fn frame(t: i64, mac: &str, serial: &str, at: (f64, f64), pilot: (f64, f64)) -> String {
    line(json!({
        "time": server::rfc3339(t), "frame": 1, "transport": "wifi-beacon", "mac": mac,
        "messages": [
            { "type": "basic-id", "id_type": 1, "uas_id": serial },
            { "type": "location", "lat": at.0, "lon": at.1, "alt_geo_m": 80.0 },
            { "type": "system", "operator_location_type": 1, "operator_lat": pilot.0, "operator_lon": pilot.1 }
        ]
    }))
}

#[tokio::test]
async fn zone_list_and_unknown_rules_fire_on_the_aircraft_clock_and_tracks_time_out() {
    let clock = Arc::new(AtomicI64::new(T0));
    let c = clock.clone();
    let config = Config {
        alert_unknown: true,
        alert_dwell_s: 10,
        ..Config::default()
    };
    let f = fixture_with_clock(config, Arc::new(move || c.load(Ordering::SeqCst))).await;
    let s = &f.state;
    let (_, login) = call(
        s,
        Request::post("/api/v1/login")
            .header("content-type", "application/json")
            .body(Body::from(
                json!({ "username": "op", "password": crate::common::PASSWORD }).to_string(),
            ))
            .expect("request"),
    )
    .await;
    let op = login["token"].as_str().expect("token").to_owned();

    // A 500 m circle around (48.86, 2.35), 0-150 m.
    let zone = json!({ "type": "Feature", "geometry": { "type": "Point", "coordinates": [2.35, 48.86] },
        "properties": { "name": "Louvre", "restriction": "prohibited", "radius_m": 500.0 } });
    let (st, z) = call(s, req("POST", "/api/v1/zones", &op, Some(zone))).await;
    assert_eq!(st, StatusCode::OK, "{z}");
    let zone_id = z["id"].as_i64().expect("zone id");

    // Lists: refused with a bad kind, then set.
    let (st, e) = call(
        s,
        req(
            "PUT",
            "/api/v1/lists",
            &op,
            Some(json!({ "allowlist": ["plate:X"] })),
        ),
    )
    .await;
    assert_eq!(
        (st, e["error"].as_str()),
        (
            StatusCode::BAD_REQUEST,
            Some("\"plate:X\": unknown identity kind \"plate\"")
        )
    );
    let lists = json!({ "allowlist": ["serial:FRIEND-1"], "watchlist": ["serial:WATCH-1"] });
    let (st, v) = call(s, req("PUT", "/api/v1/lists", &op, Some(lists.clone()))).await;
    assert_eq!((st, &v), (StatusCode::OK, &lists));
    assert_eq!(
        s.store
            .setting(server::fusion::WATCHLIST_KEY)
            .expect("read"),
        Some(r#"["serial:WATCH-1"]"#.to_owned())
    );

    let inside = (48.8601, 2.3501);
    let outside = (48.90, 2.35);
    let pilot_in = (48.8602, 2.3499);
    let sensor = s
        .store
        .sensor_for_token(&f.sensor_token)
        .expect("read")
        .expect("sensor");
    let lines = [
        // The friend flies inside the zone: allowlisted, never alerts.
        frame(T0, "aa:00:00:00:00:01", "FRIEND-1", inside, pilot_in),
        // The watched aircraft starts outside, its pilot too...
        frame(T0, "aa:00:00:00:00:02", "WATCH-1", outside, outside),
        // ... enters 1 s later, pilot now inside ...
        frame(T0 + 1_000, "aa:00:00:00:00:02", "WATCH-1", inside, pilot_in),
        // ... is still inside 12 s after entering (dwell is 10 s) ...
        frame(
            T0 + 13_000,
            "aa:00:00:00:00:02",
            "WATCH-1",
            inside,
            pilot_in,
        ),
        // ... and leaves.
        frame(
            T0 + 14_000,
            "aa:00:00:00:00:02",
            "WATCH-1",
            outside,
            pilot_in,
        ),
    ];
    server::routes::ingest::ingest_batch(s, &sensor, 1, &batch(&lines))
        .await
        .expect("ingest");

    let (_, alerts) = call(s, req("GET", "/api/v1/alerts", &op, None)).await;
    let tracks = s.store.tracks(None).expect("tracks");
    let watched = tracks
        .iter()
        .find(|t| t.uas_id.as_deref() == Some("WATCH-1"))
        .expect("watched track")
        .id;
    let mut got: Vec<(String, Option<i64>, Option<i64>, i64)> = alerts
        .as_array()
        .expect("array")
        .iter()
        .map(|a| {
            let t = a["time"].as_str().unwrap_or_default();
            let ms = time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
                .map(|t| (t.unix_timestamp_nanos() / 1_000_000) as i64 - T0)
                .unwrap_or(-1);
            (
                a["kind"].as_str().unwrap_or_default().to_owned(),
                a["zone"].as_i64(),
                a["track"].as_i64(),
                ms,
            )
        })
        .collect();
    got.sort_by_key(|a| (a.3, a.0.clone()));
    let w = Some(watched);
    let z = Some(zone_id);
    let want: Vec<(String, Option<i64>, Option<i64>, i64)> = vec![
        ("unknown-aircraft".into(), None, w, 0),
        ("watchlist".into(), None, w, 0),
        ("aircraft-in-zone".into(), z, w, 1_000),
        ("pilot-in-zone".into(), z, w, 1_000),
        ("zone-enter".into(), z, w, 1_000),
        ("dwell".into(), z, w, 13_000),
        ("zone-exit".into(), z, w, 14_000),
    ];
    assert_eq!(got, want, "{alerts}");

    // Acknowledged by whom and when.
    let first = alerts[0]["id"].as_i64().expect("id");
    clock.store(T0 + 20_000, Ordering::SeqCst);
    let (st, a) = call(
        s,
        req("POST", &format!("/api/v1/alerts/{first}/ack"), &op, None),
    )
    .await;
    assert_eq!(
        (st, a["ack_by"].as_str(), a["ack_at"].as_str()),
        (StatusCode::OK, Some("op"), Some("2026-01-01T12:00:20Z"))
    );

    // Timeouts run on the server clock: lost after 30 s without a broadcast, closed after 300 s.
    let states = |s: &server::AppState| {
        let mut v: Vec<(Option<String>, String)> = s
            .store
            .tracks(None)
            .expect("tracks")
            .into_iter()
            .map(|t| (t.uas_id, t.state))
            .collect();
        v.sort();
        v
    };
    clock.store(T0 + 31_000, Ordering::SeqCst);
    server::routes::ingest::tick(s).await;
    assert_eq!(
        states(s),
        vec![
            (Some("FRIEND-1".into()), "lost".into()),
            (Some("WATCH-1".into()), "lost".into())
        ]
    );
    clock.store(T0 + 301_000, Ordering::SeqCst);
    server::routes::ingest::tick(s).await;
    assert_eq!(
        states(s),
        vec![
            (Some("FRIEND-1".into()), "closed".into()),
            (Some("WATCH-1".into()), "closed".into())
        ]
    );
    // A closed aircraft heard again starts a new track.
    let again = location_on("wifi-beacon", T0 + 302_000, "aa:00:00:00:00:02", 48.0, 2.0);
    server::routes::ingest::ingest_batch(s, &sensor, 10, &batch(&[again]))
        .await
        .expect("ingest");
    assert_eq!(s.store.tracks(None).expect("tracks").len(), 3);
}
