//! [`Backend`]: the storage interface the server uses, so that another database (PostgreSQL, which the
//! issue foresees for nationwide networks) can sit behind the same calls. [`crate::Store`] (embedded
//! SQLite) implements it.
//!
//! The contract every implementation keeps:
//!
//! - a write returns a [`Ticket`] that resolves only once the write is durable (committed), so that the
//!   server acknowledges nothing it could lose; writes submitted in order are applied in that order (the
//!   tracker's merges, detections and state changes of one batch depend on it);
//! - [`Backend::ingest`] is idempotent per (sensor, sequence number): lines already stored are counted as
//!   duplicates and change nothing;
//! - a write job that fails changes nothing (all or nothing), as [`Backend::add_zones`] relies on;
//! - [`Backend::ingest_live`] tells the changed track rows early (before durability), possibly more than
//!   once; the live stream uses it, acknowledgements never do;
//! - reads see every write whose ticket has resolved.
//!
//! Row types in, row types out: no SQL or driver type crosses this interface.

use crate::{
    AlertRow, Area, AuditRow, DetectionRow, Heartbeat, IngestOutcome, MergedTracks, NewAlert,
    NewDetection, NewZone, OnApplied, PathPoint, Result, Role, Sensor, Store, Ticket, TokenKind,
    TrackRow, User, ZoneRow,
};
use std::collections::HashSet;

/// Declares [`Backend`] from one list of signatures and implements it for [`Store`], each method
/// forwarding to the inherent method of the same name (so the list is not written twice).
macro_rules! backend {
    ($( fn $name:ident(&self $(, $arg:ident: $ty:ty)*) -> $ret:ty; )*) => {
        /// The storage interface of the server. See the module documentation for the guarantees; each
        /// method is documented on [`Store`], the SQLite implementation.
        pub trait Backend: Send + Sync {
            $( fn $name(&self $(, $arg: $ty)*) -> $ret; )*
        }

        impl Backend for Store {
            $( fn $name(&self $(, $arg: $ty)*) -> $ret { Store::$name(self $(, $arg)*) } )*
        }
    };
}

backend! {
    // Users, tokens and sensors.
    fn add_user(&self, name: &str, role: Role, password: &str, now_ms: i64) -> Result<Ticket<i64>>;
    fn users(&self) -> Result<Vec<User>>;
    fn check_password(&self, name: &str, password: &str) -> Result<Option<User>>;
    fn create_token(&self, user_id: i64, kind: TokenKind, label: Option<String>, now_ms: i64, expires_ms: Option<i64>) -> Ticket<String>;
    fn user_for_token(&self, token: &str, now_ms: i64) -> Result<Option<User>>;
    fn revoke_token(&self, token: &str) -> Ticket<bool>;
    fn add_sensor(&self, name: &str, now_ms: i64) -> Ticket<(i64, String)>;
    fn sensor_for_token(&self, token: &str) -> Result<Option<Sensor>>;
    fn sensors(&self) -> Result<Vec<Sensor>>;
    fn heartbeat(&self, sensor_id: i64, hb: Heartbeat, now_ms: i64) -> Ticket<Sensor>;

    // Detections and tracks.
    fn ingest(&self, sensor_id: i64, sensor_name: &str, received_ms: i64, items: Vec<NewDetection>) -> Ticket<IngestOutcome>;
    fn ingest_live(&self, sensor_id: i64, sensor_name: &str, received_ms: i64, items: Vec<NewDetection>, on_applied: OnApplied) -> Ticket<IngestOutcome>;
    fn existing_seqs(&self, sensor_id: i64, from: i64, to: i64) -> Result<HashSet<i64>>;
    fn max_seq(&self, sensor_id: i64) -> Result<Option<i64>>;
    fn merge_tracks(&self, into: &str, from: &str) -> Ticket<Option<MergedTracks>>;
    fn set_track_states(&self, states: Vec<(String, String)>) -> Ticket<Vec<TrackRow>>;
    fn close_open_tracks(&self) -> Ticket<usize>;
    fn open_tracks(&self) -> Result<Vec<TrackRow>>;
    fn tracks(&self, seen_since_ms: Option<i64>) -> Result<Vec<TrackRow>>;
    fn active_tracks(&self) -> Result<Vec<TrackRow>>;
    fn track(&self, id: i64) -> Result<Option<TrackRow>>;
    fn tracks_in(&self, from_ms: i64, to_ms: i64, area: Option<Area>) -> Result<Vec<TrackRow>>;
    fn track_path(&self, id: i64, from_ms: i64, to_ms: i64) -> Result<Vec<PathPoint>>;
    fn detections(&self, from_ms: i64, to_ms: i64, area: Option<Area>, limit: i64) -> Result<Vec<DetectionRow>>;
    fn detection_count(&self) -> Result<i64>;
    fn purge_before(&self, before_ms: i64) -> Ticket<usize>;

    // Zones, alerts, audit, settings.
    fn add_zone(&self, z: NewZone, now_ms: i64) -> Ticket<ZoneRow>;
    fn add_zones(&self, zones: Vec<NewZone>, now_ms: i64) -> Ticket<usize>;
    fn update_zone(&self, id: i64, z: NewZone) -> Ticket<Option<ZoneRow>>;
    fn delete_zone(&self, id: i64) -> Ticket<bool>;
    fn zones(&self) -> Result<Vec<ZoneRow>>;
    fn add_alerts(&self, alerts: Vec<NewAlert>) -> Ticket<Vec<AlertRow>>;
    fn alerts(&self, since_ms: i64, limit: i64) -> Result<Vec<AlertRow>>;
    fn ack_alert(&self, id: i64, by: &str, now_ms: i64) -> Ticket<Option<AlertRow>>;
    fn audit(&self, actor: &str, action: &str, details: Option<String>, now_ms: i64) -> Ticket<()>;
    fn audit_log(&self, since_ms: i64, limit: i64) -> Result<Vec<AuditRow>>;
    fn setting(&self, key: &str) -> Result<Option<String>>;
    fn set_setting(&self, key: &str, value: &str) -> Ticket<()>;
}
