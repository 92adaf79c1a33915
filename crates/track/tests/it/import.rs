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
