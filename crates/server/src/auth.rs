//! Bearer-token extractors: [`Caller`] for people and integrations, [`SensorCaller`] for sensors.

use crate::{ApiError, AppState};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use store::{Role, User};

fn bearer(parts: &Parts) -> Option<&str> {
    let v = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let t = v
        .strip_prefix("Bearer ")
        .or_else(|| v.strip_prefix("bearer "))?
        .trim();
    (!t.is_empty()).then_some(t)
}

/// An authenticated user (session or API token).
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: User,
    pub token: String,
}

impl Caller {
    /// Fails with 403 unless the caller has one of `roles`.
    ///
    /// # Errors
    ///
    /// [`ApiError::Forbidden`].
    pub fn require(&self, roles: &[Role]) -> Result<(), ApiError> {
        if roles.contains(&self.user.role) {
            Ok(())
        } else {
            Err(ApiError::Forbidden)
        }
    }

    /// Whether the configuration lets this caller's role read pilot and home positions.
    pub fn sees_pilots(&self, state: &AppState) -> bool {
        state
            .config
            .pilot_roles
            .iter()
            .any(|r| r == self.user.role.as_str())
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Caller, ApiError> {
        let token = bearer(parts).ok_or(ApiError::Unauthorized)?;
        let user = state
            .store
            .user_for_token(token, state.now())?
            .ok_or(ApiError::Unauthorized)?;
        Ok(Caller {
            user,
            token: token.to_owned(),
        })
    }
}

/// An authenticated sensor.
#[derive(Debug, Clone)]
pub struct SensorCaller(pub store::Sensor);

impl FromRequestParts<AppState> for SensorCaller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<SensorCaller, ApiError> {
        let token = bearer(parts).ok_or(ApiError::Unauthorized)?;
        let s = state
            .store
            .sensor_for_token(token)?
            .ok_or(ApiError::Unauthorized)?;
        Ok(SensorCaller(s))
    }
}
