//! The alert lists: the allowlist (aircraft that never alert) and the watchlist (aircraft that always
//! alert). Entries are identities written `kind:value` (`serial:1596F123`, `dji-serial:...`,
//! `operator-id:...`; kinds as in `track::Identity::kind`). Anyone signed in reads them; admins and
//! operators replace them. They are kept in the store's settings table and take effect at once.

use crate::auth::Caller;
use crate::fusion::{parse_list, ALLOWLIST_KEY, WATCHLIST_KEY};
use crate::{ApiError, AppState};
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use store::Role;

pub fn router() -> Router<AppState> {
    Router::new().route("/lists", get(read).put(replace))
}

/// Both lists, as `kind:value` strings.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListsDto {
    #[serde(default)]
    pub allowlist: Vec<String>,
    #[serde(default)]
    pub watchlist: Vec<String>,
}

fn current(s: &AppState) -> Result<ListsDto, ApiError> {
    let f = s
        .fusion
        .lock()
        .map_err(|_| ApiError::Internal("tracker lock poisoned".into()))?;
    let c = f.alert_config();
    Ok(ListsDto {
        allowlist: c.allowlist.iter().map(ToString::to_string).collect(),
        watchlist: c.watchlist.iter().map(ToString::to_string).collect(),
    })
}

async fn read(State(s): State<AppState>, _c: Caller) -> Result<Json<ListsDto>, ApiError> {
    Ok(Json(current(&s)?))
}

async fn replace(
    State(s): State<AppState>,
    c: Caller,
    body: axum::body::Bytes,
) -> Result<Json<ListsDto>, ApiError> {
    c.require(&[Role::Admin, Role::Operator])?;
    let dto: ListsDto = serde_json::from_slice(&body).map_err(|e| {
        ApiError::bad(format!(
            "expected {{\"allowlist\": [..], \"watchlist\": [..]}}: {e}"
        ))
    })?;
    let allow = parse_list(&dto.allowlist)?;
    let watch = parse_list(&dto.watchlist)?;
    let as_json = |set: &std::collections::BTreeSet<track::Identity>| {
        serde_json::to_string(&set.iter().map(ToString::to_string).collect::<Vec<_>>())
            .unwrap_or_else(|_| "[]".into())
    };
    s.store
        .set_setting(ALLOWLIST_KEY, &as_json(&allow))
        .done()
        .await?;
    s.store
        .set_setting(WATCHLIST_KEY, &as_json(&watch))
        .done()
        .await?;
    let details = serde_json::json!({
        "allowlist": allow.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "watchlist": watch.iter().map(ToString::to_string).collect::<Vec<_>>(),
    });
    s.store
        .audit(
            &c.user.name,
            "lists.set",
            Some(details.to_string()),
            s.now(),
        )
        .done()
        .await?;
    {
        let mut f = s
            .fusion
            .lock()
            .map_err(|_| ApiError::Internal("tracker lock poisoned".into()))?;
        f.set_alert_config(s.config.alerts(allow, watch));
    }
    Ok(Json(current(&s)?))
}
