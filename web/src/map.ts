// The map: MapLibre with an offline base map (Natural Earth countries from the world-atlas package, drawn
// as fill and line layers, no glyphs or sprites fetched), an optional online raster source from the
// server's configuration, zones and the zone draft as GeoJSON layers, the live layer and history playback.
// Neither the live layer nor history playback touches the WebGL map (see overlay.ts): trails, pilot/home links
// and, past a few dozen aircraft, the aircraft, pilots and take-off points are drawn on a 2D canvas over it;
// up to a few dozen aircraft, aircraft, pilots and home points are HTML markers (so is the selected aircraft
// at any count). History playback (history.ts) has its own overlay canvas, shown while the live layer is not.
// Sensors are HTML markers. Updates are applied at most once per animation frame, and only for the tracks
// that changed.

import * as maplibregl from 'maplibre-gl';
import type { GeoJSONSource, StyleSpecification } from 'maplibre-gl';
import 'maplibre-gl/dist/maplibre-gl.css';
import workerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?worker&url';
import countriesUrl from 'world-atlas/countries-50m.json?url';
import { feature, mesh } from 'topojson-client';
import type { GeometryCollection, Topology } from 'topojson-specification';
import { state } from './state';
import type { Track } from './types';
import { fmt, trackName } from './format';
import { circleRing } from './geo';
import { ARROW, LiveScene, Overlay, type Look, type Scene } from './overlay';

maplibregl.setWorkerUrl(workerUrl);

const EMPTY: GeoJSON.FeatureCollection = { type: 'FeatureCollection', features: [] };

export let map: maplibregl.Map;

/** Colours of zones by restriction (ED-269 words and the API's free text, lower-cased). */
export const ZONE_COLOURS: [string, string][] = [
  ['prohibited', '#ff4d4f'],
  ['restricted', '#f0883e'],
  ['req_authorisation', '#d29922'],
  ['conditional', '#d29922'],
  ['no_restriction', '#58a6ff'],
];

export function initMap(container: HTMLElement, tileUrl: string | null): Promise<void> {
  const style: StyleSpecification = {
    version: 8,
    sources: {
      land: { type: 'geojson', data: EMPTY },
      borders: { type: 'geojson', data: EMPTY },
      ...(tileUrl
        ? { online: { type: 'raster', tiles: [tileUrl], tileSize: 256, attribution: 'configured tile source' } }
        : {}),
    },
    layers: [
      { id: 'sea', type: 'background', paint: { 'background-color': '#0b1620' } },
      ...(tileUrl ? [{ id: 'online', type: 'raster' as const, source: 'online' }] : []),
      {
        id: 'land',
        type: 'fill',
        source: 'land',
        paint: { 'fill-color': '#1f3242', 'fill-opacity': tileUrl ? 0 : 1 },
      },
      {
        id: 'borders',
        type: 'line',
        source: 'borders',
        paint: { 'line-color': '#4a6478', 'line-width': ['interpolate', ['linear'], ['zoom'], 2, 0.5, 10, 1.5] },
      },
    ],
  };
  map = new maplibregl.Map({
    container,
    style,
    center: [10, 50],
    zoom: 3,
    attributionControl: { compact: true, customAttribution: 'Natural Earth' },
    dragRotate: false,
    pitchWithRotate: false,
    fadeDuration: 0,
  });
  map.touchZoomRotate.disableRotation();
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
  map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-right');
  return new Promise((resolve) => {
    map.on('load', () => {
      addLayers();
      overlay = new Overlay(map, new LiveScene(looks), 'live-overlay');
      void loadBaseMap();
      state.on('tracks', schedule);
      state.on('sensors', drawSensors);
      state.on('zones', drawZones);
      resolve();
    });
  });
}

async function loadBaseMap(): Promise<void> {
  try {
    const topo = (await (await fetch(countriesUrl)).json()) as Topology<{ countries: GeometryCollection; land: GeometryCollection }>;
    const countries = topo.objects.countries;
    (map.getSource('land') as GeoJSONSource).setData(rewind(unwrap(feature(topo, topo.objects.land))));
    (map.getSource('borders') as GeoJSONSource).setData(mesh(topo, countries, (a, b) => a !== b));
  } catch (e) {
    console.error('base map', e);
  }
}

/**
 * Natural Earth cuts nothing at the antimeridian: Eurasia, Wrangel Island and Fiji jump from +180° to -180° and
 * back, which MapLibre, drawing in the plane, reads as bands across the whole world. Such rings are made
 * continuous (longitudes past ±180° fall on the next world copy); Antarctica, which circles the pole, is left
 * out (it needs pole points to close and no sensor is there).
 */
function unwrap<T extends GeoJSON.Feature | GeoJSON.FeatureCollection>(g: T): T {
  const ring = (r: GeoJSON.Position[]) => {
    let shift = 0;
    for (let i = 1; i < r.length; i++) {
      const d = r[i]![0]! + shift - r[i - 1]![0]!;
      if (d > 180) shift -= 360;
      else if (d < -180) shift += 360;
      r[i]![0]! += shift;
    }
  };
  const polar = (p: GeoJSON.Position[][]) => (p[0] ?? []).some((q) => q[1]! < -80);
  const one = (f: GeoJSON.Feature) => {
    const geom = f.geometry;
    if (geom.type === 'Polygon') geom.coordinates.forEach(ring);
    else if (geom.type === 'MultiPolygon') {
      geom.coordinates = geom.coordinates.filter((p) => !polar(p));
      geom.coordinates.forEach((p) => p.forEach(ring));
    }
  };
  if (g.type === 'FeatureCollection') g.features.forEach(one);
  else one(g);
  return g;
}

/**
 * world-atlas follows d3's spherical convention (outer rings clockwise); MapLibre tiles GeoJSON in the plane and
 * expects RFC 7946 (outer rings counter-clockwise, holes clockwise), else parts of the land fill turn inside out.
 */
function rewind<T extends GeoJSON.Feature | GeoJSON.FeatureCollection>(g: T): T {
  const area = (r: GeoJSON.Position[]) => {
    let s = 0;
    for (let i = 0, j = r.length - 1; i < r.length; j = i++) s += (r[j]![0]! - r[i]![0]!) * (r[j]![1]! + r[i]![1]!);
    return s / 2; // > 0 for counter-clockwise in (lon, lat)
  };
  const poly = (rings: GeoJSON.Position[][]) =>
    rings.forEach((r, i) => {
      if ((area(r) > 0) !== (i === 0)) r.reverse();
    });
  const one = (f: GeoJSON.Feature) => {
    const geom = f.geometry;
    if (geom.type === 'Polygon') poly(geom.coordinates);
    else if (geom.type === 'MultiPolygon') geom.coordinates.forEach(poly);
  };
  if (g.type === 'FeatureCollection') g.features.forEach(one);
  else one(g);
  return g;
}

function addLayers(): void {
  for (const id of ['zones', 'draft']) map.addSource(id, { type: 'geojson', data: EMPTY });
  // A `match` over the restriction words; the type checker cannot see through a spread, hence the cast.
  const zoneColour = ['match', ['get', 'restriction'], ...ZONE_COLOURS.flat(), '#8b949e'] as unknown as maplibregl.ExpressionSpecification;
  // A zone whose schedule does not apply now is drawn faint (`active` is the server's `active_now`).
  map.addLayer({
    id: 'zones-fill',
    type: 'fill',
    source: 'zones',
    paint: { 'fill-color': zoneColour, 'fill-opacity': ['case', ['get', 'active'], 0.18, 0.05] },
  });
  map.addLayer({
    id: 'zones-line',
    type: 'line',
    source: 'zones',
    paint: {
      'line-color': zoneColour,
      'line-width': ['case', ['get', 'selected'], 3, 1.5],
      'line-opacity': ['case', ['get', 'active'], 1, 0.45],
    },
  });
  map.addLayer({ id: 'draft-fill', type: 'fill', source: 'draft', paint: { 'fill-color': '#58a6ff', 'fill-opacity': 0.15 } });
  map.addLayer({
    id: 'draft-line',
    type: 'line',
    source: 'draft',
    paint: { 'line-color': '#58a6ff', 'line-width': 2, 'line-dasharray': [2, 1] },
  });
  map.addLayer({
    id: 'draft-points',
    type: 'circle',
    source: 'draft',
    filter: ['==', ['geometry-type'], 'Point'],
    paint: { 'circle-radius': 5, 'circle-color': '#58a6ff', 'circle-stroke-color': '#fff', 'circle-stroke-width': 1 },
  });
  // A tap selects the aircraft drawn on the overlay nearest to it whose arrow is within TAP_PX, not only one
  // exactly under it: arrows are small, aircraft move, and fingers on a tablet are not precise. (HTML markers take their own
  // clicks.) In history, the replayed aircraft on the history overlay, given to history.ts.
  const hit = (e: maplibregl.MapMouseEvent) => {
    if (document.body.classList.contains('drawing')) return null; // a zone vertex, not a selection
    return (liveHidden ? replay?.overlay : overlay)?.hit(e.point.x, e.point.y, TAP_PX) ?? null;
  };
  map.on('click', (e: maplibregl.MapMouseEvent) => {
    const id = hit(e);
    if (id === null) return;
    if (liveHidden) replay?.pick(id);
    else state.select(id);
  });
  // The pointer cursor wherever a click would select an aircraft.
  let pointer = false;
  map.on('mousemove', (e: maplibregl.MapMouseEvent) => {
    const over = hit(e) !== null;
    if (over !== pointer) {
      pointer = over;
      map.getCanvas().style.cursor = over ? 'pointer' : '';
    }
  });
}

// ---- the live layer -------------------------------------------------------------------------------------

interface Markers {
  drone: maplibregl.Marker;
  /** The styled element inside the marker's own (MapLibre positions the outer one: never replace its classes). */
  el: HTMLElement;
  arrow: HTMLElement;
  label: HTMLElement;
  pilot: maplibregl.Marker | null;
  home: maplibregl.Marker | null;
  cls: string;
  rot: string;
}

const markers = new Map<number, Markers>();
/** The tracks on the map (those with a position) and how the overlay draws them. */
const looks = new Map<number, Look>();
let overlay: Overlay | null = null;
/** History playback's overlay and what a click on one of its aircraft does (see `initReplay`). */
let replay: { overlay: Overlay; pick: (id: number) => void } | null = null;
/**
 * Up to this many aircraft on the map, each aircraft, pilot and take-off point is an HTML marker (with the
 * tests' `data-testid` hooks, a title and a label); past it they are drawn on the overlay canvas, except the
 * selected aircraft: hundreds of DOM elements moving every second cost more style, layout and paint than a
 * frame has on a CPU renderer. Back to HTML markers below HTML_DOWN_TO, so that a count hovering around the
 * threshold does not swap every marker back and forth.
 */
const HTML_UP_TO = 50;
const HTML_DOWN_TO = 40;
/** Whether the aircraft are drawn on the overlay (more than HTML_UP_TO of them). */
let many = false;
let frame = 0;
let liveHidden = false;
/** How far from the arrow of an aircraft drawn on the overlay a click or tap still selects it, in CSS pixels. */
const TAP_PX = 16;

/** Asks for one redraw on the next animation frame, however many updates arrive before it. */
export function schedule(): void {
  if (!frame) frame = requestAnimationFrame(drawFrame);
}

function drawFrame(): void {
  frame = 0;
  const { changed, removed } = state.takeDirty();
  for (const id of removed) {
    removeMarkers(id);
    looks.delete(id);
  }
  for (const id of changed) {
    const t = state.tracks.get(id);
    if (t) drawTrack(t);
  }
  const next = many ? looks.size > HTML_DOWN_TO : looks.size > HTML_UP_TO;
  if (next !== many) {
    // Crossing the threshold redraws every aircraft once, as markers or on the overlay.
    many = next;
    for (const id of looks.keys()) {
      const t = state.tracks.get(id);
      if (t) drawTrack(t);
    }
  }
  // Past a few dozen aircraft, names only for the selected one: hundreds of labels hide the map.
  document.body.classList.toggle('many', looks.size > 40);
  if (changed.size || removed.size) overlay?.draw();
}

function removeMarkers(id: number): void {
  const m = markers.get(id);
  if (!m) return;
  m.drone.remove();
  m.pilot?.remove();
  m.home?.remove();
  markers.delete(id);
}

/** A marker whose styled element is the child of the one MapLibre positions (see [`Markers`]). */
function pointMarker(cls: string, testid: string, title: string, lon: number, lat: number): maplibregl.Marker {
  const outer = document.createElement('div');
  outer.dataset['testid'] = testid;
  outer.title = title;
  const el = document.createElement('div');
  el.className = cls;
  outer.append(el);
  return new maplibregl.Marker({ element: outer }).setLngLat([lon, lat]).addTo(map);
}

/** A track with a position: one that is drawn. */
type Placed = Track & { lat: number; lon: number };
const hasPosition = (t: Track): t is Placed => t.lat !== null && t.lon !== null;

function drawTrack(t: Track): void {
  const cls = state.classOf(t);
  const selected = state.selected === t.id;
  if (!hasPosition(t)) {
    // A track that lost its position (not expected from the server) leaves the map.
    removeMarkers(t.id);
    looks.delete(t.id);
    return;
  }
  const heading = state.motion(t).heading;
  const name = trackName(t);
  // An HTML marker for every aircraft up to HTML_UP_TO, past it for the selected one only.
  const html = selected || !many;
  looks.set(t.id, { cls, selected, heading, html });
  if (!html) {
    removeMarkers(t.id);
    return;
  }
  const m = htmlMarker(t, markers.get(t.id), cls, selected, heading, name);
  drawPilotAndHome(t, m, name);
}

/** Creates or updates the HTML marker of an aircraft (on the map: `t` has a position). */
function htmlMarker(
  t: Placed,
  m: Markers | undefined,
  cls: string,
  selected: boolean,
  heading: number | null,
  name: string,
): Markers {
  if (!m) {
    const outer = document.createElement('div');
    outer.dataset['testid'] = 'drone-marker';
    outer.dataset['trackId'] = String(t.id);
    outer.innerHTML =
      `<div class="drone"><div class="arrow"><svg viewBox="0 0 24 24" aria-hidden="true"><path d="${ARROW}"/></svg></div><span class="lbl"></span></div>`;
    const el = outer.firstElementChild as HTMLElement;
    outer.addEventListener('click', (e) => {
      e.stopPropagation();
      state.select(t.id);
    });
    const drone = new maplibregl.Marker({ element: outer }).setLngLat([t.lon, t.lat]).addTo(map);
    m = {
      drone,
      el,
      arrow: el.querySelector('.arrow') as HTMLElement,
      label: el.querySelector('.lbl') as HTMLElement,
      pilot: null,
      home: null,
      cls: '',
      rot: 'none',
    };
    markers.set(t.id, m);
  } else {
    m.drone.setLngLat([t.lon, t.lat]);
  }
  const className = `drone ${cls}${selected ? ' selected' : ''}`;
  if (m.cls !== className) {
    m.el.className = className;
    m.cls = className;
  }
  // Every write below is skipped when the value is unchanged: hundreds of markers update every second.
  const outer = m.drone.getElement();
  if (outer.dataset['state'] !== cls) outer.dataset['state'] = cls;
  const rot = heading === null ? '' : `rotate(${Math.round(heading)}deg)`;
  if (m.rot !== rot) {
    m.arrow.style.transform = rot;
    m.arrow.classList.toggle('no-heading', heading === null);
    m.rot = rot;
  }
  if (m.label.textContent !== name) m.label.textContent = name;
  const title = `${name} — ${cls}, ${fmt.m(t.alt_m)} AMSL`;
  if (outer.title !== title) outer.title = title;
  return m;
}

/**
 * The HTML pilot and take-off markers of an aircraft that has an HTML marker (only when the API returned
 * them: roles without the right get null). The lines linking them to the aircraft are on the overlay.
 */
function drawPilotAndHome(t: Placed, m: Markers, name: string): void {
  if (t.operator_lat !== null && t.operator_lon !== null) {
    const p: [number, number] = [t.operator_lon, t.operator_lat];
    if (m.pilot) m.pilot.setLngLat(p);
    else m.pilot = pointMarker('pilot', 'pilot-marker', `Pilot of ${name}`, p[0], p[1]);
  } else if (m.pilot) {
    m.pilot.remove();
    m.pilot = null;
  }
  if (t.home_lat !== null && t.home_lon !== null) {
    const p: [number, number] = [t.home_lon, t.home_lat];
    if (m.home) m.home.setLngLat(p);
    else m.home = pointMarker('home', 'home-marker', `Take-off point of ${name}`, p[0], p[1]);
  } else if (m.home) {
    m.home.remove();
    m.home = null;
  }
}

/**
 * History playback's layer: `scene` drawn on an overlay canvas of its own (class `history-overlay`, over the
 * live one), shown while the live layer is hidden; a click on one of its aircraft calls `pick`. Redraw it with
 * the returned overlay's `draw` when the scene changes (the camera's moves redraw it by themselves).
 */
export function initReplay(scene: Scene, pick: (id: number) => void): Overlay {
  const o = new Overlay(map, scene, 'history-overlay', overlay?.canvas ?? map.getCanvas(), liveHidden);
  replay = { overlay: o, pick };
  return o;
}

/** Hides the live layer while history is replayed (showing history playback's), and shows it again. */
export function setLiveVisible(on: boolean): void {
  liveHidden = !on;
  document.body.classList.toggle('history-mode', !on);
  overlay?.setVisible(on);
  replay?.overlay.setVisible(!on);
}

export function liveVisible(): boolean {
  return !liveHidden;
}

export function flyTo(lon: number, lat: number, zoom?: number): void {
  // A panel may just have opened or closed: centre on the map's size now, not the last one seen.
  map.resize();
  map.easeTo({ center: [lon, lat], zoom: Math.max(map.getZoom(), zoom ?? 15), duration: 600 });
}

/** Frames every active aircraft (and pilot) on first load. */
export function fitTracks(): boolean {
  const b = new maplibregl.LngLatBounds();
  let n = 0;
  for (const t of state.tracks.values()) {
    if (t.lat === null || t.lon === null) continue;
    b.extend([t.lon, t.lat]);
    if (t.operator_lat !== null && t.operator_lon !== null) b.extend([t.operator_lon, t.operator_lat]);
    n++;
  }
  if (!n) return false;
  map.fitBounds(b, { padding: 80, maxZoom: 16, duration: 0 });
  return true;
}

// ---- sensors and zones ----------------------------------------------------------------------------------

const sensorMarkers = new Map<number, maplibregl.Marker>();

function drawSensors(): void {
  for (const [id, mk] of sensorMarkers)
    if (!state.sensors.has(id)) {
      mk.remove();
      sensorMarkers.delete(id);
    }
  for (const s of state.sensors.values()) {
    let mk = sensorMarkers.get(s.id);
    if (s.lat === null || s.lon === null) {
      mk?.remove();
      sensorMarkers.delete(s.id);
      continue;
    }
    if (!mk) {
      mk = pointMarker('sensor', 'sensor-marker', '', s.lon, s.lat);
      sensorMarkers.set(s.id, mk);
    }
    mk.setLngLat([s.lon, s.lat]);
    const el = mk.getElement();
    (el.firstElementChild as HTMLElement).className = `sensor ${s.status}`;
    el.title = `Sensor ${s.name}: ${s.status}`;
  }
}

/** Zones as drawable features: circles become polygons; properties carry what the layers style on. */
export function zoneFeature(
  f: GeoJSON.Feature,
  props: Record<string, unknown>,
): GeoJSON.Feature<GeoJSON.Polygon | GeoJSON.MultiPolygon> | null {
  const g = f.geometry;
  const p = (f.properties ?? {}) as Record<string, unknown>;
  const restriction = String(props['restriction'] ?? p['restriction'] ?? '').toLowerCase();
  const properties = { ...p, ...props, restriction };
  if (g.type === 'Point') {
    const r = Number(props['radius_m'] ?? p['radius_m']);
    if (!Number.isFinite(r) || r <= 0) return null;
    const [lon, lat] = g.coordinates as [number, number];
    return { type: 'Feature', properties, geometry: { type: 'Polygon', coordinates: [circleRing(lat, lon, r)] } };
  }
  if (g.type === 'Polygon' || g.type === 'MultiPolygon') return { type: 'Feature', properties, geometry: g };
  return null;
}

let selectedZone: number | null = null;
export function highlightZone(id: number | null): void {
  selectedZone = id;
  drawZones();
}

function drawZones(): void {
  const features = state.zones
    .map((z) =>
      zoneFeature(z.feature, {
        id: z.id,
        name: z.name,
        restriction: z.restriction,
        radius_m: z.radius_m,
        selected: z.id === selectedZone,
        active: z.active_now !== false,
      }),
    )
    .filter((f): f is NonNullable<typeof f> => f !== null);
  (map.getSource('zones') as GeoJSONSource | undefined)?.setData({ type: 'FeatureCollection', features });
}

export function setSource(id: string, fc: GeoJSON.FeatureCollection): void {
  (map.getSource(id) as GeoJSONSource | undefined)?.setData(fc);
}
