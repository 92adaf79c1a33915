// Past a few dozen live aircraft the console draws them on its 2D canvas overlay instead of HTML markers,
// keeping an HTML marker for the selected one only; clicking an aircraft drawn there selects it, and the WebGL
// map does not redraw while they move (on a CPU renderer every map redraw costs a frame). Fed by
// `skytrace demo --sim-aircraft 60` (simulated aircraft built with skytrace's own encoders, through the real
// ingest path), which prints an address that signs the demo user in.

import { expect, test } from '@playwright/test';
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

test(`${N} aircraft: drawn on the overlay, the selected one as an HTML marker, a click on the map selects`, async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  // Counts the map's WebGL draw calls.
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
  await page.goto(url);
  await expect(page.locator('#track-count')).toHaveText(`${N} aircraft`, { timeout: 60_000 });
  // No aircraft is selected: none is an HTML marker, and no pilot either.
  await expect(page.getByTestId('drone-marker')).toHaveCount(0);
  await expect(page.getByTestId('pilot-marker')).toHaveCount(0);
  await page.waitForTimeout(1500); // the fit-to-aircraft camera move
  await page.screenshot({ path: join(shots, 'many-01-overlay-aircraft.png') });

  // For 3 s the aircraft move (each reports once a second): the overlay shows them, the map draws nothing.
  const glDraws = () => page.evaluate(() => (window as unknown as { glDraws: number }).glDraws);
  const overlayPixels = () =>
    page.evaluate(() => {
      const c = document.querySelector<HTMLCanvasElement>('canvas.live-overlay');
      const d = c?.getContext('2d')?.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 3; d && i < d.length; i += 4) if (d[i]) n++;
      return n;
    });
  const before = await glDraws();
  await page.waitForTimeout(3000);
  expect(await glDraws()).toBe(before);
  expect(await overlayPixels()).toBeGreaterThan(N * 50);

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
