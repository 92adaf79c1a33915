//! Frames per second of link-layer + wire decoding from memory: the frames of the herlev 10-minute capture
//! are loaded first, then every iteration decodes all of them with `capture::decode_frame`.

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};

fn load() -> Option<Vec<(capture::LinkType, i64, Vec<u8>)>> {
    let dir = testdata::dir("remoteid")?;
    let path = dir.join("herlev_latency-test-zg14-10min.pcapng");
    let recs = capture::Records::open(&path).expect("readable capture");
    Some(
        recs.map(|r| {
            let r = r.expect("record");
            (r.link, r.time, r.data)
        })
        .collect(),
    )
}

fn bench(c: &mut Criterion) {
    let Some(frames) = load() else {
        eprintln!("parse bench: shared data folder missing, nothing to measure");
        return;
    };
    let mut g = c.benchmark_group("decode_frame");
    g.throughput(Throughput::Elements(frames.len() as u64));
    g.bench_function("herlev-zg14-10min", |b| {
        let mut out = Vec::with_capacity(4);
        b.iter(|| {
            let mut n = 0usize;
            for (i, (link, time, data)) in frames.iter().enumerate() {
                out.clear();
                if let capture::FrameOutcome::Detections(k) =
                    capture::decode_frame(*link, *time, i as u64 + 1, data, &mut out)
                {
                    n += k;
                }
                black_box(&out);
            }
            n
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
