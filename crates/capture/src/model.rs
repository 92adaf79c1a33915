//! What a capture decodes into: [`Detection`]s (one per frame and transport that carried a broadcast),
//! [`Event`]s for every frame, the [`DropReason`] of frames that could not be used, and the [`Stats`] of a run.

use std::fmt;

/// The radio transport a broadcast was received on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Transport {
    /// ASTM F3411 Wi-Fi Beacon (vendor IE FA:0B:BC type 0x0D).
    WifiBeacon,
    /// ASTM F3411 Wi-Fi NAN service discovery frame.
    WifiNan,
    /// ASTM F3411 over Bluetooth 4 legacy advertising.
    BleLegacy,
    /// ASTM F3411 over Bluetooth 5 extended advertising. Every extended (non-legacy) advertising PDU counts
    /// as long range, whichever PHY it was sent on: F3411 only uses extended advertising with LE Coded.
    BleLongRange,
    /// DJI DroneID in a Wi-Fi beacon vendor IE.
    DjiWifi,
    /// French "signalement électronique" beacon (vendor IE 6A:5C:35).
    FrBeacon,
    /// DJI DroneID over OcuSync, decoded from IQ by the SDR path.
    DjiOcusync,
}

impl Transport {
    /// Every transport, in [`Transport::index`] order.
    pub const ALL: [Transport; 7] = [
        Transport::WifiBeacon,
        Transport::WifiNan,
        Transport::BleLegacy,
        Transport::BleLongRange,
        Transport::DjiWifi,
        Transport::FrBeacon,
        Transport::DjiOcusync,
    ];

    /// The stable name used in JSON output and summaries.
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::WifiBeacon => "wifi-beacon",
            Transport::WifiNan => "wifi-nan",
            Transport::BleLegacy => "ble-legacy",
            Transport::BleLongRange => "ble-long-range",
            Transport::DjiWifi => "dji-wifi",
            Transport::FrBeacon => "fr-beacon",
            Transport::DjiOcusync => "dji-ocusync",
        }
    }

    /// Position in [`Transport::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a frame was not decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DropReason {
    /// The radiotap Flags mark a failed FCS check.
    BadFcs,
    /// The BLE sniffer marks a failed CRC.
    BadCrc,
    /// The record ends before its link header or frame does (also: the file's last record is cut).
    Truncated,
    /// A link header with impossible values (radiotap version/length, Nordic header length...), or an
    /// EPB naming an interface that was never described.
    Malformed,
    /// An 802.11 frame whose information elements do not parse (length running past the frame).
    MalformedIe,
    /// A link type this decoder does not read.
    UnsupportedLinktype,
}

impl DropReason {
    /// Every reason, in [`DropReason::index`] order.
    pub const ALL: [DropReason; 6] = [
        DropReason::BadFcs,
        DropReason::BadCrc,
        DropReason::Truncated,
        DropReason::Malformed,
        DropReason::MalformedIe,
        DropReason::UnsupportedLinktype,
    ];

    /// The stable name used in summaries.
    pub fn as_str(self) -> &'static str {
        match self {
            DropReason::BadFcs => "bad-fcs",
            DropReason::BadCrc => "bad-crc",
            DropReason::Truncated => "truncated",
            DropReason::Malformed => "malformed",
            DropReason::MalformedIe => "malformed-ie",
            DropReason::UnsupportedLinktype => "unsupported-linktype",
        }
    }

    /// Position in [`DropReason::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for DropReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A DJI DroneID record, kept as its bytes (type byte first) because `wire::dji::Record` borrows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DjiRecord {
    bytes: Vec<u8>,
}

impl DjiRecord {
    /// Keeps a copy of a record's bytes (type byte at offset 0).
    pub fn new(bytes: &[u8]) -> Self {
        DjiRecord {
            bytes: bytes.to_vec(),
        }
    }

    /// The record bytes, type byte first.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The decoded record.
    ///
    /// # Errors
    ///
    /// The error of `wire::dji::Record::parse` (never for records that came out of a capture decode, which
    /// only keeps records that parsed).
    pub fn record(&self) -> wire::Result<wire::dji::Record<'_>> {
        wire::dji::Record::parse(&self.bytes)
    }
}

/// One decoded broadcast message. The wire types are re-used, not copied.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    /// An ASTM F3411 message (a pack is flattened into its messages).
    Odid(wire::odid::Message),
    /// A DJI DroneID record.
    Dji(DjiRecord),
    /// The French beacon's TLV body (after OUI and vendor type), decoded by `wire::fr`.
    French(FrenchBeacon),
}

/// The body of a French beacon vendor IE (the TLVs after `6A 5C 35 01`), owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrenchBeacon {
    tlvs: Vec<u8>,
}

impl FrenchBeacon {
    /// Keeps a copy of the TLV bytes.
    pub fn new(tlvs: &[u8]) -> Self {
        FrenchBeacon {
            tlvs: tlvs.to_vec(),
        }
    }

    /// The TLV bytes (type, length, value; big-endian values).
    pub fn tlvs(&self) -> &[u8] {
        &self.tlvs
    }
}

/// One frame's broadcast on one transport.
#[derive(Debug, Clone, PartialEq)]
pub struct Detection {
    /// Receive time, Unix nanoseconds UTC (from the capture record).
    pub time: i64,
    /// 1-based index of the frame (record) in the file.
    pub frame: u64,
    pub transport: Transport,
    /// Transmitter address in display order (802.11 SA / BLE AdvA), when the frame has one.
    pub mac: Option<[u8; 6]>,
    pub rssi_dbm: Option<i16>,
    pub freq_mhz: Option<u32>,
    /// 802.11 channel number or BLE channel index.
    pub channel: Option<u16>,
    /// The beacon's SSID when it is valid UTF-8.
    pub ssid: Option<String>,
    /// The transport's message counter (ODID counter byte), when it has one.
    pub counter: Option<u8>,
    pub messages: Vec<Message>,
    /// True when a Message Pack declared more messages than the frame carries: `messages` holds the
    /// complete ones.
    pub partial: bool,
}

/// What happened to one frame. A frame that carries broadcasts on two transports yields two detections.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Detection(Detection),
    Dropped {
        frame: u64,
        reason: DropReason,
    },
    /// A frame that was read but carries no broadcast we decode.
    Other {
        frame: u64,
    },
}

/// Counters of a decode run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Records read from the file (including dropped ones).
    pub frames_read: u64,
    /// Frames that yielded at least one detection.
    pub frames_with_detections: u64,
    /// Frames with no broadcast.
    pub frames_other: u64,
    /// Bytes of the file consumed so far.
    pub bytes_read: u64,
    /// File size when known (for a progress bar).
    pub total_bytes: Option<u64>,
    pub(crate) detections: [u64; Transport::ALL.len()],
    pub(crate) dropped: [u64; DropReason::ALL.len()],
}

impl Stats {
    /// Detections on `t`.
    pub fn detections(&self, t: Transport) -> u64 {
        self.detections[t.index()]
    }

    /// Frames dropped for `r`.
    pub fn dropped(&self, r: DropReason) -> u64 {
        self.dropped[r.index()]
    }

    /// Detections by transport, transports with zero left out.
    pub fn by_transport(&self) -> impl Iterator<Item = (Transport, u64)> + '_ {
        Transport::ALL
            .iter()
            .map(|&t| (t, self.detections(t)))
            .filter(|&(_, n)| n > 0)
    }

    /// Dropped frames by reason, reasons with zero left out.
    pub fn dropped_by_reason(&self) -> impl Iterator<Item = (DropReason, u64)> + '_ {
        DropReason::ALL
            .iter()
            .map(|&r| (r, self.dropped(r)))
            .filter(|&(_, n)| n > 0)
    }

    /// All dropped frames.
    pub fn dropped_total(&self) -> u64 {
        self.dropped.iter().sum()
    }

    pub(crate) fn count_detection(&mut self, t: Transport) {
        self.detections[t.index()] += 1;
    }

    pub(crate) fn count_drop(&mut self, r: DropReason) {
        self.dropped[r.index()] += 1;
    }

    /// Adds another run's counters (for summaries over several files).
    pub fn merge(&mut self, other: &Stats) {
        self.frames_read += other.frames_read;
        self.frames_with_detections += other.frames_with_detections;
        self.frames_other += other.frames_other;
        self.bytes_read += other.bytes_read;
        self.total_bytes = match (self.total_bytes, other.total_bytes) {
            (Some(a), Some(b)) => Some(a + b),
            _ => None,
        };
        for (a, b) in self.detections.iter_mut().zip(other.detections) {
            *a += b;
        }
        for (a, b) in self.dropped.iter_mut().zip(other.dropped) {
            *a += b;
        }
    }
}
