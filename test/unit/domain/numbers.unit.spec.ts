import { describe, expect, it } from 'vitest';
import { isNotAvailable, MAX_COUNT, parseCount, parsePeople } from '../../../domain/numbers.js';

const NBSP = '\u00a0';
const NARROW_NBSP = '\u202f';

describe('parseCount', () => {
  it.each([
    ['171000', 171000],
    ['0', 0],
    ['137 096', 137096],
    [`137${NBSP}096`, 137096],
    [`137${NARROW_NBSP}096`, 137096],
    [`4${NBSP}000${NBSP}000`, 4000000],
    ['137.096', 137096],
    ['137,096', 137096],
    ['1,234', 1234],
    ['1.234', 1234],
    ['1.234.567', 1234567],
    ['1,234,567', 1234567],
    ['1,234,567.5', 1234567.5],
    ['1.234.567,5', 1234567.5],
    ['1 234,5', 1234.5],
    ['1234,5', 1234.5],
    ['1234.5', 1234.5],
    ['1234.56', 1234.56],
    ['1234,567', 1234.567],
    ['0,5', 0.5],
    ['0,123', 0.123],
    ['0.000', 0],
    ['  12 166 ', 12166],
  ])('reads %j as %d', (raw, expected) => {
    expect(parseCount(raw)).toEqual({ ok: true, value: expected });
  });

  it.each([171000, 0, 12.5])('passes the number %d through', (n) => {
    expect(parseCount(n)).toEqual({ ok: true, value: n });
  });

  it('reads -0 as 0', () => {
    expect(Object.is((parseCount(-0) as { value: number }).value, 0)).toBe(true);
  });

  it.each([
    '', '   ', '-', '–', 'n/d', 'N/D', 'nd', 'NA', 'N/A', 'n.d.', 'Not available', 'non disponible', '..', null, undefined,
  ])('reads %j as not available (null, not 0)', (raw) => {
    expect(parseCount(raw)).toEqual({ ok: true, value: null });
  });

  it.each([
    ['140 8001', 'a footnote marker glued to the number?'],
    ['137 0962', 'a footnote marker glued to the number?'],
    ['140 800¹', 'a footnote marker glued to the number?'],
    ['140 800*', 'a footnote marker glued to the number?'],
    ['0 123', 'digit groups after a thousands separator have exactly 3 digits'],
    ['12 34', 'digit groups after a thousands separator have exactly 3 digits'],
    ['1,234,56', 'digit groups after a thousands separator have exactly 3 digits'],
    ['1.2.3', 'digit groups after a thousands separator have exactly 3 digits'],
    ['abc', 'letters are not part of a count'],
    ['12a', 'letters are not part of a count'],
    ['-5', 'a count cannot be negative'],
    ['−1 200', 'a count cannot be negative'],
    ['1,234.5.6', 'more than one decimal separator'],
    ['1,5 000', 'only digits may follow the decimal separator'],
    ['1 234.567,5', 'mixes thousands separators'],
    ['12%', 'a percentage, not a count'],
    ['6,9 %', 'a percentage, not a count'],
    ['1..5', 'digit groups after a thousands separator have exactly 3 digits'],
    ['.5', 'digits with space, dot or comma separators'],
    ['5.', 'digits with space, dot or comma separators'],
    ['+5', 'digits with space, dot or comma separators'],
  ])('rejects %j, naming it', (raw, hint) => {
    expect(parseCount(raw)).toEqual({ ok: false, expected: 'a count', found: raw, hint });
  });

  it('never reads "140 8001" as 1408001', () => {
    const parsed = parseCount('140 8001');
    expect(parsed.ok).toBe(false);
  });

  it.each([
    [-3, 'a count cannot be negative'],
    [Number.NaN, 'not a finite number'],
    [Number.POSITIVE_INFINITY, 'not a finite number'],
  ])('rejects the number %d', (n, hint) => {
    expect(parseCount(n)).toEqual({ ok: false, expected: 'a count', found: String(n), hint });
  });
});

describe('isNotAvailable', () => {
  it.each(['n/d', ' NA ', '', '-', null, undefined])('is true for %j', (raw) => {
    expect(isNotAvailable(raw)).toBe(true);
  });

  it.each(['0', 0, '12', 'abc'])('is false for %j', (raw) => {
    expect(isNotAvailable(raw)).toBe(false);
  });
});

describe('parsePeople: numbers as exports write them', () => {
  it.each(['nan', 'NaN', 'None', 'null', 'NULL', 'N/A', '#N/A', '', '  '])('reads %j as not available (null, not 0)', (raw) => {
    expect(parsePeople(raw)).toEqual({ ok: true, value: null });
  });

  it.each([
    ['6563.0', 6563],
    ['6563.00', 6563],
    ['0.0', 0],
    ['1,234', 1234],
    ['137 096', 137096],
    ['1.000', 1000],
  ])('reads %j as %d people', (raw, value) => {
    expect(parsePeople(raw)).toEqual({ ok: true, value });
  });

  it.each(['6563.5', '1.5', '1,5', '1234,56', '0,5'])('rejects %j: a count of people is whole, never rounded', (raw) => {
    expect(parsePeople(raw)).toEqual({ ok: false, expected: 'a whole number of people', found: raw, hint: 'a count of people has no fraction' });
  });

  it('still rejects what is not a count at all, with the count rule', () => {
    expect(parsePeople('140 8001')).toMatchObject({ ok: false, expected: 'a count', hint: 'a footnote marker glued to the number?' });
  });

  it('rejects the number 12.5 from a spreadsheet cell', () => {
    expect(parsePeople(12.5)).toMatchObject({ ok: false, expected: 'a whole number of people', found: '12.5' });
  });
});

describe('parseCount: what the store can hold', () => {
  const tooLarge = /^more than 9,007,199,254,740,991 \(2\^53 - 1\), which the store cannot hold exactly$/;

  it('holds every count up to 2^53 - 1 exactly', () => {
    expect(MAX_COUNT).toBe(2 ** 53 - 1);
    expect(parseCount('9007199254740991')).toEqual({ ok: true, value: 9007199254740991 });
    expect(parseCount('9 007 199 254 740 991')).toEqual({ ok: true, value: 9007199254740991 });
    expect(parseCount('000000000000000000012')).toEqual({ ok: true, value: 12 });
  });

  it.each(['9007199254740992', '9007199254740993', '99999999999999999999', '99,999,999,999,999,999,999', '10000000000000000.5'])(
    'rejects %j rather than round it',
    (raw) => {
      const parsed = parseCount(raw);
      expect(parsed).toMatchObject({ ok: false, expected: 'a count', found: raw });
      expect(parsed.ok ? '' : parsed.hint).toMatch(tooLarge);
    },
  );

  it('rejects a 400-digit cell, never as Infinity, and shows it shortened', () => {
    const raw = '9'.repeat(400);
    const parsed = parseCount(raw);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.hint).toMatch(tooLarge);
    expect(parsed.found).toBe(`${'9'.repeat(20)}…${'9'.repeat(8)} (400 characters)`);
  });

  it.each([2 ** 53, 1e20, Number.MAX_VALUE])('rejects the spreadsheet number %d', (n) => {
    expect(parseCount(n)).toMatchObject({ ok: false, expected: 'a count', found: String(n) });
  });
});
