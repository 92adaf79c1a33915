// The detail panel of the selected aircraft: identifiers, model, transports, sensors with signal level,
// altitudes, motion, pilot distance, times and its alerts. Every value carries its unit.

import { api, download } from './api';
import { state } from './state';
import type { Track } from './types';
import { $, frameThrottle, toast } from './dom';
import { esc, fmt, trackName } from './format';
import { distanceM } from './geo';
import { flyTo } from './map';
import { kindText } from './alerts';

let loadedPathFor: number | null = null;

export function initDetail(): void {
  const refresh = frameThrottle(render);
  state.on('selected', () => {
    render();
    const id = state.selected;
    const t = id === null ? undefined : state.tracks.get(id);
    if (t && t.lat !== null && t.lon !== null) flyTo(t.lon, t.lat);
    if (id !== null && loadedPathFor !== id) void loadPath(id);
  });
  state.on('tracks', () => {
    if (state.selected !== null) refresh();
  });
  state.on('alerts', refresh);
  $('#detail-close').addEventListener('click', () => state.select(null));
  $('#detail').addEventListener('click', (e) => {
    const b = (e.target as HTMLElement).closest<HTMLElement>('[data-export]');
    const id = state.selected;
    if (!b || id === null) return;
    const f = b.dataset['export'] ?? 'geojson';
    download(`/export/tracks/${id}?format=${f}`, `track-${id}.${f}`).catch((err: unknown) => toast(String(err), 'error'));
  });
}

/** Fills the trail of a newly selected aircraft with its stored path. */
async function loadPath(id: number): Promise<void> {
  loadedPathFor = id;
  try {
    const pts = await api.path(id);
    state.setTrail(
      id,
      pts.map((p) => ({ lon: p.lon, lat: p.lat, alt: p.alt_m, t: Date.parse(p.time) })),
    );
  } catch (e) {
    toast(String(e), 'error');
  }
}

/** The server's pilot kinds in words (ASTM F3411 operator location type). */
function pilotKindText(kind: string): string {
  switch (kind) {
    case 'takeoff':
      return 'take-off point';
    case 'live':
      return 'live (controller GNSS)';
    case 'fixed':
      return 'fixed (declared)';
    default:
      return kind;
  }
}

function row(label: string, value: string, testid?: string): string {
  return `<dt>${label}</dt><dd${testid ? ` data-testid="${testid}"` : ''}>${value}</dd>`;
}

/** Sensors that heard the aircraft with their last signal level, whatever shape the server sends. */
function sensorsWithRssi(t: Track): string {
  const rssi = new Map<string, number | null>();
  const s = t.sensors_seen;
  if (Array.isArray(s)) for (const x of s) rssi.set(x.name, x.rssi_dbm ?? null);
  else if (s && typeof s === 'object') for (const [k, v] of Object.entries(s)) rssi.set(k, v);
  const names = new Set([...t.sensors, ...rssi.keys()]);
  if (!names.size) return '—';
  return [...names].map((n) => `${esc(n)} <span class="unit">${fmt.dbm(rssi.get(n))}</span>`).join('<br>');
}

function render(): void {
  const panel = $('#detail');
  const id = state.selected;
  const t = id === null ? undefined : state.tracks.get(id);
  document.body.classList.toggle('with-detail', !!t);
  if (!t) {
    panel.hidden = true;
    return;
  }
  panel.hidden = false;
  const cls = state.classOf(t);
  const m = state.motion(t);
  const derived = m.derived ? ' <span class="hint" title="derived from the last two positions">(derived)</span>' : '';
  const pilotDist =
    t.lat !== null && t.lon !== null && t.operator_lat !== null && t.operator_lon !== null
      ? distanceM(t.lat, t.lon, t.operator_lat, t.operator_lon)
      : null;
  const alerts = [...state.alerts.values()].filter((a) => a.track === t.id).sort((a, b) => b.time.localeCompare(a.time));
  const pilotHidden = t.operator_lat === null && state.me?.role === 'viewer';
  $('#detail-title').textContent = trackName(t);
  $('#detail-state').className = `chip ${cls}`;
  $('#detail-state').textContent = `${cls}${t.state !== 'active' ? ` (${t.state})` : ''}`;
  $('#detail-body').innerHTML = `
    <h3>Identity</h3>
    <dl>
      ${row('UAS ID / serial', esc(fmt.text(t.uas_id)), 'detail-uas-id')}
      ${row('DJI serial', esc(fmt.text(t.dji_serial)))}
      ${row('Registration', esc(fmt.text(t.registration)))}
      ${row('Session ID', esc(fmt.text(t.session_id)))}
      ${row('Operator ID', esc(fmt.text(t.operator_id)))}
      ${row('Track key', `<code>${esc(t.key)}</code> <span class="unit">#${t.id}</span>`)}
      ${row('Model', esc(fmt.text(t.model)))}
      ${row('UA type', esc(fmt.text(t.ua_type)))}
      ${t.auth_pages ? row('Authentication', `${t.auth_pages} <span class="unit">page${t.auth_pages === 1 ? '' : 's'} seen</span>`) : ''}
      ${t.self_id ? row('Self-ID', esc(t.self_id)) : ''}
    </dl>
    <h3>Position</h3>
    <dl>
      ${row('Position', fmt.coord(t.lat, t.lon))}
      ${row('Altitude AMSL', fmt.m(t.alt_m), 'detail-alt')}
      ${t.alt_baro_m != null ? row('Pressure altitude', fmt.m(t.alt_baro_m)) : ''}
      ${row('Above take-off', fmt.m(t.height_m))}
      ${t.height_agl_m != null ? row('Above ground', fmt.m(t.height_agl_m)) : ''}
      ${row('Speed', fmt.speed(m.speed) + derived, 'detail-speed')}
      ${row('Heading', fmt.heading(m.heading))}
      ${row('Climb rate', fmt.climb(m.climb))}
    </dl>
    <h3>Pilot</h3>
    <dl>
      ${
        pilotHidden
          ? row('Pilot', '<span class="hint">not shown to your role</span>')
          : `${row('Pilot position', fmt.coord(t.operator_lat, t.operator_lon))}
             ${t.pilot_kind ? row('Pilot position is', esc(pilotKindText(t.pilot_kind))) : ''}
             ${row('Pilot ↔ aircraft', fmt.dist(pilotDist), 'detail-pilot-distance')}
             ${row('Take-off point', fmt.coord(t.home_lat, t.home_lon))}`
      }
    </dl>
    <h3>Reception</h3>
    <dl>
      ${row('Transports', esc(t.transports.join(', ') || '—'))}
      ${row('Sensors (RSSI)', sensorsWithRssi(t))}
      ${row('Detections', String(t.detections))}
      ${row('First seen', fmt.time(t.first_seen))}
      ${t.last_reported ? row('Aircraft clock', fmt.time(t.last_reported)) : ''}
      ${row('Last seen', `${fmt.time(t.last_seen)}${Date.now() - Date.parse(t.last_seen) < 48 * 3600_000 ? ` <span class="unit">(${fmt.ago(t.last_seen)})</span>` : ''}`)}
    </dl>
    <h3>Alerts <span class="unit">(${alerts.length})</span></h3>
    ${
      alerts.length
        ? `<ul class="mini">${alerts
            .slice(0, 20)
            .map((a) => `<li class="${a.ack_at ? 'acked' : 'open'}">${esc(kindText(a.kind))} · ${fmt.time(a.time)}${a.ack_by ? ` · ack ${esc(a.ack_by)}` : ''}</li>`)
            .join('')}</ul>`
        : '<p class="hint">None.</p>'
    }
    <h3>Export path</h3>
    <div class="buttons"><button data-export="csv">CSV</button><button data-export="geojson">GeoJSON</button><button data-export="kml">KML</button></div>`;
}
