use core::fmt;

/// Why a buffer could not be decoded. Small and `Copy` so decoders stay allocation-free.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// The buffer ended before `field`: `need` bytes were required, `have` were present.
    Truncated {
        field: &'static str,
        need: usize,
        have: usize,
    },
    /// `field` holds a value that cannot be represented (a length that points outside the buffer,
    /// a nested pack, a wrong message size...).
    Malformed { field: &'static str },
    /// The buffer is not of the kind the decoder was asked to read (wrong OUI, wrong frame type).
    NotApplicable,
}

pub type Result<T> = core::result::Result<T, Error>;

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Truncated { field, need, have } => {
                write!(f, "truncated at {field}: need {need} bytes, have {have}")
            }
            Error::Malformed { field } => write!(f, "malformed {field}"),
            Error::NotApplicable => f.write_str("not applicable"),
        }
    }
}

impl core::error::Error for Error {}
