//! The detection contract: one JSON object per received frame that carried a drone broadcast.
//!
//! `skytrace decode` prints it, the sensor agent uplinks it and the server ingests it, so it lives in one
//! crate that each of them shares. [`DetectionLine`] is the line; [`Message`] is one decoded message inside
//! it, tagged by `type`. Both are plain data transfer objects: they are built from `capture::Detection`
//! ([`DetectionLine::from_detection`]) and read back with [`DetectionLine::parse`], which also checks every
//! value is in range and names the offending field.
//!
//! Fields may be added freely; fields named in the output contract are never renamed. Numeric code
//! points (`id_type`, `status`, ...) are given as the raw numbers of the specification, with a readable
//! `*_name` beside them.

mod convert;
mod validate;

pub use convert::Options;
pub use validate::FieldError;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// One received frame that carried at least one drone broadcast.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DetectionLine {
    /// Capture (reception) time, RFC 3339 UTC.
    #[serde(with = "time::serde::rfc3339")]
    pub time: OffsetDateTime,
    /// 1-based index of the frame in its file (or of the burst in an IQ stream).
    pub frame: u64,
    /// `wifi-beacon`, `wifi-nan`, `ble-legacy`, `ble-long-range`, `dji-wifi`, `fr-beacon`, `dji-ocusync`.
    pub transport: String,
    /// Transmitter address, `aa:bb:cc:dd:ee:ff`, when the link layer has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mac: Option<String>,
    /// Received signal strength in dBm, when the capture records it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rssi_dbm: Option<f64>,
    /// Centre frequency in MHz, when the capture records it (absolute for OcuSync when the recording's centre
    /// frequency is known, else the offset from the centre).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub freq_mhz: Option<f64>,
    /// Wi-Fi or BLE channel number, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<u16>,
    /// Wi-Fi SSID of the beacon that carried the broadcast.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssid: Option<String>,
    /// The transport's message counter (ODID) when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counter: Option<u8>,
    /// True when the frame announced more than it carried (a truncated message pack): `messages` holds the
    /// complete messages only.
    #[serde(default, skip_serializing_if = "is_false")]
    pub partial: bool,
    /// OcuSync only: in-band signal-to-noise ratio of the burst.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snr_db: Option<f64>,
    /// OcuSync only: carrier frequency offset the receiver corrected, in Hz.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cfo_hz: Option<f64>,
    /// OcuSync only: time of the burst's first sample from the start of the recording, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub burst_start_s: Option<f64>,
    /// The decoded messages, in the order the frame carried them.
    pub messages: Vec<Message>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// One decoded message. Positions are decimal degrees; `None` (absent) when the broadcast says unknown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Message {
    BasicId(BasicId),
    Location(Location),
    Auth(Auth),
    SelfId(SelfId),
    System(System),
    OperatorId(OperatorId),
    DjiTelemetry(DjiTelemetry),
    DjiInfo(DjiInfo),
    DjiEncrypted(DjiEncrypted),
    FrBeacon(FrBeacon),
    /// A message whose type this version does not decode: kept as bytes.
    Unknown(Unknown),
}

macro_rules! dto {
    ($(#[$m:meta])* $name:ident { $($(#[$fm:meta])* $field:ident : $ty:ty),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        pub struct $name {
            $($(#[$fm])* #[serde(default, skip_serializing_if = "Option::is_none")] pub $field: Option<$ty>,)*
        }
    };
}

dto!(
    /// ASTM F3411 Basic ID (message type 0).
    BasicId {
        version: u8,
        id_type: u8,
        id_type_name: String,
        ua_type: u8,
        ua_type_name: String,
        /// Printable UAS ID (serial, registration...); binary IDs (UUID, session ID) as lowercase hex.
        uas_id: String,
    }
);

dto!(
    /// ASTM F3411 Location/Vector (message type 1).
    Location {
        version: u8,
        status: u8,
        status_name: String,
        lat: f64,
        lon: f64,
        alt_geo_m: f64,
        alt_baro_m: f64,
        height_m: f64,
        /// `takeoff` or `ground` (AGL).
        height_ref: String,
        speed_mps: f64,
        vspeed_mps: f64,
        track_deg: f64,
        h_accuracy_m: f64,
        v_accuracy_m: f64,
        baro_accuracy_m: f64,
        speed_accuracy_mps: f64,
        /// Seconds after the start of the current UTC hour.
        timestamp_s: f64,
        timestamp_accuracy_s: f64,
    }
);

dto!(
    /// ASTM F3411 Authentication page (message type 2).
    Auth {
        version: u8,
        auth_type: u8,
        page: u8,
        last_page_index: u8,
        length: u8,
        /// Page 0 only: Unix seconds.
        timestamp: i64,
        data_hex: String,
    }
);

dto!(
    /// ASTM F3411 Self-ID (message type 3).
    SelfId {
        version: u8,
        description_type: u8,
        description: String,
    }
);

dto!(
    /// ASTM F3411 System (message type 4).
    System {
        version: u8,
        operator_location_type: u8,
        operator_location_type_name: String,
        classification_type: u8,
        operator_lat: f64,
        operator_lon: f64,
        operator_alt_geo_m: f64,
        area_count: u16,
        area_radius_m: f64,
        area_ceiling_m: f64,
        area_floor_m: f64,
        eu_category: u8,
        eu_class: u8,
        /// Unix seconds.
        timestamp: i64,
    }
);

dto!(
    /// ASTM F3411 Operator ID (message type 5).
    OperatorId {
        version: u8,
        operator_id_type: u8,
        operator_id: String,
    }
);

dto!(
    /// DJI DroneID flight telemetry (record type 0x10), from Wi-Fi or OcuSync.
    DjiTelemetry {
        version: u8,
        seq: u16,
        state_info: u16,
        serial: String,
        lat: f64,
        lon: f64,
        /// Raw altitude and height as broadcast; `altitude_m`/`height_m` apply `altitude_unit`.
        altitude_raw: i16,
        height_raw: i16,
        altitude_unit: String,
        altitude_m: f64,
        height_m: f64,
        v_north_raw: i16,
        v_east_raw: i16,
        v_up_raw: i16,
        v_north_mps: f64,
        v_east_mps: f64,
        v_up_mps: f64,
        speed_mps: f64,
        yaw_deg: f64,
        pitch_deg: f64,
        roll_deg: f64,
        /// Version 2: the pilot app's GPS time, Unix milliseconds.
        app_gps_time_ms: u64,
        operator_lat: f64,
        operator_lon: f64,
        home_lat: f64,
        home_lon: f64,
        product_type: u8,
        product: String,
        uuid: String,
    }
);

dto!(
    /// DJI DroneID flight purpose / information (record type 0x11).
    DjiInfo {
        serial: String,
        drone_id: String,
        purpose: String,
    }
);

dto!(
    /// A CRC-valid encrypted DJI DroneID frame (O3/O4 `INFP`, `CRYP`): trackable but not readable.
    DjiEncrypted {
        kind: String,
        session_hash: String,
        length: u16,
    }
);

dto!(
    /// French "signalement électronique" beacon.
    FrBeacon {
        version: u8,
        fr_id: String,
        serial: String,
        lat: f64,
        lon: f64,
        alt_msl_m: f64,
        height_m: f64,
        takeoff_lat: f64,
        takeoff_lon: f64,
        speed_mps: f64,
        course_deg: f64,
    }
);

dto!(
    /// A message kept as bytes.
    Unknown {
        msg_type: u8,
        version: u8,
        raw_hex: String,
    }
);

impl DetectionLine {
    /// One JSON line, without the trailing newline.
    pub fn to_json(&self) -> String {
        // Serialising plain data with string keys cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Appends the JSON line and a newline to `out` (reusing its allocation).
    pub fn write_json(&self, out: &mut Vec<u8>) {
        if serde_json::to_writer(&mut *out, self).is_ok() {
            out.push(b'\n');
        }
    }

    /// Reads one JSON line and checks that every value is in range.
    ///
    /// # Errors
    ///
    /// A [`FieldError`] naming the field (for example `messages[1].lat`) and what is wrong with it, or the
    /// JSON syntax error.
    pub fn parse(line: &str) -> Result<DetectionLine, FieldError> {
        // Plain serde_json first: tracking the path of every field costs about a fifth of the server's
        // ingest time, and is only needed to name the field of a line that does not parse, which then
        // goes through the tracking deserializer again.
        let d: DetectionLine = match serde_json::from_str(line) {
            Ok(d) => d,
            Err(_) => {
                let mut de = serde_json::Deserializer::from_str(line);
                let d: DetectionLine =
                    serde_path_to_error::deserialize(&mut de).map_err(FieldError::json)?;
                de.end().map_err(FieldError::syntax)?;
                d
            }
        };
        d.validate()?;
        Ok(d)
    }
}

/// Formats a MAC address the usual way, lowercase with colons.
pub fn format_mac(mac: &[u8; 6]) -> String {
    let mut s = String::with_capacity(17);
    for (i, b) in mac.iter().enumerate() {
        if i > 0 {
            s.push(':');
        }
        push_hex(&mut s, *b);
    }
    s
}

/// Lowercase hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        push_hex(&mut s, *b);
    }
    s
}

/// Appends a byte as two lowercase hex digits (no `format!`, whose machinery showed in ingest profiles).
fn push_hex(s: &mut String, b: u8) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    s.push(char::from(DIGITS[usize::from(b >> 4)]));
    s.push(char::from(DIGITS[usize::from(b & 0x0f)]));
}
