//! The sensor's configuration: a TOML file (`--config`), overridden by `SKYTRACE_SENSOR_*` variables and
//! flags (the binary merges them). Every field is documented; unknown fields are refused.

use crate::source::settings::{BleConfig, SdrConfig, WifiConfig};
use serde::Deserialize;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

/// Where detections come from, as given on the command line (`KIND:ARG`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceSpec {
    /// Replay of a pcap, pcapng or btsnoop capture (`pcap:FILE`).
    Pcap(PathBuf),
    /// Replay of an IQ recording through the OcuSync receiver (`iq:FILE`).
    Iq(PathBuf),
    /// Wi-Fi monitor mode on an interface (`wifi:IFACE`).
    Wifi(String),
    /// Bluetooth LE passive scanning on a BlueZ adapter (`ble:ADAPTER`, e.g. `ble:hci0`).
    Ble(String),
    /// SoapySDR device arguments (`sdr:ARGS`, e.g. `sdr:driver=hackrf`).
    Sdr(String),
}

/// A `--source` that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("source {given:?}: {reason}")]
pub struct SpecError {
    pub given: String,
    pub reason: &'static str,
}

impl FromStr for SourceSpec {
    type Err = SpecError;

    fn from_str(s: &str) -> Result<SourceSpec, SpecError> {
        let err = |reason| SpecError {
            given: s.to_owned(),
            reason,
        };
        let (kind, arg) = s
            .split_once(':')
            .ok_or_else(|| err("expected KIND:ARG with KIND one of pcap, iq, wifi, ble, sdr"))?;
        if arg.is_empty() {
            return Err(err("nothing after the colon"));
        }
        Ok(match kind {
            "pcap" => SourceSpec::Pcap(PathBuf::from(arg)),
            "iq" => SourceSpec::Iq(PathBuf::from(arg)),
            "wifi" => SourceSpec::Wifi(arg.to_owned()),
            "ble" => SourceSpec::Ble(arg.to_owned()),
            "sdr" => SourceSpec::Sdr(arg.to_owned()),
            _ => return Err(err("unknown kind: expected pcap, iq, wifi, ble or sdr")),
        })
    }
}

impl fmt::Display for SourceSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SourceSpec::Pcap(p) => write!(f, "pcap:{}", p.display()),
            SourceSpec::Iq(p) => write!(f, "iq:{}", p.display()),
            SourceSpec::Wifi(i) => write!(f, "wifi:{i}"),
            SourceSpec::Ble(a) => write!(f, "ble:{a}"),
            SourceSpec::Sdr(a) => write!(f, "sdr:{a}"),
        }
    }
}

impl SourceSpec {
    /// File replays resume where they stopped after a restart; live sources do not.
    pub fn is_replay(&self) -> bool {
        matches!(self, SourceSpec::Pcap(_) | SourceSpec::Iq(_))
    }
}

impl<'de> Deserialize<'de> for SourceSpec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// How file replays are paced.
#[derive(Debug, Clone, Copy, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Replay {
    /// Detections per second; `None` keeps the capture's own pace.
    pub rate: Option<f64>,
    /// Start again at the end of the file, time stamps shifted so that every loop is "live".
    #[serde(rename = "loop")]
    pub repeat: bool,
    /// With `loop`: stop after this many passes (`None`: forever).
    pub loops: Option<u64>,
}

/// The whole sensor configuration. In the TOML file every field is optional except `server`, `token`
/// and `spool_dir` (which flags or variables may supply instead).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Server base URL (`http://` or `https://`), e.g. `https://sky.example.org`.
    pub server: String,
    /// The sensor's token (`skytrace admin sensor add NAME`).
    pub token: String,
    /// Extra CA certificate (PEM) trusted for the server, for private CAs.
    pub ca_cert: Option<PathBuf>,
    /// Directory of the durable spool (created if missing).
    pub spool_dir: PathBuf,
    /// Spool limit in mebibytes of detection lines; the oldest lines are dropped beyond it.
    pub spool_max_mb: Option<f64>,
    /// Spool limit in lines; the oldest lines are dropped beyond it.
    pub spool_max_rows: Option<u64>,
    /// Sources, as on the command line: `pcap:FILE`, `iq:FILE`, `wifi:IFACE`, `ble:ADAPTER`, `sdr:ARGS`.
    pub sources: Vec<SourceSpec>,
    /// Pacing of file replays.
    pub replay: Replay,
    /// Most lines per uplink batch.
    pub batch_lines: usize,
    /// Longest wait between reconnection attempts, seconds (backoff doubles from 0.25 s up to it, with
    /// full jitter).
    pub retry_max_s: f64,
    /// Seconds between heartbeats.
    pub heartbeat_s: f64,
    /// Fixed sensor position: latitude, degrees.
    pub lat: Option<f64>,
    /// Fixed sensor position: longitude, degrees.
    pub lon: Option<f64>,
    /// Fixed sensor position: altitude, metres.
    pub alt_m: Option<f64>,
    /// Take the position from gpsd at this address (`127.0.0.1:2947` is gpsd's default).
    pub gpsd: Option<String>,
    /// Print a status line on stderr every few seconds (default: when stderr is a terminal).
    pub status: Option<bool>,
    /// Serve the status as JSON on this local address (e.g. `127.0.0.1:9090`).
    pub status_listen: Option<std::net::SocketAddr>,
    /// IQ recordings: sample format (cf32, ci16, ci8, cu8) when the name does not tell.
    pub iq_format: Option<String>,
    /// IQ recordings: sample rate, Hz, when the file does not tell.
    pub sample_rate: Option<f64>,
    /// IQ recordings: centre frequency, Hz.
    pub center_freq: Option<f64>,
    /// `wifi:` sources: channel plan, dwell, hopping, snaplen (`[wifi]` table).
    pub wifi: WifiConfig,
    /// `ble:` sources: scan mode, power-on, queue (`[ble]` table).
    pub ble: BleConfig,
    /// `sdr:` sources: sample rate, gain, sweep, queue (`[sdr]` table).
    pub sdr: SdrConfig,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            server: String::new(),
            token: String::new(),
            ca_cert: None,
            spool_dir: PathBuf::new(),
            spool_max_mb: None,
            spool_max_rows: None,
            sources: Vec::new(),
            replay: Replay::default(),
            batch_lines: 1000,
            retry_max_s: 30.0,
            heartbeat_s: 10.0,
            lat: None,
            lon: None,
            alt_m: None,
            gpsd: None,
            status: None,
            status_listen: None,
            iq_format: None,
            sample_rate: None,
            center_freq: None,
            wifi: WifiConfig::default(),
            ble: BleConfig::default(),
            sdr: SdrConfig::default(),
        }
    }
}

/// A configuration that cannot be used, naming the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ConfigError {
    pub field: &'static str,
    pub message: String,
}

impl Config {
    /// Reads a TOML configuration file.
    ///
    /// # Errors
    ///
    /// The file cannot be read, or a field is unknown or of the wrong type (the message names it).
    pub fn from_toml(text: &str) -> Result<Config, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }

    /// Checks what the run needs.
    ///
    /// # Errors
    ///
    /// The first missing or out-of-range field.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |field, message: String| Err(ConfigError { field, message });
        if self.server.is_empty() {
            return bad("server", "required (--server URL)".into());
        }
        if !(self.server.starts_with("http://") || self.server.starts_with("https://")) {
            return bad(
                "server",
                format!("{}: expected an http:// or https:// URL", self.server),
            );
        }
        if self.token.is_empty() {
            return bad("token", "required (--token TOKEN)".into());
        }
        if self.spool_dir.as_os_str().is_empty() {
            return bad("spool_dir", "required (--spool-dir DIR)".into());
        }
        if self.sources.is_empty() {
            return bad("sources", "at least one --source is required".into());
        }
        if let Some(r) = self.replay.rate {
            if !(r.is_finite() && r > 0.0 && r <= 1e7) {
                return bad("rate", format!("{r}: expected 0 < rate ≤ 10000000"));
            }
        }
        if let Some(m) = self.spool_max_mb {
            if !(m.is_finite() && m > 0.0) {
                return bad("spool_max_mb", format!("{m}: expected a positive number"));
            }
        }
        if self.spool_max_rows == Some(0) {
            return bad("spool_max_rows", "0: expected at least 1".into());
        }
        if self.batch_lines == 0 {
            return bad("batch_lines", "0: expected at least 1".into());
        }
        for (f, v, lo) in [
            ("retry_max_s", self.retry_max_s, 0.01),
            ("heartbeat_s", self.heartbeat_s, 0.1),
        ] {
            if !(v.is_finite() && v >= lo && v <= 86_400.0) {
                return bad(f, format!("{v}: expected {lo} to 86400 seconds"));
            }
        }
        for (f, v, lim) in [("lat", self.lat, 90.0), ("lon", self.lon, 180.0)] {
            if let Some(x) = v {
                if !(x.is_finite() && x.abs() <= lim) {
                    return bad(f, format!("{x} is out of range"));
                }
            }
        }
        Ok(())
    }

    /// The spool limits in the spool's units.
    pub fn limits(&self) -> crate::spool::Limits {
        crate::spool::Limits {
            max_rows: self.spool_max_rows,
            max_bytes: self.spool_max_mb.map(|m| (m * 1024.0 * 1024.0) as u64),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_specs() {
        let check = |s: &str, want: Result<SourceSpec, &str>| {
            let got = s.parse::<SourceSpec>().map_err(|e| e.reason);
            assert_eq!(got, want, "{s}");
            if let Ok(spec) = got {
                assert_eq!(spec.to_string(), s, "round trip");
            }
        };
        check("pcap:a.pcapng", Ok(SourceSpec::Pcap("a.pcapng".into())));
        check(
            "pcap:/x/y:z.pcap",
            Ok(SourceSpec::Pcap("/x/y:z.pcap".into())),
        );
        check("iq:b.sigmf-data", Ok(SourceSpec::Iq("b.sigmf-data".into())));
        check("wifi:wlan0", Ok(SourceSpec::Wifi("wlan0".into())));
        check("ble:hci0", Ok(SourceSpec::Ble("hci0".into())));
        check(
            "sdr:driver=hackrf,serial=1",
            Ok(SourceSpec::Sdr("driver=hackrf,serial=1".into())),
        );
        check(
            "wlan0",
            Err("expected KIND:ARG with KIND one of pcap, iq, wifi, ble, sdr"),
        );
        check("pcap:", Err("nothing after the colon"));
        check(
            "usb:1",
            Err("unknown kind: expected pcap, iq, wifi, ble or sdr"),
        );
    }

    #[test]
    fn toml_refuses_unknown_fields_and_names_them() {
        let ok = Config::from_toml(
            "server = \"https://s\"\ntoken = \"t\"\nspool_dir = \"/tmp/s\"\nsources = [\"pcap:x.pcap\"]\n\
             [replay]\nrate = 100.0\nloop = true\n",
        )
        .unwrap();
        assert_eq!(ok.sources, vec![SourceSpec::Pcap("x.pcap".into())]);
        assert_eq!(ok.replay.rate, Some(100.0));
        assert!(ok.replay.repeat);
        assert_eq!(ok.batch_lines, 1000, "defaults fill the rest");
        ok.validate().unwrap();
        let e = Config::from_toml("sever = \"x\"").unwrap_err();
        assert!(e.contains("sever"), "{e}");
        let e = Config::from_toml("sources = [\"tv:1\"]").unwrap_err();
        assert!(e.contains("unknown kind"), "{e}");
    }

    /// The documented example file (`crates/sensor/sensor.example.toml`) parses and is valid.
    #[test]
    fn the_example_file_is_valid() {
        let text = include_str!("../sensor.example.toml");
        let c = Config::from_toml(text).unwrap();
        c.validate().unwrap();
        assert_eq!(c.sources.len(), 2);
        assert_eq!(c.spool_max_rows, Some(2_000_000));
        assert_eq!(c.status_listen.map(|a| a.port()), Some(9090));
        use crate::source::settings::{ChannelDwell, ChannelEntry, ScanMode};
        assert_eq!(
            c.wifi.channels,
            vec![
                ChannelEntry::Number(6),
                ChannelEntry::WithDwell(ChannelDwell {
                    channel: 149,
                    dwell_ms: 500
                }),
                ChannelEntry::Number(44)
            ]
        );
        assert_eq!(c.ble.scan, ScanMode::Auto);
        assert_eq!(c.sdr.gain_db, Some(40.0));
        assert_eq!(c.sdr.channels_mhz, SdrConfig::default().channels_mhz);
    }

    /// The live sources' tables: absent tables and fields take the defaults, unknown keys are refused
    /// naming the key, and a table's values are kept.
    #[test]
    fn live_source_tables() {
        let base = "server = \"http://s\"\ntoken = \"t\"\nspool_dir = \"/s\"\nsources = [\"wifi:wlan0\"]\n";
        let c = Config::from_toml(base).unwrap();
        assert_eq!(
            (&c.wifi, &c.ble, &c.sdr),
            (
                &WifiConfig::default(),
                &BleConfig::default(),
                &SdrConfig::default()
            )
        );
        let c = Config::from_toml(&format!(
            "{base}[wifi]\nchannels = [1, 11]\nhop = false\n[ble]\nscan = \"discovery\"\n\
             [sdr]\ngain_db = 12.5\nqueue = 8\n"
        ))
        .unwrap();
        assert_eq!(c.wifi.dwell_ms, 1000, "fields left out keep their default");
        assert!(!c.wifi.hop);
        assert_eq!(c.wifi.channels.len(), 2);
        assert_eq!(c.ble.scan, crate::source::settings::ScanMode::Discovery);
        assert_eq!((c.sdr.gain_db, c.sdr.queue), (Some(12.5), 8));
        for (bad, key) in [
            ("[wifi]\nchanels = [6]\n", "chanels"),
            ("[ble]\nscan = \"sniff\"\n", "sniff"),
            ("[sdr]\ngain = 3\n", "gain"),
            ("[zigbee]\n", "zigbee"),
        ] {
            let e = Config::from_toml(&format!("{base}{bad}")).unwrap_err();
            assert!(e.contains(key), "{bad}: {e}");
        }
    }

    #[test]
    fn validation_names_the_field() {
        let base = Config {
            server: "http://127.0.0.1:1".into(),
            token: "t".into(),
            spool_dir: "/tmp/x".into(),
            sources: vec![SourceSpec::Wifi("wlan0".into())],
            ..Config::default()
        };
        base.validate().unwrap();
        let check = |f: fn(&mut Config), field: &str| {
            let mut c = base.clone();
            f(&mut c);
            assert_eq!(c.validate().map_err(|e| e.field), Err(field));
        };
        check(|c| c.server = "ftp://x".into(), "server");
        check(|c| c.token.clear(), "token");
        check(|c| c.sources.clear(), "sources");
        check(|c| c.replay.rate = Some(0.0), "rate");
        check(|c| c.spool_max_rows = Some(0), "spool_max_rows");
        check(|c| c.lat = Some(91.0), "lat");
        check(|c| c.retry_max_s = f64::NAN, "retry_max_s");
    }
}
