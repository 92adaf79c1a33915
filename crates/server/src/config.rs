//! Server configuration: defaults, a TOML file, then `SKYTRACE_*` environment variables on top.

use anyhow::Context;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Everything `skytrace serve` can be told. Every field has a default, so an empty file is valid.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Address to listen on (`SKYTRACE_LISTEN`). Default `127.0.0.1:8080`: nothing is exposed beyond the
    /// machine until someone asks for it.
    pub listen: SocketAddr,
    /// Directory of the database (`SKYTRACE_DATA_DIR`). Default `./skytrace-data`.
    pub data_dir: PathBuf,
    /// Days of detections and alerts to keep; `0` keeps everything (`SKYTRACE_RETENTION_DAYS`).
    pub retention_days: u32,
    /// Roles allowed to read pilot (operator) and home positions, which are personal data
    /// (`SKYTRACE_PILOT_ROLES`, comma-separated). Default `admin,operator`: viewers do not see them.
    pub pilot_roles: Vec<String>,
    /// A sensor whose last heartbeat is older than this many seconds is `stale` (`SKYTRACE_SENSOR_STALE_S`).
    pub sensor_stale_s: u64,
    /// ... and `offline` past this many seconds (`SKYTRACE_SENSOR_OFFLINE_S`).
    pub sensor_offline_s: u64,
    /// No longer used, accepted so that existing configuration files still load (`SKYTRACE_ACTIVE_TRACK_S`):
    /// `?active=true` follows the tracker's state, which turns lost after `track_lost_s`.
    pub active_track_s: u64,
    /// Largest accepted request body in bytes; larger ingest batches get 413 (`SKYTRACE_MAX_BODY_BYTES`).
    pub max_body_bytes: usize,
    /// Lifetime of a login session in seconds (`SKYTRACE_SESSION_TTL_S`).
    pub session_ttl_s: u64,
    /// A track not heard for this many seconds is `lost` (`SKYTRACE_TRACK_LOST_S`).
    pub track_lost_s: u64,
    /// ... and `closed` (it leaves the tracker; a new broadcast starts a new track) past this many
    /// seconds (`SKYTRACE_TRACK_CLOSE_S`).
    pub track_close_s: u64,
    /// Raise `unknown-aircraft` for every track not on the allowlist (`SKYTRACE_ALERT_UNKNOWN`).
    pub alert_unknown: bool,
    /// Seconds inside one zone before a `dwell` alert (`SKYTRACE_ALERT_DWELL_S`).
    pub alert_dwell_s: u64,
    /// Minimum seconds between two alerts of the same kind, track and zone (`SKYTRACE_ALERT_COOLDOWN_S`).
    pub alert_cooldown_s: u64,
    /// An online raster tile source for the browser console (`https://.../{z}/{x}/{y}.png`), drawn under
    /// the offline base map (`SKYTRACE_CONSOLE_TILE_URL`). Default none: the console stays offline.
    pub console_tile_url: Option<String>,
}

fn secs_to_ms(s: u64) -> i64 {
    i64::try_from(s)
        .unwrap_or(i64::MAX / 1000)
        .saturating_mul(1000)
}

impl Default for Config {
    fn default() -> Config {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("skytrace-data"),
            retention_days: 0,
            pilot_roles: vec!["admin".into(), "operator".into()],
            sensor_stale_s: 60,
            sensor_offline_s: 300,
            active_track_s: 60,
            max_body_bytes: 16 * 1024 * 1024,
            session_ttl_s: 12 * 3600,
            track_lost_s: 30,
            track_close_s: 300,
            alert_unknown: false,
            alert_dwell_s: 60,
            alert_cooldown_s: 300,
            console_tile_url: None,
        }
    }
}

impl Config {
    /// The tracker's timeouts.
    pub fn tracker(&self) -> track::TrackerConfig {
        track::TrackerConfig {
            lost_after_ms: secs_to_ms(self.track_lost_s),
            close_after_ms: secs_to_ms(self.track_close_s),
        }
    }

    /// The alert rules' settings, with these lists.
    pub fn alerts(
        &self,
        allowlist: std::collections::BTreeSet<track::Identity>,
        watchlist: std::collections::BTreeSet<track::Identity>,
    ) -> track::AlertConfig {
        track::AlertConfig {
            allowlist,
            watchlist,
            alert_unknown: self.alert_unknown,
            dwell_ms: secs_to_ms(self.alert_dwell_s),
            cooldown_ms: secs_to_ms(self.alert_cooldown_s),
        }
    }

    /// Reads the file when given (missing fields keep their defaults), then applies the environment.
    ///
    /// # Errors
    ///
    /// An unreadable or invalid file (with its path), or an environment variable that does not parse.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Config> {
        let mut c = match file {
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .with_context(|| format!("reading {}", p.display()))?;
                toml::from_str(&text).with_context(|| format!("parsing {}", p.display()))?
            }
            None => Config::default(),
        };
        c.apply_env(|k| std::env::var(k).ok())?;
        Ok(c)
    }

    /// Overrides fields from `SKYTRACE_*` variables looked up through `get` (a parameter so tests need not
    /// touch the process environment).
    ///
    /// # Errors
    ///
    /// A variable whose value does not parse, named.
    pub fn apply_env(&mut self, get: impl Fn(&str) -> Option<String>) -> anyhow::Result<()> {
        fn parse<T: std::str::FromStr>(k: &str, v: &str) -> anyhow::Result<T>
        where
            T::Err: std::fmt::Display,
        {
            v.trim()
                .parse()
                .map_err(|e| anyhow::anyhow!("{k}={v:?}: {e}"))
        }
        if let Some(v) = get("SKYTRACE_LISTEN") {
            self.listen = parse("SKYTRACE_LISTEN", &v)?;
        }
        if let Some(v) = get("SKYTRACE_DATA_DIR") {
            self.data_dir = PathBuf::from(v);
        }
        if let Some(v) = get("SKYTRACE_RETENTION_DAYS") {
            self.retention_days = parse("SKYTRACE_RETENTION_DAYS", &v)?;
        }
        if let Some(v) = get("SKYTRACE_PILOT_ROLES") {
            self.pilot_roles = v
                .split(',')
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect();
        }
        if let Some(v) = get("SKYTRACE_SENSOR_STALE_S") {
            self.sensor_stale_s = parse("SKYTRACE_SENSOR_STALE_S", &v)?;
        }
        if let Some(v) = get("SKYTRACE_SENSOR_OFFLINE_S") {
            self.sensor_offline_s = parse("SKYTRACE_SENSOR_OFFLINE_S", &v)?;
        }
        if let Some(v) = get("SKYTRACE_ACTIVE_TRACK_S") {
            self.active_track_s = parse("SKYTRACE_ACTIVE_TRACK_S", &v)?;
        }
        if let Some(v) = get("SKYTRACE_MAX_BODY_BYTES") {
            self.max_body_bytes = parse("SKYTRACE_MAX_BODY_BYTES", &v)?;
        }
        if let Some(v) = get("SKYTRACE_SESSION_TTL_S") {
            self.session_ttl_s = parse("SKYTRACE_SESSION_TTL_S", &v)?;
        }
        if let Some(v) = get("SKYTRACE_TRACK_LOST_S") {
            self.track_lost_s = parse("SKYTRACE_TRACK_LOST_S", &v)?;
        }
        if let Some(v) = get("SKYTRACE_TRACK_CLOSE_S") {
            self.track_close_s = parse("SKYTRACE_TRACK_CLOSE_S", &v)?;
        }
        if let Some(v) = get("SKYTRACE_ALERT_UNKNOWN") {
            self.alert_unknown = parse("SKYTRACE_ALERT_UNKNOWN", &v)?;
        }
        if let Some(v) = get("SKYTRACE_ALERT_DWELL_S") {
            self.alert_dwell_s = parse("SKYTRACE_ALERT_DWELL_S", &v)?;
        }
        if let Some(v) = get("SKYTRACE_ALERT_COOLDOWN_S") {
            self.alert_cooldown_s = parse("SKYTRACE_ALERT_COOLDOWN_S", &v)?;
        }
        if let Some(v) = get("SKYTRACE_CONSOLE_TILE_URL") {
            self.console_tile_url = Some(v.trim().to_owned()).filter(|v| !v.is_empty());
        }
        Ok(())
    }
}
