// The console's picture of the world: tracks with their trails, alerts, sensors, zones, lists and the
// selection. Modules subscribe to the topics they draw; track changes carry the ids that changed so that
// the map and the list redraw only those, once per animation frame.

import type { Alert, Lists, Me, Sensor, Track, Zone } from './types';
import { bearingDeg, distanceM } from './geo';

export type Topic = 'tracks' | 'alerts' | 'sensors' | 'zones' | 'selected' | 'lists';

export type TrackClass = 'alerting' | 'lost' | 'allowlisted' | 'unknown';

/** One point of a trail, with the time it was received by the console (ms). */
export interface TrailPoint {
  lon: number;
  lat: number;
  alt: number | null;
  t: number;
}

const TRAIL_MAX = 120;

export class State {
  me: Me | null = null;
  tracks = new Map<number, Track>();
  trails = new Map<number, TrailPoint[]>();
  alerts = new Map<number, Alert>();
  sensors = new Map<number, Sensor>();
  zones: Zone[] = [];
  lists: Lists = { allowlist: [], watchlist: [] };
  selected: number | null = null;
  /** Ids of tracks changed since the last frame that drew them. */
  private dirty = new Set<number>();
  private removed = new Set<number>();
  private subs = new Map<Topic, Set<() => void>>();
  private allow = new Set<string>();

  on(topic: Topic, f: () => void): void {
    let s = this.subs.get(topic);
    if (!s) this.subs.set(topic, (s = new Set()));
    s.add(f);
  }

  emit(topic: Topic): void {
    this.subs.get(topic)?.forEach((f) => f());
  }

  /** Takes the ids changed and removed since the last call (for the frame that draws them). */
  takeDirty(): { changed: Set<number>; removed: Set<number> } {
    const out = { changed: this.dirty, removed: this.removed };
    this.dirty = new Set();
    this.removed = new Set();
    return out;
  }

  setTracks(list: Track[]): void {
    const keep = new Set(list.map((t) => t.id));
    for (const id of this.tracks.keys()) if (!keep.has(id)) this.removeTrack(id);
    for (const t of list) this.upsertTrack(t, false);
    this.emit('tracks');
  }

  upsertTrack(t: Track, emit = true): void {
    if (t.state === 'closed') {
      this.removeTrack(t.id);
      if (emit) this.emit('tracks');
      return;
    }
    this.tracks.set(t.id, t);
    if (t.lat !== null && t.lon !== null) {
      let tr = this.trails.get(t.id);
      if (!tr) this.trails.set(t.id, (tr = []));
      const last = tr[tr.length - 1];
      if (!last || last.lat !== t.lat || last.lon !== t.lon) {
        tr.push({ lon: t.lon, lat: t.lat, alt: t.alt_m, t: Date.parse(t.last_seen) || Date.now() });
        if (tr.length > TRAIL_MAX) tr.splice(0, tr.length - TRAIL_MAX);
      }
    }
    this.dirty.add(t.id);
    if (emit) this.emit('tracks');
  }

  removeTrack(id: number): void {
    if (!this.tracks.delete(id)) return;
    this.trails.delete(id);
    this.dirty.delete(id);
    this.removed.add(id);
    if (this.selected === id) {
      this.selected = null;
      this.emit('selected');
    }
  }

  /** Track `from` turned out to be `into`: its trail continues there. */
  merge(into: number, from: number): void {
    const a = this.trails.get(from);
    if (a) {
      const b = this.trails.get(into) ?? [];
      this.trails.set(into, [...a, ...b].sort((x, y) => x.t - y.t).slice(-TRAIL_MAX));
    }
    const wasSelected = this.selected === from;
    this.removeTrack(from);
    this.dirty.add(into);
    if (wasSelected) this.select(into);
    this.emit('tracks');
  }

  /** Replaces a trail with a path loaded from the server (detail panel). */
  setTrail(id: number, pts: TrailPoint[]): void {
    if (!this.tracks.has(id)) return;
    this.trails.set(id, pts.slice(-TRAIL_MAX * 4));
    this.dirty.add(id);
    this.emit('tracks');
  }

  setAlerts(list: Alert[]): void {
    this.alerts = new Map(list.map((a) => [a.id, a]));
    this.markAlerting();
    this.emit('alerts');
  }

  upsertAlert(a: Alert): void {
    this.alerts.set(a.id, a);
    this.markAlerting();
    this.emit('alerts');
  }

  /** Tracks with an alert not yet acknowledged. */
  alertingTracks(): Set<number> {
    const s = new Set<number>();
    for (const a of this.alerts.values()) if (!a.ack_at && a.track !== null) s.add(a.track);
    return s;
  }

  private alerting = new Set<number>();
  private markAlerting(): void {
    const next = this.alertingTracks();
    for (const id of next) if (!this.alerting.has(id)) this.dirty.add(id);
    for (const id of this.alerting) if (!next.has(id)) this.dirty.add(id);
    this.alerting = next;
    this.emit('tracks');
  }

  setLists(l: Lists): void {
    this.lists = l;
    // Entries are `kind:value`; a track matches on the value of its key, UAS ID or operator ID.
    this.allow = new Set(l.allowlist.map((e) => e.slice(e.indexOf(':') + 1)));
    for (const id of this.tracks.keys()) this.dirty.add(id);
    this.emit('lists');
    this.emit('tracks');
  }

  classOf(t: Track): TrackClass {
    if (this.alerting.has(t.id)) return 'alerting';
    if (t.state !== 'active') return 'lost';
    const allow =
      t.allowlisted ??
      (this.allow.has(t.key.slice(t.key.indexOf(':') + 1)) ||
        (t.uas_id !== null && this.allow.has(t.uas_id)) ||
        (t.operator_id != null && this.allow.has(t.operator_id)));
    return allow ? 'allowlisted' : 'unknown';
  }

  setSensors(list: Sensor[]): void {
    this.sensors = new Map(list.map((s) => [s.id, s]));
    this.emit('sensors');
  }

  upsertSensor(s: Sensor): void {
    this.sensors.set(s.id, s);
    this.emit('sensors');
  }

  setZones(z: Zone[]): void {
    this.zones = z;
    this.emit('zones');
  }

  select(id: number | null): void {
    if (this.selected === id) return;
    const prev = this.selected;
    this.selected = id;
    if (prev !== null) this.dirty.add(prev);
    if (id !== null) this.dirty.add(id);
    this.emit('selected');
    this.emit('tracks');
  }

  /**
   * Speed, heading and climb for the detail panel: the server's values when it sends them, otherwise
   * derived from the last two trail points (marked as derived).
   */
  motion(t: Track): { speed: number | null; heading: number | null; climb: number | null; derived: boolean } {
    const tr = this.trails.get(t.id) ?? [];
    const a = tr[tr.length - 2];
    const b = tr[tr.length - 1];
    let speed = t.speed_mps ?? null;
    let heading = t.heading_deg ?? null;
    let climb = t.climb_mps ?? null;
    let derived = false;
    if (a && b && b.t > a.t) {
      const dt = (b.t - a.t) / 1000;
      if (speed === null) {
        speed = distanceM(a.lat, a.lon, b.lat, b.lon) / dt;
        derived = true;
      }
      if (heading === null && distanceM(a.lat, a.lon, b.lat, b.lon) > 0.5) {
        heading = bearingDeg(a.lat, a.lon, b.lat, b.lon);
        derived = true;
      }
      if (climb === null && a.alt !== null && b.alt !== null) {
        climb = (b.alt - a.alt) / dt;
        derived = true;
      }
    }
    return { speed, heading, climb, derived };
  }
}

export const state = new State();
