// History: load the tracks of a time window (optionally only the current map area), replay them with a
// time slider at 1×, 10× or 60×, and export what is shown as CSV, GeoJSON or KML. The replayed aircraft
// (turned to their heading), their paths up to the slider's time, their pilots and take-off points are drawn
// on history's own overlay canvas (overlay.ts, the live layer's drawing), not in MapLibre: moving the slider
// or playing never redraws the WebGL map, which on a CPU renderer costs more than a frame. A click on a
// replayed aircraft selects it: its path wider, a ring and its name.

import { api, download, query } from './api';
import { $, toast } from './dom';
import { fmt, trackName } from './format';
import { bearingDeg, distanceM } from './geo';
import { initReplay, map, setLiveVisible } from './map';
import { Plane, type LonLat, type Look, type Overlay, type Scene } from './overlay';
import type { Track } from './types';
import { state } from './state';

interface Replay {
  track: Track;
  name: string;
  /** Times (ms) and positions of the stored path, oldest first. */
  t: number[];
  pts: LonLat[];
  /** Heading at each point (degrees from north), from the path's own moves; null until it first moves. */
  heading: (number | null)[];
  look: Look;
  /** Index of the point shown at the slider's time, or -1 (not in the air then); set by `draw`. */
  i: number;
}

let replays: Replay[] = [];
/** The replayed aircraft clicked on the map, highlighted until another is picked or history is left. */
let picked: number | null = null;
let overlay: Overlay | null = null;
let t0 = 0;
let t1 = 0;
let now = 0;
let playing = false;
let last = 0;
let window_: { from: string; to: string; bbox?: string } | null = null;
/** A point older than this at the slider's time is not drawn (the aircraft was not heard any more). */
const HOLD_MS = 30_000;
const MAX_TRACKS = 300;
/** A move shorter than this (m) keeps the previous heading: GNSS jitter. */
const TURN_MIN_M = 0.5;

/** The replayed aircraft at the slider's time, for the overlay (positions set by `draw`). */
class ReplayScene implements Scene {
  private readonly p = new Plane();

  forEach(visit: (p: Plane) => void): void {
    const p = this.p;
    for (const r of replays) {
      if (r.i < 0) continue;
      const pt = r.pts[r.i]!;
      const t = r.track;
      p.id = t.id;
      p.lon = pt.lon;
      p.lat = pt.lat;
      r.look.selected = t.id === picked;
      r.look.heading = r.heading[r.i] ?? null;
      p.look = r.look;
      p.pilotLon = t.operator_lon;
      p.pilotLat = t.operator_lat;
      p.homeLon = t.home_lon;
      p.homeLat = t.home_lat;
      p.trail = r.pts;
      p.trailFrom = 0;
      p.trailTo = r.i + 1;
      p.label = r.name;
      visit(p);
    }
  }
}

/** Headings along a path: the bearing of each move longer than TURN_MIN_M, held over shorter ones. */
function headings(pts: LonLat[]): (number | null)[] {
  const out: (number | null)[] = [];
  let h: number | null = null;
  let from = pts[0];
  for (const q of pts) {
    if (from && q !== from) {
      if (distanceM(from.lat, from.lon, q.lat, q.lon) >= TURN_MIN_M) {
        h = bearingDeg(from.lat, from.lon, q.lat, q.lon);
        from = q;
      }
    }
    out.push(h);
  }
  // Before its first move an aircraft points where it will go.
  const first = out.findIndex((x) => x !== null);
  for (let i = 0; i < first; i++) out[i] = out[first]!;
  return out;
}

function localInput(ms: number): string {
  const d = new Date(ms - new Date().getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 19);
}

export function initHistory(): void {
  const from = $('#hist-from') as HTMLInputElement;
  const to = $('#hist-to') as HTMLInputElement;
  const n = Date.now();
  from.value = localInput(n - 15 * 60_000);
  to.value = localInput(n + 60_000);
  $('#hist-last15').addEventListener('click', () => {
    // The newest detection time, not the wall clock: aircraft report their own time, and a replayed
    // recording is history from the day it was made.
    let m = 0;
    for (const t of state.tracks.values()) m = Math.max(m, Date.parse(t.last_seen) || 0);
    if (!m) m = Date.now();
    from.value = localInput(m - 15 * 60_000);
    to.value = localInput(m + 60_000);
  });
  overlay = initReplay(new ReplayScene(), (id) => {
    picked = id;
    draw();
  });
  $('#hist-load').addEventListener('click', () => void load());
  $('#hist-live').addEventListener('click', leave);
  $('#hist-play').addEventListener('click', () => setPlaying(!playing));
  const slider = $('#hist-slider') as HTMLInputElement;
  slider.addEventListener('input', () => {
    now = Number(slider.value);
    draw();
  });
  $('#hist-export').addEventListener('click', (e) => {
    const b = (e.target as HTMLElement).closest<HTMLElement>('[data-format]');
    if (!b || !window_) return;
    const f = b.dataset['format'] ?? 'geojson';
    download(`/export${query({ ...window_, format: f })}`, `window.${f}`).catch((err: unknown) => toast(String(err), 'error'));
  });
}

async function load(): Promise<void> {
  const fromMs = new Date(($('#hist-from') as HTMLInputElement).value).getTime();
  const toMs = new Date(($('#hist-to') as HTMLInputElement).value).getTime();
  if (!Number.isFinite(fromMs) || !Number.isFinite(toMs) || fromMs >= toMs) {
    toast('History: choose a start before the end.', 'error');
    return;
  }
  const from = new Date(fromMs).toISOString();
  const to = new Date(toMs).toISOString();
  let bbox: string | undefined;
  if (($('#hist-bbox') as HTMLInputElement).checked) {
    const b = map.getBounds();
    bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(6)).join(',');
  }
  window_ = bbox ? { from, to, bbox } : { from, to };
  $('#hist-status').textContent = 'Loading…';
  try {
    const tracks = (await api.history(from, to, bbox)).slice(0, MAX_TRACKS);
    const paths = await Promise.all(tracks.map((t) => api.path(t.id, from, to)));
    replays = tracks
      .map((track, i): Replay => {
        const path = (paths[i] ?? []).map((p) => ({ ...p, ms: Date.parse(p.time) })).sort((a, b) => a.ms - b.ms);
        const pts = path.map((p) => ({ lon: p.lon, lat: p.lat }));
        return {
          track,
          name: trackName(track),
          t: path.map((p) => p.ms),
          pts,
          heading: headings(pts),
          look: { cls: 'replay', selected: false, heading: null, html: false },
          i: -1,
        };
      })
      .filter((r) => r.t.length > 0);
    picked = null;
    if (!replays.length) {
      $('#hist-status').textContent = 'No positions in this window.';
      return;
    }
    t0 = Math.min(...replays.map((r) => r.t[0]!));
    t1 = Math.max(...replays.map((r) => r.t[r.t.length - 1]!));
    now = t0;
    const slider = $('#hist-slider') as HTMLInputElement;
    slider.min = String(t0);
    slider.max = String(Math.max(t1, t0 + 1));
    slider.step = '100';
    slider.value = String(t0);
    $('#hist-player').hidden = false;
    ($('#hist-export') as HTMLElement).hidden = false;
    $('#hist-status').textContent = `${replays.length} aircraft, ${replays.reduce((s, r) => s + r.t.length, 0)} positions, ${fmt.clock(t0)} – ${fmt.clock(t1)}`;
    setLiveVisible(false);
    state.select(null);
    draw();
  } catch (e) {
    $('#hist-status').textContent = '';
    toast(String(e instanceof Error ? e.message : e), 'error');
  }
}

/** Index of the last point at or before `ms`, or -1. */
function at(r: Replay, ms: number): number {
  let lo = 0;
  let hi = r.t.length - 1;
  let ans = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (r.t[mid]! <= ms) {
      ans = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return ans;
}

/** Places every replayed aircraft at the slider's time and redraws the overlay (not the map). */
function draw(): void {
  let shown = 0;
  let pickedName: string | null = null;
  for (const r of replays) {
    const i = at(r, now);
    r.i = i >= 0 && now - r.t[i]! <= HOLD_MS ? i : -1;
    if (r.i < 0) continue;
    shown++;
    if (r.track.id === picked) pickedName = r.name;
  }
  overlay?.draw();
  ($('#hist-slider') as HTMLInputElement).value = String(now);
  $('#hist-time').textContent =
    `${fmt.time(new Date(now).toISOString())} · ${shown} in the air` + (pickedName ? ` · ${pickedName} selected` : '');
}

function setPlaying(on: boolean): void {
  playing = on;
  $('#hist-play').textContent = on ? 'Pause' : 'Play';
  if (on) {
    if (now >= t1) now = t0;
    last = performance.now();
    requestAnimationFrame(tick);
  }
}

function tick(ts: number): void {
  if (!playing) return;
  const speed = Number(($('#hist-speed') as HTMLSelectElement).value) || 1;
  now = Math.min(t1, now + (ts - last) * speed);
  last = ts;
  draw();
  if (now >= t1) setPlaying(false);
  else requestAnimationFrame(tick);
}

function leave(): void {
  setPlaying(false);
  replays = [];
  picked = null;
  overlay?.draw();
  $('#hist-player').hidden = true;
  $('#hist-status').textContent = '';
  setLiveVisible(true);
}
