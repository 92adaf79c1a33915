// The sensors panel: health, position and counters of every sensor.

import { state } from './state';
import { $, frameThrottle } from './dom';
import { esc, fmt } from './format';
import { flyTo } from './map';

function counters(c: Record<string, unknown> | null): string {
  if (!c) return '';
  const flat: string[] = [];
  const walk = (prefix: string, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v))
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) walk(prefix ? `${prefix}.${k}` : k, x);
    else flat.push(`${esc(prefix)}: ${esc(String(v))}`);
  };
  walk('', c);
  return flat.slice(0, 12).join(' · ');
}

export function initSensors(): void {
  state.on('sensors', frameThrottle(render));
  $('#sensor-list').addEventListener('click', (e) => {
    const li = (e.target as HTMLElement).closest<HTMLElement>('[data-sensor-id]');
    const s = li ? state.sensors.get(Number(li.dataset['sensorId'])) : undefined;
    if (s && s.lat !== null && s.lon !== null) flyTo(s.lon, s.lat, 14);
  });
}

function render(): void {
  const list = [...state.sensors.values()].sort((a, b) => a.name.localeCompare(b.name));
  const bad = list.filter((s) => s.status !== 'online').length;
  const badge = $('#tab-sensors .badge');
  badge.textContent = String(list.length);
  badge.classList.toggle('warn', bad > 0);
  $('#sensor-list').innerHTML = list.length
    ? list
        .map(
          (s) => `<li data-sensor-id="${s.id}" data-testid="sensor-item" class="sensor-item">
        <div><span class="chip ${esc(s.status)}">${esc(s.status)}</span> <b>${esc(s.name)}</b>
        ${s.software_version ? `<span class="unit">v${esc(s.software_version)}</span>` : ''}</div>
        <div class="meta">${s.last_heartbeat ? `Heartbeat ${fmt.ago(s.last_heartbeat)}` : 'No heartbeat yet'} · ${s.detections_stored} detections stored</div>
        <div class="meta">${s.lat !== null && s.lon !== null ? `${fmt.coord(s.lat, s.lon)}${s.alt_m !== null ? ` · ${fmt.m(s.alt_m)}` : ''}` : 'position not reported'}</div>
        ${s.counters ? `<div class="meta counters">${counters(s.counters)}</div>` : ''}
      </li>`,
        )
        .join('')
    : '<li class="empty">No sensors registered.</li>';
}
