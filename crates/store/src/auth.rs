//! Users, passwords, session and API tokens, sensor registration.
//!
//! Passwords are hashed with Argon2id (the `argon2` crate's defaults, a per-password random salt, PHC string
//! format). Tokens are 32 random bytes from the operating system, shown once as 64 hex digits; only their
//! SHA-256 is stored, which is enough for a secret with 256 bits of entropy (no salt or slow hash is needed
//! because nothing can be guessed).

use crate::{Error, Heartbeat, Result, Role, Sensor, Store, Ticket, User};
use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use rand::RngCore;
use rusqlite::{params, OptionalExtension, Row};
use sha2::{Digest, Sha256};

/// What a user token is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// Given by a password login; expires.
    Session,
    /// Created for an integration; lives until revoked.
    Api,
}

impl TokenKind {
    fn as_str(self) -> &'static str {
        match self {
            TokenKind::Session => "session",
            TokenKind::Api => "api",
        }
    }
}

/// Hashes a password with Argon2id and a fresh salt (PHC string).
///
/// # Errors
///
/// [`Error::Password`] when hashing fails (it does not with the default parameters).
pub fn hash_password(password: &str) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::Password(e.to_string()))
}

/// Checks a password against a stored PHC hash. A malformed hash never matches.
pub fn verify_password(hash: &str, password: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(h) => Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok(),
        Err(_) => false,
    }
}

/// A new random token (64 hex digits).
pub(crate) fn new_token() -> String {
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    hex::encode(b)
}

pub(crate) fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

fn user_from(r: &Row<'_>) -> rusqlite::Result<User> {
    let role: String = r.get(2)?;
    Ok(User {
        id: r.get(0)?,
        name: r.get(1)?,
        // An unknown role in the database (a newer build wrote it) gets the least privilege.
        role: Role::parse(&role).unwrap_or(Role::Viewer),
    })
}

pub(crate) const SENSOR_COLS: &str =
    "id, name, created_ms, last_heartbeat_ms, lat, lon, alt_m, counters, \
                                      software_version, detections_stored";

pub(crate) fn sensor_from(r: &Row<'_>) -> rusqlite::Result<Sensor> {
    Ok(Sensor {
        id: r.get(0)?,
        name: r.get(1)?,
        created_ms: r.get(2)?,
        last_heartbeat_ms: r.get(3)?,
        lat: r.get(4)?,
        lon: r.get(5)?,
        alt_m: r.get(6)?,
        counters: r.get(7)?,
        software_version: r.get(8)?,
        detections_stored: r.get(9)?,
    })
}

fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(
        e,
        rusqlite::Error::SqliteFailure(f, _) if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
    )
}

impl Store {
    /// Creates a user. The password is hashed on the calling thread (it takes tens of milliseconds).
    ///
    /// # Errors
    ///
    /// [`Error::Exists`] when the name is taken; database errors.
    pub fn add_user(
        &self,
        name: &str,
        role: Role,
        password: &str,
        now_ms: i64,
    ) -> Result<Ticket<i64>> {
        let hash = hash_password(password)?;
        let name = name.to_owned();
        Ok(self.write(move |c| {
            let r = c.execute(
                "INSERT INTO users(name, role, password_hash, created_ms) VALUES (?1, ?2, ?3, ?4)",
                params![name, role.as_str(), hash, now_ms],
            );
            match r {
                Ok(_) => Ok(c.last_insert_rowid()),
                Err(e) if is_unique_violation(&e) => Err(Error::Exists(format!("user {name}"))),
                Err(e) => Err(e.into()),
            }
        }))
    }

    /// All users, by name.
    ///
    /// # Errors
    ///
    /// Database errors.
    pub fn users(&self) -> Result<Vec<User>> {
        self.read(|c| {
            let mut st = c.prepare_cached("SELECT id, name, role FROM users ORDER BY name")?;
            let rows = st
                .query_map([], user_from)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }

    /// Checks a name and password. Slow on purpose (Argon2): call it off the async runtime.
    ///
    /// # Errors
    ///
    /// Database errors; a wrong name or password is `Ok(None)`.
    pub fn check_password(&self, name: &str, password: &str) -> Result<Option<User>> {
        let found = self.read(|c| {
            c.query_row(
                "SELECT id, name, role, password_hash FROM users WHERE name = ?1",
                [name],
                |r| Ok((user_from(r)?, r.get::<_, String>(3)?)),
            )
            .optional()
            .map_err(Error::from)
        })?;
        Ok(match found {
            Some((user, hash)) if verify_password(&hash, password) => Some(user),
            _ => None,
        })
    }

    /// Creates a token for a user and returns it (the only time it is visible).
    pub fn create_token(
        &self,
        user_id: i64,
        kind: TokenKind,
        label: Option<String>,
        now_ms: i64,
        expires_ms: Option<i64>,
    ) -> Ticket<String> {
        let token = new_token();
        let hash = token_hash(&token);
        self.write(move |c| {
            c.execute(
                "INSERT INTO tokens(hash, user_id, kind, label, created_ms, expires_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![hash, user_id, kind.as_str(), label, now_ms, expires_ms],
            )?;
            Ok(token.clone())
        })
    }

    /// The user a bearer token belongs to, when it is known and not expired.
    ///
    /// # Errors
    ///
    /// Database errors.
    pub fn user_for_token(&self, token: &str, now_ms: i64) -> Result<Option<User>> {
        let hash = token_hash(token);
        self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT u.id, u.name, u.role FROM tokens t JOIN users u ON u.id = t.user_id \
                 WHERE t.hash = ?1 AND (t.expires_ms IS NULL OR t.expires_ms > ?2)",
            )?;
            Ok(st.query_row(params![hash, now_ms], user_from).optional()?)
        })
    }

    /// Revokes a token (logout). Returns whether it existed.
    pub fn revoke_token(&self, token: &str) -> Ticket<bool> {
        let hash = token_hash(token);
        self.write(move |c| Ok(c.execute("DELETE FROM tokens WHERE hash = ?1", [&hash])? > 0))
    }

    /// Registers a sensor; returns its id and its token (the only time the token is visible).
    pub fn add_sensor(&self, name: &str, now_ms: i64) -> Ticket<(i64, String)> {
        let token = new_token();
        let hash = token_hash(&token);
        let name = name.to_owned();
        self.write(move |c| {
            let r = c.execute(
                "INSERT INTO sensors(name, token_hash, created_ms) VALUES (?1, ?2, ?3)",
                params![name, hash, now_ms],
            );
            match r {
                Ok(_) => Ok((c.last_insert_rowid(), token.clone())),
                Err(e) if is_unique_violation(&e) => Err(Error::Exists(format!("sensor {name}"))),
                Err(e) => Err(e.into()),
            }
        })
    }

    /// The sensor a token belongs to.
    ///
    /// # Errors
    ///
    /// Database errors.
    pub fn sensor_for_token(&self, token: &str) -> Result<Option<Sensor>> {
        let hash = token_hash(token);
        self.read(|c| {
            let mut st = c.prepare_cached(&format!(
                "SELECT {SENSOR_COLS} FROM sensors WHERE token_hash = ?1"
            ))?;
            Ok(st.query_row([hash], sensor_from).optional()?)
        })
    }

    /// All sensors, by name.
    ///
    /// # Errors
    ///
    /// Database errors.
    pub fn sensors(&self) -> Result<Vec<Sensor>> {
        self.read(|c| {
            let mut st =
                c.prepare_cached(&format!("SELECT {SENSOR_COLS} FROM sensors ORDER BY name"))?;
            let rows = st
                .query_map([], sensor_from)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }

    /// Records a heartbeat. Fields the heartbeat omits keep their previous values.
    pub fn heartbeat(&self, sensor_id: i64, hb: Heartbeat, now_ms: i64) -> Ticket<Sensor> {
        self.write(move |c| {
            let mut st = c.prepare_cached(&format!(
                "UPDATE sensors SET last_heartbeat_ms = ?2, lat = coalesce(?3, lat), lon = coalesce(?4, lon), \
                 alt_m = coalesce(?5, alt_m), counters = coalesce(?6, counters), \
                 software_version = coalesce(?7, software_version) WHERE id = ?1 RETURNING {SENSOR_COLS}"
            ))?;
            st.query_row(
                params![sensor_id, now_ms, hb.lat, hb.lon, hb.alt_m, hb.counters, hb.software_version],
                sensor_from,
            )
            .optional()?
            .ok_or_else(|| Error::NotFound(format!("sensor {sensor_id}")))
        })
    }
}
