//! [`Observation`]: one decoded broadcast (one frame or message pack) heard by one sensor, and the value
//! types it is made of ([`Transport`], [`Mac`], [`Identity`], [`Position`], [`PilotPosition`], ...).
//!
//! The server converts the detection contract into observations; one detection with several messages
//! becomes one observation, so that identities carried together in one pack are known to belong together.

use core::fmt;
use core::str::FromStr;

use crate::time::UnixMs;

/// The sensor that heard a broadcast (its registered name or id).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SensorId(pub String);

impl fmt::Display for SensorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How a broadcast travelled. The string forms (`as_str`) are the ones of the detection contract.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Transport {
    /// ASTM F3411 in a Wi-Fi beacon vendor IE.
    WifiBeacon,
    /// ASTM F3411 in a Wi-Fi NAN service discovery frame.
    WifiNan,
    /// ASTM F3411 in Bluetooth 4 legacy advertising.
    BleLegacy,
    /// ASTM F3411 in Bluetooth 5 extended advertising on the coded PHY.
    BleLongRange,
    /// DJI DroneID in a Wi-Fi beacon vendor IE.
    DjiWifi,
    /// The French "signalement électronique" beacon.
    FrBeacon,
    /// DJI DroneID decoded from the OcuSync radio link (SDR).
    DjiOcusync,
    /// An OcuSync DroneID burst whose payload is encrypted.
    DjiEncrypted,
    /// Any other transport name; kept as data.
    Unknown(String),
}

impl Transport {
    /// The contract name, e.g. `"wifi-beacon"`.
    pub fn as_str(&self) -> &str {
        match self {
            Transport::WifiBeacon => "wifi-beacon",
            Transport::WifiNan => "wifi-nan",
            Transport::BleLegacy => "ble-legacy",
            Transport::BleLongRange => "ble-long-range",
            Transport::DjiWifi => "dji-wifi",
            Transport::FrBeacon => "fr-beacon",
            Transport::DjiOcusync => "dji-ocusync",
            Transport::DjiEncrypted => "dji-encrypted",
            Transport::Unknown(s) => s,
        }
    }

    /// Parses a contract name; unknown names become [`Transport::Unknown`].
    pub fn parse(s: &str) -> Transport {
        match s {
            "wifi-beacon" => Transport::WifiBeacon,
            "wifi-nan" => Transport::WifiNan,
            "ble-legacy" => Transport::BleLegacy,
            "ble-long-range" => Transport::BleLongRange,
            "dji-wifi" => Transport::DjiWifi,
            "fr-beacon" => Transport::FrBeacon,
            "dji-ocusync" => Transport::DjiOcusync,
            "dji-encrypted" => Transport::DjiEncrypted,
            other => Transport::Unknown(other.to_owned()),
        }
    }

    /// The link layer whose address space the transmitter MAC belongs to.
    pub fn link_layer(&self) -> LinkLayer {
        match self {
            Transport::WifiBeacon
            | Transport::WifiNan
            | Transport::DjiWifi
            | Transport::FrBeacon => LinkLayer::Wifi,
            Transport::BleLegacy | Transport::BleLongRange => LinkLayer::Ble,
            Transport::DjiOcusync | Transport::DjiEncrypted => LinkLayer::Ocusync,
            Transport::Unknown(s) => LinkLayer::Other(s.clone()),
        }
    }
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The address space a MAC lives in. Transmitter MACs are compared only within one link layer: the Wi-Fi
/// transports of one radio (beacon, NAN, DJI and French vendor IEs) share the interface's address, while a
/// Bluetooth address equal to a Wi-Fi address would be a coincidence.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LinkLayer {
    /// IEEE 802.11.
    Wifi,
    /// Bluetooth LE.
    Ble,
    /// DJI OcuSync (no MAC is decoded there today).
    Ocusync,
    /// The link layer of an unknown transport: its own space.
    Other(String),
}

/// A 48-bit transmitter address (random per boot on most Remote ID transmitters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Mac(pub [u8; 6]);

impl fmt::Display for Mac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d, e, g] = self.0;
        write!(f, "{a:02x}:{b:02x}:{c:02x}:{d:02x}:{e:02x}:{g:02x}")
    }
}

/// The error of [`Mac::from_str`]: the text is not six `:`- or `-`-separated hex octets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MacParseError;

impl fmt::Display for MacParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("expected a MAC address like 8c:17:59:f5:95:65")
    }
}

impl std::error::Error for MacParseError {}

impl FromStr for Mac {
    type Err = MacParseError;

    /// Parses `8c:17:59:f5:95:65` (or with `-`).
    ///
    /// # Errors
    ///
    /// [`MacParseError`] when there are not exactly six hex octets.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut out = [0u8; 6];
        let mut n = 0usize;
        for part in s.split([':', '-']) {
            let slot = out.get_mut(n).ok_or(MacParseError)?;
            if part.len() != 2 {
                return Err(MacParseError);
            }
            *slot = u8::from_str_radix(part, 16).map_err(|_| MacParseError)?;
            n += 1;
        }
        if n == 6 {
            Ok(Mac(out))
        } else {
            Err(MacParseError)
        }
    }
}

/// An identity a broadcast carries. Which of them bind an observation to a track is the subject of the
/// table in [`crate::tracker`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Identity {
    /// Basic ID type 1: ANSI/CTA-2063-A serial number.
    Serial(String),
    /// Basic ID type 2: CAA-assigned registration ID.
    CaaRegistration(String),
    /// Basic ID type 3: UTM-assigned UUID (hex text).
    UtmUuid(String),
    /// Basic ID type 4: specific session ID (hex text of the 20 bytes).
    SessionId(String),
    /// DJI DroneID serial number (Wi-Fi or OcuSync).
    DjiSerial(String),
    /// French beacon ID (TLV type 2: trigram + model + serial).
    FrenchId(String),
    /// Hash identifying one encrypted DJI OcuSync session (stable for the session only).
    DjiSessionHash(String),
    /// Basic ID with ID type 0 ("none") that nevertheless carries ASCII text, as seen in real data
    /// (`odid_wifi_bcn_sample.pcap`, the herlev AirPlate relay). A weak hint, see [`crate::tracker`].
    Unlabelled(String),
    /// Operator ID (message type 5). Identifies the operator, not the aircraft: never binds.
    OperatorId(String),
}

/// How strongly an identity names one aircraft.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum IdStrength {
    /// Names exactly one aircraft (or one session of it): binds and merges.
    Strong,
    /// Probably names the aircraft but carries no declared type: binds as a hint, never merges.
    Weak,
    /// Names something else (the operator): never binds.
    Attribute,
}

impl Identity {
    /// The text of the identity.
    pub fn value(&self) -> &str {
        match self {
            Identity::Serial(s)
            | Identity::CaaRegistration(s)
            | Identity::UtmUuid(s)
            | Identity::SessionId(s)
            | Identity::DjiSerial(s)
            | Identity::FrenchId(s)
            | Identity::DjiSessionHash(s)
            | Identity::Unlabelled(s)
            | Identity::OperatorId(s) => s,
        }
    }

    /// A short name of the kind, e.g. `"serial"`.
    pub fn kind(&self) -> &'static str {
        match self {
            Identity::Serial(_) => "serial",
            Identity::CaaRegistration(_) => "caa-registration",
            Identity::UtmUuid(_) => "utm-uuid",
            Identity::SessionId(_) => "session-id",
            Identity::DjiSerial(_) => "dji-serial",
            Identity::FrenchId(_) => "french-id",
            Identity::DjiSessionHash(_) => "dji-session-hash",
            Identity::Unlabelled(_) => "unlabelled",
            Identity::OperatorId(_) => "operator-id",
        }
    }

    /// How strongly this identity names one aircraft.
    pub fn strength(&self) -> IdStrength {
        match self {
            Identity::Unlabelled(_) => IdStrength::Weak,
            Identity::OperatorId(_) => IdStrength::Attribute,
            _ => IdStrength::Strong,
        }
    }

    /// The same identity with NUL padding and surrounding whitespace removed, or `None` when nothing is
    /// left (an all-padding Basic ID carries no identity).
    pub fn normalized(&self) -> Option<Identity> {
        let v = self
            .value()
            .trim_matches(|c: char| c == '\0' || c.is_whitespace());
        if v.is_empty() {
            return None;
        }
        let v = v.to_owned();
        Some(match self {
            Identity::Serial(_) => Identity::Serial(v),
            Identity::CaaRegistration(_) => Identity::CaaRegistration(v),
            Identity::UtmUuid(_) => Identity::UtmUuid(v),
            Identity::SessionId(_) => Identity::SessionId(v),
            Identity::DjiSerial(_) => Identity::DjiSerial(v),
            Identity::FrenchId(_) => Identity::FrenchId(v),
            Identity::DjiSessionHash(_) => Identity::DjiSessionHash(v),
            Identity::Unlabelled(_) => Identity::Unlabelled(v),
            Identity::OperatorId(_) => Identity::OperatorId(v),
        })
    }
}

impl fmt::Display for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.kind(), self.value())
    }
}

/// A point on WGS-84, degrees.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct LatLon {
    /// Latitude, degrees north.
    pub lat: f64,
    /// Longitude, degrees east.
    pub lon: f64,
}

impl LatLon {
    /// A point from latitude and longitude in degrees.
    pub fn new(lat: f64, lon: f64) -> LatLon {
        LatLon { lat, lon }
    }

    /// Whether both coordinates are finite and in range (−90..=90, −180..=180).
    pub fn is_valid(&self) -> bool {
        self.lat.is_finite()
            && self.lon.is_finite()
            && (-90.0..=90.0).contains(&self.lat)
            && (-180.0..=180.0).contains(&self.lon)
    }
}

/// What the Location `height` is measured from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeightRef {
    /// Above the take-off point (F3411 height type 0).
    AboveTakeoff,
    /// Above ground level (F3411 height type 1).
    AboveGround,
}

/// Aircraft position with the altitudes the broadcast gave.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Position {
    /// Horizontal position.
    pub point: LatLon,
    /// Geodetic altitude (WGS-84 height above ellipsoid), metres.
    pub alt_geo_m: Option<f64>,
    /// Pressure altitude, metres.
    pub alt_baro_m: Option<f64>,
    /// Height, metres, above what `height_ref` says.
    pub height_m: Option<f64>,
    /// Reference of `height_m`.
    pub height_ref: Option<HeightRef>,
}

impl Position {
    /// A position with only a horizontal point.
    pub fn at(lat: f64, lon: f64) -> Position {
        Position {
            point: LatLon::new(lat, lon),
            alt_geo_m: None,
            alt_baro_m: None,
            height_m: None,
            height_ref: None,
        }
    }
}

/// Ground speed, track and climb rate.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Velocity {
    /// Horizontal speed, m/s.
    pub speed_mps: Option<f64>,
    /// Track over ground, degrees from true north.
    pub track_deg: Option<f64>,
    /// Vertical speed, m/s, up positive.
    pub vspeed_mps: Option<f64>,
}

/// What kind of position the pilot position is (F3411 System operator location type).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PilotKind {
    /// The take-off point (type 0; also the French beacon's take-off position).
    Takeoff,
    /// Live GNSS position of the ground station (type 1; also DJI's app position).
    Live,
    /// A fixed, declared position (type 2).
    Fixed,
    /// Any other code.
    Unknown(u8),
}

impl PilotKind {
    /// From the F3411 operator location type code.
    pub fn from_code(code: u8) -> PilotKind {
        match code {
            0 => PilotKind::Takeoff,
            1 => PilotKind::Live,
            2 => PilotKind::Fixed,
            other => PilotKind::Unknown(other),
        }
    }
}

/// The pilot (operator) position.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PilotPosition {
    /// Horizontal position.
    pub point: LatLon,
    /// Geodetic altitude, metres, when given.
    pub alt_geo_m: Option<f64>,
    /// What this position is.
    pub kind: PilotKind,
}

/// F3411 UA type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UaType {
    /// 0: none / not declared.
    None,
    /// 1.
    Aeroplane,
    /// 2: helicopter or multirotor.
    Rotorcraft,
    /// 3.
    Gyroplane,
    /// 4: hybrid lift (VTOL fixed wing).
    HybridLift,
    /// 5.
    Ornithopter,
    /// 6.
    Glider,
    /// 7.
    Kite,
    /// 8.
    FreeBalloon,
    /// 9.
    CaptiveBalloon,
    /// 10.
    Airship,
    /// 11: free fall or parachute.
    FreeFall,
    /// 12.
    Rocket,
    /// 13.
    TetheredPowered,
    /// 14.
    GroundObstacle,
    /// 15.
    Other,
    /// Any value outside 0..=15.
    Unknown(u8),
}

impl UaType {
    /// From the 4-bit F3411 code.
    pub fn from_code(code: u8) -> UaType {
        match code {
            0 => UaType::None,
            1 => UaType::Aeroplane,
            2 => UaType::Rotorcraft,
            3 => UaType::Gyroplane,
            4 => UaType::HybridLift,
            5 => UaType::Ornithopter,
            6 => UaType::Glider,
            7 => UaType::Kite,
            8 => UaType::FreeBalloon,
            9 => UaType::CaptiveBalloon,
            10 => UaType::Airship,
            11 => UaType::FreeFall,
            12 => UaType::Rocket,
            13 => UaType::TetheredPowered,
            14 => UaType::GroundObstacle,
            15 => UaType::Other,
            other => UaType::Unknown(other),
        }
    }
}

/// One Authentication page as broadcast.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthPage {
    /// Authentication type (1 UAS ID signature, 2 operator ID signature, 3 message set signature, ...).
    pub auth_type: u8,
    /// Page number 0..=15.
    pub page: u8,
    /// Last page index, known from page 0 only.
    pub last_page_index: Option<u8>,
    /// The page's data bytes.
    pub data: Vec<u8>,
}

/// The aircraft's own time stamp in its original resolution; the tracker resolves it against the received
/// time ([`ReportedTime::resolve`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportedTime {
    /// F3411 Location timestamp: tenths of seconds after the UTC hour.
    TenthsAfterHour(u16),
    /// F3411 System timestamp: seconds since 2019-01-01 UTC.
    OdidEpochSeconds(u32),
    /// An absolute time, e.g. DJI app GPS time (ms since 1970).
    Absolute(UnixMs),
}

impl ReportedTime {
    /// The absolute time, taking the hour from `received` where the broadcast omits it.
    pub fn resolve(self, received: UnixMs) -> Option<UnixMs> {
        match self {
            ReportedTime::TenthsAfterHour(t) => UnixMs::from_tenths_after_hour(t, received),
            ReportedTime::OdidEpochSeconds(s) => Some(UnixMs::from_odid_epoch_seconds(s)),
            ReportedTime::Absolute(t) => Some(t),
        }
    }
}

/// One decoded broadcast (frame or message pack) from one sensor. Every fact is optional: a BLE legacy
/// advert carries a single message.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    /// The sensor that heard it.
    pub sensor: SensorId,
    /// When the sensor received it.
    pub received: UnixMs,
    /// How it travelled.
    pub transport: Transport,
    /// Transmitter address, when the link layer has one.
    pub mac: Option<Mac>,
    /// Received signal strength, dBm.
    pub rssi_dbm: Option<f64>,
    /// Identities carried together in this frame or pack.
    pub identities: Vec<Identity>,
    /// Aircraft position.
    pub position: Option<Position>,
    /// Speed, track, climb rate.
    pub velocity: Velocity,
    /// The aircraft's own time stamp.
    pub reported_time: Option<ReportedTime>,
    /// Pilot position with its kind.
    pub pilot: Option<PilotPosition>,
    /// Home point (DJI).
    pub home: Option<LatLon>,
    /// Model or product name (DJI product type name, ...).
    pub model: Option<String>,
    /// F3411 UA type.
    pub ua_type: Option<UaType>,
    /// Self-ID description text.
    pub self_id: Option<String>,
    /// Authentication pages carried.
    pub auth_pages: Vec<AuthPage>,
    /// Message counter of the transport (duplicates are normal).
    pub counter: Option<u8>,
}

impl Observation {
    /// An observation with no facts yet: fill the fields you have.
    pub fn new(sensor: &str, received: UnixMs, transport: Transport) -> Observation {
        Observation {
            sensor: SensorId(sensor.to_owned()),
            received,
            transport,
            mac: None,
            rssi_dbm: None,
            identities: Vec::new(),
            position: None,
            velocity: Velocity::default(),
            reported_time: None,
            pilot: None,
            home: None,
            model: None,
            ua_type: None,
            self_id: None,
            auth_pages: Vec::new(),
            counter: None,
        }
    }
}
