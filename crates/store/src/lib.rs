//! Persistence for the skytrace server. Only this crate knows SQL.
//!
//! [`Store`] is an embedded SQLite database in WAL mode inside a data directory (`skytrace.db`). It is cheap
//! to clone and safe to share between threads:
//!
//! - writes go to one writer thread ([`writer`]) that owns the read-write connection and group-commits
//!   concurrent jobs; each write returns a [`Ticket`] that resolves only once its transaction is committed,
//!   so "acknowledged" means "durable";
//! - reads use a small pool of read-only connections, which WAL lets run while the writer writes.
//!
//! The schema is versioned ([`schema`]). Tables: users (argon2 password hashes), tokens (SHA-256 of session
//! and API tokens), sensors (SHA-256 of their tokens, last heartbeat), detections (one row per ingested
//! detection line, unique per sensor and sequence number, so a replayed batch is stored once), tracks (the
//! current state of each aircraft as columns, kept in step with the server's tracker by [`lifecycle`]), zones, alerts, audit and settings.
//!
//! Row types ([`User`], [`Sensor`], [`TrackRow`], [`ZoneRow`], [`AlertRow`], [`AuditRow`], ...) are plain
//! data; the `server` crate converts them into its JSON DTOs. [`admin`] has the blocking functions that the
//! `skytrace admin` command calls.
//!
//! Durability: the connection runs `synchronous=FULL`, so a commit is on disk (fsync of the WAL) before the
//! ticket resolves, which survives a process kill and a power loss alike; group commit amortises the fsync
//! over every batch that arrived meanwhile. The server sees the store through the [`Backend`] trait, which
//! `Store` implements, so that the PostgreSQL back-end the issue foresees can sit behind the same calls;
//! the methods are deliberately plain (row types in, row types out) for that reason.

pub mod admin;
mod auth;
mod backend;
mod ingest;
mod lifecycle;
mod queries;
pub mod schema;
mod writer;

pub use auth::{hash_password, verify_password, TokenKind};
pub use backend::Backend;
pub use ingest::{IngestOutcome, NewDetection, OnApplied, TrackFacts, POINT_EVERY_MS};
pub use lifecycle::MergedTracks;
pub use writer::Ticket;

use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};
use std::sync::mpsc::SyncSender;
use std::sync::{Arc, Mutex};

/// The database file inside the data directory.
pub const DB_FILE: &str = "skytrace.db";

/// Everything that can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("data directory {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the database has schema version {found}, newer than this build supports ({supported})"
    )]
    SchemaTooNew { found: i64, supported: i64 },
    #[error("{0} already exists")]
    Exists(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error("password hashing: {0}")]
    Password(String),
    #[error("commit failed: {0}")]
    Commit(String),
    #[error("the store is closed")]
    Closed,
}

/// The store's result type.
pub type Result<T> = std::result::Result<T, Error>;

/// What a user may do. Stored as its lowercase name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    Admin,
    Operator,
    Viewer,
}

impl Role {
    /// The stored and displayed name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Operator => "operator",
            Role::Viewer => "viewer",
        }
    }

    /// Parses a role name (`admin`, `operator`, `viewer`).
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "admin" => Some(Role::Admin),
            "operator" => Some(Role::Operator),
            "viewer" => Some(Role::Viewer),
            _ => None,
        }
    }
}

/// A user account (without its password hash).
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: i64,
    pub name: String,
    pub role: Role,
}

/// A registered sensor and what its last heartbeat said.
#[derive(Debug, Clone, PartialEq)]
pub struct Sensor {
    pub id: i64,
    pub name: String,
    pub created_ms: i64,
    pub last_heartbeat_ms: Option<i64>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub alt_m: Option<f64>,
    /// The per-source counters of the last heartbeat, as the JSON object the sensor sent.
    pub counters: Option<String>,
    pub software_version: Option<String>,
    pub detections_stored: i64,
}

/// What a sensor reports in a heartbeat.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Heartbeat {
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub alt_m: Option<f64>,
    /// Per-source counters as a JSON object (stored as given).
    pub counters: Option<String>,
    pub software_version: Option<String>,
}

/// The stored state of one track (one aircraft).
#[derive(Debug, Clone, PartialEq)]
pub struct TrackRow {
    pub id: i64,
    /// The identity the track is bound to (`rid:<UAS ID>`, `dji:<serial>`, `mac:<address>`...).
    pub key: String,
    pub uas_id: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub alt_m: Option<f64>,
    pub operator_lat: Option<f64>,
    pub operator_lon: Option<f64>,
    pub home_lat: Option<f64>,
    pub home_lon: Option<f64>,
    pub transports: Vec<String>,
    /// Names of the sensors that heard it.
    pub sensors: Vec<String>,
    pub first_seen_ms: i64,
    pub last_seen_ms: i64,
    pub detections: i64,
    /// Where the track is in its life: `active`, `lost` or `closed` (the tracker's state, stored as text).
    pub state: String,
    /// The identities the tracker bound to the track, as `kind:value` (e.g. `serial:1596F123`), so that a
    /// restarted server can bind new detections to it.
    pub identities: Vec<String>,
    /// The transmitter MAC hints bound to the track, as `link|address` (e.g. `wifi|02:00:00:00:00:01`).
    pub macs: Vec<String>,
    /// Server time (Unix ms) of the last detection stored for the track: the clock of its timeouts.
    pub activity_ms: i64,
    /// The rest of what the tracker knows (stored as one JSON column); boxed, as it is larger than the rest
    /// of the row and most handling of a row never looks at it.
    pub detail: Box<TrackDetail>,
}

/// What the tracker knows of a track beyond [`TrackRow`]'s columns, stored as one JSON object in the
/// `detail` column. Every field is optional so that rows written by older builds (`{}`) read back; unknown
/// values are left out of the JSON.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct TrackDetail {
    /// Horizontal speed, m/s.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub speed_mps: Option<f64>,
    /// Track over ground, degrees from true north.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub heading_deg: Option<f64>,
    /// Vertical speed, m/s, up positive.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub climb_mps: Option<f64>,
    /// Geodetic altitude, m.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alt_geo_m: Option<f64>,
    /// Pressure altitude, m.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alt_baro_m: Option<f64>,
    /// Height, m, above what `height_ref` says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub height_m: Option<f64>,
    /// `takeoff` or `ground`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub height_ref: Option<String>,
    /// Kind of the pilot position: `takeoff`, `live`, `fixed` or `unknown-<code>`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pilot_kind: Option<String>,
    /// Pilot altitude (geodetic), m.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operator_alt_m: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// UA type name (`rotorcraft`, `aeroplane`...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ua_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub self_id: Option<String>,
    /// Operator ID as broadcast (a public registration number).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operator_id: Option<String>,
    /// Authentication pages seen (distinct type and page number).
    #[serde(skip_serializing_if = "is_zero")]
    pub auth_pages: u32,
    /// Last reported time (aircraft clock), Unix ms.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_reported_ms: Option<i64>,
    /// Per-sensor reception, by sensor name.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sensors_seen: Vec<SensorSeenRow>,
    /// Whether the track matched the allowlist when this detail was written.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub allowlisted: bool,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// What one sensor last heard of a track.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct SensorSeenRow {
    pub name: String,
    /// RSSI of the last observation that had one, dBm.
    pub rssi_dbm: Option<f64>,
    /// Received time of the last observation, Unix ms.
    pub last_seen_ms: i64,
}

impl TrackDetail {
    /// The stored JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".into())
    }

    /// Reads the stored JSON; anything unreadable is an empty detail (the column is informative only).
    pub fn from_json(s: &str) -> Box<TrackDetail> {
        serde_json::from_str(s).unwrap_or_default()
    }
}

/// One position of a track's path.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PathPoint {
    pub time_ms: i64,
    pub lat: f64,
    pub lon: f64,
    pub alt_m: Option<f64>,
}

/// One stored detection line.
#[derive(Debug, Clone, PartialEq)]
pub struct DetectionRow {
    pub id: i64,
    pub sensor_id: i64,
    pub seq: i64,
    pub received_ms: i64,
    pub time_ms: i64,
    pub transport: String,
    pub track_id: Option<i64>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub alt_m: Option<f64>,
    /// The JSON line exactly as the sensor sent it.
    pub line: String,
}

/// A latitude/longitude box (degrees, inclusive).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Area {
    pub min_lat: f64,
    pub min_lon: f64,
    pub max_lat: f64,
    pub max_lon: f64,
}

/// A zone to create.
#[derive(Debug, Clone, PartialEq)]
pub struct NewZone {
    pub name: String,
    pub restriction: String,
    /// The GeoJSON Feature as received.
    pub geojson: String,
    pub lower_m: Option<f64>,
    pub upper_m: Option<f64>,
    pub radius_m: Option<f64>,
    /// How the zone is defined: `geojson` (by `geojson`), or `ed318` / `ed269` (by `source`).
    pub format: String,
    /// For `ed318` and `ed269`, the zone's own item of the imported file, as a document of that format
    /// holding that item alone.
    pub source: Option<String>,
}

/// A stored zone.
#[derive(Debug, Clone, PartialEq)]
pub struct ZoneRow {
    pub id: i64,
    pub name: String,
    pub restriction: String,
    pub geojson: String,
    pub lower_m: Option<f64>,
    pub upper_m: Option<f64>,
    pub radius_m: Option<f64>,
    pub created_ms: i64,
    /// See [`NewZone::format`].
    pub format: String,
    /// See [`NewZone::source`].
    pub source: Option<String>,
}

/// An alert to record.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAlert {
    pub kind: String,
    pub zone_id: Option<i64>,
    pub track_id: Option<i64>,
    /// The track by its key ([`TrackRow::key`]), used when `track_id` is `None`: the caller may know a
    /// track only by the key it ingested under, before the row id exists.
    pub track_key: Option<String>,
    pub time_ms: i64,
    pub details: Option<String>,
}

/// A stored alert.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertRow {
    pub id: i64,
    pub kind: String,
    pub zone_id: Option<i64>,
    pub track_id: Option<i64>,
    pub time_ms: i64,
    pub details: Option<String>,
    pub ack_by: Option<String>,
    pub ack_at_ms: Option<i64>,
}

/// One audit log entry.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditRow {
    pub id: i64,
    pub time_ms: i64,
    pub actor: String,
    pub action: String,
    pub details: Option<String>,
}

/// Page size of a database this build creates (bytes).
pub const PAGE_SIZE: i64 = 16_384;

/// The embedded database. Clones share the same writer thread and reader pool.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    tx: Mutex<Option<SyncSender<Box<dyn writer::Job>>>>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
    readers: Mutex<Vec<Connection>>,
    /// The writer's copy of recently written track rows (see [`ingest::TrackCache`]).
    cache: Arc<Mutex<ingest::TrackCache>>,
    /// Dropped with the store, which ends the checkpointer thread.
    _checkpoint_stop: std::sync::mpsc::Sender<()>,
}

/// Copies committed WAL frames into the database file every second (PASSIVE: never blocks the writer or
/// readers), and stops when the store is dropped.
fn checkpoint_loop(conn: Connection, stop: std::sync::mpsc::Receiver<()>) {
    loop {
        match stop.recv_timeout(std::time::Duration::from_secs(1)) {
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                    tracing::warn!(error = %e, "WAL checkpoint failed");
                }
            }
            _ => return,
        }
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Dropping the sender ends the writer loop once the queue is drained; joining waits for the last
        // commit so that nothing acknowledged is cut short by process exit.
        if let Ok(mut tx) = self.tx.lock() {
            tx.take();
        }
        if let Ok(mut t) = self.thread.lock() {
            if let Some(t) = t.take() {
                let _ = t.join();
            }
        }
    }
}

/// Queue depth of the writer channel: enough for every in-flight HTTP batch, small enough to push back.
const QUEUE: usize = 4096;

fn open_conn(path: &Path, read_only: bool) -> rusqlite::Result<Connection> {
    let flags = if read_only {
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX
    } else {
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
    };
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.set_prepared_statement_cache_capacity(64);
    if !read_only {
        // 16 KiB pages: more rows per B-tree page, fewer splits and page writes per detection (the writer's CPU
        // per detection fell by about a tenth against 4 KiB, docs/PERFORMANCE.md). Only a new database takes it
        // (SQLite ignores it once the file has pages), so it is set before the file is first written.
        conn.pragma_update(None, "page_size", PAGE_SIZE)?;
        // WAL: readers never block the writer. FULL: the WAL is fsynced at every commit (see the crate docs).
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        // Foreign keys off, explicitly: the bundled SQLite (libsqlite3-sys) turns them on by default, and
        // with them on every detection insert may abort, so it runs in a statement journal (a copy of each
        // page it touches) and looks its sensor and track up: 15 % of the writer's time in profiles. The
        // references hold by construction instead: sensor ids come from the authenticated sensor, track ids
        // from the same transaction, and nothing deletes a sensor or a user.
        conn.pragma_update(None, "foreign_keys", "OFF")?;
        // The rare statement journal (a multi-row UPDATE) stays in memory rather than in a temporary file.
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        conn.pragma_update(None, "cache_size", -65_536)?;
        // Checkpoints copy the WAL into the database file; the checkpointer thread does that so that the
        // writer thread spends its time on commits.
        conn.pragma_update(None, "wal_autocheckpoint", 0)?;
    }
    Ok(conn)
}

impl Store {
    /// Opens (creating when needed) the database in `data_dir`, applies pending migrations and starts the
    /// writer thread.
    ///
    /// # Errors
    ///
    /// When the directory cannot be created, the database cannot be opened, or its schema is newer than
    /// this build.
    pub fn open(data_dir: &Path) -> Result<Store> {
        std::fs::create_dir_all(data_dir).map_err(|source| Error::Io {
            path: data_dir.to_path_buf(),
            source,
        })?;
        let path = data_dir.join(DB_FILE);
        let mut conn = open_conn(&path, false)?;
        schema::migrate(&mut conn)?;
        let (tx, rx) = std::sync::mpsc::sync_channel(QUEUE);
        let cache = Arc::new(Mutex::new(ingest::TrackCache::default()));
        let on_abort = {
            let cache = cache.clone();
            // A group that did not commit may have cached rows that are not in the database.
            move || {
                if let Ok(mut c) = cache.lock() {
                    c.clear();
                }
            }
        };
        let thread = std::thread::Builder::new()
            .name("store-writer".into())
            .spawn(move || writer::run(conn, rx, on_abort))
            .map_err(|source| Error::Io {
                path: path.clone(),
                source,
            })?;
        let checkpointer = open_conn(&path, false)?;
        let (stop_tx, stop_rx) = std::sync::mpsc::channel::<()>();
        std::thread::Builder::new()
            .name("store-checkpoint".into())
            .spawn(move || checkpoint_loop(checkpointer, stop_rx))
            .map_err(|source| Error::Io {
                path: path.clone(),
                source,
            })?;
        Ok(Store {
            inner: Arc::new(Inner {
                _checkpoint_stop: stop_tx,
                path,
                tx: Mutex::new(Some(tx)),
                thread: Mutex::new(Some(thread)),
                readers: Mutex::new(Vec::new()),
                cache,
            }),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Runs `f` in the writer thread, inside the next group transaction.
    pub(crate) fn write<T, F>(&self, f: F) -> Ticket<T>
    where
        T: Send + 'static,
        F: FnMut(&Connection) -> Result<T> + Send + 'static,
    {
        let (j, ticket) = writer::job(f);
        let tx = self.inner.tx.lock().ok().and_then(|g| g.clone());
        match tx {
            Some(tx) => writer::submit(&tx, j),
            None => j.finish(Err("the store is closed".into())),
        }
        ticket
    }

    /// The writer's track cache, for jobs that write track rows.
    pub(crate) fn cache(&self) -> Arc<Mutex<ingest::TrackCache>> {
        self.inner.cache.clone()
    }

    /// Runs `f` on a pooled read-only connection.
    pub(crate) fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let pooled = self.inner.readers.lock().ok().and_then(|mut p| p.pop());
        let conn = match pooled {
            Some(c) => c,
            None => open_conn(&self.inner.path, true)?,
        };
        let r = f(&conn);
        if let Ok(mut p) = self.inner.readers.lock() {
            if p.len() < 8 {
                p.push(conn);
            }
        }
        r
    }
}
