//! Alert rules with a controlled clock: zone enter/exit/dwell, cooldowns, allowlist, watchlist, pilot.

use std::collections::BTreeSet;

use track::zones::{Restriction, Zone, ZoneIndex};
use track::{
    AlertConfig, AlertEngine, Identity, LatLon, PilotKind, PilotPosition, Tracker, TrackerConfig,
    UnixMs,
};

use super::{at, obs, serial};

const IN: (f64, f64) = (47.0, 8.0);
const OUT: (f64, f64) = (47.1, 8.0);

fn zones() -> ZoneIndex {
    ZoneIndex::new(vec![Zone::circle(
        "Z",
        LatLon::new(47.0, 8.0),
        1000.0,
        Restriction::Prohibited,
    )])
}

/// Runs a flight of `serial` through `steps` (seconds, position); checks the alerts of each step as
/// `kind[@zone]` strings.
fn check(config: AlertConfig, id: &str, steps: &[(i64, (f64, f64), &[&str])]) {
    let idx = zones();
    let mut tracker = Tracker::new(TrackerConfig::default());
    let mut engine = AlertEngine::new(config);
    for (t, (lat, lon), want) in steps {
        let now = UnixMs(t * 1000);
        let o = at(obs(*t, "wifi-beacon", None, &[serial(id)]), *lat, *lon);
        for e in tracker.ingest(&o, now) {
            engine.observe(&e);
        }
        let track = tracker.find(&serial(id)).expect("track");
        let got: Vec<String> = engine
            .evaluate(track, &idx, now)
            .iter()
            .map(|a| match &a.zone {
                Some(z) => format!("{}@{z}", a.kind.as_str()),
                None => a.kind.as_str().to_owned(),
            })
            .collect();
        assert_eq!(got, *want, "at t={t}");
    }
}

fn cfg(dwell_s: i64, cooldown_s: i64) -> AlertConfig {
    AlertConfig {
        dwell_ms: dwell_s * 1000,
        cooldown_ms: cooldown_s * 1000,
        ..AlertConfig::default()
    }
}

#[test]
fn enter_dwell_exit_with_cooldown() {
    check(
        cfg(30, 60),
        "X1",
        &[
            (0, OUT, &[]),
            (10, IN, &["aircraft-in-zone@Z", "zone-enter@Z"]),
            (20, IN, &[]),
            (40, IN, &["dwell@Z"]),
            (50, IN, &[]),
            (70, IN, &["aircraft-in-zone@Z"]),
            (75, OUT, &["zone-exit@Z"]),
            // Back in within the enter cooldown (60 s from t=10 ends at 70): enter fires again at 80 …
            (80, IN, &["zone-enter@Z"]),
            // … but flapping out and in again is suppressed until the cooldowns pass.
            (85, OUT, &[]),
            (90, IN, &[]),
            (125, IN, &["dwell@Z"]),
            (135, OUT, &["zone-exit@Z"]),
        ],
    );
}

#[test]
fn allowlisted_aircraft_never_alert() {
    let mut c = cfg(1, 1);
    c.allowlist = BTreeSet::from([serial("OK1")]);
    c.watchlist = BTreeSet::from([serial("OK1")]);
    c.alert_unknown = true;
    check(c, "OK1", &[(0, IN, &[]), (10, OUT, &[]), (20, IN, &[])]);
}

#[test]
fn watchlist_and_unknown_aircraft() {
    let mut c = cfg(1000, 60);
    c.watchlist = BTreeSet::from([serial("BAD")]);
    c.alert_unknown = true;
    check(
        c.clone(),
        "BAD",
        &[
            (0, OUT, &["watchlist", "unknown-aircraft"]),
            (30, OUT, &[]),
            (60, OUT, &["watchlist", "unknown-aircraft"]),
        ],
    );
    check(
        c,
        "OTHER",
        &[(0, OUT, &["unknown-aircraft"]), (59, OUT, &[])],
    );
}

#[test]
fn operator_id_on_the_allowlist_covers_its_aircraft() {
    let idx = zones();
    let mut c = cfg(1, 1);
    c.allowlist = BTreeSet::from([Identity::OperatorId("CHE-POLICE".into())]);
    let mut engine = AlertEngine::new(c);
    let mut tracker = Tracker::new(TrackerConfig::default());
    let mut o = at(obs(0, "wifi-beacon", None, &[serial("P1")]), IN.0, IN.1);
    o.identities.push(Identity::OperatorId("CHE-POLICE".into()));
    tracker.ingest(&o, UnixMs(0));
    let t = tracker.find(&serial("P1")).expect("track");
    assert!(engine.is_allowed(t));
    assert_eq!(engine.evaluate(t, &idx, UnixMs(0)), []);
}

#[test]
fn pilot_in_zone() {
    let idx = zones();
    let mut engine = AlertEngine::new(cfg(1000, 60));
    let mut tracker = Tracker::new(TrackerConfig::default());
    let mut o = at(
        obs(0, "dji-wifi", None, &[Identity::DjiSerial("D1".into())]),
        OUT.0,
        OUT.1,
    );
    o.pilot = Some(PilotPosition {
        point: LatLon::new(IN.0, IN.1),
        alt_geo_m: None,
        kind: PilotKind::Live,
    });
    tracker.ingest(&o, UnixMs(0));
    let t = tracker
        .find(&Identity::DjiSerial("D1".into()))
        .expect("track");
    let alerts = engine.evaluate(t, &idx, UnixMs(0));
    let got: Vec<String> = alerts
        .iter()
        .map(|a| {
            format!(
                "{} {:?} {:?} {}",
                a.kind.as_str(),
                a.zone.as_ref().map(|z| z.0.as_str()),
                a.restriction,
                a.details
            )
        })
        .collect();
    assert_eq!(
        got,
        ["pilot-in-zone Some(\"Z\") Some(Prohibited) pilot in Z"]
    );
}

/// Editing the lists keeps zone stays and cooldowns: an aircraft already inside does not re-enter, and a
/// newly watchlisted one alerts for the watchlist only.
#[test]
fn changing_the_lists_keeps_what_the_engine_learnt() {
    let idx = zones();
    let mut tracker = Tracker::new(TrackerConfig::default());
    let mut engine = AlertEngine::new(cfg(600, 60));
    let mut step = |engine: &mut AlertEngine, t: i64| -> Vec<String> {
        let now = UnixMs(t * 1000);
        let o = at(obs(t, "wifi-beacon", None, &[serial("S1")]), IN.0, IN.1);
        for e in tracker.ingest(&o, now) {
            engine.observe(&e);
        }
        let track = tracker.find(&serial("S1")).expect("track");
        engine
            .evaluate(track, &idx, now)
            .iter()
            .map(|a| a.kind.as_str().to_owned())
            .collect()
    };
    let first = step(&mut engine, 0);
    assert!(first.contains(&"zone-enter".to_owned()), "{first:?}");
    engine.set_config(AlertConfig {
        watchlist: BTreeSet::from([serial("S1")]),
        ..cfg(600, 60)
    });
    assert_eq!(engine.config().watchlist.len(), 1);
    let after = step(&mut engine, 5);
    assert!(!after.contains(&"zone-enter".to_owned()), "{after:?}");
    assert!(after.contains(&"watchlist".to_owned()), "{after:?}");
}

/// A restart at any point of a flight gives the alerts an uninterrupted engine gives, once the new engine
/// is restored from the alerts raised before it: no second "enter" for an aircraft already inside, dwell
/// counted from the real entry, cooldowns kept, exit still seen.
#[test]
fn an_engine_restored_from_the_alert_history_continues_as_if_never_stopped() {
    // (seconds, position): outside, enter at 10, stay (dwell 30 s fires at 40), leave at 70, come back at
    // 200 (after the cooldown), leave again.
    let flight: &[(i64, (f64, f64))] = &[
        (0, OUT),
        (10, IN),
        (20, IN),
        (35, IN),
        (45, IN),
        (60, IN),
        (70, OUT),
        (80, OUT),
        (200, IN),
        (215, IN),
        (250, IN),
        (260, OUT),
    ];
    let idx = zones();
    let run = |restart_at: Option<usize>| -> Vec<Vec<String>> {
        let mut tracker = Tracker::new(TrackerConfig::default());
        let mut engine = AlertEngine::new(cfg(30, 60));
        let mut history = Vec::new();
        let mut out = Vec::new();
        for (i, (t, (lat, lon))) in flight.iter().enumerate() {
            let now = UnixMs(t * 1000);
            let o = at(obs(*t, "wifi-beacon", None, &[serial("S1")]), *lat, *lon);
            for e in tracker.ingest(&o, now) {
                engine.observe(&e);
            }
            let track = tracker.find(&serial("S1")).expect("track");
            if restart_at == Some(i) {
                engine = AlertEngine::new(cfg(30, 60));
                engine.restore(track.id, &history, &idx);
            }
            let alerts = engine.evaluate(track, &idx, now);
            history.extend(alerts.iter().map(|a| (a.kind, a.zone.clone(), a.time)));
            out.push(
                alerts
                    .iter()
                    .map(|a| format!("{}@{t}", a.kind.as_str()))
                    .collect(),
            );
        }
        out
    };
    let uninterrupted = run(None);
    assert!(
        uninterrupted.iter().flatten().any(|a| a == "dwell@45"),
        "{uninterrupted:?}"
    );
    for restart in 1..flight.len() {
        assert_eq!(
            run(Some(restart)),
            uninterrupted,
            "restart before step {restart}"
        );
    }
    // Without the history the restarted engine would alert "enter" again for an aircraft inside.
    assert_eq!(
        track::AlertKind::parse("zone-enter"),
        Some(track::AlertKind::ZoneEnter)
    );
    assert_eq!(track::AlertKind::parse("nope"), None);
}
