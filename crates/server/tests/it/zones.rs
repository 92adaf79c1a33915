//! The zones API: import of the real zone files (ED-318, ED-269, airport list), all or nothing with the bad
//! item named, audited, and live in the zone index; editing a zone with PUT; roles.

use crate::common::{call, fixture, login};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{json, Value};
use server::{AppState, Config};

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
