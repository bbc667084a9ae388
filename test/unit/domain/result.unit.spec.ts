import { describe, expect, it } from 'vitest';
import { describeFailure, fail, ok } from '../../../domain/result.js';

describe('parse results', () => {
  it('wraps a value', () => {
    expect(ok(12)).toEqual({ ok: true, value: 12 });
  });

  it('leaves out a hint that is not given', () => {
    expect(fail('a count', 'abc')).toEqual({ ok: false, expected: 'a count', found: 'abc' });
    expect(Object.keys(fail('a count', 'abc'))).not.toContain('hint');
  });

  it('keeps a hint that is given', () => {
    expect(fail('a count', '140 8001', 'a footnote marker?')).toEqual({ ok: false, expected: 'a count', found: '140 8001', hint: 'a footnote marker?' });
  });

  it('describes a failure in one sentence', () => {
    expect(describeFailure(fail('a count', '140 8001', 'a footnote marker glued to the number?'))).toBe(
      'expected a count, found "140 8001" (a footnote marker glued to the number?)',
    );
    expect(describeFailure(fail('a date', ''))).toBe('expected a date, found ""');
  });
});
