//! Track life-cycle writes driven by the server's tracker: merging two track rows into one, recording
//! state changes (active, lost, closed), and closing the tracks a previous server run left open.
//!
//! The tracker decides; the store only follows. Rows are addressed by their key ([`crate::TrackRow::key`])
//! because the tracker knows its tracks by key before the writer has assigned row ids.

use crate::ingest::{track_from, write_row, TrackCache, TRACK_COLS};
use crate::{Result, Store, Ticket, TrackRow};
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::BTreeSet;
use std::sync::Mutex;

/// Runs a job that rewrites track rows, then forgets the writer's cached copies of `keys` (all of them
/// when `keys` is `None`), whether the job succeeded or not.
fn uncached<T>(
    cache: &Mutex<TrackCache>,
    keys: Option<&[&str]>,
    job: impl FnOnce() -> Result<T>,
) -> Result<T> {
    let r = job();
    if let Ok(mut c) = cache.lock() {
        match keys {
            Some(keys) => keys.iter().for_each(|k| c.remove(k)),
            None => c.clear(),
        }
    }
    r
}

/// The result of [`Store::merge_tracks`].
#[derive(Debug, Clone, PartialEq)]
pub struct MergedTracks {
    /// The surviving row, after the merge.
    pub survivor: TrackRow,
    /// The id of the row merged away (deleted), when it existed.
    pub removed: Option<i64>,
}

fn row_by_key(c: &Connection, key: &str) -> rusqlite::Result<Option<TrackRow>> {
    c.prepare_cached(&format!("SELECT {TRACK_COLS} FROM tracks WHERE key = ?1"))?
        .query_row([key], track_from)
        .optional()
}

fn union(a: &[String], b: &[String]) -> Vec<String> {
    let all: BTreeSet<&String> = a.iter().chain(b.iter()).collect();
    all.into_iter().cloned().collect()
}

fn merge_tx(c: &Connection, into: &str, from: &str) -> Result<Option<MergedTracks>> {
    let Some(gone) = row_by_key(c, from)? else {
        return Ok(row_by_key(c, into)?.map(|survivor| MergedTracks {
            survivor,
            removed: None,
        }));
    };
    let Some(keep) = row_by_key(c, into)? else {
        // The survivor has no row yet (its observations were all in batches not yet written): the merged-away
        // row simply takes its key.
        c.prepare_cached("UPDATE tracks SET key = ?2 WHERE id = ?1")?
            .execute(params![gone.id, into])?;
        return Ok(row_by_key(c, into)?.map(|survivor| MergedTracks {
            survivor,
            removed: None,
        }));
    };
    // The detections of `gone` all lie within its first and last reported times: the time index finds them.
    c.prepare_cached(
        "UPDATE detections SET track_id = ?1 WHERE time_ms BETWEEN ?3 AND ?4 AND track_id = ?2",
    )?
    .execute(params![
        keep.id,
        gone.id,
        gone.first_seen_ms,
        gone.last_seen_ms
    ])?;
    // A point at the same time as one of the survivor's stays the survivor's.
    c.prepare_cached("UPDATE OR IGNORE track_points SET track_id = ?1 WHERE track_id = ?2")?
        .execute(params![keep.id, gone.id])?;
    c.prepare_cached("DELETE FROM track_points WHERE track_id = ?1")?
        .execute([gone.id])?;
    c.prepare_cached("UPDATE alerts SET track_id = ?1 WHERE track_id = ?2")?
        .execute(params![keep.id, gone.id])?;
    // Current values come from the row seen last; the other only fills gaps.
    let newer = gone.last_seen_ms > keep.last_seen_ms;
    let pick = |k: Option<f64>, g: Option<f64>| {
        if (newer && g.is_some()) || k.is_none() {
            g
        } else {
            k
        }
    };
    let pos_from_gone = gone.lat.is_some() && (newer || keep.lat.is_none());
    let (lat, lon, alt) = if pos_from_gone {
        (gone.lat, gone.lon, gone.alt_m)
    } else {
        (keep.lat, keep.lon, keep.alt_m)
    };
    let uas_id = if keep.uas_id.is_none() || (newer && gone.uas_id.is_some()) {
        gone.uas_id.clone()
    } else {
        keep.uas_id.clone()
    };
    let state = if keep.state == "active" || gone.state == "active" {
        "active"
    } else {
        keep.state.as_str()
    };
    let merged = TrackRow {
        id: keep.id,
        key: keep.key.clone(),
        uas_id,
        lat,
        lon,
        alt_m: alt,
        operator_lat: pick(keep.operator_lat, gone.operator_lat),
        operator_lon: pick(keep.operator_lon, gone.operator_lon),
        home_lat: pick(keep.home_lat, gone.home_lat),
        home_lon: pick(keep.home_lon, gone.home_lon),
        transports: union(&keep.transports, &gone.transports),
        sensors: union(&keep.sensors, &gone.sensors),
        first_seen_ms: keep.first_seen_ms.min(gone.first_seen_ms),
        last_seen_ms: keep.last_seen_ms.max(gone.last_seen_ms),
        detections: keep.detections.saturating_add(gone.detections),
        state: state.to_owned(),
        identities: union(&keep.identities, &gone.identities),
        macs: union(&keep.macs, &gone.macs),
        activity_ms: keep.activity_ms.max(gone.activity_ms),
        // The tracker sends the merged track's detail with its next detection; until then the newer wins.
        detail: if newer {
            gone.detail.clone()
        } else {
            keep.detail.clone()
        },
    };
    write_row(c, &merged)?;
    c.prepare_cached("DELETE FROM tracks WHERE id = ?1")?
        .execute([gone.id])?;
    Ok(row_by_key(c, into)?.map(|survivor| MergedTracks {
        survivor,
        removed: Some(gone.id),
    }))
}

impl Store {
    /// Merges the track row keyed `from` into the one keyed `into`: detections and alerts are re-pointed,
    /// transports and sensors united, counts added, and the `from` row deleted. Returns the survivor, or
    /// `None` when neither row exists.
    pub fn merge_tracks(&self, into: &str, from: &str) -> Ticket<Option<MergedTracks>> {
        let (into, from) = (into.to_owned(), from.to_owned());
        let cache = self.cache();
        self.write(move |c| uncached(&cache, Some(&[&into, &from]), || merge_tx(c, &into, &from)))
    }

    /// Records new states (`active`, `lost`, `closed`) of tracks by key; returns the rows that exist, after
    /// the change.
    pub fn set_track_states(&self, states: Vec<(String, String)>) -> Ticket<Vec<TrackRow>> {
        let cache = self.cache();
        self.write(move |c| {
            let keys: Vec<&str> = states.iter().map(|s| s.0.as_str()).collect();
            uncached(&cache, Some(&keys), || set_states(c, &states))
        })
    }

    /// Marks every track not yet closed as closed. Returns how many rows changed.
    pub fn close_open_tracks(&self) -> Ticket<usize> {
        let cache = self.cache();
        self.write(move |c| {
            uncached(&cache, None, || {
                Ok(c.execute(
                    "UPDATE tracks SET state = 'closed' WHERE state != 'closed'",
                    [],
                )?)
            })
        })
    }

    /// The tracks not closed (`active` or `lost`) that have detections, oldest first: what a restarted
    /// server gives back to its tracker.
    ///
    /// # Errors
    ///
    /// Database errors.
    pub fn open_tracks(&self) -> Result<Vec<TrackRow>> {
        self.read(|c| {
            let mut st = c.prepare_cached(&format!(
                "SELECT {TRACK_COLS} FROM tracks WHERE state != 'closed' AND detections > 0 ORDER BY id"
            ))?;
            let rows = st
                .query_map([], track_from)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }
}

fn set_states(c: &Connection, states: &[(String, String)]) -> Result<Vec<TrackRow>> {
    let mut out = Vec::with_capacity(states.len());
    let mut upd = c.prepare_cached("UPDATE tracks SET state = ?2 WHERE key = ?1")?;
    for (key, state) in states {
        if upd.execute(params![key, state])? == 1 {
            if let Some(r) = row_by_key(c, key)? {
                out.push(r);
            }
        }
    }
    Ok(out)
}
