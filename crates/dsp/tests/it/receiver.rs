//! The receiver end to end: the real Mavic Air 2 recording (as recorded, and converted inside the test to
//! other rates, formats, frequencies and noise levels), the third-party synthetic 8-symbol burst, and
//! random frames through our own transmitter.

use std::path::PathBuf;

use dsp::fec::{DecodeMode, TB_BYTES};
use dsp::iq::{self, IqFormat, SourceOptions};
use dsp::phy::nco::Nco;
use dsp::phy::resample::Resampler;
use dsp::phy::BurstKind;
use dsp::rx::{decode_file, Burst, Bursts, DecodeOptions, Outcome, Receiver, ReceiverConfig};
use dsp::tx::{add_noise, quantise, Channel, Modulator};
use num_complex::Complex;
use proptest::prelude::*;

fn hex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

fn to_hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The three complete bursts' transport blocks from `mavic_air_2.expected.json`, in file order.
fn expected_blocks() -> Option<Vec<Vec<u8>>> {
    let path = testdata::file("ocusync", "mavic_air_2.expected.json")?;
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let bursts = doc["bursts"].as_array().unwrap();
    Some(
        bursts
            .iter()
            .filter_map(|b| b["transport_176_hex"].as_str())
            .map(hex)
            .collect(),
    )
}

/// The real recording's samples (50 MSps) read through the SigMF source.
fn recording() -> Option<(Vec<Complex<f32>>, f64, Option<f64>)> {
    let path = testdata::file("ocusync", "mavic_air_2.sigmf-meta")?;
    let mut src = iq::open(&path, &SourceOptions::default()).unwrap();
    let mut all = Vec::new();
    let mut chunk = Vec::new();
    while src.reader.read_chunk(&mut chunk, 10_000).unwrap() > 0 {
        all.extend_from_slice(&chunk);
    }
    Some((all, src.sample_rate, src.center_freq))
}

/// Runs a receiver over `x` in chunks of `chunk` samples.
fn receive(x: &[Complex<f32>], cfg: ReceiverConfig, chunk: usize) -> Vec<Burst> {
    let mut rx = Receiver::new(cfg).unwrap();
    let mut out = Vec::new();
    let mut max_buffered = 0;
    for c in x.chunks(chunk) {
        rx.push(c, &mut out);
        max_buffered = max_buffered.max(rx.buffered());
    }
    rx.finish(&mut out);
    // Look-back stays bounded (a few ms plus one chunk), whatever the stream length.
    let bound = (8e-3 * rx.config().sample_rate) as usize + chunk;
    assert!(max_buffered <= bound, "look-back {max_buffered} > {bound}");
    out
}

fn decoded(bursts: &[Burst]) -> Vec<Vec<u8>> {
    bursts
        .iter()
        .filter_map(|b| b.transport_block())
        .map(|tb| tb.bytes.to_vec())
        .collect()
}

/// Checks that `bursts` holds exactly the expected blocks, in order, and `truncated` truncated bursts.
fn check(bursts: &[Burst], want: &[Vec<u8>], truncated: usize, what: &str) {
    let got = decoded(bursts);
    let got_hex: Vec<String> = got.iter().map(|b| to_hex(b)).collect();
    let want_hex: Vec<String> = want.iter().map(|b| to_hex(b)).collect();
    assert_eq!(got_hex, want_hex, "{what}: {bursts:#?}");
    let t = bursts
        .iter()
        .filter(|b| b.outcome == Outcome::Truncated)
        .count();
    assert_eq!(t, truncated, "{what}: truncated count; {bursts:#?}");
    assert_eq!(
        bursts.len(),
        want.len() + truncated,
        "{what}: no failed bursts expected; {bursts:#?}"
    );
}

#[test]
fn real_recording_decodes_three_bursts_and_drops_the_fourth() {
    let (Some(want), Some(path)) = (
        expected_blocks(),
        testdata::file("ocusync", "mavic_air_2.sigmf-data"),
    ) else {
        return;
    };
    // Through the file entry point the CLI uses (SigMF data path → metadata found next to it).
    let bursts = decode_file(&path, &DecodeOptions::default()).unwrap();
    check(&bursts, &want, 1, "as recorded");
    // Burst positions (SigMF annotations: 93010, 128639, 165465, 201090) within the detector's and the
    // annotation's own slack, and the bands at +2.0 MHz (+7.37 kHz residual) and −12.47 MHz (−0.18 kHz).
    let starts: Vec<u64> = bursts.iter().map(|b| b.start_sample).collect();
    for (got, want) in starts.iter().zip([93010u64, 128639, 165465, 201090]) {
        assert!(
            got.abs_diff(want) < 1200,
            "start {got} vs annotation {want}"
        );
    }
    let want_freq = [2.0e6 + 7369.0, 2.0e6 + 7360.0, -12.47e6 - 184.0];
    for (b, f) in bursts.iter().zip(want_freq) {
        assert!(
            (b.freq_offset_hz - f).abs() < 300.0,
            "freq {} vs {f}",
            b.freq_offset_hz
        );
        assert_eq!(b.symbols, 9);
        assert_eq!(b.gold_errors, Some(0));
        assert!(b.snr_db > 25.0, "snr {}", b.snr_db);
        assert!(b.zc_coherence > 0.99);
        let f_abs = b.freq_hz.unwrap();
        assert!((f_abs - (2457.5e6 + f)).abs() < 300.0);
    }
    // Types 0x11, then 0x10 with sequence numbers 589 and 591, CRC16 valid.
    let frames: Vec<(u8, u16)> = bursts
        .iter()
        .filter_map(|b| b.frame())
        .map(|f| {
            let bytes = f.unwrap().record_bytes();
            (bytes[0], u16::from_le_bytes([bytes[2], bytes[3]]))
        })
        .collect();
    assert_eq!(frames[0].0, 0x11);
    assert_eq!(frames[1..], [(0x10, 589), (0x10, 591)]);
}

#[test]
fn real_recording_in_small_chunks() {
    let (Some(want), Some((x, fs, fc))) = (expected_blocks(), recording()) else {
        return;
    };
    let mut cfg = ReceiverConfig::new(fs);
    cfg.center_freq = fc;
    check(
        &receive(&x, cfg.clone(), 997),
        &want,
        1,
        "997-sample chunks",
    );
    check(&receive(&x, cfg, 1 << 20), &want, 1, "one chunk");
}

fn shift(x: &[Complex<f32>], f: f64, fs: f64) -> Vec<Complex<f32>> {
    let mut y = x.to_vec();
    Nco::new(f, fs).mix_in_place(&mut y);
    y
}

fn resample(x: &[Complex<f32>], from: f64, to: f64) -> Vec<Complex<f32>> {
    let mut r = Resampler::for_rates_with_passband(from, to, 0.85).unwrap();
    let mut y = Vec::new();
    r.process_block(x, &mut y);
    y
}

#[test]
fn real_recording_at_30p72_msps_shifted() {
    let (Some(want), Some((x, fs, _))) = (expected_blocks(), recording()) else {
        return;
    };
    // Move the two bands (+2.0 and −12.47 MHz) symmetric about DC so both fit in ±15.36 MHz.
    let y = resample(&shift(&x, 5.235e6, fs), fs, 30.72e6);
    let bursts = receive(&y, ReceiverConfig::new(30.72e6), 65_536);
    check(&bursts, &want, 1, "30.72 MSps");
    assert!((bursts[2].freq_offset_hz - (-12.47e6 + 5.235e6 - 184.0)).abs() < 300.0);
}

#[test]
fn real_recording_at_20_msps() {
    let (Some(want), Some((x, fs, _))) = (expected_blocks(), recording()) else {
        return;
    };
    // 20 MSps cannot hold both bands: centre on the +2.0 MHz one, offset by 1.5 MHz; the other band is
    // filtered out by the conversion, like a HackRF tuned there would never see it.
    let y = resample(&shift(&x, -0.5e6, fs), fs, 20e6);
    let bursts = receive(&y, ReceiverConfig::new(20e6), 65_536);
    check(&bursts, &want[..2], 0, "20 MSps");
}

#[test]
fn real_recording_quantised_to_ci8_and_ci16() {
    let (Some(want), Some((x, fs, _))) = (expected_blocks(), recording()) else {
        return;
    };
    for (format, peak) in [(IqFormat::Ci8, 0.7f32), (IqFormat::Ci16, 0.5)] {
        let (bytes, _) = quantise(&x, format, peak);
        let cfg = ReceiverConfig::new(fs);
        let bursts: Vec<Burst> = Bursts::from_reader(std::io::Cursor::new(bytes), format, cfg)
            .unwrap()
            .map(Result::unwrap)
            .collect();
        check(&bursts, &want, 1, &format!("{format:?}"));
    }
}

#[test]
fn real_recording_with_added_noise() {
    let (Some(want), Some((x, fs, _))) = (expected_blocks(), recording()) else {
        return;
    };
    // The bursts arrive at about 30 dB in-band SNR; bring them down to about 4 dB. Signal power measured
    // over burst #2 (SigMF annotation 165465, 32180 samples); in-band noise is 9/50 of the total.
    let s: f64 = x[165_465..197_645]
        .iter()
        .map(|v| f64::from(v.norm_sqr()))
        .sum::<f64>()
        / 32_180.0;
    let mut y = x.clone();
    add_noise(&mut y, s / 10f64.powf(0.4) * fs / 9e6, 11);
    let bursts = receive(&y, ReceiverConfig::new(fs), 65_536);
    check(&bursts, &want, 1, "noise added");
    for b in bursts.iter().take(3) {
        assert!((0.0..9.0).contains(&b.snr_db), "snr {}", b.snr_db);
    }
}

#[test]
fn synthetic_8_symbol_burst_decodes() {
    let (Some(path), Some(origin)) = (
        testdata::file("ocusync", "synthetic/skysense_droneid_burst_15p36msps.fc32"),
        testdata::file(
            "ocusync",
            "synthetic/skysense_droneid_burst_15p36msps.ORIGIN.txt",
        ),
    ) else {
        return;
    };
    // The expected block is the line after "transport_176_hex:" in ORIGIN.txt.
    let text = std::fs::read_to_string(origin).unwrap();
    let mut lines = text
        .lines()
        .skip_while(|l| !l.contains("transport_176_hex:"));
    let want = hex(lines.nth(1).unwrap().trim());
    assert_eq!(want.len(), TB_BYTES);
    let opts = DecodeOptions {
        source: SourceOptions {
            sample_rate: Some(15.36e6),
            ..SourceOptions::default()
        },
        mode: DecodeMode::Turbo,
    };
    let bursts = decode_file(&path, &opts).unwrap();
    check(&bursts, &[want], 0, "skysense");
    assert_eq!(bursts[0].symbols, 8);
    // 1000 zero samples then the burst; its encoder's CP schedule (72×7, 80) is 8 samples shorter at the
    // front than ours (80, 72×6, 80), so our symbol 0 CP "starts" 8 samples early.
    assert_eq!(bursts[0].start_sample, 992);
}

/// A random 176-byte transport block: a random record of 10..=170 bytes framed with CRC16 and CRC24A.
fn random_block(seed: u64) -> [u8; TB_BYTES] {
    use rand::{Rng, SeedableRng};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let len = rng.gen_range(10..=170);
    let record: Vec<u8> = (0..len).map(|_| rng.gen()).collect();
    dsp::frame::build(&record).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, rng_algorithm: proptest::test_runner::RngAlgorithm::ChaCha,
        rng_seed: proptest::test_runner::RngSeed::Fixed(0x0c05_7c0d),
        failure_persistence: None, ..ProptestConfig::default() })]

    /// Random frames through the transmitter at random rates, offsets and SNRs (above 3 dB) decode to the
    /// same bytes.
    #[test]
    fn random_frames_round_trip(
        seed in any::<u64>(),
        nine in any::<bool>(),
        rate in prop::sample::select(vec![15.36e6f64, 20e6, 30.72e6, 50e6]),
        place in -0.3f64..0.3,
        cfo in -40e3f64..40e3,
        lead in 1000usize..20_000,
        snr in 3.0f64..20.0,
    ) {
        let tb = random_block(seed);
        let kind = if nine { BurstKind::Nine } else { BurstKind::Eight };
        let mut burst = Vec::new();
        Modulator::new().modulate(&tb, kind, &mut burst);
        // Place the burst anywhere its 9 MHz fit inside the captured band.
        let room = (rate * 0.8f64 - 9e6).max(0.0) / 2.0;
        let ch = Channel { sample_rate: rate, freq_offset_hz: place * 2.0 * room + cfo, lead, tail: 5000,
            snr_db: Some(snr), gain: 0.1, seed };
        let x = ch.apply(&burst).unwrap();
        let bursts = receive(&x, ReceiverConfig::new(rate), 50_000);
        prop_assert_eq!(decoded(&bursts), vec![tb.to_vec()], "{:#?}", bursts);
        prop_assert_eq!(bursts[0].symbols as usize, kind.symbols());
        let want_start = (lead as f64) as u64;
        prop_assert!(bursts[0].start_sample.abs_diff(want_start) <= 3, "start {} vs {}", bursts[0].start_sample, want_start);
        prop_assert!((bursts[0].freq_offset_hz - ch.freq_offset_hz).abs() < 200.0);
    }
}

#[test]
fn raw_file_needs_a_rate() {
    let err = decode_file(
        &PathBuf::from("/nonexistent/x.cs8"),
        &DecodeOptions::default(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("--sample-rate"), "{err}");
    let opts = DecodeOptions {
        source: SourceOptions {
            sample_rate: Some(20e6),
            ..SourceOptions::default()
        },
        mode: DecodeMode::Turbo,
    };
    let err = decode_file(&PathBuf::from("/nonexistent/x.cs8"), &opts).unwrap_err();
    assert!(err.to_string().contains("/nonexistent/x.cs8"), "{err}");
}
