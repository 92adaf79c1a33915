//! Real captures decoded into contract lines: the field names and values the output contract and
//! later issues rely on (values from each capture's `.txt` in the shared data).

use contract::{DetectionLine, Message, Options};

fn lines(file: &str) -> Option<Vec<DetectionLine>> {
    let path = testdata::file("remoteid", file)?;
    let mut out = Vec::new();
    for ev in capture::open(&path).expect("open") {
        if let capture::Event::Detection(d) = ev.expect("event") {
            out.push(DetectionLine::from_detection(&d, &Options::default()));
        }
    }
    Some(out)
}

fn close(a: Option<f64>, b: f64, tol: f64) {
    let a = a.expect("value present");
    assert!((a - b).abs() <= tol, "{a} vs {b}");
}

#[test]
fn odid_wifi_sample_first_location_and_system() {
    let Some(lines) = lines("odid_wifi_sample.pcap") else {
        return;
    };
    assert_eq!(lines.len(), 42);
    let nan = lines.iter().filter(|l| l.transport == "wifi-nan").count();
    assert_eq!((nan, lines.len() - nan), (21, 21));
    assert!(lines
        .iter()
        .all(|l| l.mac.as_deref() == Some("84:cc:a8:60:43:24")));
    // First Location decoded (the .txt): direction 288, speed 20.5, vspeed 63 (= unknown), lat
    // 45.5450519, lon -122.9722906, baro -1000 (= unknown), geo 237, height 100.
    let loc = lines
        .iter()
        .flat_map(|l| &l.messages)
        .find_map(|m| match m {
            Message::Location(l) => Some(l),
            _ => None,
        })
        .unwrap();
    assert_eq!(loc.track_deg, Some(288.0));
    assert_eq!(loc.speed_mps, Some(20.5));
    assert_eq!(loc.vspeed_mps, None);
    assert_eq!(loc.alt_baro_m, None);
    assert_eq!((loc.alt_geo_m, loc.height_m), (Some(237.0), Some(100.0)));
    assert_eq!((loc.lat, loc.lon), (Some(45.5450519), Some(-122.9722906)));
    assert_eq!((loc.status, loc.timestamp_s), (Some(0), Some(0.0)));
    let sys = lines
        .iter()
        .flat_map(|l| &l.messages)
        .find_map(|m| match m {
            Message::System(s) => Some(s),
            _ => None,
        })
        .unwrap();
    assert_eq!(
        (sys.operator_lat, sys.operator_lon),
        (Some(45.5443876), Some(-122.9726866))
    );
    assert_eq!(sys.operator_location_type, Some(0));
    assert_eq!((sys.eu_category, sys.eu_class), (Some(1), Some(5)));
    // The NAN frame and the beacon of a triple carry the same counter; the first is 34.
    assert_eq!(lines[0].counter, Some(34));
    assert_eq!(lines[0].freq_mhz, Some(2437.0));
}

#[test]
fn bt5_basic_id_operator_and_json_round_trip() {
    let Some(lines) = lines("odid_bt5_lr_sample.pcapng") else {
        return;
    };
    assert_eq!(lines.len(), 244);
    assert!(lines.iter().all(|l| l.transport == "ble-long-range"));
    let mut basic = 0;
    for l in &lines {
        for m in &l.messages {
            if let Message::BasicId(b) = m {
                basic += 1;
                assert_eq!(b.uas_id.as_deref(), Some("SSEVTFG93700070"));
                assert_eq!((b.id_type, b.ua_type), (Some(1), Some(2)));
            }
            if let Message::OperatorId(o) = m {
                assert_eq!(o.operator_id.as_deref(), Some("FIN87astrdge12kxyz8"));
            }
            if let Message::Location(loc) = m {
                // lat = lon = 0 is "unknown"; speed 255 and direction 361 are the sentinels.
                assert_eq!(
                    (loc.lat, loc.lon, loc.speed_mps, loc.track_deg),
                    (None, None, None, None)
                );
                // The .txt's first and last Location: baro -55 m, height -0.5 m; in between the
                // transmitter's barometer wanders by half-metre steps.
                assert!(matches!(loc.alt_baro_m, Some(a) if (-56.0..=-54.0).contains(&a)));
                assert!(
                    matches!(loc.height_m, Some(h) if h == -0.5 || h == 0.0),
                    "{loc:?}"
                );
            }
        }
        // Everything the decoder prints is accepted back by the ingest parser, unchanged.
        let back = DetectionLine::parse(&l.to_json()).expect("round trip");
        assert_eq!(&back, l);
    }
    assert_eq!(basic, 225);
    let first = lines
        .iter()
        .flat_map(|l| &l.messages)
        .find_map(|m| match m {
            Message::Location(l) => Some(l),
            _ => None,
        })
        .unwrap();
    assert_eq!(
        (first.alt_baro_m, first.height_m),
        (Some(-55.0), Some(-0.5))
    );
    assert_eq!((first.status, first.alt_geo_m), (Some(2), None));
}

#[test]
fn dji_spoofed_capture_has_pilot_and_home() {
    let Some(lines) = lines("cdc_mavic_alessa_spoofed.pcapng") else {
        return;
    };
    assert_eq!(lines.len(), 10);
    for l in &lines {
        assert_eq!(l.transport, "dji-wifi");
        let Message::DjiTelemetry(t) = &l.messages[0] else {
            panic!("{l:?}")
        };
        assert_eq!(t.serial.as_deref(), Some("K6RE0WENAH9P8QAL"));
        assert_eq!((t.version, t.seq), (Some(2), Some(1613)));
        assert!(t.operator_lat.is_some() && t.home_lat.is_some());
        assert_eq!(t.product.as_deref(), Some("Mini 2 SE"));
        close(
            t.speed_mps,
            (21.0f64.powi(2) + 39.0f64.powi(2)).sqrt(),
            0.01,
        );
    }
}
