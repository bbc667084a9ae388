import { describe, expect, it } from 'vitest';
import { conflictRejection, joinObservation, repeatedRowDetail } from '../../../domain/duplicates.js';

describe('joinObservation', () => {
  const held = { parts: [17, 23], rows: [4, 9] };

  it('sums the first row of an observation, whether or not the drop sums', () => {
    expect(joinObservation({ parts: [], rows: [] }, 17, true)).toEqual({ kind: 'summed' });
    expect(joinObservation({ parts: [], rows: [] }, 17, false)).toEqual({ kind: 'summed' });
  });

  it('sums a new part where a column says what the rows differ by', () => {
    expect(joinObservation(held, 31, true)).toEqual({ kind: 'summed' });
  });

  it('counts the same part again as a repeat of the row that gave it first', () => {
    expect(joinObservation(held, 23, true)).toEqual({ kind: 'repeated', of: 9 });
    expect(joinObservation(held, 17, false)).toEqual({ kind: 'repeated', of: 4 });
  });

  it('finds a conflict in another value where nothing says to sum', () => {
    expect(joinObservation(held, 31, false)).toEqual({ kind: 'conflict' });
  });
});

describe('repeatedRowDetail', () => {
  it('names the row repeated, when known', () => {
    expect(repeatedRowDetail(4)).toBe('repeats row 4');
    expect(repeatedRowDetail(undefined)).toBe('repeats an earlier row');
  });
});

describe('conflictRejection', () => {
  it('names the series, the value found and the row that gave the first', () => {
    expect(conflictRejection('idps|ML0101|sex=female|2020-01-02', { row: 4, value: 120 }, 130)).toEqual({
      expected: 'one value for idps|ML0101|sex=female|2020-01-02',
      found: '130',
      hint: 'row 4 already gives 120 for the same place and date, and no column says the rows should be summed',
    });
  });
});
