//! DJI DroneID records on real bytes: the Wi-Fi vectors (`remoteid/vectors/dji_droneid_vectors.txt`)
//! and the OcuSync frames decoded from the Mavic Air 2 capture (`ocusync/test_vectors_frames.txt`,
//! `ocusync/mavic_air_2.expected.json`), plus property tests.

use proptest::prelude::*;
use wire::dji::{
    self, wifi, AltitudeScaling, AltitudeUnit, InfoBody, InfoRepr, Record, State, TelemetryRepr,
    Variant,
};
use wire::ieee80211::{self, Found};

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| c.is_ascii_hexdigit()).collect();
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

fn read(sub: &str, name: &str) -> Option<String> {
    let p = testdata::file(sub, name)?;
    Some(std::fs::read_to_string(p).unwrap())
}

/// The first line of `text` that starts with `prefix`, decoded from hex.
fn hex_line(text: &str, prefix: &str) -> Vec<u8> {
    let line = text
        .lines()
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no line starting {prefix}"));
    hex(line)
}

/// Asserts the data file states `"key": value`, so the literal values below stay tied to the file.
fn stated(text: &str, key: &str, value: &str) {
    let needle = format!("\"{key}\": {value}");
    assert!(text.contains(&needle), "file does not state {needle}");
}

fn telemetry(r: Record<'_>) -> TelemetryRepr {
    match r {
        Record::Telemetry(t) => t,
        other => panic!("not telemetry: {other:?}"),
    }
}

fn close(a: f64, b: f64, tol: f64) {
    assert!((a - b).abs() < tol, "{a} vs {b}");
}

#[test]
fn wifi_v1_throwie_beacon() {
    let Some(txt) = read("remoteid", "vectors/dji_droneid_vectors.txt") else {
        return;
    };
    // Section A: a complete beacon (no radiotap, no FCS) with IE dd 52 26 37 12 | 58 62 13 | 10 01 ...
    let frame = hex_line(&txt, "80000000ffffffffffff0102");
    let scan = ieee80211::scan(&frame).unwrap();
    let found: Vec<_> = scan.found().collect();
    let [Found::Dji(record)] = found[..] else {
        panic!("{found:?}")
    };
    assert_eq!(record.len(), dji::TELEMETRY_V1_LEN);
    let t = telemetry(Record::parse(record).unwrap());
    for (k, v) in [
        ("version", "1"),
        ("seq", "90"),
        ("state", "\"0x0fd7\""),
        ("serial", "\"DroneID is crap!\""),
        ("alt_raw", "246"),
        ("height_raw", "211"),
        ("v_north", "216"),
        ("v_east", "171"),
        ("v_up", "59"),
        ("pitch_raw", "192"),
        ("roll_raw", "244"),
        ("yaw_raw", "64"),
        ("product", "16"),
        ("uuid", "\"195741\""),
        ("lon", "34.346940516524825"),
    ] {
        stated(&txt, k, v);
    }
    assert_eq!(t.version(), 1);
    assert_eq!((t.sequence, t.state), (90, State(0x0fd7)));
    assert_eq!(t.serial(), "DroneID is crap!");
    assert_eq!((t.altitude_raw, t.height_raw), (246, 211));
    assert_eq!((t.v_north_raw, t.v_east_raw, t.v_up_raw), (216, 171, 59));
    assert_eq!(
        t.variant,
        Variant::V1 {
            pitch_raw: 192,
            roll_raw: 244
        }
    );
    assert_eq!(t.yaw_raw, 64);
    assert_eq!((t.product_type, t.product_name()), (16, Some("Mavic Pro")));
    assert_eq!((t.uuid_len, t.uuid()), (6, "195741"));
    close(
        dji::raw_to_degrees(t.longitude_raw),
        34.346940516524825,
        1e-4,
    );
    close(
        dji::raw_to_degrees(t.latitude_raw),
        -119.06204503393904,
        1e-4,
    );
    close(
        dji::raw_to_degrees(t.home_longitude_raw),
        22.53701985172927,
        1e-4,
    );
    close(
        dji::raw_to_degrees(t.home_latitude_raw),
        113.9523214732931,
        1e-4,
    );
    // The Throwie writes latitude first, so the "latitude" is out of range: no position.
    assert_eq!((t.position(), t.home(), t.pilot()), (None, None, None));
    assert_eq!((t.pitch_deg(), t.roll_deg()), (Some(1.92), Some(2.44)));
    let mut out = vec![0u8; t.buffer_len()];
    t.emit(&mut out).unwrap();
    assert_eq!(&out[..], record);
}

#[test]
fn wifi_v2_real_mavic_air_and_flight_purpose() {
    let Some(txt) = read("remoteid", "vectors/dji_droneid_vectors.txt") else {
        return;
    };
    // Section B: IE body after the OUI, real Mavic Air, v2, no GPS fix.
    let body = hex_line(&txt, "58621310024d");
    assert_eq!(body.len(), 91);
    let t = telemetry(wifi::parse_ie(&body).unwrap());
    for (k, v) in [
        ("seq", "1613"),
        ("state", "\"0x1f33\""),
        ("serial", "\"0K1CG6G3AH8V2M\""),
        ("alt_raw", "-17"),
        ("height_raw", "12"),
        ("yaw_raw", "17328"),
        ("gps_time_ms", "1606999389061"),
        ("pilot_lat", "46.762552055287024"),
        ("pilot_lon", "7.600514335528422"),
        ("product", "24"),
        ("uuid_len", "0"),
    ] {
        stated(&txt, k, v);
    }
    assert_eq!((t.version(), t.sequence, t.state.0), (2, 1613, 0x1f33));
    // 0x1f33: serial valid, motors on, in air, but the GPS-valid bit 0x40 is clear.
    assert!(t.state.serial_valid() && t.state.in_air() && !t.state.gps_valid());
    assert_eq!(t.serial(), "0K1CG6G3AH8V2M");
    assert_eq!((t.position(), t.home()), (None, None));
    assert_eq!((t.altitude_raw, t.height_raw, t.yaw_raw), (-17, 12, 17328));
    assert_eq!(t.app_time_ms(), Some(1606999389061));
    let p = t.pilot().unwrap();
    close(p.lat, 46.762552055287024, 3e-5);
    close(p.lon, 7.600514335528422, 3e-5);
    assert_eq!((t.product_name(), t.uuid()), (Some("Mavic Air"), ""));
    let mut out = vec![0u8; wifi::ie_body_len(&Record::Telemetry(t))];
    wifi::emit_ie(&Record::Telemetry(t), &mut out).unwrap();
    assert_eq!(out, body);

    // Section C: flight purpose, 147 bytes with zero padding; serial then cc aa 02 00 (not Kismet's
    // text layout, so the body stays opaque).
    let c = hex_line(&txt, "58621311334b");
    let Record::FlightPurpose(info) = wifi::parse_ie(&c).unwrap() else {
        panic!("not flight purpose")
    };
    assert_eq!(info.serial(), "3K1CG6G3AH8V2M");
    assert_eq!((info.drone_id(), info.purpose()), ("", ""));
    let InfoBody::Opaque(rest) = info.body else {
        panic!("text body")
    };
    assert_eq!(&rest[..4], &[0xcc, 0xaa, 0x02, 0x00]);
    let mut out = vec![0u8; c.len()];
    assert_eq!(
        wifi::emit_ie(&Record::FlightPurpose(info), &mut out),
        Ok(c.len())
    );
    assert_eq!(out, c);
}

#[test]
fn remoteidreceiver_construction() {
    let Some(txt) = read("remoteid", "vectors/dji_droneid_vectors.txt") else {
        return;
    };
    // Section D: the RemoteIDReceiver unit-test packet, built with our encoder from its stated fields.
    stated_plain(
        &txt,
        "lat=8268731 -> 47.376339 deg, lng=1488985 -> 8.531256 deg",
    );
    stated_plain(
        &txt,
        "altitude 31, height 51, v_north 3000, v_east 1400, v_up 2100",
    );
    let t = TelemetryRepr {
        sequence: 0x064d,
        state: State(0x1f33),
        serial: *b"0K1CG6G3AH8V2M\0\0",
        longitude_raw: 1488985,
        latitude_raw: 8268731,
        altitude_raw: 31,
        height_raw: 51,
        v_north_raw: 3000,
        v_east_raw: 1400,
        v_up_raw: 2100,
        yaw_raw: 0,
        variant: Variant::V2 {
            app_time_ms: u64::from_le_bytes([0x43, 0x33, 0x49, 0x3d, 0, 0, 0, 0]),
            pilot_lat_raw: 8268731,
            pilot_lon_raw: 1488985,
        },
        home_longitude_raw: 1488985,
        home_latitude_raw: 8268731,
        product_type: 0x47,
        uuid_len: 0,
        uuid: [0; 20],
    };
    let rec = Record::Telemetry(t);
    let mut body = vec![0u8; wifi::ie_body_len(&rec)];
    wifi::emit_ie(&rec, &mut body).unwrap();
    assert_eq!(&body[..7], &[0x58, 0x62, 0x13, 0x10, 0x02, 0x4d, 0x06]);
    let back = telemetry(wifi::parse_ie(&body).unwrap());
    assert_eq!(back, t);
    let p = back.position().unwrap();
    // RemoteIDReceiver states the exact-factor conversion; ours (divisor 174533.0, see
    // `dji::RAW_PER_DEGREE`) differs by under 3e-5 degrees.
    close(p.lat, 47.376339, 3e-5);
    close(p.lon, 8.531256, 3e-5);
    close(p.lat, 8268731.0 / 174533.0, 1e-12);
    assert_eq!(back.home(), Some(p));
    assert_eq!(back.pilot(), Some(p));
    let v = back.velocity();
    assert_eq!((v.north, v.east, v.up), (30.0, 14.0, 21.0));
    assert!((back.ground_speed() - 33.105_89).abs() < 1e-3);
}

fn stated_plain(text: &str, s: &str) {
    assert!(text.contains(s), "file does not state {s}");
}

/// The OcuSync logical payloads of `test_vectors_frames.txt`, in file order.
fn ocusync_payloads() -> Option<Vec<Vec<u8>>> {
    let txt = read("ocusync", "test_vectors_frames.txt")?;
    Some(
        txt.lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .map(hex)
            .collect(),
    )
}

/// Strips the OcuSync framing: `len | record (len bytes) | CRC16`.
fn ocusync_record(payload: &[u8]) -> &[u8] {
    let len = usize::from(payload[0]);
    &payload[1..1 + len]
}

#[test]
fn ocusync_mavic_air_2() {
    let (Some(v), Some(json)) = (
        ocusync_payloads(),
        read("ocusync", "mavic_air_2.expected.json"),
    ) else {
        return;
    };
    assert_eq!(v.len(), 5);
    for (k, val) in [
        ("seq", "591"),
        ("state_info", "8183"),
        ("alt_raw_i16", "141"),
        ("height_raw_i16", "42"),
        ("v_north_raw", "-2"),
        ("yaw_raw", "-13295"),
        ("app_gps_time_ms", "1650542026258"),
        ("product_type", "58"),
        ("uuid", "\"1143635532171534336\""),
        ("drone_lat_deg", "51.44635597976657"),
        ("drone_lon_deg", "7.267219056522872"),
        ("app_lat_deg", "51.44622992905165"),
        ("app_lon_deg", "7.267104464963845"),
        ("home_lat_deg", "51.44628149525322"),
        ("home_lon_deg", "7.267356566393702"),
    ] {
        stated(&json, k, val);
    }
    // Vector 1 = burst #2, the frame RUB decodes.
    let rec = ocusync_record(&v[0]);
    let t = telemetry(Record::parse(rec).unwrap());
    assert_eq!((t.version(), t.sequence, t.state), (2, 591, State(8183)));
    assert_eq!(t.serial(), "1WNBH3900201N1");
    assert_eq!((t.altitude_raw, t.height_raw), (141, 42));
    assert_eq!((t.v_north_raw, t.v_east_raw, t.v_up_raw), (-2, 2, 26));
    assert_eq!(t.yaw_raw, -13295);
    assert_eq!(t.app_time_ms(), Some(1650542026258));
    assert_eq!(
        (t.product_name(), t.uuid()),
        (Some("Mavic Air 2"), "1143635532171534336")
    );
    let (p, pilot, home) = (t.position().unwrap(), t.pilot().unwrap(), t.home().unwrap());
    // The published decode (divisor 174533.0), to its 7 printed decimals.
    close(p.lat, 51.4463339, 1e-7);
    close(p.lon, 7.2672159, 1e-7);
    close(pilot.lat, 51.4462079, 1e-7);
    close(pilot.lon, 7.2671014, 1e-7);
    close(home.lat, 51.4462594, 1e-7);
    close(home.lon, 7.2673535, 1e-7);
    // The JSON's scaled fields use the exact factor 180/π: within 3e-5 degrees (2.5 m).
    close(p.lat, 51.44635597976657, 3e-5);
    close(p.lon, 7.267219056522872, 3e-5);
    close(pilot.lat, 51.44622992905165, 3e-5);
    close(pilot.lon, 7.267104464963845, 3e-5);
    close(home.lat, 51.44628149525322, 3e-5);
    close(home.lon, 7.267356566393702, 3e-5);
    // RUB's feet reading gives its printed 12.8 m height; our default reads 4.2 m (decimetres).
    let feet = AltitudeScaling {
        altitude: AltitudeUnit::Feet,
        height: AltitudeUnit::Feet,
    };
    assert!((t.height_m(feet) - 12.8).abs() < 0.01);
    assert_eq!(t.height_m(AltitudeScaling::default()), 4.2);
    let mut out = vec![0u8; rec.len()];
    t.emit(&mut out).unwrap();
    assert_eq!(out, rec);

    // Vector 2 = burst #1, seq 589 (RUB fails on it).
    let t = telemetry(Record::parse(ocusync_record(&v[1])).unwrap());
    assert_eq!((t.sequence, t.altitude_raw, t.height_raw), (589, 141, 37));
    assert_eq!(
        (t.v_north_raw, t.v_east_raw, t.v_up_raw, t.yaw_raw),
        (2, 0, 28, -13261)
    );

    // Vector 3 = burst #0, type 0x11, 141-byte record: serial then cc aa 02 00 and zeros.
    let rec = ocusync_record(&v[2]);
    assert_eq!(rec.len(), 141);
    let Record::FlightPurpose(info) = Record::parse(rec).unwrap() else {
        panic!("not flight purpose")
    };
    assert_eq!(info.serial(), "1WNBH3900201N1");
    assert!(matches!(
        info.body,
        InfoBody::Opaque([0xcc, 0xaa, 0x02, 0x00, ..])
    ));
}

#[test]
fn ocusync_other_drones() {
    let Some(v) = ocusync_payloads() else {
        return;
    };
    // Vector 4: Skysense "Mavic 3" good_frame, product 63 (Mini 2 in RUB's table), no fix.
    let t = telemetry(Record::parse(ocusync_record(&v[3])).unwrap());
    assert_eq!(
        (t.serial(), t.sequence, t.yaw_raw),
        ("3NZCHCQ0043XV1", 535, -15554)
    );
    assert_eq!((t.state, t.state.gps_valid()), (State(0x1f37), false));
    assert_eq!((t.position(), t.product_name()), (None, Some("Mini 2")));
    let pilot = t.pilot().unwrap();
    // The file states RUB-divisor figures 59.4011448 / 17.9583746.
    close(pilot.lat, 59.4011448, 5e-5);
    close(pilot.lon, 17.9583746, 5e-5);

    // Vector 5: Air 2S from proto17 issue #60, motors off and no GPS.
    let t = telemetry(Record::parse(ocusync_record(&v[4])).unwrap());
    assert_eq!((t.serial(), t.state), ("3YTBJ4D00301DX", State(0x1f07)));
    assert!(!t.state.motors_on() && !t.state.gps_valid());
    assert_eq!((t.altitude_raw, t.yaw_raw), (-17, 13065));
    assert_eq!((t.product_type, t.product_name()), (66, Some("Air 2S")));
    assert_eq!(t.position(), None);
}

#[test]
fn blank_and_encrypted() {
    // Mavic V01.04.0100/0200 sends subcommand 0x00 with all-zero content (Kismet phy_uav_drone.cc).
    let mut ie = vec![0x58, 0x62, 0x13];
    ie.extend_from_slice(&[0u8; 88]);
    assert_eq!(wifi::parse_ie(&ie), Ok(Record::Blank { kind: 0, len: 88 }));
    // O3 frame header reported in proto17 issue #51: 80 10 "INFP" ... (length byte stripped).
    let rec = [0x10, b'I', b'N', b'F', b'P', 0xde, 0xad];
    let r = Record::parse(&rec).unwrap();
    assert_eq!(
        r,
        Record::Encrypted {
            kind: 0x10,
            scheme: dji::Scheme::Infp,
            body: &[0xde, 0xad]
        }
    );
    let mut out = [0u8; 7];
    assert_eq!(r.emit(&mut out), Ok(7));
    assert_eq!(out, rec);
}

fn arb_telemetry() -> impl Strategy<Value = TelemetryRepr> {
    let variant = prop_oneof![
        (any::<i16>(), any::<i16>()).prop_map(|(pitch_raw, roll_raw)| Variant::V1 {
            pitch_raw,
            roll_raw
        }),
        (any::<u64>(), any::<i32>(), any::<i32>()).prop_map(|(t, a, b)| Variant::V2 {
            app_time_ms: t,
            pilot_lat_raw: a,
            pilot_lon_raw: b
        }),
    ];
    (
        (
            any::<u16>(),
            any::<u16>(),
            any::<[u8; 16]>(),
            any::<i32>(),
            any::<i32>(),
        ),
        (any::<[i16; 6]>(), variant),
        (
            any::<i32>(),
            any::<i32>(),
            any::<u8>(),
            any::<u8>(),
            any::<[u8; 20]>(),
        ),
    )
        .prop_map(
            |((seq, st, serial, lon, lat), (i, variant), (hl, ha, pt, ul, uuid))| TelemetryRepr {
                sequence: seq,
                state: State(st),
                serial,
                longitude_raw: lon,
                latitude_raw: lat,
                altitude_raw: i[0],
                height_raw: i[1],
                v_north_raw: i[2],
                v_east_raw: i[3],
                v_up_raw: i[4],
                yaw_raw: i[5],
                variant,
                home_longitude_raw: hl,
                home_latitude_raw: ha,
                product_type: pt,
                uuid_len: ul,
                uuid,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn telemetry_round_trip(t in arb_telemetry()) {
        let mut buf = [0u8; 100];
        let n = t.emit(&mut buf).unwrap();
        // A record whose content after the type byte is all zero is Blank by design; the version
        // byte is never zero, so every emitted telemetry parses back as telemetry.
        prop_assert_eq!(Record::parse(&buf[..n]), Ok(Record::Telemetry(t)));
        // Every conversion stays finite.
        let _ = (t.position(), t.pilot(), t.home(), t.heading_deg(), t.ground_speed());
        prop_assert!(t.altitude_m(AltitudeScaling::default()).is_finite());
    }

    #[test]
    fn info_round_trip(
        serial in any::<[u8; 16]>(),
        id in proptest::collection::vec(any::<u8>(), 0..=10),
        purpose in proptest::collection::vec(any::<u8>(), 0..=255),
        opaque in proptest::collection::vec(any::<u8>(), 0..40),
        text in any::<bool>(),
    ) {
        // An opaque body parses back as opaque only when it is not Kismet's layout.
        let opaque_ok = opaque.len() < 12 || opaque[0] > 10;
        let body = if text || !opaque_ok {
            InfoBody::Text { drone_id: &id, purpose: &purpose }
        } else {
            InfoBody::Opaque(&opaque)
        };
        let info = InfoRepr { serial, body };
        let mut buf = [0u8; 300];
        let n = info.emit(&mut buf).unwrap();
        prop_assert_eq!(InfoRepr::parse(&buf[..n]), Ok(info));
    }

    #[test]
    fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = Record::parse(&bytes);
        let _ = wifi::parse_ie(&bytes);
        let _ = dji::TelemetryPacket::new_unchecked(&bytes[..]).uuid();
        if let Ok(r) = Record::parse(&bytes) {
            let mut out = vec![0u8; r.buffer_len()];
            prop_assert!(r.emit(&mut out).is_ok());
        }
    }

    #[test]
    fn mutated_real_records_never_panic(
        idx in 0usize..4,
        flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8),
        cut in any::<usize>(),
    ) {
        let Some(v) = ocusync_payloads() else { return Ok(()); };
        let mut rec = ocusync_record(&v[idx]).to_vec();
        for (i, x) in flips {
            let n = rec.len();
            rec[i % n] ^= x;
        }
        rec.truncate(cut % (rec.len() + 1));
        if let Ok(r) = Record::parse(&rec) {
            let mut out = vec![0u8; r.buffer_len()];
            prop_assert!(r.emit(&mut out).is_ok());
        }
    }
}
