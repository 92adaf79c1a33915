//! [`Tracker`]: binds [`Observation`]s to [`Track`]s, one per aircraft, and moves tracks through
//! [`TrackState`] on timeouts. Every change is reported as a [`TrackEvent`]; the store keeps history from
//! the [`HistoryPoint`]s of `Updated` events.
//!
//! # Identity binding rules
//!
//! Transmitter MACs are random per boot and a transmitter may never send a Basic ID on a given transport, so
//! the MAC can only associate messages until an identity arrives. Tracks are never merged on proximity,
//! model, operator or any other guess: only the rows below decide.
//!
//! | observation carries | rule |
//! |---|---|
//! | a strong id: serial (Basic ID type 1), CAA registration (2), UTM UUID (3), session ID (4), DJI serial, French ID, DJI session hash | binds: the observation goes to the track that owns the id, whatever the transport or sensor |
//! | several strong ids in one frame/pack | they name one aircraft: their owner tracks merge (the oldest track survives), unless the two tracks hold different values of a permanent id (serial, CAA registration, DJI serial, French ID) — a contradiction (spoofing) is never merged |
//! | a strong id nobody owns, plus a MAC bound to a track | the id is attached to the MAC's track when that track holds no id of the same kind with another value (BLE legacy sends its second Basic ID in a separate advert); otherwise the MAC re-binds to a new track (MAC reuse, new boot, relay) — `Rebound`, not a merge |
//! | a strong id owned by track A, plus a MAC bound to track B | B without any id (messages of this transmitter heard before its Basic ID) merges into A or A into B (oldest survives); B with ids: the MAC re-binds to A |
//! | a MAC only (per link layer: the Wi-Fi transports of one radio share it) | hint: the observation goes to the track the MAC is bound to, else a new track keyed by the MAC |
//! | a Basic ID of type 0 ("none") with ASCII text (`Unlabelled`) | weak: used after the MAC to find a track, and it tells two aircraft behind one MAC (a relay) apart; it never merges two tracks, and a MAC never joins a weak-id track with a strong-id observation (or the reverse) unless they share an id |
//! | an operator ID | never binds: it names the operator, and one operator may fly several aircraft; kept as an attribute |
//! | no id and no MAC | dropped and counted ([`Tracker::unbound`]): no track can be chosen without guessing |
//!
//! Known limit: two transmitters that broadcast the same strong id (the herlev latency test runs two ESP32s
//! with serial "EDRI") are one track by these rules; telling them apart would take a guess.
//!
//! # Time
//!
//! Each observation keeps its received time (the sensor's clock) and its reported time (the aircraft's,
//! [`crate::ReportedTime`] resolved against the received time). The state machine runs on the `now` passed
//! to [`Tracker::ingest`] and [`Tracker::tick`] (the server's clock), so sensors with a wrong clock cannot
//! close or revive tracks.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use crate::observation::{
    AuthPage, IdStrength, Identity, LatLon, LinkLayer, Mac, Observation, PilotPosition, Position,
    SensorId, Transport, UaType, Velocity,
};
use crate::time::UnixMs;

/// A track's id, unique for the life of a [`Tracker`] (assigned in increasing order, so a smaller id is an
/// older track).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TrackId(pub u64);

impl fmt::Display for TrackId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "T{}", self.0)
    }
}

/// Where a track is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TrackState {
    /// Heard within [`TrackerConfig::lost_after_ms`].
    Active,
    /// Not heard for a while; a new observation makes it active again.
    Lost,
    /// Not heard for [`TrackerConfig::close_after_ms`]; removed from the tracker.
    Closed,
}

/// Timeouts of the state machine, in milliseconds of the `now` clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrackerConfig {
    /// Active → Lost after this long without an observation.
    pub lost_after_ms: i64,
    /// Lost → Closed after this long without an observation (counted from the last one, not from Lost).
    pub close_after_ms: i64,
}

impl Default for TrackerConfig {
    /// 30 s to lost (F3411 asks for a Basic ID at least every 3 s and a Location every second), 5 min to
    /// closed.
    fn default() -> Self {
        TrackerConfig {
            lost_after_ms: 30_000,
            close_after_ms: 300_000,
        }
    }
}

/// What one sensor last heard of a track.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SensorSeen {
    /// Received time of the last observation.
    pub last_seen: UnixMs,
    /// RSSI of the last observation that had one, dBm.
    pub last_rssi_dbm: Option<f64>,
    /// Observations from this sensor.
    pub count: u64,
}

/// One aircraft as known from everything heard of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Track {
    /// The id.
    pub id: TrackId,
    /// Life state.
    pub state: TrackState,
    /// Strong and weak identities bound to this track (see the module table).
    pub identities: BTreeSet<Identity>,
    /// Operator ID last broadcast (an attribute: it never binds).
    pub operator_id: Option<String>,
    /// Transmitter MACs currently bound to this track, with their link layer.
    pub macs: BTreeSet<(LinkLayer, Mac)>,
    /// Transports heard, with observation counts.
    pub transports: BTreeMap<Transport, u64>,
    /// Sensors that heard it.
    pub sensors: BTreeMap<SensorId, SensorSeen>,
    /// Last position.
    pub position: Option<Position>,
    /// Received time of the last position.
    pub position_received: Option<UnixMs>,
    /// Last speed, track and climb rate (each field keeps its last known value).
    pub velocity: Velocity,
    /// Last pilot position and its kind.
    pub pilot: Option<PilotPosition>,
    /// Home point.
    pub home: Option<LatLon>,
    /// Model or product name.
    pub model: Option<String>,
    /// UA type.
    pub ua_type: Option<UaType>,
    /// Self-ID text.
    pub self_id: Option<String>,
    /// Authentication pages seen, by (auth type, page number), last copy of each.
    pub auth_pages: BTreeMap<(u8, u8), AuthPage>,
    /// First received time.
    pub first_seen: UnixMs,
    /// Last received time.
    pub last_seen: UnixMs,
    /// Last reported time (aircraft clock), resolved.
    pub last_reported: Option<UnixMs>,
    /// `now` of the last observation: drives the state machine.
    pub last_activity: UnixMs,
    /// Observations bound to this track.
    pub observations: u64,
    /// Last message counter.
    pub last_counter: Option<u8>,
}

impl Track {
    /// An empty active track first seen at `received` (sensor time), active at `now` (server time).
    pub fn new(id: TrackId, received: UnixMs, now: UnixMs) -> Track {
        Track {
            id,
            state: TrackState::Active,
            identities: BTreeSet::new(),
            operator_id: None,
            macs: BTreeSet::new(),
            transports: BTreeMap::new(),
            sensors: BTreeMap::new(),
            position: None,
            position_received: None,
            velocity: Velocity::default(),
            pilot: None,
            home: None,
            model: None,
            ua_type: None,
            self_id: None,
            auth_pages: BTreeMap::new(),
            first_seen: received,
            last_seen: received,
            last_reported: None,
            last_activity: now,
            observations: 0,
            last_counter: None,
        }
    }

    /// Whether the track holds the identity `id`.
    pub fn has(&self, id: &Identity) -> bool {
        self.identities.contains(id)
    }

    /// The first identity of the given kind name (see [`Identity::kind`]).
    pub fn identity(&self, kind: &str) -> Option<&Identity> {
        self.identities.iter().find(|i| i.kind() == kind)
    }

    /// Whether binding `new` would contradict an identity of the same kind the track already holds.
    fn contradicts(&self, new: &Identity) -> bool {
        let mut same_kind = self
            .identities
            .iter()
            .filter(|h| h.kind() == new.kind())
            .peekable();
        same_kind.peek().is_some() && !same_kind.any(|h| h == new)
    }
}

/// A position report for the store's history.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryPoint {
    /// Received time.
    pub received: UnixMs,
    /// Reported time, resolved.
    pub reported: Option<UnixMs>,
    /// The sensor that heard it.
    pub sensor: SensorId,
    /// How.
    pub transport: Transport,
    /// Where.
    pub position: Position,
    /// Velocity carried by the same observation.
    pub velocity: Velocity,
    /// RSSI, dBm.
    pub rssi_dbm: Option<f64>,
}

/// Why two tracks became one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MergeReason {
    /// The two tracks' identities were carried together in one observation (named: the one that was the
    /// merged-away track's).
    SharedIdentity(Identity),
    /// The merged-away track knew only a MAC, and that MAC came with the surviving track's identity.
    AnonymousMac(LinkLayer, Mac),
}

/// What the tracker did.
#[derive(Debug, Clone, PartialEq)]
pub enum TrackEvent {
    /// A new track.
    Created {
        /// Its id.
        id: TrackId,
    },
    /// An observation was bound to the track; `point` when it carried a position.
    Updated {
        /// The track.
        id: TrackId,
        /// The history point.
        point: Option<HistoryPoint>,
    },
    /// Track `from` turned out to be track `into`; `from` no longer exists.
    Merged {
        /// The surviving (older) track.
        into: TrackId,
        /// The track merged away.
        from: TrackId,
        /// Why.
        reason: MergeReason,
    },
    /// A MAC moved from one track to another (MAC reuse, new boot or relay), without a merge.
    Rebound {
        /// The link layer of the MAC.
        link: LinkLayer,
        /// The MAC.
        mac: Mac,
        /// The track it was bound to.
        from: TrackId,
        /// The track it is bound to now.
        to: TrackId,
    },
    /// Active ↔ Lost.
    StateChanged {
        /// The track.
        id: TrackId,
        /// Previous state.
        from: TrackState,
        /// New state.
        to: TrackState,
    },
    /// The track closed and left the tracker; its final state.
    Closed(Box<Track>),
}

/// The state machine; see the module documentation for the binding rules.
#[derive(Debug, Clone, Default)]
pub struct Tracker {
    config: TrackerConfig,
    next_id: u64,
    tracks: BTreeMap<TrackId, Track>,
    /// Strong and weak identities → owning track.
    by_identity: HashMap<Identity, TrackId>,
    /// (link layer, MAC) hints → track.
    by_mac: HashMap<(LinkLayer, Mac), TrackId>,
    unbound: u64,
}

/// Identities that name the aircraft for its whole life; two tracks holding different values of one of
/// these kinds are never merged.
fn permanent(id: &Identity) -> bool {
    matches!(
        id,
        Identity::Serial(_)
            | Identity::CaaRegistration(_)
            | Identity::DjiSerial(_)
            | Identity::FrenchId(_)
    )
}

impl Tracker {
    /// An empty tracker.
    pub fn new(config: TrackerConfig) -> Tracker {
        Tracker {
            config,
            ..Tracker::default()
        }
    }

    /// The track with this id, if it exists (merged-away and closed tracks do not).
    pub fn track(&self, id: TrackId) -> Option<&Track> {
        self.tracks.get(&id)
    }

    /// All live tracks (active and lost), oldest first.
    pub fn tracks(&self) -> impl Iterator<Item = &Track> {
        self.tracks.values()
    }

    /// Number of live tracks.
    pub fn len(&self) -> usize {
        self.tracks.len()
    }

    /// Whether there is no live track.
    pub fn is_empty(&self) -> bool {
        self.tracks.is_empty()
    }

    /// The track bound to a strong or weak identity.
    pub fn find(&self, id: &Identity) -> Option<&Track> {
        let id = id.normalized()?;
        self.by_identity.get(&id).and_then(|t| self.tracks.get(t))
    }

    /// Observations dropped because they carried neither an identity nor a MAC.
    pub fn unbound(&self) -> u64 {
        self.unbound
    }

    /// Whether the identities `ids` of an observation that reached track `t` only through a hint (MAC or
    /// weak id) show it is another aircraft: an id of a kind the track holds with another value, or —
    /// when they share no id — weak ids on one side and strong ids on the other (a relay forwarding a
    /// type-0 AirPlate and a serial-numbered drone under one MAC).
    fn conflicts(&self, t: TrackId, ids: &[Identity]) -> bool {
        let Some(tr) = self.tracks.get(&t) else {
            return false;
        };
        if ids.iter().any(|i| tr.contradicts(i)) {
            return true;
        }
        let strong = |i: &Identity| i.strength() == IdStrength::Strong;
        let shares = ids.iter().any(|i| tr.identities.contains(i));
        !shares
            && !ids.is_empty()
            && !tr.identities.is_empty()
            && ids.iter().any(strong) != tr.identities.iter().any(strong)
    }

    fn permanent_conflict(&self, a: TrackId, b: TrackId) -> bool {
        let (Some(ta), Some(tb)) = (self.tracks.get(&a), self.tracks.get(&b)) else {
            return false;
        };
        ta.identities
            .iter()
            .filter(|i| permanent(i))
            .any(|i| tb.contradicts(i))
    }

    fn create(&mut self, received: UnixMs, now: UnixMs, events: &mut Vec<TrackEvent>) -> TrackId {
        self.next_id = self.next_id.wrapping_add(1);
        let id = TrackId(self.next_id);
        self.tracks.insert(id, Track::new(id, received, now));
        events.push(TrackEvent::Created { id });
        id
    }

    /// Merges the younger of `a`, `b` into the older; returns the survivor.
    fn merge(
        &mut self,
        a: TrackId,
        b: TrackId,
        reason: MergeReason,
        events: &mut Vec<TrackEvent>,
    ) -> TrackId {
        let (into, from) = if a <= b { (a, b) } else { (b, a) };
        if into == from {
            return into;
        }
        let Some(gone) = self.tracks.remove(&from) else {
            return into;
        };
        let Some(keep) = self.tracks.get_mut(&into) else {
            // Cannot happen (both ids came from the map), but never lose a track: put it back.
            self.tracks.insert(from, gone);
            return from;
        };
        for id in gone.identities {
            self.by_identity.insert(id.clone(), into);
            keep.identities.insert(id);
        }
        for hint in gone.macs {
            self.by_mac.insert(hint.clone(), into);
            keep.macs.insert(hint);
        }
        for (t, n) in gone.transports {
            let c = keep.transports.entry(t).or_insert(0);
            *c = c.saturating_add(n);
        }
        for (s, seen) in gone.sensors {
            match keep.sensors.get_mut(&s) {
                Some(k) => {
                    k.count = k.count.saturating_add(seen.count);
                    if seen.last_seen > k.last_seen {
                        k.last_seen = seen.last_seen;
                        k.last_rssi_dbm = seen.last_rssi_dbm.or(k.last_rssi_dbm);
                    }
                }
                None => {
                    keep.sensors.insert(s, seen);
                }
            }
        }
        if gone.position_received > keep.position_received {
            keep.position = gone.position;
            keep.position_received = gone.position_received;
        }
        let newer = gone.last_seen > keep.last_seen;
        macro_rules! take {
            ($f:ident) => {
                if keep.$f.is_none() || (newer && gone.$f.is_some()) {
                    keep.$f = gone.$f;
                }
            };
        }
        take!(operator_id);
        take!(pilot);
        take!(home);
        take!(model);
        take!(ua_type);
        take!(self_id);
        take!(last_reported);
        take!(last_counter);
        for v in [
            (&mut keep.velocity.speed_mps, gone.velocity.speed_mps),
            (&mut keep.velocity.track_deg, gone.velocity.track_deg),
            (&mut keep.velocity.vspeed_mps, gone.velocity.vspeed_mps),
        ] {
            if v.0.is_none() || (newer && v.1.is_some()) {
                *v.0 = v.1;
            }
        }
        keep.auth_pages.extend(gone.auth_pages);
        keep.first_seen = keep.first_seen.min(gone.first_seen);
        keep.last_seen = keep.last_seen.max(gone.last_seen);
        keep.last_activity = keep.last_activity.max(gone.last_activity);
        keep.observations = keep.observations.saturating_add(gone.observations);
        if gone.state == TrackState::Active {
            keep.state = TrackState::Active;
        }
        events.push(TrackEvent::Merged { into, from, reason });
        into
    }

    /// Chooses the track for an observation, merging and creating as the rules say. `None` when the
    /// observation cannot be bound.
    fn resolve(
        &mut self,
        strong: &[Identity],
        weak: &[Identity],
        hint: Option<&(LinkLayer, Mac)>,
        received: UnixMs,
        now: UnixMs,
        events: &mut Vec<TrackEvent>,
    ) -> Option<TrackId> {
        let hinted = hint.and_then(|h| self.by_mac.get(h)).copied();
        let mut owners: Vec<(TrackId, &Identity)> = Vec::new();
        for id in strong {
            if let Some(&t) = self.by_identity.get(id) {
                if !owners.iter().any(|(o, _)| *o == t) {
                    owners.push((t, id));
                }
            }
        }
        if let Some(&(first, _)) = owners.first() {
            let mut survivor = first;
            for &(other, id) in owners.iter().skip(1) {
                if !self.permanent_conflict(survivor, other) {
                    let reason = MergeReason::SharedIdentity(id.clone());
                    survivor = self.merge(survivor, other, reason, events);
                }
            }
            if let (Some(h), Some(hint)) = (hinted, hint) {
                let anonymous = self.tracks.get(&h).is_some_and(|t| t.identities.is_empty());
                if h != survivor && anonymous {
                    let reason = MergeReason::AnonymousMac(hint.0.clone(), hint.1);
                    survivor = self.merge(survivor, h, reason, events);
                }
            }
            return Some(survivor);
        }
        let mut ids: Vec<Identity> = strong.to_vec();
        ids.extend(weak.iter().cloned());
        if let Some(h) = hinted {
            if !self.conflicts(h, &ids) {
                return Some(h);
            }
        }
        for w in weak {
            if let Some(&t) = self.by_identity.get(w) {
                if !self.conflicts(t, &ids) {
                    return Some(t);
                }
            }
        }
        if ids.is_empty() && hint.is_none() {
            return None;
        }
        Some(self.create(received, now, events))
    }

    /// Binds one observation, received by the server at `now`.
    ///
    /// Returns what happened, in order: `Merged`/`Created`/`Rebound` as needed, `StateChanged` when a lost
    /// track comes back, then one `Updated`. Returns nothing when the observation carries neither an
    /// identity nor a MAC (counted in [`Tracker::unbound`]).
    pub fn ingest(&mut self, obs: &Observation, now: UnixMs) -> Vec<TrackEvent> {
        let mut events = Vec::new();
        let mut strong: Vec<Identity> = Vec::new();
        let mut weak: Vec<Identity> = Vec::new();
        let mut operator: Option<String> = None;
        for id in obs.identities.iter().filter_map(Identity::normalized) {
            match id.strength() {
                IdStrength::Strong => strong.push(id),
                IdStrength::Weak => weak.push(id),
                IdStrength::Attribute => operator = Some(id.value().to_owned()),
            }
        }
        // Sorting puts the permanent kinds (serial first) ahead, so they pick the surviving owner.
        strong.sort();
        strong.dedup();
        weak.sort();
        weak.dedup();
        let hint = obs.mac.map(|m| (obs.transport.link_layer(), m));
        let Some(target) = self.resolve(
            &strong,
            &weak,
            hint.as_ref(),
            obs.received,
            now,
            &mut events,
        ) else {
            self.unbound = self.unbound.saturating_add(1);
            return events;
        };

        // Attach the observation's identities that nobody owns yet; ids owned by another track stay there
        // (the refused-merge case).
        for id in strong.iter().chain(weak.iter()) {
            if !self.by_identity.contains_key(id) {
                self.by_identity.insert(id.clone(), target);
                if let Some(t) = self.tracks.get_mut(&target) {
                    t.identities.insert(id.clone());
                }
            }
        }
        if let Some(h) = hint {
            let old = self.by_mac.insert(h.clone(), target);
            if let Some(old) = old.filter(|o| *o != target) {
                if let Some(t) = self.tracks.get_mut(&old) {
                    t.macs.remove(&h);
                }
                events.push(TrackEvent::Rebound {
                    link: h.0.clone(),
                    mac: h.1,
                    from: old,
                    to: target,
                });
            }
            if let Some(t) = self.tracks.get_mut(&target) {
                t.macs.insert(h);
            }
        }

        let Some(track) = self.tracks.get_mut(&target) else {
            return events;
        };
        if track.state == TrackState::Lost {
            track.state = TrackState::Active;
            events.push(TrackEvent::StateChanged {
                id: target,
                from: TrackState::Lost,
                to: TrackState::Active,
            });
        }
        let point = apply(track, obs, operator, now);
        events.push(TrackEvent::Updated { id: target, point });
        events
    }

    /// Gives the tracker back a track it knew before (a server restart): the track gets a new id, which is
    /// returned, and owns its identities and MAC hints again, so that new observations bind to it. An
    /// identity or MAC already owned by another live track stays with that one and is dropped from this
    /// track. `Closed` comes back as `Lost` (a closed track is not live); `last_activity` keeps its value,
    /// so the timeouts run on from where they were.
    pub fn restore(&mut self, mut track: Track) -> TrackId {
        self.next_id = self.next_id.wrapping_add(1);
        let id = TrackId(self.next_id);
        track.id = id;
        if track.state == TrackState::Closed {
            track.state = TrackState::Lost;
        }
        track
            .identities
            .retain(|i| match self.by_identity.entry(i.clone()) {
                std::collections::hash_map::Entry::Occupied(_) => false,
                std::collections::hash_map::Entry::Vacant(v) => {
                    v.insert(id);
                    true
                }
            });
        track.macs.retain(|m| match self.by_mac.entry(m.clone()) {
            std::collections::hash_map::Entry::Occupied(_) => false,
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(id);
                true
            }
        });
        self.tracks.insert(id, track);
        id
    }

    /// Applies the timeouts at `now`: Active → Lost, then Lost → Closed (closed tracks leave the tracker and
    /// are returned whole in [`TrackEvent::Closed`]).
    pub fn tick(&mut self, now: UnixMs) -> Vec<TrackEvent> {
        let mut events = Vec::new();
        let mut closing = Vec::new();
        for t in self.tracks.values_mut() {
            let idle = now.since(t.last_activity);
            if t.state == TrackState::Active && idle >= self.config.lost_after_ms {
                t.state = TrackState::Lost;
                events.push(TrackEvent::StateChanged {
                    id: t.id,
                    from: TrackState::Active,
                    to: TrackState::Lost,
                });
            }
            if idle >= self.config.close_after_ms {
                closing.push(t.id);
            }
        }
        for id in closing {
            if let Some(mut t) = self.tracks.remove(&id) {
                for i in &t.identities {
                    self.by_identity.remove(i);
                }
                for h in &t.macs {
                    self.by_mac.remove(h);
                }
                t.state = TrackState::Closed;
                events.push(TrackEvent::Closed(Box::new(t)));
            }
        }
        events
    }
}

/// Whether a broadcast point is a real position: valid, and not the exact (0, 0) that F3411 defines as
/// "unknown" and DJI sends before a GPS fix (nothing of ours flies at 0° N 0° E).
fn known(p: &LatLon) -> bool {
    p.is_valid() && !(p.lat == 0.0 && p.lon == 0.0)
}

/// Copies the facts of `obs` into `track`; returns the history point when there was a position.
fn apply(
    track: &mut Track,
    obs: &Observation,
    operator: Option<String>,
    now: UnixMs,
) -> Option<HistoryPoint> {
    track.observations = track.observations.saturating_add(1);
    track.first_seen = track.first_seen.min(obs.received);
    track.last_seen = track.last_seen.max(obs.received);
    track.last_activity = track.last_activity.max(now);
    let n = track.transports.entry(obs.transport.clone()).or_insert(0);
    *n = n.saturating_add(1);
    let seen = track
        .sensors
        .entry(obs.sensor.clone())
        .or_insert(SensorSeen {
            last_seen: obs.received,
            last_rssi_dbm: None,
            count: 0,
        });
    seen.count = seen.count.saturating_add(1);
    if obs.received >= seen.last_seen {
        seen.last_seen = obs.received;
        if obs.rssi_dbm.is_some() {
            seen.last_rssi_dbm = obs.rssi_dbm;
        }
    }
    if operator.is_some() {
        track.operator_id = operator;
    }
    let reported = obs.reported_time.and_then(|r| r.resolve(obs.received));
    if reported.is_some() {
        track.last_reported = reported;
    }
    if obs.velocity.speed_mps.is_some() {
        track.velocity.speed_mps = obs.velocity.speed_mps;
    }
    if obs.velocity.track_deg.is_some() {
        track.velocity.track_deg = obs.velocity.track_deg;
    }
    if obs.velocity.vspeed_mps.is_some() {
        track.velocity.vspeed_mps = obs.velocity.vspeed_mps;
    }
    if let Some(p) = obs.pilot.filter(|p| known(&p.point)) {
        track.pilot = Some(p);
    }
    if let Some(h) = obs.home.filter(known) {
        track.home = Some(h);
    }
    if obs.model.is_some() {
        track.model.clone_from(&obs.model);
    }
    if obs.ua_type.is_some() {
        track.ua_type = obs.ua_type;
    }
    if obs.self_id.is_some() {
        track.self_id.clone_from(&obs.self_id);
    }
    for page in &obs.auth_pages {
        track
            .auth_pages
            .insert((page.auth_type, page.page), page.clone());
    }
    if obs.counter.is_some() {
        track.last_counter = obs.counter;
    }
    let position = obs.position.filter(|p| known(&p.point))?;
    // Frames of one aircraft heard by several sensors arrive out of order: keep the newest as current, but
    // every position is history.
    if track.position_received.is_none_or(|r| obs.received >= r) {
        track.position = Some(position);
        track.position_received = Some(obs.received);
    }
    Some(HistoryPoint {
        received: obs.received,
        reported,
        sensor: obs.sensor.clone(),
        transport: obs.transport.clone(),
        position,
        velocity: obs.velocity,
        rssi_dbm: obs.rssi_dbm,
    })
}
