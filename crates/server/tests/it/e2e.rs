//! End to end: a real server on 127.0.0.1:0, a real HTTP client.

use crate::common::{
    basic_id_on, batch, fixture, location_on, now_ms, rid_full, rid_location, serve, Fixture,
    Served,
};
use reqwest::StatusCode;
use serde_json::Value;
use server::Config;
use std::time::Duration;

/// A real server on the standard fixture.
struct Running {
    srv: Served,
    f: Fixture,
}

async fn start(config: Config) -> Running {
    let f = fixture(config).await;
    let srv = serve(f.state.clone()).await;
    Running { srv, f }
}

impl std::ops::Deref for Running {
    type Target = Served;
    fn deref(&self) -> &Served {
        &self.srv
    }
}

impl Running {
    async fn get(&self, path: &str, token: &str) -> Value {
        let r = self
            .client
            .get(format!("{}{path}", self.base))
            .bearer_auth(token)
            .send()
            .await
            .expect("get");
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        r.json().await.expect("json")
    }

    async fn ingest(&self, seq: i64, body: String) -> (StatusCode, Value) {
        self.ingest_as(&self.f.sensor_token, seq, body).await
    }

    /// Stops the server, then drops the fixture's data directory.
    async fn stop(self) {
        self.srv.stop().await;
    }
}

fn pilot_reads(audit: &Value, actor: &str) -> usize {
    audit
        .as_array()
        .expect("array")
        .iter()
        .filter(|a| a["action"] == "pilot.read" && a["actor"] == actor)
        .count()
}

#[tokio::test]
async fn pilots_zones_replays_and_rejections_end_to_end() {
    let s = start(Config::default()).await;
    let (admin, op, viewer) = (
        s.login("admin").await,
        s.login("op").await,
        s.login("viewer").await,
    );

    // A 500 m circle around (48.86, 2.35).
    let zone = serde_json::json!({ "type": "Feature", "geometry": { "type": "Point", "coordinates": [2.35, 48.86] },
        "properties": { "name": "Louvre", "restriction": "prohibited", "radius_m": 500.0, "lower_m": 0.0, "upper_m": 150.0 } });
    let r = s
        .client
        .post(format!("{}/zones", s.base))
        .bearer_auth(&op)
        .json(&zone)
        .send()
        .await
        .expect("zone");
    assert_eq!(r.status(), StatusCode::OK);
    let zone_id = r.json::<Value>().await.expect("json")["id"]
        .as_i64()
        .expect("id");

    // The aircraft is first seen 5 km away, then (Location-only frames from the same MAC) inside.
    let t = now_ms();
    let mac = "aa:bb:cc:dd:ee:01";
    let b1 = batch(&[
        rid_full(t, mac, "1596F-UAS-1", 48.90, 2.35, (48.905, 2.351)),
        rid_location(t + 1000, mac, 48.8601, 2.3501),
        rid_location(t + 2000, mac, 48.8602, 2.3502),
    ]);
    let (st, ack) = s.ingest(100, b1.clone()).await;
    assert_eq!(st, StatusCode::OK, "{ack}");
    assert_eq!(
        (ack["stored"].as_u64(), ack["duplicates"].as_u64()),
        (Some(3), Some(0))
    );

    // A replay of the same batch (same sequence numbers) is acknowledged and stored once.
    let (st, ack) = s.ingest(100, b1).await;
    assert_eq!(
        (st, ack["stored"].as_u64(), ack["duplicates"].as_u64()),
        (StatusCode::OK, Some(0), Some(3))
    );

    // A batch with one bad line is refused whole: its good first line is not stored.
    let bad = batch(&[
        rid_location(t + 3000, mac, 48.87, 2.36),
        rid_location(t + 4000, mac, 48.87, 2.36).replace("2.36", "200.5"),
    ]);
    let (st, err) = s.ingest(103, bad).await;
    assert_eq!(
        (st, err["line"].as_u64(), err["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some(2), Some("messages[0].lon"))
    );
    // A wrong token is refused and stores nothing.
    let r = s
        .client
        .post(format!("{}/ingest?seq=200", s.base))
        .bearer_auth("forged")
        .body(batch(&[rid_location(t, mac, 1.0, 1.0)]))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    let sensors = s.get("/sensors", &viewer).await;
    assert_eq!(
        (
            sensors[0]["name"].as_str(),
            sensors[0]["detections_stored"].as_i64()
        ),
        (Some("mast-1"), Some(3))
    );

    // One track, bound by identity and MAC, with its pilot position hidden from the viewer only.
    let tracks_v = s.get("/tracks", &viewer).await;
    assert_eq!(tracks_v.as_array().map(Vec::len), Some(1));
    let tv = &tracks_v[0];
    assert_eq!(
        (tv["uas_id"].as_str(), tv["detections"].as_i64()),
        (Some("1596F-UAS-1"), Some(3))
    );
    assert_eq!(
        (tv["lat"].as_f64(), tv["lon"].as_f64()),
        (Some(48.8602), Some(2.3502))
    );
    assert!(
        tv["operator_lat"].is_null() && tv["operator_lon"].is_null(),
        "{tv}"
    );
    assert_eq!(tv["transports"], serde_json::json!(["wifi-beacon"]));
    assert_eq!(tv["state"].as_str(), Some("active"));
    assert_eq!(tv["sensors"], serde_json::json!(["mast-1"]));
    let tracks_o = s.get("/tracks?active=true", &op).await;
    assert_eq!(
        (
            tracks_o[0]["operator_lat"].as_f64(),
            tracks_o[0]["operator_lon"].as_f64()
        ),
        (Some(48.905), Some(2.351))
    );
    s.get(&format!("/tracks/{}", tv["id"]), &op).await;

    // Every pilot-position read by the operator is audited; the viewer read none.
    let audit = s.get("/audit", &admin).await;
    assert_eq!(pilot_reads(&audit, "op"), 2, "{audit}");
    assert_eq!(pilot_reads(&audit, "viewer"), 0);

    // Entering the zone raised one zone-enter and one aircraft-in-zone alert; the second position inside
    // is neither a new entry nor, within the cooldown, a new in-zone alert.
    let alerts = s.get("/alerts", &viewer).await;
    let mut got: Vec<(Option<&str>, Option<i64>, Option<i64>)> = alerts
        .as_array()
        .expect("array")
        .iter()
        .map(|a| (a["kind"].as_str(), a["zone"].as_i64(), a["track"].as_i64()))
        .collect();
    got.sort();
    assert_eq!(
        got,
        vec![
            (Some("aircraft-in-zone"), Some(zone_id), tv["id"].as_i64()),
            (Some("zone-enter"), Some(zone_id), tv["id"].as_i64()),
        ],
        "{alerts}"
    );

    // Path and exports.
    let path = s.get(&format!("/tracks/{}/path", tv["id"]), &viewer).await;
    assert_eq!(path.as_array().map(Vec::len), Some(3));
    let csv = s
        .client
        .get(format!("{}/export/tracks/{}?format=csv", s.base, tv["id"]))
        .bearer_auth(&viewer)
        .send()
        .await
        .expect("csv");
    assert_eq!(csv.status(), StatusCode::OK);
    let text = csv.text().await.expect("text");
    assert_eq!(text.lines().count(), 4, "{text}");
    assert!(
        text.starts_with("track,uas_id,time,lat,lon,alt_m\n"),
        "{text}"
    );
    let kml = s
        .client
        .get(format!(
            "{}/export?from={}&to={}&format=kml",
            s.base,
            t - 1,
            t + 10_000
        ))
        .bearer_auth(&viewer)
        .send()
        .await
        .expect("kml");
    let kml = kml.text().await.expect("text");
    assert_eq!(kml.matches("<gx:coord>").count(), 3, "{kml}");
    let gj = s
        .get(
            &format!(
                "/export?from={}&to={}&format=geojson&bbox=2.3,48.8,2.4,48.87",
                t - 1,
                t + 10_000
            ),
            &viewer,
        )
        .await;
    assert_eq!(
        gj["features"][0]["geometry"]["coordinates"]
            .as_array()
            .map(Vec::len),
        Some(2),
        "{gj}"
    );
    let audit = s.get("/audit", &admin).await;
    assert_eq!(
        audit
            .as_array()
            .expect("array")
            .iter()
            .filter(|a| a["action"] == "export")
            .count(),
        3
    );

    s.stop().await;
}

#[tokio::test]
async fn the_live_stream_carries_track_updates_and_redacts_for_viewers() {
    let s = start(Config::default()).await;
    let viewer = s.login("viewer").await;
    let mut stream = s
        .client
        .get(format!("{}/stream", s.base))
        .bearer_auth(&viewer)
        .send()
        .await
        .expect("stream");
    assert_eq!(stream.status(), StatusCode::OK);
    let t = now_ms();
    let (st, _) = s
        .ingest(
            0,
            batch(&[rid_full(
                t,
                "aa:bb:cc:dd:ee:02",
                "UAS-2",
                10.0,
                20.0,
                (10.5, 20.5),
            )]),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    let mut seen = String::new();
    let got = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(chunk) = stream.chunk().await.expect("chunk") {
            seen.push_str(&String::from_utf8_lossy(&chunk));
            if seen.contains("event: track") && seen.contains("\n\n") {
                return true;
            }
        }
        false
    })
    .await
    .unwrap_or(false);
    assert!(got, "no track event in {seen:?}");
    let data = seen
        .lines()
        .find_map(|l| l.strip_prefix("data: "))
        .expect("data line");
    let v: Value = serde_json::from_str(data).expect("json");
    assert_eq!(
        (v["uas_id"].as_str(), v["lat"].as_f64()),
        (Some("UAS-2"), Some(10.0))
    );
    assert!(v["operator_lat"].is_null());
    drop(stream);
    s.stop().await;
}

#[tokio::test]
async fn shutdown_ends_open_streams() {
    let s = start(Config::default()).await;
    let op = s.login("op").await;
    let stream = s
        .client
        .get(format!("{}/stream", s.base))
        .bearer_auth(&op)
        .send()
        .await
        .expect("stream");
    assert_eq!(stream.status(), StatusCode::OK);
    // The stream is still open: graceful shutdown must not wait for it forever.
    s.stop().await;
    drop(stream);
}

#[tokio::test]
async fn websocket_ingest_acknowledges_each_batch() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::{client::IntoClientRequest, Message};
    let s = start(Config::default()).await;
    let url = s.base.replace("http://", "ws://") + "/ingest/ws";
    let mut req = url.into_client_request().expect("request");
    req.headers_mut().insert(
        "authorization",
        format!("Bearer {}", s.f.sensor_token)
            .parse()
            .expect("header"),
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(req)
        .await
        .expect("connect");
    let t = now_ms();
    let lines = [
        rid_full(t, "aa:bb:cc:dd:ee:03", "UAS-3", 1.0, 2.0, (1.1, 2.1)),
        rid_location(t + 1, "aa:bb:cc:dd:ee:03", 1.01, 2.01),
    ];
    let mut answers = Vec::new();
    for msg in [
        format!("{{\"seq\": 7}}\n{}", batch(&lines)),
        format!("{{\"seq\": 7}}\n{}", batch(&lines)),
        format!("{{\"seq\": 9}}\n{}\n{{\"frame\": 1}}\n", lines[1]),
        "no header".to_owned(),
    ] {
        ws.send(Message::Text(msg.into())).await.expect("send");
        let a = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("answer in time")
            .expect("open")
            .expect("message");
        answers.push(serde_json::from_str::<Value>(a.to_text().expect("text")).expect("json"));
    }
    assert_eq!(
        (answers[0]["seq"].as_i64(), answers[0]["stored"].as_u64()),
        (Some(7), Some(2)),
        "{answers:?}"
    );
    assert_eq!(
        (
            answers[1]["stored"].as_u64(),
            answers[1]["duplicates"].as_u64()
        ),
        (Some(0), Some(2)),
        "replay"
    );
    assert_eq!(answers[2]["line"].as_u64(), Some(2), "{answers:?}");
    assert_eq!(answers[3]["field"].as_str(), Some("seq"), "{answers:?}");
    assert_eq!(s.f.state.store.detection_count().expect("count"), 2);
    ws.close(None).await.expect("close");
    s.stop().await;
}

#[tokio::test]
async fn one_serial_over_ble_and_wifi_from_two_sensors_is_one_track() {
    let s = start(Config::default()).await;
    let viewer = s.login("viewer").await;
    let (_, mast2) =
        s.f.state
            .store
            .add_sensor("mast-2", 0)
            .done()
            .await
            .expect("sensor");
    let t = now_ms();
    let serial = "1596F-SER-9";
    // mast-1 hears the Wi-Fi beacon with the serial.
    let (st, _) = s
        .ingest(
            1,
            batch(&[rid_full(
                t,
                "aa:bb:cc:00:00:01",
                serial,
                48.0,
                2.0,
                (48.001, 2.001),
            )]),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    // mast-2 hears the BLE side: first a Location from a BLE address not seen before (its own anonymous
    // track), then the Basic ID with the same serial from that address, which merges the two.
    let (st, _) = s
        .ingest_as(
            &mast2,
            1,
            batch(&[location_on(
                "ble-legacy",
                t + 500,
                "c0:00:00:00:00:02",
                48.0005,
                2.0005,
            )]),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    let before = s.get("/tracks", &viewer).await;
    assert_eq!(before.as_array().map(Vec::len), Some(2), "{before}");
    let (st, _) = s
        .ingest_as(
            &mast2,
            2,
            batch(&[basic_id_on(
                "ble-legacy",
                t + 600,
                "c0:00:00:00:00:02",
                1,
                serial,
            )]),
        )
        .await;
    assert_eq!(st, StatusCode::OK);

    let tracks = s.get("/tracks", &viewer).await;
    assert_eq!(tracks.as_array().map(Vec::len), Some(1), "{tracks}");
    let tr = &tracks[0];
    assert_eq!(
        (
            tr["uas_id"].as_str(),
            tr["detections"].as_i64(),
            tr["state"].as_str()
        ),
        (Some(serial), Some(3), Some("active"))
    );
    assert_eq!(
        tr["transports"],
        serde_json::json!(["ble-legacy", "wifi-beacon"])
    );
    assert_eq!(tr["sensors"], serde_json::json!(["mast-1", "mast-2"]));
    assert_eq!(
        (tr["lat"].as_f64(), tr["lon"].as_f64()),
        (Some(48.0005), Some(2.0005))
    );
    // Both positions, from both sensors, are the track's history.
    let path = s.get(&format!("/tracks/{}/path", tr["id"]), &viewer).await;
    assert_eq!(path.as_array().map(Vec::len), Some(2), "{path}");
    s.stop().await;
}

#[tokio::test]
async fn two_aircraft_behind_one_relay_mac_are_two_tracks() {
    let s = start(Config::default()).await;
    let viewer = s.login("viewer").await;
    let t = now_ms();
    // The herlev relay pattern: one Wi-Fi transmitter forwards a type-0 ("none") AirPlate ID and a drone
    // with a serial number, each with its own Location.
    let mac = "24:0a:c4:00:00:07";
    let lines = [
        basic_id_on("wifi-beacon", t, mac, 0, "AIRPLATE-7"),
        location_on("wifi-beacon", t + 10, mac, 55.73, 12.39),
        basic_id_on("wifi-beacon", t + 20, mac, 1, "1581F-DRONE-2"),
        location_on("wifi-beacon", t + 30, mac, 55.74, 12.40),
    ];
    let (st, ack) = s.ingest(1, batch(&lines)).await;
    assert_eq!((st, ack["stored"].as_u64()), (StatusCode::OK, Some(4)));
    let tracks = s.get("/tracks", &viewer).await;
    let mut got: Vec<(Option<&str>, Option<i64>)> = tracks
        .as_array()
        .expect("array")
        .iter()
        .map(|t| (t["uas_id"].as_str(), t["detections"].as_i64()))
        .collect();
    got.sort();
    assert_eq!(
        got,
        vec![
            (Some("1581F-DRONE-2"), Some(2)),
            (Some("AIRPLATE-7"), Some(2))
        ],
        "{tracks}"
    );
    s.stop().await;
}
