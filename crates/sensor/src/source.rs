//! Sources: where frames come from. Every source — file replay, Wi-Fi monitor mode, BLE scanning, SDR —
//! implements [`Source`]; the pipeline runs each on its own thread and never knows which kind it has.
//! Hardware-facing adapters stay thin: they turn what the device gives into [`Item`]s and nothing more,
//! so the same decoding and counting is tested with recorded frames.

/// One unit a source hands to the pipeline.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// A raw link-layer frame (radiotap 802.11, Nordic BLE, HCI...) that the pipeline decodes with
    /// `capture::decode_frame`. `time` is Unix nanoseconds UTC.
    Frame {
        link: capture::LinkType,
        time: i64,
        data: Vec<u8>,
    },
    /// A detection the source already decoded (IQ and SDR sources run `dsp::rx`; BlueZ hands over service
    /// data, not frames).
    Detection(capture::Detection),
    /// Nothing arrived within the source's poll interval ([`POLL`]). Not a frame and not counted: it only
    /// hands control back so that the pipeline can see a shutdown request (see [`Source`]).
    Idle,
}

/// The longest a live source's [`Source::next`] may wait for the device before it returns
/// [`Item::Idle`]: the bound on how late a silent source sees a shutdown request.
pub const POLL: std::time::Duration = std::time::Duration::from_millis(100);

/// Why a source failed. `fatal` errors end the source (file unreadable, interface gone); the others are
/// counted and the source goes on.
#[derive(Debug, thiserror::Error)]
#[error("{source_name}: {message}")]
pub struct SourceError {
    pub source_name: String,
    pub message: String,
    pub fatal: bool,
}

/// A producer of [`Item`]s. Blocking: `next` waits for the next item (an async device runs its own small
/// runtime inside the adapter). `Ok(None)` means the source is finished (end of a file replay).
///
/// Shutdown: the pipeline checks its stop flag between calls to `next` and then drops the source, so
/// **`next` must return within [`POLL`] or so even when nothing arrives** — a live source returns
/// [`Item::Idle`] when its device read times out (libpcap read timeout, `recv_timeout` on the queue of an
/// adapter thread); a replay waiting for a due time watches the stop flag it was opened with. Dropping
/// the source must release the device: an adapter thread sees its queue disconnected or its stop flag
/// and ends. A `next` that blocks indefinitely would hold the pipeline's shutdown up to the spool
/// writer's one-second grace and leave the thread behind.
pub trait Source: Send {
    /// Stable name for counters, heartbeats and logs, e.g. `pcap:herlev.pcapng`, `wifi:wlan0`.
    fn name(&self) -> &str;
    fn next(&mut self) -> Result<Option<Item>, SourceError>;
    /// What the source dropped itself before anything reached the pipeline (an adapter queue that was
    /// full, SDR bursts that failed their CRC...), as running totals by reason (`queue-full`,
    /// `bad-burst`). The pipeline reads it every so often into the source's counters, so the drops show
    /// in heartbeats and on the status page with the pipeline's own. Default: nothing dropped.
    fn drops(&self) -> Vec<(&'static str, u64)> {
        Vec::new()
    }
}

pub mod settings;

#[cfg(feature = "wifi")]
pub mod wifi;

#[cfg(any(feature = "ble", feature = "sdr"))]
mod queue;

#[cfg(feature = "ble")]
pub mod ble;

#[cfg(feature = "sdr")]
pub mod sdr;
