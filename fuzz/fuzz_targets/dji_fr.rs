//! The DJI DroneID record (both framings) and the French beacon TLVs.
#![no_main]
use libfuzzer_sys::fuzz_target;
use wire::{dji, fr};

fuzz_target!(|data: &[u8]| {
    if let Ok(r) = dji::Record::parse(data) {
        let mut buf = vec![0u8; 512];
        let _ = r.emit(&mut buf);
        if let dji::Record::Telemetry(t) = r {
            let _ = (t.position(), t.pilot(), t.home(), t.ground_speed(), t.heading_deg());
        }
    }
    let _ = dji::wifi::parse_ie(data);
    if let Ok(b) = fr::BeaconRepr::parse(data) {
        let mut buf = vec![0u8; b.buffer_len()];
        let _ = b.emit(&mut buf);
        let _ = (b.position(), b.takeoff());
    }
    let _ = fr::parse_ie(data);
});
