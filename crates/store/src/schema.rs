//! Schema migrations: numbered SQL scripts applied in order, recorded in `schema_version`.
//!
//! A migration is never edited once released; a change of schema is a new entry at the end of
//! [`MIGRATIONS`]. Each one runs in its own transaction together with the version bump, so a crash leaves the
//! database at a whole version.

use rusqlite::Connection;

/// The migrations, version `i + 1` at index `i`.
pub const MIGRATIONS: &[&str] = &[
    // 1: the first schema.
    r#"
CREATE TABLE users(
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_ms INTEGER NOT NULL
);
-- Session and API tokens: only the SHA-256 of a token is kept, so a copy of the database grants nothing.
CREATE TABLE tokens(
    hash BLOB PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    label TEXT,
    created_ms INTEGER NOT NULL,
    expires_ms INTEGER
) WITHOUT ROWID;
CREATE TABLE sensors(
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    token_hash BLOB NOT NULL UNIQUE,
    created_ms INTEGER NOT NULL,
    last_heartbeat_ms INTEGER,
    lat REAL,
    lon REAL,
    alt_m REAL,
    counters TEXT,
    software_version TEXT,
    detections_stored INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE tracks(
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    uas_id TEXT,
    lat REAL,
    lon REAL,
    alt_m REAL,
    operator_lat REAL,
    operator_lon REAL,
    home_lat REAL,
    home_lon REAL,
    transports TEXT NOT NULL DEFAULT '[]',
    sensors TEXT NOT NULL DEFAULT '[]',
    first_seen_ms INTEGER NOT NULL,
    last_seen_ms INTEGER NOT NULL,
    detections INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX tracks_last_seen ON tracks(last_seen_ms);
-- One row per received detection line; (sensor_id, seq) makes a replayed batch a no-op.
CREATE TABLE detections(
    id INTEGER PRIMARY KEY,
    sensor_id INTEGER NOT NULL REFERENCES sensors(id),
    seq INTEGER NOT NULL,
    received_ms INTEGER NOT NULL,
    time_ms INTEGER NOT NULL,
    transport TEXT NOT NULL,
    track_id INTEGER REFERENCES tracks(id),
    lat REAL,
    lon REAL,
    alt_m REAL,
    line TEXT NOT NULL,
    UNIQUE(sensor_id, seq)
);
CREATE INDEX detections_track_time ON detections(track_id, time_ms);
CREATE INDEX detections_time ON detections(time_ms);
CREATE TABLE zones(
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    restriction TEXT NOT NULL,
    geojson TEXT NOT NULL,
    lower_m REAL,
    upper_m REAL,
    radius_m REAL,
    created_ms INTEGER NOT NULL
);
CREATE TABLE alerts(
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    zone_id INTEGER,
    track_id INTEGER,
    time_ms INTEGER NOT NULL,
    details TEXT,
    ack_by TEXT,
    ack_at_ms INTEGER
);
CREATE INDEX alerts_time ON alerts(time_ms);
CREATE TABLE audit(
    id INTEGER PRIMARY KEY,
    time_ms INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    details TEXT
);
CREATE TABLE settings(
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"#,
    // 2: the tracker's state of each track (active, lost, closed).
    r#"
ALTER TABLE tracks ADD COLUMN state TEXT NOT NULL DEFAULT 'active';
CREATE INDEX detections_track ON detections(track_id);
"#,
    // 3: what a restarted server needs to pick up its open tracks (the tracker's identities and MAC hints,
    // and the server time of the last detection, which drives the lost/closed timeouts); two indexes that
    // cost every write and served no query (detections(track_id) is a prefix of detections(track_id,
    // time_ms); the track list is small enough to scan).
    r#"
ALTER TABLE tracks ADD COLUMN identities TEXT NOT NULL DEFAULT '[]';
ALTER TABLE tracks ADD COLUMN macs TEXT NOT NULL DEFAULT '[]';
ALTER TABLE tracks ADD COLUMN activity_ms INTEGER NOT NULL DEFAULT 0;
DROP INDEX detections_track;
DROP INDEX tracks_last_seen;
"#,
    // 4: zones imported from ED-269 / ED-318 keep their source item, which alone carries their schedule
    // and altitude references; `geojson` stays a GeoJSON Feature for display.
    r#"
ALTER TABLE zones ADD COLUMN format TEXT NOT NULL DEFAULT 'geojson';
ALTER TABLE zones ADD COLUMN source TEXT;
"#,
    // 5: everything else the tracker knows of a track (velocity, altitudes, pilot kind, model, UA type,
    // operator ID, self-ID, auth pages, reported time, per-sensor RSSI), as one JSON object
    // ([`crate::TrackDetail`]): shown by the API and given back to the tracker on restart.
    r#"
ALTER TABLE tracks ADD COLUMN detail TEXT NOT NULL DEFAULT '{}';
"#,
    // 6: a track's path moves to its own table, one point per track at most every
    // `ingest::POINT_EVERY_MS` of reported time, keyed (track, time). The index of every detection by
    // (track_id, time_ms) it replaces took a random B-tree page per detection (1,000 aircraft are 1,000
    // insertion points), which made it the largest write of the ingest path; detections stay complete in
    // `detections` (by time), only the path is thinned. Existing paths are carried over whole.
    r#"
CREATE TABLE track_points(
    track_id INTEGER NOT NULL,
    time_ms INTEGER NOT NULL,
    lat REAL NOT NULL,
    lon REAL NOT NULL,
    alt_m REAL,
    PRIMARY KEY(track_id, time_ms)
) WITHOUT ROWID;
-- Retention deletes points by time; appended to at the end, so it costs ingest almost nothing.
CREATE INDEX track_points_time ON track_points(time_ms);
INSERT OR IGNORE INTO track_points(track_id, time_ms, lat, lon, alt_m)
    SELECT track_id, time_ms, lat, lon, alt_m FROM detections
    WHERE track_id IS NOT NULL AND lat IS NOT NULL AND lon IS NOT NULL ORDER BY track_id, time_ms, id;
DROP INDEX detections_track_time;
"#,
];

/// The version this build of the code expects.
pub fn latest() -> i64 {
    MIGRATIONS.len() as i64
}

/// The schema version of an open database (0 for a new one).
///
/// # Errors
///
/// Any SQLite error.
pub fn version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.execute_batch("CREATE TABLE IF NOT EXISTS schema_version(version INTEGER NOT NULL)")?;
    conn.query_row(
        "SELECT coalesce(max(version), 0) FROM schema_version",
        [],
        |r| r.get(0),
    )
}

/// Applies every migration the database has not seen yet. Returns the versions applied.
///
/// # Errors
///
/// Any SQLite error; [`crate::Error::SchemaTooNew`] when the database was written by a newer build.
pub fn migrate(conn: &mut Connection) -> crate::Result<Vec<i64>> {
    let current = version(conn)?;
    if current > latest() {
        return Err(crate::Error::SchemaTooNew {
            found: current,
            supported: latest(),
        });
    }
    let mut applied = Vec::new();
    for (i, sql) in MIGRATIONS.iter().enumerate() {
        let v = i as i64 + 1;
        if v <= current {
            continue;
        }
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.execute("INSERT INTO schema_version(version) VALUES (?1)", [v])?;
        tx.commit()?;
        tracing::info!(version = v, "applied schema migration");
        applied.push(v);
    }
    Ok(applied)
}
