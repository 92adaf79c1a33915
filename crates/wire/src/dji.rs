//! The DJI DroneID record, independent of the framing that carries it.
//!
//! DJI drones broadcast the same record over two transports:
//!
//! - Wi-Fi beacons, in a vendor IE (OUI 26:37:12, or a DJI MAC OUI) whose body starts `58 62 13`
//!   followed by the record. [`wifi`] strips and adds that header.
//! - The OcuSync RF link, decoded with an SDR: the logical payload is `len | record | CRC-16`, where
//!   `len` counts the record bytes. The SDR layer checks and strips the length byte and the CRC.
//!
//! **A record starts at its type byte** (0x10 flight telemetry, 0x11 flight purpose); this is the
//! first byte the two framings share. [`Record::parse`] dispatches on it and returns:
//!
//! - [`Record::Telemetry`] with a [`TelemetryRepr`] (layout version 1 or 2, see [`Variant`]);
//!   raw integers are kept, and methods convert them to degrees, m/s and metres. The altitude unit
//!   is disputed in the public sources, so it is a setting ([`AltitudeScaling`]).
//! - [`Record::FlightPurpose`] with an [`InfoRepr`] (serial, user-entered drone ID and purpose).
//! - [`Record::Blank`] for the all-zero frames of known broken firmware.
//! - [`Record::Encrypted`] for the O3/O4 "INFP"/"CRYP" frames whose key is not public.
//! - [`Record::Unknown`] for anything else, kept as data.
//!
//! [`TelemetryPacket`] is the zero-copy view with raw accessors that [`TelemetryRepr::parse`] reads.
//! [`State`] names the `state_info` bits and [`product_name`] maps product codes to model names.
//!
//! Layouts: `remoteid.md` §3.2 (Wi-Fi, v1 and v2) and `ocusync.md` §2.1 (OcuSync, v2), from Kismet's
//! `dot11_ie_221_dji_droneid.ksy` and RUB-SysSec DroneSecurity `droneid_packet.py`.

use crate::{Error, Result};

pub mod wifi;

/// Record type 0x10: flight telemetry ("flight registration info").
pub const KIND_TELEMETRY: u8 = 0x10;
/// Record type 0x11: flight purpose / identification entered by the pilot.
pub const KIND_FLIGHT_PURPOSE: u8 = 0x11;

/// Record type byte, the first byte of every record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// 0x10, flight telemetry.
    Telemetry,
    /// 0x11, flight purpose.
    FlightPurpose,
    /// Any other value, kept as data.
    Unknown(u8),
}

impl From<u8> for Kind {
    fn from(v: u8) -> Self {
        match v {
            KIND_TELEMETRY => Kind::Telemetry,
            KIND_FLIGHT_PURPOSE => Kind::FlightPurpose,
            other => Kind::Unknown(other),
        }
    }
}

impl From<Kind> for u8 {
    fn from(k: Kind) -> u8 {
        match k {
            Kind::Telemetry => KIND_TELEMETRY,
            Kind::FlightPurpose => KIND_FLIGHT_PURPOSE,
            Kind::Unknown(v) => v,
        }
    }
}

/// Record length of telemetry version 1 (type byte included): Kismet `.ksy` `flight_reg_info`.
pub const TELEMETRY_V1_LEN: usize = 76;
/// Record length of telemetry version 2 (type byte included, CRC excluded): `len` 0x58 = 88 on OcuSync.
pub const TELEMETRY_V2_LEN: usize = 88;

// Field offsets inside the record (type byte = offset 0). The first 40 bytes are common to both versions.
mod field {
    pub type Range = core::ops::Range<usize>;
    pub const KIND: usize = 0;
    pub const VERSION: usize = 1;
    pub const SEQ: Range = 2..4;
    pub const STATE: Range = 4..6;
    pub const SERIAL: Range = 6..22;
    pub const LON: Range = 22..26;
    pub const LAT: Range = 26..30;
    pub const ALT: Range = 30..32;
    pub const HEIGHT: Range = 32..34;
    pub const V_NORTH: Range = 34..36;
    pub const V_EAST: Range = 36..38;
    pub const V_UP: Range = 38..40;
    // Version 1: pitch, roll, yaw, home lon/lat, product, uuid.
    pub const V1_PITCH: Range = 40..42;
    pub const V1_ROLL: Range = 42..44;
    pub const V1_YAW: Range = 44..46;
    pub const V1_HOME_LON: Range = 46..50;
    pub const V1_HOME_LAT: Range = 50..54;
    pub const V1_PRODUCT: usize = 54;
    pub const V1_UUID_LEN: usize = 55;
    pub const V1_UUID: Range = 56..76;
    // Version 2: yaw, app GPS time, pilot lat/lon (latitude first), home lon/lat (longitude first).
    pub const V2_YAW: Range = 40..42;
    pub const V2_APP_TIME: Range = 42..50;
    pub const V2_PILOT_LAT: Range = 50..54;
    pub const V2_PILOT_LON: Range = 54..58;
    pub const V2_HOME_LON: Range = 58..62;
    pub const V2_HOME_LAT: Range = 62..66;
    pub const V2_PRODUCT: usize = 66;
    pub const V2_UUID_LEN: usize = 67;
    pub const V2_UUID: Range = 68..88;
}

fn array<const N: usize>(buf: &[u8], r: field::Range, name: &'static str) -> Result<[u8; N]> {
    let end = r.end;
    buf.get(r)
        .and_then(|s| s.try_into().ok())
        .ok_or(Error::Truncated {
            field: name,
            need: end,
            have: buf.len(),
        })
}

fn put(buf: &mut [u8], r: field::Range, bytes: &[u8]) {
    // Callers have checked the buffer length; `get_mut` keeps this panic-free regardless.
    if let Some(dst) = buf.get_mut(r) {
        if dst.len() == bytes.len() {
            dst.copy_from_slice(bytes);
        }
    }
}

/// Text of a fixed-size, NUL-padded ASCII field: up to the first NUL, the longest valid UTF-8 prefix,
/// with surrounding spaces removed. Never fails, so a corrupted serial still shows its readable part.
pub fn ascii_trim(bytes: &[u8]) -> &str {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    let bytes = bytes.get(..end).unwrap_or(&[]);
    let s = match core::str::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => core::str::from_utf8(bytes.get(..e.valid_up_to()).unwrap_or(&[])).unwrap_or(""),
    };
    s.trim()
}

/// DJI's coordinate integer (radians × 10⁷) to degrees.
///
/// The divisor is 174533.0, as in every published decode of real DroneID frames (DroneSecurity's
/// NDSS'23 receiver, Kismet, and the reference decode of the Mavic Air 2 recording: 51.4463339 N
/// 7.2672159 E). The exact factor 10⁷·π/180 = 174532.925 would place points near 51° about 2×10⁻⁵
/// degrees (2.5 m) further north; which constant DJI's encoder uses is not public, so we agree with
/// the published decodes. The raw integers are always kept.
pub const RAW_PER_DEGREE: f64 = 174_533.0;

/// Converts a coordinate integer to degrees (see [`RAW_PER_DEGREE`]).
pub fn raw_to_degrees(raw: i32) -> f64 {
    f64::from(raw) / RAW_PER_DEGREE
}

/// Inverse of [`raw_to_degrees`], rounded to the nearest unit and saturated to the `i32` range.
pub fn degrees_to_raw(deg: f64) -> i32 {
    let v = deg * RAW_PER_DEGREE;
    // `as` saturates on overflow and maps NaN to 0, which is the "no position" sentinel anyway.
    let r = if v >= 0.0 { v + 0.5 } else { v - 0.5 };
    r as i32
}

/// A WGS-84 position in degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LatLon {
    /// Latitude, degrees north.
    pub lat: f64,
    /// Longitude, degrees east.
    pub lon: f64,
}

impl LatLon {
    /// Converts a raw (latitude, longitude) pair. `None` when both are zero (DJI's "no fix"
    /// sentinel, seen with the GPS bit clear in real frames) or when a value is out of range (the
    /// ESP8266 Throwie writes latitude first, giving a "latitude" of −119°).
    pub fn from_raw(lat_raw: i32, lon_raw: i32) -> Option<LatLon> {
        if lat_raw == 0 && lon_raw == 0 {
            return None;
        }
        let p = LatLon {
            lat: raw_to_degrees(lat_raw),
            lon: raw_to_degrees(lon_raw),
        };
        ((-90.0..=90.0).contains(&p.lat) && (-180.0..=180.0).contains(&p.lon)).then_some(p)
    }
}

/// The `state_info` bit mask (Kismet `.ksy`; bits 0x0800 and up are marked "guessed" there).
///
/// Real frames agree with this table: the flying Mavic Air 2 sends 0x1FF7 and the Mavic Air without
/// a fix sends 0x1F33 (GPS bit clear).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct State(pub u16);

impl State {
    pub const SERIAL_VALID: u16 = 0x0001;
    pub const PRIVATE_MODE_DISABLED: u16 = 0x0002;
    pub const HOME_POINT_SET: u16 = 0x0004;
    pub const UUID_SET: u16 = 0x0008;
    pub const MOTORS_ON: u16 = 0x0010;
    pub const IN_AIR: u16 = 0x0020;
    pub const GPS_VALID: u16 = 0x0040;
    pub const ALTITUDE_VALID: u16 = 0x0080;
    pub const HEIGHT_VALID: u16 = 0x0100;
    pub const HORIZONTAL_VELOCITY_VALID: u16 = 0x0200;
    pub const VERTICAL_VELOCITY_VALID: u16 = 0x0400;
    pub const ATTITUDE_VALID: u16 = 0x0800;

    /// True when every bit of `mask` is set.
    pub fn contains(self, mask: u16) -> bool {
        self.0 & mask == mask
    }
    pub fn serial_valid(self) -> bool {
        self.contains(Self::SERIAL_VALID)
    }
    pub fn private_mode_disabled(self) -> bool {
        self.contains(Self::PRIVATE_MODE_DISABLED)
    }
    pub fn home_point_set(self) -> bool {
        self.contains(Self::HOME_POINT_SET)
    }
    pub fn uuid_set(self) -> bool {
        self.contains(Self::UUID_SET)
    }
    pub fn motors_on(self) -> bool {
        self.contains(Self::MOTORS_ON)
    }
    pub fn in_air(self) -> bool {
        self.contains(Self::IN_AIR)
    }
    pub fn gps_valid(self) -> bool {
        self.contains(Self::GPS_VALID)
    }
    pub fn altitude_valid(self) -> bool {
        self.contains(Self::ALTITUDE_VALID)
    }
    pub fn height_valid(self) -> bool {
        self.contains(Self::HEIGHT_VALID)
    }
    pub fn horizontal_velocity_valid(self) -> bool {
        self.contains(Self::HORIZONTAL_VELOCITY_VALID)
    }
    pub fn vertical_velocity_valid(self) -> bool {
        self.contains(Self::VERTICAL_VELOCITY_VALID)
    }
    pub fn attitude_valid(self) -> bool {
        self.contains(Self::ATTITUDE_VALID)
    }
}

/// DJI product type code to model name.
///
/// Codes 1–70 are RUB-SysSec DroneSecurity's `DRONEID_DRONE_TYPES`; 73–90 come from scapy-uas-remoteid
/// `_DJI_PRODUCT_TYPE` and a public decoder (`ocusync.md` §2.5), both consistent with the RUB list.
/// Tables with other values for the same codes circulate in generated repositories and are not used.
pub fn product_name(code: u8) -> Option<&'static str> {
    Some(match code {
        1 => "Inspire 1",
        2 | 3 => "Phantom 3 Series",
        4 => "Phantom 3 Std",
        5 => "M100",
        6 => "ACEONE",
        7 => "WKM",
        8 => "NAZA",
        9 => "A2",
        10 => "A3",
        11 => "Phantom 4",
        12 => "MG1",
        14 => "M600",
        15 => "Phantom 3 4k",
        16 => "Mavic Pro",
        17 => "Inspire 2",
        18 => "Phantom 4 Pro",
        20 => "N2",
        21 => "Spark",
        23 => "M600 Pro",
        24 => "Mavic Air",
        25 => "M200",
        26 => "Phantom 4 Series",
        27 => "Phantom 4 Adv",
        28 => "M210",
        30 => "M210RTK",
        31 => "A3_AG",
        32 => "MG2",
        34 => "MG1A",
        35 => "Phantom 4 RTK",
        36 => "Phantom 4 Pro V2.0",
        38 => "MG1P",
        40 => "MG1P-RTK",
        41 => "Mavic 2",
        44 => "M200 V2 Series",
        51 => "Mavic 2 Enterprise",
        53 => "Mavic Mini",
        58 => "Mavic Air 2",
        59 => "P4M",
        60 => "M300 RTK",
        61 => "DJI FPV",
        63 => "Mini 2",
        64 => "AGRAS T10",
        65 => "AGRAS T30",
        66 => "Air 2S",
        67 => "M30",
        68 => "DJI Mavic 3",
        69 => "Mavic 2 Enterprise Advanced",
        70 => "Mini SE",
        73 => "Mini 3 Pro",
        75 => "DJI Avata",
        77 => "Mavic 3 Enterprise",
        82 => "AGRAS T25",
        83 => "AGRAS T50",
        84 => "Mavic 3 Pro",
        86 => "Mavic 3 Classic",
        87 => "Mini 3",
        88 => "Mini 2 SE",
        89 => "M350 RTK",
        90 => "DJI Air 3",
        _ => return None,
    })
}

/// Unit of the raw altitude or height integers.
///
/// The public sources disagree (`ocusync.md` §2.2, `remoteid.md` §3.2): Kismet reads metres,
/// RemoteIDReceiver and DJI-DroneID-Scanner decimetres, DroneSecurity feet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AltitudeUnit {
    Metres,
    Decimetres,
    Feet,
}

impl AltitudeUnit {
    /// Converts a raw integer in this unit to metres.
    pub fn to_metres(self, raw: i16) -> f32 {
        let v = f32::from(raw);
        match self {
            AltitudeUnit::Metres => v,
            AltitudeUnit::Decimetres => v / 10.0,
            AltitudeUnit::Feet => v * 0.3048,
        }
    }
}

/// Which unit to apply to the telemetry altitude and height fields.
///
/// The default is altitude in metres and height in decimetres: on the real Mavic Air 2 capture the
/// altitude (141) is plausible in metres for Bochum terrain (~100–150 m MSL) and not in feet (43 m),
/// and between sequence 589 and 591 the height goes 37 → 42 while v_up is 26–28: 0.5 m in ~1.3 s at
/// 0.26 m/s only fits decimetres with cm/s speeds (`ocusync.md` §2.2). This is an inference, not a
/// confirmation, so callers can override it and the raw integers are always kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AltitudeScaling {
    pub altitude: AltitudeUnit,
    pub height: AltitudeUnit,
}

impl Default for AltitudeScaling {
    fn default() -> Self {
        AltitudeScaling {
            altitude: AltitudeUnit::Metres,
            height: AltitudeUnit::Decimetres,
        }
    }
}

/// Velocity in m/s (raw values are cm/s: DJIDroneIDspoofer `SPEED_SCALE = 100`, tested on AeroScope).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Velocity {
    pub north: f32,
    pub east: f32,
    pub up: f32,
}

/// The fields where telemetry versions 1 and 2 differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Variant {
    /// Version 1 (older Wi-Fi firmware): pitch and roll, no pilot position.
    V1 { pitch_raw: i16, roll_raw: i16 },
    /// Version 2 (OcuSync and newer Wi-Fi): the app (phone/RC) GPS time and pilot position.
    V2 {
        /// Milliseconds since the Unix epoch.
        app_time_ms: u64,
        pilot_lat_raw: i32,
        pilot_lon_raw: i32,
    },
}

/// A zero-copy view of a flight telemetry record (type byte at offset 0).
#[derive(Debug, Clone, Copy)]
pub struct TelemetryPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> TelemetryPacket<T> {
    /// Wraps a buffer without checking it; accessors then return errors instead of panicking.
    pub fn new_unchecked(buffer: T) -> Self {
        TelemetryPacket { buffer }
    }

    /// Wraps a buffer after checking that it is a telemetry record of a known version and length.
    ///
    /// # Errors
    ///
    /// [`Error::NotApplicable`] when the type byte is not 0x10, [`Error::Malformed`] for an unknown
    /// version, [`Error::Truncated`] when shorter than that version's layout.
    pub fn new_checked(buffer: T) -> Result<Self> {
        let p = Self::new_unchecked(buffer);
        p.check_len()?;
        Ok(p)
    }

    /// Checks the type byte, version and length.
    ///
    /// # Errors
    ///
    /// As [`TelemetryPacket::new_checked`].
    pub fn check_len(&self) -> Result<()> {
        let b = self.buffer.as_ref();
        match b.first() {
            Some(&KIND_TELEMETRY) => {}
            Some(_) => return Err(Error::NotApplicable),
            None => {
                return Err(Error::Truncated {
                    field: "dji.kind",
                    need: 1,
                    have: 0,
                })
            }
        }
        let need = match b.get(field::VERSION) {
            Some(1) => TELEMETRY_V1_LEN,
            Some(2) => TELEMETRY_V2_LEN,
            Some(_) => {
                return Err(Error::Malformed {
                    field: "dji.version",
                })
            }
            None => field::VERSION + 1,
        };
        if b.len() < need {
            return Err(Error::Truncated {
                field: "dji.telemetry",
                need,
                have: b.len(),
            });
        }
        Ok(())
    }

    fn raw(&self) -> &[u8] {
        self.buffer.as_ref()
    }
    fn byte(&self, i: usize, name: &'static str) -> Result<u8> {
        self.raw().get(i).copied().ok_or(Error::Truncated {
            field: name,
            need: i + 1,
            have: self.raw().len(),
        })
    }
    fn u16_at(&self, r: field::Range, name: &'static str) -> Result<u16> {
        array(self.raw(), r, name).map(u16::from_le_bytes)
    }
    fn i16_at(&self, r: field::Range, name: &'static str) -> Result<i16> {
        array(self.raw(), r, name).map(i16::from_le_bytes)
    }
    fn i32_at(&self, r: field::Range, name: &'static str) -> Result<i32> {
        array(self.raw(), r, name).map(i32::from_le_bytes)
    }

    /// Layout version byte (1 or 2 in known records).
    ///
    /// # Errors
    ///
    /// [`Error::Truncated`] when the buffer ends first; the same holds for every accessor below.
    pub fn version(&self) -> Result<u8> {
        self.byte(field::VERSION, "dji.version")
    }
    pub fn sequence(&self) -> Result<u16> {
        self.u16_at(field::SEQ, "dji.sequence")
    }
    pub fn state(&self) -> Result<State> {
        self.u16_at(field::STATE, "dji.state").map(State)
    }
    pub fn serial(&self) -> Result<[u8; 16]> {
        array(self.raw(), field::SERIAL, "dji.serial")
    }
    pub fn longitude_raw(&self) -> Result<i32> {
        self.i32_at(field::LON, "dji.longitude")
    }
    pub fn latitude_raw(&self) -> Result<i32> {
        self.i32_at(field::LAT, "dji.latitude")
    }
    pub fn altitude_raw(&self) -> Result<i16> {
        self.i16_at(field::ALT, "dji.altitude")
    }
    pub fn height_raw(&self) -> Result<i16> {
        self.i16_at(field::HEIGHT, "dji.height")
    }
    pub fn v_north_raw(&self) -> Result<i16> {
        self.i16_at(field::V_NORTH, "dji.v_north")
    }
    pub fn v_east_raw(&self) -> Result<i16> {
        self.i16_at(field::V_EAST, "dji.v_east")
    }
    pub fn v_up_raw(&self) -> Result<i16> {
        self.i16_at(field::V_UP, "dji.v_up")
    }
    /// The offset of a field that moved between telemetry versions 1 and 2.
    fn at<O>(&self, v1: O, v2: O) -> Result<O> {
        Ok(if self.version()? == 1 { v1 } else { v2 })
    }
    fn is_v1(&self) -> Result<bool> {
        Ok(self.version()? == 1)
    }
    pub fn yaw_raw(&self) -> Result<i16> {
        self.i16_at(self.at(field::V1_YAW, field::V2_YAW)?, "dji.yaw")
    }
    pub fn home_longitude_raw(&self) -> Result<i32> {
        self.i32_at(
            self.at(field::V1_HOME_LON, field::V2_HOME_LON)?,
            "dji.home_longitude",
        )
    }
    pub fn home_latitude_raw(&self) -> Result<i32> {
        self.i32_at(
            self.at(field::V1_HOME_LAT, field::V2_HOME_LAT)?,
            "dji.home_latitude",
        )
    }
    pub fn product_type(&self) -> Result<u8> {
        self.byte(
            self.at(field::V1_PRODUCT, field::V2_PRODUCT)?,
            "dji.product_type",
        )
    }
    pub fn uuid_len(&self) -> Result<u8> {
        self.byte(
            self.at(field::V1_UUID_LEN, field::V2_UUID_LEN)?,
            "dji.uuid_len",
        )
    }
    pub fn uuid(&self) -> Result<[u8; 20]> {
        array(
            self.raw(),
            self.at(field::V1_UUID, field::V2_UUID)?,
            "dji.uuid",
        )
    }
    /// The version-specific fields.
    pub fn variant(&self) -> Result<Variant> {
        if self.is_v1()? {
            Ok(Variant::V1 {
                pitch_raw: self.i16_at(field::V1_PITCH, "dji.pitch")?,
                roll_raw: self.i16_at(field::V1_ROLL, "dji.roll")?,
            })
        } else {
            Ok(Variant::V2 {
                app_time_ms: array(self.raw(), field::V2_APP_TIME, "dji.app_time")
                    .map(u64::from_le_bytes)?,
                pilot_lat_raw: self.i32_at(field::V2_PILOT_LAT, "dji.pilot_latitude")?,
                pilot_lon_raw: self.i32_at(field::V2_PILOT_LON, "dji.pilot_longitude")?,
            })
        }
    }
}

/// A flight telemetry record (type 0x10), raw integers plus conversions to physical units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TelemetryRepr {
    pub sequence: u16,
    pub state: State,
    /// NUL-padded ASCII; see [`TelemetryRepr::serial`].
    pub serial: [u8; 16],
    /// Drone longitude, radians × 10⁷ (longitude comes first in the record).
    pub longitude_raw: i32,
    pub latitude_raw: i32,
    /// Units disputed; see [`AltitudeScaling`].
    pub altitude_raw: i16,
    pub height_raw: i16,
    /// cm/s.
    pub v_north_raw: i16,
    pub v_east_raw: i16,
    pub v_up_raw: i16,
    /// Centidegrees.
    pub yaw_raw: i16,
    pub variant: Variant,
    pub home_longitude_raw: i32,
    pub home_latitude_raw: i32,
    pub product_type: u8,
    /// Declared UUID length; [`TelemetryRepr::uuid`] honours it.
    pub uuid_len: u8,
    pub uuid: [u8; 20],
}

impl TelemetryRepr {
    /// Parses a telemetry record (type byte at offset 0); bytes past the layout are ignored.
    ///
    /// # Errors
    ///
    /// As [`TelemetryPacket::new_checked`].
    pub fn parse<T: AsRef<[u8]>>(packet: &TelemetryPacket<T>) -> Result<TelemetryRepr> {
        packet.check_len()?;
        Ok(TelemetryRepr {
            sequence: packet.sequence()?,
            state: packet.state()?,
            serial: packet.serial()?,
            longitude_raw: packet.longitude_raw()?,
            latitude_raw: packet.latitude_raw()?,
            altitude_raw: packet.altitude_raw()?,
            height_raw: packet.height_raw()?,
            v_north_raw: packet.v_north_raw()?,
            v_east_raw: packet.v_east_raw()?,
            v_up_raw: packet.v_up_raw()?,
            yaw_raw: packet.yaw_raw()?,
            variant: packet.variant()?,
            home_longitude_raw: packet.home_longitude_raw()?,
            home_latitude_raw: packet.home_latitude_raw()?,
            product_type: packet.product_type()?,
            uuid_len: packet.uuid_len()?,
            uuid: packet.uuid()?,
        })
    }

    /// Layout version: 1 or 2.
    pub fn version(&self) -> u8 {
        match self.variant {
            Variant::V1 { .. } => 1,
            Variant::V2 { .. } => 2,
        }
    }

    /// Bytes [`TelemetryRepr::emit`] writes.
    pub fn buffer_len(&self) -> usize {
        match self.variant {
            Variant::V1 { .. } => TELEMETRY_V1_LEN,
            Variant::V2 { .. } => TELEMETRY_V2_LEN,
        }
    }

    /// Writes the record (type byte first) and returns its length.
    ///
    /// # Errors
    ///
    /// [`Error::Truncated`] when `buf` is shorter than [`TelemetryRepr::buffer_len`].
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize> {
        let len = self.buffer_len();
        let have = buf.len();
        let out = buf.get_mut(..len).ok_or(Error::Truncated {
            field: "dji.telemetry",
            need: len,
            have,
        })?;
        out.fill(0);
        out[field::KIND] = KIND_TELEMETRY;
        out[field::VERSION] = self.version();
        put(out, field::SEQ, &self.sequence.to_le_bytes());
        put(out, field::STATE, &self.state.0.to_le_bytes());
        put(out, field::SERIAL, &self.serial);
        put(out, field::LON, &self.longitude_raw.to_le_bytes());
        put(out, field::LAT, &self.latitude_raw.to_le_bytes());
        put(out, field::ALT, &self.altitude_raw.to_le_bytes());
        put(out, field::HEIGHT, &self.height_raw.to_le_bytes());
        put(out, field::V_NORTH, &self.v_north_raw.to_le_bytes());
        put(out, field::V_EAST, &self.v_east_raw.to_le_bytes());
        put(out, field::V_UP, &self.v_up_raw.to_le_bytes());
        match self.variant {
            Variant::V1 {
                pitch_raw,
                roll_raw,
            } => {
                put(out, field::V1_PITCH, &pitch_raw.to_le_bytes());
                put(out, field::V1_ROLL, &roll_raw.to_le_bytes());
                put(out, field::V1_YAW, &self.yaw_raw.to_le_bytes());
                put(
                    out,
                    field::V1_HOME_LON,
                    &self.home_longitude_raw.to_le_bytes(),
                );
                put(
                    out,
                    field::V1_HOME_LAT,
                    &self.home_latitude_raw.to_le_bytes(),
                );
                out[field::V1_PRODUCT] = self.product_type;
                out[field::V1_UUID_LEN] = self.uuid_len;
                put(out, field::V1_UUID, &self.uuid);
            }
            Variant::V2 {
                app_time_ms,
                pilot_lat_raw,
                pilot_lon_raw,
            } => {
                put(out, field::V2_YAW, &self.yaw_raw.to_le_bytes());
                put(out, field::V2_APP_TIME, &app_time_ms.to_le_bytes());
                put(out, field::V2_PILOT_LAT, &pilot_lat_raw.to_le_bytes());
                put(out, field::V2_PILOT_LON, &pilot_lon_raw.to_le_bytes());
                put(
                    out,
                    field::V2_HOME_LON,
                    &self.home_longitude_raw.to_le_bytes(),
                );
                put(
                    out,
                    field::V2_HOME_LAT,
                    &self.home_latitude_raw.to_le_bytes(),
                );
                out[field::V2_PRODUCT] = self.product_type;
                out[field::V2_UUID_LEN] = self.uuid_len;
                put(out, field::V2_UUID, &self.uuid);
            }
        }
        Ok(len)
    }

    /// The serial number as trimmed ASCII.
    pub fn serial(&self) -> &str {
        ascii_trim(&self.serial)
    }

    /// The UUID as trimmed ASCII, limited to the declared length (empty when `uuid_len` is 0).
    pub fn uuid(&self) -> &str {
        let n = usize::from(self.uuid_len).min(self.uuid.len());
        ascii_trim(self.uuid.get(..n).unwrap_or(&[]))
    }

    /// Drone position. `None` when the raw pair is 0/0 or out of range.
    ///
    /// The GPS-valid state bit is *not* consulted: it comes from a partly guessed table, and the zero
    /// sentinel alone matches every real frame seen; callers can check [`State::gps_valid`].
    pub fn position(&self) -> Option<LatLon> {
        LatLon::from_raw(self.latitude_raw, self.longitude_raw)
    }

    /// Home point (stored longitude first). `None` when 0/0 or out of range.
    pub fn home(&self) -> Option<LatLon> {
        LatLon::from_raw(self.home_latitude_raw, self.home_longitude_raw)
    }

    /// Pilot (app) position, version 2 only (stored latitude first). `None` when 0/0 or out of range.
    pub fn pilot(&self) -> Option<LatLon> {
        match self.variant {
            Variant::V2 {
                pilot_lat_raw,
                pilot_lon_raw,
                ..
            } => LatLon::from_raw(pilot_lat_raw, pilot_lon_raw),
            Variant::V1 { .. } => None,
        }
    }

    /// App GPS time in milliseconds since the Unix epoch, version 2 only.
    pub fn app_time_ms(&self) -> Option<u64> {
        match self.variant {
            Variant::V2 { app_time_ms, .. } => Some(app_time_ms),
            Variant::V1 { .. } => None,
        }
    }

    /// Velocity in m/s (raw cm/s ÷ 100).
    pub fn velocity(&self) -> Velocity {
        Velocity {
            north: f32::from(self.v_north_raw) / 100.0,
            east: f32::from(self.v_east_raw) / 100.0,
            up: f32::from(self.v_up_raw) / 100.0,
        }
    }

    /// Horizontal ground speed in m/s.
    pub fn ground_speed(&self) -> f32 {
        let v = self.velocity();
        // `sqrt` needs std or libm; a few Newton steps are plenty for a display value.
        sqrt(v.north * v.north + v.east * v.east)
    }

    /// Yaw in degrees as sent (−180..180 in real frames: raw centidegrees ÷ 100).
    ///
    /// DJIDroneIDspoofer writes `(yaw − 180) × 100` for AeroScope; that offset is unconfirmed on real
    /// frames, so it is not applied.
    pub fn yaw_deg(&self) -> f32 {
        f32::from(self.yaw_raw) / 100.0
    }

    /// Yaw as a compass heading, 0..360 degrees.
    pub fn heading_deg(&self) -> f32 {
        // Integer arithmetic avoids float `rem_euclid`, which core lacks.
        i32::from(self.yaw_raw).rem_euclid(36_000) as f32 / 100.0
    }

    /// Pitch in degrees, version 1 only.
    pub fn pitch_deg(&self) -> Option<f32> {
        match self.variant {
            Variant::V1 { pitch_raw, .. } => Some(f32::from(pitch_raw) / 100.0),
            Variant::V2 { .. } => None,
        }
    }

    /// Roll in degrees, version 1 only.
    pub fn roll_deg(&self) -> Option<f32> {
        match self.variant {
            Variant::V1 { roll_raw, .. } => Some(f32::from(roll_raw) / 100.0),
            Variant::V2 { .. } => None,
        }
    }

    /// Altitude in metres under the given scaling.
    pub fn altitude_m(&self, scaling: AltitudeScaling) -> f32 {
        scaling.altitude.to_metres(self.altitude_raw)
    }

    /// Height in metres under the given scaling.
    pub fn height_m(&self, scaling: AltitudeScaling) -> f32 {
        scaling.height.to_metres(self.height_raw)
    }

    /// Model name of [`TelemetryRepr::product_type`].
    pub fn product_name(&self) -> Option<&'static str> {
        product_name(self.product_type)
    }
}

fn sqrt(x: f32) -> f32 {
    if x.is_nan() || x <= 0.0 {
        return 0.0;
    }
    let mut g = if x > 1.0 { x / 2.0 } else { 1.0 };
    for _ in 0..20 {
        g = 0.5 * (g + x / g);
    }
    g
}

/// Bytes after the serial in a flight purpose record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InfoBody<'a> {
    /// Kismet's Wi-Fi layout: `drone_id_len | drone_id[10] | purpose_len | purpose`. The slices are
    /// limited to the declared lengths and to the bytes present (DJI firmware truncates the purpose).
    Text {
        drone_id: &'a [u8],
        purpose: &'a [u8],
    },
    /// Anything else, kept raw: the real OcuSync frame carries `cc aa 02 00` and zeros here, which
    /// is not Kismet's layout (a drone ID length of 0xcc).
    Opaque(&'a [u8]),
}

/// A flight purpose record (type 0x11): the serial and what the pilot entered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct InfoRepr<'a> {
    pub serial: [u8; 16],
    pub body: InfoBody<'a>,
}

const INFO_SERIAL: field::Range = 1..17;
const INFO_DRONE_ID_MAX: usize = 10;

impl<'a> InfoRepr<'a> {
    /// Parses a flight purpose record (type byte at offset 0).
    ///
    /// # Errors
    ///
    /// [`Error::NotApplicable`] when the type byte is not 0x11, [`Error::Truncated`] when the serial
    /// is incomplete. Everything after the serial is accepted.
    pub fn parse(buf: &'a [u8]) -> Result<InfoRepr<'a>> {
        match buf.first() {
            Some(&KIND_FLIGHT_PURPOSE) => {}
            Some(_) => return Err(Error::NotApplicable),
            None => {
                return Err(Error::Truncated {
                    field: "dji.kind",
                    need: 1,
                    have: 0,
                })
            }
        }
        let serial = array(buf, INFO_SERIAL, "dji.info.serial")?;
        let rest = buf.get(INFO_SERIAL.end..).unwrap_or(&[]);
        Ok(InfoRepr {
            serial,
            body: Self::parse_body(rest),
        })
    }

    fn parse_body(rest: &'a [u8]) -> InfoBody<'a> {
        let fixed = 1 + INFO_DRONE_ID_MAX + 1;
        match (rest.first(), rest.get(fixed - 1)) {
            (Some(&id_len), Some(&purpose_len)) if usize::from(id_len) <= INFO_DRONE_ID_MAX => {
                let drone_id = rest.get(1..1 + usize::from(id_len)).unwrap_or(&[]);
                let tail = rest.get(fixed..).unwrap_or(&[]);
                let purpose = tail
                    .get(..usize::from(purpose_len).min(tail.len()))
                    .unwrap_or(&[]);
                InfoBody::Text { drone_id, purpose }
            }
            _ => InfoBody::Opaque(rest),
        }
    }

    /// The serial number as trimmed ASCII.
    pub fn serial(&self) -> &str {
        ascii_trim(&self.serial)
    }

    /// The user-entered drone ID as trimmed text, empty for an opaque body.
    pub fn drone_id(&self) -> &'a str {
        match self.body {
            InfoBody::Text { drone_id, .. } => ascii_trim(drone_id),
            InfoBody::Opaque(_) => "",
        }
    }

    /// The user-entered flight purpose as trimmed text, empty for an opaque body.
    pub fn purpose(&self) -> &'a str {
        match self.body {
            InfoBody::Text { purpose, .. } => ascii_trim(purpose),
            InfoBody::Opaque(_) => "",
        }
    }

    /// Bytes [`InfoRepr::emit`] writes.
    pub fn buffer_len(&self) -> usize {
        INFO_SERIAL.end
            + match self.body {
                InfoBody::Text { purpose, .. } => 1 + INFO_DRONE_ID_MAX + 1 + purpose.len(),
                InfoBody::Opaque(b) => b.len(),
            }
    }

    /// Writes the record (type byte first) and returns its length.
    ///
    /// # Errors
    ///
    /// [`Error::Truncated`] when `buf` is too short; [`Error::Malformed`] when the drone ID is longer
    /// than 10 bytes or the purpose longer than 255.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize> {
        let len = self.buffer_len();
        let have = buf.len();
        let out = buf.get_mut(..len).ok_or(Error::Truncated {
            field: "dji.info",
            need: len,
            have,
        })?;
        out.fill(0);
        out[0] = KIND_FLIGHT_PURPOSE;
        put(out, INFO_SERIAL, &self.serial);
        let rest = out.get_mut(INFO_SERIAL.end..).unwrap_or(&mut []);
        match self.body {
            InfoBody::Text { drone_id, purpose } => {
                let id_len = u8::try_from(drone_id.len())
                    .ok()
                    .filter(|&n| usize::from(n) <= INFO_DRONE_ID_MAX)
                    .ok_or(Error::Malformed {
                        field: "dji.info.drone_id",
                    })?;
                let p_len = u8::try_from(purpose.len()).map_err(|_| Error::Malformed {
                    field: "dji.info.purpose",
                })?;
                rest[0] = id_len;
                put(rest, 1..1 + drone_id.len(), drone_id);
                rest[1 + INFO_DRONE_ID_MAX] = p_len;
                let start = 2 + INFO_DRONE_ID_MAX;
                put(rest, start..start + purpose.len(), purpose);
            }
            InfoBody::Opaque(b) => put(rest, 0..b.len(), b),
        }
        Ok(len)
    }
}

/// Encryption scheme tag that replaces the version byte in O3/O4 frames (`ocusync.md` §2.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// "INFP": AES-128-CTR telemetry (O3 and O4).
    Infp,
    /// "CRYP": SM2-wrapped session key (O4).
    Cryp,
}

impl Scheme {
    /// The four ASCII bytes of the tag.
    pub fn tag(self) -> [u8; 4] {
        match self {
            Scheme::Infp => *b"INFP",
            Scheme::Cryp => *b"CRYP",
        }
    }
}

/// One DroneID record, framing removed (type byte at offset 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Record<'a> {
    /// Type 0x10, version 1 or 2.
    Telemetry(TelemetryRepr),
    /// Type 0x11.
    FlightPurpose(InfoRepr<'a>),
    /// Type 0x00 or 0x10 with every following byte zero: Mavic firmware V01.04.0100/0200 sends these
    /// (Kismet `phy_uav_drone.cc`). Carries no information; `len` counts the type byte.
    Blank { kind: u8, len: usize },
    /// A frame whose version byte is replaced by "INFP"/"CRYP": encrypted, key not public. Track it by
    /// RF only. `body` follows the tag (O4 frames put a 4-byte session hash first, per a public claim).
    Encrypted {
        kind: u8,
        scheme: Scheme,
        body: &'a [u8],
    },
    /// Anything else (unknown type, unknown telemetry version), kept as data; `data` follows the type.
    Unknown { kind: u8, data: &'a [u8] },
}

impl<'a> Record<'a> {
    /// Decodes one record.
    ///
    /// # Errors
    ///
    /// [`Error::Truncated`] when the buffer is empty or shorter than its type's layout. Unknown types
    /// and versions are not errors: they come back as [`Record::Unknown`].
    pub fn parse(buf: &'a [u8]) -> Result<Record<'a>> {
        let (&kind, rest) = buf.split_first().ok_or(Error::Truncated {
            field: "dji.kind",
            need: 1,
            have: 0,
        })?;
        if let Some(tag) = rest.get(..4) {
            let scheme = match tag {
                b"INFP" => Some(Scheme::Infp),
                b"CRYP" => Some(Scheme::Cryp),
                _ => None,
            };
            if let Some(scheme) = scheme {
                return Ok(Record::Encrypted {
                    kind,
                    scheme,
                    body: rest.get(4..).unwrap_or(&[]),
                });
            }
        }
        match kind {
            KIND_TELEMETRY | 0x00 if rest.iter().all(|&b| b == 0) => Ok(Record::Blank {
                kind,
                len: buf.len(),
            }),
            KIND_TELEMETRY if matches!(rest.first(), Some(1) | Some(2)) => Ok(Record::Telemetry(
                TelemetryRepr::parse(&TelemetryPacket::new_unchecked(buf))?,
            )),
            KIND_FLIGHT_PURPOSE => Ok(Record::FlightPurpose(InfoRepr::parse(buf)?)),
            _ => Ok(Record::Unknown { kind, data: rest }),
        }
    }

    /// The type byte.
    pub fn kind(&self) -> Kind {
        Kind::from(match self {
            Record::Telemetry(_) => KIND_TELEMETRY,
            Record::FlightPurpose(_) => KIND_FLIGHT_PURPOSE,
            Record::Blank { kind, .. }
            | Record::Encrypted { kind, .. }
            | Record::Unknown { kind, .. } => *kind,
        })
    }

    /// Bytes [`Record::emit`] writes.
    pub fn buffer_len(&self) -> usize {
        match self {
            Record::Telemetry(t) => t.buffer_len(),
            Record::FlightPurpose(i) => i.buffer_len(),
            Record::Blank { len, .. } => (*len).max(1),
            Record::Encrypted { body, .. } => 5 + body.len(),
            Record::Unknown { data, .. } => 1 + data.len(),
        }
    }

    /// Writes the record and returns its length.
    ///
    /// # Errors
    ///
    /// [`Error::Truncated`] when `buf` is shorter than [`Record::buffer_len`]; see also
    /// [`InfoRepr::emit`].
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize> {
        let len = self.buffer_len();
        let have = buf.len();
        let out = buf.get_mut(..len).ok_or(Error::Truncated {
            field: "dji.record",
            need: len,
            have,
        })?;
        match self {
            Record::Telemetry(t) => t.emit(out),
            Record::FlightPurpose(i) => i.emit(out),
            Record::Blank { kind, .. } => {
                out.fill(0);
                out[0] = *kind;
                Ok(len)
            }
            Record::Encrypted { kind, scheme, body } => {
                out[0] = *kind;
                put(out, 1..5, &scheme.tag());
                put(out, 5..len, body);
                Ok(len)
            }
            Record::Unknown { kind, data } => {
                out[0] = *kind;
                put(out, 1..len, data);
                Ok(len)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> alloc::vec::Vec<u8> {
        let s: alloc::string::String = s.split_whitespace().collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn deconstruct_real_v2() {
        // Real Mavic Air 2 OcuSync frame, burst #2 of RUB-SysSec DroneSecurity samples/mavic_air_2
        // (`shared/data/ocusync/test_vectors_frames.txt` vector 1, `len` byte 0x58 and CRC16 b048 removed):
        // 10 02 type/version | 4f02 seq 591 | f71f state | serial "1WNBH3900201N1" | 915a1300 lon |
        // 8b028900 lat | 8d00 alt 141 | 2a00 height 42 | feff 0200 1a00 v_n/e/up | 11cc yaw -13295 |
        // 129ef84b80010000 app time | 75028900 7d5a1300 pilot lat/lon | a95a1300 7e028900 home lon/lat |
        // 3a product 58 | 13 uuid_len 19 | "1143635532171534336" 00.
        let frame = hex("5810024f02f71f31574e4248333930303230314e310000915a13008b0289008d002a00feff02001a0011cc129ef84b80010000750289007d5a1300a95a13007e0289003a13313134333633353533323137313533343333360048b0");
        let record = &frame[1..frame.len() - 2];
        assert_eq!(record.len(), TELEMETRY_V2_LEN);
        let Record::Telemetry(t) = Record::parse(record).unwrap() else {
            panic!("not telemetry")
        };
        assert_eq!(t.version(), 2);
        assert_eq!(t.sequence, 591);
        assert_eq!(t.state, State(0x1FF7));
        assert!(t.state.gps_valid() && t.state.in_air() && t.state.motors_on());
        assert_eq!(t.serial(), "1WNBH3900201N1");
        assert_eq!((t.longitude_raw, t.latitude_raw), (1268369, 8979083));
        assert_eq!((t.altitude_raw, t.height_raw), (141, 42));
        assert_eq!((t.v_north_raw, t.v_east_raw, t.v_up_raw), (-2, 2, 26));
        assert_eq!(t.yaw_raw, -13295);
        assert_eq!(t.app_time_ms(), Some(1650542026258));
        assert_eq!(
            (t.home_longitude_raw, t.home_latitude_raw),
            (1268393, 8979070)
        );
        assert_eq!(t.product_type, 58);
        assert_eq!(t.product_name(), Some("Mavic Air 2"));
        assert_eq!(t.uuid_len, 19);
        assert_eq!(t.uuid(), "1143635532171534336");
        let p = t.position().unwrap();
        assert!((p.lat - 51.4463339).abs() < 1e-7 && (p.lon - 7.2672159).abs() < 1e-7);
        assert!((t.yaw_deg() + 132.95).abs() < 1e-4);
        assert!((t.heading_deg() - 227.05).abs() < 1e-3);
        let v = t.velocity();
        assert_eq!((v.north, v.east, v.up), (-0.02, 0.02, 0.26));
        let s = AltitudeScaling::default();
        assert_eq!((t.altitude_m(s), t.height_m(s)), (141.0, 4.2));

        // Construct: emitting the parsed record gives back the same bytes.
        let mut out = [0u8; TELEMETRY_V2_LEN];
        assert_eq!(t.emit(&mut out), Ok(TELEMETRY_V2_LEN));
        assert_eq!(&out[..], record);
    }

    #[test]
    fn truncated_and_unknown() {
        assert_eq!(
            Record::parse(&[]),
            Err(Error::Truncated {
                field: "dji.kind",
                need: 1,
                have: 0
            })
        );
        assert_eq!(
            Record::parse(&[0x10, 0x02, 0x01]),
            Err(Error::Truncated {
                field: "dji.telemetry",
                need: 88,
                have: 3
            })
        );
        assert_eq!(
            Record::parse(&[0x10, 0x07, 0x01]),
            Ok(Record::Unknown {
                kind: 0x10,
                data: &[0x07, 0x01]
            })
        );
        assert_eq!(
            Record::parse(&[0x00, 0, 0, 0]),
            Ok(Record::Blank { kind: 0, len: 4 })
        );
        assert_eq!(
            Record::parse(b"\x10INFPxyz"),
            Ok(Record::Encrypted {
                kind: 0x10,
                scheme: Scheme::Infp,
                body: b"xyz"
            })
        );
    }

    #[test]
    fn info_text_round_trip() {
        let info = InfoRepr {
            serial: *b"3K1CG6G3AH8V2M\0\0",
            body: InfoBody::Text {
                drone_id: b"ID1",
                purpose: b"survey",
            },
        };
        let mut buf = [0u8; 64];
        let n = info.emit(&mut buf).unwrap();
        assert_eq!(n, 1 + 16 + 12 + 6);
        let back = InfoRepr::parse(&buf[..n]).unwrap();
        assert_eq!(back, info);
        assert_eq!((back.drone_id(), back.purpose()), ("ID1", "survey"));
        // Truncated purpose: the declared 6 bytes are cut to the 3 present.
        let cut = InfoRepr::parse(&buf[..n - 3]).unwrap();
        assert_eq!(cut.purpose(), "sur");
    }
}
