import { describe, expect, it } from 'vitest';
import { breakdownText, summarise } from '../../../cli/ingest.js';
import type { IngestDropResult } from '../../../workflows/index.js';

const result: IngestDropResult = {
  dropId: 'a'.repeat(64),
  source: 'dtm',
  fileName: 'drop.csv',
  status: 'processed',
  rows: 10,
  accepted: 4,
  rejected: 4,
  duplicates: 2,
  observations: 3,
  revisions: 0,
  figures: 3,
  discrepancies: 0,
  resolved: 0,
  breakdown: { duplicates: { repeated_row: 1, assessment_copy: 1 }, rejected: { conflict: 1, invalid_value: 3 } },
};

describe('tally ingest summary', () => {
  it('carries the duplicates by reason and the rejections by kind', () => {
    expect(summarise(result, 'w').breakdown).toEqual(result.breakdown);
  });

  it('says them in one line, leaving out what has none', () => {
    expect(breakdownText(result.breakdown)).toBe('duplicates: repeated_row 1, assessment_copy 1; rejected: conflict 1, invalid_value 3');
    expect(breakdownText({ duplicates: {}, rejected: { no_value: 2 } })).toBe('rejected: no_value 2');
    expect(breakdownText({ duplicates: {}, rejected: {} })).toBe('');
    expect(breakdownText(undefined)).toBe('');
  });
});
