//! `wire::odid` against the reference vectors of opendroneid-core-c and real transmitter bytes, plus
//! property tests: exact round trips from raw field values, and no panics on arbitrary or mutated input.
//!
//! The vectors are read at run time from the shared data folder (`testdata`), never copied here.

use std::collections::HashMap;
use std::sync::OnceLock;

use proptest::prelude::*;
use wire::odid::{
    self, auth, basic_id, location, operator_id, self_id, system, Message, MessageType, Pack,
    Payload,
};
use wire::Error;

// ---- helpers ----

fn hex(text: &str) -> Vec<u8> {
    let digits: Vec<u8> = text
        .bytes()
        .filter(u8::is_ascii_hexdigit)
        .map(|c| (c as char).to_digit(16).unwrap() as u8)
        .collect();
    assert!(digits.len() & 1 == 0, "odd hex digit count in {text:?}");
    digits.chunks(2).map(|p| (p[0] << 4) | p[1]).collect()
}

fn read_vector(name: &str) -> Option<String> {
    let path = testdata::file("remoteid", name)?;
    Some(std::fs::read_to_string(path).unwrap())
}

/// The `Name:  hex…` lines of the "Encoded messages" section of opendroneid-core-c_test_inout.txt.
fn inout_messages() -> Option<HashMap<String, [u8; 25]>> {
    let text = read_vector("vectors/opendroneid-core-c_test_inout.txt")?;
    let section = text
        .split("## Encoded messages")
        .nth(1)
        .unwrap()
        .split("## Decoded")
        .next()
        .unwrap();
    let mut out = HashMap::new();
    for line in section.lines() {
        let Some((name, bytes)) = line.split_once(':') else {
            continue;
        };
        let bytes = hex(bytes);
        out.insert(name.trim().to_string(), bytes.try_into().unwrap());
    }
    assert_eq!(
        out.len(),
        7,
        "expected 7 encoded messages, got {:?}",
        out.keys()
    );
    Some(out)
}

/// The 128-byte `message_pack` of opendroneid-core-c_generated_frames.txt.
fn generated_pack() -> Option<Vec<u8>> {
    let text = read_vector("vectors/opendroneid-core-c_generated_frames.txt")?;
    let hex_lines: String = text
        .lines()
        .skip_while(|l| !l.starts_with("message_pack (128 bytes):"))
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .collect();
    let bytes = hex(&hex_lines);
    assert_eq!(bytes.len(), 128);
    Some(bytes)
}

/// The message pack inside the real DroneBeacon NAN frame of sutt0n_fixture_vectors.txt: it follows the
/// service-info length 0x68 and message counter 0xED (`…10 68 ed f2 19 04…`), 3 + 4 × 25 bytes.
fn dronebeacon_nan_pack() -> Option<Vec<u8>> {
    let text = read_vector("vectors/sutt0n_fixture_vectors.txt")?;
    let line = text
        .lines()
        .find(|l| l.contains("8869199d9209") && l.contains("68edf21904"))
        .unwrap();
    let start = line.find("68edf21904").unwrap() + 4;
    Some(hex(&line[start..start + 2 * 103]))
}

fn close(got: Option<f64>, want: f64) {
    let got = got.expect("value present");
    assert!((got - want).abs() < 1e-9, "{got} != {want}");
}

fn emit_message(m: &Message) -> [u8; 25] {
    let mut out = [0u8; 25];
    m.emit(&mut out).unwrap();
    out
}

// ---- golden: opendroneid-core-c test_inout ----

#[test]
fn golden_test_inout() {
    let Some(vectors) = inout_messages() else {
        return;
    };
    let msg = |name: &str| {
        let bytes = vectors[name];
        let m = Message::parse(&bytes).unwrap();
        // Every vector has zero reserved bytes, so emit must give the reference encoder's bytes back.
        assert_eq!(emit_message(&m), bytes, "{name} re-emitted");
        assert_eq!(
            m.version(),
            2,
            "{name}: the encoder writes protocol version 2"
        );
        m
    };

    let Message::BasicId(b) = msg("BasicID") else {
        panic!("BasicID")
    };
    assert_eq!(b.ua_type, basic_id::UaType::HelicopterOrMultirotor); // UAType: 2
    assert_eq!(b.id_type, basic_id::IdType::CaaRegistrationId); // IDType: 2
    assert_eq!(b.uas_id_str(), Some("12345678901234567890"));

    let Message::Location(l) = msg("Location") else {
        panic!("Location")
    };
    assert_eq!(l.status, location::Status::Airborne); // Status: 2
    assert_eq!(l.direction, Some(216)); // Direction: 216.0
    assert_eq!(l.speed_horizontal, Some(5.5)); // SpeedHori: 5.50
    assert_eq!(l.speed_vertical, Some(5.0)); // SpeedVert: 5.00
    close(l.latitude, 45.539309); // Lat/Lon: 45.5393090, -122.9663890
    close(l.longitude, -122.966389);
    assert_eq!(l.pressure_altitude, Some(100.0)); // Alt: Baro, Geo, Height above Ground: 100, 110, 80
    assert_eq!(l.geodetic_altitude, Some(110.0));
    assert_eq!(l.height, Some(80.0));
    assert_eq!(l.height_type, location::HeightType::AboveGround);
    // Horiz, Vert, Baro, Speed, TS Accuracy: 3.0, 1.0, 3.0, 1.0, 0.2
    assert_eq!(l.horizontal_accuracy.metres(), Some(3.0));
    assert_eq!(l.vertical_accuracy.metres(), Some(1.0));
    assert_eq!(l.baro_accuracy.metres(), Some(3.0));
    assert_eq!(l.speed_accuracy.metres_per_second(), Some(1.0));
    assert_eq!(l.timestamp_accuracy_seconds(), Some(0.2));
    assert_eq!(l.timestamp_seconds(), Some(360.5)); // TimeStamp: 360.50

    let Message::Auth(a0) = msg("Auth0") else {
        panic!("Auth0")
    };
    assert_eq!(a0.auth_type, auth::AuthType::UasIdSignature); // AuthType: 1
    assert_eq!(a0.page_number(), 0); // DataPage: 0
    assert_eq!(a0.last_page_index(), Some(1)); // LastPageIndex: 1
    assert_eq!(a0.length(), Some(40)); // Length: 40
    assert_eq!(a0.timestamp(), Some(28_000_000)); // Timestamp: 28000000
    assert_eq!(a0.data(), b"12345678901234567"); // AuthData: 0x31 … 0x37

    let Message::Auth(a1) = msg("Auth1") else {
        panic!("Auth1")
    };
    assert_eq!(a1.auth_type, auth::AuthType::UasIdSignature);
    assert_eq!(a1.page_number(), 1);
    assert_eq!(a1.data(), b"12345678901234567890123");
    // The two pages join into the declared 40 bytes.
    let mut re = auth::Reassembly::new();
    assert_eq!(re.push(&a0), None);
    assert_eq!(
        re.push(&a1),
        Some(&b"1234567890123456712345678901234567890123"[..])
    );

    let Message::SelfId(s) = msg("SelfID") else {
        panic!("SelfID")
    };
    assert_eq!(s.description_type, self_id::DescriptionType::Text); // DescType: 0
    assert_eq!(s.description_str(), Some("DronesRUS: Real Estate"));

    let Message::System(y) = msg("System") else {
        panic!("System")
    };
    assert_eq!(
        y.operator_location_type,
        system::OperatorLocationType::Takeoff
    ); // 0
    assert_eq!(y.classification_type, system::ClassificationType::Eu); // 1
    close(y.operator_latitude, 45.539319); // Lat/Lon: 45.5393190, -122.9663790
    close(y.operator_longitude, -122.966379);
    // Area Count, Radius, Ceiling, Floor: 35, 70, 176.50, 41.50
    assert_eq!(y.area_count, 35);
    assert_eq!(y.area_radius, 70);
    assert_eq!(y.area_ceiling, Some(176.5));
    assert_eq!(y.area_floor, Some(41.5));
    // Category EU: 2, Class EU: 4, Altitude: 20.50, Timestamp: 28000000
    assert_eq!(y.eu_category, system::EuCategory::Specific);
    assert_eq!(u8::from(y.eu_class), 4);
    assert_eq!(y.operator_altitude, Some(20.5));
    assert_eq!(y.timestamp, Some(28_000_000));
    assert_eq!(y.unix_timestamp(), Some(1_546_300_800 + 28_000_000));

    let Message::OperatorId(o) = msg("OperatorID") else {
        panic!("OperatorID")
    };
    assert_eq!(
        o.operator_id_type,
        operator_id::OperatorIdType::CaaRegistrationId
    ); // 0
    assert_eq!(o.operator_id_str(), Some("98765432100123456789"));
}

// ---- golden: reference-library Message Pack ----

#[test]
fn golden_generated_pack() {
    let Some(bytes) = generated_pack() else {
        return;
    };
    let Payload::Pack(pack) = Payload::parse(&bytes).unwrap() else {
        panic!("a pack")
    };
    assert_eq!(
        (pack.version, pack.declared, pack.truncated, pack.skipped),
        (2, 5, false, 0)
    );
    let types: Vec<_> = pack.messages.iter().map(Message::message_type).collect();
    assert_eq!(
        types,
        [
            MessageType::BasicId,
            MessageType::Location,
            MessageType::SelfId,
            MessageType::System,
            MessageType::OperatorId
        ]
    );
    let [Message::BasicId(b), Message::Location(l), Message::SelfId(s), Message::System(y), Message::OperatorId(o)] =
        &pack.messages[..]
    else {
        panic!("order")
    };
    // Decoded values printed by odid_wifi_receive_message_pack_nan_action_frame in the same file.
    assert_eq!(b.ua_type, basic_id::UaType::HelicopterOrMultirotor);
    assert_eq!(b.id_type, basic_id::IdType::SerialNumber);
    assert_eq!(b.uas_id_str(), Some("1596A1234567890"));
    assert_eq!(l.status, location::Status::Airborne);
    assert_eq!(l.direction, Some(271));
    assert_eq!(l.speed_horizontal, Some(69.75));
    assert_eq!(l.speed_vertical, Some(-2.5));
    close(l.latitude, 48.8566);
    close(l.longitude, 2.3522);
    assert_eq!(l.pressure_altitude, Some(120.5));
    assert_eq!(l.geodetic_altitude, Some(150.0));
    assert_eq!(l.height_type, location::HeightType::AboveTakeoff);
    assert_eq!(l.height, Some(95.5));
    assert_eq!(l.horizontal_accuracy.metres(), Some(3.0));
    assert_eq!(l.vertical_accuracy.metres(), Some(10.0));
    assert_eq!(l.baro_accuracy.metres(), Some(3.0));
    assert_eq!(l.speed_accuracy.metres_per_second(), Some(1.0));
    assert_eq!(l.timestamp_accuracy_seconds(), Some(0.1));
    assert_eq!(l.timestamp_seconds(), Some(1234.5));
    assert_eq!(s.description_str(), Some("Survey flight"));
    assert_eq!(
        y.operator_location_type,
        system::OperatorLocationType::LiveGnss
    );
    assert_eq!(y.classification_type, system::ClassificationType::Eu);
    close(y.operator_latitude, 48.856);
    close(y.operator_longitude, 2.351);
    assert_eq!((y.area_count, y.area_radius), (1, 0));
    assert_eq!((y.area_ceiling, y.area_floor), (None, None)); // -1000.00 = unknown
    assert_eq!(y.eu_category, system::EuCategory::Open);
    assert_eq!(y.eu_class, system::EuClass::C1); // Class EU: 2
    assert_eq!(y.operator_altitude, Some(35.0));
    assert_eq!(y.timestamp, Some(200_000_000));
    assert_eq!(o.operator_id_str(), Some("FRA87astrdge12kx"));

    let mut out = vec![0u8; pack.buffer_len()];
    pack.emit(&mut out).unwrap();
    assert_eq!(out, bytes);
}

// ---- real transmitter: BlueMark DroneBeacon ----

#[test]
fn golden_dronebeacon_nan_pack() {
    let Some(bytes) = dronebeacon_nan_pack() else {
        return;
    };
    let pack = Pack::parse(&bytes).unwrap();
    assert_eq!((pack.version, pack.declared, pack.truncated), (2, 4, false));
    let [Message::BasicId(b), Message::System(y), Message::Location(l), Message::SelfId(s)] =
        &pack.messages[..]
    else {
        panic!("Basic ID, System, Location, Self-ID: {:?}", pack.messages)
    };
    // Expected values from the fixture's description.
    assert_eq!(b.uas_id_str(), Some("1787F04BM24010011039"));
    close(y.operator_latitude, 35.8024496);
    close(y.operator_longitude, -90.7110025);
    assert_eq!(y.operator_altitude, Some(63.5));
    assert_eq!(y.timestamp, Some(539_650_364));
    assert_eq!(l.status, location::Status::Ground);
    assert_eq!(l.direction, Some(124));
    close(l.latitude, 35.8026271);
    close(l.longitude, -90.7113683);
    assert_eq!(l.geodetic_altitude, Some(0.0));
    assert_eq!(l.height, Some(-64.0));
    assert_eq!(l.timestamp, Some(14681));
    assert_eq!(s.description_str(), Some("Jojo Test"));
    // The Basic ID's reserved bytes (9a 13 00) are the only thing emit does not reproduce.
    let mut out = vec![0u8; pack.buffer_len()];
    pack.emit(&mut out).unwrap();
    let mut want = bytes.clone();
    want[3 + 22..3 + 25].fill(0);
    assert_eq!(out, want);
}

#[test]
fn dronebeacon_bt4_messages() {
    let Some(text) = read_vector("vectors/sutt0n_fixture_vectors.txt") else {
        return;
    };
    // `fixtures/bluetooth_*_packet.txt  0d <counter> <25-byte message>`: BT4 carries one message.
    let payload = |file: &str| {
        let line = text.lines().find(|l| l.starts_with(file)).unwrap();
        let bytes = hex(line.split_whitespace().nth(1).unwrap());
        assert_eq!(bytes[0], 0x0d, "application code");
        match Payload::parse(&bytes[2..]).unwrap() {
            Payload::Single(m) => m,
            Payload::Pack(_) => panic!("BT4 legacy carries a single message"),
        }
    };
    let Message::BasicId(b) = payload("fixtures/bluetooth_basic_id_packet.txt") else {
        panic!()
    };
    assert_eq!(b.uas_id_str(), Some("1787F04BM24010011039"));
    let Message::Location(l) = payload("fixtures/bluetooth_location_packet.txt") else {
        panic!()
    };
    close(l.latitude, 35.802579);
    assert_eq!(l.timestamp, Some(9701));
    let Message::System(y) = payload("fixtures/bluetooth_system_packet.txt") else {
        panic!()
    };
    assert_eq!(y.timestamp, Some(173_376_968));
    assert_eq!(y.unix_timestamp(), Some(1_719_677_768)); // 2024-06-29 16:16:08 UTC
}

// ---- truncation ----

/// The spoofed Parrot capture (cdc_parrot_anafi4_spoofed.pcapng) declares 4 messages but its vendor IE
/// (length 0x69) holds only 3 and 22 bytes of the Operator ID. The IEs are found by their byte pattern
/// `dd 69 fa0bbc 0d` (the capture layers are `capture`'s business); the pack follows the counter byte.
#[test]
fn spoofed_parrot_truncated_packs() {
    let Some(path) = testdata::file("remoteid", "cdc_parrot_anafi4_spoofed.pcapng") else {
        return;
    };
    let file = std::fs::read(path).unwrap();
    let packs: Vec<Pack> = file
        .windows(6)
        .enumerate()
        .filter(|(_, w)| *w == [0xdd, 0x69, 0xfa, 0x0b, 0xbc, 0x0d])
        .map(|(at, _)| Pack::parse(&file[at + 7..at + 2 + 0x69]).unwrap())
        .collect();
    // The .txt: 26 ODID beacons, each "BasicID + Location + System" with a truncated 4th member.
    assert_eq!(packs.len(), 26);
    let mut lat = (f64::MAX, f64::MIN);
    for pack in &packs {
        assert_eq!(
            (pack.version, pack.declared, pack.truncated, pack.skipped),
            (0, 4, true, 0)
        );
        let [Message::BasicId(b), Message::Location(l), Message::System(y)] = &pack.messages[..]
        else {
            panic!("{:?}", pack.messages)
        };
        assert_eq!(b.id_type, basic_id::IdType::SerialNumber);
        assert_eq!(b.ua_type, basic_id::UaType::HelicopterOrMultirotor);
        assert_eq!(b.uas_id_str(), Some("1588E040445AC004418"));
        assert_eq!(l.status, location::Status::Airborne);
        assert_eq!(l.direction, Some(84));
        assert_eq!(l.speed_horizontal, Some(0.0));
        assert_eq!((l.pressure_altitude, l.geodetic_altitude), (None, None));
        assert_eq!(l.height, Some(0.0));
        assert_eq!(l.timestamp, Some(9311));
        let la = l.latitude.unwrap();
        lat = (lat.0.min(la), lat.1.max(la));
        assert_eq!(
            y.operator_location_type,
            system::OperatorLocationType::LiveGnss
        );
        assert_eq!(y.classification_type, system::ClassificationType::Eu);
        close(y.operator_latitude, 47.198656);
        close(y.operator_longitude, 8.7302205);
        assert_eq!(y.area_count, 0);
        assert_eq!(
            (y.eu_category, y.eu_class),
            (system::EuCategory::Open, system::EuClass::C1)
        );
        assert_eq!((y.operator_altitude, y.timestamp), (None, None));
    }
    close(Some(lat.0), 47.3702734);
    close(Some(lat.1), 47.3868734);
}

#[test]
fn every_prefix_of_a_real_pack_is_partial_or_error() {
    for bytes in [generated_pack(), dronebeacon_nan_pack()]
        .into_iter()
        .flatten()
    {
        let declared = usize::from(bytes[2]);
        let full = 3 + 25 * declared;
        for len in 0..=bytes.len() {
            let prefix = &bytes[..len];
            match Pack::parse(prefix) {
                Ok(pack) => {
                    assert!(len >= 3);
                    let complete = ((len - 3) / 25).min(declared);
                    assert_eq!(pack.messages.len(), complete, "len {len}");
                    assert_eq!(pack.truncated, len < full, "len {len}");
                    assert_eq!(usize::from(pack.declared), declared);
                }
                Err(e) => assert_eq!(
                    e,
                    Error::Truncated {
                        field: "pack header",
                        need: 3,
                        have: len
                    }
                ),
            }
            // Payload and Message agree with Pack on the same bytes.
            assert_eq!(
                Payload::parse(prefix).ok(),
                Pack::parse(prefix).ok().map(Payload::Pack)
            );
            assert!(Message::parse(prefix).is_err());
        }
    }
}

// ---- property tests ----

/// A raw message of type `ty` with an arbitrary version and body. Authentication page 0 is kept within
/// the reference decoder's validity rules (LastPageIndex ≤ 15, Length ≤ 17 + 23 × LastPageIndex) so that
/// it parses.
fn raw_message(ty: u8) -> impl Strategy<Value = [u8; 25]> {
    (any::<[u8; 25]>(), 0u8..16).prop_map(move |(mut b, version)| {
        b[0] = (ty << 4) | version;
        if ty == 2 && b[1] & 0x0f == 0 {
            b[2] %= 16;
            let cap = 17 + 23 * u16::from(b[2]);
            b[3] = (u16::from(b[3]) % (cap + 1)).min(255) as u8;
        }
        b
    })
}

fn any_raw_message() -> impl Strategy<Value = [u8; 25]> {
    prop_oneof![
        raw_message(0),
        raw_message(1),
        raw_message(2),
        raw_message(3),
        raw_message(4),
        raw_message(5),
        (6u8..15).prop_flat_map(raw_message),
    ]
}

/// The bytes `emit` is expected to write for a parsed raw message: reserved bits cleared, and the two
/// Location values with a second encoding in their canonical form.
fn canonical(mut b: [u8; 25]) -> [u8; 25] {
    match b[0] >> 4 {
        0 | 5 => b[22..25].fill(0),
        1 => {
            b[1] &= !0x08;
            b[23] &= 0x0f;
            b[24] = 0;
            // 63.75 m/s: multiplier 1 with raw 0 becomes multiplier 0 with raw 255.
            if b[1] & 0x01 != 0 && b[3] == 0 {
                b[1] &= !0x01;
                b[3] = 255;
            }
            // 180..=255° without the E/W bit are written with it.
            if b[1] & 0x02 == 0 && b[2] >= 180 {
                b[1] |= 0x02;
                b[2] -= 180;
            }
        }
        4 => {
            b[1] &= 0x1f;
            b[24] = 0;
        }
        _ => {}
    }
    b
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Repr from raw field values → emit → parse is exact, and emit writes the canonical bytes.
    #[test]
    fn message_round_trip(bytes in any_raw_message()) {
        let m = Message::parse(&bytes).unwrap();
        prop_assert_eq!(m.message_type(), MessageType::from(bytes[0] >> 4));
        prop_assert_eq!(m.version(), bytes[0] & 0x0f);
        let out = emit_message(&m);
        prop_assert_eq!(out, canonical(bytes));
        prop_assert_eq!(Message::parse(&out).unwrap(), m);
    }

    #[test]
    fn pack_round_trip(slots in proptest::collection::vec(any_raw_message(), 0..=9), version in 1u8..16) {
        let messages: Vec<Message> = slots.iter().map(|b| Message::parse(b).unwrap()).collect();
        let pack = Pack {
            version,
            declared: messages.len() as u8,
            messages,
            truncated: false,
            skipped: 0,
        };
        let mut buf = vec![0u8; pack.buffer_len() + 7];
        pack.emit(&mut buf).unwrap();
        prop_assert_eq!(&buf[..3], &[0xf0 | version, 25, slots.len() as u8][..]);
        for (i, slot) in slots.iter().enumerate() {
            prop_assert_eq!(&buf[3 + 25 * i..3 + 25 * (i + 1)], &canonical(*slot)[..]);
        }
        prop_assert_eq!(Pack::parse(&buf).unwrap(), pack.clone());
        prop_assert_eq!(Payload::parse(&buf).unwrap(), Payload::Pack(pack));
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = Message::parse(&bytes);
        let _ = Payload::parse(&bytes);
        check_pack_invariants(&bytes);
    }

    #[test]
    fn pack_shaped_bytes_never_panic(
        version in 0u8..16,
        size in prop_oneof![Just(25u8), any::<u8>()],
        count in 0u8..12,
        body in proptest::collection::vec(any::<u8>(), 0..300),
    ) {
        let mut bytes = vec![0xf0 | version, size, count];
        bytes.extend(body);
        check_pack_invariants(&bytes);
        let _ = Payload::parse(&bytes);
    }

    #[test]
    fn mutated_real_packs_never_panic(
        which in 0usize..2,
        edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8),
        cut in any::<usize>(),
    ) {
        let Some(mut bytes) = real_packs()[which].clone() else {
            return Ok(());
        };
        for (at, value) in edits {
            let at = at % bytes.len();
            bytes[at] = value;
        }
        bytes.truncate(cut % (bytes.len() + 1));
        check_pack_invariants(&bytes);
        let _ = Payload::parse(&bytes);
        let _ = Message::parse(bytes.get(3..).unwrap_or(&[]));
    }
}

fn real_packs() -> &'static [Option<Vec<u8>>; 2] {
    static PACKS: OnceLock<[Option<Vec<u8>>; 2]> = OnceLock::new();
    PACKS.get_or_init(|| [generated_pack(), dronebeacon_nan_pack()])
}

/// What any successful `Pack::parse` must satisfy, whatever the input.
fn check_pack_invariants(bytes: &[u8]) {
    match Pack::parse(bytes) {
        Ok(pack) => {
            let declared = usize::from(pack.declared);
            assert!(declared <= usize::from(odid::pack::max_messages(pack.version)));
            assert!(pack.messages.len() + usize::from(pack.skipped) <= declared);
            assert_eq!(pack.truncated, bytes.len() < 3 + 25 * declared);
            assert!(pack
                .messages
                .iter()
                .all(|m| m.message_type() != MessageType::Pack));
        }
        Err(Error::Truncated { have, .. }) => assert!(have < 3),
        Err(Error::NotApplicable) => assert_ne!(bytes[0] >> 4, 0xf),
        Err(Error::Malformed { field }) => {
            assert!(field == "pack message count" || field == "pack message size")
        }
    }
}
