//! Alerts: list and acknowledge.

use crate::auth::Caller;
use crate::{ApiError, AppState};
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use store::Role;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/alerts", get(list))
        .route("/alerts/{id}/ack", post(ack))
}

/// An alert as the API shows it.
#[derive(Debug, Serialize)]
pub struct AlertDto {
    pub id: i64,
    pub kind: String,
    /// Zone id, when the alert is about a zone.
    pub zone: Option<i64>,
    /// Track id.
    pub track: Option<i64>,
    pub time: String,
    pub details: Option<serde_json::Value>,
    pub ack_by: Option<String>,
    pub ack_at: Option<String>,
}

impl From<&store::AlertRow> for AlertDto {
    fn from(a: &store::AlertRow) -> AlertDto {
        AlertDto {
            id: a.id,
            kind: a.kind.clone(),
            zone: a.zone_id,
            track: a.track_id,
            time: crate::rfc3339(a.time_ms),
            details: a
                .details
                .as_deref()
                .and_then(|d| serde_json::from_str(d).ok()),
            ack_by: a.ack_by.clone(),
            ack_at: a.ack_at_ms.map(crate::rfc3339),
        }
    }
}

#[derive(Deserialize)]
struct Params {
    since: Option<String>,
    limit: Option<i64>,
}

async fn list(
    State(s): State<AppState>,
    _c: Caller,
    Query(p): Query<Params>,
) -> Result<Json<Vec<AlertDto>>, ApiError> {
    let since = super::parse_time("since", p.since.as_deref())?.unwrap_or(i64::MIN);
    let rows = s
        .store
        .alerts(since, p.limit.unwrap_or(1000).clamp(1, 100_000))?;
    Ok(Json(rows.iter().map(AlertDto::from).collect()))
}

async fn ack(
    State(s): State<AppState>,
    c: Caller,
    Path(id): Path<i64>,
) -> Result<Json<AlertDto>, ApiError> {
    c.require(&[Role::Admin, Role::Operator])?;
    let now = s.now();
    let row = s
        .store
        .ack_alert(id, &c.user.name, now)
        .done()
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("alert {id} not found")))?;
    s.store
        .audit(
            &c.user.name,
            "alert.ack",
            Some(serde_json::json!({ "alert": id }).to_string()),
            now,
        )
        .done()
        .await?;
    Ok(Json(AlertDto::from(&row)))
}
