//! Login, logout, users, API tokens.

use crate::auth::Caller;
use crate::{ApiError, AppState};
use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use store::{Role, TokenKind};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", post(login))
        .route("/logout", post(logout))
        .route("/me", get(me))
        .route("/users", get(list).post(create))
        .route("/tokens", post(create_token))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginBody {
    username: String,
    password: String,
}

#[derive(Serialize)]
struct TokenDto {
    token: String,
}

#[derive(Serialize)]
pub struct UserDto {
    id: i64,
    name: String,
    role: &'static str,
}

impl From<store::User> for UserDto {
    fn from(u: store::User) -> UserDto {
        UserDto {
            id: u.id,
            name: u.name,
            role: u.role.as_str(),
        }
    }
}

async fn login(
    State(s): State<AppState>,
    Json(b): Json<LoginBody>,
) -> Result<Json<TokenDto>, ApiError> {
    let store = s.store.clone();
    // Argon2 takes tens of milliseconds of CPU: keep it off the async workers.
    let user = tokio::task::spawn_blocking(move || store.check_password(&b.username, &b.password))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))??;
    let Some(user) = user else {
        return Err(ApiError::Unauthorized);
    };
    let now = s.now();
    let ttl = i64::try_from(s.config.session_ttl_s)
        .unwrap_or(i64::MAX)
        .saturating_mul(1000);
    let token = s
        .store
        .create_token(
            user.id,
            TokenKind::Session,
            None,
            now,
            Some(now.saturating_add(ttl)),
        )
        .done()
        .await?;
    Ok(Json(TokenDto { token }))
}

async fn logout(State(s): State<AppState>, c: Caller) -> Result<Json<serde_json::Value>, ApiError> {
    s.store.revoke_token(&c.token).done().await?;
    Ok(Json(serde_json::json!({ "ok": true })))
}

async fn me(c: Caller) -> Json<UserDto> {
    Json(c.user.into())
}

async fn list(State(s): State<AppState>, c: Caller) -> Result<Json<Vec<UserDto>>, ApiError> {
    c.require(&[Role::Admin])?;
    Ok(Json(
        s.store.users()?.into_iter().map(UserDto::from).collect(),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewUser {
    username: String,
    password: String,
    role: String,
}

async fn create(
    State(s): State<AppState>,
    c: Caller,
    Json(b): Json<NewUser>,
) -> Result<Json<UserDto>, ApiError> {
    c.require(&[Role::Admin])?;
    let role = Role::parse(&b.role).ok_or_else(|| {
        ApiError::bad(format!(
            "role: expected admin, operator or viewer, got {:?}",
            b.role
        ))
    })?;
    if b.username.trim().is_empty() || b.password.is_empty() {
        return Err(ApiError::bad("username and password must not be empty"));
    }
    let now = s.now();
    let store = s.store.clone();
    let (name, pw) = (b.username.clone(), b.password);
    let ticket = tokio::task::spawn_blocking(move || store.add_user(&name, role, &pw, now))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))??;
    let id = ticket.done().await?;
    let details = serde_json::json!({ "user": b.username, "role": role.as_str() }).to_string();
    s.store
        .audit(&c.user.name, "user.add", Some(details), now)
        .done()
        .await?;
    Ok(Json(UserDto {
        id,
        name: b.username,
        role: role.as_str(),
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewToken {
    label: String,
}

async fn create_token(
    State(s): State<AppState>,
    c: Caller,
    Json(b): Json<NewToken>,
) -> Result<Json<TokenDto>, ApiError> {
    let now = s.now();
    let token = s
        .store
        .create_token(c.user.id, TokenKind::Api, Some(b.label.clone()), now, None)
        .done()
        .await?;
    s.store
        .audit(
            &c.user.name,
            "token.add",
            Some(serde_json::json!({ "label": b.label }).to_string()),
            now,
        )
        .done()
        .await?;
    Ok(Json(TokenDto { token }))
}
