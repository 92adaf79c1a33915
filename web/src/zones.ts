// Zones: the list, drawing on the map (circle: centre then radius; polygon: vertices, then double-click or
// Finish), the form (name, restriction, altitude band, schedule), edit, delete and import from a file. The
// list shows each zone's schedule in short and whether it applies now.

import type { MapLayerMouseEvent, MapMouseEvent } from 'maplibre-gl';
import { api } from './api';
import { state } from './state';
import type { Zone } from './types';
import { $, canEdit, frameThrottle, toast } from './dom';
import { esc, fmt } from './format';
import { circleRing, distanceM } from './geo';
import { highlightZone, map, setSource, zoneFeature } from './map';
import { ScheduleEditor, scheduleSummary } from './schedule';

type Mode = { kind: 'idle' } | { kind: 'circle'; centre: [number, number] | null; radius: number } | { kind: 'polygon'; pts: [number, number][] };

let mode: Mode = { kind: 'idle' };
/** The zone being edited, or null for a new one. */
let editing: Zone | null = null;
/** The geometry of the form: drawn, or the edited zone's. */
let geometry: GeoJSON.Geometry | null = null;

const form = () => $('#zone-form') as HTMLFormElement;
const input = (name: string) => form().elements.namedItem(name) as HTMLInputElement | HTMLSelectElement;
let schedule: ScheduleEditor;

export function initZones(): void {
  // The schedule editor goes in the form above its buttons.
  const fieldset = document.createElement('fieldset');
  fieldset.id = 'zone-schedule';
  fieldset.className = 'schedule';
  form().querySelector('.buttons')?.before(fieldset);
  schedule = new ScheduleEditor(fieldset);
  state.on('zones', frameThrottle(renderList));
  state.on('lists', frameThrottle(renderList));
  $('#zone-draw-circle').addEventListener('click', () => startDraw('circle'));
  $('#zone-draw-polygon').addEventListener('click', () => startDraw('polygon'));
  $('#zone-finish').addEventListener('click', finishPolygon);
  $('#zone-cancel').addEventListener('click', cancel);
  form().addEventListener('submit', (e) => {
    e.preventDefault();
    void save();
  });
  input('radius_m').addEventListener('input', () => {
    const r = Number(input('radius_m').value);
    if (mode.kind === 'circle' && mode.centre && r > 0) {
      mode.radius = r;
      drawDraft();
    } else if (geometry?.type === 'Point' && r > 0) drawDraft();
  });
  $('#zone-delete').addEventListener('click', () => void remove());
  $('#zone-list').addEventListener('click', (e) => {
    const li = (e.target as HTMLElement).closest<HTMLElement>('[data-zone-id]');
    const z = li ? state.zones.find((x) => x.id === Number(li.dataset['zoneId'])) : undefined;
    if (z) edit(z);
  });
  $('#zone-import').addEventListener('change', () => void importFile());
  map.on('click', onClick);
  map.on('mousemove', onMove);
  map.on('dblclick', (e: MapMouseEvent) => {
    if (mode.kind === 'polygon') {
      e.preventDefault();
      finishPolygon();
    }
  });
  map.on('click', 'zones-fill', (e: MapLayerMouseEvent) => {
    if (mode.kind !== 'idle' || !document.body.classList.contains('tab-zones')) return;
    const id = Number(e.features?.[0]?.properties?.['id']);
    const z = state.zones.find((x) => x.id === id);
    if (z) edit(z);
  });
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && mode.kind !== 'idle') cancel();
  });
}

function renderList(): void {
  const edit = canEdit(state.me?.role);
  $('#zone-tools').hidden = !edit;
  $('#tab-zones .badge').textContent = String(state.zones.length);
  $('#zone-list').innerHTML = state.zones.length
    ? state.zones
        .map(
          (z) => `<li data-zone-id="${z.id}" data-testid="zone-item" class="${editing?.id === z.id ? 'selected' : ''}">
          <span class="swatch r-${esc(z.restriction.toLowerCase())}"></span><b>${esc(z.name || `zone #${z.id}`)}</b>
          <div class="meta">${esc(z.restriction || '—')} · ${z.radius_m ? `circle ${fmt.dist(z.radius_m)}` : 'polygon'} · ${band(z)}</div>
          <div class="meta" data-testid="zone-schedule"><span class="sched-state ${z.active_now ? 'on' : 'off'}">${z.active_now ? 'active' : 'inactive'}</span> ${esc(scheduleSummary(z.schedule))}</div></li>`,
        )
        .join('')
    : '<li class="empty">No zones yet.</li>';
}

function band(z: { lower_m: number | null; upper_m: number | null }): string {
  if (z.lower_m === null && z.upper_m === null) return 'all altitudes';
  return `${z.lower_m === null ? 'ground' : fmt.m(z.lower_m)} – ${z.upper_m === null ? '∞' : fmt.m(z.upper_m)}`;
}

function showForm(title: string): void {
  $('#zone-form-title').textContent = title;
  form().hidden = false;
  $('#zone-delete').hidden = editing === null;
}

function startDraw(kind: 'circle' | 'polygon'): void {
  cancel();
  editing = null;
  mode = kind === 'circle' ? { kind, centre: null, radius: 0 } : { kind, pts: [] };
  map.doubleClickZoom.disable();
  document.body.classList.add('drawing');
  $('#zone-hint').textContent =
    kind === 'circle'
      ? 'Click the centre on the map, then click again to set the radius (or type it).'
      : 'Click each vertex on the map; double-click or press Finish to close the polygon.';
  $('#zone-finish').hidden = kind !== 'polygon';
  form().reset();
  schedule.set([]);
  input('restriction').value = 'restricted';
  $('#radius-row').hidden = kind !== 'circle';
  showForm(kind === 'circle' ? 'New circle zone' : 'New polygon zone');
}

function onClick(e: MapMouseEvent): void {
  const p: [number, number] = [e.lngLat.lng, e.lngLat.lat];
  if (mode.kind === 'circle') {
    if (!mode.centre) {
      mode.centre = p;
      $('#zone-hint').textContent = 'Now click to set the radius (or type it below).';
    } else {
      mode.radius = Math.max(1, Math.round(distanceM(mode.centre[1], mode.centre[0], p[1], p[0])));
      input('radius_m').value = String(mode.radius);
      geometry = { type: 'Point', coordinates: mode.centre };
      mode = { kind: 'idle' };
      endDraw('Circle drawn: name it and save.');
    }
    drawDraft();
  } else if (mode.kind === 'polygon') {
    mode.pts.push(p);
    drawDraft();
  }
}

function onMove(e: MapMouseEvent): void {
  if (mode.kind === 'circle' && mode.centre) {
    mode.radius = distanceM(mode.centre[1], mode.centre[0], e.lngLat.lat, e.lngLat.lng);
    input('radius_m').value = String(Math.round(mode.radius));
    drawDraft();
  }
}

function finishPolygon(): void {
  if (mode.kind !== 'polygon') return;
  // A double-click also fires two clicks at the same place: drop repeated vertices.
  const pts = mode.pts.filter((p, i, a) => i === 0 || distanceM(p[1], p[0], a[i - 1]![1], a[i - 1]![0]) > 0.5);
  if (pts.length < 3) {
    toast('A polygon needs at least three vertices.', 'error');
    return;
  }
  const first = pts[0]!;
  geometry = { type: 'Polygon', coordinates: [[...pts, first]] };
  mode = { kind: 'idle' };
  endDraw('Polygon drawn: name it and save.');
  drawDraft();
}

function endDraw(hint: string): void {
  document.body.classList.remove('drawing');
  $('#zone-finish').hidden = true;
  $('#zone-hint').textContent = hint;
  setTimeout(() => map.doubleClickZoom.enable(), 300);
}

function drawDraft(): void {
  const features: GeoJSON.Feature[] = [];
  const r = Number(input('radius_m').value);
  if (mode.kind === 'circle' && mode.centre) {
    features.push({ type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: mode.centre } });
    if (mode.radius > 0)
      features.push({ type: 'Feature', properties: {}, geometry: { type: 'Polygon', coordinates: [circleRing(mode.centre[1], mode.centre[0], mode.radius)] } });
  } else if (mode.kind === 'polygon') {
    for (const p of mode.pts) features.push({ type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: p } });
    if (mode.pts.length > 1)
      features.push({ type: 'Feature', properties: {}, geometry: { type: 'LineString', coordinates: mode.pts } });
  } else if (geometry) {
    const f = zoneFeature({ type: 'Feature', properties: {}, geometry }, { radius_m: r });
    if (f) features.push(f);
  }
  setSource('draft', { type: 'FeatureCollection', features });
}

function edit(z: Zone): void {
  if (!canEdit(state.me?.role)) return;
  cancel();
  editing = z;
  geometry = z.feature.geometry;
  highlightZone(z.id);
  form().reset();
  input('name').value = z.name;
  input('restriction').value = z.restriction.toLowerCase() || 'restricted';
  input('lower_m').value = z.lower_m === null ? '' : String(z.lower_m);
  input('upper_m').value = z.upper_m === null ? '' : String(z.upper_m);
  input('radius_m').value = z.radius_m === null ? '' : String(z.radius_m);
  schedule.set(z.schedule ?? (z.feature.properties?.['schedule'] as Zone['schedule'] | undefined));
  $('#radius-row').hidden = geometry.type !== 'Point';
  $('#zone-hint').textContent = 'Edit the zone and save, or delete it.';
  showForm(`Zone: ${z.name || `#${z.id}`}`);
  renderList();
}

function cancel(): void {
  mode = { kind: 'idle' };
  editing = null;
  geometry = null;
  form().hidden = true;
  document.body.classList.remove('drawing');
  $('#zone-finish').hidden = true;
  $('#zone-hint').textContent = '';
  map.doubleClickZoom.enable();
  highlightZone(null);
  setSource('draft', { type: 'FeatureCollection', features: [] });
  renderList();
}

function optNum(name: string): number | undefined {
  const v = input(name).value.trim();
  if (v === '') return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`${name}: not a number`);
  return n;
}

async function save(): Promise<void> {
  if (!geometry) {
    toast('Draw the zone on the map first.', 'error');
    return;
  }
  try {
    const properties: Record<string, unknown> = {
      name: input('name').value.trim(),
      restriction: input('restriction').value,
    };
    const lower = optNum('lower_m');
    const upper = optNum('upper_m');
    if (lower !== undefined) properties['lower_m'] = lower;
    if (upper !== undefined) properties['upper_m'] = upper;
    if (lower !== undefined && upper !== undefined && lower > upper) throw new Error('lower altitude above upper');
    if (geometry.type === 'Point') {
      const r = optNum('radius_m');
      if (!r || r <= 0) throw new Error('radius_m: a circle needs a radius in metres');
      properties['radius_m'] = r;
    }
    const periods = schedule.get();
    if (periods.length) properties['schedule'] = periods;
    const f: GeoJSON.Feature = { type: 'Feature', properties, geometry };
    const saved = editing ? await api.editZone(editing.id, f) : await api.addZone(f);
    toast(`Zone "${saved.name}" saved.`);
    cancel();
    state.setZones(await api.zones());
  } catch (e) {
    toast(String(e instanceof Error ? e.message : e), 'error');
  }
}

async function remove(): Promise<void> {
  if (!editing) return;
  const z = editing;
  if (!confirm(`Delete zone "${z.name}"?`)) return;
  try {
    await api.deleteZone(z.id);
    cancel();
    state.setZones(await api.zones());
    toast(`Zone "${z.name}" deleted.`);
  } catch (e) {
    toast(String(e instanceof Error ? e.message : e), 'error');
  }
}

async function importFile(): Promise<void> {
  const fileInput = $('#zone-import') as HTMLInputElement;
  const file = fileInput.files?.[0];
  if (!file) return;
  const format = ($('#zone-import-format') as HTMLSelectElement).value;
  const radius = Number(($('#zone-import-radius') as HTMLInputElement).value);
  try {
    const text = await file.text();
    const r = (await api.importZones(format, text, format === 'airports-csv' && radius > 0 ? radius : undefined)) as {
      imported?: number;
    };
    state.setZones(await api.zones());
    toast(`Imported ${r.imported ?? 'the'} zones from ${file.name}.`);
  } catch (e) {
    toast(String(e instanceof Error ? e.message : e), 'error');
  } finally {
    fileInput.value = '';
  }
}
