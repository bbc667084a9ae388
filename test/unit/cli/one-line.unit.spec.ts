/**
 * Messages are capped: the CLI's one line (MAX_LINE_CHARS), a drop's reason (MAX_REASON_CHARS),
 * and the list of columns a drop without a recognisable value column names.
 */
import { describe, expect, it } from 'vitest';
import { MAX_LINE_CHARS, oneLine } from '../../../cli/context.js';
import { capText, describeList, DropUnusableError, MAX_REASON_CHARS } from '../../../domain/errors.js';
import { planColumns } from '../../../ingest/mapping.js';
import { getProfile, loadProfiles } from '../../../connectors/profiles.js';
import type { RawTable } from '../../../connectors/table.js';

function table(headers: string[]): RawTable {
  return { fileName: 'wide.csv', format: 'csv', headers, headerRowNumber: 1, meta: {}, rows: { async *[Symbol.asyncIterator]() {} } };
}

describe('oneLine', () => {
  it('folds newlines and caps the line at 300 characters', () => {
    expect(MAX_LINE_CHARS).toBe(300);
    expect(oneLine('tally: Code: 81\n   DB::Exception: no\r\nsuch table')).toBe('tally: Code: 81 DB::Exception: no such table');
    const long = oneLine(`tally: ${'x'.repeat(1_000_000)}`);
    expect(long).toHaveLength(300);
    expect(long.endsWith('…')).toBe(true);
  });

  it('never cuts a surrogate pair in two', () => {
    const text = `${'a'.repeat(298)}😀😀`;
    const cut = capText(text, 300);
    expect(cut.length).toBeLessThanOrEqual(300);
    expect(cut).toBe(`${'a'.repeat(298)}…`);
    expect(() => encodeURIComponent(cut)).not.toThrow();
  });
});

describe('describeList', () => {
  it('quotes the first items, at most 20 within 60 characters, then says how many more', () => {
    const names = Array.from({ length: 200_000 }, (_, i) => `col${i}`);
    expect(describeList(names)).toBe('"col0", "col1", "col2", "col3", "col4", "col5", "col6" and 199993 more');
    expect(describeList(names, 20, 1000)).toContain('"col19" and 199980 more');
    expect(describeList(names, 20, 1000)).not.toContain('col20"');
    expect(describeList(['foo', 'bar'])).toBe('"foo", "bar"');
  });

  it('cuts each name to 40 characters, and always shows the first', () => {
    expect(describeList(['y'.repeat(20_000_000)])).toBe(`"${'y'.repeat(39)}…"`);
    expect(describeList(['y'.repeat(20_000_000), 'z'.repeat(50)])).toBe(`"${'y'.repeat(39)}…" and 1 more`);
  });
});

describe('a drop of 200,000 unrecognised columns', () => {
  it('is refused with the first column names and how many more, in one line of at most 300 characters', () => {
    const headers = Array.from({ length: 200_000 }, (_, i) => `unknown_${i}`);
    let error: unknown;
    try {
      planColumns(table(headers), getProfile('dtm', loadProfiles()));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DropUnusableError);
    const message = (error as Error).message;
    expect(message).toMatch(/^wide\.csv: no recognisable value column for source dtm: .* found headers "unknown_0", "unknown_1", /);
    expect(message).toMatch(/"unknown_3" and 199996 more$/);
    expect(message.length).toBeLessThan(MAX_REASON_CHARS);
    // The whole message fits the CLI's line: nothing of it is cut, the count included.
    expect(`tally: ${message}`.length).toBeLessThanOrEqual(300);
    expect(oneLine(`tally: ${message}`)).toBe(`tally: ${message}`);
  });
});

describe('DropUnusableError', () => {
  it(`keeps at most ${MAX_REASON_CHARS} characters of a message, in one line`, () => {
    const error = new DropUnusableError(`huge.csv: ${'z'.repeat(20_000_000)}\nsecond line`, 'huge.csv');
    expect(error.message.length).toBe(MAX_REASON_CHARS);
    expect(error.message).not.toContain('\n');
  });
});
