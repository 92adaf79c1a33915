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
}

impl TrackDto {
    /// Converts a row, keeping pilot and home positions only when `pilots` is true.
    pub fn new(t: &TrackRow, pilots: bool) -> TrackDto {
        let keep = |v: Option<f64>| if pilots { v } else { None };
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
        }
    }

    fn has_pilot_data(&self) -> bool {
        self.operator_lat.is_some() || self.home_lat.is_some()
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
    let out: Vec<TrackDto> = rows.iter().map(|t| TrackDto::new(t, pilots)).collect();
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
