//! The zones API: import of the real zone files (ED-318, ED-269, airport list), all or nothing with the bad
//! item named, audited, and live in the zone index; editing a zone with PUT; roles; schedules that gate
//! the zone alerts on a controlled clock.

use crate::common::{batch, call, fixture, fixture_with_clock, login, rid_full};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{json, Value};
use server::{AppState, Config};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

fn send(method: &str, uri: &str, token: &str, body: impl Into<Body>) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(uri)
        .header("authorization", format!("Bearer {token}"))
        .body(body.into())
        .expect("request")
}

fn zone_count(s: &AppState) -> usize {
    s.zones.read().expect("zones").rows.len()
}

/// Zones of the index whose horizontal extent contains a point.
fn hits(s: &AppState, lat: f64, lon: f64) -> usize {
    let z = s.zones.read().expect("zones").clone();
    z.index.containing(track::LatLon::new(lat, lon)).count()
}

#[tokio::test]
async fn real_zone_files_import_whole_or_not_at_all() {
    let Some(dir) = testdata::dir("zones") else {
        return;
    };
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).expect("zone file");
    let f = fixture(Config::default()).await;
    let s = &f.state;
    let op = login(s, "op").await;
    let viewer = login(s, "viewer").await;

    // Viewers may not import.
    let swiss = read("swiss_geozones_ed318.json");
    let (st, _) = call(
        s,
        send(
            "POST",
            "/api/v1/zones/import?format=ed318",
            &viewer,
            swiss.clone(),
        ),
    )
    .await;
    assert_eq!(st, StatusCode::FORBIDDEN);

    // One broken feature (its layer unit) refuses the whole Swiss file, naming the feature.
    let mut doc: Value = serde_json::from_str(&swiss).expect("json");
    doc["features"][700]["geometry"]["layer"]["uom"] = json!("furlong");
    let (st, err) = call(
        s,
        send(
            "POST",
            "/api/v1/zones/import?format=ed318",
            &op,
            doc.to_string(),
        ),
    )
    .await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{err}");
    assert_eq!(err["field"], "features[700]", "{err}");
    assert!(
        err["error"]
            .as_str()
            .unwrap_or_default()
            .to_lowercase()
            .contains("unsupported unit \"furlong\""),
        "{err}"
    );
    assert_eq!(zone_count(s), 0, "nothing of a refused file is stored");

    // The real file: 1,179 Swiss zones, in the index at once. Bern-Belp airport is inside one.
    let (st, v) = call(
        s,
        send("POST", "/api/v1/zones/import?format=ed318", &op, swiss),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["imported"], 1179);
    assert_eq!(zone_count(s), 1179);
    assert!(hits(s, 46.9141, 7.4997) >= 1, "Bern-Belp is in a zone");
    assert_eq!(hits(s, 48.8584, 2.2945), 0, "Paris is not Swiss");

    // ED-269 sample (Geneva, one zone per volume), and the airport list as 5 km circles.
    let (st, v) = call(
        s,
        send(
            "POST",
            "/api/v1/zones/import?format=ed269",
            &op,
            read("cis_source_sample_ed269.json"),
        ),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let ed269 = v["imported"].as_u64().expect("count") as usize;
    assert!(ed269 >= 1, "{v}");
    let (st, v) = call(
        s,
        send(
            "POST",
            "/api/v1/zones/import?format=airports-csv&radius_m=5000",
            &op,
            read("airportsdata_20260905.csv"),
        ),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["imported"], 28_298);
    assert_eq!(zone_count(s), 1179 + ed269 + 28_298);
    // 3 km from Zurich airport's reference point (47.4647 N, 8.5492 E): inside its 5 km circle.
    assert!(hits(s, 47.4647 + 0.027, 8.5492) >= 1);

    // A bad CSV row refuses the list and names its line (header = line 1); `types` needs a type column.
    let bad = "icao,iata,name,city,subd,country,elevation,lat,lon,tz,lid\n\
               LSZH,ZRH,Zurich,Zurich,,CH,1416,47.46,8.54,Europe/Zurich,\n\
               XXXX,,Nowhere,,,,0,north,8.5,,\n";
    let (st, err) = call(
        s,
        send("POST", "/api/v1/zones/import?format=airports-csv", &op, bad),
    )
    .await;
    assert_eq!(
        (st, err["line"].as_u64()),
        (StatusCode::BAD_REQUEST, Some(3)),
        "{err}"
    );
    let (st, _) = call(
        s,
        send(
            "POST",
            "/api/v1/zones/import?format=airports-csv&types=heliport",
            &op,
            read("airportsdata_20260905.csv"),
        ),
    )
    .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    let (st, err) = call(s, send("POST", "/api/v1/zones/import?format=kml", &op, "")).await;
    assert_eq!(
        (st, err["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("format"))
    );
    assert_eq!(zone_count(s), 1179 + ed269 + 28_298);

    // Every import is in the audit log with its format and count.
    let admin = login(s, "admin").await;
    let (_, log) = call(s, send("GET", "/api/v1/audit", &admin, Body::empty())).await;
    let imports: Vec<String> = log
        .as_array()
        .expect("audit")
        .iter()
        .filter(|e| e["action"] == "zone.import")
        .map(|e| e["details"].to_string())
        .collect();
    assert_eq!(imports.len(), 3, "{log}");
    assert!(imports[0].contains("1179"), "{imports:?}");

    // The index survives a reload from the store (ED-318 zones are rebuilt from their own source item).
    server::routes::zones::reload(s).expect("reload");
    assert!(hits(s, 46.9141, 7.4997) >= 1);
}

#[tokio::test]
async fn a_zone_is_edited_in_place_with_put() {
    let f = fixture(Config::default()).await;
    let s = &f.state;
    let op = login(s, "op").await;
    let viewer = login(s, "viewer").await;
    let circle = |name: &str, lat: f64| {
        json!({ "type": "Feature", "geometry": { "type": "Point", "coordinates": [2.35, lat] },
            "properties": { "name": name, "restriction": "prohibited", "radius_m": 500.0 } })
        .to_string()
    };
    let (st, z) = call(
        s,
        send("POST", "/api/v1/zones", &op, circle("Louvre", 48.86)),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{z}");
    let id = z["id"].as_i64().expect("id");
    assert_eq!(hits(s, 48.86, 2.35), 1);

    // Moved 10 km north and renamed: same id, the index follows.
    let uri = format!("/api/v1/zones/{id}");
    let (st, e) = call(s, send("PUT", &uri, &op, circle("Moved", 48.95))).await;
    assert_eq!(st, StatusCode::OK, "{e}");
    assert_eq!(
        (e["id"].as_i64(), e["name"].as_str()),
        (Some(id), Some("Moved"))
    );
    assert_eq!(hits(s, 48.86, 2.35), 0);
    assert_eq!(hits(s, 48.95, 2.35), 1);

    // Not a zone, an unknown id, a viewer: refused, nothing changes.
    let (st, _) = call(s, send("PUT", &uri, &op, r#"{"type":"Feature"}"#)).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    let (st, _) = call(
        s,
        send(
            "PUT",
            &format!("/api/v1/zones/{}", id + 1),
            &op,
            circle("x", 1.0),
        ),
    )
    .await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, _) = call(s, send("PUT", &uri, &viewer, circle("x", 1.0))).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (_, list) = call(s, send("GET", "/api/v1/zones", &viewer, Body::empty())).await;
    assert_eq!(list[0]["name"], "Moved");
    assert_eq!(list[0]["format"], "geojson");

    // The OpenAPI document describes both.
    let (_, doc) = call(
        s,
        send("GET", "/api/v1/openapi.json", &viewer, Body::empty()),
    )
    .await;
    assert!(doc["paths"]["/zones/{id}"]["put"].is_object(), "{doc}");
    let import = &doc["paths"]["/zones/import"]["post"];
    assert_eq!(import["parameters"][0]["name"], "format");
}

/// 2026-01-01T12:00:00Z, a Thursday.
const T0: i64 = 1_767_268_800_000;

#[tokio::test]
async fn a_zone_alerts_only_while_its_schedule_applies() {
    let clock = Arc::new(AtomicI64::new(T0));
    let c = clock.clone();
    let f = fixture_with_clock(
        Config::default(),
        Arc::new(move || c.load(Ordering::SeqCst)),
    )
    .await;
    let s = &f.state;
    let op = login(s, "op").await;

    // Thursdays 13:01-14:00 at UTC+01:00, i.e. from T0 + 61 s.
    let schedule = json!([{ "windows": [{ "days": ["thu"], "from": "13:01", "to": "14:00", "utc_offset_min": 60 }] }]);
    let zone = |schedule: &Value| {
        json!({ "type": "Feature", "geometry": { "type": "Point", "coordinates": [2.35, 48.86] },
            "properties": { "name": "Stadium", "restriction": "prohibited", "radius_m": 500.0, "schedule": schedule } })
        .to_string()
    };
    let (st, z) = call(s, send("POST", "/api/v1/zones", &op, zone(&schedule))).await;
    assert_eq!(st, StatusCode::OK, "{z}");
    let zone_id = z["id"].as_i64().expect("zone id");
    assert_eq!(
        (&z["schedule"], &z["active_now"]),
        (&schedule, &json!(false))
    );
    clock.store(T0 + 61_000, Ordering::SeqCst);
    let (_, list) = call(s, send("GET", "/api/v1/zones", &op, Body::empty())).await;
    assert_eq!(
        (&list[0]["schedule"], &list[0]["active_now"]),
        (&schedule, &json!(true))
    );
    assert_eq!(list[0]["feature"]["properties"]["schedule"], schedule);

    // Inside the zone at 13:00 and 13:00:30 local: no zone alert; at 13:01:01 it applies.
    let inside = (48.8601, 2.3501);
    let pilot = (48.90, 2.35);
    let lines: Vec<String> = [0, 30_000, 61_000]
        .iter()
        .map(|dt| {
            rid_full(
                T0 + dt,
                "aa:00:00:00:00:07",
                "SCHED-1",
                inside.0,
                inside.1,
                pilot,
            )
        })
        .collect();
    let sensor = s
        .store
        .sensor_for_token(&f.sensor_token)
        .expect("read")
        .expect("sensor");
    server::routes::ingest::ingest_batch(s, &sensor, 1, &batch(&lines))
        .await
        .expect("ingest");
    let (_, alerts) = call(s, send("GET", "/api/v1/alerts", &op, Body::empty())).await;
    let mut got: Vec<(String, Option<i64>, String)> = alerts
        .as_array()
        .expect("alerts")
        .iter()
        .map(|a| {
            (
                a["kind"].as_str().unwrap_or_default().to_owned(),
                a["zone"].as_i64(),
                a["time"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    got.sort();
    let at = server::rfc3339(T0 + 61_000);
    assert_eq!(
        got,
        [
            ("aircraft-in-zone".to_owned(), Some(zone_id), at.clone()),
            ("zone-enter".to_owned(), Some(zone_id), at),
        ],
        "{alerts}"
    );

    // Back to "always" with PUT: an empty schedule, active.
    let uri = format!("/api/v1/zones/{zone_id}");
    let (st, e) = call(s, send("PUT", &uri, &op, zone(&json!([])))).await;
    assert_eq!(st, StatusCode::OK, "{e}");
    assert_eq!(
        (&e["schedule"], &e["active_now"]),
        (&json!([]), &json!(true))
    );

    // A bad schedule is refused, naming the field, by POST, PUT and a GeoJSON import; nothing changes.
    let bad = json!([{ "windows": [{ "days": ["thu"], "from": "13:01", "to": "25:00" }] }]);
    let want = (
        StatusCode::BAD_REQUEST,
        Some("properties.schedule[0].windows[0].to"),
    );
    let (st, err) = call(s, send("POST", "/api/v1/zones", &op, zone(&bad))).await;
    assert_eq!((st, err["field"].as_str()), want, "{err}");
    assert!(
        err["error"]
            .as_str()
            .unwrap_or_default()
            .contains("\"25:00\""),
        "{err}"
    );
    let (st, err) = call(s, send("PUT", &uri, &op, zone(&bad))).await;
    assert_eq!((st, err["field"].as_str()), want, "{err}");
    let doc = format!(
        r#"{{"type":"FeatureCollection","features":[{},{}]}}"#,
        zone(&schedule),
        zone(&json!({ "days": ["thu"] }))
    );
    let (st, err) = call(
        s,
        send("POST", "/api/v1/zones/import?format=geojson", &op, doc),
    )
    .await;
    assert_eq!(
        (st, err["field"].as_str()),
        (
            StatusCode::BAD_REQUEST,
            Some("features[1].properties.schedule")
        ),
        "{err}"
    );
    assert_eq!(zone_count(s), 1);

    // A good import keeps the schedule; the OpenAPI document describes it.
    let doc = format!(
        r#"{{"type":"FeatureCollection","features":[{}]}}"#,
        zone(&schedule)
    );
    let (st, v) = call(
        s,
        send("POST", "/api/v1/zones/import?format=geojson", &op, doc),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let (_, list) = call(s, send("GET", "/api/v1/zones", &op, Body::empty())).await;
    assert_eq!(list[1]["schedule"], schedule, "{list}");
    let (_, doc) = call(s, send("GET", "/api/v1/openapi.json", &op, Body::empty())).await;
    let days = &doc["components"]["schemas"]["Schedule"]["items"]["properties"]["windows"]["items"]
        ["properties"]["days"];
    assert_eq!(days["items"]["enum"][5], "sat", "{doc}");
    assert_eq!(
        doc["components"]["schemas"]["Zone"]["properties"]["active_now"]["type"],
        "boolean"
    );
}
