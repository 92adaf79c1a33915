//! Store integration tests, each on a fresh database in a temporary directory.

mod detail;
mod ingest;

use store::{schema, Role, Store, TokenKind};

fn fresh() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("temp dir");
    let s = Store::open(dir.path()).expect("open");
    (dir, s)
}

#[test]
fn migrations_apply_once_and_record_the_version() {
    let dir = tempfile::tempdir().expect("temp dir");
    drop(Store::open(dir.path()).expect("first open"));
    // A second open finds the schema current and applies nothing.
    drop(Store::open(dir.path()).expect("second open"));
    let conn = rusqlite::Connection::open(dir.path().join(store::DB_FILE)).expect("raw open");
    assert_eq!(schema::version(&conn).expect("version"), schema::latest());
    let rows: i64 = conn
        .query_row("SELECT count(*) FROM schema_version", [], |r| r.get(0))
        .expect("count");
    assert_eq!(rows, schema::latest());
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .expect("mode");
    assert_eq!(mode, "wal");
}

#[test]
fn page_size_is_set_on_new_databases_and_kept_on_old_ones() {
    // (page size the database file is created with, page size it must have after the store opened it)
    let cases = [(None, store::PAGE_SIZE), (Some(4096), 4096)];
    for (existing, want) in cases {
        let dir = tempfile::tempdir().expect("temp dir");
        if let Some(size) = existing {
            // A database written by an earlier build, with SQLite's default pages.
            let conn =
                rusqlite::Connection::open(dir.path().join(store::DB_FILE)).expect("raw create");
            conn.pragma_update(None, "page_size", size)
                .expect("page size");
            conn.execute_batch("CREATE TABLE earlier(x); INSERT INTO earlier VALUES (1);")
                .expect("earlier data");
        }
        drop(Store::open(dir.path()).expect("open"));
        let conn = rusqlite::Connection::open(dir.path().join(store::DB_FILE)).expect("raw open");
        let got: i64 = conn
            .query_row("PRAGMA page_size", [], |r| r.get(0))
            .expect("page size");
        assert_eq!(got, want, "database created with {existing:?}");
        assert_eq!(schema::version(&conn).expect("version"), schema::latest());
        if existing.is_some() {
            let kept: i64 = conn
                .query_row("SELECT x FROM earlier", [], |r| r.get(0))
                .expect("earlier row");
            assert_eq!(kept, 1);
        }
    }
}

#[test]
fn a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().expect("temp dir");
    drop(Store::open(dir.path()).expect("open"));
    let conn = rusqlite::Connection::open(dir.path().join(store::DB_FILE)).expect("raw open");
    conn.execute("INSERT INTO schema_version(version) VALUES (999)", [])
        .expect("bump");
    drop(conn);
    match Store::open(dir.path()) {
        Err(store::Error::SchemaTooNew {
            found: 999,
            supported,
        }) => assert_eq!(supported, schema::latest()),
        Err(e) => panic!("unexpected error {e}"),
        Ok(_) => panic!("opened a database from the future"),
    }
}

#[test]
fn users_log_in_with_their_password_only() {
    let (_d, s) = fresh();
    let id = s
        .add_user("alice", Role::Operator, "s3cret", 1)
        .expect("hash")
        .wait()
        .expect("add");
    let u = s
        .check_password("alice", "s3cret")
        .expect("check")
        .expect("accepted");
    assert_eq!(
        (u.id, u.name.as_str(), u.role),
        (id, "alice", Role::Operator)
    );
    assert_eq!(s.check_password("alice", "wrong").expect("check"), None);
    assert_eq!(s.check_password("bob", "s3cret").expect("check"), None);
    // Names are unique.
    match s
        .add_user("alice", Role::Viewer, "x", 2)
        .expect("hash")
        .wait()
    {
        Err(store::Error::Exists(what)) => assert_eq!(what, "user alice"),
        other => panic!("expected Exists, got {other:?}"),
    }
}

#[test]
fn tokens_resolve_to_their_user_until_they_expire_or_are_revoked() {
    let (_d, s) = fresh();
    let id = s
        .add_user("op", Role::Admin, "pw", 0)
        .expect("hash")
        .wait()
        .expect("add");
    let t = s
        .create_token(id, TokenKind::Session, None, 1_000, Some(2_000))
        .wait()
        .expect("token");
    assert_eq!(t.len(), 64);
    assert_eq!(
        s.user_for_token(&t, 1_500).expect("lookup").map(|u| u.name),
        Some("op".into())
    );
    assert_eq!(
        s.user_for_token(&t, 2_000).expect("lookup"),
        None,
        "expired"
    );
    let api = s
        .create_token(id, TokenKind::Api, Some("ci".into()), 1_000, None)
        .wait()
        .expect("token");
    assert!(s.user_for_token(&api, i64::MAX).expect("lookup").is_some());
    assert!(s.revoke_token(&api).wait().expect("revoke"));
    assert_eq!(s.user_for_token(&api, 1_500).expect("lookup"), None);
    assert_eq!(
        s.user_for_token("not-a-token", 1_500).expect("lookup"),
        None
    );
    // Only the hash is stored: the token text appears nowhere in the database.
    let conn = rusqlite::Connection::open(s.path()).expect("raw");
    let n: i64 = conn
        .query_row(
            "SELECT count(*) FROM tokens WHERE hash = ?1 OR hex(hash) = upper(?1)",
            [&t],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(n, 0);
}

#[test]
fn sensors_are_found_by_token_and_keep_their_heartbeat() {
    let (_d, s) = fresh();
    let (id, token) = s.add_sensor("roof", 10).wait().expect("add");
    let found = s.sensor_for_token(&token).expect("lookup").expect("known");
    assert_eq!(
        (found.id, found.name.as_str(), found.last_heartbeat_ms),
        (id, "roof", None)
    );
    assert!(s.sensor_for_token("0000").expect("lookup").is_none());
    let hb = store::Heartbeat {
        lat: Some(48.5),
        lon: Some(2.25),
        alt_m: None,
        counters: Some(r#"{"wifi":3}"#.into()),
        software_version: Some("0.1.0".into()),
    };
    let after = s.heartbeat(id, hb, 5_000).wait().expect("heartbeat");
    assert_eq!(after.last_heartbeat_ms, Some(5_000));
    assert_eq!((after.lat, after.lon), (Some(48.5), Some(2.25)));
    // A heartbeat without position keeps the last one.
    let after = s
        .heartbeat(id, store::Heartbeat::default(), 6_000)
        .wait()
        .expect("heartbeat");
    assert_eq!(
        (
            after.last_heartbeat_ms,
            after.lat,
            after.counters.as_deref()
        ),
        (Some(6_000), Some(48.5), Some(r#"{"wifi":3}"#))
    );
    match s.add_sensor("roof", 11).wait() {
        Err(store::Error::Exists(what)) => assert_eq!(what, "sensor roof"),
        other => panic!("expected Exists, got {other:?}"),
    }
}

#[test]
fn zones_alerts_audit_and_settings_round_trip() {
    let (_d, s) = fresh();
    let z = s
        .add_zone(
            store::NewZone {
                name: "stadium".into(),
                restriction: "prohibited".into(),
                geojson: "{}".into(),
                lower_m: Some(0.0),
                upper_m: Some(120.0),
                radius_m: Some(500.0),
                format: "geojson".into(),
                source: None,
            },
            7,
        )
        .wait()
        .expect("zone");
    assert_eq!(s.zones().expect("zones"), vec![z.clone()]);
    // An edit keeps the id and creation time; an unknown id is None.
    let edit = |name: &str| store::NewZone {
        name: name.into(),
        restriction: "info".into(),
        geojson: "{}".into(),
        lower_m: None,
        upper_m: None,
        radius_m: None,
        format: "ed318".into(),
        source: Some("{\"features\":[]}".into()),
    };
    let e = s
        .update_zone(z.id, edit("arena"))
        .wait()
        .expect("update")
        .expect("exists");
    assert_eq!(
        (e.id, e.created_ms, e.name.as_str(), e.format.as_str()),
        (z.id, 7, "arena", "ed318")
    );
    assert_eq!(
        s.update_zone(z.id + 100, edit("x")).wait().expect("update"),
        None
    );
    // Many zones are added whole, or not at all (a failing job rolls back alone).
    assert_eq!(
        s.add_zones(vec![edit("a"), edit("b")], 8)
            .wait()
            .expect("add"),
        2
    );
    assert_eq!(s.zones().expect("zones").len(), 3);
    s.update_zone(z.id, edit("arena"))
        .wait()
        .expect("restore name");
    s.delete_zone(z.id + 1).wait().expect("delete");
    s.delete_zone(z.id + 2).wait().expect("delete");
    let z = s.zones().expect("zones").remove(0);
    let a = s
        .add_alerts(vec![store::NewAlert {
            kind: "zone-enter".into(),
            zone_id: Some(z.id),
            track_id: Some(3),
            track_key: None,
            time_ms: 100,
            details: None,
        }])
        .wait()
        .expect("alert");
    assert_eq!(a.len(), 1);
    let acked = s
        .ack_alert(a[0].id, "alice", 200)
        .wait()
        .expect("ack")
        .expect("exists");
    assert_eq!(
        (acked.ack_by.as_deref(), acked.ack_at_ms),
        (Some("alice"), Some(200))
    );
    assert_eq!(s.ack_alert(999, "alice", 200).wait().expect("ack"), None);
    assert_eq!(s.alerts(0, 10).expect("alerts"), vec![acked]);
    s.audit("alice", "zone.create", Some("stadium".into()), 300)
        .wait()
        .expect("audit");
    let log = s.audit_log(0, 10).expect("log");
    assert_eq!(log.len(), 1);
    assert_eq!(
        (
            log[0].actor.as_str(),
            log[0].action.as_str(),
            log[0].time_ms
        ),
        ("alice", "zone.create", 300)
    );
    s.set_setting("retention_days", "30").wait().expect("set");
    s.set_setting("retention_days", "7").wait().expect("set");
    assert_eq!(
        s.setting("retention_days").expect("get").as_deref(),
        Some("7")
    );
    assert!(s.delete_zone(z.id).wait().expect("delete"));
    assert!(s.zones().expect("zones").is_empty());
}

#[test]
fn admin_functions_work_on_a_data_directory() {
    let dir = tempfile::tempdir().expect("temp dir");
    let token = store::admin::sensor_add(dir.path(), "mast").expect("sensor");
    assert_eq!(token.len(), 64);
    assert!(token.bytes().all(|b| b.is_ascii_hexdigit()));
    store::admin::user_add(dir.path(), "root", Role::Admin, "pw").expect("user");
    let users = store::admin::user_list(dir.path()).expect("list");
    assert_eq!(
        users
            .iter()
            .map(|u| (u.name.as_str(), u.role))
            .collect::<Vec<_>>(),
        vec![("root", Role::Admin)]
    );
    let s = Store::open(dir.path()).expect("open");
    assert_eq!(
        s.sensor_for_token(&token).expect("lookup").map(|x| x.name),
        Some("mast".into())
    );
    let actions: Vec<String> = s
        .audit_log(0, 10)
        .expect("log")
        .into_iter()
        .map(|a| a.action)
        .collect();
    assert_eq!(actions, vec!["sensor.add", "user.add"]);
}
