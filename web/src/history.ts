// History: load the tracks of a time window (optionally only the current map area), replay them with a
// time slider at 1×, 10× or 60×, and export what is shown as CSV, GeoJSON or KML.

import { api, download, query } from './api';
import { $, toast } from './dom';
import { fmt, trackName } from './format';
import { map, setLiveVisible, setSource } from './map';
import type { Track } from './types';
import { state } from './state';

interface Replay {
  track: Track;
  t: number[];
  lon: number[];
  lat: number[];
}

let replays: Replay[] = [];
let t0 = 0;
let t1 = 0;
let now = 0;
let playing = false;
let last = 0;
let window_: { from: string; to: string; bbox?: string } | null = null;
/** A point older than this at the slider's time is not drawn (the aircraft was not heard any more). */
const HOLD_MS = 30_000;
const MAX_TRACKS = 300;

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
      .map((track, i) => {
        const pts = (paths[i] ?? []).map((p) => ({ ...p, ms: Date.parse(p.time) })).sort((a, b) => a.ms - b.ms);
        return { track, t: pts.map((p) => p.ms), lon: pts.map((p) => p.lon), lat: pts.map((p) => p.lat) };
      })
      .filter((r) => r.t.length > 0);
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
    setSource('history-paths', {
      type: 'FeatureCollection',
      features: replays.map((r) => ({
        type: 'Feature',
        properties: { id: r.track.id },
        geometry: { type: 'LineString', coordinates: r.t.map((_, i) => [r.lon[i]!, r.lat[i]!]) },
      })),
    });
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

function draw(): void {
  const features: GeoJSON.Feature[] = [];
  const links: GeoJSON.Feature[] = [];
  let shown = 0;
  for (const r of replays) {
    const i = at(r, now);
    if (i < 0 || now - r.t[i]! > HOLD_MS) continue;
    shown++;
    const p: [number, number] = [r.lon[i]!, r.lat[i]!];
    features.push({ type: 'Feature', properties: { kind: 'aircraft', id: r.track.id, name: trackName(r.track) }, geometry: { type: 'Point', coordinates: p } });
    const t = r.track;
    if (t.operator_lat !== null && t.operator_lon !== null) {
      const q: [number, number] = [t.operator_lon, t.operator_lat];
      features.push({ type: 'Feature', properties: { kind: 'pilot', id: t.id }, geometry: { type: 'Point', coordinates: q } });
      links.push({ type: 'Feature', properties: {}, geometry: { type: 'LineString', coordinates: [p, q] } });
    }
  }
  setSource('history-points', { type: 'FeatureCollection', features });
  setSource('history-links', { type: 'FeatureCollection', features: links });
  ($('#hist-slider') as HTMLInputElement).value = String(now);
  $('#hist-time').textContent = `${fmt.time(new Date(now).toISOString())} · ${shown} in the air`;
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
  for (const s of ['history-paths', 'history-points', 'history-links']) setSource(s, { type: 'FeatureCollection', features: [] });
  $('#hist-player').hidden = true;
  $('#hist-status').textContent = '';
  setLiveVisible(true);
}
