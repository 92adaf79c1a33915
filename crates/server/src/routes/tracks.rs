//! Tracks: current list, one track, its path, history by window and area.
//!
//! Pilot (operator) and home positions are personal data: they are `null` for roles the configuration does
//! not grant them to, and every response that does carry one is written to the audit log.

use crate::auth::Caller;
use crate::{ApiError, AppState};
use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use store::TrackRow;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/tracks", get(list))
        .route("/tracks/{id}", get(one))
        .route("/tracks/{id}/path", get(path))
        .route("/history", get(history))
}

/// A track as the API shows it.
#[derive(Debug, Serialize)]
pub struct TrackDto {
    pub id: i64,
    pub uas_id: Option<String>,
    pub key: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub alt_m: Option<f64>,
    pub operator_lat: Option<f64>,
    pub operator_lon: Option<f64>,
    pub home_lat: Option<f64>,
    pub home_lon: Option<f64>,
    pub transports: Vec<String>,
    pub sensors: Vec<String>,
    pub first_seen: String,
    pub last_seen: String,
    pub detections: i64,
    /// `active`, `lost` (not heard for a while) or `closed` (gone; a new broadcast starts a new track).
    pub state: String,
    /// Horizontal speed, m/s.
    pub speed_mps: Option<f64>,
    /// Track over ground, degrees from true north.
    pub heading_deg: Option<f64>,
    /// Vertical speed, m/s, up positive.
    pub climb_mps: Option<f64>,
    /// Height above the take-off point, m.
    pub height_m: Option<f64>,
    /// Height above ground level, m (when the broadcast gave that reference instead).
    pub height_agl_m: Option<f64>,
    /// Geodetic (WGS-84) altitude, m.
    pub alt_geo_m: Option<f64>,
    /// Pressure altitude, m.
    pub alt_baro_m: Option<f64>,
    /// What the pilot position is: `takeoff`, `live`, `fixed` or `unknown-<code>`; `null` with the position.
    pub pilot_kind: Option<String>,
    /// Pilot altitude (geodetic), m; `null` with the position.
    pub operator_alt_m: Option<f64>,
    pub model: Option<String>,
    /// UA type (`rotorcraft`, `aeroplane`, ...).
    pub ua_type: Option<String>,
    /// Operator ID as broadcast (a public registration number, not a position).
    pub operator_id: Option<String>,
    /// CAA registration (Basic ID type 2).
    pub registration: Option<String>,
    /// Session ID (Basic ID type 4).
    pub session_id: Option<String>,
    /// DJI serial number.
    pub dji_serial: Option<String>,
    /// Self-ID text.
    pub self_id: Option<String>,
    /// Authentication pages seen.
    pub auth_pages: u32,
    /// Last time reported by the aircraft itself (its clock).
    pub last_reported: Option<String>,
    /// Whether the track matches the allowlist.
    pub allowlisted: bool,
    /// Sensors that heard it, with their last signal level.
    pub sensors_seen: Vec<SensorSeenDto>,
}

/// What one sensor last heard of a track.
#[derive(Debug, Serialize)]
pub struct SensorSeenDto {
    pub name: String,
    pub rssi_dbm: Option<f64>,
    pub last_seen: String,
}

/// The value of the first of the row's identities of `kind` (stored as `kind:value`).
fn identity(t: &TrackRow, kind: &str) -> Option<String> {
    t.identities.iter().find_map(|i| {
        i.split_once(':')
            .filter(|(k, _)| *k == kind)
            .map(|(_, v)| v.to_owned())
    })
}

/// Whether the row matches an allowlist of `kind:value` texts (its identities or its operator ID).
pub fn allowlisted(t: &TrackRow, allow: &HashSet<String>) -> bool {
    t.identities.iter().any(|i| allow.contains(i))
        || t.detail
            .operator_id
            .as_ref()
            .is_some_and(|o| allow.contains(&format!("operator-id:{o}")))
}

impl TrackDto {
    /// Converts a row, keeping pilot and home positions (and the pilot position's kind) only when `pilots`
    /// is true. `allowlisted` is the row's match against the lists in force, when the caller has them;
    /// otherwise the one recorded when the row was written.
    pub fn new(t: &TrackRow, pilots: bool, allow: Option<&HashSet<String>>) -> TrackDto {
        let keep = |v: Option<f64>| if pilots { v } else { None };
        let d = &t.detail;
        let (height_m, height_agl_m) = match d.height_ref.as_deref() {
            Some("ground") => (None, d.height_m),
            _ => (d.height_m, None),
        };
        TrackDto {
            id: t.id,
            uas_id: t.uas_id.clone(),
            key: t.key.clone(),
            lat: t.lat,
            lon: t.lon,
            alt_m: t.alt_m,
            operator_lat: keep(t.operator_lat),
            operator_lon: keep(t.operator_lon),
            home_lat: keep(t.home_lat),
            home_lon: keep(t.home_lon),
            transports: t.transports.clone(),
            sensors: t.sensors.clone(),
            first_seen: crate::rfc3339(t.first_seen_ms),
            last_seen: crate::rfc3339(t.last_seen_ms),
            detections: t.detections,
            state: t.state.clone(),
            speed_mps: d.speed_mps,
            heading_deg: d.heading_deg,
            climb_mps: d.climb_mps,
            height_m,
            height_agl_m,
            alt_geo_m: d.alt_geo_m,
            alt_baro_m: d.alt_baro_m,
            pilot_kind: if pilots { d.pilot_kind.clone() } else { None },
            operator_alt_m: keep(d.operator_alt_m),
            model: d.model.clone(),
            ua_type: d.ua_type.clone(),
            operator_id: d.operator_id.clone(),
            registration: identity(t, "caa-registration"),
            session_id: identity(t, "session-id"),
            dji_serial: identity(t, "dji-serial"),
            self_id: d.self_id.clone(),
            auth_pages: d.auth_pages,
            last_reported: d.last_reported_ms.map(crate::rfc3339),
            allowlisted: allow.map_or(d.allowlisted, |a| allowlisted(t, a)),
            sensors_seen: d
                .sensors_seen
                .iter()
                .map(|x| SensorSeenDto {
                    name: x.name.clone(),
                    rssi_dbm: x.rssi_dbm,
                    last_seen: crate::rfc3339(x.last_seen_ms),
                })
                .collect(),
        }
    }

    fn has_pilot_data(&self) -> bool {
        self.operator_lat.is_some() || self.home_lat.is_some() || self.pilot_kind.is_some()
    }
}

/// Converts rows for a caller and audits the read when pilot or home positions are shown.
///
/// # Errors
///
/// When the audit row cannot be written, nothing is shown: an unaudited read of personal data is refused.
pub async fn dtos_for(
    s: &AppState,
    c: &Caller,
    rows: &[TrackRow],
    what: &str,
) -> Result<Vec<TrackDto>, ApiError> {
    let pilots = c.sees_pilots(s);
    let allow = s.fusion.lock().ok().map(|f| f.allowlist_texts());
    let out: Vec<TrackDto> = rows
        .iter()
        .map(|t| TrackDto::new(t, pilots, allow.as_ref()))
        .collect();
    let ids: Vec<i64> = out
        .iter()
        .filter(|d| d.has_pilot_data())
        .map(|d| d.id)
        .collect();
    if !ids.is_empty() {
        let details = serde_json::json!({ "via": what, "tracks": ids }).to_string();
        s.store
            .audit(&c.user.name, "pilot.read", Some(details), s.now())
            .done()
            .await?;
    }
    Ok(out)
}

#[derive(Deserialize)]
struct ListParams {
    active: Option<bool>,
}

async fn list(
    State(s): State<AppState>,
    c: Caller,
    Query(p): Query<ListParams>,
) -> Result<Json<Vec<TrackDto>>, ApiError> {
    // Active is the tracker's state (heard within its lost timeout), as the row records it.
    let rows = if p.active == Some(true) {
        s.store.active_tracks()?
    } else {
        s.store.tracks(None)?
    };
    Ok(Json(dtos_for(&s, &c, &rows, "GET /tracks").await?))
}

async fn one(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<i64>,
) -> Result<Json<TrackDto>, ApiError> {
    let row = s
        .store
        .track(id)?
        .ok_or_else(|| ApiError::NotFound(format!("track {id} not found")))?;
    let mut v = dtos_for(&s, &c, std::slice::from_ref(&row), "GET /tracks/{id}").await?;
    v.pop()
        .map(Json)
        .ok_or_else(|| ApiError::Internal("conversion lost the track".into()))
}

#[derive(Deserialize)]
struct WindowParams {
    from: Option<String>,
    to: Option<String>,
    bbox: Option<String>,
}

#[derive(Serialize)]
struct PointDto {
    time: String,
    lat: f64,
    lon: f64,
    alt_m: Option<f64>,
}

async fn path(
    State(s): State<AppState>,
    _c: Caller,
    Path(id): Path<i64>,
    Query(p): Query<WindowParams>,
) -> Result<Json<Vec<PointDto>>, ApiError> {
    let from = super::parse_time("from", p.from.as_deref())?.unwrap_or(i64::MIN);
    let to = super::parse_time("to", p.to.as_deref())?.unwrap_or(i64::MAX);
    if s.store.track(id)?.is_none() {
        return Err(ApiError::NotFound(format!("track {id} not found")));
    }
    let pts = s.store.track_path(id, from, to)?;
    Ok(Json(
        pts.into_iter()
            .map(|p| PointDto {
                time: crate::rfc3339(p.time_ms),
                lat: p.lat,
                lon: p.lon,
                alt_m: p.alt_m,
            })
            .collect(),
    ))
}

async fn history(
    State(s): State<AppState>,
    c: Caller,
    Query(p): Query<WindowParams>,
) -> Result<Json<Vec<TrackDto>>, ApiError> {
    let from = super::parse_time("from", p.from.as_deref())?.unwrap_or(i64::MIN);
    let to = super::parse_time("to", p.to.as_deref())?.unwrap_or(i64::MAX);
    let area = super::parse_bbox(p.bbox.as_deref())?;
    let rows = s.store.tracks_in(from, to, area)?;
    Ok(Json(dtos_for(&s, &c, &rows, "GET /history").await?))
}
