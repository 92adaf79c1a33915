//! The error of a capture run: which file, where in it, and why it could not be read further.

use std::fmt;
use std::path::{Path, PathBuf};

/// Why a capture file could not be read (not: why a frame was dropped — that is [`crate::DropReason`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    /// The file could not be opened or read.
    Io(String),
    /// The first bytes match no format we read (pcap, pcapng, btsnoop).
    UnknownFormat { magic: [u8; 4] },
    /// The file is empty.
    Empty,
    /// The container structure is broken here and the reader cannot find the next record.
    Corrupt(String),
    /// A single record is larger than the reader's memory limit.
    RecordTooLarge { size: usize, limit: usize },
    /// The container declares a link type the decoder does not read in a file where it is the only one.
    Unsupported(String),
}

/// An error with its context: the file (as named by the caller), the byte offset and the reason.
///
/// Displays as `FILE: offset N: reason`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    path: PathBuf,
    offset: u64,
    kind: ErrorKind,
}

impl Error {
    pub(crate) fn new(path: &Path, offset: u64, kind: ErrorKind) -> Self {
        Error {
            path: path.to_path_buf(),
            offset,
            kind,
        }
    }

    /// The file the error is about, as given to [`crate::open`] or [`crate::Decoder::new`].
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The byte offset in the file where the unreadable record starts.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Why the file could not be read.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::Io(e) => write!(f, "I/O error: {e}"),
            ErrorKind::UnknownFormat { magic } => write!(
                f,
                "unknown capture format (magic {:02x} {:02x} {:02x} {:02x}; expected pcap, pcapng or btsnoop)",
                magic[0], magic[1], magic[2], magic[3]
            ),
            ErrorKind::Empty => f.write_str("empty file"),
            ErrorKind::Corrupt(why) => write!(f, "corrupt capture: {why}"),
            ErrorKind::RecordTooLarge { size, limit } => {
                write!(f, "record of {size} bytes exceeds the {limit}-byte limit")
            }
            ErrorKind::Unsupported(why) => write!(f, "unsupported: {why}"),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: offset {}: {}",
            self.path.display(),
            self.offset,
            self.kind
        )
    }
}

impl std::error::Error for Error {}
