//! The SDR source run end to end with a producer that pushes a real IQ recording through the streaming
//! receiver in radio-sized chunks, as `dsp::soapy::run` does; compared with `dsp::rx::Bursts` on the file.

use super::*;
use dsp::rx::{Receiver, ReceiverConfig};
use std::sync::mpsc;

/// A producer reading `path` (SigMF) in 16,384-sample chunks, as a radio delivers them.
fn file_producer(path: std::path::PathBuf) -> Producer {
    Box::new(move |keep_going, on_burst| {
        let mut src = dsp::iq::open(&path, &Default::default()).map_err(|e| e.to_string())?;
        let center = src.center_freq.unwrap_or(0.0);
        let mut cfg = ReceiverConfig::new(src.sample_rate);
        cfg.center_freq = src.center_freq;
        let mut rx = Receiver::new(cfg).map_err(|e| e.to_string())?;
        let mut chunk = Vec::new();
        let mut bursts = Vec::new();
        while keep_going() {
            let n = src
                .reader
                .read_chunk(&mut chunk, 16_384)
                .map_err(|e| e.to_string())?;
            if n == 0 {
                rx.finish(&mut bursts);
            } else {
                rx.push(&chunk, &mut bursts);
            }
            for b in bursts.drain(..) {
                on_burst(center, b);
            }
            if n == 0 {
                break;
            }
        }
        Ok(())
    })
}

#[test]
fn a_recording_through_the_source_gives_the_detections_of_the_file_decoder() {
    let Some(path) = testdata::file("ocusync", "mavic_air_2.sigmf-data") else {
        return;
    };
    // What `skytrace decode` reports for the file: the bursts whose DJI frame checks out.
    let bursts = dsp::rx::decode_file(&path, &Default::default()).unwrap();
    let want: Vec<(Vec<u8>, Option<u32>)> = bursts
        .iter()
        .filter_map(|b| match burst_outcome(0.0, b, 0, 1) {
            BurstOutcome::Detection(d) => Some(d),
            BurstOutcome::Dropped(_) => None,
        })
        .map(|d| match &d.messages[..] {
            [capture::Message::Dji(r)] => (r.bytes().to_vec(), d.freq_mhz),
            other => panic!("{other:?}"),
        })
        .collect();
    assert!(
        !want.is_empty(),
        "the recording has decodable DroneID bursts"
    );

    let mut src = spawn("sdr:test", 64, file_producer(path)).unwrap();
    assert_eq!(src.name(), "sdr:test");
    let mut got = Vec::new();
    let mut last_frame = 0;
    while let Some(item) = src.next().unwrap() {
        let d = match item {
            Item::Detection(d) => d,
            Item::Idle => continue,
            Item::Frame { .. } => panic!("an SDR source yields detections"),
        };
        assert_eq!(d.transport, capture::Transport::DjiOcusync);
        assert!(d.time > 1_600_000_000_000_000_000);
        // Frames number every burst heard, reported or dropped.
        assert!(
            d.frame > last_frame && d.frame as usize <= bursts.len(),
            "frame {}",
            d.frame
        );
        last_frame = d.frame;
        match &d.messages[..] {
            [capture::Message::Dji(r)] => {
                assert!(r.record().is_ok());
                got.push((r.bytes().to_vec(), d.freq_mhz));
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(got, want);
    let c = src.counters();
    assert_eq!(c.bursts.load(Ordering::Relaxed) as usize, bursts.len());
    assert_eq!(
        c.dropped_bursts.load(Ordering::Relaxed) as usize,
        bursts.len() - want.len()
    );
    assert_eq!(src.dropped_queue_full(), 0);
}

#[test]
fn a_radio_error_is_the_last_item_and_fatal() {
    let producer: Producer =
        Box::new(|_, _| Err("SoapySDR device \"driver=x\": stream lost".into()));
    let mut src = spawn("sdr:driver=x", 4, producer).unwrap();
    let Err(e) = src.next() else {
        panic!("the error reaches the pipeline")
    };
    assert!(e.fatal);
    assert_eq!(
        e.to_string(),
        "sdr:driver=x: SoapySDR device \"driver=x\": stream lost"
    );
    assert!(matches!(src.next(), Ok(None)));
}

#[test]
fn dropping_the_source_stops_the_radio_loop() {
    let (done_tx, done_rx) = mpsc::channel();
    let producer: Producer = Box::new(move |keep_going, _| {
        while keep_going() {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        let _ = done_tx.send(());
        Ok(())
    });
    let src = spawn("sdr:loop", 4, producer).unwrap();
    drop(src);
    done_rx
        .recv_timeout(std::time::Duration::from_secs(10))
        .expect("the radio loop saw keep_going() == false");
}

/// Bursts that fail their checks and detections that found the queue full reach the pipeline through
/// `Source::drops`.
#[test]
fn drops_inside_the_source_are_reported() {
    let Some(path) = testdata::file("ocusync", "mavic_air_2.sigmf-data") else {
        return;
    };
    let bursts = dsp::rx::decode_file(&path, &Default::default()).unwrap();
    let good = bursts
        .iter()
        .filter(|b| matches!(burst_outcome(0.0, b, 0, 1), BurstOutcome::Detection(_)))
        .count();
    assert!(good >= 2, "the queue of one must overflow");
    // Nobody reads until the radio thread has heard every burst: a queue of one keeps one detection.
    let mut src = spawn("sdr:q", 1, file_producer(path)).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while (src.counters().bursts.load(Ordering::Relaxed) as usize) < bursts.len() {
        assert!(std::time::Instant::now() < deadline, "the producer stalled");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let mut got = 0;
    while let Some(item) = src.next().unwrap() {
        got += usize::from(matches!(item, Item::Detection(_)));
    }
    assert_eq!(got, 1);
    assert_eq!(
        src.drops(),
        vec![
            ("bad-burst", (bursts.len() - good) as u64),
            ("queue-full", (good - 1) as u64)
        ]
    );
}

/// A radio that hears nothing does not hold `next`: the pipeline gets `Idle` within the poll interval.
#[test]
fn a_silent_radio_returns_idle() {
    let producer: Producer = Box::new(move |keep_going, _| {
        while keep_going() {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        Ok(())
    });
    let mut src = spawn("sdr:quiet", 4, producer).unwrap();
    let t = std::time::Instant::now();
    assert!(matches!(src.next(), Ok(Some(Item::Idle))));
    assert!(t.elapsed() < crate::source::POLL * 5, "{:?}", t.elapsed());
    assert_eq!(src.drops(), vec![("bad-burst", 0), ("queue-full", 0)]);
}

#[test]
fn config_is_checked_field_by_field() {
    let parse = |s: &str| toml::from_str::<SdrConfig>(s).map_err(|e| e.to_string());
    let cfg = parse("").unwrap();
    assert_eq!(cfg, SdrConfig::default());
    let soapy = cfg.soapy("driver=hackrf").unwrap();
    assert_eq!(soapy.device_args, "driver=hackrf");
    assert_eq!(
        soapy.channels_hz.len(),
        dsp::sweep::DRONEID_CHANNELS_MHZ.len()
    );
    let cfg = parse("sample_rate = 15.36e6\ngain_db = 30\nchannels_mhz = [2414.5]\ndwell_ms = 50\nhold_ms = 100").unwrap();
    let soapy = cfg.soapy("a").unwrap();
    assert_eq!(soapy.channels_hz, vec![2414.5e6]);
    assert_eq!(soapy.gain_db, Some(30.0));
    assert_eq!(soapy.dwell, std::time::Duration::from_millis(50));
    assert!(parse("gain = 3")
        .unwrap_err()
        .contains("unknown field `gain`"));
    let bad: &[(&str, &str)] = &[
        ("sample_rate = 5e6", "sample_rate 5000000 Hz: at least 10e6"),
        (
            "channels_mhz = [2414.5, -1.0]",
            "channels_mhz[1]: -1 is not a frequency",
        ),
        ("dwell_ms = 0", "dwell_ms must be at least 1"),
        ("queue = 0", "queue must be at least 1"),
    ];
    for (text, want) in bad {
        let err = parse(text).unwrap().soapy("a").unwrap_err();
        assert!(err.starts_with(want), "{text}: {err}");
    }
}

#[test]
fn open_without_a_matching_radio_says_so() {
    let e = match open("driver=skytrace-no-such-radio", &SdrConfig::default()) {
        Err(e) => e,
        Ok(_) => panic!("opened a radio that does not exist"),
    };
    assert!(e.fatal);
    assert!(
        e.message
            .starts_with("no SoapySDR device matches \"driver=skytrace-no-such-radio\""),
        "{}",
        e.message
    );
    let e = match open(
        "driver=x",
        &SdrConfig {
            dwell_ms: 0,
            ..SdrConfig::default()
        },
    ) {
        Err(e) => e,
        Ok(_) => panic!("accepted"),
    };
    assert_eq!(e.to_string(), "sdr:driver=x: dwell_ms must be at least 1");
}
