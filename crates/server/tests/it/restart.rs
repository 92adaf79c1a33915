//! Track state across a server restart, on a real data directory and a controlled clock: the open tracks
//! of the previous run go back to the tracker, so later detections continue them; `?active=true` follows
//! the tracker's state.

use crate::common::{batch, call, login, rid_full, rid_location, PASSWORD};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use server::{AppState, Config};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use store::{Role, Store};

/// 2026-01-01T12:00:00Z.
const T0: i64 = 1_767_268_800_000;
const MAC: &str = "02:11:22:33:44:55";

fn get(uri: &str, token: &str) -> Request<Body> {
    Request::get(uri)
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .expect("request")
}

async fn post_batch(s: &AppState, sensor: &str, seq: i64, lines: &[String]) {
    let (st, ack) = call(
        s,
        Request::post(format!("/api/v1/ingest?seq={seq}"))
            .header("authorization", format!("Bearer {sensor}"))
            .body(Body::from(batch(lines)))
            .expect("request"),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{ack}");
    assert_eq!(ack["stored"].as_u64(), Some(lines.len() as u64), "{ack}");
}

/// A data directory with the operator `op`, the zone when given, and the sensor `mast-1`, whose token it
/// returns.
async fn prepare(dir: &std::path::Path, zone: Option<store::NewZone>) -> String {
    let store = Store::open(dir).expect("open store");
    store
        .add_user("op", Role::Operator, PASSWORD, 0)
        .expect("hash")
        .done()
        .await
        .expect("user");
    if let Some(z) = zone {
        store.add_zone(z, 0).done().await.expect("zone");
    }
    store
        .add_sensor("mast-1", 0)
        .done()
        .await
        .expect("sensor")
        .1
}

/// One server run on `dir`: a store opened there and the state built on it, on the shared clock.
fn run(dir: &std::path::Path, clock: &Arc<AtomicI64>) -> AppState {
    let store = Store::open(dir).expect("open store");
    let c = clock.clone();
    AppState::new(
        store,
        Config::default(),
        Arc::new(move || c.load(Ordering::SeqCst)),
    )
    .expect("state")
}

/// The tracks as `(id, uas_id, state, detections)`.
async fn tracks(s: &AppState, token: &str, query: &str) -> Vec<(i64, String, String, i64)> {
    let (st, v) = call(s, get(&format!("/api/v1/tracks{query}"), token)).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    v.as_array()
        .expect("array")
        .iter()
        .map(|t| {
            (
                t["id"].as_i64().expect("id"),
                t["uas_id"].as_str().unwrap_or_default().to_owned(),
                t["state"].as_str().expect("state").to_owned(),
                t["detections"].as_i64().expect("detections"),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_restart_continues_open_tracks_and_active_follows_the_tracker_state() {
    let dir = tempfile::tempdir().expect("temp dir");
    let clock = Arc::new(AtomicI64::new(T0));
    let sensor = prepare(dir.path(), None).await;

    // First run: aircraft A (serial, then a location-only frame bound through its MAC) and aircraft B.
    let s = run(dir.path(), &clock);
    let op = login(&s, "op").await;
    post_batch(
        &s,
        &sensor,
        0,
        &[
            rid_full(T0, MAC, "SERIAL-A", 48.0, 2.0, (48.001, 2.001)),
            rid_location(T0 + 1_000, MAC, 48.01, 2.01),
            rid_full(
                T0,
                "02:00:00:00:00:0b",
                "SERIAL-B",
                47.0,
                1.0,
                (47.001, 1.001),
            ),
        ],
    )
    .await;
    let before = tracks(&s, &op, "").await;
    assert_eq!(before.len(), 2, "{before:?}");
    let a = before
        .iter()
        .find(|t| t.1 == "SERIAL-A")
        .expect("track A")
        .0;

    // B goes quiet: past the lost timeout (30 s) it is lost, and `?active=true` leaves it out although it
    // was seen recently enough for the old last-seen window.
    clock.store(T0 + 20_000, Ordering::SeqCst);
    post_batch(
        &s,
        &sensor,
        3,
        &[rid_location(T0 + 20_000, MAC, 48.02, 2.02)],
    )
    .await;
    clock.store(T0 + 35_000, Ordering::SeqCst);
    server::routes::ingest::tick(&s).await;
    let active = tracks(&s, &op, "?active=true").await;
    assert_eq!(active.len(), 1, "{active:?}");
    assert_eq!((active[0].0, active[0].2.as_str()), (a, "active"));
    let all = tracks(&s, &op, "").await;
    assert!(
        all.iter().any(|t| t.1 == "SERIAL-B" && t.2 == "lost"),
        "{all:?}"
    );
    drop(s);

    // Second run, a little later: a location-only frame from A's MAC and a full frame from B continue
    // their tracks (the restored tracker knows A's MAC and B's serial); B is active again.
    clock.store(T0 + 40_000, Ordering::SeqCst);
    let s = run(dir.path(), &clock);
    let op = login(&s, "op").await;
    // The new process knows from the store which of the sensor's numbers may be replays.
    let sid = s.store.sensors().expect("sensors")[0].id;
    assert!(s.may_hold_replays(sid, 3).expect("check"));
    assert!(!s.may_hold_replays(sid, 4).expect("check"));
    // The sensor resends its last batch of the first run (its acknowledgement was lost): the new process
    // knows those lines are stored, and the tracker does not count them again (A's count below).
    let (st, ack) = call(
        &s,
        Request::post("/api/v1/ingest?seq=3")
            .header("authorization", format!("Bearer {sensor}"))
            .body(Body::from(batch(&[rid_location(
                T0 + 20_000,
                MAC,
                48.02,
                2.02,
            )])))
            .expect("request"),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{ack}");
    assert_eq!(
        (ack["stored"].as_u64(), ack["duplicates"].as_u64()),
        (Some(0), Some(1)),
        "{ack}"
    );
    post_batch(
        &s,
        &sensor,
        4,
        &[
            rid_location(T0 + 40_000, MAC, 48.03, 2.03),
            rid_full(
                T0 + 40_000,
                "02:00:00:00:00:0c",
                "SERIAL-B",
                47.1,
                1.1,
                (47.001, 1.001),
            ),
        ],
    )
    .await;
    let after = tracks(&s, &op, "").await;
    assert_eq!(after.len(), 2, "no new track after the restart: {after:?}");
    let a_after = after.iter().find(|t| t.0 == a).expect("A keeps its id");
    assert_eq!(
        (a_after.1.as_str(), a_after.2.as_str(), a_after.3),
        ("SERIAL-A", "active", 4)
    );
    assert_eq!(tracks(&s, &op, "?active=true").await.len(), 2);
    let (_, one) = call(&s, get(&format!("/api/v1/tracks/{a}"), &op)).await;
    assert_eq!(
        (one["lat"].as_f64(), one["lon"].as_f64()),
        (Some(48.03), Some(2.03))
    );

    // The restored timeouts run on the server clock: five minutes of silence close both.
    clock.store(T0 + 40_000 + 300_000, Ordering::SeqCst);
    server::routes::ingest::tick(&s).await;
    assert!(tracks(&s, &op, "?active=true").await.is_empty());
    let closed = tracks(&s, &op, "").await;
    assert!(closed.iter().all(|t| t.2 == "closed"), "{closed:?}");
    drop(s);

    // A third run restores nothing closed: the same aircraft now starts a new track.
    clock.store(T0 + 400_000, Ordering::SeqCst);
    let s = run(dir.path(), &clock);
    let op = login(&s, "op").await;
    post_batch(
        &s,
        &sensor,
        6,
        &[rid_full(
            T0 + 400_000,
            MAC,
            "SERIAL-A",
            48.0,
            2.0,
            (48.001, 2.001),
        )],
    )
    .await;
    let last = tracks(&s, &op, "?active=true").await;
    assert_eq!(last.len(), 1);
    assert_ne!(last[0].0, a, "a closed track is not continued");
}

/// An aircraft inside a zone when the server stops does not "enter" it again after the restart: the
/// alert rules get back the zone stays of the open tracks from their stored alerts.
#[tokio::test]
async fn a_restart_keeps_zone_stays_so_no_second_enter_alert() {
    let dir = tempfile::tempdir().expect("temp dir");
    let clock = Arc::new(AtomicI64::new(T0));
    let zone = store::NewZone {
        name: "Z".into(),
        restriction: "prohibited".into(),
        geojson: serde_json::json!({
            "type": "Feature",
            "geometry": { "type": "Point", "coordinates": [2.0, 48.0] },
            "properties": { "name": "Z", "restriction": "prohibited", "radius_m": 5000.0 }
        })
        .to_string(),
        lower_m: None,
        upper_m: None,
        radius_m: Some(5000.0),
        format: "geojson".into(),
        source: None,
    };
    let sensor = prepare(dir.path(), Some(zone)).await;
    let kinds = |s: &AppState| {
        s.store
            .alerts(0, 100)
            .expect("alerts")
            .iter()
            .filter(|a| a.kind == "zone-enter")
            .count()
    };
    let s = run(dir.path(), &clock);
    post_batch(
        &s,
        &sensor,
        0,
        &[rid_full(T0, MAC, "SERIAL-A", 48.0, 2.0, (48.2, 2.2))],
    )
    .await;
    assert_eq!(kinds(&s), 1);
    drop(s);
    // Ten minutes later (past the cooldown), still inside: no new enter alert.
    clock.store(T0 + 20_000, Ordering::SeqCst);
    let s = run(dir.path(), &clock);
    post_batch(
        &s,
        &sensor,
        1,
        &[rid_location(T0 + 600_000, MAC, 48.001, 2.001)],
    )
    .await;
    assert_eq!(kinds(&s), 1, "{:?}", s.store.alerts(0, 100));
    // Leaving is seen as an exit: the stay was restored, not forgotten.
    post_batch(
        &s,
        &sensor,
        2,
        &[rid_location(T0 + 601_000, MAC, 49.0, 3.0)],
    )
    .await;
    assert!(s
        .store
        .alerts(0, 100)
        .expect("alerts")
        .iter()
        .any(|a| a.kind == "zone-exit"));
}
