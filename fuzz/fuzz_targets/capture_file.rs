//! Whole capture files (pcap, pcapng, btsnoop): the container readers with bounded memory.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let reader = std::io::Cursor::new(data.to_vec());
    if let Ok(dec) = capture::Decoder::new("fuzz", reader, Some(data.len() as u64)) {
        for ev in dec.take(100_000) {
            if ev.is_err() {
                break;
            }
        }
    }
});
