// The live stream: server-sent events read over fetch (EventSource cannot send a bearer token), parsed
// by hand per the SSE grammar, with reconnection and exponential backoff. The status it reports drives the
// live/stale indicator.

import { authHeaders } from './api';

export type StreamStatus =
  | { kind: 'connecting'; attempt: number }
  | { kind: 'live' }
  | { kind: 'stale'; silentMs: number }
  | { kind: 'waiting'; retryInMs: number; reason: string }
  | { kind: 'unauthorized' };

export interface StreamHandlers {
  event(name: string, data: string): void;
  status(s: StreamStatus): void;
  /** Called after every (re)connection, so that the caller reloads what it missed. */
  connected(): void;
}

/** The server sends a keep-alive comment every 15 s: twice that without a byte means the link is stale. */
const STALE_MS = 30_000;
const MAX_BACKOFF_MS = 30_000;

export class LiveStream {
  private abort: AbortController | null = null;
  private stopped = false;
  private attempt = 0;
  private lastByte = 0;
  private staleTimer: number | undefined;

  constructor(
    private readonly url: string,
    private readonly h: StreamHandlers,
  ) {}

  start(): void {
    this.stopped = false;
    void this.loop();
    this.staleTimer = window.setInterval(() => this.checkStale(), 1000);
  }

  stop(): void {
    this.stopped = true;
    this.abort?.abort();
    window.clearInterval(this.staleTimer);
  }

  /** Drops the current connection and reconnects at once (used by tests and after a long sleep). */
  reconnect(): void {
    this.attempt = 0;
    this.abort?.abort();
  }

  private checkStale(): void {
    if (this.abort && this.lastByte && Date.now() - this.lastByte > STALE_MS) {
      this.h.status({ kind: 'stale', silentMs: Date.now() - this.lastByte });
      // A silent connection is as good as dead: start again.
      this.abort.abort();
    }
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      this.h.status({ kind: 'connecting', attempt: this.attempt });
      let reason = 'closed by server';
      try {
        await this.once();
      } catch (e) {
        if (e instanceof Unauthorized) {
          this.h.status({ kind: 'unauthorized' });
          return;
        }
        reason = e instanceof Error ? e.message : String(e);
      }
      if (this.stopped) return;
      this.attempt += 1;
      // 1 s, 2 s, 4 s ... up to 30 s, with jitter so that many consoles do not return together.
      const base = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(this.attempt - 1, 5));
      const wait = Math.round(base * (0.75 + Math.random() * 0.5));
      this.h.status({ kind: 'waiting', retryInMs: wait, reason });
      await new Promise((r) => setTimeout(r, wait));
    }
  }

  private async once(): Promise<void> {
    const ctl = new AbortController();
    this.abort = ctl;
    this.lastByte = 0;
    try {
      const r = await fetch(this.url, {
        headers: { ...authHeaders(), Accept: 'text/event-stream' },
        signal: ctl.signal,
        cache: 'no-store',
      });
      if (r.status === 401) throw new Unauthorized();
      if (!r.ok || !r.body) throw new Error(`stream: HTTP ${r.status}`);
      this.lastByte = Date.now();
      this.attempt = 0;
      this.h.status({ kind: 'live' });
      this.h.connected();
      await parseSse(r.body, (name, data) => this.h.event(name, data), () => {
        this.lastByte = Date.now();
      });
    } catch (e) {
      if (ctl.signal.aborted) throw new Error('connection dropped', { cause: e });
      throw e;
    } finally {
      this.abort = null;
    }
  }
}

class Unauthorized extends Error {}

/**
 * Reads an SSE body: `event:` and `data:` fields, a blank line dispatches, lines starting with `:` are
 * comments (keep-alives). `onBytes` is called for every chunk, comments included.
 */
export async function parseSse(
  body: ReadableStream<Uint8Array>,
  dispatch: (name: string, data: string) => void,
  onBytes: () => void,
): Promise<void> {
  const reader = body.getReader();
  const dec = new TextDecoder();
  let buf = '';
  let name = 'message';
  let data: string[] = [];
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    onBytes();
    buf += dec.decode(value, { stream: true });
    let nl: number;
    while ((nl = buf.search(/\r\n|\n|\r/)) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + (buf[nl] === '\r' && buf[nl + 1] === '\n' ? 2 : 1));
      if (line === '') {
        if (data.length) dispatch(name, data.join('\n'));
        name = 'message';
        data = [];
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let val = colon < 0 ? '' : line.slice(colon + 1);
      if (val.startsWith(' ')) val = val.slice(1);
      if (field === 'event') name = val;
      else if (field === 'data') data.push(val);
    }
  }
}
