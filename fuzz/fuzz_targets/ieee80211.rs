//! 802.11 management frames: the scan, the IE walk and every payload it finds.
#![no_main]
use libfuzzer_sys::fuzz_target;
use wire::ieee80211::{self, Found};

fuzz_target!(|data: &[u8]| {
    if let Ok(scan) = ieee80211::scan(data) {
        for f in scan.found() {
            match f {
                Found::OdidBeacon { payload, .. } | Found::OdidNan { payload, .. } => {
                    let _ = wire::odid::Payload::parse(payload);
                }
                Found::Dji(r) => {
                    let _ = wire::dji::Record::parse(r);
                }
                Found::French(t) => {
                    let _ = wire::fr::BeaconRepr::parse(t);
                }
            }
        }
    }
    let _ = ieee80211::nan::sdf_attributes(data).map(|a| a.count());
});
