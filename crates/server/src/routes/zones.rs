//! Zones: create or edit from a GeoJSON Feature, import whole files (GeoJSON, EUROCAE ED-318 and ED-269,
//! airport lists as circles), list, delete. The zone rules run in [`crate::fusion`] on the index kept here.
//!
//! Every zone is stored with a GeoJSON Feature for display (`feature` in the API). Zones imported from
//! ED-318 or ED-269 also keep their own item of the file (`format`, `source` in the store), because only
//! that carries their schedule and altitude references; the index is built from it. An import is one
//! transaction: a bad item refuses the whole file (400 naming the item or CSV line), nothing is stored.
//!
//! A zone's schedule (GeoJSON `properties.schedule`, see [`import::schedule_json`]; ED-318/ED-269
//! applicability) is in the index, so the alert rules only fire while it applies. The API shows every
//! zone's schedule in the GeoJSON form, whatever it was defined in, and whether it applies now on the
//! server clock.

use crate::auth::Caller;
use crate::{ApiError, AppState, Zones};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::sync::Arc;
use store::Role;
use track::zones::import::{self, ImportError};
use track::zones::{AltitudeLimit, AltitudeRef, Geometry, Restriction, Zone, ZoneId, ZoneIndex};
use track::UnixMs;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/zones", get(list).post(create))
        .route("/zones/import", post(import_file))
        .route("/zones/{id}", delete(remove).put(edit))
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
    /// `geojson`, `ed318` or `ed269`: what the zone was defined in.
    format: String,
    feature: serde_json::Value,
    /// The schedule as GeoJSON `properties.schedule` (`[]`: always); null when the zone could not be read.
    schedule: Value,
    /// Whether the schedule applies at the server's time of the answer.
    active_now: bool,
}

impl ZoneDto {
    /// The row with its domain zone's schedule (`None`: the zone could not be read), at `now`.
    fn new(z: &store::ZoneRow, domain: Option<&Zone>, now: i64) -> ZoneDto {
        ZoneDto {
            id: z.id,
            name: z.name.clone(),
            restriction: z.restriction.clone(),
            lower_m: z.lower_m,
            upper_m: z.upper_m,
            radius_m: z.radius_m,
            created: crate::rfc3339(z.created_ms),
            format: z.format.clone(),
            feature: serde_json::from_str(&z.geojson).unwrap_or_default(),
            schedule: domain.map_or(Value::Null, |d| import::schedule_json(&d.schedule)),
            active_now: domain.is_some_and(|d| d.schedule.is_active(UnixMs(now))),
        }
    }
}

/// The answers for stored rows, each with its domain zone from the index (after [`reload`]).
fn dtos(s: &AppState, rows: &[store::ZoneRow]) -> Result<Vec<ZoneDto>, ApiError> {
    let zones = s
        .zones
        .read()
        .map(|z| z.clone())
        .map_err(|_| ApiError::Internal("zone index lock poisoned".into()))?;
    let by_id: std::collections::HashMap<&str, &Zone> = zones
        .index
        .zones()
        .iter()
        .map(|z| (z.id.0.as_str(), z))
        .collect();
    let now = s.now();
    Ok(rows
        .iter()
        .map(|r| ZoneDto::new(r, by_id.get(r.id.to_string().as_str()).copied(), now))
        .collect())
}

/// The answer for a row just written.
fn dto_of(s: &AppState, row: store::ZoneRow) -> Result<ZoneDto, ApiError> {
    dtos(s, std::slice::from_ref(&row))?
        .pop()
        .ok_or_else(|| ApiError::Internal("no zone answer".into()))
}

/// Parses one stored zone's GeoJSON into the domain zone, named by its store id.
fn domain(z: &store::ZoneRow) -> Option<Zone> {
    let parsed = match (z.format.as_str(), &z.source) {
        ("ed318", Some(src)) => import::ed318(src),
        ("ed269", Some(src)) => import::ed269(src),
        _ => import::geojson(&z.geojson),
    };
    let mut v = parsed.ok()?;
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
    Ok(Json(dtos(&s, &s.store.zones()?)?))
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

/// Reads one GeoJSON Feature (the body of POST and PUT) into a zone to store.
fn from_feature(text: &str) -> Result<store::NewZone, ApiError> {
    let v: Value =
        serde_json::from_str(text).map_err(|e| ApiError::bad(format!("not JSON: {e}")))?;
    if v.get("type").and_then(|t| t.as_str()) != Some("Feature") {
        return Err(ApiError::bad("expected a GeoJSON Feature"));
    }
    // The domain importer is the judge of the geometry and schedule: a zone we could not evaluate is
    // refused. A bad schedule names its field (`properties.schedule[0].windows[1].from`).
    let parsed = import::geojson(text).map_err(|e| match e {
        ImportError::Item { reason, .. } if reason.starts_with("schedule") => {
            let field = reason
                .split_once(": ")
                .map_or("schedule", |(f, _)| f)
                .to_owned();
            ApiError::BadRequest {
                message: format!("properties.{reason}"),
                line: None,
                field: Some(format!("properties.{field}")),
            }
        }
        other => ApiError::bad(format!("zone: {other}")),
    })?;
    if parsed.len() != 1 {
        return Err(ApiError::bad("expected exactly one zone"));
    }
    let props = v.get("properties").cloned().unwrap_or_default();
    let prop = |k: &str| {
        props
            .get(k)
            .and_then(|n| n.as_str())
            .unwrap_or_default()
            .to_owned()
    };
    Ok(store::NewZone {
        name: prop("name"),
        restriction: prop("restriction"),
        geojson: text.to_owned(),
        lower_m: num(&props, "lower_m")?,
        upper_m: num(&props, "upper_m")?,
        radius_m: num(&props, "radius_m")?,
        format: "geojson".into(),
        source: None,
    })
}

async fn create(
    State(s): State<AppState>,
    c: Caller,
    body: Bytes,
) -> Result<Json<ZoneDto>, ApiError> {
    c.require(&[Role::Admin, Role::Operator])?;
    let text = std::str::from_utf8(&body).map_err(|_| ApiError::bad("body is not UTF-8"))?;
    let z = from_feature(text)?;
    let now = s.now();
    let row = s.store.add_zone(z, now).done().await?;
    s.store
        .audit(
            &c.user.name,
            "zone.add",
            Some(json!({ "zone": row.id, "name": row.name }).to_string()),
            now,
        )
        .done()
        .await?;
    reload(&s).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(Json(dto_of(&s, row)?))
}

/// `PUT /zones/{id}`: replaces a zone's definition with a GeoJSON Feature (as `POST /zones`).
async fn edit(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Json<ZoneDto>, ApiError> {
    c.require(&[Role::Admin, Role::Operator])?;
    let text = std::str::from_utf8(&body).map_err(|_| ApiError::bad("body is not UTF-8"))?;
    let z = from_feature(text)?;
    let row = s
        .store
        .update_zone(id, z)
        .done()
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("zone {id} not found")))?;
    s.store
        .audit(
            &c.user.name,
            "zone.update",
            Some(json!({ "zone": row.id, "name": row.name }).to_string()),
            s.now(),
        )
        .done()
        .await?;
    reload(&s).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(Json(dto_of(&s, row)?))
}

#[derive(Deserialize)]
struct ImportParams {
    format: Option<String>,
    radius_m: Option<f64>,
    types: Option<String>,
}

/// The radius of airport circles when `radius_m` is not given.
const AIRPORT_RADIUS_M: f64 = 5_000.0;

/// A 400 naming the item of the file (`features[3]`, `UASZoneList[0].geometry[1]`).
fn item_error(field: String, e: impl std::fmt::Display) -> ApiError {
    ApiError::BadRequest {
        message: format!("{field}: {e}"),
        line: None,
        field: Some(field),
    }
}

fn restriction_text(r: &Restriction) -> String {
    match r {
        Restriction::Prohibited => "prohibited".into(),
        Restriction::AuthRequired => "auth-required".into(),
        Restriction::Restricted => "restricted".into(),
        Restriction::Info => "info".into(),
        Restriction::Unknown(s) => s.clone(),
    }
}

fn reference_text(r: &AltitudeRef) -> String {
    match r {
        AltitudeRef::Agl => "AGL".into(),
        AltitudeRef::Amsl => "AMSL".into(),
        AltitudeRef::Wgs84 => "WGS84".into(),
        AltitudeRef::Unknown(s) => s.clone(),
    }
}

/// A domain zone as a GeoJSON Feature in the property names of [`import::geojson`] (which reads it back
/// the same): what the API shows and the console draws.
fn display_feature(z: &Zone, source_id: &str) -> Value {
    let (geometry, radius) = match &z.geometry {
        Geometry::Circle { center, radius_m } => (
            json!({ "type": "Point", "coordinates": [center.lon, center.lat] }),
            Some(*radius_m),
        ),
        Geometry::Polygon(mp) => {
            let polygons: Vec<Vec<Vec<[f64; 2]>>> =
                mp.0.iter()
                    .map(|p| {
                        std::iter::once(p.exterior())
                            .chain(p.interiors())
                            .map(|ring| ring.coords().map(|c| [c.x, c.y]).collect())
                            .collect()
                    })
                    .collect();
            (
                json!({ "type": "MultiPolygon", "coordinates": polygons }),
                None,
            )
        }
    };
    let mut props = json!({ "name": z.name, "restriction": restriction_text(&z.restriction), "source_id": source_id });
    let limit = |props: &mut Value, side: &str, l: &Option<AltitudeLimit>| {
        if let Some(l) = l {
            props[format!("{side}_m")] = json!(l.metres);
            props[format!("{side}_ref")] = json!(reference_text(&l.reference));
        }
    };
    limit(&mut props, "lower", &z.band.lower);
    limit(&mut props, "upper", &z.band.upper);
    if let Some(r) = radius {
        props["radius_m"] = json!(r);
    }
    if !z.schedule.periods.is_empty() {
        props["schedule"] = import::schedule_json(&z.schedule);
    }
    json!({ "type": "Feature", "geometry": geometry, "properties": props })
}

/// A zone to store from an imported domain zone; `source` is its own item for ED-318/ED-269.
fn imported(z: &Zone, format: &str, source: Option<String>) -> store::NewZone {
    store::NewZone {
        name: z.name.clone(),
        restriction: restriction_text(&z.restriction),
        geojson: display_feature(z, &z.id.0).to_string(),
        lower_m: z.band.lower.as_ref().map(|l| l.metres),
        upper_m: z.band.upper.as_ref().map(|l| l.metres),
        radius_m: match z.geometry {
            Geometry::Circle { radius_m, .. } => Some(radius_m),
            Geometry::Polygon(_) => None,
        },
        format: format.into(),
        source,
    }
}

/// The one zone an importer made of a document holding one item.
fn single(zones: Result<Vec<Zone>, ImportError>, field: &str) -> Result<Zone, ApiError> {
    let mut zones = zones.map_err(|e| match e {
        // The importer numbers the item inside the one-item document; the field names it in the file.
        ImportError::Item { reason, .. } => item_error(field.to_owned(), reason),
        other => item_error(field.to_owned(), other),
    })?;
    match (zones.pop(), zones.is_empty()) {
        (Some(z), true) => Ok(z),
        _ => Err(item_error(field.to_owned(), "expected exactly one zone")),
    }
}

fn json_doc(text: &str) -> Result<Value, ApiError> {
    serde_json::from_str(text).map_err(|e| ApiError::bad(format!("not JSON: {e}")))
}

/// The features of a GeoJSON FeatureCollection (or the one Feature).
fn features(doc: Value) -> Result<Vec<Value>, ApiError> {
    match doc.get("type").and_then(Value::as_str) {
        Some("FeatureCollection") => match doc.get("features") {
            Some(Value::Array(f)) => Ok(f.clone()),
            _ => Err(ApiError::bad("features: expected an array")),
        },
        Some("Feature") => Ok(vec![doc]),
        _ => Err(ApiError::bad(
            "expected a GeoJSON FeatureCollection or Feature",
        )),
    }
}

/// Reads a whole file into zones to store; every item is checked, the first bad one refuses the file.
fn read_import(
    format: &str,
    text: &str,
    radius_m: f64,
    types: Option<&[&str]>,
) -> Result<Vec<store::NewZone>, ApiError> {
    let mut out = Vec::new();
    match format {
        "geojson" => {
            for (i, f) in features(json_doc(text)?)?.into_iter().enumerate() {
                let field = format!("features[{i}]");
                let mut z = from_feature(&f.to_string()).map_err(|e| match e {
                    // A field inside the feature: `features[3].properties.schedule[0].from`.
                    ApiError::BadRequest {
                        message,
                        field: Some(inner),
                        ..
                    } => ApiError::BadRequest {
                        message: format!("{field}.{message}"),
                        line: None,
                        field: Some(format!("{field}.{inner}")),
                    },
                    ApiError::BadRequest { message, .. } => item_error(field.clone(), message),
                    other => other,
                })?;
                if z.name.is_empty() {
                    z.name = f
                        .get("id")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned();
                }
                out.push(z);
            }
        }
        "ed318" => {
            for (i, f) in features(json_doc(text)?)?.into_iter().enumerate() {
                let src = json!({ "type": "FeatureCollection", "features": [f] }).to_string();
                let z = single(import::ed318(&src), &format!("features[{i}]"))?;
                out.push(imported(&z, "ed318", Some(src)));
            }
        }
        "ed269" => {
            let doc = json_doc(text)?;
            let Some(Value::Array(list)) = doc.get("UASZoneList") else {
                return Err(ApiError::bad("UASZoneList: expected an array of zones"));
            };
            for (i, item) in list.iter().enumerate() {
                let volumes = match item.get("geometry") {
                    Some(Value::Array(v)) if !v.is_empty() => v.clone(),
                    _ => {
                        return Err(item_error(
                            format!("UASZoneList[{i}].geometry"),
                            "expected at least one volume",
                        ))
                    }
                };
                // One stored zone per volume, each with the zone's other fields.
                for (k, vol) in volumes.into_iter().enumerate() {
                    let mut one = item.clone();
                    one["geometry"] = json!([vol]);
                    let src = json!({ "UASZoneList": [one] }).to_string();
                    let z = single(
                        import::ed269(&src),
                        &format!("UASZoneList[{i}].geometry[{k}]"),
                    )?;
                    out.push(imported(&z, "ed269", Some(src)));
                }
            }
        }
        "airports-csv" => {
            let zones =
                import::airports_csv_of_types(text, radius_m, types).map_err(|e| match e {
                    // Data rows count from 0 after the header line.
                    ImportError::Item { index, reason, .. } => ApiError::BadRequest {
                        message: format!("line {}: {reason}", index + 2),
                        line: Some(index + 2),
                        field: None,
                    },
                    ImportError::Csv(e) => {
                        let line = e.position().and_then(|p| usize::try_from(p.line()).ok());
                        ApiError::BadRequest {
                            message: format!("CSV: {e}"),
                            line,
                            field: None,
                        }
                    }
                    other => ApiError::bad(other.to_string()),
                })?;
            out.extend(zones.iter().map(|z| imported(z, "geojson", None)));
        }
        other => {
            return Err(ApiError::BadRequest {
                message: format!(
                    "format: expected geojson, ed318, ed269 or airports-csv, got {other:?}"
                ),
                line: None,
                field: Some("format".into()),
            })
        }
    }
    Ok(out)
}

/// `POST /zones/import?format=geojson|ed318|ed269|airports-csv[&radius_m=N][&types=a,b]`: imports every
/// zone of the file in the body, all or nothing; answers `{"imported": N, "format": ...}`.
async fn import_file(
    State(s): State<AppState>,
    c: Caller,
    Query(p): Query<ImportParams>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    c.require(&[Role::Admin, Role::Operator])?;
    let format = p.format.ok_or_else(|| ApiError::BadRequest {
        message: "format: required (geojson, ed318, ed269 or airports-csv)".into(),
        line: None,
        field: Some("format".into()),
    })?;
    let radius_m = p.radius_m.unwrap_or(AIRPORT_RADIUS_M);
    if !(radius_m.is_finite() && radius_m > 0.0) {
        return Err(ApiError::BadRequest {
            message: format!("radius_m: expected a positive number of metres, got {radius_m}"),
            line: None,
            field: Some("radius_m".into()),
        });
    }
    let fmt = format.clone();
    // Parsing a national zone file takes a while: off the request threads.
    let zones = tokio::task::spawn_blocking(move || {
        let text = std::str::from_utf8(&body).map_err(|_| ApiError::bad("body is not UTF-8"))?;
        let types: Option<Vec<&str>> = p.types.as_deref().map(|t| {
            t.split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .collect()
        });
        read_import(&fmt, text, radius_m, types.as_deref())
    })
    .await
    .map_err(|e| ApiError::Internal(format!("zone import task: {e}")))??;
    let now = s.now();
    let n = s.store.add_zones(zones, now).done().await?;
    s.store
        .audit(
            &c.user.name,
            "zone.import",
            Some(json!({ "format": format, "zones": n }).to_string()),
            now,
        )
        .done()
        .await?;
    let st = s.clone();
    tokio::task::spawn_blocking(move || reload(&st))
        .await
        .map_err(|e| ApiError::Internal(format!("zone reload task: {e}")))?
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(Json(json!({ "imported": n, "format": format })))
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
