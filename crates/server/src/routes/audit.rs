//! The audit log, for admins.

use crate::auth::Caller;
use crate::{ApiError, AppState};
use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use store::Role;

pub fn router() -> Router<AppState> {
    Router::new().route("/audit", get(list))
}

#[derive(Deserialize)]
struct Params {
    since: Option<String>,
    limit: Option<i64>,
}

#[derive(Serialize)]
struct AuditDto {
    id: i64,
    time: String,
    actor: String,
    action: String,
    details: Option<serde_json::Value>,
}

async fn list(
    State(s): State<AppState>,
    c: Caller,
    Query(p): Query<Params>,
) -> Result<Json<Vec<AuditDto>>, ApiError> {
    c.require(&[Role::Admin])?;
    let since = super::parse_time("since", p.since.as_deref())?.unwrap_or(i64::MIN);
    let rows = s
        .store
        .audit_log(since, p.limit.unwrap_or(1000).clamp(1, 100_000))?;
    Ok(Json(
        rows.into_iter()
            .map(|r| AuditDto {
                id: r.id,
                time: crate::rfc3339(r.time_ms),
                actor: r.actor,
                action: r.action,
                // Details are JSON when we wrote them; anything else is shown as a string.
                details: r
                    .details
                    .map(|d| serde_json::from_str(&d).unwrap_or(serde_json::Value::String(d))),
            })
            .collect(),
    ))
}
