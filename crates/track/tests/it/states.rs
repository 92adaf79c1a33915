//! Track life: active → lost → closed on timeouts, revival, and facts kept on the track.

use track::{
    AuthPage, LatLon, PilotKind, PilotPosition, TrackEvent, TrackState, Tracker, TrackerConfig,
    UnixMs,
};

use super::{at, obs, serial};

fn cfg() -> TrackerConfig {
    TrackerConfig {
        lost_after_ms: 10_000,
        close_after_ms: 60_000,
    }
}

fn names(ev: &[TrackEvent]) -> Vec<String> {
    ev.iter()
        .map(|e| match e {
            TrackEvent::Created { id } => format!("created {id}"),
            TrackEvent::Updated { id, point } => format!("updated {id} point={}", point.is_some()),
            TrackEvent::Merged { into, from, .. } => format!("merged {from}->{into}"),
            TrackEvent::Rebound { from, to, .. } => format!("rebound {from}->{to}"),
            TrackEvent::StateChanged { id, from, to } => format!("{id} {from:?}->{to:?}"),
            TrackEvent::Closed(t) => format!("closed {} {:?}", t.id, t.state),
        })
        .collect()
}

#[test]
fn timeouts_move_tracks_through_their_states() {
    let mut t = Tracker::new(cfg());
    let steps: &[(&str, i64, &[&str])] = &[
        ("ingest", 0, &["created T1", "updated T1 point=true"]),
        ("tick", 9_999, &[]),
        ("tick", 10_000, &["T1 Active->Lost"]),
        ("tick", 20_000, &[]),
        (
            "ingest",
            30_000,
            &["T1 Lost->Active", "updated T1 point=true"],
        ),
        ("tick", 89_999, &["T1 Active->Lost"]),
        ("tick", 90_000, &["closed T1 Closed"]),
        ("ingest", 91_000, &["created T2", "updated T2 point=true"]),
        ("tick", 200_000, &["T2 Active->Lost", "closed T2 Closed"]),
    ];
    for (what, now, expected) in steps {
        let ev = if *what == "ingest" {
            let o = at(
                obs(now / 1000, "wifi-beacon", None, &[serial("X1")]),
                46.0,
                7.0,
            );
            t.ingest(&o, UnixMs(*now))
        } else {
            t.tick(UnixMs(*now))
        };
        assert_eq!(names(&ev), *expected, "{what} at {now}");
    }
    assert!(t.is_empty());
}

#[test]
fn the_state_machine_runs_on_now_not_on_the_sensor_clock() {
    let mut t = Tracker::new(cfg());
    // A sensor whose clock is an hour behind.
    let o = obs(-3600, "wifi-beacon", None, &[serial("X1")]);
    t.ingest(&o, UnixMs(0));
    assert_eq!(t.tick(UnixMs(5_000)), []);
    assert_eq!(
        t.find(&serial("X1")).map(|x| x.state),
        Some(TrackState::Active)
    );
}

#[test]
fn facts_are_kept_and_invalid_positions_ignored() {
    let mut t = Tracker::new(cfg());
    let mut o = at(
        obs(1, "wifi-beacon", None, &[serial("X1")]),
        51.4791,
        -0.0013,
    );
    o.velocity.speed_mps = Some(5.5);
    o.velocity.track_deg = Some(216.0);
    o.velocity.vspeed_mps = Some(5.0);
    o.pilot = Some(PilotPosition {
        point: LatLon::new(0.001, -0.001),
        alt_geo_m: Some(20.5),
        kind: PilotKind::from_code(0),
    });
    o.self_id = Some("Drone ID test flight---".into());
    o.auth_pages = (0..3)
        .map(|p| AuthPage {
            auth_type: 1,
            page: p,
            last_page_index: (p == 0).then_some(2),
            data: vec![p; 3],
        })
        .collect();
    o.identities
        .push(track::Identity::OperatorId("FIN87astrdge12k8".into()));
    t.ingest(&o, o.received);
    // A later frame with a NaN position and no speed: position and speed stay.
    let mut bad = at(obs(2, "wifi-beacon", None, &[serial("X1")]), f64::NAN, 7.0);
    bad.velocity.track_deg = Some(217.0);
    let ev = t.ingest(&bad, bad.received);
    assert_eq!(names(&ev), ["updated T1 point=false"]);
    // (0, 0) is "unknown" in F3411 and DJI's "no fix": not a position, pilot or home point.
    let mut zero = at(obs(2, "dji-wifi", None, &[serial("X1")]), 0.0, 0.0);
    zero.home = Some(LatLon::new(0.0, 0.0));
    zero.pilot = Some(PilotPosition {
        point: LatLon::new(0.0, 0.0),
        alt_geo_m: None,
        kind: PilotKind::Live,
    });
    let ev = t.ingest(&zero, zero.received);
    assert_eq!(names(&ev), ["updated T1 point=false"]);
    assert_eq!(t.find(&serial("X1")).map(|x| x.home), Some(None));
    let tr = t.find(&serial("X1")).expect("track");
    let p = tr.position.expect("position");
    assert_eq!((p.point.lat, p.point.lon), (51.4791, -0.0013));
    assert_eq!(tr.position_received, Some(UnixMs(1000)));
    assert_eq!(
        (
            tr.velocity.speed_mps,
            tr.velocity.track_deg,
            tr.velocity.vspeed_mps
        ),
        (Some(5.5), Some(217.0), Some(5.0))
    );
    assert_eq!(tr.pilot.map(|p| p.kind), Some(PilotKind::Takeoff));
    assert_eq!(tr.operator_id.as_deref(), Some("FIN87astrdge12k8"));
    assert_eq!(tr.self_id.as_deref(), Some("Drone ID test flight---"));
    let pages: Vec<(u8, u8)> = tr.auth_pages.keys().copied().collect();
    assert_eq!(pages, [(1, 0), (1, 1), (1, 2)]);
    assert_eq!(tr.observations, 3);
}

#[test]
fn an_older_frame_does_not_replace_the_current_position() {
    let mut t = Tracker::new(cfg());
    let new = at(obs(5, "wifi-beacon", None, &[serial("X1")]), 46.0, 7.0);
    let old = at(obs(4, "ble-legacy", None, &[serial("X1")]), 45.0, 6.0);
    t.ingest(&new, UnixMs(5000));
    let ev = t.ingest(&old, UnixMs(5100));
    assert_eq!(names(&ev), ["updated T1 point=true"]);
    let p = t
        .find(&serial("X1"))
        .and_then(|x| x.position)
        .expect("position");
    assert_eq!(p.point.lat, 46.0);
}

#[test]
fn restored_tracks_own_their_ids_and_macs_again_and_time_out_from_their_activity() {
    // A tracker of a previous run knew two aircraft; their tracks come back into a new tracker.
    let mut old = Tracker::new(cfg());
    old.ingest(
        &obs(1, "wifi-beacon", Some("02:00:00:00:00:01"), &[serial("A")]),
        UnixMs(1_000),
    );
    old.ingest(
        &obs(2, "ble-legacy", Some("02:00:00:00:00:02"), &[serial("B")]),
        UnixMs(2_000),
    );
    let saved: Vec<_> = old.tracks().cloned().collect();

    let mut t = Tracker::new(cfg());
    // An aircraft heard before the restore keeps serial B: the restored track B loses that id.
    t.ingest(&obs(3, "wifi-nan", None, &[serial("B")]), UnixMs(3_000));
    let ids: Vec<_> = saved.into_iter().map(|s| t.restore(s)).collect();
    assert_eq!(
        ids.iter().map(|i| i.0).collect::<Vec<_>>(),
        [2, 3],
        "new ids after the live track"
    );
    assert_eq!(t.find(&serial("A")).map(|x| x.id), Some(ids[0]));
    assert_eq!(t.find(&serial("B")).map(|x| x.id.0), Some(1));
    assert!(!t.track(ids[1]).expect("B restored").has(&serial("B")));

    // A MAC-only frame binds to the restored track through its MAC hint.
    let ev = t.ingest(
        &obs(4, "wifi-beacon", Some("02:00:00:00:00:01"), &[]),
        UnixMs(4_000),
    );
    assert_eq!(names(&ev), [format!("updated {} point=false", ids[0])]);

    // Timeouts run from each track's last activity: restored B (2 s) goes lost first, and closes first.
    assert_eq!(
        names(&t.tick(UnixMs(12_000))),
        [format!("{} Active->Lost", ids[1])]
    );
    let closing = names(&t.tick(UnixMs(62_000)));
    assert_eq!(
        closing,
        [
            "T1 Active->Lost".to_owned(),
            format!("{} Active->Lost", ids[0]),
            format!("closed {} Closed", ids[1])
        ]
    );
}
