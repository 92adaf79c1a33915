// The list of active aircraft: filtered by id, sorted, and virtualised (only the rows in view exist in the
// DOM), so that it stays usable with hundreds of aircraft updating every second.

import { state } from './state';
import type { Track } from './types';
import { $, frameThrottle } from './dom';
import { esc, fmt, trackName } from './format';

const ROW = 52;
const OVERSCAN = 6;

let rows: Track[] = [];
let filter = '';
let sort: 'last' | 'name' | 'state' = 'last';
const ORDER = { alerting: 0, unknown: 1, allowlisted: 2, lost: 3 } as const;

export function initTrackList(): void {
  const box = $('#track-list');
  const input = $('#track-filter') as HTMLInputElement;
  const select = $('#track-sort') as HTMLSelectElement;
  const refresh = frameThrottle(() => {
    compute();
    render();
  });
  input.addEventListener('input', () => {
    filter = input.value.trim().toLowerCase();
    refresh();
  });
  select.addEventListener('change', () => {
    sort = select.value as typeof sort;
    refresh();
  });
  box.addEventListener('scroll', frameThrottle(render), { passive: true });
  box.addEventListener('click', (e) => {
    const row = (e.target as HTMLElement).closest<HTMLElement>('[data-track-id]');
    if (row) state.select(Number(row.dataset['trackId']));
  });
  box.addEventListener('keydown', (e) => {
    if (e.key !== 'Enter') return;
    const row = (e.target as HTMLElement).closest<HTMLElement>('[data-track-id]');
    if (row) state.select(Number(row.dataset['trackId']));
  });
  state.on('tracks', refresh);
  state.on('selected', refresh);
  new ResizeObserver(refresh).observe(box);
  setInterval(refresh, 1000); // "seen N s ago" moves on even when nothing arrives
}

function compute(): void {
  const all = [...state.tracks.values()];
  rows = filter
    ? all.filter((t) => `${t.id} ${t.uas_id ?? ''} ${t.key} ${t.operator_id ?? ''}`.toLowerCase().includes(filter))
    : all;
  if (sort === 'last') rows.sort((a, b) => b.last_seen.localeCompare(a.last_seen) || a.id - b.id);
  else if (sort === 'name') rows.sort((a, b) => trackName(a).localeCompare(trackName(b)));
  else rows.sort((a, b) => ORDER[state.classOf(a)] - ORDER[state.classOf(b)] || b.last_seen.localeCompare(a.last_seen));
  $('#track-count').textContent =
    rows.length === all.length ? `${all.length} aircraft` : `${rows.length} of ${all.length} aircraft`;
  $('#tab-tracks .badge').textContent = String(all.length);
}

function render(): void {
  const box = $('#track-list');
  const spacer = $('#track-list .spacer');
  const win = $('#track-list .rows');
  spacer.style.height = `${rows.length * ROW}px`;
  const first = Math.max(0, Math.floor(box.scrollTop / ROW) - OVERSCAN);
  const last = Math.min(rows.length, Math.ceil((box.scrollTop + box.clientHeight) / ROW) + OVERSCAN);
  win.style.transform = `translateY(${first * ROW}px)`;
  const now = Date.now();
  let html = '';
  for (let i = first; i < last; i++) {
    const t = rows[i];
    if (!t) continue;
    const cls = state.classOf(t);
    const sel = state.selected === t.id ? ' selected' : '';
    html += `<div class="row ${cls}${sel}" data-track-id="${t.id}" tabindex="0" role="button">
      <span class="dot"></span>
      <span class="name">${esc(trackName(t))}</span>
      <span class="when">${fmt.ago(t.last_seen, now)}</span>
      <span class="sub">${esc(cls)} · ${fmt.m(t.alt_m)} AMSL · ${esc(t.transports.join(', ') || '—')}</span>
    </div>`;
  }
  if (!rows.length)
    html = `<div class="empty">${state.tracks.size ? 'No aircraft match the filter.' : 'No aircraft heard yet.'}</div>`;
  win.innerHTML = html;
}
