//! Zones: create from a GeoJSON Feature, list, delete. The zone rules run in [`crate::fusion`] on the index
//! kept here.

use crate::auth::Caller;
use crate::{ApiError, AppState, Zones};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::routing::{delete, get};
use axum::{Json, Router};
use serde::Serialize;
use std::sync::Arc;
use store::Role;
use track::zones::{Zone, ZoneId, ZoneIndex};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/zones", get(list).post(create))
        .route("/zones/{id}", delete(remove))
}

#[derive(Serialize)]
pub struct ZoneDto {
    id: i64,
    name: String,
    restriction: String,
    lower_m: Option<f64>,
    upper_m: Option<f64>,
    radius_m: Option<f64>,
    created: String,
    feature: serde_json::Value,
}

impl From<&store::ZoneRow> for ZoneDto {
    fn from(z: &store::ZoneRow) -> ZoneDto {
        ZoneDto {
            id: z.id,
            name: z.name.clone(),
            restriction: z.restriction.clone(),
            lower_m: z.lower_m,
            upper_m: z.upper_m,
            radius_m: z.radius_m,
            created: crate::rfc3339(z.created_ms),
            feature: serde_json::from_str(&z.geojson).unwrap_or_default(),
        }
    }
}

/// Parses one stored zone's GeoJSON into the domain zone, named by its store id.
fn domain(z: &store::ZoneRow) -> Option<Zone> {
    let mut v = track::zones::import::geojson(&z.geojson).ok()?;
    let mut zone = v.pop()?;
    zone.id = ZoneId(z.id.to_string());
    Some(zone)
}

/// Reloads the zone index from the store.
///
/// # Errors
///
/// Store errors.
pub fn reload(s: &AppState) -> anyhow::Result<()> {
    let rows = s.store.zones()?;
    let index = ZoneIndex::new(rows.iter().filter_map(domain).collect());
    let z = Arc::new(Zones { rows, index });
    if let Ok(mut w) = s.zones.write() {
        *w = z;
    }
    Ok(())
}

async fn list(State(s): State<AppState>, _c: Caller) -> Result<Json<Vec<ZoneDto>>, ApiError> {
    Ok(Json(s.store.zones()?.iter().map(ZoneDto::from).collect()))
}

fn num(props: &serde_json::Value, k: &str) -> Result<Option<f64>, ApiError> {
    match props.get(k) {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(v) => v
            .as_f64()
            .filter(|x| x.is_finite())
            .map(Some)
            .ok_or_else(|| ApiError::BadRequest {
                message: format!("properties.{k}: expected a number"),
                line: None,
                field: Some(format!("properties.{k}")),
            }),
    }
}

async fn create(
    State(s): State<AppState>,
    c: Caller,
    body: Bytes,
) -> Result<Json<ZoneDto>, ApiError> {
    c.require(&[Role::Admin, Role::Operator])?;
    let text = std::str::from_utf8(&body).map_err(|_| ApiError::bad("body is not UTF-8"))?;
    let v: serde_json::Value =
        serde_json::from_str(text).map_err(|e| ApiError::bad(format!("not JSON: {e}")))?;
    if v.get("type").and_then(|t| t.as_str()) != Some("Feature") {
        return Err(ApiError::bad("expected a GeoJSON Feature"));
    }
    // The domain importer is the judge of the geometry: a zone we could not evaluate is refused.
    let parsed =
        track::zones::import::geojson(text).map_err(|e| ApiError::bad(format!("zone: {e}")))?;
    if parsed.len() != 1 {
        return Err(ApiError::bad("expected exactly one zone"));
    }
    let props = v.get("properties").cloned().unwrap_or_default();
    let name = props
        .get("name")
        .and_then(|n| n.as_str())
        .unwrap_or_default()
        .to_owned();
    let restriction = props
        .get("restriction")
        .and_then(|n| n.as_str())
        .unwrap_or_default()
        .to_owned();
    let z = store::NewZone {
        name,
        restriction,
        geojson: text.to_owned(),
        lower_m: num(&props, "lower_m")?,
        upper_m: num(&props, "upper_m")?,
        radius_m: num(&props, "radius_m")?,
    };
    let now = s.now();
    let row = s.store.add_zone(z, now).done().await?;
    s.store
        .audit(
            &c.user.name,
            "zone.add",
            Some(serde_json::json!({ "zone": row.id, "name": row.name }).to_string()),
            now,
        )
        .done()
        .await?;
    reload(&s).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(Json(ZoneDto::from(&row)))
}

async fn remove(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<i64>,
) -> Result<Json<serde_json::Value>, ApiError> {
    c.require(&[Role::Admin, Role::Operator])?;
    if !s.store.delete_zone(id).done().await? {
        return Err(ApiError::NotFound(format!("zone {id} not found")));
    }
    s.store
        .audit(
            &c.user.name,
            "zone.delete",
            Some(serde_json::json!({ "zone": id }).to_string()),
            s.now(),
        )
        .done()
        .await?;
    reload(&s).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(Json(serde_json::json!({ "deleted": id })))
}
