//! Idempotent batch ingest of detection lines, with the track table kept up to date in the same transaction.

use crate::{Result, Store, Ticket, TrackRow};
use rusqlite::{params, Connection, OptionalExtension, Row};
use std::collections::{BTreeSet, HashMap};

/// What a detection says about the aircraft it belongs to, already resolved by the caller.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrackFacts {
    /// The identity the detection is bound to (see [`TrackRow::key`]).
    pub key: String,
    pub uas_id: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub alt_m: Option<f64>,
    pub operator_lat: Option<f64>,
    pub operator_lon: Option<f64>,
    pub home_lat: Option<f64>,
    pub home_lon: Option<f64>,
}

/// One detection line to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewDetection {
    /// The sensor's sequence number; (sensor, seq) is unique, so a replay is ignored.
    pub seq: i64,
    /// Reception time at the sensor, Unix milliseconds.
    pub time_ms: i64,
    pub transport: String,
    /// The JSON line as received.
    pub line: String,
    /// The track it belongs to, when it names an identity.
    pub track: Option<TrackFacts>,
}

/// The result of a committed batch.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IngestOutcome {
    /// Lines newly stored.
    pub stored: usize,
    /// Lines already stored by an earlier batch (same sensor and sequence number), ignored.
    pub duplicates: usize,
    /// The state of every track the new lines changed, after the change.
    pub tracks: Vec<TrackRow>,
}

pub(crate) const TRACK_COLS: &str = "id, key, uas_id, lat, lon, alt_m, operator_lat, operator_lon, home_lat, \
                                     home_lon, transports, sensors, first_seen_ms, last_seen_ms, detections, state";

pub(crate) fn json_list(s: &str) -> Vec<String> {
    serde_json::from_str(s).unwrap_or_default()
}

pub(crate) fn track_from(r: &Row<'_>) -> rusqlite::Result<TrackRow> {
    Ok(TrackRow {
        id: r.get(0)?,
        key: r.get(1)?,
        uas_id: r.get(2)?,
        lat: r.get(3)?,
        lon: r.get(4)?,
        alt_m: r.get(5)?,
        operator_lat: r.get(6)?,
        operator_lon: r.get(7)?,
        home_lat: r.get(8)?,
        home_lon: r.get(9)?,
        transports: json_list(&r.get::<_, String>(10)?),
        sensors: json_list(&r.get::<_, String>(11)?),
        first_seen_ms: r.get(12)?,
        last_seen_ms: r.get(13)?,
        detections: r.get(14)?,
        state: r.get(15)?,
    })
}

/// The merge of a batch's new detections for one track: latest known value of each field.
#[derive(Default)]
struct Merge {
    uas_id: Option<String>,
    lat: Option<f64>,
    lon: Option<f64>,
    alt_m: Option<f64>,
    operator_lat: Option<f64>,
    operator_lon: Option<f64>,
    home_lat: Option<f64>,
    home_lon: Option<f64>,
    transports: BTreeSet<String>,
    first_ms: i64,
    last_ms: i64,
    count: i64,
}

impl Merge {
    fn add(&mut self, d: &NewDetection, f: &TrackFacts) {
        if self.count == 0 {
            self.first_ms = d.time_ms;
            self.last_ms = d.time_ms;
        }
        self.count += 1;
        self.first_ms = self.first_ms.min(d.time_ms);
        // Later detections win; a detection older than one already merged only fills gaps.
        let newer = d.time_ms >= self.last_ms;
        self.last_ms = self.last_ms.max(d.time_ms);
        fn take<T: Clone>(slot: &mut Option<T>, v: &Option<T>, newer: bool) {
            if v.is_some() && (newer || slot.is_none()) {
                slot.clone_from(v);
            }
        }
        take(&mut self.uas_id, &f.uas_id, newer);
        // Positions move together: a pair is taken whole.
        if f.lat.is_some() && f.lon.is_some() && (newer || self.lat.is_none()) {
            self.lat = f.lat;
            self.lon = f.lon;
            self.alt_m = f.alt_m.or(self.alt_m);
        }
        if f.operator_lat.is_some()
            && f.operator_lon.is_some()
            && (newer || self.operator_lat.is_none())
        {
            self.operator_lat = f.operator_lat;
            self.operator_lon = f.operator_lon;
        }
        if f.home_lat.is_some() && f.home_lon.is_some() && (newer || self.home_lat.is_none()) {
            self.home_lat = f.home_lat;
            self.home_lon = f.home_lon;
        }
        if !self.transports.contains(&d.transport) {
            self.transports.insert(d.transport.clone());
        }
    }
}

fn ingest_tx(
    c: &Connection,
    sensor_id: i64,
    sensor_name: &str,
    received_ms: i64,
    items: &[NewDetection],
) -> Result<IngestOutcome> {
    // Every key gets a track row first (created empty when new) so that detections can point at it.
    let mut ids: HashMap<&str, (i64, Vec<String>, Vec<String>)> = HashMap::new();
    {
        // A plain look-up first: statements with RETURNING run in a statement journal, which profiling
        // showed to dominate the writer's time when a batch touches many tracks.
        let mut find =
            c.prepare_cached("SELECT id, transports, sensors FROM tracks WHERE key = ?1")?;
        let mut create = c.prepare_cached(
            "INSERT INTO tracks(key, first_seen_ms, last_seen_ms) VALUES (?1, ?2, ?2)",
        )?;
        for d in items {
            if let Some(f) = &d.track {
                if !ids.contains_key(f.key.as_str()) {
                    let found = find
                        .query_row([&f.key], |r| {
                            Ok((
                                r.get::<_, i64>(0)?,
                                r.get::<_, String>(1)?,
                                r.get::<_, String>(2)?,
                            ))
                        })
                        .optional()?;
                    let entry = match found {
                        Some((id, t, s)) => (id, json_list(&t), json_list(&s)),
                        None => {
                            create.execute(params![f.key, d.time_ms])?;
                            (c.last_insert_rowid(), Vec::new(), Vec::new())
                        }
                    };
                    ids.insert(&f.key, entry);
                }
            }
        }
    }
    let mut merges: HashMap<i64, Merge> = HashMap::new();
    let mut stored = 0usize;
    {
        let mut ins = c.prepare_cached(
            "INSERT OR IGNORE INTO detections(sensor_id, seq, received_ms, time_ms, transport, track_id, lat, lon, alt_m, line) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )?;
        for d in items {
            let track = d
                .track
                .as_ref()
                .and_then(|f| ids.get(f.key.as_str()).map(|t| (t.0, f)));
            let (lat, lon, alt) = match d.track.as_ref() {
                Some(f) if f.lat.is_some() && f.lon.is_some() => (f.lat, f.lon, f.alt_m),
                _ => (None, None, None),
            };
            let n = ins.execute(params![
                sensor_id,
                d.seq,
                received_ms,
                d.time_ms,
                d.transport,
                track.map(|t| t.0),
                lat,
                lon,
                alt,
                d.line
            ])?;
            if n == 1 {
                stored += 1;
                if let Some((id, f)) = track {
                    merges.entry(id).or_default().add(d, f);
                }
            }
        }
    }
    let mut tracks = Vec::with_capacity(merges.len());
    if !merges.is_empty() {
        let mut upd = c.prepare_cached(
            "UPDATE tracks SET \
               uas_id = CASE WHEN ?13 >= last_seen_ms THEN coalesce(?2, uas_id) ELSE coalesce(uas_id, ?2) END, \
               lat = CASE WHEN ?3 IS NOT NULL AND (?13 >= last_seen_ms OR lat IS NULL) THEN ?3 ELSE lat END, \
               lon = CASE WHEN ?3 IS NOT NULL AND (?13 >= last_seen_ms OR lat IS NULL) THEN ?4 ELSE lon END, \
               alt_m = CASE WHEN ?3 IS NOT NULL AND (?13 >= last_seen_ms OR lat IS NULL) THEN ?5 ELSE alt_m END, \
               operator_lat = CASE WHEN ?6 IS NOT NULL AND (?13 >= last_seen_ms OR operator_lat IS NULL) THEN ?6 ELSE operator_lat END, \
               operator_lon = CASE WHEN ?6 IS NOT NULL AND (?13 >= last_seen_ms OR operator_lat IS NULL) THEN ?7 ELSE operator_lon END, \
               home_lat = CASE WHEN ?8 IS NOT NULL AND (?13 >= last_seen_ms OR home_lat IS NULL) THEN ?8 ELSE home_lat END, \
               home_lon = CASE WHEN ?8 IS NOT NULL AND (?13 >= last_seen_ms OR home_lat IS NULL) THEN ?9 ELSE home_lon END, \
               transports = ?10, sensors = ?11, \
               first_seen_ms = min(first_seen_ms, ?12), last_seen_ms = max(last_seen_ms, ?13), \
               detections = detections + ?14, state = 'active' \
             WHERE id = ?1"
        )?;
        let mut get =
            c.prepare_cached(&format!("SELECT {TRACK_COLS} FROM tracks WHERE id = ?1"))?;
        let mut by_id: HashMap<i64, (&Vec<String>, &Vec<String>)> = HashMap::new();
        for (id, t, s) in ids.values() {
            by_id.insert(*id, (t, s));
        }
        let empty = Vec::new();
        for (id, m) in merges {
            let (old_t, old_s) = by_id.get(&id).copied().unwrap_or((&empty, &empty));
            let mut transports: BTreeSet<String> = old_t.iter().cloned().collect();
            transports.extend(m.transports);
            let mut sensors: BTreeSet<String> = old_s.iter().cloned().collect();
            sensors.insert(sensor_name.to_owned());
            let tj = serde_json::to_string(&transports).unwrap_or_else(|_| "[]".into());
            let sj = serde_json::to_string(&sensors).unwrap_or_else(|_| "[]".into());
            upd.execute(params![
                id,
                m.uas_id,
                m.lat,
                m.lon,
                m.alt_m,
                m.operator_lat,
                m.operator_lon,
                m.home_lat,
                m.home_lon,
                tj,
                sj,
                m.first_ms,
                m.last_ms,
                m.count
            ])?;
            tracks.push(get.query_row([id], track_from)?);
        }
        tracks.sort_by_key(|t| t.id);
    }
    if stored > 0 {
        c.prepare_cached(
            "UPDATE sensors SET detections_stored = detections_stored + ?2 WHERE id = ?1",
        )?
        .execute(params![sensor_id, stored as i64])?;
    }
    Ok(IngestOutcome {
        stored,
        duplicates: items.len() - stored,
        tracks,
    })
}

impl Store {
    /// Stores a batch of detections from one sensor in one transaction, ignoring lines whose (sensor,
    /// sequence number) is already stored, and updates the tracks they belong to. The ticket resolves once
    /// the batch is committed: only then may the sensor be acknowledged.
    pub fn ingest(
        &self,
        sensor_id: i64,
        sensor_name: &str,
        received_ms: i64,
        items: Vec<NewDetection>,
    ) -> Ticket<IngestOutcome> {
        let name = sensor_name.to_owned();
        self.write(move |c| ingest_tx(c, sensor_id, &name, received_ms, &items))
    }
}
