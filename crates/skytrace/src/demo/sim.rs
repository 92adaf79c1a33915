//! Simulated aircraft for `skytrace demo` (when no real captures are at hand) and for the console's
//! 500-aircraft performance run (`skytrace demo --sim-aircraft 500`).
//!
//! A [`Fleet`] is a set of [`Aircraft`], each flying a deterministic pattern (a circle, a figure of eight
//! or a back-and-forth line) around a centre, with a pilot standing near its take-off point. What the fleet
//! produces are real radio frames, made with the project's own encoders: ASTM Remote ID Message Packs in
//! Wi-Fi Beacon and Wi-Fi NAN frames (`wire::odid`, `wire::ieee80211`) and DJI DroneID telemetry in a
//! beacon vendor IE (`wire::dji`), each behind a radiotap header with a signal level. [`Fleet::lines`]
//! decodes those frames with `capture::decode_frame` and converts them with
//! `contract::DetectionLine::from_detection`, exactly as `skytrace decode` does with a capture file, so the
//! server sees what a sensor would post.
//!
//! The server's load generator (`crates/server/examples/loadgen.rs`) writes contract JSON directly because it
//! measures the server alone; this simulator goes through the radio encoders and the decoder because the
//! demo must show what a real sensor chain produces (pilot, home point, model, transports).

use capture::{Detection, LinkType};
use contract::{DetectionLine, Options};
use std::f64::consts::TAU;
use wire::dji::{AltitudeScaling, AltitudeUnit};
use wire::ieee80211::{Address, BeaconFields, OdidBeaconRepr, OdidNanRepr};
use wire::odid::{self, basic_id, location, operator_id, pack, system};

/// Metres per degree of latitude (spherical Earth, good enough for patterns of a few kilometres).
const M_PER_DEG: f64 = 111_320.0;

/// How an aircraft broadcasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Radio {
    /// ASTM F3411 in a Wi-Fi Beacon vendor IE (Basic ID, Location, System, Operator ID).
    OdidBeacon,
    /// ASTM F3411 in a Wi-Fi NAN Service Discovery frame.
    OdidNan,
    /// DJI DroneID telemetry version 2 in a beacon vendor IE (live pilot position and home point).
    DjiWifi,
}

/// The shape an aircraft flies, centred on its own point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Pattern {
    Circle,
    FigureEight,
    /// Back and forth along a line through the centre.
    Line,
}

/// One simulated aircraft.
#[derive(Debug, Clone)]
pub struct Aircraft {
    /// Serial (ANSI/CTA-2063-A style for Remote ID, DJI-style for DroneID).
    pub serial: String,
    pub radio: Radio,
    pub pattern: Pattern,
    /// Centre of the pattern, degrees.
    pub center: (f64, f64),
    /// Size of the pattern, metres (radius of the circle, half-length of the line).
    pub radius_m: f64,
    /// Seconds per lap.
    pub period_s: f64,
    /// Phase at time 0, fraction of a lap.
    pub phase: f64,
    /// Height above take-off, metres.
    pub height_m: f64,
    /// Ground elevation of the area, metres above the ellipsoid.
    pub ground_m: f64,
    /// Where the pilot stands (and the take-off point), degrees.
    pub pilot: (f64, f64),
    /// Transmitter address.
    pub mac: [u8; 6],
    /// Signal level at the sensor, dBm.
    pub rssi_dbm: i8,
}

/// Where an aircraft is at one instant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct State {
    pub lat: f64,
    pub lon: f64,
    /// Ground speed, m/s.
    pub speed_mps: f64,
    /// Track over ground, degrees clockwise from north, 0..360.
    pub track_deg: f64,
    /// Velocity north and east, m/s.
    pub v_north: f64,
    pub v_east: f64,
}

impl Aircraft {
    /// Offset from the centre in metres (east, north) at lap fraction `f`.
    fn offset(&self, f: f64) -> (f64, f64) {
        let a = TAU * f;
        let r = self.radius_m;
        match self.pattern {
            Pattern::Circle => (r * a.cos(), r * a.sin()),
            // A lemniscate-like figure of eight: x = r sin a, y = r sin a cos a.
            Pattern::FigureEight => (r * a.sin(), r * a.sin() * a.cos()),
            Pattern::Line => (r * a.sin(), 0.3 * r * a.sin()),
        }
    }

    /// Position and velocity at `t_s` seconds (any origin: the patterns are periodic).
    pub fn state(&self, t_s: f64) -> State {
        let f = (t_s / self.period_s + self.phase).rem_euclid(1.0);
        let (x, y) = self.offset(f);
        // Velocity by a central difference over a tenth of a second.
        let h = 0.05 / self.period_s;
        let (x1, y1) = self.offset(f + h);
        let (x0, y0) = self.offset(f - h);
        let v_east = (x1 - x0) / 0.1;
        let v_north = (y1 - y0) / 0.1;
        let (lat, lon) = displace(self.center, x, y);
        State {
            lat,
            lon,
            speed_mps: v_east.hypot(v_north),
            track_deg: v_east.atan2(v_north).to_degrees().rem_euclid(360.0),
            v_north,
            v_east,
        }
    }
}

/// `p` moved `east_m` east and `north_m` north.
pub fn displace(p: (f64, f64), east_m: f64, north_m: f64) -> (f64, f64) {
    let lat = p.0 + north_m / M_PER_DEG;
    let lon = p.1 + east_m / (M_PER_DEG * p.0.to_radians().cos().max(0.01));
    (lat, lon)
}

/// A small deterministic generator (SplitMix64) so that a fleet is the same for the same seed without a
/// dependency.
struct Mix(u64);

impl Mix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }
}

/// A set of simulated aircraft and the frame counters of their transmitters.
#[derive(Debug, Clone)]
pub struct Fleet {
    pub aircraft: Vec<Aircraft>,
    /// Centre of the whole fleet, degrees.
    pub center: (f64, f64),
    frame: u64,
    counter: u8,
}

impl Fleet {
    /// `n` aircraft spread over a disc around `center` (its radius grows with `n` so that patterns do not
    /// pile up), the same for the same `seed`. Radios cycle through Remote ID beacon, NAN and DJI DroneID.
    pub fn new(n: usize, center: (f64, f64), seed: u64) -> Fleet {
        let mut rng = Mix(seed);
        let area_m = 1500.0 + 400.0 * (n as f64).sqrt();
        let aircraft = (0..n)
            .map(|i| {
                // Uniform over the disc: radius ∝ sqrt(u).
                let r = area_m * 0.8 * rng.unit().sqrt();
                let a = TAU * rng.unit();
                let c = displace(center, r * a.cos(), r * a.sin());
                let radio = match i % 3 {
                    0 => Radio::OdidBeacon,
                    1 => Radio::DjiWifi,
                    _ => Radio::OdidNan,
                };
                let pattern = match (i / 3) % 3 {
                    0 => Pattern::Circle,
                    1 => Pattern::FigureEight,
                    _ => Pattern::Line,
                };
                let radius_m = rng.range(150.0, 450.0);
                // 5 to 15 m/s along the pattern.
                let speed = rng.range(5.0, 15.0);
                let period_s = (TAU * radius_m / speed).max(20.0);
                let pa = TAU * rng.unit();
                let pilot = displace(c, 60.0 * pa.cos(), 60.0 * pa.sin());
                let serial = match radio {
                    Radio::DjiWifi => format!("1581F4XDEMO{i:05}"),
                    _ => format!("1596SKY{i:06}"),
                };
                let mut mac = [0x02, 0x5b, 0, 0, 0, 0];
                mac[2..].copy_from_slice(&(u32::try_from(i).unwrap_or(u32::MAX)).to_be_bytes());
                if radio == Radio::DjiWifi {
                    // DJI's own MAC prefix (60:60:1F), as real DroneID beacons carry.
                    mac[..3].copy_from_slice(&[0x60, 0x60, 0x1f]);
                }
                Aircraft {
                    serial,
                    radio,
                    pattern,
                    center: c,
                    radius_m,
                    period_s,
                    phase: rng.unit(),
                    height_m: rng.range(40.0, 120.0).round(),
                    ground_m: 40.0,
                    pilot,
                    mac,
                    rssi_dbm: -(rng.range(45.0, 88.0) as i8),
                }
            })
            .collect();
        Fleet {
            aircraft,
            center,
            frame: 0,
            counter: 0,
        }
    }

    /// One radio frame per aircraft at Unix time `now_ms`: radiotap + 802.11, ready for the decoder.
    ///
    /// # Errors
    ///
    /// An encoder error (a field that does not fit), naming the aircraft.
    pub fn frames(&mut self, now_ms: i64) -> anyhow::Result<Vec<Vec<u8>>> {
        self.counter = self.counter.wrapping_add(1);
        let t_s = now_ms as f64 / 1000.0;
        let mut out = Vec::with_capacity(self.aircraft.len());
        for (i, a) in self.aircraft.iter().enumerate() {
            let s = a.state(t_s);
            let seq = u16::try_from(self.frame.wrapping_add(i as u64) % 4096).unwrap_or(0) << 4;
            let body = match a.radio {
                Radio::OdidBeacon | Radio::OdidNan => odid_frame(a, &s, now_ms, seq, self.counter),
                Radio::DjiWifi => dji_frame(a, &s, now_ms, seq),
            }
            .map_err(|e| anyhow::anyhow!("simulated aircraft {}: {e}", a.serial))?;
            out.push(radiotap(a.rssi_dbm, &body));
        }
        Ok(out)
    }

    /// One detection line per aircraft at Unix time `now_ms`: [`Fleet::frames`] decoded by the capture
    /// decoder and converted to the JSON-lines contract.
    ///
    /// # Errors
    ///
    /// An encoder error, or a frame the decoder did not accept (a bug in this module: it names the frame).
    pub fn lines(&mut self, now_ms: i64) -> anyhow::Result<Vec<DetectionLine>> {
        let frames = self.frames(now_ms)?;
        let opts = Options {
            dji_altitude: AltitudeScaling {
                altitude: AltitudeUnit::Metres,
                height: AltitudeUnit::Decimetres,
            },
        };
        let mut dets: Vec<Detection> = Vec::new();
        let mut lines = Vec::with_capacity(frames.len());
        for (i, f) in frames.iter().enumerate() {
            self.frame += 1;
            dets.clear();
            let outcome = capture::decode_frame(
                LinkType::Radiotap,
                now_ms.saturating_mul(1_000_000),
                self.frame,
                f,
                &mut dets,
            );
            if dets.is_empty() {
                anyhow::bail!(
                    "simulated frame of {} not decoded: {outcome:?}",
                    self.aircraft.get(i).map_or("?", |a| a.serial.as_str())
                );
            }
            lines.extend(dets.iter().map(|d| DetectionLine::from_detection(d, &opts)));
        }
        Ok(lines)
    }
}

/// A minimal radiotap header (version 0, one field: antenna signal in dBm) before `frame`.
fn radiotap(rssi_dbm: i8, frame: &[u8]) -> Vec<u8> {
    const LEN: u16 = 9;
    let mut v = Vec::with_capacity(usize::from(LEN) + frame.len());
    v.extend_from_slice(&[0, 0]);
    v.extend_from_slice(&LEN.to_le_bytes());
    // Present bit 5: dBm antenna signal.
    v.extend_from_slice(&(1u32 << 5).to_le_bytes());
    v.extend_from_slice(&rssi_dbm.to_le_bytes());
    v.extend_from_slice(frame);
    v
}

fn ascii20(s: &str) -> [u8; 20] {
    let mut b = [0u8; 20];
    for (d, c) in b.iter_mut().zip(s.bytes()) {
        *d = c;
    }
    b
}

/// Tenths of a second since the start of the UTC hour (the Location message's time stamp).
fn tenths_in_hour(now_ms: i64) -> u16 {
    u16::try_from(now_ms.rem_euclid(3_600_000) / 100).unwrap_or(0)
}

fn odid_frame(
    a: &Aircraft,
    s: &State,
    now_ms: i64,
    seq: u16,
    counter: u8,
) -> wire::Result<Vec<u8>> {
    let basic = odid::Message::BasicId(basic_id::Repr {
        version: 2,
        id_type: basic_id::IdType::SerialNumber,
        ua_type: basic_id::UaType::HelicopterOrMultirotor,
        uas_id: ascii20(&a.serial),
    });
    let loc = odid::Message::Location(location::Repr {
        version: 2,
        status: location::Status::Airborne,
        height_type: location::HeightType::AboveTakeoff,
        direction: Some((s.track_deg.round() as u16) % 360),
        speed_horizontal: Some(s.speed_mps as f32),
        speed_vertical: Some(0.0),
        latitude: Some(s.lat),
        longitude: Some(s.lon),
        pressure_altitude: Some((a.ground_m + a.height_m) as f32),
        geodetic_altitude: Some((a.ground_m + a.height_m) as f32),
        height: Some(a.height_m as f32),
        horizontal_accuracy: location::HorizontalAccuracy::Below3m,
        vertical_accuracy: location::VerticalAccuracy::Below3m,
        baro_accuracy: location::VerticalAccuracy::Below3m,
        speed_accuracy: location::SpeedAccuracy::Below1ms,
        timestamp: Some(tenths_in_hour(now_ms)),
        timestamp_accuracy: Some(2),
    });
    let sys = odid::Message::System(system::Repr {
        version: 2,
        operator_location_type: system::OperatorLocationType::Takeoff,
        classification_type: system::ClassificationType::Eu,
        operator_latitude: Some(a.pilot.0),
        operator_longitude: Some(a.pilot.1),
        area_count: 1,
        area_radius: 0,
        area_ceiling: None,
        area_floor: None,
        eu_category: system::EuCategory::Open,
        eu_class: system::EuClass::C1,
        operator_altitude: Some(a.ground_m as f32),
        timestamp: u32::try_from(now_ms / 1000 - 1_546_300_800).ok(),
    });
    let op = odid::Message::OperatorId(operator_id::Repr {
        version: 2,
        operator_id_type: operator_id::OperatorIdType::CaaRegistrationId,
        operator_id: ascii20(&format!(
            "DNK-OP-{}",
            &a.serial[a.serial.len().saturating_sub(6)..]
        )),
    });
    let p = pack::Repr {
        version: 2,
        declared: 4,
        messages: vec![basic, loc, sys, op],
        truncated: false,
        skipped: 0,
    };
    let mut pack_bytes = vec![0u8; p.buffer_len()];
    p.emit(&mut pack_bytes)?;
    let source = Address(a.mac);
    let mut buf;
    let n = if a.radio == Radio::OdidNan {
        let r = OdidNanRepr {
            source,
            cluster: Address(wire::ieee80211::nan::ODID_CLUSTER_ID),
            sequence_control: seq,
            instance_id: 1,
            counter,
            pack: &pack_bytes,
        };
        buf = vec![0u8; r.buffer_len()];
        r.emit(&mut buf)?
    } else {
        let r = OdidBeaconRepr {
            source,
            sequence_control: seq,
            fields: BeaconFields {
                timestamp: u64::try_from(now_ms).unwrap_or(0).wrapping_mul(1000),
                interval: 100,
                capability: 0x0421,
            },
            ssid: a.serial.as_bytes(),
            counter,
            pack: &pack_bytes,
        };
        buf = vec![0u8; r.buffer_len()];
        r.emit(&mut buf)?
    };
    buf.truncate(n);
    Ok(buf)
}

fn raw(deg: f64) -> i32 {
    // DroneID coordinates are degrees × 174533 (see `wire::dji::LatLon`).
    (deg * 174_533.0).round() as i32
}

fn dji_frame(a: &Aircraft, s: &State, now_ms: i64, seq: u16) -> wire::Result<Vec<u8>> {
    use wire::dji::{Record, State as DjiState, TelemetryRepr, Variant};
    let mut serial = [0u8; 16];
    for (d, c) in serial.iter_mut().zip(a.serial.bytes()) {
        *d = c;
    }
    let t = TelemetryRepr {
        sequence: seq >> 4,
        state: DjiState(
            DjiState::SERIAL_VALID
                | DjiState::PRIVATE_MODE_DISABLED
                | DjiState::HOME_POINT_SET
                | DjiState::MOTORS_ON
                | DjiState::IN_AIR
                | DjiState::GPS_VALID
                | DjiState::ALTITUDE_VALID
                | DjiState::HEIGHT_VALID
                | DjiState::HORIZONTAL_VELOCITY_VALID
                | DjiState::VERTICAL_VELOCITY_VALID,
        ),
        serial,
        longitude_raw: raw(s.lon),
        latitude_raw: raw(s.lat),
        // Metres above sea level and decimetres above home, the units `lines` decodes with.
        altitude_raw: (a.ground_m + a.height_m).round() as i16,
        height_raw: (a.height_m * 10.0).round() as i16,
        v_north_raw: (s.v_north * 100.0).round() as i16,
        v_east_raw: (s.v_east * 100.0).round() as i16,
        v_up_raw: 0,
        yaw_raw: (((s.track_deg + 180.0).rem_euclid(360.0) - 180.0) * 100.0).round() as i16,
        variant: Variant::V2 {
            app_time_ms: u64::try_from(now_ms).unwrap_or(0),
            pilot_lat_raw: raw(a.pilot.0),
            pilot_lon_raw: raw(a.pilot.1),
        },
        home_longitude_raw: raw(a.pilot.1),
        home_latitude_raw: raw(a.pilot.0),
        // 24: Mavic Air.
        product_type: 24,
        uuid_len: 0,
        uuid: [0; 20],
    };
    let rec = Record::Telemetry(t);
    let mut ie_body = vec![0u8; wire::dji::wifi::ie_body_len(&rec)];
    let n = wire::dji::wifi::emit_ie(&rec, &mut ie_body)?;
    ie_body.truncate(n);
    // No beacon builder in `wire` carries a DJI vendor IE, so the frame is laid out here: the 24-byte
    // management header (beacon, broadcast, BSSID = source), the 12 fixed fields, an SSID IE and the
    // vendor IE (OUI 26:37:12 then the DroneID body).
    let mut f = Vec::with_capacity(64 + ie_body.len());
    f.extend_from_slice(&[0x80, 0x00, 0x00, 0x00]);
    f.extend_from_slice(&[0xff; 6]);
    f.extend_from_slice(&a.mac);
    f.extend_from_slice(&a.mac);
    f.extend_from_slice(&seq.to_le_bytes());
    let mut fixed = [0u8; wire::ieee80211::BEACON_FIELDS_LEN];
    BeaconFields {
        timestamp: u64::try_from(now_ms).unwrap_or(0).wrapping_mul(1000),
        interval: 100,
        capability: 0x0431,
    }
    .emit(&mut fixed)?;
    f.extend_from_slice(&fixed);
    let ssid = b"DJI-DEMO";
    f.extend_from_slice(&[0, ssid.len() as u8]);
    f.extend_from_slice(ssid);
    let len = u8::try_from(3 + ie_body.len()).map_err(|_| wire::Error::Malformed {
        field: "ieee80211.ie_length",
    })?;
    f.extend_from_slice(&[221, len, 0x26, 0x37, 0x12]);
    f.extend_from_slice(&ie_body);
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every radio kind goes through the real decoder and comes out with the simulated identity, position
    /// and pilot; DJI aircraft also carry their home point.
    #[test]
    fn frames_decode_to_the_simulated_state() {
        let mut fleet = Fleet::new(6, (55.37, 10.43), 7);
        let now = 1_763_700_000_000;
        let lines = fleet.lines(now).expect("lines");
        assert_eq!(lines.len(), 6);
        for (a, l) in fleet.aircraft.iter().zip(&lines) {
            let s = a.state(now as f64 / 1000.0);
            let want_transport = match a.radio {
                Radio::OdidBeacon => "wifi-beacon",
                Radio::OdidNan => "wifi-nan",
                Radio::DjiWifi => "dji-wifi",
            };
            assert_eq!(l.transport, want_transport, "{}", a.serial);
            assert_eq!(l.rssi_dbm, Some(f64::from(a.rssi_dbm)), "{}", a.serial);
            let v: serde_json::Value = serde_json::from_str(&l.to_json()).expect("json");
            let msgs = v["messages"].as_array().expect("messages");
            let (lat, lon, plat, plon, id) = if a.radio == Radio::DjiWifi {
                let m = &msgs[0];
                assert_eq!(m["type"], "dji-telemetry");
                let h = (
                    m["home_lat"].as_f64().unwrap(),
                    m["home_lon"].as_f64().unwrap(),
                );
                assert!((h.0 - a.pilot.0).abs() < 1e-5 && (h.1 - a.pilot.1).abs() < 1e-5);
                (
                    m["lat"].as_f64().unwrap(),
                    m["lon"].as_f64().unwrap(),
                    m["operator_lat"].as_f64().unwrap(),
                    m["operator_lon"].as_f64().unwrap(),
                    m["serial"].as_str().unwrap().to_owned(),
                )
            } else {
                let find = |t: &str| msgs.iter().find(|m| m["type"] == t).expect(t).clone();
                let (b, loc, sys) = (find("basic-id"), find("location"), find("system"));
                (
                    loc["lat"].as_f64().unwrap(),
                    loc["lon"].as_f64().unwrap(),
                    sys["operator_lat"].as_f64().unwrap(),
                    sys["operator_lon"].as_f64().unwrap(),
                    b["uas_id"].as_str().unwrap().to_owned(),
                )
            };
            assert_eq!(id, a.serial);
            assert!(
                (lat - s.lat).abs() < 1e-5 && (lon - s.lon).abs() < 1e-5,
                "{}",
                a.serial
            );
            assert!((plat - a.pilot.0).abs() < 1e-5 && (plon - a.pilot.1).abs() < 1e-5);
            // Every line is one the server's ingest accepts.
            DetectionLine::parse(&l.to_json()).expect("valid contract line");
        }
    }

    /// Aircraft move: a second later they are elsewhere, at about their speed.
    #[test]
    fn aircraft_move_at_their_speed() {
        let fleet = Fleet::new(9, (48.0, 2.0), 1);
        for a in &fleet.aircraft {
            let (s0, s1) = (a.state(1000.0), a.state(1001.0));
            let d = ((s1.lat - s0.lat) * M_PER_DEG)
                .hypot((s1.lon - s0.lon) * M_PER_DEG * 48f64.to_radians().cos());
            assert!(d > 0.5, "{} moved {d} m", a.serial);
            assert!(
                (d - s0.speed_mps).abs() < 0.3 * s0.speed_mps + 0.5,
                "{}: {d} vs {}",
                a.serial,
                s0.speed_mps
            );
        }
    }
}
