import { describe, expect, it } from 'vitest';
import type { Period } from '../../../domain/events.js';
import {
  addDays,
  checkPeriodLimits,
  dateLimits,
  STORE_DATES,
  daysBetween,
  flowBetween,
  overlaps,
  parseDate,
  parsePeriod,
  parsePeriodText,
  referenceDate,
  toFlow,
  toStock,
  unhcrYearPeriod,
} from '../../../domain/periods.js';

describe('parseDate', () => {
  it.each([
    '31/07/2019', '31-07-2019', '31.07.2019', '2019-07-31', '2019/07/31', '2019-07-31T00:00:00',
    '2019-07-31T00:00:00Z', '2019-07-31 00:00:00', '2019-07-31T10:20:30.123+00:00', ' 31/07/2019 ', '31/07/19',
  ])('reads %j as 2019-07-31', (raw) => {
    expect(parseDate(raw)).toEqual({ ok: true, value: '2019-07-31' });
  });

  it.each([['1/8/2019', '2019-08-01'], ['29/02/2020', '2020-02-29'], ['2000-02-29', '2000-02-29']])(
    'reads %j as %s',
    (raw, expected) => {
      expect(parseDate(raw)).toEqual({ ok: true, value: expected });
    },
  );

  it.each(['31/02/2019', '29/02/2019', '29/02/1900', '31/04/2019', '00/07/2019', '12/13/2019', '07/31/2019', '2019-13-01'])(
    'rejects %j, which is no day in the calendar',
    (raw) => {
      expect(parseDate(raw)).toEqual({ ok: false, expected: 'a date', found: raw, hint: 'no such day in the calendar' });
    },
  );

  it.each(['juillet 2019', '43677', '31/07-2019', '2019-07-31T25', 'yesterday', ''])('rejects %j, which is no day', (raw) => {
    expect(parseDate(raw)).toMatchObject({ ok: false, expected: 'a date', found: raw });
  });
});

describe('parsePeriodText', () => {
  const july = { start: '2019-07-01', end: '2019-07-31', precision: 'month' };
  it.each([
    'juillet 2019', 'Juillet 2019', 'JUILLET 2019', 'Juil. 2019', 'juil 2019', 'July 2019', 'Jul-19', 'Jul 2019',
    'jul. 19', '2019-07', '2019/07', '07/2019', '7/2019', 'juillet-2019',
  ])('reads %j as the month of July 2019', (raw) => {
    expect(parsePeriodText(raw)).toEqual({ ok: true, value: july });
  });

  it.each([
    ['août 2019', '2019-08-01', '2019-08-31'],
    ['aout 2019', '2019-08-01', '2019-08-31'],
    ['Aug-19', '2019-08-01', '2019-08-31'],
    ['décembre 2019', '2019-12-01', '2019-12-31'],
    ['DECEMBRE 2019', '2019-12-01', '2019-12-31'],
    ['déc. 2019', '2019-12-01', '2019-12-31'],
    ['février 2020', '2020-02-01', '2020-02-29'],
    ['Feb 2019', '2019-02-01', '2019-02-28'],
    ['janv. 2018', '2018-01-01', '2018-01-31'],
    ['mars 2024', '2024-03-01', '2024-03-31'],
    ['avr 2024', '2024-04-01', '2024-04-30'],
    ['mai 2020', '2020-05-01', '2020-05-31'],
    ['juin 2020', '2020-06-01', '2020-06-30'],
    ['Sept. 2019', '2019-09-01', '2019-09-30'],
    ['octobre 2019', '2019-10-01', '2019-10-31'],
    ['November 2019', '2019-11-01', '2019-11-30'],
  ])('reads %j as a month', (raw, start, end) => {
    expect(parsePeriodText(raw)).toEqual({ ok: true, value: { start, end, precision: 'month' } });
  });

  it.each(['T3 2019', 'Q3 2019', 'q3-2019', 'T3-19', '2019-Q3', '2019 T3', '3e trimestre 2019', '3ème trimestre 2019', '3rd quarter 2019'])(
    'reads %j as the third quarter of 2019',
    (raw) => {
      expect(parsePeriodText(raw)).toEqual({ ok: true, value: { start: '2019-07-01', end: '2019-09-30', precision: 'quarter' } });
    },
  );

  it.each([
    ['1er trimestre 2020', '2020-01-01', '2020-03-31'],
    ['T2 2020', '2020-04-01', '2020-06-30'],
    ['Q4 2019', '2019-10-01', '2019-12-31'],
  ])('reads %j as a quarter', (raw, start, end) => {
    expect(parsePeriodText(raw)).toEqual({ ok: true, value: { start, end, precision: 'quarter' } });
  });

  it('reads a year', () => {
    expect(parsePeriodText('2019')).toEqual({ ok: true, value: { start: '2019-01-01', end: '2019-12-31', precision: 'year' } });
  });

  it('reads a day as a one-day span', () => {
    expect(parsePeriodText('31/07/2019')).toEqual({ ok: true, value: { start: '2019-07-31', end: '2019-07-31', precision: 'day' } });
  });

  it('rejects an impossible day as a date', () => {
    expect(parsePeriodText('31/02/2019')).toEqual({ ok: false, expected: 'a date', found: '31/02/2019', hint: 'no such day in the calendar' });
  });

  it.each(['13/2019', 'T5 2019', 'Q0 2019', 'jui 2019', 'Juliet 2019', '19', '2019-2020', 'plus de 160 000', ''])(
    'rejects %j, naming it',
    (raw) => {
      expect(parsePeriodText(raw)).toMatchObject({ ok: false, expected: 'a date, month, quarter or year', found: raw });
    },
  );
});

describe('parsePeriod', () => {
  it.each<[string, Period['kind'], Period]>([
    ['T3 2019', 'stock', { kind: 'stock', date: '2019-09-30' }],
    ['juillet 2019', 'stock', { kind: 'stock', date: '2019-07-31' }],
    ['31/07/2019', 'stock', { kind: 'stock', date: '2019-07-31' }],
    ['2020', 'stock', { kind: 'stock', date: '2020-12-31' }],
    ['Jul-19', 'flow', { kind: 'flow', start: '2019-07-01', end: '2019-07-31' }],
    ['T3 2019', 'flow', { kind: 'flow', start: '2019-07-01', end: '2019-09-30' }],
    ['15/08/2019', 'flow', { kind: 'flow', start: '2019-08-15', end: '2019-08-15' }],
  ])('reads %j as a %s', (raw, kind, expected) => {
    expect(parsePeriod(raw, kind)).toEqual({ ok: true, value: expected });
  });

  it('passes a rejection through', () => {
    expect(parsePeriod('someday', 'stock')).toMatchObject({ ok: false, found: 'someday' });
  });

  it('dates a stock at the end of its range and a flow over all of it', () => {
    const range = { start: '2019-01-01', end: '2019-03-31', precision: 'quarter' } as const;
    expect(toStock(range)).toEqual({ kind: 'stock', date: '2019-03-31' });
    expect(toFlow(range)).toEqual({ kind: 'flow', start: '2019-01-01', end: '2019-03-31' });
  });
});

describe('flowBetween', () => {
  it.each([
    ['01/01/2018', '15/08/2019', '2018-01-01', '2019-08-15'],
    ['2017', 'mars 2024', '2017-01-01', '2024-03-31'],
    ['T1 2019', 'T1 2019', '2019-01-01', '2019-03-31'],
    ['juillet 2019', '31/07/2019', '2019-07-01', '2019-07-31'],
  ])('reads %j to %j', (from, to, start, end) => {
    expect(flowBetween(from, to)).toEqual({ ok: true, value: { kind: 'flow', start, end } });
  });

  it('rejects an end before the start', () => {
    expect(flowBetween('2019', '2018')).toEqual({
      ok: false,
      expected: 'an end on or after the start',
      found: '2019 – 2018',
      hint: 'the period would end on 2018-12-31, before it starts on 2019-01-01',
    });
  });

  it.each([['bientôt', '2019'], ['2019', '31/02/2019']])('rejects %j to %j on the bad side', (from, to) => {
    const bad = from === '2019' ? to : from;
    expect(flowBetween(from, to)).toMatchObject({ ok: false, found: bad });
  });
});

describe('unhcrYearPeriod', () => {
  it('dates a stock on 31 December', () => {
    expect(unhcrYearPeriod(2019, 'stock')).toEqual({ kind: 'stock', date: '2019-12-31' });
  });

  it('spans a flow over the calendar year', () => {
    expect(unhcrYearPeriod(2019, 'flow')).toEqual({ kind: 'flow', start: '2019-01-01', end: '2019-12-31' });
  });

  it.each([2019.5, 19, Number.NaN])('throws on %d, naming it', (year) => {
    expect(() => unhcrYearPeriod(year, 'stock')).toThrow(`expected a four-digit year, found ${year}`);
  });
});

describe('reference dates, overlaps and distances', () => {
  const q3: Period = { kind: 'flow', start: '2019-07-01', end: '2019-09-30' };
  const q4: Period = { kind: 'flow', start: '2019-10-01', end: '2019-12-31' };
  const july31: Period = { kind: 'stock', date: '2019-07-31' };

  it('takes a stock date or a flow end as the reference date', () => {
    expect(referenceDate(july31)).toBe('2019-07-31');
    expect(referenceDate(q3)).toBe('2019-09-30');
  });

  it.each<[Period, Period, boolean]>([
    [q3, q4, false],
    [q3, { kind: 'flow', start: '2019-09-30', end: '2019-10-15' }, true],
    [q3, july31, true],
    [july31, { kind: 'stock', date: '2019-07-31' }, true],
    [july31, { kind: 'stock', date: '2019-08-01' }, false],
    [{ kind: 'flow', start: '2017-01-01', end: '2024-03-31' }, q4, true],
  ])('overlaps(%j, %j) is %s, either way round', (a, b, expected) => {
    expect(overlaps(a, b)).toBe(expected);
    expect(overlaps(b, a)).toBe(expected);
  });

  it.each([
    ['2019-07-31', '2019-08-15', 15],
    ['2019-08-15', '2019-07-31', -15],
    ['2019-07-31', '2020-12-31', 519],
    ['2020-02-28', '2020-03-01', 2],
    ['2019-07-31', '2019-07-31', 0],
  ])('counts the days from %s to %s', (a, b, days) => {
    expect(daysBetween(a, b)).toBe(days);
  });

  it('throws on a date that is not YYYY-MM-DD', () => {
    expect(() => daysBetween('31/07/2019', '2019-08-15')).toThrow('expected a date YYYY-MM-DD, found "31/07/2019"');
  });
});

describe('dates the store can hold', () => {
  const store = dateLimits();
  const stock = (date: string): Period => ({ kind: 'stock', date });

  it('holds 1970-01-01 to 2105-12-31, what ClickHouse Date (and the projections) take', () => {
    expect(STORE_DATES).toEqual({ first: '1970-01-01', last: '2105-12-31' });
    expect(checkPeriodLimits(stock('1970-01-01'), store).ok).toBe(true);
    expect(checkPeriodLimits(stock('2105-12-31'), store).ok).toBe(true);
  });

  it('rejects 1965-12-31 and 2200-01-01, saying which end of the store they pass', () => {
    expect(checkPeriodLimits(stock('1965-12-31'), store)).toEqual({
      ok: false,
      expected: 'a date from 1970-01-01 to 2105-12-31',
      found: '1965-12-31',
      hint: 'before 1970-01-01, the first day the store holds',
    });
    expect(checkPeriodLimits(stock('2200-01-01'), store)).toMatchObject({ ok: false, hint: 'after 2105-12-31, the last day the store holds' });
  });

  it('rejects a flow that starts before the store does, even if it ends inside it', () => {
    expect(checkPeriodLimits({ kind: 'flow', start: '1969-01-01', end: '1975-12-31' }, store)).toMatchObject({ ok: false, found: '1969-01-01 – 1975-12-31' });
  });

  it('rejects a reference date past the horizon after the day the drop was received', () => {
    const limits = dateLimits('2026-12-01', 365);
    expect(limits).toEqual({ earliest: '1970-01-01', latest: '2027-12-01', horizon: { today: '2026-12-01', days: 365 } });
    expect(checkPeriodLimits(stock('2027-12-01'), limits).ok).toBe(true);
    expect(checkPeriodLimits(stock('2027-12-02'), limits)).toEqual({
      ok: false,
      expected: 'a date from 1970-01-01 to 2027-12-01',
      found: '2027-12-02',
      hint: 'more than 365 days after the drop was received (2026-12-01): a typo or a forecast, not a figure',
    });
    // A flow is dated by its end: the year it is reported in may still be running.
    expect(checkPeriodLimits({ kind: 'flow', start: '2026-01-01', end: '2026-12-31' }, limits).ok).toBe(true);
  });

  it('keeps to the store where the horizon reaches past it, and refuses a horizon that is not a whole number of days', () => {
    expect(dateLimits('2100-01-01', 10_000)).toEqual({ earliest: '1970-01-01', latest: '2105-12-31' });
    expect(() => dateLimits('2026-12-01', -1)).toThrow(/expected a whole number of days, at least 0, found -1/);
  });

  it('adds days across months and leap years', () => {
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
    expect(addDays('2023-12-31', 1)).toBe('2024-01-01');
    expect(addDays('2024-03-01', -1)).toBe('2024-02-29');
  });
});
