// The alerts panel: newest first, acknowledge (operators and admins), click to show the aircraft.

import { api } from './api';
import { state } from './state';
import { $, canEdit, frameThrottle, toast } from './dom';
import { esc, fmt, trackName } from './format';

export function initAlerts(): void {
  const refresh = frameThrottle(render);
  state.on('alerts', refresh);
  state.on('zones', refresh);
  $('#alert-list').addEventListener('click', (e) => {
    const target = e.target as HTMLElement;
    const ack = target.closest<HTMLElement>('[data-ack]');
    if (ack) {
      const id = Number(ack.dataset['ack']);
      (ack as HTMLButtonElement).disabled = true;
      api
        .ack(id)
        .then((a) => state.upsertAlert(a))
        .catch((err: unknown) => {
          (ack as HTMLButtonElement).disabled = false;
          toast(String(err), 'error');
        });
      return;
    }
    const item = target.closest<HTMLElement>('[data-alert-track]');
    const tid = Number(item?.dataset['alertTrack']);
    if (item && state.tracks.has(tid)) state.select(tid);
  });
  $('#alerts-open-only').addEventListener('change', refresh);
}

function render(): void {
  const openOnly = ($('#alerts-open-only') as HTMLInputElement).checked;
  const all = [...state.alerts.values()].sort((a, b) => b.time.localeCompare(a.time) || b.id - a.id);
  const open = all.filter((a) => !a.ack_at);
  const badge = $('#tab-alerts .badge');
  badge.textContent = String(open.length);
  badge.classList.toggle('hot', open.length > 0);
  const list = (openOnly ? open : all).slice(0, 300);
  const zones = new Map(state.zones.map((z) => [z.id, z.name]));
  const edit = canEdit(state.me?.role);
  $('#alert-list').innerHTML = list.length
    ? list
        .map((a) => {
          const t = a.track === null ? undefined : state.tracks.get(a.track);
          const track = t ? trackName(t) : a.track === null ? '—' : `track #${a.track}`;
          const zone = a.zone === null ? '' : `<span class="zone">${esc(zones.get(a.zone) ?? `zone #${a.zone}`)}</span>`;
          const action = a.ack_at
            ? `<span class="acked">✓ ${esc(a.ack_by ?? '')} ${fmt.time(a.ack_at)}</span>`
            : edit
              ? `<button class="ack" data-ack="${a.id}" data-testid="alert-ack">Acknowledge</button>`
              : '';
          return `<li class="alert ${a.ack_at ? 'acked' : 'open'}" data-testid="alert-item" data-alert-id="${a.id}" data-alert-track="${a.track ?? ''}">
            <div class="kind">${esc(kindText(a.kind))}</div>${zone}
            <div class="meta">${esc(track)} · ${fmt.time(a.time)}</div>
            <div class="act">${action}</div></li>`;
        })
        .join('')
    : `<li class="empty">${openOnly && all.length ? 'No open alerts.' : 'No alerts.'}</li>`;
}

/** `zone-enter` → `Zone enter`. */
export function kindText(kind: string): string {
  const t = kind.replace(/[-_]/g, ' ');
  return t.charAt(0).toUpperCase() + t.slice(1);
}
