// The console in a real browser against a real skytrace server fed with a real capture: sign in, see the
// drone and its pilot, open its detail, draw a zone across its path and get the alert, acknowledge it,
// replay history, and check that a viewer sees no pilot. Each step leaves a screenshot in test-results/.

import { expect, test, type Page } from '@playwright/test';
import { USERS, serverForThisFile, shot } from './server';

// A real AirPlate Remote ID unit near Odense: moves ~150 m over 7 minutes and broadcasts its pilot position.
const CAPTURE = 'herlev_relay_test_ARPLF352709570738211_F4relay.pcapng';
const UAS_ID = 'ARPLF352709570738211';

const server = serverForThisFile();

async function signIn(page: Page, user: { name: string; password: string }): Promise<void> {
  await page.goto(server.url);
  await page.getByLabel('User name').fill(user.name);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.locator('#stream-status')).toHaveAttribute('data-state', 'live');
}

test('operator: live drone and pilot, detail, zone alert, acknowledge, history', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));

  // 1. Sign in.
  await page.goto(server.url);
  await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();
  await page.getByLabel('User name').fill(USERS.operator.name);
  await page.getByLabel('Password').fill('wrong password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.locator('#login-error')).toContainText('Wrong user name or password');
  await page.getByLabel('Password').fill(USERS.operator.password);
  await shot(page, '01-login');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.locator('#stream-status')).toHaveAttribute('data-state', 'live');
  await expect(page.locator('#who')).toHaveText('op · operator');

  // 2. A replayed drone appears with its pilot. Pacing 4× real time keeps it flying for ~100 s.
  server.replay(CAPTURE, 4);
  const drone = page.getByTestId('drone-marker').first();
  await expect(drone).toBeVisible({ timeout: 30_000 });
  await expect(page.getByTestId('pilot-marker').first()).toBeVisible();
  await expect(page.getByTestId('track-list')).toContainText(UAS_ID);
  await page.waitForTimeout(1500); // let the fit-to-aircraft camera move settle
  await shot(page, '02-live-drone-and-pilot');

  // 3. Its detail panel.
  await page.getByTestId('track-list').getByText(UAS_ID).click();
  const detail = page.getByTestId('detail');
  await expect(detail).toBeVisible();
  await expect(page.getByTestId('detail-uas-id')).toHaveText(UAS_ID);
  await expect(page.getByTestId('detail-alt')).toContainText(' m');
  await expect(page.getByTestId('detail-pilot-distance')).toHaveText(/^\d+ m$/);
  await expect(detail).toContainText('wifi-beacon');
  await expect(detail).toContainText('s1');
  await page.waitForTimeout(800);
  await shot(page, '03-detail');

  // 4. Draw a circle zone centred on the aircraft (across its path): the alert arrives over the stream.
  await page.locator('#tab-zones').click();
  await page.getByRole('button', { name: '◯ Circle' }).click();
  const box = await drone.boundingBox();
  if (!box) throw new Error('drone marker has no box');
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  await page.mouse.click(cx, cy);
  await page.mouse.click(cx + 140, cy);
  const radius = Number(await page.locator('input[name=radius_m]').inputValue());
  expect(radius).toBeGreaterThan(10);
  await page.locator('input[name=name]').fill('Test perimeter');
  await page.locator('select[name=restriction]').selectOption('prohibited');
  await shot(page, '04-zone-drawn');
  await page.getByRole('button', { name: 'Save zone' }).click();
  await expect(page.getByTestId('zone-item')).toContainText('Test perimeter');
  await page.locator('#tab-alerts').click();
  const alert = page.getByTestId('alert-item').first();
  await expect(alert).toBeVisible({ timeout: 60_000 });
  await expect(alert).toContainText('Test perimeter');
  await expect(page.locator('[data-testid=drone-marker][data-state=alerting]').first()).toBeVisible();
  await shot(page, '05-alert');

  // 5. Acknowledge it.
  const openBefore = await page.locator('[data-testid=alert-item].open').count();
  await alert.getByRole('button', { name: 'Acknowledge' }).click();
  await expect(page.locator('[data-testid=alert-item].acked').first()).toContainText('op');
  expect(await page.locator('[data-testid=alert-item].open').count()).toBeLessThan(openBefore);
  await shot(page, '06-acknowledged');

  // 6. Replay the last minutes of history with the slider.
  await page.locator('#tab-history').click();
  await page.getByRole('button', { name: 'Last 15 min of data' }).click();
  await page.getByRole('button', { name: 'Load' }).click();
  await expect(page.getByTestId('history-status')).toContainText('1 aircraft');
  const slider = page.getByTestId('history-slider');
  const [min, max] = [Number(await slider.getAttribute('min')), Number(await slider.getAttribute('max'))];
  expect(max).toBeGreaterThan(min);
  await slider.fill(String(Math.round((min + max) / 2)));
  await expect(page.locator('#hist-time')).toContainText('1 in the air');
  await expect(page.getByTestId('drone-marker').first()).toBeHidden();
  // The replayed aircraft and its path are drawn on history's overlay canvas, not in the WebGL map.
  const replayPixels = () =>
    page.evaluate(() => {
      const c = document.querySelector<HTMLCanvasElement>('canvas.history-overlay');
      const d = c?.getContext('2d')?.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 3; d && i < d.length; i += 4) if (d[i]) n++;
      return n;
    });
  await expect.poll(replayPixels).toBeGreaterThan(100);
  await page.locator('#hist-speed').selectOption('60');
  await page.getByRole('button', { name: 'Play' }).click();
  await page.waitForTimeout(1200);
  expect(Number(await slider.inputValue())).toBeGreaterThan(Math.round((min + max) / 2));
  await shot(page, '07-history');
  await page.getByRole('button', { name: 'Back to live' }).click();
  await expect(page.getByTestId('drone-marker').first()).toBeVisible();
  expect(await replayPixels()).toBe(0);

  expect(errors).toEqual([]);
});

test.describe('on a tablet', () => {
  test.use({ viewport: { width: 1024, height: 768 }, hasTouch: true });
  test('viewer: no pilot marker and no pilot position', async ({ page }) => {
    await signIn(page, USERS.viewer);
    await expect(page.getByTestId('drone-marker').first()).toBeVisible({ timeout: 30_000 });
    await page.getByTestId('track-list').getByText(UAS_ID).click();
    await expect(page.getByTestId('detail')).toContainText('not shown to your role');
    await expect(page.getByTestId('pilot-marker')).toHaveCount(0);
    await expect(page.getByTestId('home-marker')).toHaveCount(0);
    // What the API gave this browser: no pilot coordinates at all.
    const tracks = (await page.evaluate(async () => {
      const r = await fetch('/api/v1/tracks', { headers: { Authorization: `Bearer ${sessionStorage.getItem('skytrace.token')}` } });
      return r.json();
    })) as { operator_lat: number | null; home_lat: number | null }[];
    expect(tracks.length).toBeGreaterThan(0);
    for (const t of tracks) {
      expect(t.operator_lat).toBeNull();
      expect(t.home_lat).toBeNull();
    }
    await page.waitForTimeout(800);
    await shot(page, '08-viewer-no-pilot');
    // Viewers see zones but cannot draw them.
    await page.locator('#tab-zones').click();
    await expect(page.getByTestId('zone-item').first()).toBeVisible();
    await expect(page.getByRole('button', { name: '◯ Circle' })).toBeHidden();
    // The side panel folds away and gives the map the whole width.
    await page.getByTitle('Show or hide the side panel').click();
    await expect(page.locator('#side')).toBeHidden();
    await page.waitForTimeout(500);
    await shot(page, '09-tablet-side-collapsed');
  });
});

test('demo link signs in from #session= and removes the token from the address', async ({ page, request }) => {
  const r = await request.post(`${server.url}/api/v1/login`, {
    data: { username: USERS.operator.name, password: USERS.operator.password },
  });
  const { token } = (await r.json()) as { token: string };
  await page.goto(`${server.url}/#session=${encodeURIComponent(token)}`);
  await expect(page.locator('#who')).toHaveText('op · operator');
  expect(page.url()).not.toContain('session=');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();
});

test('zones: import a GeoJSON file, edit, delete; sensors panel', async ({ page }) => {
  await signIn(page, USERS.operator);
  await page.locator('#tab-zones').click();
  const before = await page.getByTestId('zone-item').count();
  const file = {
    type: 'FeatureCollection',
    features: [
      {
        type: 'Feature',
        properties: { name: 'Imported square', restriction: 'restricted', lower_m: 0, upper_m: 120 },
        geometry: {
          type: 'Polygon',
          coordinates: [[[10.436, 55.354], [10.440, 55.354], [10.440, 55.357], [10.436, 55.357], [10.436, 55.354]]],
        },
      },
    ],
  };
  await page.getByText('Import…').click();
  await page.locator('#zone-import-format').selectOption('geojson');
  await page.locator('#zone-import').setInputFiles({ name: 'square.geojson', mimeType: 'application/geo+json', buffer: Buffer.from(JSON.stringify(file)) });
  await expect(page.getByTestId('zone-item')).toHaveCount(before + 1);
  await expect(page.getByTestId('zone-item').filter({ hasText: 'Imported square' })).toContainText('0.0 m – 120.0 m');

  // Edit: rename and change the band.
  await page.getByTestId('zone-item').filter({ hasText: 'Imported square' }).click();
  await page.locator('input[name=name]').fill('Renamed square');
  await page.locator('input[name=upper_m]').fill('150');
  await shot(page, '10-zone-edit');
  await page.getByRole('button', { name: 'Save zone' }).click();
  await expect(page.getByTestId('zone-item').filter({ hasText: 'Renamed square' })).toContainText('150.0 m');

  // Delete.
  page.once('dialog', (d) => void d.accept());
  await page.getByTestId('zone-item').filter({ hasText: 'Renamed square' }).click();
  await page.getByRole('button', { name: 'Delete' }).click();
  await expect(page.getByTestId('zone-item')).toHaveCount(before);

  // Sensors: both registered sensors with their health.
  await page.locator('#tab-sensors').click();
  await expect(page.getByTestId('sensor-item')).toHaveCount(2);
  await expect(page.getByTestId('sensor-item').first()).toContainText(/online|stale|offline|degraded/);
  await shot(page, '11-sensors');
});
