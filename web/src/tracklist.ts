// The list of active aircraft: filtered by id, sorted, and virtualised (only the rows in view exist in the
// DOM), so that it stays usable with hundreds of aircraft updating every second.

import { state } from './state';
import type { Track } from './types';
import { $, frameThrottle } from './dom';
import { esc, fmt, trackName } from './format';

const ROW = 52;
const OVERSCAN = 6;

let rows: Track[] = [];
let scrollTop = 0;
let viewHeight = 600;
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
  const onScroll = frameThrottle(render);
  box.addEventListener(
    'scroll',
    () => {
      scrollTop = box.scrollTop;
      onScroll();
    },
    { passive: true },
  );
  box.addEventListener('click', (e) => {
    const row = (e.target as HTMLElement).closest<HTMLElement>('[data-track-id]');
    if (row) state.select(Number(row.dataset['trackId']));
  });
  box.addEventListener('keydown', (e) => {
    if (e.key !== 'Enter') return;
    const row = (e.target as HTMLElement).closest<HTMLElement>('[data-track-id]');
    if (row) state.select(Number(row.dataset['trackId']));
  });
  // Position updates arrive all the time; the list is re-sorted and redrawn twice a second at most for them,
  // and at once for what the operator does (filter, sort, scroll, select).
  let timer = 0;
  state.on('tracks', () => {
    if (!timer)
      timer = window.setTimeout(() => {
        timer = 0;
        refresh();
      }, 500);
  });
  state.on('selected', refresh);
  new ResizeObserver((entries) => {
    viewHeight = entries[0]?.contentRect.height ?? viewHeight;
    refresh();
  }).observe(box);
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
  const spacer = $('#track-list .spacer');
  const win = $('#track-list .rows');
  const height = `${rows.length * ROW}px`;
  if (spacer.style.height !== height) spacer.style.height = height;
  // Geometry comes from the scroll and resize events, never read here: no forced layout on a render.
  const first = Math.max(0, Math.floor(scrollTop / ROW) - OVERSCAN);
  const last = Math.min(rows.length, Math.ceil((scrollTop + viewHeight) / ROW) + OVERSCAN);
  const shift = `translateY(${first * ROW}px)`;
  if (win.style.transform !== shift) win.style.transform = shift;
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
  // Unchanged rows are not rewritten (no layout, no paint).
  if (html !== lastHtml) {
    win.innerHTML = html;
    lastHtml = html;
  }
}

let lastHtml = '';
