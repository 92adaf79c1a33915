//! Decode time of one OcuSync transport block (`dsp::fec`), per turbo iteration count, plus the encoder and
//! the frame parser. Run: `cargo bench -p dsp --bench fec`.

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion};
use dsp::fec::{with_crc24a, Codec, DecodeMode, Scratch, E, PAYLOAD_BYTES};
use dsp::frame::Frame;

fn payload() -> [u8; PAYLOAD_BYTES] {
    let mut p = [0u8; PAYLOAD_BYTES];
    for (i, b) in p.iter_mut().enumerate() {
        *b = (i as u8).wrapping_mul(29).wrapping_add(7);
    }
    p
}

fn bench(c: &mut Criterion) {
    let codec = Codec::new();
    let tb = with_crc24a(&payload());
    let bits = codec.encode(&tb);
    let clean: Vec<f32> = bits
        .iter()
        .map(|&b| if b == 0 { 3.0 } else { -3.0 })
        .collect();
    // Soft bits that never pass CRC24A (the codeword with the first half of its signs spoiled): the
    // decoder runs exactly `max_iterations`, the worst case per block.
    let hopeless: Vec<f32> = clean
        .iter()
        .enumerate()
        .map(|(i, &l)| if i < E / 2 && i % 3 == 0 { -l } else { l * 0.3 })
        .collect();
    let mut scratch = Scratch::new();

    let mut g = c.benchmark_group("fec_decode");
    g.bench_function("turbo_clean_early_stop", |b| {
        b.iter(|| codec.decode(&mut scratch, black_box(&clean), DecodeMode::Turbo))
    });
    for n in [1u8, 2, 4, 8] {
        let mut capped = codec.clone();
        capped.set_max_iterations(n);
        g.bench_with_input(BenchmarkId::new("turbo_iterations", n), &n, |b, _| {
            b.iter(|| capped.decode(&mut scratch, black_box(&hopeless), DecodeMode::Turbo))
        });
    }
    g.bench_function("systematic_hard", |b| {
        b.iter(|| codec.decode(&mut scratch, black_box(&clean), DecodeMode::SystematicHard))
    });
    g.finish();

    c.bench_function("fec_encode", |b| b.iter(|| codec.encode(black_box(&tb))));
    c.bench_function("frame_parse", |b| b.iter(|| Frame::parse(black_box(&tb))));
    c.bench_function("codec_new", |b| b.iter(Codec::new));
}

criterion_group!(benches, bench);
criterion_main!(benches);
