//! Sensors: registration (admin), list with health, heartbeats (sensor-authenticated).

use crate::auth::{Caller, SensorCaller};
use crate::{ApiError, AppState, LiveEvent};
use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use store::Role;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/sensors", get(list).post(create))
        .route("/heartbeat", post(heartbeat))
}

/// Sensor health from the age of its last heartbeat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    Online,
    Stale,
    Offline,
    /// Heartbeats arrive, but a source's frame counter has not grown for longer than the stale interval
    /// (a receiver that silently died).
    Degraded,
}

impl Health {
    pub fn as_str(self) -> &'static str {
        match self {
            Health::Online => "online",
            Health::Stale => "stale",
            Health::Offline => "offline",
            Health::Degraded => "degraded",
        }
    }
}

/// Per-source counters as stored: what the sensor sent, plus `frames_changed_ms`, the server time at which
/// the source's `frames` counter last grew (set by [`track_frames`]).
pub type SourceCounters = serde_json::Map<String, serde_json::Value>;

/// Adds `frames_changed_ms` to each source of a heartbeat: now when its `frames` grew (or the source is
/// new), else the previous value. A source without a `frames` counter is left alone.
pub fn track_frames(new: &mut SourceCounters, previous: Option<&SourceCounters>, now_ms: i64) {
    for (name, counters) in new.iter_mut() {
        let Some(c) = counters.as_object_mut() else {
            continue;
        };
        c.remove("frames_changed_ms");
        let Some(frames) = c.get("frames").and_then(|f| f.as_u64()) else {
            continue;
        };
        let before = previous.and_then(|p| p.get(name));
        let prev_frames = before.and_then(|b| b["frames"].as_u64());
        let prev_changed = before.and_then(|b| b["frames_changed_ms"].as_i64());
        let changed = match (prev_frames, prev_changed) {
            (Some(p), Some(t)) if frames == p => t,
            _ => now_ms,
        };
        c.insert("frames_changed_ms".into(), changed.into());
    }
}

/// `degraded` when the heartbeats are fresh but a source's frames stopped for more than `stale_s`. A
/// source that reports itself `finished` without an error (the end of a file replay) is not a fault.
pub fn degraded(sources: &SourceCounters, now_ms: i64, stale_s: u64) -> bool {
    let limit = i64::try_from(stale_s)
        .unwrap_or(i64::MAX)
        .saturating_mul(1000);
    sources.values().any(|c| {
        let finished_cleanly = c["finished"] == true && c["last_error"].is_null();
        let changed = c["frames_changed_ms"].as_i64();
        !finished_cleanly && changed.is_some_and(|t| now_ms.saturating_sub(t) > limit)
    })
}

/// The stored counters document: `{"sources": {...}, "health": {...}}`. Rows written before the sensor
/// agent sent `health` hold the per-source object alone.
fn split_counters(stored: Option<&str>) -> (Option<SourceCounters>, Option<serde_json::Value>) {
    let Some(v) = stored.and_then(|c| serde_json::from_str::<serde_json::Value>(c).ok()) else {
        return (None, None);
    };
    let serde_json::Value::Object(mut o) = v else {
        return (None, None);
    };
    let envelope = o.get("sources").is_some_and(|s| s.is_object())
        && o.keys().all(|k| k == "sources" || k == "health");
    if !envelope {
        return (Some(o), None);
    }
    let sources = match o.remove("sources") {
        Some(serde_json::Value::Object(s)) => Some(s),
        _ => None,
    };
    (sources, o.remove("health"))
}

/// `online` within `stale_s` of the last heartbeat, `stale` until `offline_s`, then `offline` (also when
/// never heard from). A heartbeat from the future (clock skew) counts as fresh.
pub fn health(last_heartbeat_ms: Option<i64>, now_ms: i64, stale_s: u64, offline_s: u64) -> Health {
    let Some(last) = last_heartbeat_ms else {
        return Health::Offline;
    };
    let age = now_ms.saturating_sub(last);
    let ms = |s: u64| i64::try_from(s).unwrap_or(i64::MAX).saturating_mul(1000);
    if age < ms(stale_s) {
        Health::Online
    } else if age < ms(offline_s) {
        Health::Stale
    } else {
        Health::Offline
    }
}

/// A sensor as the API shows it.
#[derive(Debug, Serialize)]
pub struct SensorDto {
    pub id: i64,
    pub name: String,
    pub status: &'static str,
    pub detections_stored: i64,
    pub last_heartbeat: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub alt_m: Option<f64>,
    /// Per-source counters of the last heartbeat, each with `frames_changed_ms`.
    pub counters: Option<serde_json::Value>,
    /// Sensor-wide health of the last heartbeat (spool depth, dropped-oldest count, clock offset, CPU
    /// temperature...), as the sensor sent it.
    pub health: Option<serde_json::Value>,
    pub software_version: Option<String>,
}

impl SensorDto {
    pub fn new(s: &store::Sensor, state: &AppState) -> SensorDto {
        let now = state.now();
        let mut h = health(
            s.last_heartbeat_ms,
            now,
            state.config.sensor_stale_s,
            state.config.sensor_offline_s,
        );
        let (sources, sensor_health) = split_counters(s.counters.as_deref());
        if h == Health::Online
            && sources
                .as_ref()
                .is_some_and(|c| degraded(c, now, state.config.sensor_stale_s))
        {
            h = Health::Degraded;
        }
        SensorDto {
            id: s.id,
            name: s.name.clone(),
            status: h.as_str(),
            detections_stored: s.detections_stored,
            last_heartbeat: s.last_heartbeat_ms.map(crate::rfc3339),
            lat: s.lat,
            lon: s.lon,
            alt_m: s.alt_m,
            counters: sources.map(serde_json::Value::Object),
            health: sensor_health,
            software_version: s.software_version.clone(),
        }
    }
}

async fn list(State(s): State<AppState>, _c: Caller) -> Result<Json<Vec<SensorDto>>, ApiError> {
    Ok(Json(
        s.store
            .sensors()?
            .iter()
            .map(|x| SensorDto::new(x, &s))
            .collect(),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewSensor {
    name: String,
}

async fn create(
    State(s): State<AppState>,
    c: Caller,
    Json(b): Json<NewSensor>,
) -> Result<Json<serde_json::Value>, ApiError> {
    c.require(&[Role::Admin])?;
    if b.name.trim().is_empty() {
        return Err(ApiError::bad("name must not be empty"));
    }
    let now = s.now();
    let (id, token) = s.store.add_sensor(&b.name, now).done().await?;
    s.store
        .audit(
            &c.user.name,
            "sensor.add",
            Some(serde_json::json!({ "sensor": b.name }).to_string()),
            now,
        )
        .done()
        .await?;
    Ok(Json(
        serde_json::json!({ "id": id, "name": b.name, "token": token }),
    ))
}

/// What a sensor sends as a heartbeat.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HeartbeatBody {
    lat: Option<f64>,
    lon: Option<f64>,
    alt_m: Option<f64>,
    /// Per-source counters, any JSON object (for example `{"wifi0": {"frames": 10, "detections": 2}}`).
    counters: Option<serde_json::Map<String, serde_json::Value>>,
    version: Option<String>,
    /// Sensor-wide health (any JSON object: spool depth, drops, clock offset...), stored as sent.
    health: Option<serde_json::Map<String, serde_json::Value>>,
}

async fn heartbeat(
    State(s): State<AppState>,
    SensorCaller(sensor): SensorCaller,
    Json(b): Json<HeartbeatBody>,
) -> Result<Json<SensorDto>, ApiError> {
    let check = |name: &str, v: Option<f64>, lim: f64| match v {
        Some(x) if !x.is_finite() || x.abs() > lim => Err(ApiError::BadRequest {
            message: format!("{name}: {x} is out of range"),
            line: None,
            field: Some(name.into()),
        }),
        _ => Ok(()),
    };
    check("lat", b.lat, 90.0)?;
    check("lon", b.lon, 180.0)?;
    check("alt_m", b.alt_m, 100_000.0)?;
    // The stored document keeps the previous heartbeat's sources when this one sends none, so that the
    // frame-change times survive a heartbeat that only moves the position.
    let now = s.now();
    let (prev_sources, prev_health) = split_counters(sensor.counters.as_deref());
    let counters = if b.counters.is_some() || b.health.is_some() {
        let mut sources = b.counters.or(prev_sources.clone()).unwrap_or_default();
        track_frames(&mut sources, prev_sources.as_ref(), now);
        let mut doc = serde_json::Map::new();
        doc.insert("sources".into(), serde_json::Value::Object(sources));
        if let Some(h) = b.health.map(serde_json::Value::Object).or(prev_health) {
            doc.insert("health".into(), h);
        }
        Some(serde_json::Value::Object(doc).to_string())
    } else {
        None
    };
    let hb = store::Heartbeat {
        lat: b.lat,
        lon: b.lon,
        alt_m: b.alt_m,
        counters,
        software_version: b.version,
    };
    let row = s.store.heartbeat(sensor.id, hb, now).done().await?;
    s.metrics.heartbeats.inc();
    let dto = SensorDto::new(&row, &s);
    s.publish(LiveEvent::Sensor(row));
    Ok(Json(dto))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: serde_json::Value) -> SourceCounters {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn frame_changes_are_tracked_per_source() {
        let mut first =
            obj(json!({"wifi:wlan0": {"frames": 10}, "ble:hci0": {"frames": 5}, "x": 1}));
        track_frames(&mut first, None, 1_000);
        assert_eq!(first["wifi:wlan0"]["frames_changed_ms"], 1_000);
        assert_eq!(first["x"], 1, "not an object: left alone");
        let mut second = obj(json!({"wifi:wlan0": {"frames": 10}, "ble:hci0": {"frames": 9}}));
        track_frames(&mut second, Some(&first), 5_000);
        assert_eq!(
            second["wifi:wlan0"]["frames_changed_ms"], 1_000,
            "unchanged"
        );
        assert_eq!(second["ble:hci0"]["frames_changed_ms"], 5_000, "grew");
        // A sensor restart resets its counters: that is a change too.
        let mut third = obj(json!({"wifi:wlan0": {"frames": 2, "frames_changed_ms": 1}}));
        track_frames(&mut third, Some(&second), 9_000);
        assert_eq!(third["wifi:wlan0"]["frames_changed_ms"], 9_000);
    }

    #[test]
    fn degraded_when_a_source_stops_producing() {
        let check = |sources: serde_json::Value, now: i64, want: bool| {
            assert_eq!(
                degraded(&obj(sources.clone()), now, 60),
                want,
                "{sources} at {now}"
            );
        };
        check(
            json!({"a": {"frames": 1, "frames_changed_ms": 0}}),
            60_000,
            false,
        );
        check(
            json!({"a": {"frames": 1, "frames_changed_ms": 0}}),
            60_001,
            true,
        );
        check(
            json!({"a": {"frames": 1, "frames_changed_ms": 0, "finished": true}}),
            600_000,
            false,
        );
        check(
            json!({"a": {"frames": 1, "frames_changed_ms": 0, "finished": true, "last_error": "gone"}}),
            600_000,
            true,
        );
        check(json!({"a": {"frames": 1}}), 600_000, false);
    }

    #[test]
    fn stored_documents_old_and_new() {
        let (s, h) = split_counters(Some(
            r#"{"sources":{"a":{"frames":1}},"health":{"spool_depth":3}}"#,
        ));
        assert_eq!(s.map(|s| s["a"]["frames"].clone()), Some(json!(1)));
        assert_eq!(h, Some(json!({"spool_depth": 3})));
        let (s, h) = split_counters(Some(r#"{"wifi":3}"#));
        assert_eq!(s.map(|s| s["wifi"].clone()), Some(json!(3)));
        assert_eq!(h, None);
        assert_eq!(split_counters(Some("[1]")), (None, None));
        assert_eq!(split_counters(None), (None, None));
    }
}
