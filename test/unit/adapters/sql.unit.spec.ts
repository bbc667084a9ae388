import { describe, expect, it } from 'vitest';
import {
  quoteDate,
  quoteDateTime,
  quoteIdentifier,
  quoteNumber,
  quoteString,
  quoteStringList,
  quoteTable,
  SqlValueError,
  toClickHouseDateTime,
} from '../../../adapters/sql.js';

/** Reads a quoted literal back the way ClickHouse's lexer does: it must end exactly at the last quote. */
function unquote(literal: string): string {
  expect(literal.startsWith("'")).toBe(true);
  let out = '';
  for (let i = 1; i < literal.length; i++) {
    const c = literal[i]!;
    if (c === '\\') {
      out += literal[++i];
    } else if (c === "'") {
      expect(i).toBe(literal.length - 1);
      return out;
    } else out += c;
  }
  throw new Error(`unterminated literal ${literal}`);
}

describe('quoteString', () => {
  const nasty = [
    "ML05' OR 1=1 --",
    "'; DROP TABLE x; --",
    'C:\\path\\',
    "\\'; DROP TABLE observations; --",
    'a /* comment */ b -- rest',
    "it's",
    'Ségou, Tombouctou – 日本語 🇲🇱',
    '\\',
    "'",
    '',
    'line\nbreak\ttab',
  ];
  it.each(nasty)('keeps %j inside one literal and reads back unchanged', (s) => {
    expect(unquote(quoteString(s))).toBe(s);
  });

  it('escapes backslash before quote, so \\\' cannot end the literal', () => {
    expect(quoteString("\\'")).toBe("'\\\\\\''");
  });

  it('refuses NUL, lone surrogates and non-strings', () => {
    expect(() => quoteString('a\u0000b')).toThrow(SqlValueError);
    expect(() => quoteString('\uD800x')).toThrow(/well-formed Unicode/);
    expect(() => quoteString(42 as unknown as string)).toThrow(/expected a string, found 42/);
  });
});

describe('quoteIdentifier', () => {
  it('backquotes whitelisted names', () => {
    expect(quoteIdentifier('observations')).toBe('`observations`');
    expect(quoteIdentifier('_x9')).toBe('`_x9`');
    expect(quoteTable('test_db', 'figures')).toBe('`test_db`.`figures`');
  });
  it.each(['', '9lives', 'a-b', 'a b', 'x`; DROP TABLE y', 'db.table', "x'", 'é', 'a--', 'a/*'])('refuses %j', (name) => {
    expect(() => quoteIdentifier(name)).toThrow(SqlValueError);
  });
});

describe('quoteDate', () => {
  it('wraps a calendar date in toDate', () => {
    expect(quoteDate('2019-07-31')).toBe("toDate('2019-07-31')");
  });
  it.each(['2019-02-30', '2019-7-31', '31/07/2019', "2019-07-31'; --", '1969-12-31', '2019-07-31T00:00:00Z', ''])('refuses %j', (d) => {
    expect(() => quoteDate(d)).toThrow(/expected a date YYYY-MM-DD/);
  });
});

describe('quoteDateTime', () => {
  it('converts to UTC seconds', () => {
    expect(quoteDateTime('2019-07-31T12:34:56Z')).toBe("toDateTime('2019-07-31 12:34:56', 'UTC')");
    expect(quoteDateTime('2019-07-31T12:34:56.789+02:00')).toBe("toDateTime('2019-07-31 10:34:56', 'UTC')");
    expect(quoteDateTime('2019-07-31T12:34')).toBe("toDateTime('2019-07-31 12:34:00', 'UTC')");
    expect(quoteDateTime('2019-07-31')).toBe("toDateTime('2019-07-31 00:00:00', 'UTC')");
  });
  it.each(['2019-07-31 12:00:00', 'yesterday', '2019-13-01T00:00:00Z', "2019-07-31T00:00:00Z' OR 1=1", '1960-01-01T00:00:00Z'])('refuses %j', (s) => {
    expect(() => quoteDateTime(s)).toThrow(SqlValueError);
    // Refusals are never remembered as answers.
    expect(() => quoteDateTime(s)).toThrow(SqlValueError);
  });
  it('answers the same for a time seen before, and past the bound of remembered times', () => {
    const times = Array.from({ length: 3000 }, (_, i) => new Date(Date.UTC(2019, 6, 31) + i * 1000).toISOString());
    const first = times.map((t) => toClickHouseDateTime(t));
    expect(first[0]).toBe('2019-07-31 00:00:00');
    expect(first[2999]).toBe('2019-07-31 00:49:59');
    expect(times.map((t) => toClickHouseDateTime(t))).toEqual(first);
    expect(toClickHouseDateTime('2019-07-31T02:00:00+02:00')).toBe('2019-07-31 00:00:00');
  });
});

describe('quoteNumber', () => {
  it('writes finite numbers', () => {
    expect(quoteNumber(171000)).toBe('171000');
    expect(quoteNumber(-0.069)).toBe('-0.069');
    expect(quoteNumber(-0)).toBe('0');
    expect(quoteNumber(1e21)).toBe('1e+21');
  });
  it.each([NaN, Infinity, -Infinity, '1; DROP TABLE x' as unknown as number])('refuses %j', (n) => {
    expect(() => quoteNumber(n)).toThrow(/expected a finite number/);
  });
});

describe('quoteStringList', () => {
  it('quotes each element', () => {
    expect(quoteStringList(['dtm', "o'k"])).toBe("('dtm', 'o\\'k')");
  });
  it('refuses an empty list', () => {
    expect(() => quoteStringList([])).toThrow(/non-empty list/);
  });
});
