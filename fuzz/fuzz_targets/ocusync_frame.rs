//! The OcuSync DroneID frame inside a transport block (length byte, DJI CRC16, record dispatch).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(f) = dsp::frame::Frame::parse(data) {
        let _ = f.emit();
    }
});
