// Past a few dozen live aircraft the console draws them in WebGL (a symbol layer) instead of HTML markers,
// keeping an HTML marker for the selected one only; clicking an aircraft drawn in WebGL selects it. Fed by
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

test(`${N} aircraft: drawn in WebGL, the selected one as an HTML marker, a click on the map selects`, async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(url);
  await expect(page.locator('#track-count')).toHaveText(`${N} aircraft`, { timeout: 60_000 });
  // No aircraft is selected: none is an HTML marker, and no pilot either.
  await expect(page.getByTestId('drone-marker')).toHaveCount(0);
  await expect(page.getByTestId('pilot-marker')).toHaveCount(0);
  await page.waitForTimeout(1500); // the fit-to-aircraft camera move
  await page.screenshot({ path: join(shots, 'many-01-webgl-aircraft.png') });

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

  // Closing the detail puts A back in the WebGL layer, still at the centre of the map (which keeps its
  // centre when it widens); a click there selects A again, out of the WebGL layer.
  await page.locator('#detail-close').click();
  await expect(marker).toHaveCount(0);
  const box = (await page.locator('#map').boundingBox())!;
  // A is back in the WebGL layer at the next send of the live source (at most a second past 50 aircraft):
  // click until it is there.
  await expect(async () => {
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
    await expect(marker).toHaveCount(1, { timeout: 400 });
  }).toPass({ timeout: 5_000 });
  await expect(marker).toHaveAttribute('data-track-id', a!);
  await expect(page.getByTestId('detail')).toBeVisible();
  await page.screenshot({ path: join(shots, 'many-02-selected-from-webgl.png') });
  expect(errors).toEqual([]);
});
