// Past a few dozen live aircraft the console draws them on its 2D canvas overlay instead of HTML markers,
// keeping an HTML marker for the selected one only; clicking an aircraft drawn there selects it, and the WebGL
// map does not redraw while they move (on a CPU renderer every map redraw costs a frame). History playback of
// the same aircraft is drawn on an overlay too: playing it does not redraw the map, and a click on a replayed
// aircraft selects it. Fed by
// `skytrace demo --sim-aircraft 60` (simulated aircraft built with skytrace's own encoders, through the real
// ingest path), which prints an address that signs the demo user in.

import { expect, test, type Page } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { bin, shots } from './server';

const N = 60;
let demo: ChildProcess | null = null;
let url = '';

test.beforeAll(async () => {
  const child = spawn(bin, ['demo', '--listen', '127.0.0.1:0', '--no-open', '--sim-aircraft', String(N)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  demo = child;
  url = await new Promise<string>((ok, fail) => {
    const banner: string[] = [];
    createInterface({ input: child.stdout! }).on('line', (l) => {
      banner.push(l);
      if (/^http:\/\/[^/]+\/#session=\S+$/.test(l)) ok(l);
    });
    child.on('exit', (code) => fail(new Error(`${bin} demo exited with ${code}:\n${banner.join('\n')}`)));
  });
});

test.afterAll(() => {
  demo?.kill('SIGTERM');
});

/** Counts the map's WebGL draw calls in `window.glDraws`. */
async function countGlDraws(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const w = window as unknown as { glDraws: number };
    w.glDraws = 0;
    for (const proto of [WebGLRenderingContext.prototype, WebGL2RenderingContext.prototype])
      for (const name of ['drawElements', 'drawArrays'] as const) {
        const f = proto[name] as (...a: unknown[]) => void;
        (proto as unknown as Record<string, unknown>)[name] = function (this: unknown, ...a: unknown[]) {
          w.glDraws++;
          return f.apply(this, a);
        };
      }
  });
}
const glDraws = (page: Page) => page.evaluate(() => (window as unknown as { glDraws: number }).glDraws);

/** Pixels of the canvas of class `cls` that are not transparent. */
const canvasPixels = (page: Page, cls: string) =>
  page.evaluate((cls) => {
    const c = document.querySelector<HTMLCanvasElement>(`canvas.${cls}`);
    const d = c?.getContext('2d')?.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 3; d && i < d.length; i += 4) if (d[i]) n++;
    return n;
  }, cls);

test(`${N} aircraft: drawn on the overlay, the selected one as an HTML marker, a click on the map selects`, async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await countGlDraws(page);
  await page.goto(url);
  await expect(page.locator('#track-count')).toHaveText(`${N} aircraft`, { timeout: 60_000 });
  // No aircraft is selected: none is an HTML marker, and no pilot either.
  await expect(page.getByTestId('drone-marker')).toHaveCount(0);
  await expect(page.getByTestId('pilot-marker')).toHaveCount(0);
  await page.waitForTimeout(1500); // the fit-to-aircraft camera move
  await page.screenshot({ path: join(shots, 'many-01-overlay-aircraft.png') });

  // For 3 s the aircraft move (each reports once a second): the overlay shows them, the map draws nothing.
  const before = await glDraws(page);
  await page.waitForTimeout(3000);
  expect(await glDraws(page)).toBe(before);
  expect(await canvasPixels(page, 'live-overlay')).toBeGreaterThan(N * 50);

  // Selecting A in the list gives A (alone) an HTML marker, and the camera centres it.
  // Sorted by name, the list keeps its order while positions arrive.
  await page.locator('#track-sort').selectOption('name');
  const rows = page.getByTestId('track-list').locator('[data-track-id]');
  // The list re-renders a few times a second and shows only the rows in view: wait until the rows it shows
  // are the name-sorted ones, or the first row read here could be one the new order scrolls out of view.
  await expect
    .poll(async () => {
      const names = (await rows.allTextContents()).map((t) => t.trim().split(/\s+/)[0] ?? '');
      return names.length > 0 && names.every((n, i) => i === 0 || (names[i - 1] ?? '').localeCompare(n) <= 0);
    })
    .toBe(true);
  const a = await rows.first().getAttribute('data-track-id');
  await page.getByTestId('track-list').locator(`[data-track-id="${a}"]`).click();
  const marker = page.getByTestId('drone-marker');
  await expect(marker).toHaveCount(1);
  await expect(marker).toHaveAttribute('data-track-id', a!);
  await page.waitForTimeout(1500); // the camera move

  // Closing the detail puts A back on the overlay where its marker was: the map keeps its centre when it
  // widens, so A keeps its offset from the centre. A flies on (a few pixels a second at this zoom), so that
  // offset is read just before closing; a click there selects A again.
  const narrow = (await page.locator('#map').boundingBox())!;
  const at = (await marker.boundingBox())!;
  const dx = at.x + at.width / 2 - (narrow.x + narrow.width / 2);
  const dy = at.y + at.height / 2 - (narrow.y + narrow.height / 2);
  await page.locator('#detail-close').click();
  await expect(marker).toHaveCount(0);
  const box = (await page.locator('#map').boundingBox())!;
  // A is back on the overlay at its next redraw (the next animation frame): click until it is there.
  await expect(async () => {
    await page.mouse.click(box.x + box.width / 2 + dx, box.y + box.height / 2 + dy);
    await expect(marker).toHaveCount(1, { timeout: 400 });
  }).toPass({ timeout: 5_000 });
  await expect(marker).toHaveAttribute('data-track-id', a!);
  await expect(page.getByTestId('detail')).toBeVisible();
  await page.screenshot({ path: join(shots, 'many-02-selected-from-overlay.png') });
  expect(errors).toEqual([]);
});

test(`history of ${N} aircraft: played on the overlay without redrawing the map, a click selects one`, async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await countGlDraws(page);
  await page.goto(url);
  await expect(page.locator('#track-count')).toHaveText(`${N} aircraft`, { timeout: 60_000 });
  await page.waitForTimeout(1500); // the fit-to-aircraft camera move
  // A few seconds of flight are stored by now (the first test ran before): replay them.
  await page.locator('#tab-history').click();
  await page.getByRole('button', { name: 'Last 15 min of data' }).click();
  await page.getByRole('button', { name: 'Load' }).click();
  await expect(page.getByTestId('history-status')).toContainText(`${N} aircraft`);
  const slider = page.getByTestId('history-slider');
  const [min, max] = [Number(await slider.getAttribute('min')), Number(await slider.getAttribute('max'))];
  await slider.fill(String(Math.round(min + (max - min) * 0.75)));
  await expect(page.locator('#hist-time')).toContainText(`${N} in the air`);
  // The live layer is hidden; the replayed aircraft and their paths are on history's overlay.
  await expect.poll(() => canvasPixels(page, 'live-overlay')).toBe(0);
  expect(await canvasPixels(page, 'history-overlay')).toBeGreaterThan(N * 50);
  await page.screenshot({ path: join(shots, 'many-03-history-overlay.png') });

  // Playing from the start moves the aircraft on the overlay and draws nothing in WebGL. The window holds
  // only the seconds flown since the demo started: at 10× playback may reach its end (and stop) in the wait.
  await slider.fill(String(min));
  await page.locator('#hist-speed').selectOption('10');
  const drawsBefore = await glDraws(page);
  await page.getByRole('button', { name: 'Play' }).click();
  await page.waitForTimeout(1500);
  if ((await page.locator('#hist-play').textContent()) === 'Pause') await page.locator('#hist-play').click();
  await expect(page.locator('#hist-play')).toHaveText('Play');
  expect(Number(await slider.inputValue())).toBeGreaterThan(min + 5_000);
  expect(await glDraws(page)).toBe(drawsBefore);

  // A click on a replayed aircraft selects it. Where one is drawn is read off the overlay: the pixel whose
  // 15×15 neighbourhood holds the most opaque pixels of the replay colour (#79c0ff) is inside an arrow (paths
  // of that colour are 1 px lines; pilots and take-off points have colours of their own).
  const spot = await page.evaluate(() => {
    const c = document.querySelector<HTMLCanvasElement>('canvas.history-overlay')!;
    const { width: w, height: h } = c;
    const d = c.getContext('2d')!.getImageData(0, 0, w, h).data;
    const on = (x: number, y: number) => {
      const i = (y * w + x) * 4;
      return d[i + 3]! > 200 && Math.abs(d[i]! - 0x79) < 12 && Math.abs(d[i + 1]! - 0xc0) < 12 && d[i + 2]! > 240 ? 1 : 0;
    };
    let best = { n: 0, x: 0, y: 0 };
    for (let y = 7; y < h - 7; y += 2)
      for (let x = 7; x < w - 7; x += 2) {
        if (!on(x, y)) continue;
        let n = 0;
        for (let dy = -7; dy <= 7; dy++) for (let dx = -7; dx <= 7; dx++) n += on(x + dx, y + dy);
        if (n > best.n) best = { n, x, y };
      }
    const r = c.getBoundingClientRect();
    return { n: best.n, x: r.left + (best.x * r.width) / w, y: r.top + (best.y * r.height) / h };
  });
  expect(spot.n).toBeGreaterThan(25);
  await page.mouse.click(spot.x, spot.y);
  await expect(page.locator('#hist-time')).toContainText('selected');
  await page.screenshot({ path: join(shots, 'many-04-history-selected.png') });
  // (A click on the map may make MapLibre draw once itself.) Moving the slider does not draw the map.
  await page.waitForTimeout(500);
  const drawsAfterClick = await glDraws(page);
  await slider.fill(String(min + Math.round((max - min) / 3)));
  await slider.fill(String(max));
  await expect(page.locator('#hist-time')).toContainText(`${N} in the air`);
  await page.waitForTimeout(500);
  expect(await glDraws(page)).toBe(drawsAfterClick);

  // Back to live: the history overlay is empty, the live one draws again.
  await page.getByRole('button', { name: 'Back to live' }).click();
  await expect.poll(() => canvasPixels(page, 'live-overlay')).toBeGreaterThan(N * 50);
  expect(await canvasPixels(page, 'history-overlay')).toBe(0);
  expect(errors).toEqual([]);
});
