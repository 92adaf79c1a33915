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
}

impl Health {
    pub fn as_str(self) -> &'static str {
        match self {
            Health::Online => "online",
            Health::Stale => "stale",
            Health::Offline => "offline",
        }
    }
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
    pub counters: Option<serde_json::Value>,
    pub software_version: Option<String>,
}

impl SensorDto {
    pub fn new(s: &store::Sensor, state: &AppState) -> SensorDto {
        let h = health(
            s.last_heartbeat_ms,
            state.now(),
            state.config.sensor_stale_s,
            state.config.sensor_offline_s,
        );
        SensorDto {
            id: s.id,
            name: s.name.clone(),
            status: h.as_str(),
            detections_stored: s.detections_stored,
            last_heartbeat: s.last_heartbeat_ms.map(crate::rfc3339),
            lat: s.lat,
            lon: s.lon,
            alt_m: s.alt_m,
            counters: s
                .counters
                .as_deref()
                .and_then(|c| serde_json::from_str(c).ok()),
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
    let hb = store::Heartbeat {
        lat: b.lat,
        lon: b.lon,
        alt_m: b.alt_m,
        counters: b.counters.map(|c| serde_json::Value::Object(c).to_string()),
        software_version: b.version,
    };
    let row = s.store.heartbeat(sensor.id, hb, s.now()).done().await?;
    s.metrics.heartbeats.inc();
    let dto = SensorDto::new(&row, &s);
    s.publish(LiveEvent::Sensor(row));
    Ok(Json(dto))
}
