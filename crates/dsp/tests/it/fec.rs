//! `dsp::fec` and `dsp::frame` on the real Mavic Air 2 transport blocks, the public frame vectors, and a
//! seeded AWGN channel.

use dsp::fec::{
    crc24a, with_crc24a, Codec, DecodeMode, FecError, Scratch, E, PAYLOAD_BYTES, TB_BYTES,
};
use dsp::frame::{self, crc16_dji, Frame, FrameError};
use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use wire::dji::Record;

fn unhex(s: &str) -> Vec<u8> {
    assert_eq!(s.len() & 1, 0, "odd hex length");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

fn block(bytes: &[u8]) -> [u8; TB_BYTES] {
    bytes.try_into().expect("176 bytes")
}

/// Noiseless soft bits for a transmitted bit sequence: +4 for 0, −4 for 1.
fn clean_llrs(bits: &[u8; E]) -> Vec<f32> {
    bits.iter()
        .map(|&b| if b == 0 { 4.0 } else { -4.0 })
        .collect()
}

/// The bursts of `mavic_air_2.expected.json` that carry a transport block, as (index, bytes, JSON).
fn mavic_air_2() -> Option<Vec<(u64, [u8; TB_BYTES], serde_json::Value)>> {
    let path = testdata::file("ocusync", "mavic_air_2.expected.json")?;
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("read")).expect("json");
    let bursts = json["bursts"].as_array().expect("bursts").clone();
    Some(
        bursts
            .into_iter()
            .filter_map(|b| {
                let hex = b["transport_176_hex"].as_str()?.to_owned();
                Some((b["index"].as_u64()?, block(&unhex(&hex)), b))
            })
            .collect(),
    )
}

#[test]
fn real_blocks_pass_both_crcs_and_decode_to_their_stated_fields() {
    let Some(bursts) = mavic_air_2() else { return };
    assert_eq!(bursts.len(), 3, "bursts 0, 1, 2 carry blocks");
    for (index, tb, b) in &bursts {
        assert_eq!(crc24a(tb), 0, "burst {index} CRC24A");
        let logical = unhex(b["logical_payload_hex"].as_str().unwrap());
        assert_eq!(
            logical.len() as u64,
            b["logical_length_bytes"].as_u64().unwrap()
        );
        assert_eq!(&tb[..logical.len()], &logical[..]);
        assert_eq!(crc16_dji(&logical), 0, "burst {index} CRC16");
        let frame = Frame::parse(tb).expect("frame");
        assert_eq!(frame.record_bytes(), &logical[1..logical.len() - 2]);
        match (index, frame) {
            (
                0,
                Frame::DroneId {
                    record: Record::FlightPurpose(info),
                    ..
                },
            ) => {
                assert_eq!(info.serial(), b["serial"].as_str().unwrap());
            }
            (
                1 | 2,
                Frame::DroneId {
                    record: Record::Telemetry(t),
                    ..
                },
            ) => {
                let f = &b["raw_fields"];
                let i = |k: &str| f[k].as_i64().unwrap_or_else(|| panic!("field {k}"));
                assert_eq!(i64::from(t.sequence), i("seq"));
                assert_eq!(i64::from(t.state.0), i("state_info"));
                assert_eq!(t.serial(), f["serial"].as_str().unwrap());
                assert_eq!(i64::from(t.longitude_raw), i("lon_raw"));
                assert_eq!(i64::from(t.latitude_raw), i("lat_raw"));
                assert_eq!(i64::from(t.altitude_raw), i("alt_raw_i16"));
                assert_eq!(i64::from(t.height_raw), i("height_raw_i16"));
                assert_eq!(i64::from(t.v_north_raw), i("v_north_raw"));
                assert_eq!(i64::from(t.v_east_raw), i("v_east_raw"));
                assert_eq!(i64::from(t.v_up_raw), i("v_up_raw"));
                assert_eq!(i64::from(t.yaw_raw), i("yaw_raw"));
                assert_eq!(t.app_time_ms(), Some(i("app_gps_time_ms") as u64));
                assert_eq!(i64::from(t.home_longitude_raw), i("home_lon_raw"));
                assert_eq!(i64::from(t.home_latitude_raw), i("home_lat_raw"));
                assert_eq!(i64::from(t.product_type), i("product_type"));
                assert_eq!(t.uuid(), f["uuid"].as_str().unwrap());
                let crc = u16::from_le_bytes([logical[89], logical[90]]);
                assert_eq!(i64::from(crc), i("crc16_le"));
            }
            (i, other) => panic!("burst {i}: unexpected frame {other:?}"),
        }
        // The frame builder reproduces the real block only up to the stale bytes after the frame, which
        // it zeroes; its frame part must be identical.
        let rebuilt = frame::build(frame.record_bytes()).unwrap();
        assert_eq!(&rebuilt[..logical.len()], &logical[..]);
    }
}

#[test]
fn real_blocks_survive_the_whole_chain() {
    // The JSON does not include the received hard bits, so the strongest check available here is that the
    // real blocks go through encode → decode unchanged with 0 channel errors in every mode, and that the
    // codeword is a function of the block (different blocks, different bits).
    let Some(bursts) = mavic_air_2() else { return };
    let codec = Codec::new();
    let mut scratch = Scratch::new();
    let mut words = Vec::new();
    for (index, tb, _) in &bursts {
        let bits = codec.encode(tb);
        let payload: &[u8; PAYLOAD_BYTES] = tb[..PAYLOAD_BYTES].try_into().unwrap();
        assert_eq!(codec.encode_payload(payload), bits, "burst {index}");
        let llrs = clean_llrs(&bits);
        for mode in [
            DecodeMode::Turbo,
            DecodeMode::SystematicHard,
            DecodeMode::SystematicSoft,
        ] {
            let out = codec.decode(&mut scratch, &llrs, mode).expect("decode");
            assert_eq!(out.bytes, *tb, "burst {index} {mode:?}");
            assert_eq!(out.channel_errors, 0);
            assert_eq!(
                out.iterations,
                u8::from(mode == DecodeMode::Turbo),
                "{mode:?}"
            );
        }
        words.push(bits);
    }
    assert_ne!(words[1], words[2]);
    // Bursts 1 and 2 differ in 8 payload bytes; the code spreads that over far more than 8·8 output bits.
    let d = words[1]
        .iter()
        .zip(&words[2])
        .filter(|(a, b)| a != b)
        .count();
    assert!(d > 1000, "only {d} bits differ");
}

/// `test_vectors_frames.txt`: (comment lines, hex) for every vector.
fn frame_vectors() -> Option<Vec<Vec<u8>>> {
    let path = testdata::file("ocusync", "test_vectors_frames.txt")?;
    let text = std::fs::read_to_string(path).expect("read");
    Some(
        text.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(unhex)
            .collect(),
    )
}

#[test]
fn public_frame_vectors_decode_to_their_stated_fields() {
    let Some(v) = frame_vectors() else { return };
    assert_eq!(v.len(), 5);
    // (vector, serial, sequence, product, state, yaw raw), from the comments in the file and the JSON.
    let expect: [(usize, &str, u16, u8, u16, i16); 4] = [
        (0, "1WNBH3900201N1", 591, 58, 0x1FF7, -13295),
        (1, "1WNBH3900201N1", 589, 58, 0x1FF7, -13261),
        (3, "3NZCHCQ0043XV1", 535, 63, 0x1F37, -15554),
        (4, "3YTBJ4D00301DX", 0x0184, 66, 0x1F07, 13065),
    ];
    for (n, bytes) in v.iter().enumerate() {
        if bytes.len() == TB_BYTES {
            assert_eq!(crc24a(bytes), 0, "vector {}", n + 1);
        } else {
            assert_eq!((n, bytes.len()), (4, 91));
        }
        let len = usize::from(bytes[0]);
        assert_eq!(crc16_dji(&bytes[..len + 3]), 0, "vector {}", n + 1);
    }
    for (n, serial, seq, product, state, yaw) in expect {
        let Ok(Frame::DroneId {
            record: Record::Telemetry(t),
            ..
        }) = Frame::parse(&v[n])
        else {
            panic!("vector {} is not telemetry", n + 1)
        };
        assert_eq!(
            (t.serial(), t.sequence, t.product_type, t.state.0, t.yaw_raw),
            (serial, seq, product, state, yaw),
            "vector {}",
            n + 1
        );
    }
    // Vector 4 (Skysense good_frame): no GPS fix, app position 59.4011448 / 17.9583746.
    let Ok(Frame::DroneId {
        record: Record::Telemetry(t),
        ..
    }) = Frame::parse(&v[3])
    else {
        unreachable!()
    };
    assert_eq!(t.position(), None);
    // The file's degrees divide by RUB's 174533.0; the exact radians·10⁷ conversion differs by 3e-5°.
    let p = t.pilot().unwrap();
    assert!((p.lat - 59.4011448).abs() < 1e-4 && (p.lon - 17.9583746).abs() < 1e-4);
    assert!(matches!(
        t.variant,
        wire::dji::Variant::V2 {
            pilot_lat_raw: 10_367_460,
            pilot_lon_raw: 3_134_329,
            ..
        }
    ));
    // Vector 3 is the type-0x11 frame.
    assert!(matches!(
        Frame::parse(&v[2]),
        Ok(Frame::DroneId {
            record: Record::FlightPurpose(_),
            ..
        })
    ));
}

#[test]
fn corrupt_frames_yield_no_record() {
    let Some(v) = frame_vectors() else { return };
    let mut b = v[0].clone();
    b[30] ^= 0x80;
    assert!(matches!(Frame::parse(&b), Err(FrameError::Crc16 { .. })));
    // A frame whose length byte points past the buffer.
    let short = &v[4][..50];
    assert_eq!(
        Frame::parse(short),
        Err(FrameError::Truncated { need: 91, have: 50 })
    );
}

/// Gaussian noise from the uniform generator (Box–Muller), so only `rand` is needed.
fn gaussian(rng: &mut ChaCha8Rng) -> f32 {
    let u1: f64 = rng.gen_range(f64::MIN_POSITIVE..1.0);
    let u2: f64 = rng.gen();
    ((-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()) as f32
}

/// Sends `bits` as BPSK (0 → +1) over AWGN at `ebn0_db` (Eb = energy per information bit, code rate
/// 1408/7200) and returns the channel LLRs 2y/σ².
fn awgn(bits: &[u8; E], ebn0_db: f32, rng: &mut ChaCha8Rng) -> Vec<f32> {
    let rate = (8 * TB_BYTES) as f32 / E as f32;
    let esn0 = rate * 10f32.powf(ebn0_db / 10.0);
    let sigma2 = 1.0 / (2.0 * esn0);
    let sigma = sigma2.sqrt();
    bits.iter()
        .map(|&b| {
            let x = if b == 0 { 1.0 } else { -1.0 };
            2.0 * (x + sigma * gaussian(rng)) / sigma2
        })
        .collect()
}

/// Decodes `draws` random blocks at `ebn0_db`; returns (successes, total iterations of the successes).
fn success_rate(
    codec: &Codec,
    mode: DecodeMode,
    ebn0_db: f32,
    draws: usize,
    seed: u64,
) -> (usize, u32) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut scratch = Scratch::new();
    let mut ok = 0;
    let mut iters = 0u32;
    for _ in 0..draws {
        let mut payload = [0u8; PAYLOAD_BYTES];
        rng.fill(&mut payload[..]);
        let tb = with_crc24a(&payload);
        let llrs = awgn(&codec.encode(&tb), ebn0_db, &mut rng);
        match codec.decode(&mut scratch, &llrs, mode) {
            Ok(out) => {
                assert_eq!(out.bytes, tb, "CRC24A accepted a wrong block");
                ok += 1;
                iters += u32::from(out.iterations);
            }
            Err(FecError::Crc24 { iterations, .. }) => {
                let cap = if mode == DecodeMode::Turbo { 8 } else { 0 };
                assert_eq!(iterations, cap);
            }
            Err(e) => panic!("{e}"),
        }
    }
    (ok, iters)
}

#[test]
fn turbo_succeeds_at_moderate_snr() {
    let codec = Codec::new();
    // Measured with 200 draws: 97 % at 0.75 dB, 100 % at 1.0 dB; 1.25 dB leaves margin.
    let (ok, iters) = success_rate(&codec, DecodeMode::Turbo, 1.25, 50, 1);
    assert_eq!(ok, 50, "at Eb/N0 1.25 dB");
    // Early stop: at this SNR most blocks need few of the 8 iterations.
    assert!(iters <= 4 * ok as u32, "{iters} iterations for {ok} blocks");
}

#[test]
fn turbo_beats_the_systematic_slicer_at_low_snr() {
    let codec = Codec::new();
    let (turbo, _) = success_rate(&codec, DecodeMode::Turbo, 1.0, 30, 2);
    let (hard, _) = success_rate(&codec, DecodeMode::SystematicHard, 1.0, 30, 2);
    let (soft, _) = success_rate(&codec, DecodeMode::SystematicSoft, 1.0, 30, 2);
    assert!(turbo >= 29, "turbo {turbo}/30");
    assert_eq!((hard, soft), (0, 0));
    // Where the slicers start to work (Eb/N0 ≈ 13 dB, i.e. Es/N0 ≈ 6 dB per coded bit), soft-combining
    // both systematic copies is clearly better than one copy (measured: 2.5 % vs about 70 %).
    let (hard, _) = success_rate(&codec, DecodeMode::SystematicHard, 13.0, 30, 3);
    let (soft, _) = success_rate(&codec, DecodeMode::SystematicSoft, 13.0, 30, 3);
    assert!(hard <= 3 && soft >= 12, "soft {soft} vs hard {hard} of 30");
}

#[test]
fn wrong_length_and_pure_noise() {
    let codec = Codec::new();
    let mut scratch = Scratch::new();
    assert_eq!(
        codec.decode(&mut scratch, &[0.0; 100], DecodeMode::Turbo),
        Err(FecError::Length {
            expected: E,
            got: 100
        })
    );
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let noise: Vec<f32> = (0..E).map(|_| 2.0 * gaussian(&mut rng)).collect();
    assert_eq!(
        codec.decode(&mut scratch, &noise, DecodeMode::Turbo),
        Err(FecError::Crc24 {
            iterations: 8,
            mode: DecodeMode::Turbo
        })
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn any_payload_round_trips(payload in proptest::collection::vec(any::<u8>(), PAYLOAD_BYTES)) {
        let codec = Codec::new();
        let mut scratch = Scratch::new();
        let payload: [u8; PAYLOAD_BYTES] = payload.try_into().unwrap();
        let llrs = clean_llrs(&codec.encode_payload(&payload));
        let out = codec.decode(&mut scratch, &llrs, DecodeMode::Turbo).unwrap();
        prop_assert_eq!(out.payload(), &payload[..]);
        prop_assert_eq!(out.iterations, 1);
    }

    #[test]
    fn any_llrs_never_panic(
        llrs in proptest::collection::vec(
            prop_oneof![any::<f32>(), -20.0f32..20.0, Just(f32::NAN), Just(f32::INFINITY)],
            E - 2..E + 2,
        ),
        mode in prop_oneof![
            Just(DecodeMode::Turbo),
            Just(DecodeMode::SystematicHard),
            Just(DecodeMode::SystematicSoft)
        ],
    ) {
        let codec = Codec::new();
        let mut scratch = Scratch::new();
        let r = codec.decode(&mut scratch, &llrs, mode);
        if llrs.len() != E {
            prop_assert!(matches!(r, Err(FecError::Length { .. })), "{:?}", r);
        }
    }

    #[test]
    fn frame_parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        if let Ok(f) = Frame::parse(&bytes) {
            // Anything accepted passed the CRC16 over len + 3 bytes.
            let len = usize::from(bytes[0]);
            prop_assert_eq!(crc16_dji(&bytes[..len + 3]), 0);
            prop_assert_eq!(f.record_bytes(), &bytes[1..=len]);
        }
    }

    #[test]
    fn built_frames_parse_back(record in proptest::collection::vec(any::<u8>(), 1..=frame::MAX_RECORD)) {
        let tb = frame::build(&record).unwrap();
        prop_assert_eq!(crc24a(&tb), 0);
        match Frame::parse(&tb) {
            Ok(f) => {
                prop_assert_eq!(f.record_bytes(), &record[..]);
                prop_assert_eq!(f.emit().unwrap(), tb);
            }
            // Only a known record type of the wrong size is refused.
            Err(FrameError::Record(_)) => prop_assert!(matches!(record[0], 0x10 | 0x11)),
            Err(e) => prop_assert!(false, "{}", e),
        }
    }
}
