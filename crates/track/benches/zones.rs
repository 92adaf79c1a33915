//! Benchmarks: zone evaluation per detection (all 28,298 `airportsdata` airports as 5 km circles; all
//! 1,179 Swiss ED-318 polygons) and tracker ingest throughput with 1,000 live tracks.
//!
//! Run: `cargo bench -p track --bench zones`. Without the shared data folder, generated zones of the same
//! counts are used (a message says so).

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use track::zones::{import, Altitudes, Restriction, Zone, ZoneIndex};
use track::{
    Identity, LatLon, Mac, Observation, Position, Tracker, TrackerConfig, Transport, UnixMs,
};

fn airports(rng: &mut ChaCha8Rng) -> Vec<Zone> {
    if let Some(p) = testdata::file("zones", "airportsdata_20260905.csv") {
        let text = std::fs::read_to_string(p).expect("airport CSV");
        return import::airports_csv(&text, 5000.0).expect("airport CSV");
    }
    eprintln!("zones bench: no airport list, using 28,298 generated circles");
    (0..28_298)
        .map(|i| {
            let c = LatLon::new(rng.gen_range(-60.0..70.0), rng.gen_range(-180.0..180.0));
            Zone::circle(&i.to_string(), c, 5000.0, Restriction::Restricted)
        })
        .collect()
}

fn swiss(rng: &mut ChaCha8Rng) -> Vec<Zone> {
    if let Some(p) = testdata::file("zones", "swiss_geozones_ed318.json") {
        let text = std::fs::read_to_string(p).expect("ED-318 file");
        return import::ed318(&text).expect("ED-318 file");
    }
    eprintln!("zones bench: no Swiss zones, using 1,179 generated squares");
    (0..1179)
        .map(|i| {
            let (lat, lon) = (rng.gen_range(45.8..47.8), rng.gen_range(5.9..10.5));
            let d = rng.gen_range(0.001..0.05);
            let ring = vec![
                (lon, lat),
                (lon + d, lat),
                (lon + d, lat + d),
                (lon, lat + d),
                (lon, lat),
            ];
            let poly = geo::Polygon::new(geo::LineString::from(ring), vec![]);
            Zone {
                geometry: track::zones::Geometry::Polygon(geo::MultiPolygon::new(vec![poly])),
                ..Zone::circle(
                    &i.to_string(),
                    LatLon::default(),
                    0.0,
                    Restriction::AuthRequired,
                )
            }
        })
        .collect()
}

/// Evaluates one detection per iteration, cycling through `points`.
fn bench_points(c: &mut Criterion, name: &str, idx: &ZoneIndex, points: &[LatLon]) {
    let alt = Altitudes {
        agl_m: Some(80.0),
        amsl_m: Some(600.0),
    };
    let now = UnixMs(1_735_689_600_000);
    let mut group = c.benchmark_group("zones");
    group.throughput(Throughput::Elements(1));
    let mut i = 0usize;
    group.bench_function(name, |b| {
        b.iter(|| {
            i = (i + 1) % points.len();
            let p = points[i];
            black_box(idx.matching(black_box(p), &alt, now).count())
        })
    });
    group.finish();
}

fn zones(c: &mut Criterion) {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let airports = airports(&mut rng);
    let centres: Vec<LatLon> = airports
        .iter()
        .filter_map(|z| match z.geometry {
            track::zones::Geometry::Circle { center, .. } => Some(center),
            _ => None,
        })
        .collect();
    let idx = ZoneIndex::new(airports);
    let random: Vec<LatLon> = (0..4096)
        .map(|_| LatLon::new(rng.gen_range(-90.0..90.0), rng.gen_range(-180.0..180.0)))
        .collect();
    // Real-ish: within ±0.05° (~5 km) of a real airport, so most queries hit one or more circles.
    let near: Vec<LatLon> = (0..4096)
        .map(|_| {
            let a = centres[rng.gen_range(0..centres.len())];
            LatLon::new(
                (a.lat + rng.gen_range(-0.05..0.05)).clamp(-90.0, 90.0),
                a.lon + rng.gen_range(-0.05..0.05),
            )
        })
        .filter(LatLon::is_valid)
        .collect();
    let hits: usize = near.iter().map(|p| idx.containing(*p).count()).sum();
    eprintln!(
        "airports: {} zones; near-airport points average {:.2} hits",
        idx.len(),
        hits as f64 / near.len() as f64
    );
    bench_points(c, "airports_5km/random_world", &idx, &random);
    bench_points(c, "airports_5km/near_airports", &idx, &near);

    let swiss = ZoneIndex::new(swiss(&mut rng));
    let ch: Vec<LatLon> = (0..4096)
        .map(|_| LatLon::new(rng.gen_range(45.82..47.81), rng.gen_range(5.96..10.49)))
        .collect();
    let hits: usize = ch.iter().map(|p| swiss.containing(*p).count()).sum();
    eprintln!(
        "swiss: {} zones; points average {:.2} hits",
        swiss.len(),
        hits as f64 / ch.len() as f64
    );
    bench_points(c, "swiss_polygons/random_in_switzerland", &swiss, &ch);
}

fn tracker(c: &mut Criterion) {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let mut t = Tracker::new(TrackerConfig::default());
    let transports = [
        Transport::WifiBeacon,
        Transport::BleLegacy,
        Transport::WifiNan,
        Transport::DjiWifi,
    ];
    let mut make = |i: u64, now: i64, with_id: bool| {
        let k = (i % 1000) as usize;
        let mut o = Observation::new("s1", UnixMs(now), transports[k % 4].clone());
        o.mac = Some(Mac([2, 0, 0, 0, (k >> 8) as u8, k as u8]));
        // Every fifth frame carries the Basic ID, like a pack rotation.
        if with_id {
            o.identities.push(Identity::Serial(format!("SERIAL{k:06}")));
        }
        o.position = Some(Position::at(
            46.0 + rng.gen_range(0.0..0.1),
            7.0 + rng.gen_range(0.0..0.1),
        ));
        o.rssi_dbm = Some(-60.0);
        o
    };
    let mut now = 0i64;
    for i in 0..1000u64 {
        let o = make(i, now, true);
        t.ingest(&o, UnixMs(now));
        now += 1;
    }
    eprintln!("tracker: {} live tracks", t.len());
    let mut group = c.benchmark_group("tracker");
    group.throughput(Throughput::Elements(1));
    let mut i = 0u64;
    group.bench_function("ingest_1000_tracks", |b| {
        b.iter(|| {
            i += 1;
            now += 1;
            let o = make(i, now, i.is_multiple_of(5));
            black_box(t.ingest(&o, UnixMs(now)).len())
        })
    });
    group.finish();
    eprintln!("tracker: {} live tracks after the run", t.len());
}

criterion_group!(benches, zones, tracker);
criterion_main!(benches);
