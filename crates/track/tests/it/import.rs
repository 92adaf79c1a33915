//! Importers over the real zone files (`testdata::file("zones", ..)`) and small fixtures written here.

use geo::InteriorPoint;
use track::zones::import::{self, ImportError};
use track::zones::{AltitudeRef, Geometry, Restriction, Zone, ZoneIndex};
use track::{LatLon, UnixMs};

fn read(name: &str) -> Option<String> {
    let p = testdata::file("zones", name)?;
    Some(std::fs::read_to_string(p).expect("readable zone file"))
}

fn find<'a>(zones: &'a [Zone], id: &str) -> &'a Zone {
    zones.iter().find(|z| z.id.0 == id).expect(id)
}

fn interior(z: &Zone) -> LatLon {
    match &z.geometry {
        Geometry::Polygon(mp) => {
            let p = mp.interior_point().expect("non-empty polygon");
            LatLon::new(p.y(), p.x())
        }
        Geometry::Circle { center, .. } => *center,
    }
}

fn limits(z: &Zone) -> String {
    let f = |l: &Option<track::zones::AltitudeLimit>| {
        l.as_ref().map_or("-".to_owned(), |l| {
            format!("{} {:?}", l.metres, l.reference)
        })
    };
    format!("{} .. {}", f(&z.band.lower), f(&z.band.upper))
}

#[test]
fn swiss_ed318_geozones() {
    let Some(text) = read("swiss_geozones_ed318.json") else {
        return;
    };
    let zones = import::ed318(&text).expect("ED-318 import");
    assert_eq!(zones.len(), 1179);
    assert!(zones
        .iter()
        .all(|z| z.restriction == Restriction::AuthRequired));
    let with_holes = zones
        .iter()
        .filter(|z| matches!(&z.geometry, Geometry::Polygon(mp) if mp.0.iter().any(|p| !p.interiors().is_empty())))
        .count();
    assert_eq!(with_holes, 1179 - 1143);

    let bern = find(&zones, "LSZB003");
    assert_eq!(bern.name, "LSZB Bern-Belp 2");
    assert_eq!(limits(bern), "60 Agl .. 99999 Agl");
    assert!(bern.schedule.periods.is_empty());
    let Geometry::Polygon(mp) = &bern.geometry else {
        panic!("polygon")
    };
    assert_eq!(mp.0.len(), 1);
    assert_eq!(mp.0[0].exterior().0.len(), 28);
    assert_eq!(
        (mp.0[0].exterior().0[0].x, mp.0[0].exterior().0[0].y),
        (7.4355068, 46.9402526)
    );

    let ne = find(&zones, "NE05");
    assert_eq!(ne.name, "Tribunal régional Chaux-de-Fonds");
    assert_eq!(limits(ne), "0 Agl .. 120 Agl");

    // "La Riondaz": winter only, 2024-11-15T00:00+01:00 .. 2025-04-15T00:00+02:00.
    let vd = find(&zones, "VD00053");
    assert_eq!(vd.name, "La Riondaz");
    assert_eq!(vd.schedule.periods.len(), 1);
    assert_eq!(
        vd.schedule.periods[0].start,
        Some(UnixMs(1_731_625_200_000))
    );
    assert_eq!(vd.schedule.periods[0].end, Some(UnixMs(1_744_668_000_000)));
    // "ANY day 00:00-00:00" is all day, every day: no window left.
    let hegnau = find(&zones, "KTAG502");
    assert_eq!(hegnau.schedule.periods.len(), 1);
    assert!(hegnau.schedule.periods[0].windows.is_empty());

    let idx = ZoneIndex::new(zones.clone());
    let p = interior(vd);
    let low = track::zones::Altitudes {
        agl_m: Some(50.0),
        amsl_m: None,
    };
    let in_winter = idx.matching(p, &low, UnixMs(1_735_689_600_000)); // 2025-01-01
    assert!(in_winter.map(|z| z.id.0.as_str()).any(|id| id == "VD00053"));
    let in_summer = idx.matching(p, &low, UnixMs(1_748_736_000_000)); // 2025-06-01
    assert!(!in_summer.map(|z| z.id.0.as_str()).any(|id| id == "VD00053"));

    // Bern-Belp airport reference point (airportsdata) lies in Bern-Belp zones.
    let mut at_bern: Vec<&str> = idx
        .containing(LatLon::new(46.9141, 7.49715))
        .map(|z| z.id.0.as_str())
        .filter(|id| id.starts_with("LSZB"))
        .collect();
    at_bern.sort_unstable();
    assert!(!at_bern.is_empty(), "no LSZB zone at Bern-Belp");
}

#[test]
fn ed318_sample() {
    let Some(text) = read("cis_source_sample_ed318.json") else {
        return;
    };
    let zones = import::ed318(&text).expect("ED-318 sample");
    let ids: Vec<&str> = zones.iter().map(|z| z.id.0.as_str()).collect();
    assert_eq!(ids, ["LSZB003", "BLns058", "LSTB002"]);
}

#[test]
fn ed269_sample_is_longitude_first() {
    let Some(text) = read("cis_source_sample_ed269.json") else {
        return;
    };
    let zones = import::ed269(&text).expect("ED-269 sample");
    assert_eq!(zones.len(), 1);
    let z = &zones[0];
    assert_eq!(
        (z.id.0.as_str(), z.name.as_str()),
        ("LSXX", "LSXX City Sample")
    );
    assert_eq!(z.restriction, Restriction::AuthRequired);
    assert_eq!(limits(z), "0 Agl .. -");
    assert!(z.schedule.periods.is_empty(), "permanent: YES");
    let idx = ZoneIndex::new(zones.clone());
    // Inside the sample polygon in Geneva (46.2155 N, 6.1685 E), not at the swapped point.
    assert_eq!(idx.containing(LatLon::new(46.2155, 6.1685)).count(), 1);
    assert_eq!(idx.containing(LatLon::new(6.1685, 46.2155)).count(), 0);
}

#[test]
fn airportsdata_csv() {
    let Some(text) = read("airportsdata_20260905.csv") else {
        return;
    };
    let zones = import::airports_csv(&text, 5000.0).expect("airports");
    assert_eq!(zones.len(), 28_298);
    let cases: &[(&str, &str, f64, f64)] = &[
        ("LSZH", "Zurich Airport", 47.4647, 8.54917),
        (
            "KJFK",
            "John F Kennedy International Airport",
            40.639928,
            -73.778692,
        ),
        ("NZSP", "South Pole Station Airport", -90.0, 0.0),
    ];
    for (id, name, lat, lon) in cases {
        let z = find(&zones, id);
        assert_eq!(z.name, *name);
        assert_eq!(
            z.geometry,
            Geometry::Circle {
                center: LatLon::new(*lat, *lon),
                radius_m: 5000.0
            }
        );
        assert_eq!(z.restriction, Restriction::Restricted);
    }
}

#[test]
fn ourairports_columns_and_closed_rows() {
    let csv = "\
id,ident,type,name,latitude_deg,longitude_deg,elevation_ft
1,XAPT,small_airport,Test Field,46.5,7.25,1500
2,XOLD,closed,Old Field,46.6,7.3,1500
3,XHEL,heliport,\"Roof, North\",-33.5,151.25,
";
    let zones = import::airports_csv(csv, 3000.0).expect("OurAirports");
    let got: Vec<(String, String)> = zones
        .iter()
        .map(|z| (z.id.0.clone(), z.name.clone()))
        .collect();
    assert_eq!(
        got,
        [
            ("XAPT".to_owned(), "Test Field".to_owned()),
            ("XHEL".to_owned(), "Roof, North".to_owned())
        ]
    );
    // A type filter keeps the listed types only, and needs a type column.
    let ids = |types: &[&str]| -> Vec<String> {
        import::airports_csv_of_types(csv, 3000.0, Some(types))
            .expect("filtered")
            .into_iter()
            .map(|z| z.id.0)
            .collect()
    };
    assert_eq!(ids(&["heliport"]), ["XHEL"]);
    assert_eq!(ids(&["small_airport", "heliport"]), ["XAPT", "XHEL"]);
    assert!(ids(&["large_airport"]).is_empty());
    assert!(matches!(
        import::airports_csv_of_types("icao,name,lat,lon\nXX,x,45.0,0\n", 1.0, Some(&["heliport"])),
        Err(ImportError::Format(_))
    ));
    assert!(matches!(
        import::airports_csv("a,b\n1,2\n", 1.0),
        Err(ImportError::Format(_))
    ));
    assert!(matches!(
        import::airports_csv("icao,name,lat,lon\nXX,x,95.0,0\n", 1.0),
        Err(ImportError::Item { index: 0, .. })
    ));
}

#[test]
fn geojson_features() {
    let doc = r#"{"type":"FeatureCollection","features":[
      {"type":"Feature","id":"stadium","properties":{"name":"Stadium","radius_m":500,"restriction":"PROHIBITED","upper_m":150},
       "geometry":{"type":"Point","coordinates":[7.4649,46.9632]}},
      {"type":"Feature","properties":{"id":"park","lower_m":"10","lower_ref":"AMSL"},
       "geometry":{"type":"Polygon","coordinates":[[[7.0,46.0],[7.1,46.0],[7.1,46.1],[7.0,46.0]]]}},
      {"type":"Feature","properties":{},
       "geometry":{"type":"MultiPolygon","coordinates":[[[[8.0,47.0],[8.1,47.0],[8.1,47.1],[8.0,47.0]]],[[[9.0,47.0],[9.1,47.0],[9.1,47.1],[9.0,47.0]]]]}}
    ]}"#;
    let zones = import::geojson(doc).expect("GeoJSON");
    let got: Vec<String> = zones
        .iter()
        .map(|z| format!("{} {} {:?} {}", z.id, z.name, z.restriction, limits(z)))
        .collect();
    assert_eq!(
        got,
        [
            "stadium Stadium Prohibited - .. 150 Agl",
            "park park Unknown(\"\") 10 Amsl .. -",
            "2 2 Unknown(\"\") - .. -",
        ]
    );
    assert_eq!(
        zones[0].geometry,
        Geometry::Circle {
            center: LatLon::new(46.9632, 7.4649),
            radius_m: 500.0
        }
    );
    assert_eq!(
        zones[1].band.lower.as_ref().map(|l| &l.reference),
        Some(&AltitudeRef::Amsl)
    );
    let idx = ZoneIndex::new(zones);
    assert_eq!(idx.containing(LatLon::new(47.01, 9.05)).count(), 1);

    let single = r#"{"type":"Feature","properties":{"radius_m":10},"geometry":{"type":"Point","coordinates":[1,2]}}"#;
    assert_eq!(import::geojson(single).expect("single Feature").len(), 1);

    let errors: &[(&str, &str)] = &[
        (
            r#"{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[1,2]}}"#,
            "geojson item 0: a Point needs a radius",
        ),
        (
            r#"{"type":"Feature","properties":{},"geometry":{"type":"LineString","coordinates":[[1,2],[3,4]]}}"#,
            "geojson item 0: unsupported geometry type",
        ),
        (
            r#"{"type":"Feature","properties":{"upper_m":"high","radius_m":1},"geometry":{"type":"Point","coordinates":[1,2]}}"#,
            "geojson item 0: not a number: \"high\"",
        ),
        (
            r#"{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":[[[1,2],[3]]]}}"#,
            "geojson item 0: bad polygon coordinates",
        ),
    ];
    for (doc, msg) in errors {
        assert_eq!(
            import::geojson(doc)
                .map(|z| z.len())
                .unwrap_err()
                .to_string(),
            *msg
        );
    }
    assert!(matches!(
        import::geojson("[1,2]"),
        Err(ImportError::Json(_))
    ));
}

#[test]
fn ed318_circle_and_feet() {
    let doc = r#"{"type":"FeatureCollection","features":[{"type":"Feature",
      "properties":{"identifier":"C1","name":[{"text":"Kreis","lang":"de-CH"},{"text":"Circle","lang":"en-GB"}],"type":"PROHIBITED"},
      "geometry":{"type":"Point","coordinates":[8.5,47.4],"extent":{"subType":"Circle","radius":250},
        "layer":{"upper":400,"upperReference":"AGL","lower":0,"lowerReference":"AGL","uom":"ft"}}}]}"#;
    let zones = import::ed318(doc).expect("ED-318 circle");
    let got: Vec<String> = zones
        .iter()
        .map(|z| {
            format!(
                "{} {} {:?} {} {:?}",
                z.id,
                z.name,
                z.restriction,
                limits(z),
                z.geometry
            )
        })
        .collect();
    assert_eq!(
        got,
        ["C1 Circle Prohibited 0 Agl .. 121.92 Agl Circle { center: LatLon { lat: 47.4, lon: 8.5 }, radius_m: 250.0 }"]
    );
}

#[test]
fn ed269_circle_feet_and_daily_periods() {
    let doc = r#"{"UASZoneList":[{"identifier":"TST1","name":"Test","restriction":"PROHIBITED",
      "applicability":[{"permanent":"NO","startDateTime":"2025-01-01T00:00:00Z","endDateTime":null,
        "dailyPeriod":[{"day":["SAT","SUN"],"startTime":"09:00:00+01:00","endTime":"18:00:00+01:00"}]}],
      "geometry":[
        {"uomDimensions":"FT","lowerLimit":0,"lowerVerticalReference":"AGL","upperLimit":"400","upperVerticalReference":"AGL",
         "horizontalProjection":{"type":"Circle","center":[7.0,46.0],"radius":1000}},
        {"uomDimensions":"M","lowerLimit":null,"upperLimit":900,"upperVerticalReference":"AMSL",
         "horizontalProjection":{"type":"Polygon","coordinates":[[[7.0,46.0],[7.1,46.0],[7.1,46.1],[7.0,46.0]]]}}]}]}"#;
    let zones = import::ed269(doc).expect("ED-269");
    let got: Vec<String> = zones
        .iter()
        .map(|z| format!("{} {:?} {}", z.id, z.restriction, limits(z)))
        .collect();
    assert_eq!(
        got,
        [
            "TST1 Prohibited 0 Agl .. 121.92 Agl",
            "TST1#1 Prohibited - .. 900 Amsl"
        ]
    );
    let Geometry::Circle { radius_m, .. } = zones[0].geometry else {
        panic!("circle")
    };
    assert!((radius_m - 304.8).abs() < 1e-9);
    let w = &zones[0].schedule.periods[0].windows[0];
    assert_eq!(
        (w.days.0, w.start_min, w.end_min, w.utc_offset_min),
        (0b110_0000, 540, 1080, 60)
    );
    // Saturday 2025-01-04 10:00 UTC = 11:00 local: active; Friday: not.
    assert!(zones[0].schedule.is_active(UnixMs(1_735_984_800_000)));
    assert!(!zones[0]
        .schedule
        .is_active(UnixMs(1_735_984_800_000 - 86_400_000)));
}

/// A circle Feature with the given `schedule` property (raw JSON text).
fn scheduled(schedule: &str) -> String {
    format!(
        r#"{{"type":"Feature","properties":{{"radius_m":100,"schedule":{schedule}}},"geometry":{{"type":"Point","coordinates":[7.0,46.0]}}}}"#
    )
}

#[test]
fn geojson_schedules() {
    use track::zones::{DailyWindow, Period, Schedule, Weekdays};
    let w = |days: u8, start_min: u16, end_min: u16, utc_offset_min: i16| DailyWindow {
        days: Weekdays(days),
        start_min,
        end_min,
        utc_offset_min,
    };
    // 2026-06-01T00:00:00Z = 1780272000 s.
    let june1 = 1_780_272_000_000i64;
    let day = 86_400_000i64;
    let valid: &[(&str, Schedule)] = &[
        ("null", Schedule::default()),
        ("[]", Schedule::default()),
        // Airshow: 1 Jun 08:00+02:00 to 3 Jun 20:00+02:00 (the end is exclusive).
        (
            r#"[{"start":"2026-06-01T08:00:00+02:00","end":"2026-06-03T20:00:00+02:00"}]"#,
            Schedule {
                periods: vec![Period {
                    start: Some(UnixMs(june1 + 6 * 3_600_000)),
                    end: Some(UnixMs(june1 + 2 * day + 18 * 3_600_000)),
                    windows: vec![],
                }],
            },
        ),
        // Stadium: Saturdays 14:00-20:00 at UTC+01:00, for ever; days in any case.
        (
            r#"[{"windows":[{"days":["SAT"],"from":"14:00","to":"20:00","utc_offset_min":60}]}]"#,
            Schedule {
                periods: vec![Period {
                    start: None,
                    end: None,
                    windows: vec![w(1 << 5, 840, 1200, 60)],
                }],
            },
        ),
        // Two windows (weekday nights past midnight; Sunday all day, offset default 0), open end, a
        // second open-ended period, and 24:00 as an end.
        (
            r#"[{"start":"2026-06-01T00:00:00Z","windows":[
                 {"days":["mon","tue","wed","thu","fri"],"from":"22:00","to":"06:00","utc_offset_min":-300},
                 {"days":["sun"],"from":"00:00","to":"00:00"}]},
               {"end":"2026-01-01T00:00:00Z","windows":[{"days":["fri","mon"],"from":"18:30","to":"24:00","utc_offset_min":840}]}]"#,
            Schedule {
                periods: vec![
                    Period {
                        start: Some(UnixMs(june1)),
                        end: None,
                        windows: vec![w(0b001_1111, 1320, 360, -300), w(1 << 6, 0, 0, 0)],
                    },
                    Period {
                        start: None,
                        end: Some(UnixMs(1_767_225_600_000)),
                        windows: vec![w(0b001_0001, 1110, 0, 840)],
                    },
                ],
            },
        ),
        // A period with nothing set: always.
        (
            "[{}]",
            Schedule {
                periods: vec![Period::default()],
            },
        ),
    ];
    for (json, want) in valid {
        let zones = import::geojson(&scheduled(json)).unwrap_or_else(|e| panic!("{json}: {e}"));
        assert_eq!(&zones[0].schedule, want, "{json}");
        // Written back and read again: the same schedule.
        let again = scheduled(&import::schedule_json(want).to_string());
        assert_eq!(
            &import::geojson(&again)
                .expect("written schedule")
                .remove(0)
                .schedule,
            want,
            "{again}"
        );
    }
    assert_eq!(
        import::schedule_json(&valid[3].1),
        serde_json::json!([{"windows":[{"days":["sat"],"from":"14:00","to":"20:00","utc_offset_min":60}]}])
    );
    assert_eq!(
        import::schedule_json(&valid[2].1),
        serde_json::json!([{"start":"2026-06-01T06:00:00Z","end":"2026-06-03T18:00:00Z"}])
    );

    let invalid: &[(&str, &str)] = &[
        (r#"{"start":"2026-06-01T00:00:00Z"}"#, "schedule: expected an array of periods, got {\"start\":\"2026-06-01T00:00:00Z\"}"),
        ("[1]", "schedule[0]: expected an object, got 1"),
        (r#"[{"begin":"2026-06-01T00:00:00Z"}]"#, "schedule[0].begin: unknown field (expected one of start, end, windows)"),
        (r#"[{},{"start":"2026-06-01"}]"#, "schedule[1].start: expected an RFC 3339 date-time, got \"2026-06-01\""),
        (r#"[{"end":20260601}]"#, "schedule[0].end: expected an RFC 3339 date-time, got 20260601"),
        (
            r#"[{"start":"2026-06-03T00:00:00Z","end":"2026-06-01T00:00:00Z"}]"#,
            "schedule[0].end: must be after start",
        ),
        (
            r#"[{"start":"2026-06-01T00:00:00Z","end":"2026-06-01T00:00:00Z"}]"#,
            "schedule[0].end: must be after start",
        ),
        (r#"[{"windows":{"days":["mon"]}}]"#, "schedule[0].windows: expected an array of daily windows, got {\"days\":[\"mon\"]}"),
        (r#"[{},{"windows":[{"days":["sat"],"from":"25:00","to":"20:00"}]}]"#, "schedule[1].windows[0].from: expected \"HH:MM\" (00:00 to 24:00), got \"25:00\""),
        (r#"[{"windows":[{"days":["sat"],"from":"14:00","to":"24:01"}]}]"#, "schedule[0].windows[0].to: expected \"HH:MM\" (00:00 to 24:00), got \"24:01\""),
        (r#"[{"windows":[{"days":["sat"],"from":"9:00","to":"20:00"}]}]"#, "schedule[0].windows[0].from: expected \"HH:MM\" (00:00 to 24:00), got \"9:00\""),
        (r#"[{"windows":[{"days":["sat"],"from":"14:60","to":"20:00"}]}]"#, "schedule[0].windows[0].from: expected \"HH:MM\" (00:00 to 24:00), got \"14:60\""),
        (r#"[{"windows":[{"days":["sat"],"from":840,"to":"20:00"}]}]"#, "schedule[0].windows[0].from: expected \"HH:MM\" (00:00 to 24:00), got 840"),
        (r#"[{"windows":[{"days":["sat"],"from":"14:00"}]}]"#, "schedule[0].windows[0].to: required"),
        (r#"[{"windows":[{"from":"14:00","to":"20:00"}]}]"#, "schedule[0].windows[0].days: required"),
        (r#"[{"windows":[{"days":[],"from":"14:00","to":"20:00"}]}]"#, "schedule[0].windows[0].days: at least one day"),
        (r#"[{"windows":[{"days":"sat","from":"14:00","to":"20:00"}]}]"#, "schedule[0].windows[0].days: expected an array of day names, got \"sat\""),
        (r#"[{"windows":[{"days":["sat","samedi"],"from":"14:00","to":"20:00"}]}]"#, "schedule[0].windows[0].days[1]: expected one of mon, tue, wed, thu, fri, sat, sun, got \"samedi\""),
        (r#"[{"windows":[{"days":["sat"],"from":"14:00","to":"20:00","utc_offset_min":900}]}]"#, "schedule[0].windows[0].utc_offset_min: expected whole minutes from -720 to 840, got 900"),
        (r#"[{"windows":[{"days":["sat"],"from":"14:00","to":"20:00","utc_offset_min":60.5}]}]"#, "schedule[0].windows[0].utc_offset_min: expected whole minutes from -720 to 840, got 60.5"),
        (r#"[{"windows":[{"days":["sat"],"from":"14:00","to":"20:00","offset":60}]}]"#, "schedule[0].windows[0].offset: unknown field (expected one of days, from, to, utc_offset_min)"),
    ];
    for (json, msg) in invalid {
        let err = import::geojson(&scheduled(json))
            .map(|z| z.len())
            .unwrap_err()
            .to_string();
        let want = format!("geojson item 0: {msg}");
        assert!(err.starts_with(&want), "{json}\n got: {err}\nwant: {want}");
    }

    // The stadium zone in the index: Saturday 2026-06-06 15:00 local (14:00 UTC) inside, 20:00 local not.
    let zones = import::geojson(&scheduled(valid[3].0)).expect("stadium");
    let idx = ZoneIndex::new(zones);
    let alt = track::zones::Altitudes::default();
    let sat = june1 + 5 * day;
    let at = |ms: i64| {
        idx.matching(LatLon::new(46.0, 7.0), &alt, UnixMs(ms))
            .count()
    };
    assert_eq!(at(sat + 13 * 3_600_000 - 1), 0, "Sat 13:59:59.999 local");
    assert_eq!(at(sat + 13 * 3_600_000), 1, "Sat 14:00 local");
    assert_eq!(at(sat + 19 * 3_600_000 - 1), 1, "Sat 19:59:59.999 local");
    assert_eq!(at(sat + 19 * 3_600_000), 0, "Sat 20:00 local");
    assert_eq!(at(sat + day + 14 * 3_600_000), 0, "Sunday");
}
