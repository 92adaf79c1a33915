//! Typed events that log and count at once (STYLE.md "Pipelines"): every source reports frames,
//! detections, frames without a broadcast, drops by reason and errors the same way, whatever its kind.

use capture::DropReason;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;

/// Something that happened in a source's part of the pipeline.
#[derive(Debug)]
pub enum Event<'a> {
    /// A frame (or burst, or decoded report) was received.
    Frame,
    /// The frame carried this many broadcasts.
    Detections(usize),
    /// The frame carried no broadcast skytrace decodes.
    Other,
    /// The frame was dropped, and why.
    Dropped(DropReason),
    /// The source failed; `fatal` ends it.
    Error { message: &'a str, fatal: bool },
    /// The source is finished (end of a replay, or a fatal error).
    Finished,
}

/// The counters of one source. Shared between its thread, the heartbeat and the status page.
#[derive(Debug)]
pub struct SourceCounters {
    pub name: String,
    frames: AtomicU64,
    detections: AtomicU64,
    other: AtomicU64,
    errors: AtomicU64,
    dropped: [AtomicU64; DropReason::ALL.len()],
    finished: AtomicBool,
    last_error: Mutex<Option<String>>,
    /// Running totals of what the source dropped itself ([`crate::source::Source::drops`]).
    source_drops: Mutex<BTreeMap<&'static str, u64>>,
}

/// A snapshot of [`SourceCounters`], as heartbeats and the status page carry it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceSnapshot {
    pub frames: u64,
    pub detections: u64,
    pub other: u64,
    pub errors: u64,
    /// Dropped frames by reason (`bad-fcs`, `bad-crc`, `truncated`...), with what the source dropped
    /// itself (`queue-full`, `bad-burst`); reasons never seen are absent.
    pub dropped: BTreeMap<&'static str, u64>,
    pub finished: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

impl SourceCounters {
    pub fn new(name: String) -> SourceCounters {
        SourceCounters {
            name,
            frames: AtomicU64::new(0),
            detections: AtomicU64::new(0),
            other: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            dropped: Default::default(),
            finished: AtomicBool::new(false),
            last_error: Mutex::new(None),
            source_drops: Mutex::new(BTreeMap::new()),
        }
    }

    /// Logs and counts one event.
    pub fn emit(&self, e: Event<'_>) {
        match e {
            Event::Frame => {
                self.frames.fetch_add(1, Ordering::Relaxed);
            }
            Event::Detections(n) => {
                self.detections.fetch_add(n as u64, Ordering::Relaxed);
                tracing::trace!(source = %self.name, n, "detections");
            }
            Event::Other => {
                self.other.fetch_add(1, Ordering::Relaxed);
            }
            Event::Dropped(reason) => {
                if let Some(c) = self.dropped.get(reason.index()) {
                    c.fetch_add(1, Ordering::Relaxed);
                }
                tracing::debug!(source = %self.name, reason = reason.as_str(), "frame dropped");
            }
            Event::Error { message, fatal } => {
                self.errors.fetch_add(1, Ordering::Relaxed);
                if fatal {
                    tracing::error!(source = %self.name, error = %message, "source failed");
                } else {
                    tracing::warn!(source = %self.name, error = %message, "source error");
                }
                if let Ok(mut l) = self.last_error.lock() {
                    *l = Some(message.to_owned());
                }
            }
            Event::Finished => {
                self.finished.store(true, Ordering::Relaxed);
                tracing::info!(source = %self.name, "source finished");
            }
        }
    }

    /// Takes the source's own drop totals (they replace the previous reading, they are not added).
    pub fn set_source_drops(&self, drops: &[(&'static str, u64)]) {
        if drops.is_empty() {
            return;
        }
        if let Ok(mut m) = self.source_drops.lock() {
            for &(reason, n) in drops {
                m.insert(reason, n);
            }
        }
    }

    pub fn finished(&self) -> bool {
        self.finished.load(Ordering::Relaxed)
    }

    pub fn snapshot(&self) -> SourceSnapshot {
        let mut dropped = BTreeMap::new();
        for r in DropReason::ALL {
            let n = self
                .dropped
                .get(r.index())
                .map_or(0, |c| c.load(Ordering::Relaxed));
            if n > 0 {
                dropped.insert(r.as_str(), n);
            }
        }
        if let Ok(m) = self.source_drops.lock() {
            for (&reason, &n) in m.iter().filter(|(_, &n)| n > 0) {
                *dropped.entry(reason).or_insert(0) += n;
            }
        }
        SourceSnapshot {
            frames: self.frames.load(Ordering::Relaxed),
            detections: self.detections.load(Ordering::Relaxed),
            other: self.other.load(Ordering::Relaxed),
            errors: self.errors.load(Ordering::Relaxed),
            dropped,
            finished: self.finished(),
            last_error: self.last_error.lock().ok().and_then(|l| l.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_count() {
        let c = SourceCounters::new("pcap:x".into());
        for e in [
            Event::Frame,
            Event::Detections(2),
            Event::Frame,
            Event::Dropped(DropReason::BadFcs),
            Event::Frame,
            Event::Other,
            Event::Error {
                message: "gone",
                fatal: true,
            },
            Event::Finished,
        ] {
            c.emit(e);
        }
        let s = c.snapshot();
        assert_eq!((s.frames, s.detections, s.other, s.errors), (3, 2, 1, 1));
        assert_eq!(s.dropped.get("bad-fcs"), Some(&1));
        assert!(s.finished);
        assert_eq!(s.last_error.as_deref(), Some("gone"));
        let v = serde_json::to_value(&s).unwrap();
        assert_eq!(v["dropped"]["bad-fcs"], 1);
    }
}
