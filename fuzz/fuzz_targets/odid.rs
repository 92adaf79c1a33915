//! ASTM F3411 messages, packs and payloads: never a panic, and what parses re-emits.
#![no_main]
use libfuzzer_sys::fuzz_target;
use wire::odid::{Message, Pack, Payload};

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = Message::parse(data) {
        let mut buf = [0u8; 25];
        let _ = m.emit(&mut buf);
    }
    if let Ok(p) = Pack::parse(data) {
        let mut buf = vec![0u8; p.buffer_len()];
        let _ = p.emit(&mut buf);
    }
    let _ = Payload::parse(data).map(|p| p.messages().len());
});
