//! The Wi-Fi source driven through `pcap::Capture::from_file` on real radiotap captures: the same
//! `WifiSource` code a live device runs, compared with what `capture::open` decodes from the file.

use super::*;
use std::sync::{Arc, Mutex};

/// Records every channel it is asked to tune to.
struct RecordingTuner(Arc<Mutex<Vec<u16>>>);

impl Tuner for RecordingTuner {
    fn tune(&mut self, channel: Channel) -> Result<(), String> {
        self.0
            .lock()
            .map_err(|e| e.to_string())?
            .push(channel.number);
        Ok(())
    }
}

struct FailingTuner;

impl Tuner for FailingTuner {
    fn tune(&mut self, channel: Channel) -> Result<(), String> {
        Err(format!("cannot tune {}", channel.number))
    }
}

fn file_source(
    path: &Path,
    hopping: Option<(HopSchedule, Box<dyn Tuner>)>,
) -> WifiSource<pcap::Capture<pcap::Offline>> {
    let cap = pcap::Capture::from_file_with_precision(path, pcap::Precision::Nano)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    WifiSource::new(format!("wifi:{}", path.display()), cap, true, hopping)
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Every detection of a source's frames, decoded as the pipeline does (frame index = item index).
fn decode_items(src: &mut dyn Source) -> (usize, Vec<capture::Detection>) {
    let mut out = Vec::new();
    let mut frames = 0;
    while let Some(item) = src.next().unwrap_or_else(|e| panic!("{e}")) {
        frames += 1;
        match item {
            Item::Frame { link, time, data } => {
                capture::decode_frame(link, time, frames as u64, &data, &mut out);
            }
            Item::Detection(d) => panic!("a Wi-Fi source yields frames, got {d:?}"),
            Item::Idle => panic!("a file handle never times out"),
        }
    }
    (frames, out)
}

fn check_same_as_capture_open(name: &str, min_detections: usize) {
    let Some(path) = testdata::file("remoteid", name) else {
        return;
    };
    let mut want = Vec::new();
    let mut decoder = capture::open(&path).unwrap();
    for e in decoder.by_ref() {
        if let capture::Event::Detection(d) = e.unwrap() {
            want.push(d);
        }
    }
    let tuned = Arc::new(Mutex::new(Vec::new()));
    let schedule = WifiConfig::default().schedule().unwrap();
    let mut src = file_source(
        &path,
        Some((schedule, Box::new(RecordingTuner(tuned.clone())))),
    );
    let (frames, got) = decode_items(&mut src);
    assert_eq!(frames as u64, decoder.stats().frames_read, "{name}: frames");
    assert!(
        got.len() >= min_detections,
        "{name}: {} detections",
        got.len()
    );
    assert_eq!(got, want, "{name}");
    // The first channel of the default plan was tuned before the first frame was read.
    assert_eq!(tuned.lock().unwrap().first(), Some(&6), "{name}");
}

#[test]
fn recorded_captures_give_the_detections_of_capture_open() {
    // (file, detections at least) from remoteid/INDEX.md.
    let cases = [
        ("odid_wifi_sample.pcap", 42),
        ("odid_wifi_bcn_sample.pcap", 21),
        ("wsd_beacon_sample_898e76b.pcap", 42),
        ("sutt0n_packet-data_capture_output.pcap", 18),
        ("bk_wireless_RID_test_linux_transmitter.pcapng", 21),
        ("cdc_mavic_alessa_spoofed.pcapng", 10),
    ];
    for (name, n) in cases {
        check_same_as_capture_open(name, n);
    }
}

#[test]
fn a_capture_that_is_not_radiotap_is_refused_with_the_monitor_mode_fix() {
    let Some(path) = testdata::file("remoteid", "odid_bt5_lr_sample.pcapng") else {
        return;
    };
    let cap = pcap::Capture::from_file(&path).unwrap();
    let err = match WifiSource::new("wifi:wlan9", cap, false, None) {
        Err(e) => e,
        Ok(_) => panic!("a Nordic BLE capture is not radiotap"),
    };
    assert!(err.fatal);
    assert_eq!(err.source_name, "wifi:wlan9");
    assert!(
        err.message.contains("(272), not 802.11 radiotap (127)"),
        "{}",
        err.message
    );
    assert!(
        err.message.contains("iw dev wlan9 set type monitor"),
        "{}",
        err.message
    );
}

#[test]
fn a_failed_hop_is_reported_once_and_the_capture_goes_on() {
    let Some(path) = testdata::file("remoteid", "odid_wifi_bcn_sample.pcap") else {
        return;
    };
    let schedule = WifiConfig::default().schedule().unwrap();
    let mut src = file_source(&path, Some((schedule, Box::new(FailingTuner))));
    let Err(err) = src.next() else {
        panic!("the first tune fails")
    };
    assert!(!err.fatal);
    assert_eq!(err.message, "cannot tune 6");
    assert_eq!(src.tune_errors, 1);
    // The next call reads a frame: the dwell on channel 6 has not ended.
    assert!(matches!(src.next(), Ok(Some(Item::Frame { .. }))));
}

#[test]
fn microsecond_handles_scale_timestamps() {
    let Some(path) = testdata::file("remoteid", "odid_wifi_bcn_sample.pcap") else {
        return;
    };
    let first_time = |nano: bool| {
        let precision = if nano {
            pcap::Precision::Nano
        } else {
            pcap::Precision::Micro
        };
        let cap = pcap::Capture::from_file_with_precision(&path, precision).unwrap();
        let mut s = WifiSource::new("wifi:f", cap, nano, None).unwrap();
        match s.next() {
            Ok(Some(Item::Frame { time, .. })) => time,
            other => panic!("{other:?}"),
        }
    };
    let ns = first_time(true);
    assert!(ns > 1_500_000_000_000_000_000, "{ns}");
    assert_eq!(first_time(false), ns / 1000 * 1000);
}

#[test]
fn config_parses_channels_and_dwell_and_refuses_unknown_keys() {
    let parse = |s: &str| toml::from_str::<WifiConfig>(s).map_err(|e| e.to_string());
    let cfg = parse("").unwrap();
    assert_eq!(cfg, WifiConfig::default());
    let s = cfg.schedule().unwrap();
    assert_eq!(s.current(), Channel::from_number(6).unwrap());

    let cfg =
        parse("channels = [1, { channel = 149, dwell_ms = 250 }, 11]\ndwell_ms = 400\nhop = true")
            .unwrap();
    let mut s = cfg.schedule().unwrap();
    let ms = Duration::from_millis;
    assert_eq!(s.start(ms(0)).number, 1);
    assert_eq!(s.poll(ms(400)).map(|c| c.number), Some(149));
    assert_eq!(s.poll(ms(649)), None);
    assert_eq!(s.poll(ms(650)).map(|c| c.number), Some(11));
    assert_eq!(s.poll(ms(1050)).map(|c| c.number), Some(1));

    let cases: &[(&str, &str)] = &[
        ("channel = [6]", "unknown field `channel`"),
        ("channels = [{ channel = 6, dwell = 5 }]", "channels"),
        ("dwell_ms = -1", "dwell_ms"),
    ];
    for (text, want) in cases {
        let err = parse(text).unwrap_err();
        assert!(err.contains(want), "{text}: {err}");
    }
    let bad = |text: &str| parse(text).unwrap().schedule().unwrap_err();
    assert_eq!(
        bad("channels = [6, 200]"),
        "channels[1]: channel 200 is not a 2.4 GHz (1-14) or 5 GHz (32-177) channel"
    );
    assert_eq!(bad("channels = []"), "the channel plan is empty");
    assert_eq!(
        bad("channels = [{ channel = 6, dwell_ms = 0 }]"),
        "channel 6: dwell is zero"
    );
}

#[test]
fn open_names_the_problem_with_the_interface() {
    let msg = |iface: &str| match open(iface, &WifiConfig::default()) {
        Ok(_) => panic!("{iface} opened"),
        Err(e) => {
            assert!(e.fatal);
            assert_eq!(e.source_name, format!("wifi:{iface}"));
            e.message
        }
    };
    let m = msg("nosuchif0");
    assert!(
        m.starts_with("no network interface named \"nosuchif0\" (wireless interfaces here: "),
        "{m}"
    );
    // The loopback interface exists but is no 802.11 monitor interface (ARPHRD_LOOPBACK = 772).
    let m = msg("lo");
    assert!(
        m.starts_with("lo is not in monitor mode (ARPHRD type 772)"),
        "{m}"
    );
    assert!(m.contains("iw dev lo set type monitor"), "{m}");
    let m = match open(
        "lo",
        &WifiConfig {
            channels: vec![],
            ..WifiConfig::default()
        },
    ) {
        Err(e) => e.message,
        Ok(_) => panic!("opened"),
    };
    assert_eq!(m, "the channel plan is empty");
}

#[test]
fn permission_errors_say_which_capabilities() {
    let e = pcap::Error::PcapError(
        "wlan0: You don't have permission to perform this capture on that device (socket: Operation not permitted)".into(),
    );
    let m = describe_open_error("wlan0", &e);
    assert!(m.starts_with("wlan0: permission denied ("), "{m}");
    assert!(m.contains("CAP_NET_RAW and CAP_NET_ADMIN"), "{m}");
    let m = describe_open_error(
        "wlan0",
        &pcap::Error::PcapError("wlan0: No such device exists".into()),
    );
    assert_eq!(
        m,
        "wlan0: libpcap cannot open it: libpcap error: wlan0: No such device exists"
    );
}

/// A monitor-mode handle on a quiet channel: every read times out, as libpcap's read timeout does.
struct SilentHandle {
    reads: u64,
}

impl Handle for SilentHandle {
    fn datalink(&self) -> pcap::Linktype {
        pcap::Linktype(DLT_RADIOTAP)
    }

    fn next_packet(&mut self) -> Result<pcap::Packet<'_>, pcap::Error> {
        self.reads += 1;
        Err(pcap::Error::TimeoutExpired)
    }
}

/// A silent interface does not hold `next` (the pipeline can stop it), and hopping goes on meanwhile.
#[test]
fn a_silent_interface_returns_idle_and_keeps_hopping() {
    let tuned = Arc::new(Mutex::new(Vec::new()));
    let cfg = WifiConfig {
        channels: vec![ChannelEntry::Number(6), ChannelEntry::Number(149)],
        dwell_ms: 20,
        ..WifiConfig::default()
    };
    let hopping = Some((
        cfg.schedule().unwrap(),
        Box::new(RecordingTuner(tuned.clone())) as Box<dyn Tuner>,
    ));
    let mut src = WifiSource::new("wifi:quiet0", SilentHandle { reads: 0 }, true, hopping).unwrap();
    let started = Instant::now();
    let mut idles = 0;
    while started.elapsed() < Duration::from_millis(150) {
        match src.next() {
            Ok(Some(Item::Idle)) => idles += 1,
            other => panic!("a silent handle gives Idle, got {other:?}"),
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(idles >= 10, "{idles}");
    assert_eq!(
        src.capture.reads, idles,
        "one read per call: next never waits twice"
    );
    let tuned = tuned.lock().unwrap().clone();
    assert!(tuned.len() >= 3, "hops while nothing is heard: {tuned:?}");
    assert!(tuned.starts_with(&[6, 149, 6]), "{tuned:?}");
}
