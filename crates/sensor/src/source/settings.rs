//! The live sources' configuration types (`[wifi]`, `[ble]`, `[sdr]` tables of the sensor's TOML file),
//! compiled whatever the cargo features, so a configuration file is checked the same way by every build;
//! the adapters re-export them (`source::wifi::WifiConfig`...) and add what needs their libraries
//! (`WifiConfig::schedule`, `SdrConfig::soapy`).

use serde::Deserialize;

/// The Remote ID channels: 6 (2437 MHz), where F3411 Wi-Fi Beacon and NAN transmitters on 2.4 GHz
/// broadcast, and 149 (5745 MHz), the 5 GHz NAN/beacon channel.
pub const REMOTE_ID_CHANNELS: [u16; 2] = [6, 149];

/// How a Wi-Fi source listens.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WifiConfig {
    /// Channels to listen on, in order: 802.11 channel numbers (1–14, 32–177), each alone or as
    /// `{ channel = N, dwell_ms = T }` with its own dwell. Default: the Remote ID channels 6 and 149.
    pub channels: Vec<ChannelEntry>,
    /// Time on each channel without its own `dwell_ms`, in milliseconds. Default 1000: F3411 sends
    /// Location at 1 Hz at least, so one dwell hears one from every compliant transmitter there.
    pub dwell_ms: u64,
    /// Change channels (through nl80211). `false` leaves the interface on whatever channel it is set
    /// to, for setups where another tool owns the radio. Default true.
    pub hop: bool,
    /// Bytes kept of each frame (libpcap snaplen). Default 4096: a beacon with a full Message Pack is
    /// under 400 bytes, radiotap included.
    pub snaplen: i32,
}

/// One entry of [`WifiConfig::channels`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum ChannelEntry {
    /// A channel number, listened on for the default dwell.
    Number(u16),
    /// A channel with its own dwell.
    WithDwell(ChannelDwell),
}

/// A channel with its own dwell time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelDwell {
    /// 802.11 channel number.
    pub channel: u16,
    /// Time on this channel, in milliseconds.
    pub dwell_ms: u64,
}

impl Default for WifiConfig {
    fn default() -> Self {
        WifiConfig {
            channels: REMOTE_ID_CHANNELS
                .iter()
                .map(|&c| ChannelEntry::Number(c))
                .collect(),
            dwell_ms: 1000,
            hop: true,
            snaplen: 4096,
        }
    }
}

/// How a BLE source scans.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BleConfig {
    /// `auto` (the passive advertisement monitor when BlueZ offers it, else active discovery),
    /// `monitor` (passive only; an error when BlueZ lacks it) or `discovery` (active). Default `auto`.
    pub scan: ScanMode,
    /// Power the adapter on when it is off. Default true.
    pub power_on: bool,
    /// Reports queued between the BlueZ thread and the pipeline; when full, reports are dropped and
    /// counted. Default 4096.
    pub queue: usize,
}

/// See [`BleConfig::scan`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ScanMode {
    Auto,
    Monitor,
    Discovery,
}

impl std::str::FromStr for ScanMode {
    type Err = String;

    fn from_str(s: &str) -> Result<ScanMode, String> {
        match s {
            "auto" => Ok(ScanMode::Auto),
            "monitor" => Ok(ScanMode::Monitor),
            "discovery" => Ok(ScanMode::Discovery),
            _ => Err(format!("{s:?}: expected auto, monitor or discovery")),
        }
    }
}

impl Default for BleConfig {
    fn default() -> Self {
        BleConfig {
            scan: ScanMode::Auto,
            power_on: true,
            queue: 4096,
        }
    }
}

/// How an SDR source drives the radio.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SdrConfig {
    /// Sample rate in Hz; at least 10e6 (the OcuSync band is 9 MHz wide). Default 20e6.
    pub sample_rate: f64,
    /// Overall receive gain in dB; absent for the radio's automatic gain.
    pub gain_db: Option<f64>,
    /// Centre frequencies to sweep, MHz. Default: `dsp::sweep::DRONEID_CHANNELS_MHZ`.
    pub channels_mhz: Vec<f64>,
    /// Time on a channel where nothing is heard, ms. Default 1300 (two DroneID burst periods).
    pub dwell_ms: u64,
    /// Time kept on a channel after a burst is heard there, ms (extended by each burst). Default 10000.
    pub hold_ms: u64,
    /// Detections queued between the radio thread and the pipeline; when full, detections are dropped
    /// and counted. Default 1024.
    pub queue: usize,
}

impl Default for SdrConfig {
    fn default() -> Self {
        SdrConfig {
            sample_rate: 20e6,
            gain_db: None,
            channels_mhz: dsp::sweep::DRONEID_CHANNELS_MHZ.to_vec(),
            dwell_ms: 1300,
            hold_ms: 10_000,
            queue: 1024,
        }
    }
}
