//! Blocking administration functions for the `skytrace admin` command (no async runtime needed).
//!
//! Each opens the store in the data directory, does one thing, records it in the audit log with the actor
//! `cli`, and closes the store (waiting for the commit).

use crate::{Result, Role, Store, User};
use std::path::Path;

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Creates a user. Returns its id.
///
/// # Errors
///
/// [`crate::Error::Exists`] when the name is taken; store errors.
pub fn user_add(data_dir: &Path, name: &str, role: Role, password: &str) -> Result<i64> {
    let store = Store::open(data_dir)?;
    let id = store.add_user(name, role, password, now_ms())?.wait()?;
    store
        .audit(
            "cli",
            "user.add",
            Some(serde_json::json!({"user": name, "role": role.as_str()}).to_string()),
            now_ms(),
        )
        .wait()?;
    Ok(id)
}

/// Lists users.
///
/// # Errors
///
/// Store errors.
pub fn user_list(data_dir: &Path) -> Result<Vec<User>> {
    Store::open(data_dir)?.users()
}

/// Registers a sensor and returns its token: the only time it is shown (only its hash is stored).
///
/// # Errors
///
/// [`crate::Error::Exists`] when the name is taken; store errors.
pub fn sensor_add(data_dir: &Path, name: &str) -> Result<String> {
    let store = Store::open(data_dir)?;
    let (_, token) = store.add_sensor(name, now_ms()).wait()?;
    store
        .audit(
            "cli",
            "sensor.add",
            Some(serde_json::json!({"sensor": name}).to_string()),
            now_ms(),
        )
        .wait()?;
    Ok(token)
}

/// Creates an API token for an existing user (for integrations). Returns the token.
///
/// # Errors
///
/// [`crate::Error::NotFound`] when there is no such user; store errors.
pub fn token_add(data_dir: &Path, user: &str, label: &str) -> Result<String> {
    let store = Store::open(data_dir)?;
    let u = store
        .users()?
        .into_iter()
        .find(|u| u.name == user)
        .ok_or_else(|| crate::Error::NotFound(format!("user {user}")))?;
    let token = store
        .create_token(
            u.id,
            crate::TokenKind::Api,
            Some(label.to_owned()),
            now_ms(),
            None,
        )
        .wait()?;
    store
        .audit(
            "cli",
            "token.add",
            Some(serde_json::json!({"user": user, "label": label}).to_string()),
            now_ms(),
        )
        .wait()?;
    Ok(token)
}
