//! Bluetooth LE Remote ID scanning through BlueZ (cargo feature `ble`, crate `bluer` over D-Bus).
//!
//! BlueZ hands over advertisement *reports* — device address, RSSI, service data by UUID — not frames.
//! [`report_frame`] turns one report with service data 0xFFFA back into the on-air advertising PDU
//! (built with `wire::ble`'s `emit`) behind an LE LL pseudo-header, link type 256, so the pipeline decodes
//! it with `capture::decode_frame` like any sniffer frame: no second copy of the ODID decoding. It is a
//! pure function, tested on the service data of the real captures.
//!
//! How the adapter scans ([`ScanMode`]): BlueZ's Advertisement Monitor API (`org.bluez.
//! AdvertisementMonitorManager1`, `bluer::monitor`) with one or-pattern on AD type 0x16 starting
//! `FA FF 0D` (Remote ID service data, application code 0x0D) is passive: the controller or bluetoothd
//! filters, no scan requests are sent, and the scan keeps running while other clients come and go. It
//! exists only in BlueZ ≥ 5.56 (before 5.65 behind `bluetoothd --experimental`), so `auto` falls back to
//! active discovery with a `DiscoveryFilter` (transport LE, duplicate data on, so BlueZ reports every
//! advertisement and not only changed ones). In both modes the kernel scans the LE Coded PHY too when
//! the controller supports it (extended scanning), which is how Bluetooth 5 long-range Remote ID is heard.
//!
//! The async BlueZ session runs on a current-thread tokio runtime on the adapter's own thread; reports
//! reach [`Source::next`] through a bounded queue (full: the report is dropped and counted, never
//! blocking D-Bus).

pub use super::settings::{BleConfig, ScanMode};
use super::{queue, Item, Source, SourceError};
use std::sync::mpsc;
use wire::ble::{
    emit_odid_ad, Address, AdvMode, ExtAdvRepr, ExtHeader, LegacyAdvRepr, PduType, ODID_APP_CODE,
};

/// One advertisement report as BlueZ gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Report<'a> {
    /// Advertiser address, display order (as `bluer::Address` and `wire::ble::Address` hold it).
    pub address: [u8; 6],
    /// The address is random (TxAdd).
    pub random: bool,
    pub rssi_dbm: Option<i16>,
    /// The service data of UUID 0xFFFA: the bytes after the UUID (application code, counter, payload).
    pub service_data: &'a [u8],
}

/// Access address of advertising packets.
const ADV_ACCESS_ADDRESS: u32 = 0x8E89_BED6;
/// LE LL pseudo-header flags: signal power valid (bit 1); PHY bits 14..15 = 0 (LE 1M), CRC not checked.
const PHDR_SIGNAL_VALID: u16 = 0x0002;
/// RF channel "unknown": BlueZ does not say which channel a report came on.
const RF_CHANNEL_UNKNOWN: u8 = 0xFF;
/// Longest AdvData of a legacy advertising PDU.
const LEGACY_ADV_DATA_MAX: usize = 31;

/// The report as a link-type-256 frame (`capture::LinkType::BleLlWithPhdr`): a 10-byte pseudo-header
/// with the RSSI, the advertising access address, and the advertising PDU carrying the service data in
/// one AD structure. `None` when the service data is not Remote ID (application code 0x0D and a counter)
/// or is too long for one PDU.
///
/// BlueZ does not say whether the report came from a legacy or an extended PDU, or on which PHY. The
/// length decides: AdvData that fits in 31 bytes (one 25-byte message, Bluetooth 4) becomes an
/// `ADV_NONCONN_IND`, anything longer (a Message Pack, which F3411 sends only with Bluetooth 5 extended
/// advertising) an `ADV_EXT_IND` with AdvA, which `capture` reports as `ble-long-range`.
pub fn report_frame(r: &Report<'_>) -> Option<Vec<u8>> {
    let [ODID_APP_CODE, counter, payload @ ..] = r.service_data else {
        return None;
    };
    let mut ad = [0u8; 255];
    let ad_len = emit_odid_ad(*counter, payload, &mut ad).ok()?;
    let ad = ad.get(..ad_len)?;
    let adv_a = Address(r.address);
    let mut pdu = [0u8; 2 + 255];
    let pdu_len = if ad.len() <= LEGACY_ADV_DATA_MAX {
        LegacyAdvRepr {
            pdu_type: PduType::AdvNonconnInd,
            tx_add: r.random,
            adv_a,
            adv_data: ad,
        }
        .emit(&mut pdu)
    } else {
        ExtAdvRepr {
            tx_add: r.random,
            header: ExtHeader {
                adv_a: Some(adv_a),
                ..ExtHeader::new(AdvMode::NonConnectableNonScannable)
            },
            adv_data: ad,
        }
        .emit(&mut pdu)
    }
    .ok()?;
    let mut frame = Vec::with_capacity(10 + 4 + pdu_len);
    let (signal, flags) = match r.rssi_dbm {
        Some(v) => (v.clamp(-128, 127) as i8 as u8, PHDR_SIGNAL_VALID),
        None => (0, 0),
    };
    frame.extend_from_slice(&[RF_CHANNEL_UNKNOWN, signal, 0x80, 0]);
    frame.extend_from_slice(&ADV_ACCESS_ADDRESS.to_le_bytes());
    frame.extend_from_slice(&flags.to_le_bytes());
    frame.extend_from_slice(&ADV_ACCESS_ADDRESS.to_le_bytes());
    frame.extend_from_slice(pdu.get(..pdu_len)?);
    Some(frame)
}

/// The item of one report, stamped with the current time; `None` as for [`report_frame`].
pub fn report_item(r: &Report<'_>) -> Option<Item> {
    let time = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    report_frame(r).map(|data| Item::Frame {
        link: capture::LinkType::BleLlWithPhdr,
        time,
        data,
    })
}

/// The BLE source: the receiving end of the BlueZ thread's queue.
pub struct BleSource {
    name: String,
    queue: queue::Receiver,
}

impl BleSource {
    /// Reports dropped because the queue was full.
    pub fn dropped(&self) -> u64 {
        self.queue.dropped()
    }
}

impl Source for BleSource {
    fn name(&self) -> &str {
        &self.name
    }

    fn next(&mut self) -> Result<Option<Item>, SourceError> {
        // Nothing advertised within the poll interval: `Idle`, back to the pipeline, which may be
        // stopping. The scan never ends by itself: the thread's end is an error.
        match self.queue.next()? {
            Some(item) => Ok(Some(item)),
            None => Err(fatal(&self.name, "the BlueZ scan thread ended".into())),
        }
    }

    fn drops(&self) -> Vec<(&'static str, u64)> {
        vec![("queue-full", self.dropped())]
    }
}

fn fatal(name: &str, message: String) -> SourceError {
    SourceError {
        source_name: name.to_owned(),
        message,
        fatal: true,
    }
}

/// Starts scanning on `adapter` (e.g. `hci0`), named `ble:ADAPTER`. Returns once the scan runs.
///
/// # Errors
///
/// Fatal [`SourceError`]s: no D-Bus system bus or bluetoothd, no such adapter (the adapters present
/// are listed), the adapter cannot be powered, BlueZ refuses the monitor (mode `monitor`) or discovery.
pub fn open(adapter: &str, cfg: &BleConfig) -> Result<Box<dyn Source>, SourceError> {
    let name = format!("ble:{adapter}");
    if cfg.queue == 0 {
        return Err(fatal(&name, "queue must be at least 1".into()));
    }
    let (tx, queue) = queue::bounded(cfg.queue);
    let (ready_tx, ready_rx) = mpsc::channel::<Result<(), SourceError>>();
    let sink = live::Sink {
        name: name.clone(),
        tx,
    };
    let adapter_name = adapter.to_owned();
    let cfg2 = cfg.clone();
    let thread_name = name.clone();
    std::thread::Builder::new()
        .name(name.clone())
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(r) => r,
                Err(e) => {
                    let _ = ready_tx.send(Err(fatal(&thread_name, format!("tokio runtime: {e}"))));
                    return;
                }
            };
            // Errors before the scan runs go to `open`; after, `run` queues them for the pipeline.
            if let Err(e) = runtime.block_on(live::run(&adapter_name, &cfg2, &sink, &ready_tx)) {
                let _ = ready_tx.send(Err(e));
            }
        })
        .map_err(|e| fatal(&name, format!("cannot start the BlueZ thread: {e}")))?;
    match ready_rx.recv() {
        Ok(Ok(())) => Ok(Box::new(BleSource { name, queue })),
        Ok(Err(e)) => Err(e),
        Err(_) => Err(fatal(
            &name,
            "the BlueZ thread ended before the scan started".into(),
        )),
    }
}

/// The BlueZ side: thin, not testable without an adapter and bluetoothd.
mod live {
    use super::{fatal, queue, report_item, BleConfig, Report, ScanMode, SourceError};
    use bluer::monitor::{Monitor, MonitorEvent, Pattern, RssiSamplingPeriod, Type};
    use bluer::{
        AdapterEvent, Address, AddressType, DeviceEvent, DeviceProperty, DiscoveryFilter,
        DiscoveryTransport, Uuid,
    };
    use futures_util::stream::{SelectAll, Stream, StreamExt};
    use std::collections::{HashMap, HashSet};
    use std::pin::Pin;
    use std::sync::mpsc;

    /// The Remote ID service UUID 0xFFFA on the Bluetooth base UUID.
    const ODID_UUID: Uuid = Uuid::from_u128(0x0000_FFFA_0000_1000_8000_0080_5F9B_34FB);

    pub(super) struct Sink {
        pub name: String,
        pub tx: queue::Sender,
    }

    impl Sink {
        /// Queues a report; false when the source was dropped (the scan ends).
        fn send(&self, r: &Report<'_>) -> bool {
            let Some(item) = report_item(r) else {
                return true;
            };
            match self.tx.offer(item) {
                queue::Offer::Queued => true,
                queue::Offer::Dropped(n) => {
                    if n.is_power_of_two() {
                        tracing::warn!(source = %self.name, dropped = n, "BLE report queue full: reports dropped");
                    }
                    true
                }
                queue::Offer::Closed => false,
            }
        }
    }

    type Found = Pin<Box<dyn Stream<Item = Address>>>;
    type Changes = SelectAll<Pin<Box<dyn Stream<Item = (Address, DeviceEvent)>>>>;

    fn err(name: &str, what: &str, e: impl std::fmt::Display) -> SourceError {
        fatal(name, format!("{what}: {e}"))
    }

    pub(super) async fn run(
        adapter_name: &str,
        cfg: &BleConfig,
        sink: &Sink,
        ready: &mpsc::Sender<Result<(), SourceError>>,
    ) -> Result<(), SourceError> {
        let name = sink.name.as_str();
        let session = bluer::Session::new().await.map_err(|e| {
            err(
                name,
                "cannot reach BlueZ on the D-Bus system bus (is bluetoothd running?)",
                e,
            )
        })?;
        let known = session.adapter_names().await.unwrap_or_default();
        if !known.iter().any(|a| a == adapter_name) {
            let list = if known.is_empty() {
                "none".to_string()
            } else {
                known.join(", ")
            };
            return Err(fatal(
                name,
                format!("no Bluetooth adapter named {adapter_name:?} (adapters here: {list})"),
            ));
        }
        let adapter = session
            .adapter(adapter_name)
            .map_err(|e| err(name, "adapter", e))?;
        if cfg.power_on && !adapter.is_powered().await.unwrap_or(false) {
            adapter
                .set_powered(true)
                .await
                .map_err(|e| err(name, "cannot power the adapter on (rfkill? permission?)", e))?;
        }
        // The monitor, its manager and the discovery stream must live as long as the scan.
        let mut _keep_monitor = None;
        let found: Found = match cfg.scan {
            ScanMode::Monitor => {
                let (keep, s) = monitor(&adapter, name).await?;
                _keep_monitor = Some(keep);
                s
            }
            ScanMode::Auto => match monitor(&adapter, name).await {
                Ok((keep, s)) => {
                    _keep_monitor = Some(keep);
                    s
                }
                Err(e) => {
                    tracing::info!(source = %name, reason = %e.message,
                        "advertisement monitor not available: active discovery instead");
                    discovery(&adapter, name).await?
                }
            },
            ScanMode::Discovery => discovery(&adapter, name).await?,
        };
        tracing::info!(source = %name, monitor = _keep_monitor.is_some(), "BLE scan started");
        if ready.send(Ok(())).is_err() {
            return Ok(());
        }
        if let Err(e) = scan(&adapter, found, sink).await {
            // The pipeline gets the error as the source's last message (it waits if the queue is full).
            sink.tx.fail(e);
        }
        drop(_keep_monitor);
        Ok(())
    }

    async fn monitor(
        adapter: &bluer::Adapter,
        name: &str,
    ) -> Result<(bluer::monitor::MonitorManager, Found), SourceError> {
        let manager = adapter
            .monitor()
            .await
            .map_err(|e| err(name, "BlueZ advertisement monitor", e))?;
        let handle = manager
            .register(Monitor {
                monitor_type: Type::OrPatterns,
                rssi_sampling_period: Some(RssiSamplingPeriod::All),
                patterns: Some(vec![Pattern::new(
                    wire::ble::AD_SERVICE_DATA_16,
                    0,
                    &[0xFA, 0xFF, wire::ble::ODID_APP_CODE],
                )]),
                ..Default::default()
            })
            .await
            .map_err(|e| err(name, "BlueZ refused the advertisement monitor", e))?;
        let found = handle.filter_map(|ev| async move {
            match ev {
                MonitorEvent::DeviceFound(id) => Some(id.device),
                _ => None,
            }
        });
        Ok((manager, Box::pin(found)))
    }

    async fn discovery(adapter: &bluer::Adapter, name: &str) -> Result<Found, SourceError> {
        adapter
            .set_discovery_filter(DiscoveryFilter {
                transport: DiscoveryTransport::Le,
                duplicate_data: true,
                ..Default::default()
            })
            .await
            .map_err(|e| err(name, "BlueZ refused the LE discovery filter", e))?;
        let events = adapter
            .discover_devices()
            .await
            .map_err(|e| err(name, "BlueZ refused to start discovery", e))?;
        Ok(Box::pin(events.filter_map(|ev| async move {
            match ev {
                AdapterEvent::DeviceAdded(a) => Some(a),
                _ => None,
            }
        })))
    }

    /// Follows every device found: its current service data, then every change of it.
    async fn scan(
        adapter: &bluer::Adapter,
        mut found: Found,
        sink: &Sink,
    ) -> Result<(), SourceError> {
        let name = sink.name.as_str();
        let mut changes: Changes = SelectAll::new();
        let mut followed: HashSet<Address> = HashSet::new();
        let mut state: HashMap<Address, (bool, Option<i16>)> = HashMap::new();
        loop {
            tokio::select! {
                addr = found.next() => {
                    let Some(addr) = addr else {
                        return Err(fatal(name, "BlueZ ended the scan".into()));
                    };
                    let Ok(device) = adapter.device(addr) else { continue };
                    let random = matches!(device.address_type().await, Ok(AddressType::LeRandom));
                    let rssi = device.rssi().await.ok().flatten();
                    state.insert(addr, (random, rssi));
                    if let Ok(Some(data)) = device.service_data().await {
                        if !emit(sink, addr, random, rssi, &data) {
                            return Ok(());
                        }
                    }
                    if followed.insert(addr) {
                        if let Ok(events) = device.events().await {
                            changes.push(Box::pin(events.map(move |e| (addr, e))));
                        }
                    }
                }
                Some((addr, DeviceEvent::PropertyChanged(p))) = changes.next(), if !changes.is_empty() => {
                    let entry = state.entry(addr).or_insert((false, None));
                    match p {
                        DeviceProperty::Rssi(r) => entry.1 = Some(r),
                        DeviceProperty::ServiceData(data) => {
                            let (random, rssi) = *entry;
                            if !emit(sink, addr, random, rssi, &data) {
                                return Ok(());
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
    }

    fn emit(
        sink: &Sink,
        addr: Address,
        random: bool,
        rssi: Option<i16>,
        data: &HashMap<Uuid, Vec<u8>>,
    ) -> bool {
        match data.get(&ODID_UUID) {
            Some(service_data) => sink.send(&Report {
                address: addr.0,
                random,
                rssi_dbm: rssi,
                service_data,
            }),
            None => true,
        }
    }
}

#[cfg(test)]
mod tests;
