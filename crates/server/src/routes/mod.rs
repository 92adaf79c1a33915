//! One router per resource, merged in [`router`]; the DTOs they answer with live next to them.

pub mod alerts;
pub mod audit;
pub mod console;
pub mod export;
pub mod ingest;
pub mod lists;
pub mod openapi;
pub mod sensors;
pub mod stream;
pub mod tracks;
pub mod users;
pub mod zones;

use crate::AppState;
use axum::extract::{DefaultBodyLimit, State};
use axum::routing::get;
use axum::Router;
use tower_http::trace::TraceLayer;

/// All routes: the API under `/api/v1`, plus `/metrics` and `/healthz`.
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .merge(users::router())
        .merge(sensors::router())
        .merge(ingest::router())
        .merge(tracks::router())
        .merge(zones::router())
        .merge(alerts::router())
        .merge(lists::router())
        .merge(audit::router())
        .merge(export::router())
        .merge(stream::router())
        .merge(openapi::router());
    Router::new()
        .nest("/api/v1", api)
        .route("/metrics", get(metrics))
        .route("/healthz", get(|| async { "ok" }))
        .merge(console::router())
        .layer(DefaultBodyLimit::max(state.config.max_body_bytes))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

async fn metrics(
    State(s): State<AppState>,
) -> ([(axum::http::HeaderName, &'static str); 1], String) {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        s.metrics.render(),
    )
}

/// Parses an optional RFC 3339 time or Unix milliseconds from a query parameter.
pub(crate) fn parse_time(name: &str, v: Option<&str>) -> Result<Option<i64>, crate::ApiError> {
    let Some(v) = v else { return Ok(None) };
    if let Ok(ms) = v.parse::<i64>() {
        return Ok(Some(ms));
    }
    time::OffsetDateTime::parse(v, &time::format_description::well_known::Rfc3339)
        .ok()
        .and_then(|t| i64::try_from(t.unix_timestamp_nanos() / 1_000_000).ok())
        .map(Some)
        .ok_or_else(|| {
            crate::ApiError::bad(format!(
                "{name}: expected RFC 3339 time or Unix milliseconds, got {v:?}"
            ))
        })
}

/// Parses `bbox=min_lon,min_lat,max_lon,max_lat` (GeoJSON order).
pub(crate) fn parse_bbox(v: Option<&str>) -> Result<Option<store::Area>, crate::ApiError> {
    let Some(v) = v else { return Ok(None) };
    let n: Vec<f64> = v.split(',').filter_map(|x| x.trim().parse().ok()).collect();
    match n.as_slice() {
        [a, b, c, d] if a <= c && b <= d => Ok(Some(store::Area {
            min_lon: *a,
            min_lat: *b,
            max_lon: *c,
            max_lat: *d,
        })),
        _ => Err(crate::ApiError::bad(format!(
            "bbox: expected min_lon,min_lat,max_lon,max_lat, got {v:?}"
        ))),
    }
}
