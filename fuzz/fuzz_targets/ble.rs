//! BLE advertising PDUs, AD structures and HCI advertising reports.
#![no_main]
use libfuzzer_sys::fuzz_target;
use wire::ble;

fuzz_target!(|data: &[u8]| {
    if let Ok(adv) = ble::Advertisement::parse(data) {
        let _ = ble::odid_service_data(adv.adv_data);
        let _ = ble::AdStructures::new(adv.adv_data).count();
    }
    let _ = ble::odid_service_data(data);
    if let Ok(reports) = ble::hci::Reports::from_le_meta(data) {
        for r in reports.take(64).flatten() {
            let _ = ble::odid_service_data(r.data);
        }
    }
    let _ = ble::hci::Reports::from_event(data).map(|r| r.take(64).count());
});
