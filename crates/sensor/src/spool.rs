//! The durable spool: every detection line is committed here, with its sequence number, before anything
//! is sent. An embedded SQLite database (WAL, `synchronous = FULL`) in the spool directory.
//!
//! Tables: `spool(seq, line)` holds what is waiting for the server's acknowledgement; `dead(seq, line,
//! error, time_ms)` the lines the server refused as malformed (400), kept for inspection; `meta(key,
//! value)` the counters that must survive restarts (`next_seq`, `dropped_oldest`, `dead_letters`,
//! `sent`); `positions(source, items)` how far each replay source got (see [`Spool::append`]).
//!
//! Sequence numbers: `next_seq` is written in the same transaction as the rows it numbers, so after a
//! crash it is never behind a committed row, and it is never reset when the spool drains. A new spool
//! starts at the current time in milliseconds × 1000 (as `skytrace replay` does), so a sensor whose spool
//! directory was lost does not reuse numbers the server already holds (it would store nothing of them).
//!
//! The spool always holds one contiguous range of sequence numbers `[head, next_seq)` minus rows that
//! were moved to `dead` or acknowledged: rows leave only from the head (acknowledged, dropped when full)
//! or one by one into `dead`.
//!
//! Bounded size: `max_rows` and `max_bytes` (sum of the lines' lengths; the database file is larger by
//! SQLite's page overhead, and does not shrink, but reuses freed pages). When an append goes over either
//! limit, the oldest rows are deleted in the same transaction (policy drop-oldest) and counted in
//! `dropped_oldest`.

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// A spool error: the database file and what failed.
#[derive(Debug, thiserror::Error)]
#[error("spool {path}: {what}: {source}")]
pub struct SpoolError {
    pub path: PathBuf,
    pub what: &'static str,
    #[source]
    pub source: rusqlite::Error,
}

/// Limits of the spool; `None` is unbounded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Limits {
    pub max_rows: Option<u64>,
    pub max_bytes: Option<u64>,
}

/// One spooled line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub seq: i64,
    pub line: String,
}

/// What the spool holds and has done, for heartbeats and the status line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct SpoolStats {
    /// Lines waiting for an acknowledgement.
    pub depth: u64,
    /// Their total length in bytes.
    pub bytes: u64,
    /// The sequence number the next line gets.
    pub next_seq: i64,
    /// Lines deleted unsent because the spool was full (since the spool was created).
    pub dropped_oldest: u64,
    /// Lines the server refused as malformed, moved to the dead-letter table.
    pub dead_letters: u64,
    /// Lines acknowledged by the server.
    pub acknowledged: u64,
}

/// The spool. Not `Sync`: the pipeline shares it behind a mutex; every method is one short transaction.
pub struct Spool {
    conn: Connection,
    path: PathBuf,
    limits: Limits,
    stats: SpoolStats,
    /// Lowest sequence number possibly in `spool` (rows below it are gone).
    head: i64,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS spool (seq INTEGER PRIMARY KEY, line TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS dead (seq INTEGER PRIMARY KEY, line TEXT NOT NULL, error TEXT NOT NULL,
    time_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS positions (source TEXT PRIMARY KEY, items INTEGER NOT NULL);
";

fn now_ms() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp_nanos() as i64 / 1_000_000
}

impl Spool {
    /// The database file inside a spool directory.
    pub fn file(dir: &Path) -> PathBuf {
        dir.join("spool.sqlite")
    }

    /// Opens (or creates) the spool in `dir`.
    ///
    /// # Errors
    ///
    /// The directory cannot be created or the database cannot be opened, migrated or read.
    pub fn open(dir: &Path, limits: Limits) -> Result<Spool, SpoolError> {
        let path = Self::file(dir);
        let err = |what| {
            let path = path.clone();
            move |source| SpoolError { path, what, source }
        };
        std::fs::create_dir_all(dir).map_err(|e| SpoolError {
            path: dir.to_path_buf(),
            what: "creating the spool directory",
            source: rusqlite::Error::ToSqlConversionFailure(Box::new(e)),
        })?;
        let conn = Connection::open(&path).map_err(err("opening"))?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000;",
        )
        .map_err(err("setting WAL mode"))?;
        conn.execute_batch(SCHEMA).map_err(err("creating tables"))?;
        let mut spool = Spool {
            conn,
            path: path.clone(),
            limits,
            stats: SpoolStats::default(),
            head: 0,
        };
        spool.load().map_err(err("reading the counters"))?;
        Ok(spool)
    }

    fn load(&mut self) -> Result<(), rusqlite::Error> {
        let meta = |c: &Connection, k: &str| -> Result<Option<i64>, rusqlite::Error> {
            c.query_row("SELECT value FROM meta WHERE key = ?1", [k], |r| r.get(0))
                .optional()
        };
        let next = match meta(&self.conn, "next_seq")? {
            Some(n) => n,
            None => {
                let start = now_ms().saturating_mul(1000).max(0);
                self.conn.execute(
                    "INSERT INTO meta (key, value) VALUES ('next_seq', ?1)",
                    [start],
                )?;
                start
            }
        };
        let (depth, bytes, min): (i64, i64, Option<i64>) = self.conn.query_row(
            "SELECT count(*), coalesce(sum(length(line)), 0), min(seq) FROM spool",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        let max_seq: Option<i64> = self
            .conn
            .query_row("SELECT max(seq) FROM spool", [], |r| r.get(0))?;
        self.stats = SpoolStats {
            depth: depth as u64,
            bytes: bytes as u64,
            // Never behind a stored row, whatever the meta table says.
            next_seq: next.max(max_seq.map_or(i64::MIN, |m| m + 1)),
            dropped_oldest: meta(&self.conn, "dropped_oldest")?.unwrap_or(0) as u64,
            dead_letters: meta(&self.conn, "dead_letters")?.unwrap_or(0) as u64,
            acknowledged: meta(&self.conn, "acknowledged")?.unwrap_or(0) as u64,
        };
        self.head = min.unwrap_or(self.stats.next_seq);
        Ok(())
    }

    fn err(&self, what: &'static str) -> impl FnOnce(rusqlite::Error) -> SpoolError {
        let path = self.path.clone();
        move |source| SpoolError { path, what, source }
    }

    /// The counters now.
    pub fn stats(&self) -> SpoolStats {
        self.stats
    }

    /// The positions replay sources reached, by source name (items consumed).
    ///
    /// # Errors
    ///
    /// The table cannot be read.
    pub fn positions(&self) -> Result<HashMap<String, u64>, SpoolError> {
        let mut st = self
            .conn
            .prepare("SELECT source, items FROM positions")
            .map_err(self.err("reading positions"))?;
        let rows = st
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
            .map_err(self.err("reading positions"))?;
        let mut out = HashMap::new();
        for r in rows {
            let (k, v) = r.map_err(self.err("reading positions"))?;
            out.insert(k, v.max(0) as u64);
        }
        Ok(out)
    }

    /// Appends lines in one transaction (group commit), numbering them from `next_seq`, and records the
    /// replay positions reached by the sources that produced them (`(source, items consumed)`), so that a
    /// restarted replay resumes after exactly what was committed. Applies the size limits (drop oldest).
    /// Returns the sequence number of the first line.
    ///
    /// # Errors
    ///
    /// The transaction fails; then nothing of it is stored and the counters are unchanged.
    pub fn append<S: AsRef<str>>(
        &mut self,
        lines: &[S],
        positions: &[(String, u64)],
    ) -> Result<i64, SpoolError> {
        let first = self.stats.next_seq;
        let path = self.path.clone();
        let limits = self.limits;
        let mut stats = self.stats;
        let mut head = self.head;
        let r = (|| -> Result<(), rusqlite::Error> {
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            {
                let mut ins = tx.prepare_cached("INSERT INTO spool (seq, line) VALUES (?1, ?2)")?;
                for l in lines {
                    let l = l.as_ref();
                    ins.execute(params![stats.next_seq, l])?;
                    stats.next_seq += 1;
                    stats.depth += 1;
                    stats.bytes += l.len() as u64;
                }
                let mut pos = tx.prepare_cached(
                    "INSERT INTO positions (source, items) VALUES (?1, ?2) \
                     ON CONFLICT (source) DO UPDATE SET items = max(items, excluded.items)",
                )?;
                for (s, n) in positions {
                    pos.execute(params![s, i64::try_from(*n).unwrap_or(i64::MAX)])?;
                }
            }
            let over = |s: &SpoolStats| {
                limits.max_rows.is_some_and(|m| s.depth > m)
                    || limits.max_bytes.is_some_and(|m| s.bytes > m)
            };
            if over(&stats) {
                // Walk from the head, oldest first, until what is left fits; delete that range.
                let mut cut = head;
                let mut gone = 0u64;
                {
                    let mut sel = tx.prepare_cached(
                        "SELECT seq, length(line) FROM spool WHERE seq >= ?1 ORDER BY seq",
                    )?;
                    let mut rows = sel.query([head])?;
                    while over(&stats) {
                        let Some(r) = rows.next()? else { break };
                        let seq: i64 = r.get(0)?;
                        let len: i64 = r.get(1)?;
                        stats.depth -= 1;
                        stats.bytes = stats.bytes.saturating_sub(len as u64);
                        gone += 1;
                        cut = seq + 1;
                    }
                }
                tx.prepare_cached("DELETE FROM spool WHERE seq < ?1")?
                    .execute([cut])?;
                stats.dropped_oldest += gone;
                head = cut;
                tx.prepare_cached(
                    "INSERT INTO meta (key, value) VALUES ('dropped_oldest', ?1) \
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                )?
                .execute([stats.dropped_oldest as i64])?;
            }
            tx.prepare_cached("UPDATE meta SET value = ?1 WHERE key = 'next_seq'")?
                .execute([stats.next_seq])?;
            tx.commit()
        })();
        r.map_err(|source| SpoolError {
            path,
            what: "appending",
            source,
        })?;
        if lines.is_empty() && positions.is_empty() {
            return Ok(first);
        }
        self.stats = stats;
        self.head = head;
        Ok(first)
    }

    /// The oldest lines, at most `max_lines` and about `max_bytes`, with consecutive sequence numbers
    /// (a batch stops at a gap left by a dead letter, so that the server numbers its lines right).
    ///
    /// # Errors
    ///
    /// The table cannot be read.
    pub fn peek(&mut self, max_lines: usize, max_bytes: usize) -> Result<Vec<Row>, SpoolError> {
        let path = self.path.clone();
        let head = self.head;
        let r = (|| -> Result<Vec<Row>, rusqlite::Error> {
            let mut st = self.conn.prepare_cached(
                "SELECT seq, line FROM spool WHERE seq >= ?1 ORDER BY seq LIMIT ?2",
            )?;
            let mut rows = st.query(params![head, max_lines as i64])?;
            let mut out: Vec<Row> = Vec::new();
            let mut bytes = 0usize;
            while let Some(r) = rows.next()? {
                let row = Row {
                    seq: r.get(0)?,
                    line: r.get(1)?,
                };
                if let Some(last) = out.last() {
                    if row.seq != last.seq + 1 || bytes + row.line.len() > max_bytes {
                        break;
                    }
                }
                bytes += row.line.len() + 1;
                out.push(row);
            }
            Ok(out)
        })();
        let rows = r.map_err(|source| SpoolError {
            path,
            what: "reading a batch",
            source,
        })?;
        if let Some(first) = rows.first() {
            // Nothing lies below the first row: later reads start there.
            self.head = first.seq;
        }
        Ok(rows)
    }

    /// Deletes the acknowledged lines `first..=last`.
    ///
    /// # Errors
    ///
    /// The transaction fails; the lines stay (and are sent again: at-least-once).
    pub fn acknowledge(&mut self, first: i64, last: i64) -> Result<(), SpoolError> {
        let (n, bytes) = self
            .remove(first, last, None)
            .map_err(self.err("deleting"))?;
        self.stats.depth -= n;
        self.stats.bytes = self.stats.bytes.saturating_sub(bytes);
        self.stats.acknowledged += n;
        Ok(())
    }

    /// Moves the lines `first..=last` to the dead-letter table with the server's reason.
    ///
    /// # Errors
    ///
    /// The transaction fails; the lines stay.
    pub fn dead_letter(&mut self, first: i64, last: i64, error: &str) -> Result<(), SpoolError> {
        let (n, bytes) = self
            .remove(first, last, Some(error))
            .map_err(self.err("moving to dead letters"))?;
        self.stats.depth -= n;
        self.stats.bytes = self.stats.bytes.saturating_sub(bytes);
        self.stats.dead_letters += n;
        Ok(())
    }

    fn remove(
        &mut self,
        first: i64,
        last: i64,
        dead: Option<&str>,
    ) -> Result<(u64, u64), rusqlite::Error> {
        // Removals need not reach the disk before the next append does (which syncs the WAL, earlier
        // frames included): one lost at a power cut only means lines sent again, which the server stores
        // once. Appends stay `FULL`: a lost append could reuse sequence numbers already sent.
        self.conn.execute_batch("PRAGMA synchronous = NORMAL")?;
        let r = self.remove_tx(first, last, dead);
        self.conn.execute_batch("PRAGMA synchronous = FULL")?;
        r
    }

    fn remove_tx(
        &mut self,
        first: i64,
        last: i64,
        dead: Option<&str>,
    ) -> Result<(u64, u64), rusqlite::Error> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let (n, bytes): (i64, i64) = tx
            .prepare_cached(
                "SELECT count(*), coalesce(sum(length(line)), 0) FROM spool WHERE seq BETWEEN ?1 AND ?2",
            )?
            .query_row([first, last], |r| Ok((r.get(0)?, r.get(1)?)))?;
        let (key, total) = match dead {
            Some(error) => {
                tx.prepare_cached(
                    "INSERT OR REPLACE INTO dead (seq, line, error, time_ms) \
                     SELECT seq, line, ?3, ?4 FROM spool WHERE seq BETWEEN ?1 AND ?2",
                )?
                .execute(params![first, last, error, now_ms()])?;
                ("dead_letters", self.stats.dead_letters + n as u64)
            }
            None => ("acknowledged", self.stats.acknowledged + n as u64),
        };
        tx.prepare_cached("DELETE FROM spool WHERE seq BETWEEN ?1 AND ?2")?
            .execute([first, last])?;
        tx.prepare_cached(
            "INSERT INTO meta (key, value) VALUES (?1, ?2) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )?
        .execute(params![key, total as i64])?;
        tx.commit()?;
        Ok((n as u64, bytes as u64))
    }

    /// The dead letters, oldest first (for tests and inspection).
    ///
    /// # Errors
    ///
    /// The table cannot be read.
    pub fn dead_letters(&self) -> Result<Vec<(i64, String, String)>, SpoolError> {
        let mut st = self
            .conn
            .prepare("SELECT seq, line, error FROM dead ORDER BY seq")
            .map_err(self.err("reading dead letters"))?;
        let rows = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .map_err(self.err("reading dead letters"))?;
        rows.collect::<Result<_, _>>()
            .map_err(self.err("reading dead letters"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(range: std::ops::Range<u32>) -> Vec<String> {
        range.map(|i| format!("{{\"n\":{i}}}")).collect()
    }

    #[test]
    fn sequence_numbers_survive_reopen_and_drain() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Spool::open(dir.path(), Limits::default()).unwrap();
        let first = s.append(&lines(0..10), &[]).unwrap();
        assert!(first > 0, "a new spool starts at the clock, not 0");
        let batch = s.peek(100, 1 << 20).unwrap();
        assert_eq!(batch.len(), 10);
        assert_eq!(batch[0].seq, first);
        assert_eq!(batch[9].seq, first + 9);
        s.acknowledge(first, first + 9).unwrap();
        assert_eq!(s.stats().depth, 0);
        drop(s);
        let mut s = Spool::open(dir.path(), Limits::default()).unwrap();
        assert_eq!(s.stats().next_seq, first + 10);
        assert_eq!(s.stats().acknowledged, 10);
        assert_eq!(s.append(&lines(0..1), &[]).unwrap(), first + 10);
    }

    #[test]
    fn drop_oldest_by_rows_and_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Spool::open(
            dir.path(),
            Limits {
                max_rows: Some(5),
                max_bytes: None,
            },
        )
        .unwrap();
        let first = s.append(&lines(0..8), &[]).unwrap();
        let st = s.stats();
        assert_eq!((st.depth, st.dropped_oldest), (5, 3));
        let batch = s.peek(100, 1 << 20).unwrap();
        assert_eq!(batch[0].seq, first + 3);
        assert_eq!(batch[0].line, "{\"n\":3}");
        s.append(&lines(8..10), &[]).unwrap();
        assert_eq!(s.stats().dropped_oldest, 5);
        drop(s);
        // Bytes: each line is 7 bytes; 20 bytes keep two lines.
        let mut s = Spool::open(
            dir.path(),
            Limits {
                max_rows: None,
                max_bytes: Some(20),
            },
        )
        .unwrap();
        assert_eq!(s.stats().dropped_oldest, 5, "the count is persisted");
        s.append(&lines(0..1), &[]).unwrap();
        let st = s.stats();
        assert_eq!((st.depth, st.bytes, st.dropped_oldest), (2, 14, 9));
    }

    #[test]
    fn dead_letters_leave_a_gap_that_batches_respect() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Spool::open(dir.path(), Limits::default()).unwrap();
        let f = s.append(&lines(0..6), &[]).unwrap();
        s.dead_letter(f + 2, f + 2, "line 3: lat out of range")
            .unwrap();
        let b = s.peek(100, 1 << 20).unwrap();
        assert_eq!(b.iter().map(|r| r.seq - f).collect::<Vec<_>>(), [0, 1]);
        s.acknowledge(f, f + 1).unwrap();
        let b = s.peek(100, 1 << 20).unwrap();
        assert_eq!(b.iter().map(|r| r.seq - f).collect::<Vec<_>>(), [3, 4, 5]);
        let dead = s.dead_letters().unwrap();
        assert_eq!(dead.len(), 1);
        assert_eq!(dead[0].0, f + 2);
        assert_eq!(s.stats().dead_letters, 1);
        // A byte limit per batch splits it.
        let b = s.peek(100, 8).unwrap();
        assert_eq!(b.len(), 1);
    }

    #[test]
    fn positions_only_grow() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Spool::open(dir.path(), Limits::default()).unwrap();
        s.append(&lines(0..1), &[("pcap:a".into(), 10)]).unwrap();
        s.append(&lines(0..1), &[("pcap:a".into(), 7), ("iq:b".into(), 3)])
            .unwrap();
        let p = s.positions().unwrap();
        assert_eq!(p.get("pcap:a"), Some(&10));
        assert_eq!(p.get("iq:b"), Some(&3));
    }
}
