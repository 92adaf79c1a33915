//! Zone geometry, altitude bands and schedules: edge cases checked against exact expectations.

use geo::{Destination, Haversine, LineString, MultiPolygon, Point, Polygon};
use track::zones::{
    AltitudeBand, AltitudeLimit, AltitudeRef, Altitudes, DailyWindow, Geometry, Period,
    Restriction, Schedule, Weekdays, Zone, ZoneIndex,
};
use track::{LatLon, UnixMs};

/// The point `dist_m` metres from `c` on bearing `bearing_deg` (great circle, same sphere as the index).
fn away(c: LatLon, bearing_deg: f64, dist_m: f64) -> LatLon {
    let p = Haversine.destination(Point::new(c.lon, c.lat), bearing_deg, dist_m);
    LatLon::new(p.y(), p.x())
}

fn ids(idx: &ZoneIndex, p: LatLon) -> Vec<String> {
    let mut v: Vec<String> = idx.containing(p).map(|z| z.id.0.clone()).collect();
    v.sort();
    v
}

#[test]
fn circles_are_exact_at_the_radius_at_every_latitude() {
    for lat in [0.0, 46.9, 70.0, 85.0, -60.0] {
        let c = LatLon::new(lat, 7.5);
        let idx = ZoneIndex::new(vec![Zone::circle("c", c, 5000.0, Restriction::Info)]);
        for bearing in (0..360).step_by(15) {
            let b = f64::from(bearing);
            let inside = away(c, b, 4999.9);
            let outside = away(c, b, 5000.1);
            assert_eq!(
                ids(&idx, inside),
                ["c"],
                "lat {lat} bearing {b} at 4999.9 m"
            );
            assert_eq!(
                ids(&idx, outside),
                Vec::<String>::new(),
                "lat {lat} bearing {b} at 5000.1 m"
            );
        }
    }
}

#[test]
fn circles_across_the_antimeridian_and_over_the_poles() {
    let idx = ZoneIndex::new(vec![
        Zone::circle(
            "fiji",
            LatLon::new(-17.0, 179.99),
            5000.0,
            Restriction::Info,
        ),
        Zone::circle(
            "west",
            LatLon::new(10.0, -179.995),
            2000.0,
            Restriction::Info,
        ),
        // South Pole Station airport is at exactly -90, 0 in airportsdata.
        Zone::circle("nzsp", LatLon::new(-90.0, 0.0), 5000.0, Restriction::Info),
        Zone::circle("north", LatLon::new(89.99, 0.0), 5000.0, Restriction::Info),
    ]);
    let cases: &[(f64, f64, &[&str])] = &[
        (-17.0, -179.995, &["fiji"]), // 1.6 km east across ±180
        (-17.0, 179.9, &[]),          // 9.6 km west
        (-17.0, 180.0, &["fiji"]),
        (-17.0, -180.0, &["fiji"]),
        (10.0, 179.999, &["west"]),
        (-90.0, 123.0, &["nzsp"]),
        (-89.97, -170.0, &["nzsp"]), // 3.3 km from the pole
        (-89.9, 0.0, &[]),           // 11 km
        (90.0, 0.0, &["north"]),     // 1.1 km
        (89.99, 180.0, &["north"]),  // 2.2 km over the pole
        (89.95, 0.0, &["north"]),    // 0.04° of latitude = 4448 m
        (89.94, 0.0, &[]),           // 5560 m
    ];
    for (lat, lon, want) in cases {
        assert_eq!(ids(&idx, LatLon::new(*lat, *lon)), *want, "({lat}, {lon})");
    }
}

#[test]
fn invalid_points_match_nothing_and_do_not_panic() {
    let idx = ZoneIndex::new(vec![
        Zone::circle("world", LatLon::new(0.0, 0.0), 3.0e7, Restriction::Info),
        Zone::circle("bad", LatLon::new(f64::NAN, 0.0), 10.0, Restriction::Info),
        Zone::circle("neg", LatLon::new(0.0, 0.0), -1.0, Restriction::Info),
    ]);
    assert_eq!(ids(&idx, LatLon::new(10.0, 10.0)), ["world"]);
    for p in [
        LatLon::new(f64::NAN, 0.0),
        LatLon::new(0.0, f64::INFINITY),
        LatLon::new(91.0, 0.0),
        LatLon::new(0.0, -181.0),
    ] {
        assert_eq!(ids(&idx, p), Vec::<String>::new(), "{p:?}");
    }
}

fn square(lon0: f64, lat0: f64, size: f64) -> LineString<f64> {
    LineString::from(vec![
        (lon0, lat0),
        (lon0 + size, lat0),
        (lon0 + size, lat0 + size),
        (lon0, lat0 + size),
        (lon0, lat0),
    ])
}

#[test]
fn polygons_with_holes_and_boundaries() {
    let donut = Polygon::new(square(7.0, 46.0, 1.0), vec![square(7.4, 46.4, 0.2)]);
    let idx = ZoneIndex::new(vec![Zone {
        geometry: Geometry::Polygon(MultiPolygon::new(vec![donut])),
        ..Zone::circle("donut", LatLon::default(), 0.0, Restriction::Prohibited)
    }]);
    let cases: &[(f64, f64, bool)] = &[
        (46.2, 7.2, true),
        (46.5, 7.5, false), // in the hole
        (46.0, 7.5, true),  // on the outer boundary
        (46.4, 7.5, true),  // on the hole's boundary
        (45.99, 7.5, false),
        (46.5, 8.01, false),
    ];
    for (lat, lon, inside) in cases {
        let got = !ids(&idx, LatLon::new(*lat, *lon)).is_empty();
        assert_eq!(got, *inside, "({lat}, {lon})");
    }
}

#[test]
fn altitude_bands_compare_like_with_like() {
    let band = AltitudeBand {
        lower: Some(AltitudeLimit {
            metres: 60.0,
            reference: AltitudeRef::Agl,
        }),
        upper: Some(AltitudeLimit {
            metres: 500.0,
            reference: AltitudeRef::Amsl,
        }),
    };
    let cases: &[(Option<f64>, Option<f64>, bool)] = &[
        (Some(80.0), Some(400.0), true),
        (Some(59.9), Some(400.0), false),
        (Some(60.0), Some(500.0), true),
        (Some(80.0), Some(500.1), false),
        (None, Some(400.0), true), // unknown height: the floor is taken as met
        (Some(10.0), None, false),
        (None, None, true),
    ];
    for (agl, amsl, want) in cases {
        let alt = Altitudes {
            agl_m: *agl,
            amsl_m: *amsl,
        };
        assert_eq!(band.contains(&alt), *want, "agl {agl:?} amsl {amsl:?}");
    }
}

#[test]
fn schedules_with_intervals_weekdays_and_midnight() {
    // 2025-01-06 was a Monday; 00:00 UTC = 1736121600 s.
    let monday = 1_736_121_600_000i64;
    let h = 3_600_000i64;
    let schedule = Schedule {
        periods: vec![Period {
            start: Some(UnixMs(monday)),
            end: Some(UnixMs(monday + 14 * 24 * h)),
            windows: vec![
                // Weekdays 08:00-17:00 local time at UTC+01:00.
                DailyWindow {
                    days: Weekdays(0b001_1111),
                    start_min: 8 * 60,
                    end_min: 17 * 60,
                    utc_offset_min: 60,
                },
                // Saturday 22:00 to Sunday 02:00, UTC.
                DailyWindow {
                    days: Weekdays(1 << 5),
                    start_min: 22 * 60,
                    end_min: 2 * 60,
                    utc_offset_min: 0,
                },
            ],
        }],
    };
    let cases: &[(i64, bool)] = &[
        (monday - h, false),                    // before the period
        (monday + 7 * h - 1, false),            // Mon 07:59:59.999 local
        (monday + 7 * h, true),                 // Mon 08:00 local
        (monday + 16 * h - 1, true),            // Mon 16:59:59.999 local
        (monday + 16 * h, false),               // Mon 17:00 local
        (monday + 5 * 24 * h + 10 * h, false),  // Sat 11:00 UTC
        (monday + 5 * 24 * h + 23 * h, true),   // Sat 23:00 UTC
        (monday + 6 * 24 * h + h, true),        // Sun 01:00 UTC, after midnight
        (monday + 6 * 24 * h + 3 * h, false),   // Sun 03:00 UTC
        (monday + 14 * 24 * h + 10 * h, false), // after the period (a Monday)
    ];
    for (t, want) in cases {
        assert_eq!(
            schedule.is_active(UnixMs(*t)),
            *want,
            "t = monday + {} h",
            (t - monday) / h
        );
    }
    assert!(Schedule::default().is_active(UnixMs(0)));
}

#[test]
fn matching_applies_band_and_schedule() {
    let c = LatLon::new(47.0, 8.0);
    let mut z = Zone::circle("z", c, 1000.0, Restriction::AuthRequired);
    z.band.upper = Some(AltitudeLimit {
        metres: 120.0,
        reference: AltitudeRef::Agl,
    });
    z.schedule.periods.push(Period {
        start: Some(UnixMs(1000)),
        end: None,
        windows: Vec::new(),
    });
    let idx = ZoneIndex::new(vec![z]);
    let low = Altitudes {
        agl_m: Some(100.0),
        amsl_m: None,
    };
    let high = Altitudes {
        agl_m: Some(150.0),
        amsl_m: None,
    };
    assert_eq!(idx.matching(c, &low, UnixMs(1000)).count(), 1);
    assert_eq!(idx.matching(c, &high, UnixMs(1000)).count(), 0);
    assert_eq!(idx.matching(c, &low, UnixMs(999)).count(), 0);
}
