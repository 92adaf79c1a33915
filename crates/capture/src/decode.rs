//! The driver: records from a container → link layer → `wire` → [`Event`]s, with [`Stats`].

use std::collections::VecDeque;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::container::{Source, Step};
use crate::error::{Error, ErrorKind};
use crate::link::{self, LinkType};
use crate::model::{Detection, DropReason, Event, Stats};
use crate::payload::{self, Meta};

/// What [`decode_frame`] made of one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameOutcome {
    /// This many detections were appended to the output.
    Detections(usize),
    /// The frame carries no broadcast.
    Other,
    /// The frame was dropped.
    Dropped(DropReason),
}

/// Decodes one capture record: link header, then the `wire` decoders; appends detections to `out`.
///
/// `time` (Unix ns) and `frame` (1-based index) are copied into the detections. Never panics, whatever
/// `data` holds; allocates only for frames that carry a broadcast.
pub fn decode_frame(
    link: LinkType,
    time: i64,
    frame: u64,
    data: &[u8],
    out: &mut Vec<Detection>,
) -> FrameOutcome {
    let before = out.len();
    let decoded =
        link::decode_frame(link, data).and_then(|f| payload::detect(&f, Meta { time, frame }, out));
    match decoded {
        Err(reason) => {
            out.truncate(before);
            FrameOutcome::Dropped(reason)
        }
        Ok(()) if out.len() > before => FrameOutcome::Detections(out.len() - before),
        Ok(()) => FrameOutcome::Other,
    }
}

/// Streams the events of one capture file. An `Iterator` of `Result<Event, Error>`: an `Err` is the last
/// item (the file cannot be read further); dropped frames are `Ok(Event::Dropped)`.
pub struct Decoder {
    path: PathBuf,
    source: Source,
    stats: Stats,
    frame: u64,
    pending: VecDeque<Event>,
    scratch: Vec<Detection>,
}

/// Opens a capture file (pcap, pcapng or btsnoop, recognised by its magic).
///
/// # Errors
///
/// The file cannot be opened or read, or its first bytes match no supported format.
pub fn open(path: impl AsRef<Path>) -> Result<Decoder, Error> {
    let path = path.as_ref();
    let file = File::open(path).map_err(|e| Error::new(path, 0, ErrorKind::Io(e.to_string())))?;
    let total = file.metadata().ok().map(|m| m.len());
    Decoder::new(path, file, total)
}

impl Decoder {
    /// Reads a capture from any `Read`; `name` is used in error messages, `total_bytes` for progress.
    ///
    /// # Errors
    ///
    /// The input cannot be read or its first bytes match no supported format.
    pub fn new(
        name: impl AsRef<Path>,
        reader: impl Read + Send + 'static,
        total_bytes: Option<u64>,
    ) -> Result<Decoder, Error> {
        let path = name.as_ref().to_path_buf();
        let source = Source::new(&path, Box::new(reader))?;
        Ok(Decoder {
            path,
            source,
            stats: Stats {
                total_bytes,
                ..Stats::default()
            },
            frame: 0,
            pending: VecDeque::new(),
            scratch: Vec::new(),
        })
    }

    /// The counters so far (final once the iterator has returned `None`).
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// The file name given at construction.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn read_one(&mut self) -> Result<bool, Error> {
        let frame = self.frame + 1;
        let scratch = &mut self.scratch;
        let mut outcome = FrameOutcome::Other;
        let step = self.source.next(|rec| {
            outcome = decode_frame(rec.link, rec.time, frame, rec.data, scratch);
        });
        self.stats.bytes_read = self.source.consumed();
        let outcome = match step? {
            Step::Eof => return Ok(false),
            Step::Record => outcome,
            Step::BadInterface => FrameOutcome::Dropped(DropReason::Malformed),
            Step::Truncated => FrameOutcome::Dropped(DropReason::Truncated),
        };
        self.frame = frame;
        self.stats.frames_read += 1;
        match outcome {
            FrameOutcome::Detections(_) => {
                self.stats.frames_with_detections += 1;
                for d in self.scratch.drain(..) {
                    self.stats.count_detection(d.transport);
                    self.pending.push_back(Event::Detection(d));
                }
            }
            FrameOutcome::Other => {
                self.stats.frames_other += 1;
                self.pending.push_back(Event::Other { frame });
            }
            FrameOutcome::Dropped(reason) => {
                self.stats.count_drop(reason);
                self.pending.push_back(Event::Dropped { frame, reason });
            }
        }
        Ok(true)
    }
}

impl Iterator for Decoder {
    type Item = Result<Event, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(e) = self.pending.pop_front() {
            return Some(Ok(e));
        }
        match self.read_one() {
            Ok(true) => self.pending.pop_front().map(Ok),
            Ok(false) => None,
            Err(e) => Some(Err(e)),
        }
    }
}

/// One capture record copied out of the file, for tools that decode later (benchmarks, fuzz corpora).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRecord {
    /// 1-based index in the file.
    pub frame: u64,
    pub link: LinkType,
    /// Unix nanoseconds.
    pub time: i64,
    pub data: Vec<u8>,
    /// Set when the container could not deliver the record (file cut inside it, unknown interface);
    /// `data` is then empty.
    pub dropped: Option<DropReason>,
}

/// Iterator over the raw records of a capture, without decoding them. Allocates one `Vec` per record.
pub struct Records {
    source: Source,
    frame: u64,
}

impl Records {
    /// Opens a capture file (see [`open`]).
    ///
    /// # Errors
    ///
    /// As [`open`].
    pub fn open(path: impl AsRef<Path>) -> Result<Records, Error> {
        let path = path.as_ref();
        let file =
            File::open(path).map_err(|e| Error::new(path, 0, ErrorKind::Io(e.to_string())))?;
        Records::new(path, file)
    }

    /// Reads records from any `Read` (see [`Decoder::new`]).
    ///
    /// # Errors
    ///
    /// As [`Decoder::new`].
    pub fn new(
        name: impl AsRef<Path>,
        reader: impl Read + Send + 'static,
    ) -> Result<Records, Error> {
        Ok(Records {
            source: Source::new(name.as_ref(), Box::new(reader))?,
            frame: 0,
        })
    }
}

impl Iterator for Records {
    type Item = Result<RawRecord, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        let frame = self.frame + 1;
        let mut rec = RawRecord {
            frame,
            link: LinkType::Unknown(0),
            time: 0,
            data: Vec::new(),
            dropped: None,
        };
        let step = self.source.next(|r| {
            rec.link = r.link;
            rec.time = r.time;
            rec.data = r.data.to_vec();
        });
        let dropped = match step {
            Err(e) => return Some(Err(e)),
            Ok(Step::Eof) => return None,
            Ok(Step::Record) => None,
            Ok(Step::BadInterface) => Some(DropReason::Malformed),
            Ok(Step::Truncated) => Some(DropReason::Truncated),
        };
        self.frame = frame;
        rec.dropped = dropped;
        Some(Ok(rec))
    }
}
