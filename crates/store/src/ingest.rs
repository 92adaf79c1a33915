//! Idempotent batch ingest of detection lines, with the track table kept up to date in the same transaction.

use crate::{Error, Result, Store, Ticket, TrackDetail, TrackRow};
use rusqlite::{params, Connection, OptionalExtension, Row};
use std::collections::{BTreeSet, HashMap as StdHashMap, HashSet as StdHashSet};

// The writer's maps are keyed by track keys and sequence numbers it made itself or got from authenticated
// sensors, and are rebuilt for every batch: foldhash instead of SipHash, which was 7 % of the writer's time.
type HashMap<K, V> = StdHashMap<K, V, foldhash::fast::RandomState>;
type HashSet<K> = StdHashSet<K, foldhash::fast::RandomState>;
use std::sync::Mutex;

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
    /// The track's identities as `kind:value` ([`TrackRow::identities`]) when they are known at this line;
    /// the newest line of a batch that gives them wins.
    pub identities: Option<Vec<String>>,
    /// The track's MAC hints ([`TrackRow::macs`]), like `identities`.
    pub macs: Option<Vec<String>>,
    /// The tracker's detail of the track ([`TrackRow::detail`]), like `identities`.
    pub detail: Option<TrackDetail>,
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
                                     home_lon, transports, sensors, first_seen_ms, last_seen_ms, detections, state, \
                                     identities, macs, activity_ms, detail";

/// Most track rows the writer keeps in [`TrackCache`]; past it the cache starts over.
const CACHE_MAX: usize = 100_000;

/// The writer's copy of the track rows it wrote last, by key.
///
/// Only the writer thread writes track rows, so a row it wrote is what the database holds until it writes
/// the row again: a batch finds its tracks here instead of reading them back, which halved the writer's
/// statements per detection. Every job that writes tracks keeps the cache in step (ingest, merge, states,
/// close, purge), and the writer clears it when a group transaction is rolled back.
#[derive(Default)]
pub(crate) struct TrackCache {
    rows: HashMap<String, TrackRow>,
    /// The reported time of each track's newest point in `track_points`, by track id; a track missing here
    /// (new, or after a restart or a clear) gets a point with its next positioned detection.
    last_point: HashMap<i64, i64>,
}

impl TrackCache {
    pub(crate) fn put(&mut self, row: TrackRow) {
        if self.rows.len() >= CACHE_MAX && !self.rows.contains_key(&row.key) {
            self.rows.clear();
        }
        self.rows.insert(row.key.clone(), row);
    }

    pub(crate) fn remove(&mut self, key: &str) {
        self.rows.remove(key);
    }

    pub(crate) fn clear(&mut self) {
        self.rows.clear();
        self.last_point.clear();
    }

    /// Whether a positioned detection of track `id` at `time_ms` makes a path point: the first one, and then
    /// one at least [`POINT_EVERY_MS`] away from the newest point (late detections fill the path's gaps).
    fn point_due(&mut self, id: i64, time_ms: i64) -> bool {
        if self.last_point.len() >= CACHE_MAX && !self.last_point.contains_key(&id) {
            self.last_point.clear();
        }
        match self.last_point.get_mut(&id) {
            None => {
                self.last_point.insert(id, time_ms);
                true
            }
            Some(last) if time_ms.abs_diff(*last) >= POINT_EVERY_MS.unsigned_abs() => {
                *last = (*last).max(time_ms);
                true
            }
            Some(_) => false,
        }
    }
}

/// Least reported time between two points of a track's stored path (`track_points`), in milliseconds:
/// a 1 Hz Remote ID broadcast keeps every position, faster ones (DJI's 5–10 Hz, the same message heard by
/// several sensors) two a second. Every detection, with its position, stays in `detections`.
pub const POINT_EVERY_MS: i64 = 500;

/// Writes every column of a track row but its id and key.
pub(crate) fn write_row(c: &Connection, t: &TrackRow) -> rusqlite::Result<()> {
    let list = |v: &[String]| serde_json::to_string(v).unwrap_or_else(|_| "[]".into());
    c.prepare_cached(
        "UPDATE tracks SET uas_id = ?2, lat = ?3, lon = ?4, alt_m = ?5, operator_lat = ?6, operator_lon = ?7, \
         home_lat = ?8, home_lon = ?9, transports = ?10, sensors = ?11, first_seen_ms = ?12, last_seen_ms = ?13, \
         detections = ?14, state = ?15, identities = ?16, macs = ?17, activity_ms = ?18, detail = ?19 WHERE id = ?1",
    )?
    .execute(params![
        t.id,
        t.uas_id,
        t.lat,
        t.lon,
        t.alt_m,
        t.operator_lat,
        t.operator_lon,
        t.home_lat,
        t.home_lon,
        list(&t.transports),
        list(&t.sensors),
        t.first_seen_ms,
        t.last_seen_ms,
        t.detections,
        t.state,
        list(&t.identities),
        list(&t.macs),
        t.activity_ms,
        t.detail.to_json()
    ])?;
    Ok(())
}

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
        identities: json_list(&r.get::<_, String>(16)?),
        macs: json_list(&r.get::<_, String>(17)?),
        activity_ms: r.get(18)?,
        detail: TrackDetail::from_json(&r.get::<_, String>(19)?),
    })
}

/// The merge of a batch's new detections for one track: latest known value of each field, borrowed from
/// the detections until it is applied (a field is copied once per track and batch, not once per line).
#[derive(Default)]
struct Merge<'a> {
    uas_id: Option<&'a String>,
    lat: Option<f64>,
    lon: Option<f64>,
    alt_m: Option<f64>,
    operator_lat: Option<f64>,
    operator_lon: Option<f64>,
    home_lat: Option<f64>,
    home_lon: Option<f64>,
    transports: BTreeSet<&'a str>,
    identities: Option<&'a Vec<String>>,
    macs: Option<&'a Vec<String>>,
    detail: Option<&'a TrackDetail>,
    first_ms: i64,
    last_ms: i64,
    count: i64,
}

impl<'a> Merge<'a> {
    fn add(&mut self, d: &'a NewDetection, f: &'a TrackFacts) {
        if self.count == 0 {
            self.first_ms = d.time_ms;
            self.last_ms = d.time_ms;
        }
        self.count += 1;
        self.first_ms = self.first_ms.min(d.time_ms);
        // Later detections win; a detection older than one already merged only fills gaps.
        let newer = d.time_ms >= self.last_ms;
        self.last_ms = self.last_ms.max(d.time_ms);
        fn take<'a, T>(slot: &mut Option<&'a T>, v: &'a Option<T>, newer: bool) {
            if v.is_some() && (newer || slot.is_none()) {
                *slot = v.as_ref();
            }
        }
        take(&mut self.uas_id, &f.uas_id, newer);
        take(&mut self.identities, &f.identities, newer);
        take(&mut self.macs, &f.macs, newer);
        take(&mut self.detail, &f.detail, newer);
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
        self.transports.insert(d.transport.as_str());
    }

    /// Applies the merged facts of a batch to the stored row, as the newest facts win: a batch older than
    /// what the row already shows only fills gaps.
    fn apply(self, t: &mut TrackRow, sensor_name: &str, received_ms: i64) {
        let newer = self.last_ms >= t.last_seen_ms;
        if let Some(u) = self.uas_id.filter(|_| newer || t.uas_id.is_none()) {
            t.uas_id = Some(u.clone());
        }
        if self.lat.is_some() && (newer || t.lat.is_none()) {
            t.lat = self.lat;
            t.lon = self.lon;
            t.alt_m = self.alt_m;
        }
        if self.operator_lat.is_some() && (newer || t.operator_lat.is_none()) {
            t.operator_lat = self.operator_lat;
            t.operator_lon = self.operator_lon;
        }
        if self.home_lat.is_some() && (newer || t.home_lat.is_none()) {
            t.home_lat = self.home_lat;
            t.home_lon = self.home_lon;
        }
        if let Some(ids) = self.identities.filter(|_| newer || t.identities.is_empty()) {
            t.identities.clone_from(ids);
        }
        if let Some(macs) = self.macs.filter(|_| newer || t.macs.is_empty()) {
            t.macs.clone_from(macs);
        }
        if let Some(d) = self
            .detail
            .filter(|_| newer || *t.detail == TrackDetail::default())
        {
            (*t.detail).clone_from(d);
        }
        let mut grew = false;
        for tr in self.transports {
            if !t.transports.iter().any(|x| x == tr) {
                t.transports.push(tr.to_owned());
                grew = true;
            }
        }
        if grew {
            t.transports.sort();
        }
        if !t.sensors.iter().any(|s| s == sensor_name) {
            t.sensors.push(sensor_name.to_owned());
            t.sensors.sort();
        }
        t.first_seen_ms = t.first_seen_ms.min(self.first_ms);
        t.last_seen_ms = t.last_seen_ms.max(self.last_ms);
        t.detections = t.detections.saturating_add(self.count);
        if t.state != "active" {
            t.state = "active".into();
        }
        t.activity_ms = t.activity_ms.max(received_ms);
    }
}

/// Detection lines per multi-row insert statement.
const CHUNK: usize = 16;
/// Columns bound per detection.
const COLS: usize = 10;

fn insert_sql(rows: usize) -> String {
    // OR IGNORE although the lines are known to be fresh: a multi-row statement that may abort on a
    // constraint runs in a statement journal (a copy of every page it touches), one that ignores does not.
    let mut sql = String::from(
        "INSERT OR IGNORE INTO detections(sensor_id, seq, received_ms, time_ms, transport, track_id, lat, lon, alt_m, line) VALUES ",
    );
    for r in 0..rows {
        if r > 0 {
            sql.push(',');
        }
        let b = r * COLS;
        sql.push_str(&format!(
            "(?{},?{},?{},?{},?{},?{},?{},?{},?{},?{})",
            b + 1,
            b + 2,
            b + 3,
            b + 4,
            b + 5,
            b + 6,
            b + 7,
            b + 8,
            b + 9,
            b + 10
        ));
    }
    sql
}

/// Binds one detection's columns at parameters `base + 1 ..= base + COLS`.
fn bind_detection(
    st: &mut rusqlite::CachedStatement<'_>,
    base: usize,
    sensor_id: i64,
    received_ms: i64,
    d: &NewDetection,
    rows: &HashMap<&str, TrackRow>,
) -> rusqlite::Result<()> {
    let track_id = d
        .track
        .as_ref()
        .and_then(|f| rows.get(f.key.as_str()).map(|t| t.id));
    let (lat, lon, alt) = match d.track.as_ref() {
        Some(f) if f.lat.is_some() && f.lon.is_some() => (f.lat, f.lon, f.alt_m),
        _ => (None, None, None),
    };
    st.raw_bind_parameter(base + 1, sensor_id)?;
    st.raw_bind_parameter(base + 2, d.seq)?;
    st.raw_bind_parameter(base + 3, received_ms)?;
    st.raw_bind_parameter(base + 4, d.time_ms)?;
    st.raw_bind_parameter(base + 5, d.transport.as_str())?;
    st.raw_bind_parameter(base + 6, track_id)?;
    st.raw_bind_parameter(base + 7, lat)?;
    st.raw_bind_parameter(base + 8, lon)?;
    st.raw_bind_parameter(base + 9, alt)?;
    st.raw_bind_parameter(base + 10, d.line.as_str())?;
    Ok(())
}

fn ingest_tx(
    c: &Connection,
    cache: &Mutex<TrackCache>,
    sensor_id: i64,
    sensor_name: &str,
    received_ms: i64,
    items: &[NewDetection],
) -> Result<IngestOutcome> {
    let mut cache = cache
        .lock()
        .map_err(|_| Error::Commit("track cache poisoned".into()))?;
    // Every key gets a track row first (created empty when new) so that detections can point at it.
    let mut rows: HashMap<&str, TrackRow> = HashMap::default();
    {
        let mut find =
            c.prepare_cached(&format!("SELECT {TRACK_COLS} FROM tracks WHERE key = ?1"))?;
        // No RETURNING: such statements run in a statement journal, which profiling showed to dominate
        // the writer's time when a batch touches many tracks.
        let mut create = c.prepare_cached(
            "INSERT INTO tracks(key, first_seen_ms, last_seen_ms) VALUES (?1, ?2, ?2)",
        )?;
        for d in items {
            let Some(f) = &d.track else { continue };
            if rows.contains_key(f.key.as_str()) {
                continue;
            }
            // Taken out rather than cloned: the merged rows go back at the end; a row this job leaves out
            // (a failed job, or a batch of replays only) is read back from the database when next needed.
            let row = match cache.rows.remove(&f.key) {
                Some(r) => r,
                None => match find.query_row([&f.key], track_from).optional()? {
                    Some(r) => r,
                    None => {
                        create.execute(params![f.key, d.time_ms])?;
                        TrackRow {
                            id: c.last_insert_rowid(),
                            key: f.key.clone(),
                            uas_id: None,
                            lat: None,
                            lon: None,
                            alt_m: None,
                            operator_lat: None,
                            operator_lon: None,
                            home_lat: None,
                            home_lon: None,
                            transports: Vec::new(),
                            sensors: Vec::new(),
                            first_seen_ms: d.time_ms,
                            last_seen_ms: d.time_ms,
                            detections: 0,
                            state: "active".into(),
                            identities: Vec::new(),
                            macs: Vec::new(),
                            activity_ms: received_ms,
                            detail: Box::default(),
                        }
                    }
                },
            };
            rows.insert(&f.key, row);
        }
    }
    // The lines not stored yet: one range read finds a replay's sequence numbers, so that the fresh lines
    // go in with multi-row inserts (a statement per CHUNK lines instead of one per line).
    let (lo, hi) = items.iter().fold((i64::MAX, i64::MIN), |(l, h), d| {
        (l.min(d.seq), h.max(d.seq))
    });
    let mut known: HashSet<i64> = HashSet::default();
    if lo <= hi {
        let mut st = c.prepare_cached(
            "SELECT seq FROM detections WHERE sensor_id = ?1 AND seq BETWEEN ?2 AND ?3",
        )?;
        let seqs = st.query_map(params![sensor_id, lo, hi], |r| r.get::<_, i64>(0))?;
        for q in seqs {
            known.insert(q?);
        }
    }
    // `insert` is false for a stored seq and for the second copy of a seq within the batch.
    let fresh: Vec<&NewDetection> = items.iter().filter(|d| known.insert(d.seq)).collect();
    let mut merges: HashMap<&str, Merge> = HashMap::default();
    {
        let mut many = c.prepare_cached(&insert_sql(CHUNK))?;
        let mut one = c.prepare_cached(&insert_sql(1))?;
        let mut chunks = fresh.chunks_exact(CHUNK);
        for chunk in &mut chunks {
            for (k, d) in chunk.iter().enumerate() {
                bind_detection(&mut many, k * COLS, sensor_id, received_ms, d, &rows)?;
            }
            many.raw_execute()?;
        }
        for d in chunks.remainder() {
            bind_detection(&mut one, 0, sensor_id, received_ms, d, &rows)?;
            one.raw_execute()?;
        }
    }
    {
        let mut point = c.prepare_cached(
            "INSERT OR IGNORE INTO track_points(track_id, time_ms, lat, lon, alt_m) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        for d in &fresh {
            let Some(f) = &d.track else { continue };
            merges.entry(f.key.as_str()).or_default().add(d, f);
            let (Some(lat), Some(lon), Some(row)) = (f.lat, f.lon, rows.get(f.key.as_str())) else {
                continue;
            };
            if cache.point_due(row.id, d.time_ms) {
                point.execute(params![row.id, d.time_ms, lat, lon, f.alt_m])?;
            }
        }
    }
    let stored = fresh.len();
    let mut tracks = Vec::with_capacity(merges.len());
    for (key, m) in merges {
        let Some(mut row) = rows.remove(key) else {
            continue;
        };
        m.apply(&mut row, sensor_name, received_ms);
        write_row(c, &row)?;
        tracks.push(row);
    }
    tracks.sort_by_key(|t| t.id);
    if stored > 0 {
        c.prepare_cached(
            "UPDATE sensors SET detections_stored = detections_stored + ?2 WHERE id = ?1",
        )?
        .execute(params![sensor_id, stored as i64])?;
    }
    // Only now that every statement of the job succeeded: a failed job leaves the cache as it was.
    for t in &tracks {
        cache.put(t.clone());
    }
    Ok(IngestOutcome {
        stored,
        duplicates: items.len() - stored,
        tracks,
    })
}

/// Told the rows of the tracks a batch changed as soon as the writer has applied the batch, inside its
/// transaction and before the commit (see [`Store::ingest_live`]).
pub type OnApplied = Box<dyn Fn(Vec<TrackRow>) + Send + Sync>;

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
        self.ingest_job(sensor_id, sensor_name, received_ms, items, None)
    }

    /// [`Store::ingest`], and `on_applied` is called on the writer thread with the changed track rows as
    /// soon as the batch is applied, before the commit and its `fsync`: the live picture need not wait for
    /// durability (the acknowledgement still does). The rows are handed over, so the outcome's `tracks` is
    /// empty. It may be called again for the same batch when the batch runs again after another job of its
    /// commit group failed, and, rarely, for a batch whose commit then fails (the sensor, not acknowledged,
    /// sends it again). It must be quick and must not block.
    pub fn ingest_live(
        &self,
        sensor_id: i64,
        sensor_name: &str,
        received_ms: i64,
        items: Vec<NewDetection>,
        on_applied: OnApplied,
    ) -> Ticket<IngestOutcome> {
        self.ingest_job(sensor_id, sensor_name, received_ms, items, Some(on_applied))
    }

    fn ingest_job(
        &self,
        sensor_id: i64,
        sensor_name: &str,
        received_ms: i64,
        items: Vec<NewDetection>,
        on_applied: Option<OnApplied>,
    ) -> Ticket<IngestOutcome> {
        let name = sensor_name.to_owned();
        let cache = self.cache();
        self.write(move |c| {
            let mut out = ingest_tx(c, &cache, sensor_id, &name, received_ms, &items)?;
            if let Some(f) = &on_applied {
                f(std::mem::take(&mut out.tracks));
            }
            Ok(out)
        })
    }
}
