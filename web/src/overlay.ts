// Aircraft drawn on a 2D canvas over the map: trails, pilot and take-off points with their link lines, and
// the aircraft that have no HTML marker (arrows turned to the heading, coloured by state). What is drawn comes
// from a `Scene`: the live layer (`LiveScene`, the tracks of the state) or history playback (history.ts, the
// replayed aircraft at the slider's time), each on its own `Overlay` canvas with the same drawing. MapLibre's
// WebGL map is not touched when aircraft move: on a CPU renderer (SwiftShader: headless, or no GPU) every map
// redraw makes the compositor wait for a read-back of the whole WebGL canvas (> 50 ms on two cores), while
// this canvas costs a few milliseconds to redraw and rasterise. It is redrawn when the tracks change (at most
// once per animation frame, by the map module) and synchronously on the map's `move` and `resize` events, so
// it stays glued to the map while panning and zooming. Selection by click is answered here too (`hit`), from
// the positions of the last draw.

import type { Map as MapLibre } from 'maplibre-gl';
import type { TrackClass } from './state';
import { state } from './state';

/** What colours an aircraft: its live state, or `replay` for history playback. */
export type Paint = TrackClass | 'replay';

/** How one track is drawn, decided by the map module when the track changes (history: at each draw). */
export interface Look {
  cls: Paint;
  selected: boolean;
  /** Degrees clockwise from north, or null (drawn as a diamond). */
  heading: number | null;
  /** The aircraft, its pilot and take-off point are HTML markers: the overlay draws only trail and links. */
  html: boolean;
}

/** Colours of aircraft by state (the same as style.css's `--unknown` etc.). */
export const TRACK_COLOURS: Record<Paint, string> = {
  unknown: '#f0b429',
  allowlisted: '#3fb950',
  alerting: '#ff4d4f',
  lost: '#8b949e',
  replay: '#79c0ff',
};
const PILOT = '#bc8cff';
const HOME = '#e6edf3';
const OUTLINE = '#0b1620';
/** Painter's order of the aircraft: alerting ones on top. */
const ORDER: Paint[] = ['replay', 'lost', 'allowlisted', 'unknown', 'alerting'];

/** The HTML marker's arrow and its no-heading diamond (24×24 view box, centred on 12,12). */
export const ARROW = 'M12 2 L20 21 L12 16.5 L4 21 Z';
const DIAMOND = 'M12 3 L21 12 L12 21 L3 12 Z';

/** Aircraft sprites are drawn turned in steps of ANGLE_STEP degrees. */
const ANGLE_STEP = 5;
const ANGLES = 360 / ANGLE_STEP;

/**
 * Pre-drawn sprites: for each state, shape and size, a strip of ANGLES cells with the aircraft turned by
 * ANGLE_STEP more in each; pilot and take-off points per device pixel ratio. Made when first needed (a strip
 * is ~1 ms); sizes change with the zoom, so the cache is emptied when it grows past a few dozen strips.
 */
class Sprites {
  private strips = new Map<string, { canvas: HTMLCanvasElement; cell: number }>();

  /** The strip of `cls` aircraft (`diamond`: no heading) of `px` device pixels. */
  aircraft(cls: Paint, diamond: boolean, px: number): { canvas: HTMLCanvasElement; cell: number } {
    const key = `${cls}${diamond ? 'd' : 'a'}${px}`;
    let s = this.strips.get(key);
    if (s) return s;
    if (this.strips.size > 48) this.strips.clear();
    // The shape reaches ~0.55 of its size from the centre once turned and stroked; even, to centre exactly.
    const cell = 2 * Math.ceil(px * 0.58);
    const { canvas, g } = surface(cell * ANGLES, cell);
    const path = new Path2D(diamond ? DIAMOND : ARROW);
    g.fillStyle = TRACK_COLOURS[cls];
    g.strokeStyle = OUTLINE;
    g.lineWidth = 2;
    g.lineJoin = 'miter';
    for (let k = 0; k < ANGLES; k++) {
      g.setTransform(1, 0, 0, 1, k * cell + cell / 2, cell / 2);
      g.rotate((k * ANGLE_STEP * Math.PI) / 180);
      g.scale(px / 24, px / 24);
      g.translate(-12, -12);
      g.fill(path);
      g.stroke(path);
    }
    s = { canvas, cell };
    this.strips.set(key, s);
    return s;
  }

  /**
   * A pilot (circle) or take-off point (diamond, as the HTML marker) at `dpr`; `ring`: the white ring drawn
   * round a selected aircraft that has no HTML marker (`px`: the aircraft's size in device pixels).
   */
  point(kind: 'pilot' | 'home' | 'ring', dpr: number, px = 0): { canvas: HTMLCanvasElement; cell: number } {
    const key = `${kind}${dpr}${kind === 'ring' ? `r${px}` : ''}`;
    let s = this.strips.get(key);
    if (s) return s;
    if (this.strips.size > 48) this.strips.clear();
    if (kind === 'ring') {
      const cell = 2 * Math.ceil(px * 0.8);
      const { canvas, g } = surface(cell, cell);
      g.beginPath();
      g.arc(cell / 2, cell / 2, px * 0.68, 0, 2 * Math.PI);
      g.strokeStyle = OUTLINE;
      g.lineWidth = 4 * dpr;
      g.stroke();
      g.strokeStyle = HOME;
      g.lineWidth = 2 * dpr;
      g.stroke();
      s = { canvas, cell };
      this.strips.set(key, s);
      return s;
    }
    const cell = 2 * Math.ceil(7 * dpr);
    const { canvas, g } = surface(cell, cell);
    g.setTransform(dpr, 0, 0, dpr, cell / 2, cell / 2);
    g.beginPath();
    if (kind === 'pilot') g.arc(0, 0, 5, 0, 2 * Math.PI);
    else {
      g.moveTo(0, -4.5);
      g.lineTo(4.5, 0);
      g.lineTo(0, 4.5);
      g.lineTo(-4.5, 0);
      g.closePath();
    }
    g.fillStyle = kind === 'pilot' ? PILOT : HOME;
    g.fill();
    g.strokeStyle = OUTLINE;
    g.lineWidth = 1.5;
    g.stroke();
    s = { canvas, cell };
    this.strips.set(key, s);
    return s;
  }
}

/** One set of sprites for every overlay. */
const sprites = new Sprites();

function surface(w: number, h: number): { canvas: HTMLCanvasElement; g: CanvasRenderingContext2D } {
  const canvas = document.createElement('canvas');
  canvas.width = w;
  canvas.height = h;
  const g = canvas.getContext('2d');
  if (!g) throw new Error('console: no 2D canvas context for the aircraft sprites');
  return { canvas, g };
}

const mercX = (lon: number) => (lon + 180) / 360;
const MAX_LAT = 85.051129;
const mercY = (lat: number) => {
  const l = Math.max(-MAX_LAT, Math.min(MAX_LAT, lat));
  return 0.5 - Math.log(Math.tan(Math.PI / 4 + (l * Math.PI) / 360)) / (2 * Math.PI);
};
const lonOf = (x: number) => x * 360 - 180;
const latOf = (y: number) => (360 / Math.PI) * Math.atan(Math.exp((0.5 - y) * 2 * Math.PI)) - 90;

/** A point of a trail. */
export interface LonLat {
  lon: number;
  lat: number;
}

/**
 * One aircraft as a scene hands it to the overlay. A scene fills in one object for all its aircraft, one after
 * the other (no allocation per aircraft per draw): the overlay copies what it keeps.
 */
export class Plane {
  id = 0;
  lon = 0;
  lat = 0;
  look: Look = { cls: 'unknown', selected: false, heading: null, html: false };
  pilotLon: number | null = null;
  pilotLat: number | null = null;
  homeLon: number | null = null;
  homeLat: number | null = null;
  /** The trail: `trail[trailFrom]` to `trail[trailTo - 1]`, the last one at the aircraft. */
  trail: readonly LonLat[] | undefined = undefined;
  trailFrom = 0;
  trailTo = 0;
  /** A name written next to the aircraft when it is selected and drawn here (not an HTML marker). */
  label = '';
}

/** What an overlay draws. */
export interface Scene {
  /** Calls `visit` once for every aircraft to draw, in any order, with the scene's one `Plane` filled in. */
  forEach(visit: (p: Plane) => void): void;
}

/** The live layer: the tracks of the state that have a position, drawn as `looks` says (kept by map.ts). */
export class LiveScene implements Scene {
  private readonly p = new Plane();
  constructor(private readonly looks: ReadonlyMap<number, Look>) {}

  forEach(visit: (p: Plane) => void): void {
    const p = this.p;
    for (const [id, look] of this.looks) {
      const t = state.tracks.get(id);
      if (!t || t.lat === null || t.lon === null) continue;
      p.id = id;
      p.lon = t.lon;
      p.lat = t.lat;
      p.look = look;
      p.pilotLon = t.operator_lon;
      p.pilotLat = t.operator_lat;
      p.homeLon = t.home_lon;
      p.homeLat = t.home_lat;
      p.trail = state.trails.get(id);
      p.trailFrom = 0;
      p.trailTo = p.trail?.length ?? 0;
      visit(p);
    }
  }
}

export class Overlay {
  readonly canvas: HTMLCanvasElement;
  private readonly g: CanvasRenderingContext2D;
  private visible = true;
  /** Screen positions (CSS px) and ids of the aircraft drawn by the last draw, for hit tests. */
  private hitX: number[] = [];
  private hitY: number[] = [];
  private hitId: number[] = [];
  /** Half the size of the arrows of the last draw (CSS px). */
  private hitRadius = 0;
  /** Affine Web Mercator → screen of the current camera (x = a·mx + b·my + c, y = d·mx + e·my + f). */
  private a = 0;
  private b = 0;
  private c = 0;
  private d = 0;
  private e = 0;
  private f = 0;
  /** Mercator x of the map's centre: each aircraft is drawn on the world copy nearest to it. */
  private cx = 0;
  /** Mercator x of the aircraft being drawn, on the world copy nearest to the centre (see `anchor`). */
  private ref = 0;
  /** False when the camera is pitched or the projection is not flat Mercator: every point via map.project. */
  private flat = true;
  private camera = '';
  private width = 0;
  private height = 0;
  private dpr = 0;
  /** Projected point, written by `project` (no allocation per point). */
  private px = 0;
  private py = 0;

  /**
   * A canvas of class `className` put right after `after` (default: the map's canvas), so above the map's
   * canvas and below every HTML marker (they are appended to the same container later).
   */
  constructor(
    private readonly map: MapLibre,
    private readonly scene: Scene,
    className: string,
    after: Element = map.getCanvas(),
    visible = true,
  ) {
    this.canvas = document.createElement('canvas');
    this.canvas.className = className;
    this.canvas.setAttribute('aria-hidden', 'true');
    // Never a target of the pointer: clicks go to the map, which asks `hit`.
    Object.assign(this.canvas.style, { position: 'absolute', top: '0', left: '0', pointerEvents: 'none' });
    const g = this.canvas.getContext('2d');
    if (!g) throw new Error(`console: no 2D canvas context for the ${className} layer`);
    this.g = g;
    this.visible = visible;
    this.canvas.hidden = !visible;
    after.insertAdjacentElement('afterend', this.canvas);
    map.on('move', () => this.draw());
    map.on('resize', () => this.draw());
    // Anything else that changes the camera without a `move` (none known) still redraws before the frame shows.
    map.on('render', () => {
      if (this.cameraKey() !== this.camera) this.draw();
    });
  }

  setVisible(on: boolean): void {
    this.visible = on;
    this.canvas.hidden = !on;
    this.draw();
  }

  private cameraKey(): string {
    const c = this.map.getCenter();
    return `${c.lng},${c.lat},${this.map.getZoom()},${this.map.getBearing()},${this.map.getPitch()},${this.width},${this.height}`;
  }

  /** Matches the canvas to the map container (CSS size × devicePixelRatio). */
  private fit(): void {
    const el = this.map.getContainer();
    const w = el.clientWidth;
    const h = el.clientHeight;
    const dpr = window.devicePixelRatio || 1;
    if (w === this.width && h === this.height && dpr === this.dpr) return;
    this.width = w;
    this.height = h;
    this.dpr = dpr;
    this.canvas.width = Math.max(1, Math.round(w * dpr));
    this.canvas.height = Math.max(1, Math.round(h * dpr));
    this.canvas.style.width = `${w}px`;
    this.canvas.style.height = `${h}px`;
  }

  /**
   * The camera as an affine map from Web Mercator to screen, taken from three `map.project` calls: exact for
   * an unpitched Mercator map, and far cheaper per point than `map.project` (a 4×4 matrix product and two
   * objects per call; trails have thousands of points).
   */
  private setCamera(): void {
    const m = this.map;
    const ctr = m.getCenter();
    const proj = m.getProjection()?.type;
    this.flat = m.getPitch() === 0 && (proj === undefined || proj === 'mercator');
    const x0 = mercX(ctr.lng);
    const y0 = mercY(ctr.lat);
    this.cx = x0;
    // A step of ~100 px at this zoom (MapLibre's world is 512 px wide at zoom 0).
    const s = 100 / (512 * 2 ** m.getZoom());
    const p0 = m.project([lonOf(x0), latOf(y0)]);
    const p1 = m.project([lonOf(x0 + s), latOf(y0)]);
    const p2 = m.project([lonOf(x0), latOf(y0 + s)]);
    this.a = (p1.x - p0.x) / s;
    this.d = (p1.y - p0.y) / s;
    this.b = (p2.x - p0.x) / s;
    this.e = (p2.y - p0.y) / s;
    this.c = p0.x - this.a * x0 - this.b * y0;
    this.f = p0.y - this.d * x0 - this.e * y0;
  }

  /**
   * Makes the world copy of `lon` nearest to the map's centre the reference of the next `project` calls: an
   * aircraft is drawn once, near the centre, and its trail, pilot and take-off point next to it even across
   * the antimeridian.
   */
  private anchor(lon: number): void {
    const x = mercX(lon);
    this.ref = x + Math.round(this.cx - x);
  }

  /** Projects to (this.px, this.py) in CSS pixels, on the world copy nearest to the anchor. */
  private project(lon: number, lat: number): void {
    let x = mercX(lon);
    x += Math.round(this.ref - x);
    if (this.flat) {
      const y = mercY(lat);
      this.px = this.a * x + this.b * y + this.c;
      this.py = this.d * x + this.e * y + this.f;
    } else {
      const p = this.map.project([lonOf(x), lat]);
      this.px = p.x;
      this.py = p.y;
    }
  }

  /**
   * Redraws everything from the state. What costs is the canvas's rasterisation (done by the browser when the
   * frame is committed, on the CPU without a GPU), so the drawing is made cheap to rasterise: trails and links
   * are one CSS pixel wide (the rasteriser's hairline path, several times cheaper than 1.5 px), and aircraft,
   * pilots and take-off points are copied from pre-drawn sprites (see `Sprites`) instead of filled and stroked
   * one by one: ~10 ms to rasterise 500 aircraft with 30-point trails, links, pilots and take-off points in
   * headless Chromium on this project's 2-core machine, where filled and 1.5 px paths took ~60 ms (see
   * docs/PERFORMANCE.md).
   */
  draw(): void {
    this.fit();
    const g = this.g;
    g.setTransform(1, 0, 0, 1, 0, 0);
    g.clearRect(0, 0, this.canvas.width, this.canvas.height);
    this.hitX.length = this.hitY.length = this.hitId.length = 0;
    this.camera = this.cameraKey();
    if (!this.visible) return;
    this.setCamera();
    const dpr = this.dpr;
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    const bearing = this.map.getBearing();
    const zoom = this.map.getZoom();
    // Arrows are 30 px from zoom 15 like the HTML marker, down to half that from zoom 10 out, where hundreds
    // of them share the screen (whole pixels: one set of sprites per size).
    const size = Math.round(30 * Math.min(1, Math.max(0.5, 0.5 + (zoom - 10) * 0.1)));
    const w = this.width;
    const h = this.height;
    const margin = size;
    this.hitRadius = size / 2;
    const onScreen = (x: number, y: number) => x > -margin && y > -margin && x < w + margin && y < h + margin;

    const pilotLinks = new Path2D();
    const homeLinks = new Path2D();
    const pilots: number[] = [];
    const homes: number[] = [];
    /** Per state: x, y, angle step, diamond (1) or arrow (0), four numbers an aircraft. */
    const aircraft = new Map<Paint, number[]>(ORDER.map((k) => [k, []]));
    /** The selected aircraft, drawn last (copied: the scene's `Plane` is reused). */
    const sel = { on: false, p: new Plane(), x: 0, y: 0, turn: 0, drawn: false };

    g.lineCap = 'round';
    g.lineJoin = 'round';
    g.lineWidth = 1;
    this.scene.forEach((p) => {
      const look = p.look;
      this.anchor(p.lon);
      if (!look.selected) this.trail(p, TRACK_COLOURS[look.cls]);
      this.project(p.lon, p.lat);
      const ax = this.px;
      const ay = this.py;

      // Pilot and take-off point (null for roles without the right), linked to the aircraft.
      if (p.pilotLat !== null && p.pilotLon !== null) {
        this.project(p.pilotLon, p.pilotLat);
        pilotLinks.moveTo(ax, ay);
        pilotLinks.lineTo(this.px, this.py);
        if (!look.html && onScreen(this.px, this.py)) pilots.push(this.px, this.py);
      }
      if (p.homeLat !== null && p.homeLon !== null) {
        this.project(p.homeLon, p.homeLat);
        homeLinks.moveTo(ax, ay);
        homeLinks.lineTo(this.px, this.py);
        if (!look.html && onScreen(this.px, this.py)) homes.push(this.px, this.py);
      }

      const drawn = !look.html && onScreen(ax, ay);
      const turn = Math.round(((((look.heading ?? 0) - bearing) % 360) + 360) % 360 / ANGLE_STEP) % ANGLES;
      if (look.selected) {
        Object.assign(sel.p, p);
        sel.p.look = { ...look };
        Object.assign(sel, { on: true, x: ax, y: ay, turn, drawn });
      }
      if (!drawn) return;
      if (!look.selected) aircraft.get(look.cls)!.push(ax, ay, turn, look.heading === null ? 1 : 0);
      this.hitX.push(ax);
      this.hitY.push(ay);
      this.hitId.push(p.id);
    });
    // The selected aircraft's trail, wider, over the others.
    if (sel.on) {
      g.lineWidth = 2.5;
      this.anchor(sel.p.lon);
      this.trail(sel.p, TRACK_COLOURS[sel.p.look.cls]);
      g.lineWidth = 1;
    }

    g.lineCap = 'butt';
    g.setLineDash([4, 3]);
    g.strokeStyle = HOME;
    g.stroke(homeLinks);
    g.strokeStyle = PILOT;
    g.stroke(pilotLinks);
    g.setLineDash([]);

    // Sprites, copied in device pixels at whole-pixel positions (no resampling).
    g.setTransform(1, 0, 0, 1, 0, 0);
    const blit = (img: HTMLCanvasElement, sx: number, cell: number, x: number, y: number) =>
      g.drawImage(img, sx, 0, cell, cell, Math.round(x * dpr - cell / 2), Math.round(y * dpr - cell / 2), cell, cell);
    const pilot = sprites.point('pilot', dpr);
    for (let i = 0; i < pilots.length; i += 2) blit(pilot.canvas, 0, pilot.cell, pilots[i]!, pilots[i + 1]!);
    // Take-off points over pilots: where the pilot stands at the take-off point, both stay visible.
    const home = sprites.point('home', dpr);
    for (let i = 0; i < homes.length; i += 2) blit(home.canvas, 0, home.cell, homes[i]!, homes[i + 1]!);
    const px = Math.round(size * dpr);
    for (const cls of ORDER) {
      const list = aircraft.get(cls)!;
      for (let i = 0; i < list.length; i += 4) {
        const row = sprites.aircraft(cls, list[i + 3] === 1, px);
        blit(row.canvas, list[i + 2]! * row.cell, row.cell, list[i]!, list[i + 1]!);
      }
    }
    // The selected aircraft drawn here (not an HTML marker), on top: ringed, with its name.
    if (sel.on && sel.drawn) {
      const ring = sprites.point('ring', dpr, px);
      blit(ring.canvas, 0, ring.cell, sel.x, sel.y);
      const row = sprites.aircraft(sel.p.look.cls, sel.p.look.heading === null, px);
      blit(row.canvas, sel.turn * row.cell, row.cell, sel.x, sel.y);
      if (sel.p.label) {
        g.setTransform(dpr, 0, 0, dpr, 0, 0);
        g.font = '600 12px system-ui, sans-serif';
        g.textBaseline = 'middle';
        g.lineWidth = 3;
        g.strokeStyle = OUTLINE;
        g.fillStyle = HOME;
        const lx = sel.x + size * 0.7;
        g.strokeText(sel.p.label, lx, sel.y);
        g.fillText(sel.p.label, lx, sel.y);
      }
    }
  }

  /**
   * Strokes the trail of `p` (`trail[trailFrom..trailTo)`) with the current line width, thinned to points at
   * least a pixel apart.
   */
  private trail(p: Plane, colour: string): void {
    const trail = p.trail;
    const from = Math.max(0, p.trailFrom);
    const to = Math.min(trail?.length ?? 0, p.trailTo);
    if (!trail || to - from < 2) return;
    const g = this.g;
    g.beginPath();
    let lx = 0;
    let ly = 0;
    for (let i = from; i < to; i++) {
      const q = trail[i]!;
      this.project(q.lon, q.lat);
      // The last point always: it meets the aircraft.
      if (i === from) g.moveTo(this.px, this.py);
      else if (i === to - 1 || (this.px - lx) ** 2 + (this.py - ly) ** 2 >= 1) g.lineTo(this.px, this.py);
      else continue;
      lx = this.px;
      ly = this.py;
    }
    g.strokeStyle = colour;
    g.stroke();
  }

  /** The aircraft drawn nearest to (x, y) (CSS px in the map) whose arrow is within `px` of it, or null. */
  hit(x: number, y: number, px: number): number | null {
    let best: number | null = null;
    let bestD = (px + this.hitRadius) ** 2;
    for (let i = 0; i < this.hitId.length; i++) {
      const d = (this.hitX[i]! - x) ** 2 + (this.hitY[i]! - y) ** 2;
      if (d <= bestD) {
        bestD = d;
        best = this.hitId[i]!;
      }
    }
    return best;
  }
}
