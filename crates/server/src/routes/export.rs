//! Exports of one track or of a time window as CSV, GeoJSON or KML. Every export is audited.
//!
//! Exports carry aircraft positions only, never pilot or home positions. GeoJSON features and KML
//! placemarks also carry what names the aircraft (model, UA type, operator ID, self-ID), as the track
//! detail of `GET /tracks/{id}` gives them; the operator ID is a public registration number, not a position.

use crate::auth::Caller;
use crate::{ApiError, AppState};
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use std::collections::BTreeMap;
use store::{TrackDetail, TrackRow};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/export", get(window))
        .route("/export/tracks/{id}", get(one))
}

#[derive(Deserialize)]
struct Params {
    format: Option<String>,
    from: Option<String>,
    to: Option<String>,
    bbox: Option<String>,
}

/// A point of an exported path.
struct Pt {
    track: i64,
    name: String,
    time_ms: i64,
    lat: f64,
    lon: f64,
    alt_m: Option<f64>,
}

#[derive(Clone, Copy)]
enum Format {
    Csv,
    GeoJson,
    Kml,
}

fn format(v: Option<&str>) -> Result<Format, ApiError> {
    match v.unwrap_or("geojson") {
        "csv" => Ok(Format::Csv),
        "geojson" => Ok(Format::GeoJson),
        "kml" => Ok(Format::Kml),
        other => Err(ApiError::bad(format!(
            "format: expected csv, geojson or kml, got {other:?}"
        ))),
    }
}

fn csv(points: &[Pt]) -> Result<Vec<u8>, ApiError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let e = |e: csv::Error| ApiError::Internal(e.to_string());
    w.write_record(["track", "uas_id", "time", "lat", "lon", "alt_m"])
        .map_err(e)?;
    for p in points {
        let alt = p.alt_m.map(|a| a.to_string()).unwrap_or_default();
        w.write_record([
            p.track.to_string(),
            p.name.clone(),
            crate::rfc3339(p.time_ms),
            p.lat.to_string(),
            p.lon.to_string(),
            alt,
        ])
        .map_err(e)?;
    }
    w.into_inner()
        .map_err(|x| ApiError::Internal(x.to_string()))
}

fn by_track(points: &[Pt]) -> BTreeMap<i64, Vec<&Pt>> {
    let mut m: BTreeMap<i64, Vec<&Pt>> = BTreeMap::new();
    for p in points {
        m.entry(p.track).or_default().push(p);
    }
    m
}

/// The aircraft's naming facts, by track id.
type Details = BTreeMap<i64, TrackDetail>;

fn details_of(rows: &[TrackRow]) -> Details {
    rows.iter().map(|t| (t.id, (*t.detail).clone())).collect()
}

/// `(name, value)` of the naming facts a track's detail has.
fn facts(d: Option<&TrackDetail>) -> Vec<(&'static str, String)> {
    let Some(d) = d else { return Vec::new() };
    [
        ("model", &d.model),
        ("ua_type", &d.ua_type),
        ("operator_id", &d.operator_id),
        ("self_id", &d.self_id),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.clone().map(|v| (k, v)))
    .collect()
}

fn geojson(points: &[Pt], details: &Details) -> Vec<u8> {
    let features: Vec<serde_json::Value> = by_track(points)
        .into_iter()
        .map(|(id, pts)| {
            let coords: Vec<serde_json::Value> = pts
                .iter()
                .map(|p| match p.alt_m {
                    Some(a) => serde_json::json!([p.lon, p.lat, a]),
                    None => serde_json::json!([p.lon, p.lat]),
                })
                .collect();
            let times: Vec<String> = pts.iter().map(|p| crate::rfc3339(p.time_ms)).collect();
            let name = pts.first().map(|p| p.name.clone()).unwrap_or_default();
            let mut props = serde_json::json!({ "track": id, "uas_id": name, "times": times });
            for (k, v) in facts(details.get(&id)) {
                props[k] = serde_json::Value::String(v);
            }
            serde_json::json!({
                "type": "Feature",
                "geometry": { "type": "LineString", "coordinates": coords },
                "properties": props,
            })
        })
        .collect();
    serde_json::json!({ "type": "FeatureCollection", "features": features })
        .to_string()
        .into_bytes()
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn kml(points: &[Pt], details: &Details) -> Vec<u8> {
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<kml xmlns=\"http://www.opengis.net/kml/2.2\" xmlns:gx=\"http://www.google.com/kml/ext/2.2\">\n<Document>\n");
    for (id, pts) in by_track(points) {
        let name = pts.first().map(|p| p.name.as_str()).unwrap_or_default();
        let mut data = format!("<Data name=\"track\"><value>{id}</value></Data>");
        for (k, v) in facts(details.get(&id)) {
            data.push_str(&format!(
                "<Data name=\"{k}\"><value>{}</value></Data>",
                xml_escape(&v)
            ));
        }
        s.push_str(&format!("<Placemark><name>{}</name><ExtendedData>{data}</ExtendedData>\n<gx:Track><altitudeMode>absolute</altitudeMode>\n", xml_escape(name)));
        for p in &pts {
            s.push_str(&format!("<when>{}</when>\n", crate::rfc3339(p.time_ms)));
        }
        for p in &pts {
            s.push_str(&format!(
                "<gx:coord>{} {} {}</gx:coord>\n",
                p.lon,
                p.lat,
                p.alt_m.unwrap_or(0.0)
            ));
        }
        s.push_str("</gx:Track></Placemark>\n");
    }
    s.push_str("</Document>\n</kml>\n");
    s.into_bytes()
}

fn respond(f: Format, points: &[Pt], details: &Details, stem: &str) -> Result<Response, ApiError> {
    let (body, ctype, ext) = match f {
        Format::Csv => (csv(points)?, "text/csv; charset=utf-8", "csv"),
        Format::GeoJson => (geojson(points, details), "application/geo+json", "geojson"),
        Format::Kml => (
            kml(points, details),
            "application/vnd.google-earth.kml+xml",
            "kml",
        ),
    };
    let disp = format!("attachment; filename=\"{stem}.{ext}\"");
    Ok((
        [
            (header::CONTENT_TYPE, ctype.to_owned()),
            (header::CONTENT_DISPOSITION, disp),
        ],
        body,
    )
        .into_response())
}

async fn audit(s: &AppState, c: &Caller, details: serde_json::Value) -> Result<(), ApiError> {
    s.store
        .audit(&c.user.name, "export", Some(details.to_string()), s.now())
        .done()
        .await?;
    Ok(())
}

async fn one(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<i64>,
    Query(p): Query<Params>,
) -> Result<Response, ApiError> {
    let f = format(p.format.as_deref())?;
    let from = super::parse_time("from", p.from.as_deref())?.unwrap_or(i64::MIN);
    let to = super::parse_time("to", p.to.as_deref())?.unwrap_or(i64::MAX);
    let t = s
        .store
        .track(id)?
        .ok_or_else(|| ApiError::NotFound(format!("track {id} not found")))?;
    let name = t.uas_id.clone().unwrap_or(t.key.clone());
    let points: Vec<Pt> = s
        .store
        .track_path(id, from, to)?
        .into_iter()
        .map(|p| Pt {
            track: id,
            name: name.clone(),
            time_ms: p.time_ms,
            lat: p.lat,
            lon: p.lon,
            alt_m: p.alt_m,
        })
        .collect();
    audit(&s, &c, serde_json::json!({ "track": id, "format": p.format.as_deref().unwrap_or("geojson"), "points": points.len() })).await?;
    respond(
        f,
        &points,
        &details_of(std::slice::from_ref(&t)),
        &format!("track-{id}"),
    )
}

/// At most this many detections per window export; larger windows must be split.
const WINDOW_LIMIT: i64 = 1_000_000;

async fn window(
    State(s): State<AppState>,
    c: Caller,
    Query(p): Query<Params>,
) -> Result<Response, ApiError> {
    let f = format(p.format.as_deref())?;
    let from = super::parse_time("from", p.from.as_deref())?
        .ok_or_else(|| ApiError::bad("from: required"))?;
    let to =
        super::parse_time("to", p.to.as_deref())?.ok_or_else(|| ApiError::bad("to: required"))?;
    let area = super::parse_bbox(p.bbox.as_deref())?;
    let rows = s.store.detections(from, to, area, WINDOW_LIMIT)?;
    let tracks = s.store.tracks_in(from, to, area)?;
    let details = details_of(&tracks);
    let names: BTreeMap<i64, String> = tracks
        .into_iter()
        .map(|t| (t.id, t.uas_id.unwrap_or(t.key)))
        .collect();
    let points: Vec<Pt> = rows
        .into_iter()
        .filter_map(|d| {
            let (track, lat, lon) = (d.track_id?, d.lat?, d.lon?);
            Some(Pt {
                track,
                name: names.get(&track).cloned().unwrap_or_default(),
                time_ms: d.time_ms,
                lat,
                lon,
                alt_m: d.alt_m,
            })
        })
        .collect();
    audit(&s, &c, serde_json::json!({ "from": from, "to": to, "bbox": p.bbox, "format": p.format.as_deref().unwrap_or("geojson"), "points": points.len() })).await?;
    respond(f, &points, &details, "window")
}
