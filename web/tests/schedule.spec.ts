// Zone schedules in the console: draw a circle, give it a weekly window and a date range in the browser's
// local time (Zurich, UTC+01:00 in winter), see the summary and whether it applies now in the list, then edit
// it back to "Always". Screenshots in test-results/.

import { expect, test, type Page } from '@playwright/test';
import { USERS, serverForThisFile, shot } from './server';

const server = serverForThisFile();
test.use({ timezoneId: 'Europe/Zurich' });

/** The `properties.schedule` of the zone sent by the next save, and the server's answer. */
async function saveZone(page: Page): Promise<{ sent: unknown; answer: { schedule: unknown; active_now: boolean } }> {
  const req = page.waitForRequest((r) => /\/api\/v1\/zones(\/\d+)?$/.test(r.url()) && ['POST', 'PUT'].includes(r.method()));
  const resp = page.waitForResponse((r) => /\/api\/v1\/zones(\/\d+)?$/.test(r.url()) && ['POST', 'PUT'].includes(r.request().method()));
  await page.getByRole('button', { name: 'Save zone' }).click();
  const body = (await req).postDataJSON() as { properties: { schedule?: unknown } };
  const r = await resp;
  expect(r.status(), await r.text()).toBe(200);
  return { sent: body.properties.schedule, answer: (await r.json()) as { schedule: unknown; active_now: boolean } };
}

test('zone schedule: weekly window and date range, summary, back to always', async ({ page }) => {
  test.setTimeout(90_000);
  await page.goto(server.url);
  await page.getByLabel('User name').fill(USERS.operator.name);
  await page.getByLabel('Password').fill(USERS.operator.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.locator('#stream-status')).toHaveAttribute('data-state', 'live');
  await page.locator('#tab-zones').click();

  // A circle in the middle of the map.
  await page.getByRole('button', { name: '◯ Circle' }).click();
  const map = await page.locator('#map').boundingBox();
  if (!map) throw new Error('no map');
  const cx = map.x + map.width / 2;
  const cy = map.y + map.height / 2;
  await page.mouse.click(cx, cy);
  await page.mouse.click(cx + 100, cy);
  await page.locator('input[name=name]').fill('Stadium');

  // "Always" by default; "Only during…" opens one period; a weekly window on Saturdays 14:00-20:00.
  const editor = page.locator('#zone-schedule');
  await expect(editor.getByLabel('Always')).toBeChecked();
  await expect(editor).toContainText('The zone applies at all times.');
  await editor.getByLabel('Only during…').check();
  await expect(editor.getByTestId('schedule-period')).toHaveCount(1);
  await expect(editor).toContainText('Times are local: UTC+01:00 (this browser)');
  await editor.getByRole('button', { name: '+ Weekly window' }).click();
  const win = editor.getByTestId('schedule-window');
  await win.getByLabel('Mon').check();
  await win.getByLabel('Mon').uncheck();
  await win.getByLabel('Sat').check();
  await win.locator('input[name=w-from]').fill('14:00');
  await win.locator('input[name=w-to]').fill('20:00');

  // A window without a day is refused before anything is sent.
  await win.getByLabel('Sat').uncheck();
  await page.getByRole('button', { name: 'Save zone' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'schedule period 1, window 1: tick at least one day' })).toBeVisible();
  await win.getByLabel('Sat').check();

  // A second period: the airshow, 1 to 3 June 2026 (to 4 June 00:00 local, exclusive).
  await editor.getByRole('button', { name: '+ Period' }).click();
  const airshow = editor.getByTestId('schedule-period').nth(1);
  await airshow.locator('input[name=p-start]').fill('2026-06-01T00:00');
  await airshow.locator('input[name=p-end]').fill('2026-06-04T00:00');
  await editor.scrollIntoViewIfNeeded();
  await shot(page, '20-zone-schedule-form');

  const { sent, answer } = await saveZone(page);
  // Summer time in Zurich: 00:00 local is 22:00 UTC the day before.
  const want = [
    { windows: [{ days: ['sat'], from: '14:00', to: '20:00', utc_offset_min: 60 }] },
    { start: '2026-05-31T22:00:00Z', end: '2026-06-03T22:00:00Z' },
  ];
  expect(sent).toEqual(want);
  expect(answer.schedule).toEqual(want);
  const item = page.getByTestId('zone-item').filter({ hasText: 'Stadium' });
  await expect(item.getByTestId('zone-schedule')).toContainText('Sat 14:00–20:00; 1 Jun–3 Jun 2026');
  await expect(item.locator('.sched-state')).toHaveText(answer.active_now ? 'active' : 'inactive');
  await shot(page, '21-zone-schedule-list');

  // Edit: the form shows the schedule as saved; back to "Always".
  await item.click();
  await expect(editor.getByLabel('Only during…')).toBeChecked();
  await expect(editor.getByTestId('schedule-period')).toHaveCount(2);
  await expect(editor.getByTestId('schedule-window').getByLabel('Sat')).toBeChecked();
  await expect(editor.getByTestId('schedule-window').getByLabel('Sun')).not.toBeChecked();
  await expect(editor.getByTestId('schedule-window').locator('input[name=w-from]')).toHaveValue('14:00');
  await expect(editor.getByTestId('schedule-period').nth(1).locator('input[name=p-end]')).toHaveValue('2026-06-04T00:00');
  await editor.getByLabel('Always').check();
  const back = await saveZone(page);
  expect(back.sent).toBeUndefined();
  expect(back.answer).toMatchObject({ schedule: [], active_now: true });
  await expect(item.getByTestId('zone-schedule')).toContainText('Always');
  await expect(item.locator('.sched-state')).toHaveText('active');
  await shot(page, '22-zone-schedule-always');
});
