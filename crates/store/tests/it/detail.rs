//! The tracker's detail of a track: written with the row, newest batch wins, read back after reopening.

use store::{NewDetection, SensorSeenRow, Store, TrackDetail, TrackFacts};

fn det(seq: i64, time_ms: i64, detail: Option<TrackDetail>) -> NewDetection {
    NewDetection {
        seq,
        time_ms,
        transport: "wifi-beacon".into(),
        line: format!("{{\"seq\":{seq}}}"),
        track: Some(TrackFacts {
            key: "k-1".into(),
            lat: Some(48.0),
            lon: Some(2.0),
            detail,
            ..TrackFacts::default()
        }),
    }
}

fn detail(speed: f64, model: &str) -> TrackDetail {
    TrackDetail {
        speed_mps: Some(speed),
        heading_deg: Some(270.0),
        climb_mps: Some(-0.5),
        height_m: Some(31.5),
        height_ref: Some("takeoff".into()),
        pilot_kind: Some("live".into()),
        model: Some(model.into()),
        ua_type: Some("rotorcraft".into()),
        operator_id: Some("FIN87astrdge12k8".into()),
        auth_pages: 3,
        last_reported_ms: Some(1_500),
        sensors_seen: vec![SensorSeenRow {
            name: "s1".into(),
            rssi_dbm: Some(-61.0),
            last_seen_ms: 1_600,
        }],
        ..TrackDetail::default()
    }
}

#[test]
fn detail_is_stored_newest_wins_and_survives_a_reopen() {
    let dir = tempfile::tempdir().expect("temp dir");
    let s = Store::open(dir.path()).expect("open");
    let (sid, _) = s.add_sensor("s1", 0).wait().expect("sensor");
    let out = s
        .ingest(
            sid,
            "s1",
            10,
            vec![det(1, 1_000, None), det(2, 2_000, Some(detail(7.5, "A")))],
        )
        .wait()
        .expect("ingest");
    assert_eq!(*out.tracks[0].detail, detail(7.5, "A"));
    // A newer batch replaces it; an older one (replayed late) does not.
    s.ingest(sid, "s1", 11, vec![det(3, 3_000, Some(detail(9.0, "B")))])
        .wait()
        .expect("newer");
    s.ingest(sid, "s1", 12, vec![det(4, 500, Some(detail(1.0, "old")))])
        .wait()
        .expect("older");
    // A batch without detail keeps the stored one.
    s.ingest(sid, "s1", 13, vec![det(5, 4_000, None)])
        .wait()
        .expect("bare");
    drop(s);
    let s = Store::open(dir.path()).expect("reopen");
    let rows = s.tracks(None).expect("tracks");
    assert_eq!(rows.len(), 1);
    assert_eq!(*rows[0].detail, detail(9.0, "B"));
    assert_eq!(
        *s.open_tracks().expect("open tracks")[0].detail,
        detail(9.0, "B")
    );
}

#[test]
fn unreadable_or_old_detail_reads_as_empty() {
    assert_eq!(*TrackDetail::from_json("{}"), TrackDetail::default());
    assert_eq!(*TrackDetail::from_json("not json"), TrackDetail::default());
    // Unknown values are left out of the stored JSON.
    assert_eq!(TrackDetail::default().to_json(), "{}");
    let d = detail(3.0, "M");
    assert!(!d.to_json().contains("null"), "{}", d.to_json());
    assert_eq!(*TrackDetail::from_json(&d.to_json()), d);
}
