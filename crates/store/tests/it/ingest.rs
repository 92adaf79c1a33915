//! Batch ingest: idempotent replay, track merging, isolation of a failed job from its commit group.

use store::{NewDetection, Store, TrackFacts};

fn det(seq: i64, time_ms: i64, key: &str, pos: Option<(f64, f64)>) -> NewDetection {
    NewDetection {
        seq,
        time_ms,
        transport: if key.starts_with("dji") {
            "dji-wifi".into()
        } else {
            "ble-legacy".into()
        },
        line: format!("{{\"seq\":{seq}}}"),
        track: Some(TrackFacts {
            key: key.into(),
            uas_id: Some(key.trim_start_matches("rid:").into()),
            lat: pos.map(|p| p.0),
            lon: pos.map(|p| p.1),
            ..TrackFacts::default()
        }),
    }
}

fn fresh() -> (tempfile::TempDir, Store, i64) {
    let dir = tempfile::tempdir().expect("temp dir");
    let s = Store::open(dir.path()).expect("open");
    let (id, _) = s.add_sensor("s1", 0).wait().expect("sensor");
    (dir, s, id)
}

#[test]
fn a_replayed_batch_is_stored_once() {
    let (_d, s, sid) = fresh();
    let batch: Vec<_> = (1..=5)
        .map(|i| det(i, 1_000 + i, "rid:A", Some((48.0, 2.0))))
        .collect();
    let first = s
        .ingest(sid, "s1", 9, batch.clone())
        .wait()
        .expect("ingest");
    assert_eq!((first.stored, first.duplicates), (5, 0));
    let again = s.ingest(sid, "s1", 10, batch).wait().expect("replay");
    assert_eq!(
        (again.stored, again.duplicates, again.tracks.len()),
        (0, 5, 0)
    );
    // Overlapping batch: 4 and 5 are old, 6 is new.
    let overlap: Vec<_> = (4..=6).map(|i| det(i, 1_000 + i, "rid:A", None)).collect();
    let o = s.ingest(sid, "s1", 11, overlap).wait().expect("overlap");
    assert_eq!((o.stored, o.duplicates), (1, 2));
    // A sequence number twice in one batch is stored once.
    let twice = vec![det(7, 1_007, "rid:A", None), det(7, 1_007, "rid:A", None)];
    let o = s.ingest(sid, "s1", 12, twice).wait().expect("twice");
    assert_eq!((o.stored, o.duplicates), (1, 1));
    assert_eq!(s.detection_count().expect("count"), 7);
    let t = s.tracks(None).expect("tracks");
    assert_eq!(t.len(), 1);
    assert_eq!(t[0].detections, 7);
    assert_eq!(s.sensors().expect("sensors")[0].detections_stored, 7);
}

#[test]
fn tracks_keep_the_latest_position_and_collect_transports_and_sensors() {
    let (_d, s, sid) = fresh();
    let (sid2, _) = s.add_sensor("s2", 0).wait().expect("sensor");
    let b1 = vec![
        det(1, 2_000, "rid:A", Some((48.0, 2.0))),
        det(2, 3_000, "rid:A", Some((48.1, 2.1))),
    ];
    let out = s.ingest(sid, "s1", 3_100, b1).wait().expect("ingest");
    assert_eq!(out.tracks.len(), 1);
    let t = &out.tracks[0];
    assert_eq!(
        (t.lat, t.lon, t.first_seen_ms, t.last_seen_ms),
        (Some(48.1), Some(2.1), 2_000, 3_000)
    );
    // An older detection from another sensor does not move the track back, but is counted.
    let mut late = det(1, 2_500, "rid:A", Some((47.0, 1.0)));
    late.transport = "wifi-beacon".into();
    let out = s
        .ingest(sid2, "s2", 3_200, vec![late])
        .wait()
        .expect("ingest");
    let t = &out.tracks[0];
    assert_eq!((t.lat, t.lon, t.detections), (Some(48.1), Some(2.1), 3));
    assert_eq!(t.transports, vec!["ble-legacy", "wifi-beacon"]);
    assert_eq!(t.sensors, vec!["s1", "s2"]);
    let path = s.track_path(t.id, 0, i64::MAX).expect("path");
    let times: Vec<i64> = path.iter().map(|p| p.time_ms).collect();
    assert_eq!(times, vec![2_000, 2_500, 3_000]);
    // Window and area queries.
    let area = store::Area {
        min_lat: 47.5,
        min_lon: 1.5,
        max_lat: 48.5,
        max_lon: 2.5,
    };
    assert_eq!(s.tracks_in(0, 10_000, Some(area)).expect("in").len(), 1);
    assert_eq!(s.tracks_in(4_000, 10_000, Some(area)).expect("in").len(), 0);
    assert_eq!(
        s.detections(2_400, 2_600, None, 100).expect("dets").len(),
        1
    );
    assert_eq!(
        s.detections(0, 10_000, Some(area), 100)
            .expect("dets")
            .len(),
        2
    );
}

#[test]
fn concurrent_batches_are_group_committed_and_all_answered() {
    let (_d, s, sid) = fresh();
    let tickets: Vec<_> = (0..50)
        .map(|b| {
            let batch = (0..100)
                .map(|i| {
                    det(
                        b * 100 + i,
                        b * 100 + i,
                        &format!("rid:{}", i % 7),
                        Some((1.0, 1.0)),
                    )
                })
                .collect();
            s.ingest(sid, "s1", 0, batch)
        })
        .collect();
    let stored: usize = tickets
        .into_iter()
        .map(|t| t.wait().expect("ingest").stored)
        .sum();
    assert_eq!(stored, 5_000);
    assert_eq!(s.detection_count().expect("count"), 5_000);
    assert_eq!(
        s.tracks(None)
            .expect("tracks")
            .iter()
            .map(|t| t.detections)
            .sum::<i64>(),
        5_000
    );
}

#[test]
fn a_failed_job_rolls_back_alone() {
    let (_d, s, sid) = fresh();
    // Queue a good batch, a failing job (duplicate sensor name) and another good batch without waiting, so
    // that they are likely to share one transaction.
    let a = s.ingest(sid, "s1", 0, vec![det(1, 1, "rid:A", None)]);
    let bad = s.add_sensor("s1", 0);
    let b = s.ingest(sid, "s1", 0, vec![det(2, 2, "rid:A", None)]);
    assert_eq!(a.wait().expect("a").stored, 1);
    assert!(matches!(bad.wait(), Err(store::Error::Exists(_))));
    assert_eq!(b.wait().expect("b").stored, 1);
    assert_eq!(s.detection_count().expect("count"), 2);
    assert_eq!(s.sensors().expect("sensors").len(), 1);
    // The good jobs ran again after the rollback: each counted once, not twice and not zero times.
    let tracks = s.tracks(None).expect("tracks");
    assert_eq!(tracks.len(), 1);
    assert_eq!(tracks[0].detections, 2);
    assert_eq!(s.sensors().expect("sensors")[0].detections_stored, 2);
}

#[test]
fn retention_purges_old_detections() {
    let (_d, s, sid) = fresh();
    let batch = vec![det(1, 1_000, "rid:A", None), det(2, 5_000, "rid:A", None)];
    s.ingest(sid, "s1", 0, batch).wait().expect("ingest");
    assert_eq!(s.purge_before(2_000).wait().expect("purge"), 1);
    assert_eq!(s.detection_count().expect("count"), 1);
}

#[test]
fn merging_tracks_repoints_history_and_alerts_and_sums_counts() {
    let (_d, s, sid) = fresh();
    s.ingest(
        sid,
        "s1",
        1,
        vec![
            det(1, 1_000, "rid:A", Some((48.0, 2.0))),
            det(2, 2_000, "dji:B", Some((48.1, 2.1))),
            det(3, 3_000, "dji:B", Some((48.2, 2.2))),
        ],
    )
    .wait()
    .expect("ingest");
    let b = s.tracks(None).expect("tracks");
    let b_id = b.iter().find(|t| t.key == "dji:B").expect("B").id;
    s.add_alerts(vec![store::NewAlert {
        kind: "zone-enter".into(),
        zone_id: None,
        track_id: None,
        track_key: Some("dji:B".into()),
        time_ms: 3_000,
        details: None,
    }])
    .wait()
    .expect("alert");
    let m = s
        .merge_tracks("rid:A", "dji:B")
        .wait()
        .expect("merge")
        .expect("rows");
    assert_eq!(m.removed, Some(b_id));
    let t = &m.survivor;
    assert_eq!(
        (
            t.key.as_str(),
            t.detections,
            t.first_seen_ms,
            t.last_seen_ms,
            t.lat,
            t.lon
        ),
        ("rid:A", 3, 1_000, 3_000, Some(48.2), Some(2.2))
    );
    assert_eq!(t.transports, vec!["ble-legacy", "dji-wifi"]);
    assert_eq!(s.tracks(None).expect("tracks").len(), 1);
    assert_eq!(s.track_path(t.id, 0, i64::MAX).expect("path").len(), 3);
    assert_eq!(s.alerts(0, 10).expect("alerts")[0].track_id, Some(t.id));
    // States by key; an unknown key changes nothing.
    let rows = s
        .set_track_states(vec![
            ("rid:A".into(), "lost".into()),
            ("nope".into(), "lost".into()),
        ])
        .wait()
        .expect("states");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].state, "lost");
    assert_eq!(s.close_open_tracks().wait().expect("close"), 1);
    assert_eq!(s.tracks(None).expect("tracks")[0].state, "closed");
}

#[test]
fn the_stored_path_keeps_one_point_per_interval_and_fills_gaps_with_late_detections() {
    let (_d, s, sid) = fresh();
    let every = store::POINT_EVERY_MS;
    // (reported time, a point expected): the first, then one per interval; one unpositioned; a late one
    // that falls in a gap of the path; a late one too close to a point.
    let cases = [
        (10_000, true),
        (10_000 + every / 2, false),
        (10_000 + every, true),
        (10_000 + every + 1, false),
        (10_000 + 4 * every, true),
        (10_000 + 2 * every + every / 2, true),
        (10_000 + 4 * every - 1, false),
    ];
    let batch: Vec<NewDetection> = cases
        .iter()
        .enumerate()
        .map(|(i, (t, _))| {
            det(
                i as i64 + 1,
                *t,
                "rid:A",
                Some((48.0 + i as f64 * 1e-3, 2.0)),
            )
        })
        .chain([det(100, 10_000 + 8 * every, "rid:A", None)])
        .collect();
    s.ingest(sid, "s1", 1, batch).wait().expect("ingest");
    let id = s.tracks(None).expect("tracks")[0].id;
    let path: Vec<i64> = s
        .track_path(id, 0, i64::MAX)
        .expect("path")
        .iter()
        .map(|p| p.time_ms)
        .collect();
    let mut want: Vec<i64> = cases.iter().filter(|c| c.1).map(|c| c.0).collect();
    want.sort_unstable();
    assert_eq!(path, want);
    // Every detection is still stored, with its position.
    assert_eq!(s.detection_count().expect("count"), cases.len() as i64 + 1);
    assert_eq!(
        s.detections(0, i64::MAX, None, 100)
            .expect("detections")
            .iter()
            .filter(|d| d.lat.is_some())
            .count(),
        cases.len()
    );
    // A replayed batch adds no point.
    let again: Vec<NewDetection> = (0..cases.len())
        .map(|i| det(i as i64 + 1, 10_000 + 16 * every, "rid:A", Some((1.0, 1.0))))
        .collect();
    s.ingest(sid, "s1", 2, again).wait().expect("replay");
    assert_eq!(
        s.track_path(id, 0, i64::MAX).expect("path").len(),
        want.len()
    );
}

#[test]
fn a_path_written_before_version_6_is_carried_over_whole() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join(store::DB_FILE);
    {
        // A database as version 5 left it: detections indexed by (track, time), no point table.
        let mut c = rusqlite::Connection::open(&path).expect("open");
        let tx = c.transaction().expect("tx");
        tx.execute_batch("CREATE TABLE schema_version(version INTEGER NOT NULL)")
            .expect("version table");
        for (i, sql) in store::schema::MIGRATIONS[..5].iter().enumerate() {
            tx.execute_batch(sql).expect("old migration");
            tx.execute(
                "INSERT INTO schema_version(version) VALUES (?1)",
                [i as i64 + 1],
            )
            .expect("version");
        }
        tx.execute_batch(
            "INSERT INTO sensors(id, name, token_hash, created_ms) VALUES (1, 's', x'00', 0);
             INSERT INTO tracks(id, key, first_seen_ms, last_seen_ms, detections) VALUES (7, 'rid:A', 1000, 1100, 3);
             INSERT INTO detections(sensor_id, seq, received_ms, time_ms, transport, track_id, lat, lon, alt_m, line)
               VALUES (1, 1, 0, 1000, 'wifi-beacon', 7, 48.0, 2.0, 100.0, '{}'),
                      (1, 2, 0, 1050, 'wifi-beacon', 7, 48.1, 2.1, NULL, '{}'),
                      (1, 3, 0, 1050, 'ble-legacy', 7, 48.2, 2.2, NULL, '{}'),
                      (1, 4, 0, 1100, 'wifi-beacon', 7, NULL, NULL, NULL, '{}');",
        )
        .expect("rows");
        tx.commit().expect("commit");
    }
    let s = Store::open(dir.path()).expect("migrate");
    let pts = s.track_path(7, 0, i64::MAX).expect("path");
    // Every positioned detection, the first of two at the same millisecond.
    let got: Vec<(i64, f64, Option<f64>)> =
        pts.iter().map(|p| (p.time_ms, p.lat, p.alt_m)).collect();
    assert_eq!(got, vec![(1000, 48.0, Some(100.0)), (1050, 48.1, None)]);
    assert_eq!(s.detection_count().expect("count"), 4);
}

#[test]
fn ingest_live_hands_the_changed_rows_over_before_the_answer() {
    let (_d, s, sid) = fresh();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = seen.clone();
    let out = s
        .ingest_live(
            sid,
            "s1",
            1,
            vec![
                det(1, 1_000, "rid:A", Some((48.0, 2.0))),
                det(2, 1_500, "rid:B", None),
                det(3, 2_000, "rid:A", Some((48.1, 2.1))),
            ],
            Box::new(move |rows| {
                sink.lock()
                    .expect("lock")
                    .extend(rows.into_iter().map(|r| (r.key, r.detections, r.lat)));
            }),
        )
        .wait()
        .expect("ingest");
    assert_eq!((out.stored, out.tracks.len()), (3, 0));
    let mut got = seen.lock().expect("lock").clone();
    got.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        got,
        vec![("rid:A".into(), 2, Some(48.1)), ("rid:B".into(), 1, None)]
    );
}
