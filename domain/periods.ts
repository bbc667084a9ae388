/**
 * Dates and periods as sources write them (`31/07/2019`, `juillet 2019`, `Jul-19`, `T3 2019`,
 * `2019`), read into ISO days and the event contract's Period.
 */
import type { Period } from './events.js';
import { BoundedMap } from './collections.js';
import { fail, ok, type Parsed } from './result.js';

export type Precision = 'day' | 'month' | 'quarter' | 'year';
/** A span of whole days, both ends inclusive, with the precision the source wrote it in. */
export type PeriodRange = { start: string; end: string; precision: Precision };

const EXPECTED_DATE = 'a date';
const EXPECTED_PERIOD = 'a date, month, quarter or year';
const PERIOD_EXAMPLES = 'for example 31/07/2019, 2019-07-31, juillet 2019, Jul-19, T3 2019 or 2019';

const DAY_FIRST = /^(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|\d{2})$/;
const ISO_TIME = /(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?/;
const YEAR_FIRST = new RegExp(`^(\\d{4})([/-])(\\d{1,2})\\2(\\d{1,2})${ISO_TIME.source}$`);

/** Month names and abbreviations, French and English, without accents. */
const MONTHS: Readonly<Record<string, number>> = {
  janvier: 1, janv: 1, jan: 1, january: 1,
  fevrier: 2, fevr: 2, fev: 2, feb: 2, february: 2,
  mars: 3, mar: 3, march: 3,
  avril: 4, avr: 4, apr: 4, april: 4,
  mai: 5, may: 5,
  juin: 6, jun: 6, june: 6,
  juillet: 7, juill: 7, juil: 7, jul: 7, july: 7,
  aout: 8, aou: 8, aug: 8, august: 8,
  septembre: 9, sept: 9, sep: 9, september: 9,
  octobre: 10, oct: 10, october: 10,
  novembre: 11, nov: 11, november: 11,
  decembre: 12, dec: 12, december: 12,
};

/**
 * One calendar day. Numeric dates are read day first, as French sources write them; a time of
 * day is ignored because a reporting date names a day, not an instant.
 */
export function parseDate(raw: string): Parsed<string> {
  const parts = dayParts(raw.trim());
  if (!parts) return fail(EXPECTED_DATE, raw, 'day first (31/07/2019) or ISO (2019-07-31)');
  const day = isoDay(...parts);
  return day ? ok(day) : fail(EXPECTED_DATE, raw, 'no such day in the calendar');
}

/** A day, month, quarter or year as the span of days it covers. */
export function parsePeriodText(raw: string): Parsed<PeriodRange> {
  const text = raw.trim();
  const day = parseDate(text);
  if (day.ok) return ok({ start: day.value, end: day.value, precision: 'day' });
  if (dayParts(text)) return day;
  const plain = text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
  const range = yearRange(plain) ?? monthRange(plain) ?? quarterRange(plain);
  return range ? ok(range) : fail(EXPECTED_PERIOD, raw, PERIOD_EXAMPLES);
}

/** A stock is dated at the end of the span it was reported for: `juillet 2019` is 2019-07-31. */
export function toStock(range: PeriodRange): Period {
  return { kind: 'stock', date: range.end };
}

export function toFlow(range: PeriodRange): Period {
  return { kind: 'flow', start: range.start, end: range.end };
}

/** Answers per distinct cell text and kind: a drop repeats a few thousand dates over millions of rows. */
const PERIODS = new BoundedMap<Parsed<Period>>(10_000);

/** A period from a cell. Results are shared: do not mutate them. */
export function parsePeriod(raw: string, kind: Period['kind']): Parsed<Period> {
  const key = `${kind}\u001f${raw}`;
  const known = PERIODS.get(key);
  if (known) return known;
  const result = parsePeriodUncached(raw, kind);
  PERIODS.set(key, result);
  return result;
}

function parsePeriodUncached(raw: string, kind: Period['kind']): Parsed<Period> {
  const range = parsePeriodText(raw);
  if (!range.ok) return range;
  return ok(kind === 'stock' ? toStock(range.value) : toFlow(range.value));
}

/** A flow from the start of the first period to the end of the second: `2017` to `mars 2024`. */
export function flowBetween(startRaw: string, endRaw: string): Parsed<Period> {
  const from = parsePeriodText(startRaw);
  if (!from.ok) return from;
  const to = parsePeriodText(endRaw);
  if (!to.ok) return to;
  if (to.value.end < from.value.start) {
    return fail('an end on or after the start', `${startRaw} – ${endRaw}`,
      `the period would end on ${to.value.end}, before it starts on ${from.value.start}`);
  }
  return ok({ kind: 'flow', start: from.value.start, end: to.value.end });
}

/** UNHCR reports a calendar year: the stock at its end, or the flow over it. */
export function unhcrYearPeriod(year: number, kind: Period['kind']): Period {
  if (!Number.isInteger(year) || year < 1000 || year > 9999) {
    throw new RangeError(`unhcrYearPeriod: expected a four-digit year, found ${year}`);
  }
  return kind === 'stock'
    ? { kind: 'stock', date: `${year}-12-31` }
    : { kind: 'flow', start: `${year}-01-01`, end: `${year}-12-31` };
}

/** The date a figure describes: a stock's date, or the end of a flow. */
export function referenceDate(p: Period): string {
  return p.kind === 'stock' ? p.date : p.end;
}

/** True when the two share at least one day (a stock is a one-day span). */
export function overlaps(a: Period, b: Period): boolean {
  const [aStart, aEnd] = bounds(a);
  const [bStart, bEnd] = bounds(b);
  return aStart <= bEnd && bStart <= aEnd;
}

/** Days from `a` to `b` (negative when `b` comes first). */
export function daysBetween(a: string, b: string): number {
  return (utcDay(b) - utcDay(a)) / 86_400_000;
}

function bounds(p: Period): [string, string] {
  return p.kind === 'stock' ? [p.date, p.date] : [p.start, p.end];
}

function utcDay(iso: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  if (!m || !isoDay(Number(m[1]), Number(m[2]), Number(m[3]))) {
    throw new RangeError(`daysBetween: expected a date YYYY-MM-DD, found ${JSON.stringify(iso)}`);
  }
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
}

/** [year, month, day] of a day-first or ISO date, unchecked against the calendar. */
function dayParts(text: string): [number, number, number] | undefined {
  const dmy = DAY_FIRST.exec(text);
  if (dmy) return [fullYear(dmy[4] ?? ''), Number(dmy[3]), Number(dmy[1])];
  const ymd = YEAR_FIRST.exec(text);
  if (ymd) return [Number(ymd[1]), Number(ymd[3]), Number(ymd[4])];
  return undefined;
}

function yearRange(text: string): PeriodRange | undefined {
  if (!/^\d{4}$/.test(text)) return undefined;
  return { start: `${text}-01-01`, end: `${text}-12-31`, precision: 'year' };
}

function monthRange(text: string): PeriodRange | undefined {
  const [year, month] = monthParts(text) ?? [];
  if (year === undefined || month === undefined || month < 1 || month > 12) return undefined;
  return { start: isoOf(year, month, 1), end: isoOf(year, month, daysInMonth(year, month)), precision: 'month' };
}

function monthParts(text: string): [number, number] | undefined {
  const ym = /^(\d{4})[/-](\d{1,2})$/.exec(text);
  if (ym) return [Number(ym[1]), Number(ym[2])];
  const my = /^(\d{1,2})[/.-](\d{4})$/.exec(text);
  if (my) return [Number(my[2]), Number(my[1])];
  const named = /^([a-z]+)\.?[\s.,/'-]*(\d{4}|\d{2})$/.exec(text);
  const month = named ? MONTHS[named[1] ?? ''] : undefined;
  return named && month ? [fullYear(named[2] ?? ''), month] : undefined;
}

function quarterRange(text: string): PeriodRange | undefined {
  const [year, quarter] = quarterParts(text) ?? [];
  if (year === undefined || quarter === undefined) return undefined;
  const last = quarter * 3;
  return { start: isoOf(year, last - 2, 1), end: isoOf(year, last, daysInMonth(year, last)), precision: 'quarter' };
}

function quarterParts(text: string): [number, number] | undefined {
  const qy = /^[tq]([1-4])[\s-]*(\d{4}|\d{2})$/.exec(text);
  if (qy) return [fullYear(qy[2] ?? ''), Number(qy[1])];
  const yq = /^(\d{4})[\s-]*[tq]([1-4])$/.exec(text);
  if (yq) return [Number(yq[1]), Number(yq[2])];
  const words = /^([1-4])\s*(?:er|re|e|eme|ieme|st|nd|rd|th)?\s+(?:trimestre|quarter)\s+(\d{4}|\d{2})$/.exec(text);
  if (words) return [fullYear(words[2] ?? ''), Number(words[1])];
  return undefined;
}

/** Two-digit years are this century's: the figures start in the 2010s. */
function fullYear(y: string): number {
  return y.length === 2 ? 2000 + Number(y) : Number(y);
}

function isoDay(year: number, month: number, day: number): string | undefined {
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  return isoOf(year, month, day);
}

function isoOf(year: number, month: number, day: number): string {
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

function daysInMonth(year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return month === 2 ? (leap ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/**
 * The days the store holds: ClickHouse's Date starts on 1970-01-01, and the projections keep to
 * 2105-12-31 (below the end of 18.16's Date and of DateTime in 2106), so an accepted period is
 * never refused or wrapped around by ClickHouse.
 */
export const STORE_DATES = { first: '1970-01-01', last: '2105-12-31' } as const;

/** The reference dates a drop may give: what the store holds, and no further than a horizon after "today". */
export interface DateLimits {
  earliest: string;
  latest: string;
  /** Set when the horizon, not the store, gives `latest`. */
  horizon?: { today: string; days: number };
}

/**
 * The limits for a drop read on `today` (YYYY-MM-DD, passed in: the domain reads no clock) with
 * figures at most `horizonDays` after it. Without `today`, only the store's range.
 */
export function dateLimits(today?: string, horizonDays?: number): DateLimits {
  if (today === undefined || horizonDays === undefined) return { earliest: STORE_DATES.first, latest: STORE_DATES.last };
  if (!Number.isInteger(horizonDays) || horizonDays < 0) {
    throw new RangeError(`dateLimits: expected a whole number of days, at least 0, found ${horizonDays}`);
  }
  const latest = addDays(today, horizonDays);
  return latest < STORE_DATES.last
    ? { earliest: STORE_DATES.first, latest, horizon: { today, days: horizonDays } }
    : { earliest: STORE_DATES.first, latest: STORE_DATES.last };
}

/** The period itself when every day it names is within the limits, else why not. */
export function checkPeriodLimits(period: Period, limits: DateLimits): Parsed<Period> {
  const [start, end] = bounds(period);
  const shown = period.kind === 'stock' ? period.date : `${period.start} – ${period.end}`;
  const expected = `a date from ${limits.earliest} to ${limits.latest}`;
  if (start < limits.earliest) return fail(expected, shown, `before ${limits.earliest}, the first day the store holds`);
  if (end <= limits.latest) return ok(period);
  if (!limits.horizon) return fail(expected, shown, `after ${limits.latest}, the last day the store holds`);
  const { today, days } = limits.horizon;
  return fail(expected, shown, `more than ${days} days after the drop was received (${today}): a typo or a forecast, not a figure`);
}

/** `iso` plus `days` (may be negative). */
export function addDays(iso: string, days: number): string {
  return new Date(utcDay(iso) + days * 86_400_000).toISOString().slice(0, 10);
}
