//! From `capture::Detection` (wire types) to the contract's plain values.

use crate::{
    format_mac, hex, Auth, BasicId, DetectionLine, DjiEncrypted, DjiInfo, DjiTelemetry, FrBeacon,
    Location, Message, OperatorId, SelfId, System, Unknown,
};
use capture::{Detection, Message as Decoded};
use time::OffsetDateTime;
use wire::dji::{AltitudeScaling, AltitudeUnit, Record};
use wire::odid::{self, basic_id, location, system};

/// How to present values whose encoding public sources dispute.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Units of the DJI DroneID altitude and height integers (see `wire::dji::AltitudeScaling`).
    pub dji_altitude: AltitudeScaling,
}

/// Seconds between the Unix epoch and the ASTM F3411 epoch, 2019-01-01 00:00:00 UTC.
const ODID_EPOCH: i64 = 1_546_300_800;

impl DetectionLine {
    /// The contract line of one detection.
    pub fn from_detection(d: &Detection, opts: &Options) -> DetectionLine {
        let time = OffsetDateTime::from_unix_timestamp_nanos(i128::from(d.time))
            .unwrap_or(OffsetDateTime::UNIX_EPOCH);
        let mut messages = Vec::with_capacity(d.messages.len());
        for m in &d.messages {
            if let Some(m) = message(m, opts) {
                messages.push(m);
            }
        }
        DetectionLine {
            time,
            frame: d.frame,
            transport: d.transport.as_str().to_string(),
            mac: d.mac.as_ref().map(format_mac),
            rssi_dbm: d.rssi_dbm.map(f64::from),
            freq_mhz: d.freq_mhz.map(f64::from),
            channel: d.channel,
            ssid: d.ssid.clone(),
            counter: d.counter,
            partial: d.partial,
            snr_db: None,
            cfo_hz: None,
            burst_start_s: None,
            messages,
        }
    }
}

/// The contract message of one decoded message; `None` for records that carry nothing (blank DJI frames).
pub fn message(m: &Decoded, opts: &Options) -> Option<Message> {
    match m {
        Decoded::Odid(m) => Some(odid_message(m)),
        Decoded::Dji(r) => r.record().ok().and_then(|r| dji_record(&r, opts)),
        Decoded::French(f) => wire::fr::BeaconRepr::parse(f.tlvs())
            .ok()
            .map(|b| Message::FrBeacon(french(&b))),
    }
}

/// Widens a decoder's `f32` to the contract's `f64` without printing the binary noise of the narrow type
/// (0.3 as `f32` is 0.30000001192…). Every quantity here has a resolution of 0.01 or coarser, so four
/// decimals keep all information.
fn f(x: f32) -> f64 {
    (f64::from(x) * 1e4).round() / 1e4
}

fn text(s: Option<&str>, raw: &[u8]) -> String {
    match s {
        Some(s) => s.to_string(),
        None => hex(raw),
    }
}

/// The contract message of one ASTM F3411 message.
pub fn odid_message(m: &odid::Message) -> Message {
    match m {
        odid::Message::BasicId(b) => Message::BasicId(BasicId {
            version: Some(b.version),
            id_type: Some(u8::from(b.id_type)),
            id_type_name: Some(id_type_name(b.id_type).into()),
            ua_type: Some(u8::from(b.ua_type)),
            ua_type_name: Some(ua_type_name(b.ua_type).into()),
            uas_id: Some(match b.id_type {
                // UUIDs and session IDs are binary by definition.
                basic_id::IdType::UtmAssignedUuid | basic_id::IdType::SpecificSessionId => {
                    hex(&b.uas_id)
                }
                _ => text(b.uas_id_str(), &b.uas_id),
            }),
        }),
        odid::Message::Location(l) => Message::Location(Location {
            version: Some(l.version),
            status: Some(u8::from(l.status)),
            status_name: Some(status_name(l.status).into()),
            lat: l.latitude,
            lon: l.longitude,
            alt_geo_m: l.geodetic_altitude.map(f),
            alt_baro_m: l.pressure_altitude.map(f),
            height_m: l.height.map(f),
            height_ref: Some(
                match l.height_type {
                    location::HeightType::AboveTakeoff => "takeoff",
                    location::HeightType::AboveGround => "ground",
                    location::HeightType::Unknown(_) => "unknown",
                }
                .into(),
            ),
            speed_mps: l.speed_horizontal.map(f),
            vspeed_mps: l.speed_vertical.map(f),
            track_deg: l.direction.map(f64::from),
            h_accuracy_m: l.horizontal_accuracy.metres().map(f),
            v_accuracy_m: l.vertical_accuracy.metres().map(f),
            baro_accuracy_m: l.baro_accuracy.metres().map(f),
            speed_accuracy_mps: l.speed_accuracy.metres_per_second().map(f),
            timestamp_s: l.timestamp_seconds().map(f),
            timestamp_accuracy_s: l.timestamp_accuracy_seconds().map(f),
        }),
        odid::Message::Auth(a) => Message::Auth(Auth {
            version: Some(a.version),
            auth_type: Some(u8::from(a.auth_type)),
            page: Some(a.page_number()),
            last_page_index: a.last_page_index(),
            length: a.length(),
            timestamp: a.timestamp().map(|t| ODID_EPOCH + i64::from(t)),
            data_hex: Some(hex(a.data())),
        }),
        odid::Message::SelfId(s) => Message::SelfId(SelfId {
            version: Some(s.version),
            description_type: Some(u8::from(s.description_type)),
            description: Some(text(s.description_str(), &s.description)),
        }),
        odid::Message::System(s) => Message::System(System {
            version: Some(s.version),
            operator_location_type: Some(u8::from(s.operator_location_type)),
            operator_location_type_name: Some(
                match s.operator_location_type {
                    system::OperatorLocationType::Takeoff => "takeoff",
                    system::OperatorLocationType::LiveGnss => "live",
                    system::OperatorLocationType::Fixed => "fixed",
                    system::OperatorLocationType::Unknown(_) => "unknown",
                }
                .into(),
            ),
            classification_type: Some(u8::from(s.classification_type)),
            operator_lat: s.operator_latitude,
            operator_lon: s.operator_longitude,
            operator_alt_geo_m: s.operator_altitude.map(f),
            area_count: Some(s.area_count),
            area_radius_m: Some(f64::from(s.area_radius)),
            area_ceiling_m: s.area_ceiling.map(f),
            area_floor_m: s.area_floor.map(f),
            eu_category: Some(u8::from(s.eu_category)),
            eu_class: Some(u8::from(s.eu_class)),
            timestamp: s.timestamp.map(|t| ODID_EPOCH + i64::from(t)),
        }),
        odid::Message::OperatorId(o) => Message::OperatorId(OperatorId {
            version: Some(o.version),
            operator_id_type: Some(u8::from(o.operator_id_type)),
            operator_id: Some(text(o.operator_id_str(), &o.operator_id)),
        }),
        odid::Message::Unknown {
            msg_type,
            version,
            raw,
        } => Message::Unknown(Unknown {
            msg_type: Some(*msg_type),
            version: Some(*version),
            raw_hex: Some(hex(raw)),
        }),
    }
}

fn unit_name(u: AltitudeUnit) -> &'static str {
    match u {
        AltitudeUnit::Metres => "m",
        AltitudeUnit::Decimetres => "dm",
        AltitudeUnit::Feet => "ft",
    }
}

fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

/// The contract message of one DJI DroneID record; `None` for blank records.
pub fn dji_record(r: &Record<'_>, opts: &Options) -> Option<Message> {
    let scaling = opts.dji_altitude;
    Some(match r {
        Record::Telemetry(t) => {
            let v = t.velocity();
            let pos = t.position();
            let pilot = t.pilot();
            let home = t.home();
            Message::DjiTelemetry(DjiTelemetry {
                version: Some(t.version()),
                seq: Some(t.sequence),
                state_info: Some(t.state.0),
                serial: Some(t.serial().to_string()),
                lat: pos.map(|p| p.lat),
                lon: pos.map(|p| p.lon),
                altitude_raw: Some(t.altitude_raw),
                height_raw: Some(t.height_raw),
                altitude_unit: Some(format!(
                    "altitude {}, height {}",
                    unit_name(scaling.altitude),
                    unit_name(scaling.height)
                )),
                altitude_m: Some(f(t.altitude_m(scaling))),
                height_m: Some(f(t.height_m(scaling))),
                v_north_raw: Some(t.v_north_raw),
                v_east_raw: Some(t.v_east_raw),
                v_up_raw: Some(t.v_up_raw),
                v_north_mps: Some(f(v.north)),
                v_east_mps: Some(f(v.east)),
                v_up_mps: Some(f(v.up)),
                speed_mps: Some(f(t.ground_speed())),
                yaw_deg: Some(f(t.yaw_deg())),
                pitch_deg: t.pitch_deg().map(f),
                roll_deg: t.roll_deg().map(f),
                app_gps_time_ms: t.app_time_ms(),
                operator_lat: pilot.map(|p| p.lat),
                operator_lon: pilot.map(|p| p.lon),
                home_lat: home.map(|p| p.lat),
                home_lon: home.map(|p| p.lon),
                product_type: Some(t.product_type),
                product: t.product_name().map(str::to_string),
                uuid: non_empty(t.uuid()),
            })
        }
        Record::FlightPurpose(i) => Message::DjiInfo(DjiInfo {
            serial: Some(i.serial().to_string()),
            drone_id: non_empty(i.drone_id()),
            purpose: non_empty(i.purpose()),
        }),
        Record::Blank { .. } => return None,
        Record::Encrypted { scheme, body, .. } => Message::DjiEncrypted(DjiEncrypted {
            kind: Some(String::from_utf8_lossy(&scheme.tag()).into_owned()),
            session_hash: body.get(..4).map(hex),
            length: u16::try_from(body.len()).ok(),
        }),
        Record::Unknown { kind, data } => Message::Unknown(Unknown {
            msg_type: Some(*kind),
            version: None,
            raw_hex: Some(hex(data)),
        }),
    })
}

fn french(b: &wire::fr::BeaconRepr<'_>) -> FrBeacon {
    let pos = b.position();
    let takeoff = b.takeoff();
    FrBeacon {
        version: b.version,
        fr_id: b.french_id.as_ref().map(|id| {
            format!(
                "{}{}{}",
                id.manufacturer_str(),
                id.model_str(),
                id.serial_str()
            )
        }),
        serial: b.ansi_serial_str().map(str::to_string),
        lat: pos.map(|p| p.0),
        lon: pos.map(|p| p.1),
        alt_msl_m: b.altitude_msl.map(f64::from),
        height_m: b.height.map(f64::from),
        takeoff_lat: takeoff.map(|p| p.0),
        takeoff_lon: takeoff.map(|p| p.1),
        speed_mps: b.ground_speed.map(f64::from),
        course_deg: b.course.map(f64::from),
    }
}

fn id_type_name(t: basic_id::IdType) -> &'static str {
    use basic_id::IdType::*;
    match t {
        None => "none",
        SerialNumber => "serial",
        CaaRegistrationId => "caa-registration",
        UtmAssignedUuid => "utm-uuid",
        SpecificSessionId => "session-id",
        Unknown(_) => "reserved",
    }
}

fn ua_type_name(t: basic_id::UaType) -> &'static str {
    use basic_id::UaType::*;
    match t {
        None => "none",
        Aeroplane => "aeroplane",
        HelicopterOrMultirotor => "helicopter-or-multirotor",
        Gyroplane => "gyroplane",
        HybridLift => "hybrid-lift",
        Ornithopter => "ornithopter",
        Glider => "glider",
        Kite => "kite",
        FreeBalloon => "free-balloon",
        CaptiveBalloon => "captive-balloon",
        Airship => "airship",
        FreeFallParachute => "free-fall-parachute",
        Rocket => "rocket",
        TetheredPoweredAircraft => "tethered-powered-aircraft",
        GroundObstacle => "ground-obstacle",
        Other => "other",
        Unknown(_) => "reserved",
    }
}

fn status_name(s: location::Status) -> &'static str {
    use location::Status::*;
    match s {
        Undeclared => "undeclared",
        Ground => "ground",
        Airborne => "airborne",
        Emergency => "emergency",
        RemoteIdSystemFailure => "remote-id-system-failure",
        Unknown(_) => "reserved",
    }
}
