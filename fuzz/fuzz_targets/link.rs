//! Every link type's record decoder, chosen by the first byte, through to detections.
#![no_main]
use capture::LinkType;
use libfuzzer_sys::fuzz_target;

/// The link types `capture` reads, in the order the seed corpus numbers them.
const LINKS: [u32; 6] = [127, 105, 272, 256, 251, 201];

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rec)) = data.split_first() else {
        return;
    };
    let link = LinkType::from_dlt(LINKS[usize::from(sel) % LINKS.len()]);
    let mut out = Vec::new();
    let _ = capture::decode_frame(link, 0, 1, rec, &mut out);
    for d in &out {
        let _ = contract::DetectionLine::from_detection(d, &contract::Options::default()).to_json();
    }
});
