//! Identity binding rules of `Tracker`, data-driven: observations in, tracks (and event counts) out.

use track::{Identity, Observation, TrackEvent, Tracker, TrackerConfig, UnixMs};

use super::{obs, serial};

fn session(s: &str) -> Identity {
    Identity::SessionId(s.into())
}
fn op(s: &str) -> Identity {
    Identity::OperatorId(s.into())
}
fn weak(s: &str) -> Identity {
    Identity::Unlabelled(s.into())
}
fn dji(s: &str) -> Identity {
    Identity::DjiSerial(s.into())
}

/// One line per live track, oldest first: `ids | macs | transports | n`.
fn describe(t: &Tracker) -> Vec<String> {
    t.tracks()
        .map(|tr| {
            let ids: Vec<String> = tr.identities.iter().map(ToString::to_string).collect();
            let mut macs: Vec<String> = tr.macs.iter().map(|(_, m)| m.to_string()).collect();
            macs.sort();
            let mut via: Vec<String> = tr
                .transports
                .iter()
                .map(|(k, n)| format!("{k}:{n}"))
                .collect();
            via.sort();
            format!(
                "{} | {} | {} | n={}",
                ids.join(","),
                macs.join(","),
                via.join(","),
                tr.observations
            )
        })
        .collect()
}

/// Counts of event kinds over the whole run, as `created=.. merged=.. rebound=..`.
fn summary(events: &[TrackEvent]) -> String {
    let count = |f: fn(&TrackEvent) -> bool| events.iter().filter(|e| f(e)).count();
    format!(
        "created={} merged={} rebound={}",
        count(|e| matches!(e, TrackEvent::Created { .. })),
        count(|e| matches!(e, TrackEvent::Merged { .. })),
        count(|e| matches!(e, TrackEvent::Rebound { .. })),
    )
}

fn check(name: &str, input: &[Observation], tracks: &[&str], events: &str) {
    let mut t = Tracker::new(TrackerConfig::default());
    let mut all = Vec::new();
    for o in input {
        all.extend(t.ingest(o, o.received));
    }
    assert_eq!(describe(&t), tracks, "case {name}: tracks");
    assert_eq!(summary(&all), events, "case {name}: events");
}

const A: Option<&str> = Some("02:00:00:00:00:0a");
const B: Option<&str> = Some("02:00:00:00:00:0b");
const C: Option<&str> = Some("02:00:00:00:00:0c");
/// The ESP32 relay of the herlev captures, which re-broadcasts several AirPlates.
const RELAY: Option<&str> = Some("d4:f9:8d:04:03:f4");

#[test]
fn transports_of_one_aircraft_share_a_track() {
    check(
        "BLE legacy, BLE long range and Wi-Fi beacon with one serial",
        &[
            obs(0, "ble-legacy", A, &[serial("1787F0000001")]),
            obs(1, "ble-long-range", B, &[serial("1787F0000001")]),
            obs(2, "wifi-beacon", C, &[serial("1787F0000001")]),
        ],
        &["serial:1787F0000001 | 02:00:00:00:00:0a,02:00:00:00:00:0b,02:00:00:00:00:0c | ble-legacy:1,ble-long-range:1,wifi-beacon:1 | n=3"],
        "created=1 merged=0 rebound=0",
    );
    // odid_wifi_sample.pcap: one ESP32 sends NAN and Beacon from 84:cc:a8:60:43:24 and never a Basic ID.
    check(
        "Wi-Fi NAN and Beacon of one radio without Basic ID",
        &[
            obs(
                0,
                "wifi-nan",
                Some("84:cc:a8:60:43:24"),
                &[op("GBR-OP-123ABCD")],
            ),
            obs(0, "wifi-beacon", Some("84:cc:a8:60:43:24"), &[]),
        ],
        &[" | 84:cc:a8:60:43:24 | wifi-beacon:1,wifi-nan:1 | n=2"],
        "created=1 merged=0 rebound=0",
    );
}

#[test]
fn merge_when_a_mac_track_shows_a_known_serial() {
    check(
        "Wi-Fi MAC-only track, then BLE serial, then the Wi-Fi MAC with that serial",
        &[
            obs(0, "wifi-beacon", B, &[]),
            obs(1, "ble-legacy", A, &[serial("X1")]),
            obs(2, "wifi-beacon", B, &[serial("X1")]),
            obs(3, "wifi-beacon", B, &[]),
        ],
        &["serial:X1 | 02:00:00:00:00:0a,02:00:00:00:00:0b | ble-legacy:1,wifi-beacon:3 | n=4"],
        "created=2 merged=1 rebound=0",
    );
    check(
        "a pack linking a serial track and a session-ID track",
        &[
            obs(0, "ble-long-range", A, &[serial("X1")]),
            obs(1, "wifi-nan", B, &[session("5E55")]),
            obs(2, "wifi-beacon", B, &[serial("X1"), session("5E55")]),
        ],
        &["serial:X1,session-id:5E55 | 02:00:00:00:00:0a,02:00:00:00:00:0b | ble-long-range:1,wifi-beacon:1,wifi-nan:1 | n=3"],
        "created=2 merged=1 rebound=0",
    );
}

#[test]
fn merged_event_names_both_tracks_and_the_reason() {
    let mut t = Tracker::new(TrackerConfig::default());
    t.ingest(&obs(0, "ble-legacy", A, &[serial("X1")]), UnixMs(0));
    t.ingest(&obs(1, "wifi-nan", B, &[session("5E55")]), UnixMs(1000));
    let ev = t.ingest(
        &obs(2, "wifi-beacon", B, &[serial("X1"), session("5E55")]),
        UnixMs(2000),
    );
    let merged: Vec<String> = ev
        .iter()
        .filter_map(|e| match e {
            TrackEvent::Merged { into, from, reason } => Some(format!("{into}<-{from} {reason:?}")),
            _ => None,
        })
        .collect();
    assert_eq!(merged, ["T1<-T2 SharedIdentity(SessionId(\"5E55\"))"]);
    assert!(t.track(track::TrackId(2)).is_none());
    assert_eq!(t.find(&session("5E55")).map(|x| x.id.0), Some(1));
}

#[test]
fn no_merge_without_a_shared_identity() {
    check(
        "two aircraft of one operator (operator ID never binds)",
        &[
            obs(0, "wifi-beacon", A, &[serial("X1"), op("FIN87astrdge12k8")]),
            obs(1, "wifi-beacon", B, &[serial("Y2"), op("FIN87astrdge12k8")]),
        ],
        &[
            "serial:X1 | 02:00:00:00:00:0a | wifi-beacon:1 | n=1",
            "serial:Y2 | 02:00:00:00:00:0b | wifi-beacon:1 | n=1",
        ],
        "created=2 merged=0 rebound=0",
    );
    check(
        "two MAC-only transmitters of one operator",
        &[
            obs(0, "wifi-beacon", A, &[op("GBR-OP-123ABCD")]),
            obs(1, "wifi-beacon", B, &[op("GBR-OP-123ABCD")]),
        ],
        &[
            " | 02:00:00:00:00:0a | wifi-beacon:1 | n=1",
            " | 02:00:00:00:00:0b | wifi-beacon:1 | n=1",
        ],
        "created=2 merged=0 rebound=0",
    );
    check(
        "a BLE MAC equal to a Wi-Fi MAC is another address space",
        &[obs(0, "ble-legacy", A, &[]), obs(1, "wifi-beacon", A, &[])],
        &[
            " | 02:00:00:00:00:0a | ble-legacy:1 | n=1",
            " | 02:00:00:00:00:0a | wifi-beacon:1 | n=1",
        ],
        "created=2 merged=0 rebound=0",
    );
    check(
        "a contradicting pack (serial Y2 with X1's session ID) merges nothing",
        &[
            obs(0, "ble-legacy", A, &[serial("X1"), session("5E55")]),
            obs(1, "ble-legacy", B, &[serial("Y2")]),
            obs(2, "wifi-beacon", C, &[serial("Y2"), session("5E55")]),
        ],
        &[
            "serial:X1,session-id:5E55 | 02:00:00:00:00:0a | ble-legacy:1 | n=1",
            "serial:Y2 | 02:00:00:00:00:0b,02:00:00:00:00:0c | ble-legacy:1,wifi-beacon:1 | n=2",
        ],
        "created=2 merged=0 rebound=0",
    );
    check(
        "a weak (type 0) id never merges two tracks",
        &[
            obs(0, "ble-legacy", A, &[serial("X1")]),
            obs(1, "wifi-beacon", B, &[weak("MFG1A0123456789")]),
            obs(2, "ble-legacy", A, &[serial("X1"), weak("MFG1A0123456789")]),
        ],
        &[
            "serial:X1 | 02:00:00:00:00:0a | ble-legacy:2 | n=2",
            "unlabelled:MFG1A0123456789 | 02:00:00:00:00:0b | wifi-beacon:1 | n=1",
        ],
        "created=2 merged=0 rebound=0",
    );
}

#[test]
fn mac_rebinds_on_a_different_serial() {
    check(
        "MAC reused with another serial (new boot), then MAC-only frames follow the new binding",
        &[
            obs(0, "wifi-beacon", A, &[serial("X1")]),
            obs(1, "wifi-beacon", A, &[]),
            obs(2, "wifi-beacon", A, &[serial("Y2")]),
            obs(3, "wifi-beacon", A, &[]),
        ],
        &[
            "serial:X1 |  | wifi-beacon:2 | n=2",
            "serial:Y2 | 02:00:00:00:00:0a | wifi-beacon:2 | n=2",
        ],
        "created=2 merged=0 rebound=1",
    );
}

#[test]
fn two_aircraft_behind_one_mac() {
    // The herlev relay re-broadcasts AirPlates whose Basic ID has ID type 0.
    check(
        "relay MAC alternating two type-0 ids",
        &[
            obs(0, "wifi-beacon", RELAY, &[weak("ARPLF352709570738211")]),
            obs(1, "wifi-beacon", RELAY, &[weak("ARPLF352709570739565")]),
            obs(2, "wifi-beacon", RELAY, &[weak("ARPLF352709570738211")]),
        ],
        &[
            "unlabelled:ARPLF352709570738211 | d4:f9:8d:04:03:f4 | wifi-beacon:2 | n=2",
            "unlabelled:ARPLF352709570739565 |  | wifi-beacon:1 | n=1",
        ],
        "created=2 merged=0 rebound=2",
    );
    check(
        "relay MAC alternating two serials",
        &[
            obs(0, "wifi-beacon", RELAY, &[serial("EDRI-D1")]),
            obs(1, "wifi-beacon", RELAY, &[serial("EDRI-D2")]),
            obs(2, "wifi-beacon", RELAY, &[serial("EDRI-D1")]),
            obs(3, "wifi-beacon", RELAY, &[serial("EDRI-D2")]),
        ],
        &[
            "serial:EDRI-D1 |  | wifi-beacon:2 | n=2",
            "serial:EDRI-D2 | d4:f9:8d:04:03:f4 | wifi-beacon:2 | n=2",
        ],
        "created=2 merged=0 rebound=3",
    );
}

#[test]
fn a_relay_forwarding_a_type_0_id_and_a_serial() {
    check(
        "weak-id AirPlate and serial-numbered drone interleaved behind one relay MAC",
        &[
            obs(0, "wifi-beacon", RELAY, &[weak("ARPLF352709570738211")]),
            obs(1, "wifi-beacon", RELAY, &[serial("EDRI-D1")]),
            obs(2, "wifi-beacon", RELAY, &[weak("ARPLF352709570738211")]),
            obs(3, "wifi-beacon", RELAY, &[]),
        ],
        &[
            "unlabelled:ARPLF352709570738211 | d4:f9:8d:04:03:f4 | wifi-beacon:3 | n=3",
            "serial:EDRI-D1 |  | wifi-beacon:1 | n=1",
        ],
        "created=2 merged=0 rebound=2",
    );
    check(
        "a transmitter sending type-0 text and a serial in one pack keeps both",
        &[
            obs(0, "wifi-beacon", A, &[weak("W"), serial("X1")]),
            obs(1, "wifi-beacon", A, &[weak("W")]),
            obs(2, "wifi-beacon", A, &[serial("X1")]),
        ],
        &["serial:X1,unlabelled:W | 02:00:00:00:00:0a | wifi-beacon:3 | n=3"],
        "created=1 merged=0 rebound=0",
    );
}

#[test]
fn two_basic_ids_of_one_aircraft() {
    // bk_wireless_RID_test_linux_transmitter.pcapng: serial and session ID in one 9-message pack.
    check(
        "serial + session ID in one pack, later the session ID alone on BLE",
        &[
            obs(
                0,
                "wifi-beacon",
                Some("8c:17:59:f5:95:65"),
                &[
                    serial("112624150A90E3AE1EC0"),
                    session("4644333435344237373845353635433234423730"),
                    op("FIN87astrdge12k8"),
                ],
            ),
            obs(1, "ble-legacy", A, &[session("4644333435344237373845353635433234423730")]),
        ],
        &["serial:112624150A90E3AE1EC0,session-id:4644333435344237373845353635433234423730 | 02:00:00:00:00:0a,8c:17:59:f5:95:65 | ble-legacy:1,wifi-beacon:1 | n=2"],
        "created=1 merged=0 rebound=0",
    );
    check(
        "BLE legacy sends each Basic ID in its own advert",
        &[
            obs(0, "ble-legacy", A, &[serial("X1")]),
            obs(0, "ble-legacy", A, &[session("5E55")]),
            obs(1, "ble-legacy", A, &[]),
        ],
        &["serial:X1,session-id:5E55 | 02:00:00:00:00:0a | ble-legacy:3 | n=3"],
        "created=1 merged=0 rebound=0",
    );
}

#[test]
fn dji_serial_across_wifi_and_ocusync() {
    check(
        "DJI DroneID over Wi-Fi and OcuSync; the ASTM serial is not guessed to be the same aircraft",
        &[
            obs(0, "dji-wifi", Some("60:60:1f:00:00:01"), &[dji("0M6DF7700119BY")]),
            obs(1, "dji-ocusync", None, &[dji("0M6DF7700119BY")]),
            obs(2, "wifi-beacon", Some("60:60:1f:00:00:02"), &[serial("1581E0M6DF7700119BY")]),
        ],
        &[
            "dji-serial:0M6DF7700119BY | 60:60:1f:00:00:01 | dji-ocusync:1,dji-wifi:1 | n=2",
            "serial:1581E0M6DF7700119BY | 60:60:1f:00:00:02 | wifi-beacon:1 | n=1",
        ],
        "created=2 merged=0 rebound=0",
    );
}

#[test]
fn nothing_to_bind_is_dropped_and_counted() {
    let mut t = Tracker::new(TrackerConfig::default());
    let o = obs(0, "dji-encrypted", None, &[op("someone"), serial("\0\0 ")]);
    assert_eq!(t.ingest(&o, UnixMs(0)), []);
    assert_eq!((t.len(), t.unbound()), (0, 1));
}

#[test]
fn per_sensor_rssi_and_times_are_kept() {
    let mut t = Tracker::new(TrackerConfig::default());
    let mut o1 = obs(10, "wifi-beacon", A, &[serial("X1")]);
    o1.rssi_dbm = Some(-70.0);
    let mut o2 = obs(11, "ble-legacy", B, &[serial("X1")]);
    o2.sensor = track::SensorId("s2".into());
    o2.rssi_dbm = Some(-55.5);
    let mut o3 = obs(12, "wifi-beacon", A, &[]);
    o3.rssi_dbm = None;
    o3.reported_time = Some(track::ReportedTime::TenthsAfterHour(115));
    for o in [&o1, &o2, &o3] {
        t.ingest(o, o.received);
    }
    let tr = t.find(&serial("X1")).expect("track");
    let s: Vec<String> = tr
        .sensors
        .iter()
        .map(|(k, v)| format!("{k} {:?} {} {}", v.last_rssi_dbm, v.last_seen.0, v.count))
        .collect();
    assert_eq!(s, ["s1 Some(-70.0) 12000 2", "s2 Some(-55.5) 11000 1"]);
    assert_eq!((tr.first_seen.0, tr.last_seen.0), (10_000, 12_000));
    // 11.5 s after the hour, received 12 s after 1970-01-01 00:00.
    assert_eq!(tr.last_reported, Some(UnixMs(11_500)));
}
