//! A server on a temporary data directory with three users and one sensor, and detection-line fixtures
//! built with the contract's own serialiser.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use reqwest::StatusCode as HttpStatus;
use serde_json::{json, Value};
use server::{AppState, Config};
use std::time::Duration;
use store::{Role, Store};
use tower::ServiceExt;

pub struct Fixture {
    pub _dir: tempfile::TempDir,
    pub state: AppState,
    pub sensor_token: String,
}

pub const PASSWORD: &str = "correct horse";

pub async fn fixture(config: Config) -> Fixture {
    fixture_with_clock(config, server::system_clock()).await
}

/// The fixture on a clock the test controls.
pub async fn fixture_with_clock(config: Config, clock: server::Clock) -> Fixture {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(dir.path()).expect("open store");
    for (name, role) in [
        ("admin", Role::Admin),
        ("op", Role::Operator),
        ("viewer", Role::Viewer),
    ] {
        store
            .add_user(name, role, PASSWORD, 0)
            .expect("hash")
            .done()
            .await
            .expect("user");
    }
    let (_, sensor_token) = store.add_sensor("mast-1", 0).done().await.expect("sensor");
    let state = AppState::new(store, config, clock).expect("state");
    Fixture {
        _dir: dir,
        state,
        sensor_token,
    }
}

pub fn now_ms() -> i64 {
    (server::system_clock())()
}

fn rfc3339(ms: i64) -> String {
    server::rfc3339(ms)
}

/// A Remote ID frame with Basic ID, Location and System (pilot position), as `skytrace decode` prints it.
pub fn rid_full(t_ms: i64, mac: &str, uas_id: &str, lat: f64, lon: f64, op: (f64, f64)) -> String {
    line(json!({
        "time": rfc3339(t_ms), "frame": 1, "transport": "wifi-beacon", "mac": mac, "rssi_dbm": -60.0,
        "messages": [
            { "type": "basic-id", "id_type": 1, "uas_id": uas_id },
            { "type": "location", "lat": lat, "lon": lon, "alt_geo_m": 120.0 },
            { "type": "system", "operator_lat": op.0, "operator_lon": op.1 }
        ]
    }))
}

/// A Wi-Fi beacon Remote ID frame with only a Location message (the same radio as [`rid_full`], so the
/// tracker may bind it through the MAC: MACs are compared within one link layer).
pub fn rid_location(t_ms: i64, mac: &str, lat: f64, lon: f64) -> String {
    location_on("wifi-beacon", t_ms, mac, lat, lon)
}

/// A Remote ID frame on `transport` with only a Location message.
pub fn location_on(transport: &str, t_ms: i64, mac: &str, lat: f64, lon: f64) -> String {
    line(json!({
        "time": rfc3339(t_ms), "frame": 2, "transport": transport, "mac": mac,
        "messages": [ { "type": "location", "lat": lat, "lon": lon } ]
    }))
}

/// A Remote ID frame on `transport` with only a Basic ID of `id_type`.
pub fn basic_id_on(transport: &str, t_ms: i64, mac: &str, id_type: u8, uas_id: &str) -> String {
    line(json!({
        "time": rfc3339(t_ms), "frame": 3, "transport": transport, "mac": mac,
        "messages": [ { "type": "basic-id", "id_type": id_type, "uas_id": uas_id } ]
    }))
}

/// Round-trips through `contract::DetectionLine` so fixtures are exactly what the encoder emits.
pub fn line(v: serde_json::Value) -> String {
    let d: contract::DetectionLine =
        serde_json::from_value(v).expect("fixture is a detection line");
    d.to_json()
}

pub fn batch(lines: &[String]) -> String {
    let mut s = lines.join("\n");
    s.push('\n');
    s
}

/// Sends `req` through `app(state)`: the status and the body as JSON (`Null` when it is not JSON).
pub async fn call(state: &AppState, req: Request<Body>) -> (StatusCode, Value) {
    let (status, v, _) = call_text(state, req).await;
    (status, v)
}

/// [`call`], with the body's text as well.
pub async fn call_text(state: &AppState, req: Request<Body>) -> (StatusCode, Value, String) {
    let resp = server::app(state.clone())
        .oneshot(req)
        .await
        .expect("infallible");
    let status = resp.status();
    let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .expect("body");
    let v = serde_json::from_slice(&bytes).unwrap_or_default();
    (status, v, String::from_utf8_lossy(&bytes).into_owned())
}

/// Logs `user` in through `app(state)` and returns the session token.
pub async fn login(state: &AppState, user: &str) -> String {
    let (st, v) = call(
        state,
        Request::post("/api/v1/login")
            .header("content-type", "application/json")
            .body(Body::from(
                json!({ "username": user, "password": PASSWORD }).to_string(),
            ))
            .expect("request"),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    v["token"].as_str().expect("token").to_owned()
}

/// A real server on 127.0.0.1:0 and an HTTP client for it.
pub struct Served {
    /// `http://127.0.0.1:PORT/api/v1`.
    pub base: String,
    pub client: reqwest::Client,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

/// Serves `state` on 127.0.0.1:0 until [`Served::stop`].
pub async fn serve(state: AppState) -> Served {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}/api/v1", listener.local_addr().expect("addr"));
    let (stop, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(server::serve(listener, state, async move {
        let _ = rx.await;
    }));
    Served {
        base,
        client: reqwest::Client::new(),
        stop,
        task,
    }
}

impl Served {
    /// Logs `user` in over HTTP and returns the session token.
    pub async fn login(&self, user: &str) -> String {
        let r = self
            .client
            .post(format!("{}/login", self.base))
            .json(&json!({ "username": user, "password": PASSWORD }))
            .send()
            .await
            .expect("login");
        assert_eq!(r.status(), HttpStatus::OK);
        r.json::<Value>().await.expect("json")["token"]
            .as_str()
            .expect("token")
            .to_owned()
    }

    /// Posts a detection batch with sequence number `seq` as `token`: the status and the JSON answer
    /// (`Null` when it is not JSON).
    pub async fn ingest_as(&self, token: &str, seq: i64, body: String) -> (HttpStatus, Value) {
        let r = self
            .client
            .post(format!("{}/ingest?seq={seq}", self.base))
            .bearer_auth(token)
            .body(body)
            .send()
            .await
            .expect("ingest");
        (r.status(), r.json().await.unwrap_or_default())
    }

    /// Asks the server to stop and waits (10 s at most) for it to finish cleanly.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        tokio::time::timeout(Duration::from_secs(10), self.task)
            .await
            .expect("graceful stop")
            .expect("join")
            .expect("serve");
    }
}
