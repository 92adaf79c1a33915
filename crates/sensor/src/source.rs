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
}

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
pub trait Source: Send {
    /// Stable name for counters, heartbeats and logs, e.g. `pcap:herlev.pcapng`, `wifi:wlan0`.
    fn name(&self) -> &str;
    fn next(&mut self) -> Result<Option<Item>, SourceError>;
}

#[cfg(feature = "wifi")]
pub mod wifi;

#[cfg(feature = "ble")]
pub mod ble;

#[cfg(feature = "sdr")]
pub mod sdr;
