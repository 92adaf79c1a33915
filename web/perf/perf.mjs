// The console's performance run (issue 5, "Done means"): N live aircraft updating once per second, the
// console open and signed in, frames measured in the browser for a fixed time.
//
//   npm run perf                       (in web/; or: node web/perf/perf.mjs)
//   PERF_AIRCRAFT=500 PERF_SECONDS=30 SKYTRACE_BIN=target/release/skytrace node web/perf/perf.mjs
//   PERF_MODE=history PERF_AIRCRAFT=300 PERF_SECONDS=20 SKYTRACE_BIN=target/release/skytrace node web/perf/perf.mjs
//
// It starts `skytrace demo --sim-aircraft N --listen 127.0.0.1:0 --no-open` (simulated aircraft made
// with the project's own radio encoders, posted through the real ingest path at 1 Hz each), waits until
// the server tracks them, opens the printed address (which signs the demo user in) in Debian's Chromium
// through playwright-core, lets the page settle, then for PERF_SECONDS records:
//   - every requestAnimationFrame interval (frame time), from which p50 / p99 / max, frames longer than
//     50 ms and dropped frames (intervals longer than 1.5 vsync, counted in missed vsyncs);
//   - the browser's own long-animation-frame entries (> 50 ms, with the scripts that ran in them) and
//     long tasks;
//   - a CPU profile (Chrome DevTools Protocol `Profiler`), reduced to the functions with the most self
//     time, so that a slow console names the function to fix.
// Results are printed and written to web/perf/out/ (summary.json, profile.cpuprofile, screenshot.png).
// PERF_MODE=history measures history playback instead of the live map: the aircraft fly (and are stored) for
// PERF_RECORD_SECONDS (default 120) from the demo's start, then the History tab loads "Last 15 min of
// data" (every track of the window, at most the console's 300, with their stored paths) and plays it at 10×
// (the live stream goes on underneath); the frames are recorded while it plays, and playback is restarted
// from the start whenever it reaches the end within PERF_SECONDS.
// PERF_DIST=web/dist serves the console's files from that folder instead of the ones embedded in the binary
// (the API still comes from the binary): a console change can be measured without rebuilding skytrace.
//
// The browser runs with the same flags as the console's tests: headless, software GL (SwiftShader), no
// sandbox (root in CI) and no background networking (the machine has no internet); Playwright gives it a
// fresh, empty profile.

import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { dirname, extname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../..");
const out = join(here, "out");
const N = Number(process.env.PERF_AIRCRAFT ?? 500);
const SECONDS = Number(process.env.PERF_SECONDS ?? 30);
const SETTLE_S = Number(process.env.PERF_SETTLE_SECONDS ?? 10);
const MODE = process.env.PERF_MODE ?? "live";
const RECORD_S = Number(process.env.PERF_RECORD_SECONDS ?? 120);
const PROFILE = process.env.PERF_PROFILE !== "0";
const TRACE = process.env.PERF_TRACE === "1";
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const DIST = process.env.PERF_DIST ? resolve(process.env.PERF_DIST) : null;
const TYPES = { ".html": "text/html", ".js": "text/javascript", ".mjs": "text/javascript", ".css": "text/css", ".json": "application/json", ".svg": "image/svg+xml", ".png": "image/png" };

/** With PERF_DIST, the console's files come from that folder; everything under /api/ from the server. */
async function serveDist(page, addr) {
  if (!DIST) return;
  await page.route(`http://${addr}/**`, async (route) => {
    const path = new URL(route.request().url()).pathname;
    if (path.startsWith("/api/")) return route.fallback();
    const file = join(DIST, path === "/" ? "index.html" : path);
    if (!file.startsWith(DIST) || !existsSync(file)) return route.fallback();
    await route.fulfill({ body: readFileSync(file), contentType: TYPES[extname(file)] ?? "application/octet-stream" });
  });
}

function skytraceBin() {
  if (process.env.SKYTRACE_BIN) return resolve(process.env.SKYTRACE_BIN);
  for (const p of ["target/release/skytrace", "target/debug/skytrace"]) {
    if (existsSync(join(root, p))) return join(root, p);
  }
  throw new Error("no skytrace binary: run `cargo build --release -p skytrace` or set SKYTRACE_BIN");
}

/** Starts the demo and resolves with the child, the address and the session token from its banner. */
function startDemo() {
  const bin = skytraceBin();
  const child = spawn(bin, ["demo", "--listen", "127.0.0.1:0", "--no-open", "--sim-aircraft", String(N)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((ok, fail) => {
    const lines = createInterface({ input: child.stdout });
    const banner = [];
    lines.on("line", (l) => {
      banner.push(l);
      const m = /^http:\/\/([^/]+)\/#session=(\S+)$/.exec(l);
      if (m) ok({ child, url: l, addr: m[1], token: m[2], banner, bin });
    });
    child.on("exit", (code) => fail(new Error(`${bin} demo exited with ${code}: ${banner.join("\n")}`)));
  });
}

async function api(addr, token, path) {
  const r = await fetch(`http://${addr}${path}`, { headers: { authorization: `Bearer ${token}` } });
  if (!r.ok) throw new Error(`${path}: HTTP ${r.status}`);
  return r.json();
}

function pct(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.round((sorted.length - 1) * p))];
}

/** Self time per function of a CDP CPU profile, most first. */
function hotFunctions(profile, top = 15) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const n = byId.get(profile.samples[i]);
    const dt = (profile.timeDeltas[i] ?? 0) / 1000;
    if (!n) continue;
    const f = n.callFrame;
    const url = f.url ? f.url.replace(/^https?:\/\/[^/]+/, "") : "";
    const key = `${f.functionName || "(anonymous)"} ${url}${url ? `:${f.lineNumber + 1}:${f.columnNumber + 1}` : ""}`;
    self.set(key, (self.get(key) ?? 0) + dt);
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  return [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([fn, ms]) => ({ fn, self_ms: Math.round(ms), share: Number((ms / total).toFixed(3)) }));
}

async function main() {
  mkdirSync(out, { recursive: true });
  const demo = await startDemo();
  const stop = () => demo.child.kill("SIGTERM");
  process.on("SIGINT", stop);
  let browser;
  try {
    console.log(`perf: ${demo.bin} demo with ${N} simulated aircraft at ${demo.addr}`);
    // Until the server tracks (nearly) all of them.
    const t0 = Date.now();
    let tracked = 0;
    while (Date.now() - t0 < 60_000) {
      tracked = (await api(demo.addr, demo.token, "/api/v1/tracks?active=true")).length;
      if (tracked >= N) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    console.log(`perf: ${tracked} active tracks on the server`);

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--enable-unsafe-swiftshader",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    const consoleErrors = [];
    page.on("pageerror", (e) => consoleErrors.push(String(e)));
    await serveDist(page, demo.addr);
    await page.goto(demo.url);
    const listed = await page
      .waitForSelector('[data-testid="track-list"]', { timeout: 30_000 })
      .then(() => true)
      .catch(() => false);
    if (!listed) console.warn('perf: no [data-testid="track-list"] within 30 s: is the console built (web/dist)?');
    await page.waitForTimeout(SETTLE_S * 1000);
    const markers = await page.locator('[data-testid="drone-marker"]').count();
    let history = null;
    if (MODE === "history") {
      const wait = Math.max(0, RECORD_S * 1000 - (Date.now() - t0));
      console.log(`perf: recording ${Math.round(wait / 1000)} s more of flight history`);
      await page.waitForTimeout(wait);
      await page.locator("#tab-history").click();
      await page.locator("#hist-last15").click();
      await page.locator("#hist-load").click();
      await page.waitForFunction(() => /aircraft/.test(document.querySelector("#hist-status")?.textContent ?? ""), null, {
        timeout: 60_000,
      });
      await page.locator("#hist-speed").selectOption("10");
      await page.locator("#hist-play").click();
      await page.waitForTimeout(1000);
      history = await page.locator("#hist-status").textContent();
      console.log(`perf: history loaded: ${history}; playing at 10×`);
    } else if (MODE !== "live") throw new Error(`PERF_MODE=${MODE}: live or history`);

    const cdp = await page.context().newCDPSession(page);
    // PERF_TRACE=1: a browser trace (timeline categories) of the whole run, to name what the long tasks do.
    if (TRACE)
      await browser.startTracing(page, {
        path: join(out, "trace.json"),
        categories: ["devtools.timeline", "disabled-by-default-devtools.timeline", "v8", "blink", "gpu", "cc", "toplevel"],
      });
    // The sampling profiler costs the page time of its own: PERF_PROFILE=0 measures without it.
    if (PROFILE) {
      await cdp.send("Profiler.enable");
      await cdp.send("Profiler.setSamplingInterval", { interval: 1000 });
      await cdp.send("Profiler.start");
    }
    const m = await page.evaluate(async ({ seconds, replay }) => {
      const deltas = [];
      const loafs = [];
      const longtasks = [];
      const observers = [];
      const watch = (type, sink) => {
        try {
          const o = new PerformanceObserver((list) => {
            for (const e of list.getEntries()) sink(e);
          });
          o.observe({ type, buffered: false });
          observers.push(o);
          return true;
        } catch {
          return false;
        }
      };
      const hasLoaf = watch("long-animation-frame", (e) =>
        loafs.push({
          duration: e.duration,
          blocking: e.blockingDuration,
          render: e.renderStart ? e.startTime + e.duration - e.renderStart : 0,
          scripts: (e.scripts ?? []).map((s) => ({
            duration: s.duration,
            invoker: s.invoker,
            fn: s.sourceFunctionName,
            src: `${s.sourceURL}:${s.sourceCharPosition}`,
          })),
        }),
      );
      watch("longtask", (e) => longtasks.push(e.duration));
      await new Promise((done) => {
        let last = performance.now();
        const end = last + seconds * 1000;
        const play = replay ? document.querySelector("#hist-play") : null;
        const frame = (t) => {
          // History playback reached the end: play it again from the start.
          if (play && play.textContent === "Play") play.click();
          deltas.push(t - last);
          last = t;
          if (t < end) requestAnimationFrame(frame);
          else done();
        };
        requestAnimationFrame((t) => {
          last = t;
          requestAnimationFrame(frame);
        });
      });
      for (const o of observers) o.disconnect();
      return { deltas, loafs, longtasks, hasLoaf };
    }, { seconds: SECONDS, replay: MODE === "history" });
    if (TRACE) await browser.stopTracing();
    const { profile } = PROFILE ? await cdp.send("Profiler.stop") : { profile: null };
    if (profile) writeFileSync(join(out, "profile.cpuprofile"), JSON.stringify(profile));
    await page.screenshot({ path: join(out, "screenshot.png") });

    const d = [...m.deltas].sort((a, b) => a - b);
    const vsync = 1000 / 60;
    const dropped = m.deltas.reduce((n, x) => n + (x > 1.5 * vsync ? Math.round(x / vsync) - 1 : 0), 0);
    const finalTracks = (await api(demo.addr, demo.token, "/api/v1/tracks?active=true")).length;
    const summary = {
      mode: MODE,
      ...(history ? { history_status: history, history_recorded_s: RECORD_S } : {}),
      aircraft: N,
      active_tracks: finalTracks,
      drone_markers: markers,
      track_list: listed,
      seconds: SECONDS,
      frames: m.deltas.length,
      fps: Number((m.deltas.length / SECONDS).toFixed(1)),
      frame_ms: {
        p50: Number(pct(d, 0.5).toFixed(1)),
        p99: Number(pct(d, 0.99).toFixed(1)),
        max: Number((d[d.length - 1] ?? NaN).toFixed(1)),
      },
      frames_over_50ms: m.deltas.filter((x) => x > 50).length,
      dropped_frames: dropped,
      long_animation_frames: m.hasLoaf ? m.loafs.length : "unsupported",
      long_animation_frame_max_ms: m.loafs.reduce((a, l) => Math.max(a, l.duration), 0),
      long_tasks: m.longtasks.length,
      long_task_max_ms: m.longtasks.reduce((a, x) => Math.max(a, x), 0),
      slowest_frames_scripts: m.loafs
        .sort((a, b) => b.duration - a.duration)
        .slice(0, 5)
        .map((l) => ({ duration: Math.round(l.duration), render_ms: Math.round(l.render), scripts: l.scripts.slice(0, 4) })),
      hot_functions: profile ? hotFunctions(profile) : "not recorded (PERF_PROFILE=0)",
      page_errors: consoleErrors,
      chromium: browser.version(),
      console_files: DIST ? `from ${DIST}` : "embedded in the binary",
    };
    writeFileSync(join(out, "summary.json"), JSON.stringify(summary, null, 2));
    console.log(JSON.stringify(summary, null, 2));
    console.log(
      `perf: ${MODE}, ${N} aircraft, ${SECONDS} s: p50 ${summary.frame_ms.p50} ms, p99 ${summary.frame_ms.p99} ms, ` +
        `max ${summary.frame_ms.max} ms, ${summary.frames_over_50ms} frames > 50 ms, ${dropped} dropped ` +
        `(${summary.fps} fps); results in ${out}`,
    );
    if (process.env.PERF_ASSERT === "1" && summary.frames_over_50ms > 0) process.exitCode = 1;
  } finally {
    if (browser) await browser.close();
    stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
