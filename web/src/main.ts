// Entry point: sign-in (form, or `#session=TOKEN` from `skytrace demo`), then the console: map, panels, the
// initial snapshot and the live stream.

import './style.css';
import { ApiError, api, setToken, token, whenUnauthorized } from './api';
import { state } from './state';
import { LiveStream, type StreamStatus } from './stream';
import { $, toast } from './dom';
import { fitTracks, initMap, schedule } from './map';
import { initTrackList } from './tracklist';
import { initDetail } from './detail';
import { initAlerts } from './alerts';
import { initZones } from './zones';
import { initSensors } from './sensors';
import { initHistory } from './history';
import type { Alert, Sensor, Track } from './types';

let stream: LiveStream | null = null;
let started = false;

/** Takes a session token from the address (`#session=TOKEN`) and removes it from the address bar. */
function tokenFromHash(): void {
  const m = /(?:^#|&)session=([^&]+)/.exec(location.hash);
  if (!m?.[1]) return;
  setToken(decodeURIComponent(m[1]));
  history.replaceState(null, '', location.pathname + location.search);
}

async function boot(): Promise<void> {
  tokenFromHash();
  whenUnauthorized(() => signOut('Your session has ended: sign in again.'));
  $('#login-form').addEventListener('submit', (e) => {
    e.preventDefault();
    void login();
  });
  // Wired before the console starts: the button shows as soon as the user's name does, while the map loads.
  $('#logout').addEventListener('click', () => {
    void api
      .logout()
      .catch(() => {})
      .finally(() => signOut());
  });
  if (token()) {
    try {
      state.me = await api.me();
      await start();
      return;
    } catch {
      setToken(null);
    }
  }
  showLogin();
}

function showLogin(msg = ''): void {
  $('#login').hidden = false;
  $('#console').hidden = true;
  $('#login-error').textContent = msg;
  ($('#login-user') as HTMLInputElement).focus();
}

async function login(): Promise<void> {
  const user = ($('#login-user') as HTMLInputElement).value.trim();
  const pass = ($('#login-pass') as HTMLInputElement).value;
  const btn = $('#login-submit') as HTMLButtonElement;
  btn.disabled = true;
  $('#login-error').textContent = '';
  try {
    const { token: t } = await api.login(user, pass);
    setToken(t);
    state.me = await api.me();
    ($('#login-pass') as HTMLInputElement).value = '';
    await start();
  } catch (e) {
    $('#login-error').textContent =
      e instanceof ApiError && e.status === 401
        ? 'Wrong user name or password.'
        : `Sign-in failed: ${e instanceof Error ? e.message : String(e)}`;
  } finally {
    btn.disabled = false;
  }
}

function signOut(msg = ''): void {
  stream?.stop();
  stream = null;
  setToken(null);
  // A fresh page drops every marker and cached track of the previous user.
  sessionStorage.setItem('skytrace.msg', msg);
  location.reload();
}

async function start(): Promise<void> {
  $('#login').hidden = true;
  $('#console').hidden = false;
  const me = state.me;
  $('#who').textContent = me ? `${me.name} · ${me.role}` : '';
  document.body.dataset['role'] = me?.role ?? '';
  if (started) return;
  started = true;
  const cfg = await api.config().catch(() => ({ tile_url: null }));
  await initMap($('#map'), cfg.tile_url);
  initTrackList();
  initDetail();
  initAlerts();
  initZones();
  initSensors();
  initHistory();
  initChrome();
  await snapshot();
  if (fitTracks()) firstFit = true;
  stream = new LiveStream('/api/v1/stream', {
    event: onEvent,
    status: showStatus,
    connected: () => void snapshot(),
  });
  stream.start();
  setInterval(() => void api.sensors().then((s) => state.setSensors(s)).catch(() => {}), 15_000);
  setInterval(tickAge, 1000);
  // Zone schedules start and end with the clock: once a minute the zones are read again, and redrawn only
  // when one of them started or stopped applying (a map redraw costs a long frame on a software renderer).
  setInterval(
    () =>
      void api
        .zones()
        .then((zs) => {
          const was = new Map(state.zones.map((z) => [z.id, z.active_now]));
          if (zs.length !== was.size || zs.some((z) => was.get(z.id) !== z.active_now)) state.setZones(zs);
        })
        .catch(() => {}),
    60_000,
  );
}

let firstFit = false;
let lastEvent = 0;

/** Loads the current picture (on start, after every reconnection and after a `lagged` event). */
async function snapshot(): Promise<void> {
  try {
    const [tracks, alerts, sensors, zones, lists] = await Promise.all([
      api.tracks(true),
      api.alerts(),
      api.sensors(),
      api.zones(),
      api.lists().catch(() => ({ allowlist: [], watchlist: [] })),
    ]);
    state.setLists(lists);
    state.setZones(zones);
    state.setSensors(sensors);
    state.setAlerts(alerts);
    state.setTracks(tracks);
    lastEvent = Date.now();
    if (!firstFit && fitTracks()) firstFit = true;
  } catch (e) {
    toast(`Loading the current picture failed: ${String(e)}`, 'error');
  }
}

function onEvent(name: string, data: string): void {
  lastEvent = Date.now();
  try {
    switch (name) {
      case 'track': {
        state.upsertTrack(JSON.parse(data) as Track);
        if (!firstFit && fitTracks()) firstFit = true;
        break;
      }
      case 'merged': {
        const m = JSON.parse(data) as { into: number; from: number };
        state.merge(m.into, m.from);
        break;
      }
      case 'alert':
        state.upsertAlert(JSON.parse(data) as Alert);
        break;
      case 'sensor':
        state.upsertSensor(JSON.parse(data) as Sensor);
        break;
      case 'lagged':
        // Events were skipped: the snapshot is the truth again.
        void snapshot();
        break;
      default:
        break;
    }
  } catch (e) {
    console.error(`stream event ${name}`, e);
  }
}

let status: StreamStatus = { kind: 'connecting', attempt: 0 };
function showStatus(s: StreamStatus): void {
  status = s;
  if (s.kind === 'unauthorized') {
    signOut('Your session has ended: sign in again.');
    return;
  }
  tickAge();
}

/** The indicator: live (with the age of the last update), reconnecting, or stale. */
function tickAge(): void {
  const el = $('#stream-status');
  let text: string;
  let cls: string;
  switch (status.kind) {
    case 'live': {
      const age = lastEvent ? Math.round((Date.now() - lastEvent) / 1000) : 0;
      cls = 'live';
      text = age < 5 ? 'Live' : `Live · last update ${age} s ago`;
      break;
    }
    case 'connecting':
      cls = 'reconnecting';
      text = status.attempt ? 'Reconnecting…' : 'Connecting…';
      break;
    case 'waiting':
      cls = 'stale';
      text = `Stale · reconnecting in ${Math.ceil(status.retryInMs / 1000)} s`;
      break;
    case 'stale':
      cls = 'stale';
      text = `Stale · no data for ${Math.round(status.silentMs / 1000)} s`;
      break;
    default:
      cls = 'stale';
      text = 'Signed out';
  }
  el.className = `status ${cls}`;
  el.dataset['state'] = cls;
  el.textContent = text;
  document.body.classList.toggle('stale', cls !== 'live');
}

function initChrome(): void {
  const tabs = ['tracks', 'alerts', 'zones', 'sensors', 'history'];
  const show = (name: string) => {
    for (const t of tabs) {
      $(`#tab-${t}`).setAttribute('aria-selected', String(t === name));
      $(`#pane-${t}`).hidden = t !== name;
      document.body.classList.toggle(`tab-${t}`, t === name);
    }
  };
  for (const t of tabs) $(`#tab-${t}`).addEventListener('click', () => show(t));
  show('tracks');
  $('#toggle-side').addEventListener('click', () => {
    const collapsed = document.body.classList.toggle('side-collapsed');
    $('#toggle-side').setAttribute('aria-expanded', String(!collapsed));
  });
  // The map canvas follows the grid; MapLibre watches its container's size itself.
  schedule();
}

const msg = sessionStorage.getItem('skytrace.msg');
sessionStorage.removeItem('skytrace.msg');
void boot().then(() => {
  if (msg && !token()) $('#login-error').textContent = msg;
});
