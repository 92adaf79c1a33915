//! Whole receive chain throughput: `cargo bench -p dsp --bench receiver`.
//!
//! Streams are made with our own transmitter: 100 ms of noise holding two 9-symbol bursts (10 dB in-band
//! SNR; at 50 MSps one at +2 MHz and one at −12.5 MHz, like the real recording), encoded as cf32 bytes and
//! read back through `Bursts::from_reader`, so the figure covers byte decoding, detection, resampling,
//! synchronisation, demapping and turbo decoding. Criterion reports samples per second; divide by the sample
//! rate for the real-time factor. A third case decodes the real 50 MSps recording (3 bursts + 1 truncated).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use dsp::iq::IqFormat;
use dsp::phy::BurstKind;
use dsp::rx::{Bursts, ReceiverConfig};
use dsp::tx::{add_noise, Channel, Modulator};
use num_complex::Complex;

/// Stream length: long enough that building the receiver (FFT plans, filters, FEC tables) is a small part.
const STREAM_S: f64 = 0.1;

fn stream(rate: f64, offsets: &[f64]) -> Vec<u8> {
    let len = (STREAM_S * rate) as usize;
    let mut x = vec![Complex::<f32>::default(); len];
    let mut m = Modulator::new();
    let mut burst = Vec::new();
    for (i, &f) in offsets.iter().enumerate() {
        let tb = dsp::frame::build(&[0x10, 2, i as u8, 0x42]).unwrap();
        m.modulate(&tb, BurstKind::Nine, &mut burst);
        let ch = Channel {
            sample_rate: rate,
            freq_offset_hz: f,
            lead: 0,
            tail: 0,
            gain: 0.1,
            ..Channel::new()
        };
        let b = ch.apply(&burst).unwrap();
        let at = len / 4 + i * len / 2;
        for (d, s) in x.iter_mut().skip(at).zip(&b) {
            *d += s;
        }
    }
    let noise = Channel {
        sample_rate: rate,
        gain: 0.1,
        ..Channel::new()
    }
    .noise_power(10.0);
    add_noise(&mut x, noise, 1);
    let mut bytes = Vec::new();
    IqFormat::Cf32.encode(&x, &mut bytes);
    bytes
}

fn run(bytes: &'static [u8], rate: f64) -> usize {
    let bursts = Bursts::from_reader(
        std::io::Cursor::new(bytes),
        IqFormat::Cf32,
        ReceiverConfig::new(rate),
    )
    .unwrap()
    .map(Result::unwrap)
    .filter(|b| b.transport_block().is_some())
    .count();
    bursts
}

fn receiver(c: &mut Criterion) {
    let mut g = c.benchmark_group("receiver");
    g.sample_size(10);
    for (name, rate, offsets) in [
        ("50msps_2_bursts", 50e6, vec![2.0e6, -12.5e6]),
        ("15p36msps_2_bursts", 15.36e6, vec![0.0, 30e3]),
    ] {
        // Leaked once so that every iteration reads the same bytes without copying them.
        let bytes: &'static [u8] = Box::leak(stream(rate, &offsets).into_boxed_slice());
        assert_eq!(run(bytes, rate), 2, "{name}: both bursts must decode");
        g.throughput(Throughput::Elements((bytes.len() / 8) as u64));
        g.bench_function(name, |b| b.iter(|| run(bytes, rate)));
    }
    if let Some(path) = testdata::file("ocusync", "mavic_air_2.sigmf-data") {
        let bytes: &'static [u8] = Box::leak(std::fs::read(path).unwrap().into_boxed_slice());
        assert_eq!(run(bytes, 50e6), 3);
        g.throughput(Throughput::Elements(3));
        g.bench_function("mavic_air_2_bursts", |b| b.iter(|| run(bytes, 50e6)));
    }
    g.finish();
}

criterion_group!(benches, receiver);
criterion_main!(benches);
