// Zone schedules in the console: the editor in the zone form ("Always", or periods with optional from/to
// date-times and weekly windows) and the short summary of the zone list ("Sat 14:00–20:00",
// "1 Jun–3 Jun 2026"). The wire form is the GeoJSON `properties.schedule` the server reads (types.ts).
//
// Times are entered in the browser's local time. Date-times are sent as UTC instants; weekly windows carry
// the browser's current UTC offset (shown under the editor), or keep the offset they were loaded with.

import type { SchedulePeriod, ScheduleWindow } from './types';
import { esc } from './format';

export const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
const DAY_NAMES = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** The browser's current offset from UTC, minutes (UTC+02:00 → 120). */
export const browserOffset = (): number => -new Date().getTimezoneOffset();

/** `UTC+02:00`, `UTC−05:30`, `UTC`. */
export function offsetText(min: number): string {
  if (min === 0) return 'UTC';
  const a = Math.abs(min);
  return `UTC${min < 0 ? '−' : '+'}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}

/** Days as ranges: `Mon–Fri`, `Sat, Sun` → `Sat–Sun`, `Mon, Wed`, every day → `Daily`. */
export function daysText(days: readonly string[]): string {
  const on = DAYS.map((d) => days.includes(d));
  if (on.every(Boolean)) return 'Daily';
  const parts: string[] = [];
  for (let i = 0; i < 7; i++) {
    if (!on[i]) continue;
    let j = i;
    while (j + 1 < 7 && on[j + 1]) j++;
    parts.push(j === i ? DAY_NAMES[i]! : j === i + 1 ? `${DAY_NAMES[i]}, ${DAY_NAMES[j]}` : `${DAY_NAMES[i]}–${DAY_NAMES[j]}`);
    i = j;
  }
  return parts.join(', ');
}

function windowText(w: ScheduleWindow): string {
  const to = w.to === '00:00' && w.from !== '00:00' ? '24:00' : w.to;
  const time = w.from === w.to ? 'all day' : `${w.from}–${to}`;
  const off = w.utc_offset_min ?? 0;
  return `${daysText(w.days)} ${time}${off === browserOffset() ? '' : ` ${offsetText(off)}`}`;
}

const pad = (n: number) => String(n).padStart(2, '0');
const atMidnight = (d: Date) => d.getHours() === 0 && d.getMinutes() === 0 && d.getSeconds() === 0;
const dayMonth = (d: Date) => `${d.getDate()} ${MONTHS[d.getMonth()]}`;

/**
 * `1 Jun–3 Jun 2026`, `6 Jun 2026`, `from 1 Jun 2026`, `until 3 Jun 2026`. When both ends fall on local
 * midnight the range is shown in whole days, the (exclusive) end as the last day it includes; otherwise
 * with times: `1 Jun 08:00–3 Jun 2026 20:00`.
 */
export function rangeText(start?: string, end?: string): string {
  const s = start ? new Date(start) : null;
  const e0 = end ? new Date(end) : null;
  if ((s && Number.isNaN(s.getTime())) || (e0 && Number.isNaN(e0.getTime()))) return 'dates unknown';
  const wholeDays = (!s || atMidnight(s)) && (!e0 || atMidnight(e0));
  const e = e0 && wholeDays ? new Date(e0.getTime() - 1) : e0;
  const t = (d: Date) => (wholeDays ? '' : ` ${pad(d.getHours())}:${pad(d.getMinutes())}`);
  if (s && e && e0) {
    if (wholeDays && s.toDateString() === e.toDateString()) return `${dayMonth(s)} ${s.getFullYear()}`;
    const sy = s.getFullYear() === e.getFullYear() ? '' : ` ${s.getFullYear()}`;
    return `${dayMonth(s)}${sy}${t(s)}–${dayMonth(e)} ${e.getFullYear()}${t(e0)}`;
  }
  if (s) return `from ${dayMonth(s)} ${s.getFullYear()}${t(s)}`;
  if (e && e0) return `until ${dayMonth(e)} ${e.getFullYear()}${t(e0)}`;
  return '';
}

/** One line for the zone list: `Always`, `Sat 14:00–20:00`, `1 Jun–3 Jun 2026`, periods joined by `; `. */
export function scheduleSummary(schedule: SchedulePeriod[] | null | undefined): string {
  if (!schedule) return 'schedule unknown';
  if (schedule.length === 0) return 'Always';
  return schedule
    .map((p) => {
      const parts = [rangeText(p.start, p.end), ...(p.windows ?? []).map(windowText)].filter((x) => x);
      return parts.length ? parts.join(', ') : 'Always';
    })
    .join('; ');
}

// ---- The editor ----------------------------------------------------------------------------------------

/** `YYYY-MM-DDTHH:MM` in local time, for a datetime-local input. */
function toLocalInput(iso: string | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

function windowRow(w: ScheduleWindow): string {
  const off = w.utc_offset_min ?? 0;
  return `<div class="sched-window" data-offset="${off}" data-testid="schedule-window">
    <div class="sched-days">${DAYS.map(
      (d, i) => `<label class="day"><input type="checkbox" value="${d}" ${w.days.includes(d) ? 'checked' : ''} aria-label="${DAY_NAMES[i]}" /><span>${DAY_NAMES[i]!.slice(0, 2)}</span></label>`,
    ).join('')}</div>
    <div class="sched-times">
      <label><span>From <span class="unit" title="The local time of this window">${offsetText(off)}</span></span><input type="time" name="w-from" value="${esc(w.from)}" required /></label>
      <label>To <input type="time" name="w-to" value="${esc(w.to === '24:00' ? '00:00' : w.to)}" required /></label>
      <button type="button" class="icon" data-act="del-window" title="Remove this window" aria-label="Remove window">×</button>
    </div>
  </div>`;
}

function periodCard(p: SchedulePeriod, i: number): string {
  return `<div class="sched-period" data-testid="schedule-period">
    <div class="sched-head"><b>Period ${i + 1}</b><button type="button" class="icon" data-act="del-period" title="Remove this period" aria-label="Remove period">×</button></div>
    <label>From (optional) <input type="datetime-local" name="p-start" value="${toLocalInput(p.start)}" /></label>
    <label>To (optional, exclusive) <input type="datetime-local" name="p-end" value="${toLocalInput(p.end)}" /></label>
    ${(p.windows ?? []).map(windowRow).join('')}
    <button type="button" data-act="add-window">+ Weekly window</button>
  </div>`;
}

/**
 * The schedule editor in `root` (a fieldset it fills). `set` loads a schedule, `get` reads what is entered
 * (`[]` for Always) or throws an error naming the problem.
 */
export class ScheduleEditor {
  constructor(private readonly root: HTMLElement) {
    root.innerHTML = `<legend>Schedule</legend>
      <div class="sched-mode" role="radiogroup" aria-label="Schedule">
        <label class="check"><input type="radio" name="sched-mode" value="always" checked /> Always</label>
        <label class="check"><input type="radio" name="sched-mode" value="periods" /> Only during…</label>
      </div>
      <div class="sched-periods" hidden></div>
      <button type="button" data-act="add-period" hidden>+ Period</button>
      <p class="hint sched-tz"></p>`;
    root.addEventListener('change', (e) => {
      const t = e.target as HTMLInputElement;
      if (t.name === 'sched-mode') {
        if (t.value === 'periods' && this.periods().length === 0) this.render([{ windows: [] }]);
        this.showMode();
      }
    });
    root.addEventListener('click', (e) => {
      const b = (e.target as HTMLElement).closest<HTMLButtonElement>('button[data-act]');
      if (!b) return;
      const ps = this.read(false);
      const cards = [...this.root.querySelectorAll('.sched-period')];
      const pi = cards.indexOf(b.closest('.sched-period')!);
      const act = b.dataset['act'];
      if (act === 'add-period') ps.push({ windows: [] });
      else if (act === 'del-period') ps.splice(pi, 1);
      else if (act === 'add-window') (ps[pi]!.windows ??= []).push({ days: ['sat'], from: '14:00', to: '20:00', utc_offset_min: browserOffset() });
      else if (act === 'del-window') {
        const rows = [...cards[pi]!.querySelectorAll('.sched-window')];
        ps[pi]!.windows!.splice(rows.indexOf(b.closest('.sched-window')!), 1);
      }
      this.render(ps);
      if (ps.length === 0) {
        (this.root.querySelector('input[value=always]') as HTMLInputElement).checked = true;
        this.showMode();
      }
    });
  }

  private periods(): Element[] {
    return [...this.root.querySelectorAll('.sched-period')];
  }

  private always(): boolean {
    return (this.root.querySelector('input[value=always]') as HTMLInputElement).checked;
  }

  private showMode(): void {
    const always = this.always();
    (this.root.querySelector('.sched-periods') as HTMLElement).hidden = always;
    (this.root.querySelector('[data-act=add-period]') as HTMLElement).hidden = always;
    this.root.querySelector('.sched-tz')!.textContent = always
      ? 'The zone applies at all times.'
      : `Times are local: ${offsetText(browserOffset())} (this browser). The zone applies during any period; an end is exclusive.`;
  }

  private render(ps: SchedulePeriod[]): void {
    this.root.querySelector('.sched-periods')!.innerHTML = ps.map(periodCard).join('');
  }

  set(schedule: SchedulePeriod[] | null | undefined): void {
    const ps = schedule ?? [];
    (this.root.querySelector(`input[value=${ps.length ? 'periods' : 'always'}]`) as HTMLInputElement).checked = true;
    this.render(ps);
    this.showMode();
  }

  /** What is entered; with `strict`, throws on an incomplete or inconsistent entry. */
  private read(strict: boolean): SchedulePeriod[] {
    return this.periods().map((card, i) => {
      const p: SchedulePeriod = {};
      const value = (n: string) => (card.querySelector(`input[name=${n}]`) as HTMLInputElement).value;
      // A datetime-local value is local time; the instant is sent in UTC.
      const instant = (v: string, what: string): string | undefined => {
        const d = new Date(v);
        if (!Number.isNaN(d.getTime())) return d.toISOString().replace(/\.000Z$/, 'Z');
        if (strict) throw new Error(`schedule period ${i + 1}: ${what} is not a date-time`);
        return undefined;
      };
      const start = value('p-start') ? instant(value('p-start'), 'from') : undefined;
      const end = value('p-end') ? instant(value('p-end'), 'to') : undefined;
      if (start) p.start = start;
      if (end) p.end = end;
      if (strict && p.start && p.end && Date.parse(p.end) <= Date.parse(p.start)) throw new Error(`schedule period ${i + 1}: "to" must be after "from"`);
      p.windows = [...card.querySelectorAll<HTMLElement>('.sched-window')].map((row, k) => {
        const days = [...row.querySelectorAll<HTMLInputElement>('.sched-days input:checked')].map((c) => c.value as ScheduleWindow['days'][number]);
        const from = (row.querySelector('input[name=w-from]') as HTMLInputElement).value;
        const to = (row.querySelector('input[name=w-to]') as HTMLInputElement).value;
        const where = `schedule period ${i + 1}, window ${k + 1}`;
        if (strict && days.length === 0) throw new Error(`${where}: tick at least one day`);
        if (strict && (!/^\d\d:\d\d$/.test(from) || !/^\d\d:\d\d$/.test(to))) throw new Error(`${where}: enter both times`);
        return { days, from, to, utc_offset_min: Number(row.dataset['offset'] ?? browserOffset()) };
      });
      if (p.windows.length === 0) delete p.windows;
      return p;
    });
  }

  /** The schedule to send: `[]` for Always. */
  get(): SchedulePeriod[] {
    return this.always() ? [] : this.read(true);
  }
}
