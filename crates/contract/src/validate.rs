//! Range checks for detection lines read from outside (sensor uplinks, files): a value that no broadcast can
//! carry is refused with the name of its field, so that nothing impossible is ever stored.

use crate::{DetectionLine, Message};
use std::fmt;

/// Why a detection line was refused: the field (a path such as `messages[2].lat`) and the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub reason: String,
}

impl FieldError {
    /// A JSON error, with the path of the field it happened in (`messages[0].lat`) when there is one,
    /// else the column.
    pub(crate) fn json(e: serde_path_to_error::Error<serde_json::Error>) -> FieldError {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if path.is_empty() || path == "." || path == "?" {
            return FieldError::syntax(inner);
        }
        FieldError {
            field: path,
            reason: inner.to_string(),
        }
    }

    /// A JSON syntax error, located by its column.
    pub(crate) fn syntax(e: serde_json::Error) -> FieldError {
        FieldError {
            field: format!("column {}", e.column()),
            reason: e.to_string(),
        }
    }

    fn new(field: String, reason: impl Into<String>) -> FieldError {
        FieldError {
            field,
            reason: reason.into(),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.reason)
    }
}

impl std::error::Error for FieldError {}

/// The transports a detection line may name.
pub const TRANSPORTS: &[&str] = &[
    "wifi-beacon",
    "wifi-nan",
    "ble-legacy",
    "ble-long-range",
    "dji-wifi",
    "fr-beacon",
    "dji-ocusync",
];

struct Checker<'a> {
    prefix: &'a str,
}

impl Checker<'_> {
    fn range(&self, name: &str, v: Option<f64>, lo: f64, hi: f64) -> Result<(), FieldError> {
        match v {
            Some(x) if !x.is_finite() || x < lo || x > hi => Err(FieldError::new(
                format!("{}{name}", self.prefix),
                format!("{x} is outside {lo}..={hi}"),
            )),
            _ => Ok(()),
        }
    }

    fn lat_lon(
        &self,
        lat: (&str, Option<f64>),
        lon: (&str, Option<f64>),
    ) -> Result<(), FieldError> {
        self.range(lat.0, lat.1, -90.0, 90.0)?;
        self.range(lon.0, lon.1, -180.0, 180.0)
    }
}

/// Altitudes a broadcast can encode (ASTM: −1000..=31767 m) with margin for DJI's disputed units.
const ALT: (f64, f64) = (-1000.0, 40000.0);

impl DetectionLine {
    /// Checks that every value is one a broadcast can carry.
    ///
    /// # Errors
    ///
    /// The first field found out of range.
    pub fn validate(&self) -> Result<(), FieldError> {
        if !TRANSPORTS.contains(&self.transport.as_str()) {
            return Err(FieldError::new(
                "transport".into(),
                format!("unknown transport {:?}", self.transport),
            ));
        }
        if let Some(mac) = &self.mac {
            let ok = mac.len() == 17
                && mac.split(':').count() == 6
                && mac
                    .split(':')
                    .all(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_hexdigit()));
            if !ok {
                return Err(FieldError::new(
                    "mac".into(),
                    format!("{mac:?} is not a MAC address"),
                ));
            }
        }
        let top = Checker { prefix: "" };
        top.range("rssi_dbm", self.rssi_dbm, -200.0, 50.0)?;
        top.range("freq_mhz", self.freq_mhz, -100_000.0, 100_000.0)?;
        top.range("snr_db", self.snr_db, -100.0, 200.0)?;
        top.range("cfo_hz", self.cfo_hz, -1e9, 1e9)?;
        top.range("burst_start_s", self.burst_start_s, 0.0, 1e12)?;
        if self.frame == 0 {
            return Err(FieldError::new(
                "frame".into(),
                "frames are numbered from 1",
            ));
        }
        for (i, m) in self.messages.iter().enumerate() {
            let prefix = format!("messages[{i}].");
            let c = Checker { prefix: &prefix };
            match m {
                Message::Location(l) => {
                    c.lat_lon(("lat", l.lat), ("lon", l.lon))?;
                    c.range("alt_geo_m", l.alt_geo_m, ALT.0, ALT.1)?;
                    c.range("alt_baro_m", l.alt_baro_m, ALT.0, ALT.1)?;
                    c.range("height_m", l.height_m, ALT.0, ALT.1)?;
                    c.range("speed_mps", l.speed_mps, 0.0, 255.0)?;
                    c.range("vspeed_mps", l.vspeed_mps, -63.0, 63.0)?;
                    c.range("track_deg", l.track_deg, 0.0, 360.0)?;
                    c.range("timestamp_s", l.timestamp_s, 0.0, 3600.0)?;
                }
                Message::System(s) => {
                    c.lat_lon(
                        ("operator_lat", s.operator_lat),
                        ("operator_lon", s.operator_lon),
                    )?;
                    c.range("operator_alt_geo_m", s.operator_alt_geo_m, ALT.0, ALT.1)?;
                }
                Message::DjiTelemetry(t) => {
                    c.lat_lon(("lat", t.lat), ("lon", t.lon))?;
                    c.lat_lon(
                        ("operator_lat", t.operator_lat),
                        ("operator_lon", t.operator_lon),
                    )?;
                    c.lat_lon(("home_lat", t.home_lat), ("home_lon", t.home_lon))?;
                }
                Message::FrBeacon(f) => {
                    c.lat_lon(("lat", f.lat), ("lon", f.lon))?;
                    c.lat_lon(
                        ("takeoff_lat", f.takeoff_lat),
                        ("takeoff_lon", f.takeoff_lon),
                    )?;
                }
                _ => {}
            }
        }
        Ok(())
    }
}
