//! Link-layer payloads → detections, through the `wire` decoders.

use crate::link::{Frame, Payload};
use crate::model::{Detection, DropReason};

/// Per-record context copied into every detection.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Meta {
    pub time: i64,
    pub frame: u64,
}

/// Appends the detections found in `frame` to `out`.
pub(crate) fn detect(
    frame: &Frame<'_>,
    meta: Meta,
    out: &mut Vec<Detection>,
) -> Result<(), DropReason> {
    let _ = (meta.time, meta.frame, &out);
    match frame.payload {
        Payload::Ieee80211(_)
        | Payload::BleAdv { .. }
        | Payload::HciAdvReports(_)
        | Payload::None => Ok(()),
    }
}
