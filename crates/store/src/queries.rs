//! Reads and small writes: tracks and their history, zones, alerts, the audit log, settings, retention.

use crate::ingest::{track_from, TRACK_COLS};
use crate::{
    AlertRow, Area, AuditRow, DetectionRow, NewAlert, NewZone, PathPoint, Result, Store, Ticket,
    TrackRow, ZoneRow,
};
use rusqlite::{params, OptionalExtension, Row};

fn zone_from(r: &Row<'_>) -> rusqlite::Result<ZoneRow> {
    Ok(ZoneRow {
        id: r.get(0)?,
        name: r.get(1)?,
        restriction: r.get(2)?,
        geojson: r.get(3)?,
        lower_m: r.get(4)?,
        upper_m: r.get(5)?,
        radius_m: r.get(6)?,
        created_ms: r.get(7)?,
        format: r.get(8)?,
        source: r.get(9)?,
    })
}

fn alert_from(r: &Row<'_>) -> rusqlite::Result<AlertRow> {
    Ok(AlertRow {
        id: r.get(0)?,
        kind: r.get(1)?,
        zone_id: r.get(2)?,
        track_id: r.get(3)?,
        time_ms: r.get(4)?,
        details: r.get(5)?,
        ack_by: r.get(6)?,
        ack_at_ms: r.get(7)?,
    })
}

fn detection_from(r: &Row<'_>) -> rusqlite::Result<DetectionRow> {
    Ok(DetectionRow {
        id: r.get(0)?,
        sensor_id: r.get(1)?,
        seq: r.get(2)?,
        received_ms: r.get(3)?,
        time_ms: r.get(4)?,
        transport: r.get(5)?,
        track_id: r.get(6)?,
        lat: r.get(7)?,
        lon: r.get(8)?,
        alt_m: r.get(9)?,
        line: r.get(10)?,
    })
}

const ZONE_COLS: &str =
    "id, name, restriction, geojson, lower_m, upper_m, radius_m, created_ms, format, source";

fn insert_zone(c: &rusqlite::Connection, z: &NewZone, now_ms: i64) -> rusqlite::Result<ZoneRow> {
    c.prepare_cached(
        "INSERT INTO zones(name, restriction, geojson, lower_m, upper_m, radius_m, created_ms, format, source) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        z.name,
        z.restriction,
        z.geojson,
        z.lower_m,
        z.upper_m,
        z.radius_m,
        now_ms,
        z.format,
        z.source
    ])?;
    Ok(ZoneRow {
        id: c.last_insert_rowid(),
        name: z.name.clone(),
        restriction: z.restriction.clone(),
        geojson: z.geojson.clone(),
        lower_m: z.lower_m,
        upper_m: z.upper_m,
        radius_m: z.radius_m,
        created_ms: now_ms,
        format: z.format.clone(),
        source: z.source.clone(),
    })
}
const ALERT_COLS: &str = "id, kind, zone_id, track_id, time_ms, details, ack_by, ack_at_ms";
const DETECTION_COLS: &str =
    "id, sensor_id, seq, received_ms, time_ms, transport, track_id, lat, lon, alt_m, line";

/// Bounds used when a query leaves a side of the window or area open.
const ALL: Area = Area {
    min_lat: -90.0,
    min_lon: -180.0,
    max_lat: 90.0,
    max_lon: 180.0,
};

impl Store {
    /// Tracks, most recently seen first; with `seen_since_ms`, only those seen at or after it.
    ///
    /// # Errors
    ///
    /// Database errors.
    pub fn tracks(&self, seen_since_ms: Option<i64>) -> Result<Vec<TrackRow>> {
        self.read(|c| {
            let mut st = c.prepare_cached(&format!(
                "SELECT {TRACK_COLS} FROM tracks WHERE last_seen_ms >= ?1 AND detections > 0 \
                 ORDER BY last_seen_ms DESC, id"
            ))?;
            let rows = st
                .query_map([seen_since_ms.unwrap_or(i64::MIN)], track_from)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }

    /// The tracks in the tracker's `active` state (heard within its lost timeout), most recently seen
    /// first.
    ///
    /// # Errors
    ///
    /// Database errors.
    pub fn active_tracks(&self) -> Result<Vec<TrackRow>> {
        self.read(|c| {
            let mut st = c.prepare_cached(&format!(
                "SELECT {TRACK_COLS} FROM tracks WHERE state = 'active' AND detections > 0 \
                 ORDER BY last_seen_ms DESC, id"
            ))?;
            let rows = st
                .query_map([], track_from)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }

    /// The sequence numbers in `from..=to` already stored for a sensor (a resent batch).
    ///
    /// # Errors
    ///
    /// Database errors.
    pub fn existing_seqs(
        &self,
        sensor_id: i64,
        from: i64,
        to: i64,
    ) -> Result<std::collections::HashSet<i64>> {
        self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT seq FROM detections WHERE sensor_id = ?1 AND seq BETWEEN ?2 AND ?3",
            )?;
            let rows = st
                .query_map(params![sensor_id, from, to], |r| r.get::<_, i64>(0))?
                .collect::<rusqlite::Result<_>>()?;
            Ok(rows)
        })
    }

    /// The highest sequence number stored for a sensor (`None` before its first line): a batch whose
    /// numbers are all above it holds no replay, so the server can skip [`Store::existing_seqs`].
    ///
    /// # Errors
    ///
    /// Database errors.
    pub fn max_seq(&self, sensor_id: i64) -> Result<Option<i64>> {
        self.read(|c| {
            Ok(
                c.prepare_cached("SELECT max(seq) FROM detections WHERE sensor_id = ?1")?
                    .query_row([sensor_id], |r| r.get::<_, Option<i64>>(0))?,
            )
        })
    }

    /// One track.
    ///
    /// # Errors
    ///
    /// Database errors; an unknown id is `Ok(None)`.
    pub fn track(&self, id: i64) -> Result<Option<TrackRow>> {
        self.read(|c| {
            let mut st =
                c.prepare_cached(&format!("SELECT {TRACK_COLS} FROM tracks WHERE id = ?1"))?;
            Ok(st.query_row([id], track_from).optional()?)
        })
    }

    /// The tracks that had a positioned detection inside the time window and area.
    ///
    /// # Errors
    ///
    /// Database errors.
    pub fn tracks_in(&self, from_ms: i64, to_ms: i64, area: Option<Area>) -> Result<Vec<TrackRow>> {
        let a = area.unwrap_or(ALL);
        self.read(|c| {
            let mut st = c.prepare_cached(&format!(
                "SELECT {TRACK_COLS} FROM tracks WHERE id IN (SELECT DISTINCT track_id FROM detections \
                 WHERE time_ms BETWEEN ?1 AND ?2 AND lat BETWEEN ?3 AND ?5 AND lon BETWEEN ?4 AND ?6) \
                 ORDER BY last_seen_ms DESC, id"
            ))?;
            let rows = st
                .query_map(
                    params![from_ms, to_ms, a.min_lat, a.min_lon, a.max_lat, a.max_lon],
                    track_from,
                )?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }

    /// The positions of a track in time order, within the window: its path, one point at most every
    /// [`POINT_EVERY_MS`](crate::POINT_EVERY_MS) of reported time (every detection stays in [`Store::detections`]).
    ///
    /// # Errors
    ///
    /// Database errors.
    pub fn track_path(&self, id: i64, from_ms: i64, to_ms: i64) -> Result<Vec<PathPoint>> {
        self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT time_ms, lat, lon, alt_m FROM track_points WHERE track_id = ?1 AND time_ms BETWEEN ?2 AND ?3 \
                 ORDER BY time_ms",
            )?;
            let rows = st
                .query_map(params![id, from_ms, to_ms], |r| {
                    Ok(PathPoint {
                        time_ms: r.get(0)?,
                        lat: r.get(1)?,
                        lon: r.get(2)?,
                        alt_m: r.get(3)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }

    /// Stored detections in a time window (and area, when given: then only positioned ones), oldest first,
    /// at most `limit`.
    ///
    /// # Errors
    ///
    /// Database errors.
    pub fn detections(
        &self,
        from_ms: i64,
        to_ms: i64,
        area: Option<Area>,
        limit: i64,
    ) -> Result<Vec<DetectionRow>> {
        self.read(|c| {
            let rows = match area {
                None => {
                    let mut st = c.prepare_cached(&format!(
                        "SELECT {DETECTION_COLS} FROM detections WHERE time_ms BETWEEN ?1 AND ?2 \
                         ORDER BY time_ms, id LIMIT ?3"
                    ))?;
                    let r = st.query_map(params![from_ms, to_ms, limit], detection_from)?;
                    r.collect::<rusqlite::Result<Vec<_>>>()?
                }
                Some(a) => {
                    let mut st = c.prepare_cached(&format!(
                        "SELECT {DETECTION_COLS} FROM detections WHERE time_ms BETWEEN ?1 AND ?2 \
                         AND lat BETWEEN ?3 AND ?5 AND lon BETWEEN ?4 AND ?6 ORDER BY time_ms, id LIMIT ?7"
                    ))?;
                    let r = st.query_map(
                        params![from_ms, to_ms, a.min_lat, a.min_lon, a.max_lat, a.max_lon, limit],
                        detection_from,
                    )?;
                    r.collect::<rusqlite::Result<Vec<_>>>()?
                }
            };
            Ok(rows)
        })
    }

    /// Number of stored detections (all sensors).
    ///
    /// # Errors
    ///
    /// Database errors.
    pub fn detection_count(&self) -> Result<i64> {
        self.read(|c| Ok(c.query_row("SELECT count(*) FROM detections", [], |r| r.get(0))?))
    }

    /// Creates a zone; returns it as stored.
    pub fn add_zone(&self, z: NewZone, now_ms: i64) -> Ticket<ZoneRow> {
        self.write(move |c| Ok(insert_zone(c, &z, now_ms)?))
    }

    /// Creates many zones in one transaction: all of them or, on any error, none. Returns how many.
    pub fn add_zones(&self, zones: Vec<NewZone>, now_ms: i64) -> Ticket<usize> {
        self.write(move |c| {
            let n = zones.len();
            for z in &zones {
                insert_zone(c, z, now_ms)?;
            }
            Ok(n)
        })
    }

    /// Replaces a zone's definition, keeping its id and creation time; returns it as stored, or `None`
    /// when there is no such zone.
    pub fn update_zone(&self, id: i64, z: NewZone) -> Ticket<Option<ZoneRow>> {
        self.write(move |c| {
            let n = c.execute(
                "UPDATE zones SET name = ?2, restriction = ?3, geojson = ?4, lower_m = ?5, upper_m = ?6, \
                 radius_m = ?7, format = ?8, source = ?9 WHERE id = ?1",
                params![id, z.name, z.restriction, z.geojson, z.lower_m, z.upper_m, z.radius_m, z.format, z.source],
            )?;
            if n == 0 {
                return Ok(None);
            }
            Ok(c.prepare_cached(&format!("SELECT {ZONE_COLS} FROM zones WHERE id = ?1"))?
                .query_row([id], zone_from)
                .optional()?)
        })
    }

    /// Deletes a zone; returns whether it existed.
    pub fn delete_zone(&self, id: i64) -> Ticket<bool> {
        self.write(move |c| Ok(c.execute("DELETE FROM zones WHERE id = ?1", [id])? > 0))
    }

    /// All zones, by id.
    ///
    /// # Errors
    ///
    /// Database errors.
    pub fn zones(&self) -> Result<Vec<ZoneRow>> {
        self.read(|c| {
            let mut st = c.prepare_cached(&format!("SELECT {ZONE_COLS} FROM zones ORDER BY id"))?;
            let rows = st
                .query_map([], zone_from)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }

    /// Records alerts; returns them as stored.
    pub fn add_alerts(&self, alerts: Vec<NewAlert>) -> Ticket<Vec<AlertRow>> {
        self.write(move |c| {
            let mut st = c.prepare_cached(&format!(
                "INSERT INTO alerts(kind, zone_id, track_id, time_ms, details) VALUES (?1, ?2, ?3, ?4, ?5) \
                 RETURNING {ALERT_COLS}"
            ))?;
            let mut by_key = c.prepare_cached("SELECT id FROM tracks WHERE key = ?1")?;
            let mut out = Vec::with_capacity(alerts.len());
            for a in &alerts {
                let track_id = match (a.track_id, &a.track_key) {
                    (Some(id), _) => Some(id),
                    (None, Some(k)) => by_key.query_row([k], |r| r.get::<_, i64>(0)).optional()?,
                    (None, None) => None,
                };
                out.push(st.query_row(params![a.kind, a.zone_id, track_id, a.time_ms, a.details], alert_from)?);
            }
            Ok(out)
        })
    }

    /// Alerts at or after `since_ms`, newest first, at most `limit`.
    ///
    /// # Errors
    ///
    /// Database errors.
    pub fn alerts(&self, since_ms: i64, limit: i64) -> Result<Vec<AlertRow>> {
        self.read(|c| {
            let mut st = c.prepare_cached(&format!(
                "SELECT {ALERT_COLS} FROM alerts WHERE time_ms >= ?1 ORDER BY time_ms DESC, id DESC LIMIT ?2"
            ))?;
            let rows = st.query_map(params![since_ms, limit], alert_from)?.collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }

    /// Acknowledges an alert; returns it, or `None` when there is no such alert.
    pub fn ack_alert(&self, id: i64, by: &str, now_ms: i64) -> Ticket<Option<AlertRow>> {
        let by = by.to_owned();
        self.write(move |c| {
            let mut st = c.prepare_cached(&format!(
                "UPDATE alerts SET ack_by = ?2, ack_at_ms = ?3 WHERE id = ?1 RETURNING {ALERT_COLS}"
            ))?;
            Ok(st
                .query_row(params![id, by, now_ms], alert_from)
                .optional()?)
        })
    }

    /// Appends to the audit log.
    pub fn audit(
        &self,
        actor: &str,
        action: &str,
        details: Option<String>,
        now_ms: i64,
    ) -> Ticket<()> {
        let (actor, action) = (actor.to_owned(), action.to_owned());
        self.write(move |c| {
            c.prepare_cached(
                "INSERT INTO audit(time_ms, actor, action, details) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![now_ms, actor, action, details])?;
            Ok(())
        })
    }

    /// Audit entries at or after `since_ms`, oldest first, at most `limit`.
    ///
    /// # Errors
    ///
    /// Database errors.
    pub fn audit_log(&self, since_ms: i64, limit: i64) -> Result<Vec<AuditRow>> {
        self.read(|c| {
            let mut st = c.prepare_cached(
                "SELECT id, time_ms, actor, action, details FROM audit WHERE time_ms >= ?1 ORDER BY id LIMIT ?2",
            )?;
            let rows = st
                .query_map(params![since_ms, limit], |r| {
                    Ok(AuditRow {
                        id: r.get(0)?,
                        time_ms: r.get(1)?,
                        actor: r.get(2)?,
                        action: r.get(3)?,
                        details: r.get(4)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }

    /// A setting's value.
    ///
    /// # Errors
    ///
    /// Database errors.
    pub fn setting(&self, key: &str) -> Result<Option<String>> {
        self.read(|c| {
            Ok(
                c.query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
                    r.get(0)
                })
                .optional()?,
            )
        })
    }

    /// Sets a setting.
    pub fn set_setting(&self, key: &str, value: &str) -> Ticket<()> {
        let (key, value) = (key.to_owned(), value.to_owned());
        self.write(move |c| {
            c.execute(
                "INSERT INTO settings(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                params![key, value],
            )?;
            Ok(())
        })
    }

    /// Retention: deletes detections received before `before_ms`, alerts raised before it, and tracks not
    /// seen since. Returns the number of detections deleted.
    pub fn purge_before(&self, before_ms: i64) -> Ticket<usize> {
        let cache = self.cache();
        self.write(move |c| {
            // Track rows may be deleted: the writer's copies go too.
            if let Ok(mut cache) = cache.lock() {
                cache.clear();
            }
            let n = c.execute("DELETE FROM detections WHERE time_ms < ?1", [before_ms])?;
            c.execute("DELETE FROM alerts WHERE time_ms < ?1", [before_ms])?;
            c.execute("DELETE FROM track_points WHERE time_ms < ?1", [before_ms])?;
            c.execute(
                "DELETE FROM tracks WHERE last_seen_ms < ?1 AND NOT EXISTS \
                 (SELECT 1 FROM detections d WHERE d.time_ms BETWEEN tracks.first_seen_ms AND tracks.last_seen_ms \
                 AND d.track_id = tracks.id)",
                [before_ms],
            )?;
            Ok(n)
        })
    }
}
