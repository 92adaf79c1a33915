//! The ingest parser: a detection line from a sensor is parsed and range-checked, or refused.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        if let Ok(line) = contract::DetectionLine::parse(s) {
            // What was accepted serialises and reads back the same.
            let again = contract::DetectionLine::parse(&line.to_json()).expect("re-parse");
            assert_eq!(again.frame, line.frame);
        }
    }
});
