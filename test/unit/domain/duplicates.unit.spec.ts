import { describe, expect, it } from 'vitest';
import { conflictRejection, conflictText, joinObservation, repeatedRowDetail } from '../../../domain/duplicates.js';

describe('joinObservation', () => {
  // Two parts already summed: part 17 from row 4 (its other cells hash to 100), part 23 from row 9.
  const held = { parts: [17, 23], rests: [100, 200], rows: [4, 9] };

  it('sums the first row of an observation, whether or not the drop sums', () => {
    expect(joinObservation({ parts: [], rests: [], rows: [] }, 17, 100, true)).toEqual({ kind: 'summed' });
    expect(joinObservation({ parts: [], rests: [], rows: [] }, 17, 100, false)).toEqual({ kind: 'summed' });
  });

  it('sums a new part where a column says what the rows differ by', () => {
    expect(joinObservation(held, 31, 300, true)).toEqual({ kind: 'summed' });
  });

  it('counts the same part with the same other cells as a repeat of the row that gave it first', () => {
    expect(joinObservation(held, 23, 200, true)).toEqual({ kind: 'repeated', of: 9 });
    expect(joinObservation(held, 17, 100, false)).toEqual({ kind: 'repeated', of: 4 });
  });

  it('never takes a row whose other cells differ (its value, an unmapped column) for a repeat: it conflicts', () => {
    // Same part (same displacement reason), another value or another unmapped cell: not the same observation again.
    expect(joinObservation(held, 23, 201, true)).toEqual({ kind: 'conflict', with: 1 });
    expect(joinObservation(held, 17, 101, false)).toEqual({ kind: 'conflict', with: 0 });
  });

  it('finds a conflict in another part where nothing says to sum', () => {
    expect(joinObservation(held, 31, 300, false)).toEqual({ kind: 'conflict', with: 0 });
  });
});

describe('repeatedRowDetail', () => {
  it('names the row repeated, when known', () => {
    expect(repeatedRowDetail(4)).toBe('repeats row 4');
    expect(repeatedRowDetail(undefined)).toBe('repeats an earlier row');
  });
});

describe('conflictRejection', () => {
  it('says "conflict: 12 in row 4 vs 30 in row 9" and names the series', () => {
    expect(conflictText({ row: 4, value: 12 }, { row: 9, value: 30 })).toBe('conflict: 12 in row 4 vs 30 in row 9');
    expect(conflictRejection('idps|ML0101|sex=f|2020-01-02', { row: 4, value: 12 }, { row: 9, value: 30 })).toEqual({
      expected: 'one value for idps|ML0101|sex=f|2020-01-02',
      found: '30',
      hint: 'conflict: 12 in row 4 vs 30 in row 9; no column says the rows are summed',
    });
  });

  it('says why when the rows agree on the summed columns, or give the same value from rows that differ', () => {
    expect(conflictRejection('s', { row: 4, value: 12 }, { row: 9, value: 30 }, true).hint).toBe(
      'conflict: 12 in row 4 vs 30 in row 9; the rows agree on every column that is summed over',
    );
    expect(conflictRejection('s', { row: 4, value: 12 }, { row: 9, value: 12 }).hint).toMatch(/^conflict: 12 in row 4 vs 12 in row 9; the same value, but the rows differ in other columns/);
  });
});
