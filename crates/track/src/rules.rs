//! Alert rules: [`AlertEngine`] looks at a [`Track`] after each update, with the [`ZoneIndex`] and the time,
//! and produces [`Alert`]s. Storing, streaming and acknowledging alerts is the store's and server's job.
//!
//! Rules ([`AlertKind`]):
//! - `AircraftInZone`: the aircraft position is in a zone (horizontal extent, altitude band, schedule).
//! - `PilotInZone`: the pilot position is in a zone (horizontal extent and schedule; the pilot is on the
//!   ground, so the altitude band is not checked).
//! - `ZoneEnter` / `ZoneExit`: the aircraft was outside and is now inside, or the reverse.
//! - `Dwell`: the aircraft has stayed inside one zone for [`AlertConfig::dwell_ms`] (once per stay).
//! - `UnknownAircraft`: the track is not on the allowlist (when [`AlertConfig::alert_unknown`] is set).
//! - `Watchlist`: the track carries an identity on the watchlist.
//!
//! Allowlisted tracks never alert. Every alert is keyed by (kind, track, zone) and a key that fired within
//! [`AlertConfig::cooldown_ms`] is suppressed, so a drone flapping on a zone boundary cannot cause an alert
//! storm. Zone membership is still followed during a cooldown, so enter/exit stay consistent.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::observation::Identity;
use crate::time::UnixMs;
use crate::tracker::{Track, TrackEvent, TrackId};
use crate::zones::{Altitudes, Restriction, ZoneId, ZoneIndex};

/// Which rule fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AlertKind {
    /// Aircraft inside a zone.
    AircraftInZone,
    /// Pilot inside a zone.
    PilotInZone,
    /// Aircraft entered a zone.
    ZoneEnter,
    /// Aircraft left a zone.
    ZoneExit,
    /// Aircraft stayed in a zone longer than the dwell threshold.
    Dwell,
    /// Aircraft not on the allowlist.
    UnknownAircraft,
    /// Aircraft on the watchlist.
    Watchlist,
}

impl AlertKind {
    /// A stable name, e.g. `"zone-enter"`.
    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::AircraftInZone => "aircraft-in-zone",
            AlertKind::PilotInZone => "pilot-in-zone",
            AlertKind::ZoneEnter => "zone-enter",
            AlertKind::ZoneExit => "zone-exit",
            AlertKind::Dwell => "dwell",
            AlertKind::UnknownAircraft => "unknown-aircraft",
            AlertKind::Watchlist => "watchlist",
        }
    }

    /// The kind named by [`AlertKind::as_str`]; `None` for another text.
    pub fn parse(name: &str) -> Option<AlertKind> {
        [
            AlertKind::AircraftInZone,
            AlertKind::PilotInZone,
            AlertKind::ZoneEnter,
            AlertKind::ZoneExit,
            AlertKind::Dwell,
            AlertKind::UnknownAircraft,
            AlertKind::Watchlist,
        ]
        .into_iter()
        .find(|k| k.as_str() == name)
    }
}

/// One alert.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    /// Which rule.
    pub kind: AlertKind,
    /// The zone, for zone rules.
    pub zone: Option<ZoneId>,
    /// The zone's restriction, for zone rules.
    pub restriction: Option<Restriction>,
    /// The track.
    pub track: TrackId,
    /// When (the `now` of the evaluation).
    pub time: UnixMs,
    /// Human-readable detail (zone name, matched identity, dwell time).
    pub details: String,
}

/// What the rules watch for. Lists match any identity a track holds (strong, weak) and its operator ID
/// (as [`Identity::OperatorId`]), exactly.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertConfig {
    /// Aircraft that never alert.
    pub allowlist: BTreeSet<Identity>,
    /// Aircraft that always alert.
    pub watchlist: BTreeSet<Identity>,
    /// Whether tracks not on the allowlist raise `UnknownAircraft`.
    pub alert_unknown: bool,
    /// Time inside one zone before `Dwell`, ms.
    pub dwell_ms: i64,
    /// Minimum time between two alerts of the same (kind, track, zone), ms.
    pub cooldown_ms: i64,
}

impl Default for AlertConfig {
    /// Empty lists, no unknown-aircraft alerts, 60 s dwell, 5 min cooldown.
    fn default() -> Self {
        AlertConfig {
            allowlist: BTreeSet::new(),
            watchlist: BTreeSet::new(),
            alert_unknown: false,
            dwell_ms: 60_000,
            cooldown_ms: 300_000,
        }
    }
}

#[derive(Debug, Clone, Default)]
struct TrackRuleState {
    /// Zones the aircraft is in: entry time, whether dwell fired for this stay, the zone's restriction.
    inside: BTreeMap<ZoneId, (UnixMs, bool, Restriction)>,
}

/// The rule engine; holds per-track zone membership and cooldown times.
#[derive(Debug, Clone, Default)]
pub struct AlertEngine {
    config: AlertConfig,
    tracks: HashMap<TrackId, TrackRuleState>,
    last_fired: HashMap<(AlertKind, TrackId, Option<ZoneId>), UnixMs>,
}

fn identities(track: &Track) -> impl Iterator<Item = Identity> + '_ {
    track.identities.iter().cloned().chain(
        track
            .operator_id
            .iter()
            .map(|o| Identity::OperatorId(o.clone())),
    )
}

impl AlertEngine {
    /// An engine with this configuration.
    pub fn new(config: AlertConfig) -> AlertEngine {
        AlertEngine {
            config,
            ..AlertEngine::default()
        }
    }

    /// The configuration.
    pub fn config(&self) -> &AlertConfig {
        &self.config
    }

    /// Replaces the configuration (for example edited allow/watch lists) keeping what the engine has learnt:
    /// zone stays and cooldowns carry over, so an aircraft already inside a zone does not alert again just
    /// because a list changed.
    pub fn set_config(&mut self, config: AlertConfig) {
        self.config = config;
    }

    /// Whether the track is allowlisted.
    pub fn is_allowed(&self, track: &Track) -> bool {
        identities(track).any(|i| self.config.allowlist.contains(&i))
    }

    /// Follows tracker events that change which tracks exist: state of merged-away and closed tracks is
    /// dropped (a merged track's zone stays are re-learnt on the survivor's next evaluation).
    pub fn observe(&mut self, event: &TrackEvent) {
        match event {
            TrackEvent::Merged { from, .. } => self.forget(*from),
            TrackEvent::Closed(t) => self.forget(t.id),
            _ => {}
        }
    }

    /// Gives a track restored after a restart back what the engine had learnt of it, from the alerts it
    /// raised (`(kind, zone, time)`, any order): the cooldown of each (kind, zone) from its latest alert,
    /// and the zones it is inside — entered (or seen inside) after it last left — with the time of entry and
    /// whether dwell fired for that stay. So an aircraft inside a zone when the server stopped neither
    /// "enters" it again nor repeats alerts still in their cooldown. Zones no longer in `zones` are left out.
    /// (A stay whose enter alert a cooldown suppressed is not known; its next evaluation enters again.)
    pub fn restore(
        &mut self,
        id: TrackId,
        history: &[(AlertKind, Option<ZoneId>, UnixMs)],
        zones: &ZoneIndex,
    ) {
        let mut history: Vec<&(AlertKind, Option<ZoneId>, UnixMs)> = history.iter().collect();
        history.sort_by_key(|h| h.2);
        let mut state = self.tracks.remove(&id).unwrap_or_default();
        for (kind, zone, time) in history {
            let key = (*kind, id, zone.clone());
            let last = self.last_fired.entry(key).or_insert(*time);
            *last = (*last).max(*time);
            let Some(z) = zone else { continue };
            let Some(restriction) = zones
                .zones()
                .iter()
                .find(|x| x.id == *z)
                .map(|x| x.restriction.clone())
            else {
                continue;
            };
            match kind {
                AlertKind::ZoneEnter => {
                    state.inside.insert(z.clone(), (*time, false, restriction));
                }
                AlertKind::AircraftInZone => {
                    state
                        .inside
                        .entry(z.clone())
                        .or_insert((*time, false, restriction));
                }
                AlertKind::Dwell => {
                    if let Some(stay) = state.inside.get_mut(z) {
                        stay.1 = true;
                    }
                }
                AlertKind::ZoneExit => {
                    state.inside.remove(z);
                }
                AlertKind::PilotInZone | AlertKind::UnknownAircraft | AlertKind::Watchlist => {}
            }
        }
        self.tracks.insert(id, state);
    }

    /// Drops all state of a track.
    pub fn forget(&mut self, id: TrackId) {
        self.tracks.remove(&id);
        self.last_fired.retain(|(_, t, _), _| *t != id);
    }

    fn fire(
        &mut self,
        out: &mut Vec<Alert>,
        kind: AlertKind,
        track: TrackId,
        zone: Option<(&ZoneId, &Restriction)>,
        now: UnixMs,
        details: String,
    ) {
        let key = (kind, track, zone.map(|z| z.0.clone()));
        if let Some(last) = self.last_fired.get(&key) {
            if now.since(*last) < self.config.cooldown_ms {
                return;
            }
        }
        self.last_fired.insert(key, now);
        out.push(Alert {
            kind,
            zone: zone.map(|z| z.0.clone()),
            restriction: zone.map(|z| z.1.clone()),
            track,
            time: now,
            details,
        });
    }

    /// Evaluates every rule for `track` at `now`; call after each update of the track.
    pub fn evaluate(&mut self, track: &Track, zones: &ZoneIndex, now: UnixMs) -> Vec<Alert> {
        let mut out = Vec::new();
        if self.is_allowed(track) {
            self.forget(track.id);
            return out;
        }
        let id = track.id;
        if let Some(w) = identities(track).find(|i| self.config.watchlist.contains(i)) {
            self.fire(
                &mut out,
                AlertKind::Watchlist,
                id,
                None,
                now,
                format!("watchlist {w}"),
            );
        }
        if self.config.alert_unknown {
            let who = identities(track)
                .next()
                .map_or_else(|| "no identity".to_owned(), |i| i.to_string());
            self.fire(&mut out, AlertKind::UnknownAircraft, id, None, now, who);
        }

        let mut now_inside: BTreeMap<ZoneId, (String, Restriction)> = BTreeMap::new();
        if let Some(p) = &track.position {
            let alt = Altitudes::of(p);
            for z in zones.matching(p.point, &alt, now) {
                now_inside.insert(z.id.clone(), (z.name.clone(), z.restriction.clone()));
            }
        }
        let mut pilot_in: Vec<(ZoneId, String, Restriction)> = Vec::new();
        if let Some(pilot) = &track.pilot {
            for z in zones
                .containing(pilot.point)
                .filter(|z| z.schedule.is_active(now))
            {
                pilot_in.push((z.id.clone(), z.name.clone(), z.restriction.clone()));
            }
        }

        let mut state = self.tracks.remove(&id).unwrap_or_default();
        // Exits: zones left since the last evaluation. A track without a position keeps its stays: not
        // knowing where it is is not leaving.
        if track.position.is_some() {
            let left: Vec<ZoneId> = state
                .inside
                .keys()
                .filter(|z| !now_inside.contains_key(*z))
                .cloned()
                .collect();
            for z in left {
                let Some((_, _, r)) = state.inside.remove(&z) else {
                    continue;
                };
                self.fire(
                    &mut out,
                    AlertKind::ZoneExit,
                    id,
                    Some((&z, &r)),
                    now,
                    format!("left {z}"),
                );
            }
        }
        for (z, (name, r)) in &now_inside {
            let zr = Some((z, r));
            self.fire(
                &mut out,
                AlertKind::AircraftInZone,
                id,
                zr,
                now,
                format!("in {name}"),
            );
            match state.inside.get_mut(z) {
                None => {
                    state.inside.insert(z.clone(), (now, false, r.clone()));
                    self.fire(
                        &mut out,
                        AlertKind::ZoneEnter,
                        id,
                        zr,
                        now,
                        format!("entered {name}"),
                    );
                }
                Some((since, fired, _)) => {
                    let stayed = now.since(*since);
                    if !*fired && stayed >= self.config.dwell_ms {
                        *fired = true;
                        let d = format!("in {name} for {} s", stayed / 1000);
                        self.fire(&mut out, AlertKind::Dwell, id, zr, now, d);
                    }
                }
            }
        }
        for (z, name, r) in &pilot_in {
            let d = format!("pilot in {name}");
            self.fire(&mut out, AlertKind::PilotInZone, id, Some((z, r)), now, d);
        }
        self.tracks.insert(id, state);
        out
    }
}
