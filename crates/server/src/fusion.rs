//! Fusion: ingested detection lines become [`track::Observation`]s ([`observation`]), go through the
//! [`track::Tracker`] (one track per aircraft, identity binding, merges, timeouts) and the
//! [`track::AlertEngine`] (zone, pilot, dwell, unknown-aircraft and watchlist rules), and come out as a
//! [`Plan`] of store writes.
//!
//! [`Fusion`] is pure state behind one mutex in [`crate::AppState`]: the tracker costs well under a
//! microsecond per observation, so a lock held for one batch is cheaper than an actor's channel hops. The
//! store jobs of a batch are submitted while the lock is held, so the writer sees merges, detections and
//! state changes in the order the tracker decided them.
//!
//! Track rows are keyed `<boot>-<n>`: `n` is the tracker's [`TrackId`] and `boot` the server's start time
//! in ms, so the keys of two server runs never collide. A server run inherits the open (active and lost)
//! tracks of the previous one: [`Fusion::restore`] gives the stored rows back to the tracker (identities,
//! MAC hints, last position, pilot and home, state and the server time of the last detection), keeping
//! their keys, so that detections after a restart continue the same track.

use crate::ApiError;
use contract::{DetectionLine, Message};
use std::collections::{BTreeSet, HashMap, HashSet};
use store::{NewAlert, SensorSeenRow, TrackDetail, TrackFacts, TrackRow};
use track::zones::{ZoneId, ZoneIndex};
use track::{
    AlertConfig, AlertEngine, AuthPage, HeightRef, Identity, LatLon, LinkLayer, Mac, Observation,
    PilotKind, PilotPosition, Position, ReportedTime, SensorId, SensorSeen, Track, TrackEvent,
    TrackId, TrackState, Tracker, TrackerConfig, Transport, UaType, UnixMs, Velocity,
};

/// The settings keys of the alert lists (JSON arrays of `kind:value` strings).
pub const ALLOWLIST_KEY: &str = "alerts.allowlist";
/// See [`ALLOWLIST_KEY`].
pub const WATCHLIST_KEY: &str = "alerts.watchlist";

/// The tracker, the alert engine and what ties their ids to store rows.
pub struct Fusion {
    tracker: Tracker,
    alerts: AlertEngine,
    boot: i64,
    /// The store keys of tracks restored from a previous run (their ids in this tracker are new).
    restored: HashMap<TrackId, String>,
}

/// What one batch or one tick asks of the store, in order.
#[derive(Debug, Default)]
pub struct Plan {
    /// Track rows to merge, `(into, from)` keys, in the order the tracker merged them.
    pub merges: Vec<(String, String)>,
    /// The track facts of each input line (same order), `None` for a line bound to no track.
    pub facts: Vec<Option<TrackFacts>>,
    /// New states by key (`active`, `lost`, `closed`).
    pub states: Vec<(String, String)>,
    /// Alerts, tracks named by key.
    pub alerts: Vec<NewAlert>,
}

fn state_name(s: TrackState) -> &'static str {
    match s {
        TrackState::Active => "active",
        TrackState::Lost => "lost",
        TrackState::Closed => "closed",
    }
}

/// Parses a list entry `kind:value` (kinds as [`Identity::kind`], e.g. `serial:1596F...`).
///
/// # Errors
///
/// A message naming the entry when the kind is unknown or the value empty.
pub fn parse_identity(s: &str) -> Result<Identity, String> {
    let (kind, value) = s
        .split_once(':')
        .ok_or_else(|| format!("{s:?}: expected kind:value, e.g. serial:1596F123"))?;
    let v = value.to_owned();
    let id = match kind {
        "serial" => Identity::Serial(v),
        "caa-registration" => Identity::CaaRegistration(v),
        "utm-uuid" => Identity::UtmUuid(v),
        "session-id" => Identity::SessionId(v),
        "dji-serial" => Identity::DjiSerial(v),
        "french-id" => Identity::FrenchId(v),
        "dji-session-hash" => Identity::DjiSessionHash(v),
        "unlabelled" => Identity::Unlabelled(v),
        "operator-id" => Identity::OperatorId(v),
        other => return Err(format!("{s:?}: unknown identity kind {other:?}")),
    };
    id.normalized()
        .ok_or_else(|| format!("{s:?}: empty identity"))
}

/// The stored form of an identity, `kind:value` (read back by [`parse_identity`]).
pub fn identity_text(id: &Identity) -> String {
    format!("{}:{}", id.kind(), id.value())
}

/// The stored form of a MAC hint, `link|address` (read back by [`parse_mac_text`]).
pub fn mac_text(link: &LinkLayer, mac: &Mac) -> String {
    match link {
        LinkLayer::Wifi => format!("wifi|{mac}"),
        LinkLayer::Ble => format!("ble|{mac}"),
        LinkLayer::Ocusync => format!("ocusync|{mac}"),
        LinkLayer::Other(t) => format!("other:{t}|{mac}"),
    }
}

/// Parses a MAC hint stored by [`mac_text`]; `None` when it is not one.
pub fn parse_mac_text(s: &str) -> Option<(LinkLayer, Mac)> {
    let (link, mac) = s.rsplit_once('|')?;
    let link = match link {
        "wifi" => LinkLayer::Wifi,
        "ble" => LinkLayer::Ble,
        "ocusync" => LinkLayer::Ocusync,
        other => LinkLayer::Other(other.strip_prefix("other:")?.to_owned()),
    };
    Some((link, mac.parse().ok()?))
}

/// UA type names, index = F3411 code (the stored and API form).
const UA_TYPES: [&str; 16] = [
    "none",
    "aeroplane",
    "rotorcraft",
    "gyroplane",
    "hybrid-lift",
    "ornithopter",
    "glider",
    "kite",
    "free-balloon",
    "captive-balloon",
    "airship",
    "free-fall",
    "rocket",
    "tethered-powered",
    "ground-obstacle",
    "other",
];

/// The stored and API name of a UA type (`unknown-<code>` outside the F3411 table).
pub fn ua_type_name(t: UaType) -> String {
    let code = match t {
        UaType::None => 0,
        UaType::Aeroplane => 1,
        UaType::Rotorcraft => 2,
        UaType::Gyroplane => 3,
        UaType::HybridLift => 4,
        UaType::Ornithopter => 5,
        UaType::Glider => 6,
        UaType::Kite => 7,
        UaType::FreeBalloon => 8,
        UaType::CaptiveBalloon => 9,
        UaType::Airship => 10,
        UaType::FreeFall => 11,
        UaType::Rocket => 12,
        UaType::TetheredPowered => 13,
        UaType::GroundObstacle => 14,
        UaType::Other => 15,
        UaType::Unknown(c) => return format!("unknown-{c}"),
    };
    UA_TYPES[code].to_owned()
}

fn parse_ua_type(s: &str) -> Option<UaType> {
    if let Some(i) = UA_TYPES.iter().position(|n| *n == s) {
        return u8::try_from(i).ok().map(UaType::from_code);
    }
    s.strip_prefix("unknown-")?
        .parse()
        .ok()
        .map(UaType::from_code)
}

/// The stored and API name of a pilot position kind: `takeoff`, `live`, `fixed`, `unknown-<code>`.
pub fn pilot_kind_name(k: PilotKind) -> String {
    match k {
        PilotKind::Takeoff => "takeoff".into(),
        PilotKind::Live => "live".into(),
        PilotKind::Fixed => "fixed".into(),
        PilotKind::Unknown(c) => format!("unknown-{c}"),
    }
}

fn parse_pilot_kind(s: &str) -> PilotKind {
    match s {
        "takeoff" => PilotKind::Takeoff,
        "live" => PilotKind::Live,
        "fixed" => PilotKind::Fixed,
        other => PilotKind::Unknown(
            other
                .strip_prefix("unknown-")
                .and_then(|c| c.parse().ok())
                .unwrap_or(255),
        ),
    }
}

/// What the tracker knows of a track beyond the row's columns, for the store and the API; `allowlisted`
/// is the track's match against the lists in force.
pub fn detail_of(t: &Track, allowlisted: bool) -> TrackDetail {
    let pos = t.position.as_ref();
    TrackDetail {
        speed_mps: t.velocity.speed_mps,
        heading_deg: t.velocity.track_deg,
        climb_mps: t.velocity.vspeed_mps,
        alt_geo_m: pos.and_then(|p| p.alt_geo_m),
        alt_baro_m: pos.and_then(|p| p.alt_baro_m),
        height_m: pos.and_then(|p| p.height_m),
        height_ref: pos.and_then(|p| p.height_ref).map(|r| {
            match r {
                HeightRef::AboveTakeoff => "takeoff",
                HeightRef::AboveGround => "ground",
            }
            .to_owned()
        }),
        pilot_kind: t.pilot.map(|p| pilot_kind_name(p.kind)),
        operator_alt_m: t.pilot.and_then(|p| p.alt_geo_m),
        model: t.model.clone(),
        ua_type: t.ua_type.map(ua_type_name),
        self_id: t.self_id.clone(),
        operator_id: t.operator_id.clone(),
        auth_pages: u32::try_from(t.auth_pages.len()).unwrap_or(u32::MAX),
        last_reported_ms: t.last_reported.map(|r| r.0),
        sensors_seen: t
            .sensors
            .iter()
            .map(|(id, seen)| SensorSeenRow {
                name: id.0.clone(),
                rssi_dbm: seen.last_rssi_dbm,
                last_seen_ms: seen.last_seen.0,
            })
            .collect(),
        allowlisted,
    }
}

/// Rebuilds a tracker track from its stored row (see [`Fusion::restore`]), with its stored detail
/// (velocity, altitudes, pilot kind, model, UA type, operator ID, self-ID, reported time, per-sensor RSSI
/// and last-seen time). Per-transport and per-sensor counts and the authentication pages' bytes are not
/// stored and start again from zero.
fn track_from_row(row: &TrackRow) -> Track {
    let last = UnixMs(row.last_seen_ms);
    // Rows written before the activity column existed fall back to the sensor's time.
    let activity = if row.activity_ms > 0 {
        row.activity_ms
    } else {
        row.last_seen_ms
    };
    let mut t = Track::new(TrackId(0), UnixMs(row.first_seen_ms), UnixMs(activity));
    t.state = if row.state == "lost" {
        TrackState::Lost
    } else {
        TrackState::Active
    };
    t.identities = row
        .identities
        .iter()
        .filter_map(|s| parse_identity(s).ok())
        .collect();
    t.macs = row.macs.iter().filter_map(|s| parse_mac_text(s)).collect();
    t.transports = row
        .transports
        .iter()
        .map(|s| (Transport::parse(s), 0))
        .collect();
    let d = &row.detail;
    t.sensors = row
        .sensors
        .iter()
        .map(|s| {
            let stored = d.sensors_seen.iter().find(|x| &x.name == s);
            let seen = SensorSeen {
                last_seen: stored.map_or(last, |x| UnixMs(x.last_seen_ms)),
                last_rssi_dbm: stored.and_then(|x| x.rssi_dbm),
                count: 0,
            };
            (SensorId(s.clone()), seen)
        })
        .collect();
    if let Some(p) = point(row.lat, row.lon) {
        // `alt_m` is the geodetic altitude, or the pressure altitude when the broadcast gave only that.
        let geo = d.alt_geo_m.or(if d.alt_baro_m.is_none() {
            row.alt_m
        } else {
            None
        });
        t.position = Some(Position {
            point: p,
            alt_geo_m: geo,
            alt_baro_m: d.alt_baro_m,
            height_m: d.height_m,
            height_ref: match d.height_ref.as_deref() {
                Some("takeoff") => Some(HeightRef::AboveTakeoff),
                Some("ground") => Some(HeightRef::AboveGround),
                _ => None,
            },
        });
        t.position_received = Some(last);
    }
    t.pilot = point(row.operator_lat, row.operator_lon).map(|p| PilotPosition {
        point: p,
        alt_geo_m: d.operator_alt_m,
        kind: d
            .pilot_kind
            .as_deref()
            .map_or(PilotKind::Unknown(255), parse_pilot_kind),
    });
    t.velocity = Velocity {
        speed_mps: d.speed_mps,
        track_deg: d.heading_deg,
        vspeed_mps: d.climb_mps,
    };
    t.model.clone_from(&d.model);
    t.ua_type = d.ua_type.as_deref().and_then(parse_ua_type);
    t.self_id.clone_from(&d.self_id);
    t.operator_id.clone_from(&d.operator_id);
    t.last_reported = d.last_reported_ms.map(UnixMs);
    t.home = point(row.home_lat, row.home_lon);
    t.last_seen = last;
    t.observations = u64::try_from(row.detections).unwrap_or(0);
    t
}

/// Parses a stored or posted list.
///
/// # Errors
///
/// See [`parse_identity`].
pub fn parse_list(items: &[String]) -> Result<BTreeSet<Identity>, ApiError> {
    items
        .iter()
        .map(|s| parse_identity(s.trim()).map_err(ApiError::bad))
        .collect()
}

/// The identity shown as a track's `uas_id`: the first of the aircraft identities in order of strength
/// (serial, CAA registration, UTM UUID, session ID, DJI serial, French ID, weak text); a session hash of
/// an encrypted DJI link is not an aircraft ID and is not shown.
fn display_id(t: &Track) -> Option<String> {
    const ORDER: [&str; 7] = [
        "serial",
        "caa-registration",
        "utm-uuid",
        "session-id",
        "dji-serial",
        "french-id",
        "unlabelled",
    ];
    ORDER
        .iter()
        .find_map(|k| t.identity(k))
        .map(|i| i.value().to_owned())
}

fn point(lat: Option<f64>, lon: Option<f64>) -> Option<LatLon> {
    match (lat, lon) {
        // (0, 0) is F3411's "unknown" and DJI's "no fix yet".
        (Some(a), Some(o)) if !(a == 0.0 && o == 0.0) => Some(LatLon::new(a, o)),
        _ => None,
    }
}

fn text(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn unix_ms(t: time::OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(0)
}

/// Converts one detection line heard by `sensor` into an observation; every message of the line adds its
/// facts (one frame or pack is one observation, so identities carried together are known to belong
/// together).
pub fn observation(line: &DetectionLine, sensor: &str) -> Observation {
    let mut o = Observation::new(
        sensor,
        UnixMs(unix_ms(line.time)),
        Transport::parse(&line.transport),
    );
    o.mac = line.mac.as_deref().and_then(|m| m.parse().ok());
    o.rssi_dbm = line.rssi_dbm;
    o.counter = line.counter;
    let mut system_time: Option<ReportedTime> = None;
    for m in &line.messages {
        match m {
            Message::BasicId(b) => {
                if let Some(id) = text(&b.uas_id) {
                    o.identities.push(match b.id_type {
                        Some(1) => Identity::Serial(id),
                        Some(2) => Identity::CaaRegistration(id),
                        Some(3) => Identity::UtmUuid(id),
                        Some(4) => Identity::SessionId(id),
                        // Type 0 ("none") with text, or a type this build does not know: a weak hint.
                        _ => Identity::Unlabelled(id),
                    });
                }
                if let Some(t) = b.ua_type {
                    o.ua_type = Some(UaType::from_code(t));
                }
            }
            Message::Location(l) => {
                if let Some(p) = point(l.lat, l.lon) {
                    o.position = Some(Position {
                        point: p,
                        alt_geo_m: l.alt_geo_m,
                        alt_baro_m: l.alt_baro_m,
                        height_m: l.height_m,
                        height_ref: match l.height_ref.as_deref() {
                            Some("takeoff") => Some(HeightRef::AboveTakeoff),
                            Some("ground") => Some(HeightRef::AboveGround),
                            _ => None,
                        },
                    });
                }
                o.velocity.speed_mps = l.speed_mps.or(o.velocity.speed_mps);
                o.velocity.track_deg = l.track_deg.or(o.velocity.track_deg);
                o.velocity.vspeed_mps = l.vspeed_mps.or(o.velocity.vspeed_mps);
                if let Some(s) = l.timestamp_s.filter(|s| (0.0..=3600.0).contains(s)) {
                    // In range by the filter, so the cast cannot truncate.
                    o.reported_time =
                        Some(ReportedTime::TenthsAfterHour((s * 10.0).round() as u16));
                }
            }
            Message::Auth(a) => {
                if let (Some(auth_type), Some(page)) = (a.auth_type, a.page) {
                    o.auth_pages.push(AuthPage {
                        auth_type,
                        page,
                        last_page_index: a.last_page_index,
                        data: a
                            .data_hex
                            .as_deref()
                            .and_then(|h| hex::decode(h).ok())
                            .unwrap_or_default(),
                    });
                }
            }
            Message::SelfId(s) => {
                if let Some(d) = text(&s.description) {
                    o.self_id = Some(d);
                }
            }
            Message::System(s) => {
                if let Some(p) = point(s.operator_lat, s.operator_lon) {
                    o.pilot = Some(PilotPosition {
                        point: p,
                        alt_geo_m: s.operator_alt_geo_m,
                        // F3411 code 0 (take-off) is also what a System message without the field means.
                        kind: PilotKind::from_code(s.operator_location_type.unwrap_or(0)),
                    });
                }
                system_time = s
                    .timestamp
                    .and_then(|t| u32::try_from(t).ok())
                    .map(ReportedTime::OdidEpochSeconds);
            }
            Message::OperatorId(op) => {
                if let Some(id) = text(&op.operator_id) {
                    o.identities.push(Identity::OperatorId(id));
                }
            }
            Message::DjiTelemetry(t) => {
                if let Some(sn) = text(&t.serial) {
                    o.identities.push(Identity::DjiSerial(sn));
                }
                if let Some(p) = point(t.lat, t.lon) {
                    o.position = Some(Position {
                        point: p,
                        // DJI's altitude is barometric; its height is above the home point.
                        alt_geo_m: None,
                        alt_baro_m: t.altitude_m,
                        height_m: t.height_m,
                        height_ref: t.height_m.map(|_| HeightRef::AboveTakeoff),
                    });
                }
                o.velocity.speed_mps = t.speed_mps;
                o.velocity.vspeed_mps = t.v_up_mps;
                if let (Some(n), Some(e)) = (t.v_north_mps, t.v_east_mps) {
                    if n != 0.0 || e != 0.0 {
                        o.velocity.track_deg = Some(e.atan2(n).to_degrees().rem_euclid(360.0));
                    }
                }
                if let Some(p) = point(t.operator_lat, t.operator_lon) {
                    o.pilot = Some(PilotPosition {
                        point: p,
                        alt_geo_m: None,
                        kind: PilotKind::Live,
                    });
                }
                o.home = point(t.home_lat, t.home_lon);
                o.model = text(&t.product);
                if let Some(ms) = t
                    .app_gps_time_ms
                    .filter(|ms| *ms > 0)
                    .and_then(|ms| i64::try_from(ms).ok())
                {
                    o.reported_time = Some(ReportedTime::Absolute(UnixMs(ms)));
                }
            }
            Message::DjiInfo(i) => {
                if let Some(sn) = text(&i.serial) {
                    o.identities.push(Identity::DjiSerial(sn));
                }
            }
            Message::DjiEncrypted(e) => {
                if let Some(h) = text(&e.session_hash) {
                    o.identities.push(Identity::DjiSessionHash(h));
                }
            }
            Message::FrBeacon(b) => {
                if let Some(id) = text(&b.fr_id).or_else(|| text(&b.serial)) {
                    o.identities.push(Identity::FrenchId(id));
                }
                if let Some(p) = point(b.lat, b.lon) {
                    o.position = Some(Position {
                        point: p,
                        alt_geo_m: b.alt_msl_m,
                        alt_baro_m: None,
                        height_m: b.height_m,
                        height_ref: b.height_m.map(|_| HeightRef::AboveTakeoff),
                    });
                }
                o.velocity.speed_mps = b.speed_mps;
                o.velocity.track_deg = b.course_deg;
                if let Some(p) = point(b.takeoff_lat, b.takeoff_lon) {
                    o.pilot = Some(PilotPosition {
                        point: p,
                        alt_geo_m: None,
                        kind: PilotKind::Takeoff,
                    });
                }
            }
            Message::Unknown(_) => {}
        }
    }
    if o.reported_time.is_none() {
        o.reported_time = system_time;
    }
    o
}

/// Follows a chain of merges made within one batch to the surviving track.
fn survivor(redirect: &HashMap<TrackId, TrackId>, mut id: TrackId) -> TrackId {
    // Merges always go into an older (smaller) id, so the chain is finite; the bound is belt and braces.
    for _ in 0..redirect.len() {
        match redirect.get(&id) {
            Some(next) if *next != id => id = *next,
            _ => break,
        }
    }
    id
}

impl Fusion {
    /// A tracker and an alert engine with these settings; `boot` (server start, ms) prefixes the track keys.
    pub fn new(tracker: TrackerConfig, alerts: AlertConfig, boot: i64) -> Fusion {
        Fusion {
            tracker: Tracker::new(tracker),
            alerts: AlertEngine::new(alerts),
            boot,
            restored: HashMap::new(),
        }
    }

    /// Gives the tracker back the open tracks of a previous server run (rows in state `active` or `lost`,
    /// see [`store::Store::open_tracks`]); they keep their store keys. Returns how many were restored.
    pub fn restore(&mut self, rows: &[TrackRow]) -> usize {
        let mut n = 0;
        for row in rows.iter().filter(|r| r.state != "closed") {
            let id = self.tracker.restore(track_from_row(row));
            self.restored.insert(id, row.key.clone());
            n += 1;
        }
        n
    }

    /// Gives the alert rules what they had learnt of the restored tracks (zones they are inside, cooldowns;
    /// [`track::AlertEngine::restore`]) from the stored alerts of those tracks, so that an aircraft inside a
    /// zone when the server stopped does not alert "enter" again. Call after [`Fusion::restore`] with the
    /// same rows. Returns how many alerts were taken into account.
    pub fn restore_alerts(
        &mut self,
        rows: &[TrackRow],
        alerts: &[store::AlertRow],
        zones: &ZoneIndex,
    ) -> usize {
        let by_key: HashMap<&str, TrackId> = self
            .restored
            .iter()
            .map(|(id, key)| (key.as_str(), *id))
            .collect();
        let by_row: HashMap<i64, TrackId> = rows
            .iter()
            .filter_map(|r| Some((r.id, *by_key.get(r.key.as_str())?)))
            .collect();
        let mut history: HashMap<TrackId, Vec<(track::AlertKind, Option<ZoneId>, UnixMs)>> =
            HashMap::new();
        let mut n = 0;
        for a in alerts {
            let Some(tid) = a.track_id.and_then(|sid| by_row.get(&sid)) else {
                continue;
            };
            let Some(kind) = track::AlertKind::parse(&a.kind) else {
                continue;
            };
            let zone = a.zone_id.map(|z| ZoneId(z.to_string()));
            history
                .entry(*tid)
                .or_default()
                .push((kind, zone, UnixMs(a.time_ms)));
            n += 1;
        }
        for (id, h) in history {
            self.alerts.restore(id, &h, zones);
        }
        n
    }

    /// The store key of a tracker track.
    pub fn key(&self, id: TrackId) -> String {
        match self.restored.get(&id) {
            Some(k) => k.clone(),
            None => format!("{}-{}", self.boot, id.0),
        }
    }

    /// The allowlist in force as `kind:value` texts, the form of [`TrackRow::identities`].
    pub fn allowlist_texts(&self) -> HashSet<String> {
        self.alerts
            .config()
            .allowlist
            .iter()
            .map(identity_text)
            .collect()
    }

    /// The alert configuration in force.
    pub fn alert_config(&self) -> &AlertConfig {
        self.alerts.config()
    }

    /// Replaces the alert configuration (the allowlist and watchlist changed). Zone stays and cooldowns
    /// carry over, so aircraft already inside a zone do not alert again.
    pub fn set_alert_config(&mut self, config: AlertConfig) {
        self.alerts.set_config(config);
    }

    /// Number of live tracks.
    pub fn len(&self) -> usize {
        self.tracker.len()
    }

    /// Whether the tracker holds no track.
    pub fn is_empty(&self) -> bool {
        self.tracker.is_empty()
    }

    fn alert_rows(&self, alerts: Vec<track::Alert>, track: &Track, out: &mut Vec<NewAlert>) {
        for a in alerts {
            let details = serde_json::json!({
                "detail": a.details,
                "restriction": a.restriction.as_ref().map(|r| format!("{r:?}")),
                "uas_id": display_id(track),
            });
            out.push(NewAlert {
                kind: a.kind.as_str().to_owned(),
                zone_id: a.zone.and_then(|z| z.0.parse::<i64>().ok()),
                track_id: None,
                track_key: Some(self.key(a.track)),
                time_ms: a.time.0,
                details: Some(details.to_string()),
            });
        }
    }

    /// Runs a batch of lines from one sensor through the tracker and the alert rules at server time `now`.
    pub fn ingest(
        &mut self,
        sensor: &str,
        lines: &[&DetectionLine],
        zones: &ZoneIndex,
        now: i64,
    ) -> Plan {
        let mut plan = Plan::default();
        let mut redirect: HashMap<TrackId, TrackId> = HashMap::new();
        let mut bound: Vec<Option<(TrackId, TrackFacts)>> = Vec::with_capacity(lines.len());
        for line in lines {
            let obs = observation(line, sensor);
            let events = self.tracker.ingest(&obs, UnixMs(now));
            let mut target = None;
            for e in &events {
                self.alerts.observe(e);
                match e {
                    TrackEvent::Merged { into, from, .. } => {
                        redirect.insert(*from, *into);
                        plan.merges.push((self.key(*into), self.key(*from)));
                        self.restored.remove(from);
                    }
                    TrackEvent::Updated { id, .. } => target = Some(*id),
                    _ => {}
                }
            }
            let Some(id) = target else {
                bound.push(None);
                continue;
            };
            let Some(track) = self.tracker.track(id) else {
                bound.push(None);
                continue;
            };
            // The rules run on the aircraft's (sensor's) time, so that dwell and schedules follow the
            // flight even when a capture is replayed faster than real time.
            let alerts = self.alerts.evaluate(track, zones, obs.received);
            self.alert_rows(alerts, track, &mut plan.alerts);
            let pos = obs.position.filter(|p| p.point.is_valid());
            let pilot = obs.pilot.filter(|p| p.point.is_valid());
            let home = obs.home.filter(LatLon::is_valid);
            bound.push(Some((
                id,
                TrackFacts {
                    key: String::new(),
                    uas_id: display_id(track),
                    lat: pos.map(|p| p.point.lat),
                    lon: pos.map(|p| p.point.lon),
                    alt_m: pos.and_then(|p| p.alt_geo_m.or(p.alt_baro_m)),
                    operator_lat: pilot.map(|p| p.point.lat),
                    operator_lon: pilot.map(|p| p.point.lon),
                    home_lat: home.map(|h| h.lat),
                    home_lon: home.map(|h| h.lon),
                    identities: None,
                    macs: None,
                    detail: None,
                },
            )));
        }
        // Keys are given last, so that a line bound to a track that a later line of the batch merged away
        // is stored under the survivor. The last line of each track carries its identities and MAC hints
        // (what a restart needs), once per batch rather than on every line.
        let mut described: HashSet<TrackId> = HashSet::new();
        let mut facts: Vec<Option<TrackFacts>> = bound
            .into_iter()
            .rev()
            .map(|b| {
                b.map(|(id, mut f)| {
                    let id = survivor(&redirect, id);
                    f.key = self.key(id);
                    if described.insert(id) {
                        if let Some(t) = self.tracker.track(id) {
                            f.identities = Some(t.identities.iter().map(identity_text).collect());
                            f.macs = Some(t.macs.iter().map(|(l, m)| mac_text(l, m)).collect());
                            f.detail = Some(detail_of(t, self.alerts.is_allowed(t)));
                        }
                    }
                    f
                })
            })
            .collect();
        facts.reverse();
        plan.facts = facts;
        plan
    }

    /// Applies the tracker's timeouts at server time `now`: state changes and closed tracks.
    pub fn tick(&mut self, now: i64) -> Plan {
        let mut plan = Plan::default();
        for e in self.tracker.tick(UnixMs(now)) {
            self.alerts.observe(&e);
            match e {
                TrackEvent::StateChanged { id, to, .. } => {
                    plan.states.push((self.key(id), state_name(to).to_owned()));
                }
                TrackEvent::Closed(t) => {
                    plan.states
                        .push((self.key(t.id), state_name(TrackState::Closed).to_owned()));
                    self.restored.remove(&t.id);
                }
                _ => {}
            }
        }
        plan
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obs(v: serde_json::Value) -> Observation {
        let line: DetectionLine = serde_json::from_value(v).expect("detection line");
        observation(&line, "s1")
    }

    #[test]
    fn dji_telemetry_gives_serial_live_pilot_home_model_and_track() {
        let o = obs(serde_json::json!({
            "time": "2026-01-01T12:00:00Z", "frame": 1, "transport": "dji-wifi", "mac": "60:60:1f:00:00:01",
            "messages": [{ "type": "dji-telemetry", "serial": "1WMBH8C0010X", "lat": 47.1, "lon": 8.2,
                "altitude_m": 430.0, "height_m": 35.0, "v_north_mps": 0.0, "v_east_mps": 3.0, "speed_mps": 3.0,
                "operator_lat": 47.2, "operator_lon": 8.3, "home_lat": 0.0, "home_lon": 0.0, "product": "Mavic 3",
                "app_gps_time_ms": 1767268799000u64 }]
        }));
        assert_eq!(o.transport, Transport::DjiWifi);
        assert_eq!(
            o.mac.map(|m| m.to_string()).as_deref(),
            Some("60:60:1f:00:00:01")
        );
        assert_eq!(
            o.identities,
            vec![Identity::DjiSerial("1WMBH8C0010X".into())]
        );
        let p = o.position.expect("position");
        assert_eq!(
            (p.point, p.alt_baro_m, p.height_m, p.height_ref),
            (
                LatLon::new(47.1, 8.2),
                Some(430.0),
                Some(35.0),
                Some(HeightRef::AboveTakeoff)
            )
        );
        assert_eq!(o.velocity.track_deg, Some(90.0));
        assert_eq!(
            o.pilot.map(|p| (p.point, p.kind)),
            Some((LatLon::new(47.2, 8.3), PilotKind::Live))
        );
        // (0, 0) is "no fix", not a home point.
        assert_eq!(o.home, None);
        assert_eq!(o.model.as_deref(), Some("Mavic 3"));
        assert_eq!(
            o.reported_time,
            Some(ReportedTime::Absolute(UnixMs(1_767_268_799_000)))
        );
    }

    #[test]
    fn basic_id_types_system_operator_and_french_beacon() {
        let check = |id_type: u8, want: Identity| {
            let o = obs(serde_json::json!({
                "time": "2026-01-01T12:00:00Z", "frame": 1, "transport": "ble-legacy",
                "messages": [{ "type": "basic-id", "id_type": id_type, "ua_type": 2, "uas_id": "X1 " }]
            }));
            assert_eq!(o.identities, vec![want], "id_type {id_type}");
            assert_eq!(o.ua_type, Some(UaType::Rotorcraft));
        };
        check(0, Identity::Unlabelled("X1".into()));
        check(1, Identity::Serial("X1".into()));
        check(2, Identity::CaaRegistration("X1".into()));
        check(3, Identity::UtmUuid("X1".into()));
        check(4, Identity::SessionId("X1".into()));
        check(9, Identity::Unlabelled("X1".into()));

        let o = obs(serde_json::json!({
            "time": "2026-01-01T12:00:00Z", "frame": 1, "transport": "wifi-nan",
            "messages": [
                { "type": "system", "operator_location_type": 2, "operator_lat": 1.5, "operator_lon": 2.5, "timestamp": 100 },
                { "type": "operator-id", "operator_id": "FIN87astrdge12k8" },
                { "type": "location", "lat": 1.0, "lon": 2.0, "height_m": 20.0, "height_ref": "ground", "timestamp_s": 1234.5 }
            ]
        }));
        assert_eq!(
            o.pilot.map(|p| (p.point, p.kind)),
            Some((LatLon::new(1.5, 2.5), PilotKind::Fixed))
        );
        assert_eq!(
            o.identities,
            vec![Identity::OperatorId("FIN87astrdge12k8".into())]
        );
        assert_eq!(
            o.position.and_then(|p| p.height_ref),
            Some(HeightRef::AboveGround)
        );
        // The Location time (tenths after the hour) wins over the System time.
        assert_eq!(o.reported_time, Some(ReportedTime::TenthsAfterHour(12345)));

        let o = obs(serde_json::json!({
            "time": "2026-01-01T12:00:00Z", "frame": 1, "transport": "fr-beacon",
            "messages": [{ "type": "fr-beacon", "fr_id": "ILLUSTRATIONFR000000000000000001", "lat": 48.0, "lon": 2.0,
                "takeoff_lat": 48.001, "takeoff_lon": 2.001, "course_deg": 270.0 }]
        }));
        assert_eq!(
            o.identities,
            vec![Identity::FrenchId(
                "ILLUSTRATIONFR000000000000000001".into()
            )]
        );
        assert_eq!(
            o.pilot.map(|p| (p.point, p.kind)),
            Some((LatLon::new(48.001, 2.001), PilotKind::Takeoff))
        );
        assert_eq!(o.velocity.track_deg, Some(270.0));
    }

    #[test]
    fn list_entries_name_their_kind() {
        assert_eq!(
            parse_identity("dji-serial:1WMBH8C0010X"),
            Ok(Identity::DjiSerial("1WMBH8C0010X".into()))
        );
        assert_eq!(
            parse_identity("serial:  "),
            Err("\"serial:  \": empty identity".into())
        );
        assert_eq!(
            parse_identity("1WMBH8C0010X"),
            Err("\"1WMBH8C0010X\": expected kind:value, e.g. serial:1596F123".into())
        );
    }
}
