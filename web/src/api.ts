// The REST client: the session token (sessionStorage), JSON calls with the bearer token, and errors that
// name the call and the server's message.

import type { Alert, ConsoleConfig, Lists, Me, PathPoint, Sensor, Track, Zone } from './types';

const KEY = 'skytrace.token';

export function token(): string | null {
  return sessionStorage.getItem(KEY);
}

export function setToken(t: string | null): void {
  if (t) sessionStorage.setItem(KEY, t);
  else sessionStorage.removeItem(KEY);
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Called when the server refuses the token (expired session, logged out elsewhere). */
let onUnauthorized: () => void = () => {};
export function whenUnauthorized(f: () => void): void {
  onUnauthorized = f;
}

export function authHeaders(): Record<string, string> {
  const t = token();
  return t ? { Authorization: `Bearer ${t}` } : {};
}

async function call<T>(method: string, path: string, body?: unknown, raw?: BodyInit): Promise<T> {
  const headers: Record<string, string> = { ...authHeaders() };
  let payload: BodyInit | undefined = raw;
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const r = await fetch(`/api/v1${path}`, { method, headers, body: payload });
  if (!r.ok) {
    let msg = `${r.status} ${r.statusText}`;
    try {
      const j = (await r.json()) as { error?: string; message?: string };
      msg = j.error ?? j.message ?? msg;
    } catch {
      // Not JSON: keep the status line.
    }
    if (r.status === 401 && path !== '/login') onUnauthorized();
    throw new ApiError(r.status, `${method} ${path}: ${msg}`);
  }
  return (await r.json()) as T;
}

export const api = {
  login: (username: string, password: string) =>
    call<{ token: string }>('POST', '/login', { username, password }),
  logout: () => call<unknown>('POST', '/logout'),
  me: () => call<Me>('GET', '/me'),
  config: () => call<ConsoleConfig>('GET', '/console-config'),
  tracks: (active: boolean) => call<Track[]>('GET', `/tracks${active ? '?active=true' : ''}`),
  track: (id: number) => call<Track>('GET', `/tracks/${id}`),
  path: (id: number, from?: string, to?: string) =>
    call<PathPoint[]>('GET', `/tracks/${id}/path${query({ from, to })}`),
  history: (from: string, to: string, bbox?: string) =>
    call<Track[]>('GET', `/history${query({ from, to, bbox })}`),
  alerts: () => call<Alert[]>('GET', '/alerts?limit=500'),
  ack: (id: number) => call<Alert>('POST', `/alerts/${id}/ack`),
  sensors: () => call<Sensor[]>('GET', '/sensors'),
  zones: () => call<Zone[]>('GET', '/zones'),
  addZone: (f: GeoJSON.Feature) => call<Zone>('POST', '/zones', f),
  editZone: (id: number, f: GeoJSON.Feature) => call<Zone>('PUT', `/zones/${id}`, f),
  deleteZone: (id: number) => call<unknown>('DELETE', `/zones/${id}`),
  importZones: (format: string, text: string, radius_m?: number) =>
    call<unknown>(
      'POST',
      `/zones/import${query({ format, radius_m: radius_m === undefined ? undefined : String(radius_m) })}`,
      undefined,
      text,
    ),
  lists: () => call<Lists>('GET', '/lists'),
};

export function query(p: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(p)) if (v !== undefined && v !== '') q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}

/**
 * Downloads an authenticated export: the routes need the bearer token, which a plain link cannot send, so
 * the file is fetched and handed to the browser as a blob.
 */
export async function download(path: string, fallbackName: string): Promise<void> {
  const r = await fetch(`/api/v1${path}`, { headers: authHeaders() });
  if (!r.ok) throw new ApiError(r.status, `GET ${path}: ${r.status} ${r.statusText}`);
  const disp = r.headers.get('Content-Disposition') ?? '';
  const name = /filename="([^"]+)"/.exec(disp)?.[1] ?? fallbackName;
  const url = URL.createObjectURL(await r.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
