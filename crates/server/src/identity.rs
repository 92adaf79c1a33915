//! From a [`contract::DetectionLine`] to the [`store::TrackFacts`] the store keeps per track.
//!
//! The key of a track is its strongest identity in the line: the Remote ID UAS ID (`rid:`), the DJI serial
//! (`dji:`), the French beacon ID (`fr:`), the hash of an encrypted DJI session (`dji-enc:`). Frames that
//! carry only a position (Remote ID over legacy BLE sends one message per frame) are bound through the
//! transmitter MAC to the identity last seen with that MAC ([`Binder`]); a MAC never seen with an identity
//! makes its own `mac:` track.
//!
//! This is a deliberately small binder. `track::Tracker` has the complete identity-binding rules (merges,
//! MAC randomisation, timeouts); moving ingest onto it means persisting its `TrackId`s and merges, which is
//! the next step for this crate.

use contract::{DetectionLine, Message};
use std::collections::HashMap;
use std::sync::Mutex;
use store::TrackFacts;

/// Remembers which identity each transmitter MAC last carried.
#[derive(Default)]
pub struct Binder {
    macs: Mutex<HashMap<String, String>>,
}

/// Latitude and longitude both present and not the (0, 0) that DJI sends before a GPS fix.
fn pos(lat: Option<f64>, lon: Option<f64>) -> Option<(f64, f64)> {
    match (lat, lon) {
        (Some(a), Some(o)) if !(a == 0.0 && o == 0.0) => Some((a, o)),
        _ => None,
    }
}

fn non_empty(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl Binder {
    /// The facts of one line, or `None` when it names no identity and has no MAC.
    pub fn facts(&self, line: &DetectionLine) -> Option<TrackFacts> {
        let mut f = TrackFacts::default();
        let mut key: Option<String> = None;
        for m in &line.messages {
            match m {
                Message::BasicId(b) => {
                    if let (None, Some(id)) = (&key, non_empty(&b.uas_id)) {
                        key = Some(format!("rid:{id}"));
                        f.uas_id = Some(id.to_owned());
                    }
                }
                Message::Location(l) => {
                    if let Some((a, o)) = pos(l.lat, l.lon) {
                        f.lat = Some(a);
                        f.lon = Some(o);
                        f.alt_m = l.alt_geo_m.or(l.alt_baro_m);
                    }
                }
                Message::System(s) => {
                    if let Some((a, o)) = pos(s.operator_lat, s.operator_lon) {
                        f.operator_lat = Some(a);
                        f.operator_lon = Some(o);
                    }
                }
                Message::DjiTelemetry(t) => {
                    if let (None, Some(id)) = (&key, non_empty(&t.serial)) {
                        key = Some(format!("dji:{id}"));
                        f.uas_id = Some(id.to_owned());
                    }
                    if let Some((a, o)) = pos(t.lat, t.lon) {
                        f.lat = Some(a);
                        f.lon = Some(o);
                        f.alt_m = t.altitude_m;
                    }
                    if let Some((a, o)) = pos(t.operator_lat, t.operator_lon) {
                        f.operator_lat = Some(a);
                        f.operator_lon = Some(o);
                    }
                    if let Some((a, o)) = pos(t.home_lat, t.home_lon) {
                        f.home_lat = Some(a);
                        f.home_lon = Some(o);
                    }
                }
                Message::DjiInfo(i) => {
                    if let (None, Some(id)) = (&key, non_empty(&i.serial)) {
                        key = Some(format!("dji:{id}"));
                        f.uas_id = Some(id.to_owned());
                    }
                }
                Message::FrBeacon(b) => {
                    let id = non_empty(&b.fr_id).or(non_empty(&b.serial));
                    if let (None, Some(id)) = (&key, id) {
                        key = Some(format!("fr:{id}"));
                        f.uas_id = Some(id.to_owned());
                    }
                    if let Some((a, o)) = pos(b.lat, b.lon) {
                        f.lat = Some(a);
                        f.lon = Some(o);
                        f.alt_m = b.alt_msl_m;
                    }
                    if let Some((a, o)) = pos(b.takeoff_lat, b.takeoff_lon) {
                        f.home_lat = Some(a);
                        f.home_lon = Some(o);
                    }
                }
                Message::DjiEncrypted(e) => {
                    if let (None, Some(h)) = (&key, non_empty(&e.session_hash)) {
                        key = Some(format!("dji-enc:{h}"));
                    }
                }
                _ => {}
            }
        }
        let mac = line.mac.as_ref().map(|m| m.to_ascii_lowercase());
        let key = match (key, mac) {
            (Some(k), Some(mac)) => {
                if let Ok(mut macs) = self.macs.lock() {
                    macs.insert(mac, k.clone());
                }
                k
            }
            (Some(k), None) => k,
            (None, Some(mac)) => {
                let bound = self.macs.lock().ok().and_then(|m| m.get(&mac).cloned());
                bound.unwrap_or_else(|| format!("mac:{mac}"))
            }
            (None, None) => return None,
        };
        f.key = key;
        Some(f)
    }
}
