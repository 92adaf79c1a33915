// A real skytrace server for the browser tests: a fresh data directory, an operator and a viewer, a sensor,
// `skytrace serve` on a free loopback port, and `skytrace replay` of a real capture.

import { test, type Page } from '@playwright/test';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const webDir = resolve(here, '..');
export const bin = resolve(webDir, process.env.SKYTRACE_BIN ?? '../target/debug/skytrace');
export const dataDir = resolve(webDir, process.env.SKYTRACE_DATA ?? '../../shared/data');
export const shots = join(webDir, 'test-results');

export const USERS = {
  operator: { name: 'op', password: 'operator password 1', role: 'operator' },
  viewer: { name: 'view', password: 'viewer password 1', role: 'viewer' },
} as const;

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => ok(port));
    });
  });
}

export class Skytrace {
  dir = '';
  url = '';
  sensorTokens: string[] = [];
  private serve: ChildProcess | null = null;
  private replays: ChildProcess[] = [];
  log = '';

  async start(): Promise<void> {
    if (!existsSync(bin)) throw new Error(`skytrace binary not found at ${bin}: run cargo build -p skytrace or set SKYTRACE_BIN`);
    this.dir = mkdtempSync(join(tmpdir(), 'skytrace-console-'));
    const admin = (args: string[], input?: string) =>
      execFileSync(bin, ['admin', '--data-dir', this.dir, ...args], { input, encoding: 'utf8' });
    for (const u of Object.values(USERS)) admin(['user', 'add', u.name, '--role', u.role], `${u.password}\n`);
    for (const s of ['s1', 's2']) {
      const out = admin(['sensor', 'add', s]).trim().split('\n');
      this.sensorTokens.push(out[out.length - 1]!.trim());
    }
    const port = await freePort();
    this.url = `http://127.0.0.1:${port}`;
    this.serve = spawn(bin, ['serve', '--data-dir', this.dir, '--listen', `127.0.0.1:${port}`], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? 'warn' },
    });
    this.serve.stdout?.on('data', (d: Buffer) => (this.log += d.toString()));
    this.serve.stderr?.on('data', (d: Buffer) => (this.log += d.toString()));
    const until = Date.now() + 30_000;
    for (;;) {
      try {
        const r = await fetch(`${this.url}/healthz`);
        if (r.ok) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > until) throw new Error(`skytrace serve did not come up on ${this.url}:\n${this.log}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Replays a capture from the shared data folder as sensor `sensor` (0-based), paced `speed` times real time. */
  replay(file: string, speed: number, sensor = 0): ChildProcess {
    const path = join(dataDir, 'remoteid', file);
    if (!existsSync(path)) throw new Error(`test capture missing: ${path} (set SKYTRACE_DATA)`);
    const p = spawn(bin, ['replay', path, '--server', this.url, '--token', this.sensorTokens[sensor]!, '--speed', String(speed)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    p.stderr?.on('data', (d: Buffer) => (this.log += `[replay] ${d.toString()}`));
    this.replays.push(p);
    return p;
  }

  async stop(): Promise<void> {
    for (const p of this.replays) p.kill('SIGTERM');
    if (this.serve) {
      const s = this.serve;
      await new Promise<void>((ok) => {
        s.once('exit', () => ok());
        s.kill('SIGTERM');
        setTimeout(() => {
          s.kill('SIGKILL');
          ok();
        }, 5000);
      });
    }
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A server for the tests of one spec file, run one after the other: started before them, stopped after. */
export function serverForThisFile(): Skytrace {
  const server = new Skytrace();
  test.describe.configure({ mode: 'serial' });
  test.beforeAll(async () => {
    await server.start();
  });
  test.afterAll(async () => {
    await server.stop();
  });
  return server;
}

/** Saves a screenshot of the page as test-results/NAME.png. */
export async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(shots, `${name}.png`) });
}
