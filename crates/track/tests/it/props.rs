//! Property tests: the tracker never panics and keeps its indexes consistent on arbitrary observations;
//! the zone index answers exactly what a brute-force scan answers.

use proptest::prelude::*;
use track::zones::{Restriction, Zone, ZoneIndex};
use track::{
    Identity, LatLon, Mac, Observation, PilotKind, PilotPosition, Position, ReportedTime, Tracker,
    TrackerConfig, Transport, UnixMs,
};

fn identity() -> impl Strategy<Value = Identity> {
    let v = prop_oneof![
        Just("A".to_owned()),
        Just("B".to_owned()),
        Just("C".to_owned()),
        Just("\0 ".to_owned())
    ];
    (0u8..9, v).prop_map(|(k, v)| match k {
        0 => Identity::Serial(v),
        1 => Identity::CaaRegistration(v),
        2 => Identity::UtmUuid(v),
        3 => Identity::SessionId(v),
        4 => Identity::DjiSerial(v),
        5 => Identity::FrenchId(v),
        6 => Identity::DjiSessionHash(v),
        7 => Identity::Unlabelled(v),
        _ => Identity::OperatorId(v),
    })
}

fn float() -> impl Strategy<Value = f64> {
    prop_oneof![
        -200.0..200.0f64,
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(0.0)
    ]
}

fn observation() -> impl Strategy<Value = (Observation, i64)> {
    (
        (0i64..100_000, -1_000_000i64..1_000_000),
        0usize..9,
        proptest::option::of(0u8..4),
        proptest::collection::vec(identity(), 0..4),
        proptest::option::of((float(), float(), proptest::option::of(float()))),
        proptest::option::of(any::<u16>()),
        proptest::option::of((float(), float(), 0u8..5)),
    )
        .prop_map(|((now, skew), tr, mac, ids, pos, tenths, pilot)| {
            let names = [
                "wifi-beacon",
                "wifi-nan",
                "ble-legacy",
                "ble-long-range",
                "dji-wifi",
                "fr-beacon",
                "dji-ocusync",
                "dji-encrypted",
                "lora",
            ];
            let mut o = Observation::new(
                "s",
                UnixMs(now.saturating_add(skew)),
                Transport::parse(names[tr]),
            );
            o.mac = mac.map(|m| Mac([2, 0, 0, 0, 0, m]));
            o.identities = ids;
            o.position = pos.map(|(lat, lon, h)| Position {
                height_m: h,
                ..Position::at(lat, lon)
            });
            o.reported_time = tenths.map(ReportedTime::TenthsAfterHour);
            o.pilot = pilot.map(|(lat, lon, k)| PilotPosition {
                point: LatLon::new(lat, lon),
                alt_geo_m: None,
                kind: PilotKind::from_code(k),
            });
            (o, now)
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn tracker_never_panics_and_stays_consistent(mut input in proptest::collection::vec(observation(), 1..40)) {
        input.sort_by_key(|(_, now)| *now);
        let mut t = Tracker::new(TrackerConfig { lost_after_ms: 10_000, close_after_ms: 40_000 });
        for (o, now) in &input {
            t.ingest(o, UnixMs(*now));
            t.tick(UnixMs(*now));
            for tr in t.tracks() {
                for id in &tr.identities {
                    // Every bound identity leads back to its one track.
                    prop_assert_eq!(t.find(id).map(|x| x.id), Some(tr.id));
                }
            }
        }
    }

    #[test]
    fn zone_index_equals_brute_force(
        circles in proptest::collection::vec((-89.0..89.0f64, -180.0..180.0f64, 1.0..500_000.0f64), 1..60),
        points in proptest::collection::vec((-90.0..90.0f64, -180.0..180.0f64), 1..60),
    ) {
        let zones: Vec<Zone> = circles
            .iter()
            .enumerate()
            .map(|(i, (lat, lon, r))| Zone::circle(&i.to_string(), LatLon::new(*lat, *lon), *r, Restriction::Info))
            .collect();
        let idx = ZoneIndex::new(zones.clone());
        // Include points next to each circle so that hits are common, not rare.
        let near = circles.iter().map(|(lat, lon, r)| (lat + r / 111_195.0 * 0.9, *lon));
        for (lat, lon) in points.iter().copied().chain(near) {
            let p = LatLon::new(lat.clamp(-90.0, 90.0), lon);
            let mut got: Vec<String> = idx.containing(p).map(|z| z.id.0.clone()).collect();
            got.sort();
            let mut want: Vec<String> = zones.iter().filter(|z| z.geometry.contains(p)).map(|z| z.id.0.clone()).collect();
            want.sort();
            prop_assert_eq!(got, want, "at {:?}", p);
        }
    }
}
