// Values with their units, the same everywhere in the console. Missing values are an em dash.

const DASH = '—';
const ok = (v: number | null | undefined): v is number => typeof v === 'number' && Number.isFinite(v);

export const fmt = {
  m: (v: number | null | undefined) => (ok(v) ? `${v.toFixed(1)} m` : DASH),
  dist: (v: number | null | undefined) =>
    ok(v) ? (v >= 10_000 ? `${(v / 1000).toFixed(1)} km` : `${Math.round(v)} m`) : DASH,
  speed: (v: number | null | undefined) => (ok(v) ? `${v.toFixed(1)} m/s (${(v * 3.6).toFixed(1)} km/h)` : DASH),
  climb: (v: number | null | undefined) => (ok(v) ? `${v >= 0 ? '+' : ''}${v.toFixed(1)} m/s` : DASH),
  heading: (v: number | null | undefined) => (ok(v) ? `${Math.round(v) % 360}°` : DASH),
  dbm: (v: number | null | undefined) => (ok(v) ? `${Math.round(v)} dBm` : DASH),
  coord: (lat: number | null | undefined, lon: number | null | undefined) =>
    ok(lat) && ok(lon) ? `${lat.toFixed(6)}°, ${lon.toFixed(6)}°` : DASH,
  time: (iso: string | null | undefined) => {
    if (!iso) return DASH;
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return iso;
    return d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC').replace(/Z$/, ' UTC');
  },
  clock: (ms: number) => new Date(ms).toISOString().slice(11, 19) + ' UTC',
  ago: (iso: string | null | undefined, now = Date.now()) => {
    if (!iso) return DASH;
    const s = Math.max(0, Math.round((now - new Date(iso).getTime()) / 1000));
    if (!Number.isFinite(s)) return DASH;
    if (s < 60) return `${s} s ago`;
    if (s < 3600) return `${Math.floor(s / 60)} min ago`;
    if (s < 48 * 3600) return `${Math.floor(s / 3600)} h ago`;
    // Older than that is a recording's own time: the date says more than a count of hours.
    return new Date(iso).toISOString().slice(0, 10);
  },
  text: (v: string | null | undefined) => (v && v.trim() ? v : DASH),
};

/** Escapes text for innerHTML. */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

/** The name an operator knows an aircraft by. */
export function trackName(t: { uas_id: string | null; key: string; id: number }): string {
  return t.uas_id ?? t.key.replace(/^[a-z-]+:/, '') ?? `#${t.id}`;
}
