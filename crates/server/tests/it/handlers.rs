//! Handler tests through `app().oneshot(request)`.

use crate::common::{batch, call_text as call, fixture, login, now_ms, rid_full};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use server::routes::sensors::{health, Health};
use server::Config;

fn post(uri: &str, token: Option<&str>, body: String) -> Request<Body> {
    let mut b = Request::post(uri).header("content-type", "application/json");
    if let Some(t) = token {
        b = b.header("authorization", format!("Bearer {t}"));
    }
    b.body(Body::from(body)).expect("request")
}

fn get(uri: &str, token: Option<&str>) -> Request<Body> {
    let mut b = Request::get(uri);
    if let Some(t) = token {
        b = b.header("authorization", format!("Bearer {t}"));
    }
    b.body(Body::empty()).expect("request")
}

#[tokio::test]
async fn login_checks_the_password() {
    let f = fixture(Config::default()).await;
    let (st, v, _) = call(
        &f.state,
        post(
            "/api/v1/login",
            None,
            r#"{"username":"op","password":"nope"}"#.into(),
        ),
    )
    .await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    assert_eq!(v["error"], "missing or invalid bearer token");
    let t = login(&f.state, "op").await;
    let (st, v, _) = call(&f.state, get("/api/v1/me", Some(&t))).await;
    assert_eq!(
        (st, v["name"].as_str(), v["role"].as_str()),
        (StatusCode::OK, Some("op"), Some("operator"))
    );
    // Logout revokes the session.
    let (st, _, _) = call(&f.state, post("/api/v1/logout", Some(&t), String::new())).await;
    assert_eq!(st, StatusCode::OK);
    let (st, _, _) = call(&f.state, get("/api/v1/me", Some(&t))).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn roles_gate_admin_and_zone_actions() {
    let f = fixture(Config::default()).await;
    let viewer = login(&f.state, "viewer").await;
    let (st, _, _) = call(&f.state, get("/api/v1/audit", Some(&viewer))).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let zone = r#"{"type":"Feature","geometry":{"type":"Point","coordinates":[2.35,48.86]},"properties":{"name":"z","restriction":"prohibited","radius_m":100}}"#;
    let (st, _, _) = call(&f.state, post("/api/v1/zones", Some(&viewer), zone.into())).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _, _) = call(
        &f.state,
        post(
            "/api/v1/users",
            Some(&viewer),
            r#"{"username":"x","password":"y","role":"admin"}"#.into(),
        ),
    )
    .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let admin = login(&f.state, "admin").await;
    let (st, v, _) = call(
        &f.state,
        post(
            "/api/v1/users",
            Some(&admin),
            r#"{"username":"x","password":"y","role":"boss"}"#.into(),
        ),
    )
    .await;
    assert_eq!(
        (st, v["error"].as_str()),
        (
            StatusCode::BAD_REQUEST,
            Some("role: expected admin, operator or viewer, got \"boss\"")
        )
    );
    let (st, v, _) = call(
        &f.state,
        post(
            "/api/v1/users",
            Some(&admin),
            r#"{"username":"x","password":"y","role":"viewer"}"#.into(),
        ),
    )
    .await;
    assert_eq!((st, v["role"].as_str()), (StatusCode::OK, Some("viewer")));
    let (st, _, _) = call(
        &f.state,
        post(
            "/api/v1/users",
            Some(&admin),
            r#"{"username":"x","password":"y","role":"viewer"}"#.into(),
        ),
    )
    .await;
    assert_eq!(st, StatusCode::CONFLICT);
    // A zone that is not a Feature, and a Point without radius, are refused.
    let (st, _, _) = call(
        &f.state,
        post(
            "/api/v1/zones",
            Some(&admin),
            r#"{"type":"FeatureCollection","features":[]}"#.into(),
        ),
    )
    .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
    let no_radius = r#"{"type":"Feature","geometry":{"type":"Point","coordinates":[2.35,48.86]},"properties":{"name":"z"}}"#;
    let (st, _, _) = call(
        &f.state,
        post("/api/v1/zones", Some(&admin), no_radius.into()),
    )
    .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
}

/// One refused ingest request and what the answer must say.
struct Case<'a> {
    uri: &'a str,
    token: Option<&'a str>,
    body: String,
    status: StatusCode,
    line: Option<usize>,
    field: Option<&'a str>,
}

#[tokio::test]
async fn ingest_refuses_bad_requests_with_the_line_and_field() {
    let f = fixture(Config::default()).await;
    let t = now_ms();
    let good = rid_full(t, "aa:bb:cc:dd:ee:01", "UAS-1", 48.0, 2.0, (48.001, 2.001));
    let bad_lat = good.replace("\"lat\":48.0", "\"lat\":91.5");
    assert_ne!(good, bad_lat, "fixture edit applied");
    let key = f.sensor_token.as_str();
    let one = || batch(std::slice::from_ref(&good));
    let cases = [
        Case {
            uri: "/api/v1/ingest?seq=0",
            token: None,
            body: one(),
            status: StatusCode::UNAUTHORIZED,
            line: None,
            field: None,
        },
        Case {
            uri: "/api/v1/ingest?seq=0",
            token: Some("wrong"),
            body: one(),
            status: StatusCode::UNAUTHORIZED,
            line: None,
            field: None,
        },
        Case {
            uri: "/api/v1/ingest",
            token: Some(key),
            body: one(),
            status: StatusCode::BAD_REQUEST,
            line: None,
            field: Some("seq"),
        },
        Case {
            uri: "/api/v1/ingest?seq=-1",
            token: Some(key),
            body: one(),
            status: StatusCode::BAD_REQUEST,
            line: None,
            field: Some("seq"),
        },
        Case {
            uri: "/api/v1/ingest?seq=0",
            token: Some(key),
            body: batch(&[good.clone(), bad_lat]),
            status: StatusCode::BAD_REQUEST,
            line: Some(2),
            field: Some("messages[1].lat"),
        },
        Case {
            uri: "/api/v1/ingest?seq=0",
            token: Some(key),
            body: format!("{good}\n{{not json\n"),
            status: StatusCode::BAD_REQUEST,
            line: Some(2),
            field: None,
        },
    ];
    for c in cases {
        let (st, v, text) = call(&f.state, post(c.uri, c.token, c.body)).await;
        assert_eq!(st, c.status, "{} {text}", c.uri);
        assert_eq!(v["line"].as_u64().map(|l| l as usize), c.line, "{text}");
        if let Some(field) = c.field {
            assert_eq!(v["field"].as_str(), Some(field), "{text}");
        }
    }
    assert_eq!(
        f.state.store.detection_count().expect("count"),
        0,
        "nothing of a refused batch is stored"
    );
}

#[tokio::test]
async fn oversized_bodies_get_413() {
    let f = fixture(Config {
        max_body_bytes: 4096,
        ..Config::default()
    })
    .await;
    let l = rid_full(
        now_ms(),
        "aa:bb:cc:dd:ee:01",
        "UAS-1",
        48.0,
        2.0,
        (48.001, 2.001),
    );
    let big = batch(&vec![l; 100]);
    assert!(big.len() > 4096);
    let (st, v, _) = call(
        &f.state,
        post("/api/v1/ingest?seq=0", Some(&f.sensor_token), big),
    )
    .await;
    assert_eq!(st, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        v["error"],
        "request body larger than the limit of 4096 bytes"
    );
    assert_eq!(f.state.store.detection_count().expect("count"), 0);
}

#[tokio::test]
async fn openapi_metrics_and_health_are_served() {
    let f = fixture(Config::default()).await;
    let (st, v, _) = call(&f.state, get("/api/v1/openapi.json", None)).await;
    assert_eq!((st, v["openapi"].as_str()), (StatusCode::OK, Some("3.1.0")));
    assert!(v["paths"]["/ingest"]["post"]["parameters"][0]["name"] == "seq");
    let l = rid_full(
        now_ms(),
        "aa:bb:cc:dd:ee:01",
        "UAS-1",
        48.0,
        2.0,
        (48.001, 2.001),
    );
    let (st, _, _) = call(
        &f.state,
        post("/api/v1/ingest?seq=0", Some(&f.sensor_token), batch(&[l])),
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    let (st, _, text) = call(&f.state, get("/metrics", None)).await;
    assert_eq!(st, StatusCode::OK);
    assert!(
        text.contains("skytrace_detections_stored_total 1"),
        "{text}"
    );
    assert!(text.contains("skytrace_ingest_batches_total 1"), "{text}");
    let (st, _, text) = call(&f.state, get("/healthz", None)).await;
    assert_eq!((st, text.as_str()), (StatusCode::OK, "ok"));
}

#[tokio::test]
async fn heartbeats_set_sensor_health() {
    let f = fixture(Config::default()).await;
    let op = login(&f.state, "op").await;
    let (_, v, _) = call(&f.state, get("/api/v1/sensors", Some(&op))).await;
    assert_eq!(v[0]["status"], "offline", "never heard from");
    let hb = r#"{"lat":48.5,"lon":2.2,"counters":{"wlan0":{"frames":10}},"version":"0.1.0"}"#;
    let (st, v, text) = call(
        &f.state,
        post("/api/v1/heartbeat", Some(&f.sensor_token), hb.into()),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{text}");
    assert_eq!(
        (
            v["status"].as_str(),
            v["lat"].as_f64(),
            v["software_version"].as_str()
        ),
        (Some("online"), Some(48.5), Some("0.1.0"))
    );
    assert_eq!(v["counters"]["wlan0"]["frames"], 10);
    let (st, v, _) = call(
        &f.state,
        post(
            "/api/v1/heartbeat",
            Some(&f.sensor_token),
            r#"{"lat":123.0}"#.into(),
        ),
    )
    .await;
    assert_eq!(
        (st, v["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("lat"))
    );
}

#[test]
fn sensor_health_follows_heartbeat_age() {
    let check = |last: Option<i64>, now: i64, want: Health| {
        assert_eq!(health(last, now, 60, 300), want, "{last:?} at {now}")
    };
    check(None, 0, Health::Offline);
    check(Some(1_000), 1_000, Health::Online);
    check(Some(1_000), 60_999, Health::Online);
    check(Some(1_000), 61_000, Health::Stale);
    check(Some(1_000), 300_999, Health::Stale);
    check(Some(1_000), 301_000, Health::Offline);
    check(Some(5_000), 1_000, Health::Online);
    check(Some(i64::MIN), i64::MAX, Health::Offline);
}

#[test]
fn config_reads_toml_then_environment() {
    let dir = tempfile::tempdir().expect("dir");
    let p = dir.path().join("skytrace.toml");
    std::fs::write(
        &p,
        "listen = \"127.0.0.1:9000\"\nretention_days = 30\npilot_roles = [\"admin\"]\n",
    )
    .expect("write");
    let mut c = Config::load(Some(&p)).expect("load");
    assert_eq!(
        (c.listen.port(), c.retention_days, c.pilot_roles.clone()),
        (9000, 30, vec!["admin".to_owned()])
    );
    assert_eq!(c.sensor_stale_s, 60, "defaults fill the rest");
    let env = |k: &str| match k {
        "SKYTRACE_RETENTION_DAYS" => Some("7".to_owned()),
        "SKYTRACE_PILOT_ROLES" => Some("admin, operator,viewer".to_owned()),
        _ => None,
    };
    c.apply_env(env).expect("env");
    assert_eq!((c.retention_days, c.pilot_roles.len()), (7, 3));
    let err = c
        .apply_env(|k| (k == "SKYTRACE_LISTEN").then(|| "nowhere".to_owned()))
        .expect_err("bad address");
    assert!(
        err.to_string().starts_with("SKYTRACE_LISTEN=\"nowhere\""),
        "{err}"
    );
    std::fs::write(&p, "colour = \"blue\"\n").expect("write");
    assert!(Config::load(Some(&p)).is_err(), "unknown keys are refused");
}
