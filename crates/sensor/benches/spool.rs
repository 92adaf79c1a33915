//! Spool throughput: detection lines written (group commits of 1,000), read back in uplink batches of
//! 1,000 and deleted as acknowledged, on the real `synchronous = FULL` WAL database in a temporary
//! directory. `cargo bench -p sensor --bench spool`; criterion's throughput is detections per second for
//! the whole cycle.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use sensor::spool::{Limits, Spool};

/// A real detection line (Wi-Fi beacon, Basic ID + Location + System + Operator ID), ~600 bytes.
fn line() -> String {
    let file = testdata::file("remoteid", "odid_wifi_bcn_sample.pcap");
    let d = file
        .and_then(|f| capture::open(f).ok())
        .and_then(|mut dec| {
            dec.find_map(|e| match e {
                Ok(capture::Event::Detection(d)) => Some(d),
                _ => None,
            })
        });
    let opts = contract::Options {
        dji_altitude: wire::dji::AltitudeScaling {
            altitude: wire::dji::AltitudeUnit::Metres,
            height: wire::dji::AltitudeUnit::Decimetres,
        },
    };
    match d {
        Some(d) => contract::DetectionLine::from_detection(&d, &opts).to_json(),
        None => format!(
            "{{\"time\":\"2026-01-01T00:00:00Z\",\"transport\":\"wifi-beacon\",\"pad\":\"{}\"}}",
            "x".repeat(550)
        ),
    }
}

fn cycle(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut spool = Spool::open(dir.path(), Limits::default()).expect("spool");
    let l = line();
    const N: usize = 10_000;
    let group: Vec<String> = vec![l; 1000];
    let mut g = c.benchmark_group("spool");
    g.throughput(Throughput::Elements(N as u64));
    g.sample_size(20);
    g.bench_function("write+read+delete 10k lines", |b| {
        b.iter(|| {
            for _ in 0..N / 1000 {
                spool.append(&group, &[]).expect("append");
            }
            loop {
                let rows = spool.peek(1000, 4 << 20).expect("peek");
                let (Some(a), Some(z)) = (rows.first(), rows.last()) else {
                    break;
                };
                let (a, z) = (a.seq, z.seq);
                spool.acknowledge(a, z).expect("ack");
            }
        })
    });
    g.finish();
}

criterion_group!(benches, cycle);
criterion_main!(benches);
