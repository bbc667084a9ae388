import { describe, expect, it } from 'vitest';
import { compareCopies, copyOutcome, roundNumber, settleCopies, type SeriesCopy } from '../../../domain/copies.js';

const copy = (round: string, assessment: string, value: number, firstRow = 1): SeriesCopy & { name: string } => ({
  name: `${assessment || '-'}${round}@${firstRow}`,
  round,
  assessment,
  value,
  rows: [firstRow],
});

describe('roundNumber', () => {
  it('reads the number in a round name', () => {
    expect(roundNumber('47')).toBe(47);
    expect(roundNumber('R47')).toBe(47);
    expect(roundNumber('Round 4.5')).toBe(4.5);
  });

  it('gives 0 to a round without digits and -1 to digits that make no number', () => {
    expect(roundNumber('')).toBe(0);
    expect(roundNumber('pilot')).toBe(0);
    expect(roundNumber('1.2.3')).toBe(-1);
  });
});

describe('compareCopies', () => {
  const order = (...copies: Array<ReturnType<typeof copy>>) => [...copies].sort(compareCopies).map((c) => c.name);

  it('puts the latest round first, whatever the assessment', () => {
    expect(order(copy('46', 'BA', 1), copy('47', 'SA', 1))).toEqual(['SA47@1', 'BA46@1']);
    expect(order(copy('R9', 'BA', 1), copy('R10', 'BA', 1))).toEqual(['BAR10@1', 'BAR9@1']);
  });

  it('within a round, puts BA first, then a copy without assessment, then the others by name', () => {
    expect(order(copy('47', 'SA', 1), copy('47', 'XX', 1), copy('47', '', 1), copy('47', 'BA', 1))).toEqual(['BA47@1', '-47@1', 'SA47@1', 'XX47@1']);
  });

  it('breaks a tie by the first row', () => {
    expect(order(copy('47', 'BA', 1, 9), copy('R47', 'BA', 1, 3))).toEqual(['BAR47@3', 'BA47@9']);
    expect(compareCopies({ round: '1', assessment: 'BA', value: 1, rows: [] }, copy('1', 'BA', 1, 5))).toBe(-5);
  });
});

describe('copyOutcome', () => {
  it.each([
    {
      rule: 'rejects a copy of an older round, naming the round that stands',
      winner: copy('47', 'BA', 10),
      other: copy('46', 'BA', 10),
      outcome: { kind: 'reject', expected: 'round 47 only', found: 'round 46', hint: 'round 47 reports the same place and date; the latest round is the current figure' },
    },
    {
      rule: 'counts another copy of the same round with the same value as an assessment copy',
      winner: copy('47', 'BA', 10),
      other: copy('47', 'SA', 10),
      outcome: { kind: 'duplicate', reason: 'assessment_copy', detail: 'SA copy of round 47 with the same count as BA' },
    },
    {
      rule: 'rejects another copy of the same round with another value: copies are never summed',
      winner: copy('47', 'BA', 10),
      other: copy('47', 'SA', 12),
      outcome: { kind: 'reject', expected: 'the same count as the BA copy of round 47 (10)', found: '12', hint: 'copies of one round are never summed; this one disagrees' },
    },
  ])('$rule', ({ winner, other, outcome }) => {
    expect(copyOutcome(winner, other)).toEqual(outcome);
  });

  it('still reads without a round or an assessment', () => {
    expect(copyOutcome(copy('', 'SA', 10), copy('', '', 10))).toMatchObject({ detail: 'another copy of round ? with the same count as SA' });
    expect(copyOutcome(copy('', '', 10), copy('', 'SA', 10))).toMatchObject({ detail: 'SA copy of round ? with the same count as the first' });
    expect(copyOutcome(copy('', '', 10), copy('', 'SA', 12))).toMatchObject({ expected: 'the same count as the first copy of round ? (10)' });
  });
});

describe('settleCopies', () => {
  it('keeps the winner and gives every other copy its outcome, in rank order', () => {
    const ba = copy('47', 'BA', 10, 2);
    const sa = copy('47', 'SA', 10, 1);
    const other = copy('47', 'SA2', 11, 3);
    const older = copy('46', 'BA', 9, 4);
    const { winner, others } = settleCopies([older, sa, other, ba]);
    expect(winner).toBe(ba);
    expect(others.map((o) => [o.copy.name, o.outcome.kind])).toEqual([
      ['SA47@1', 'duplicate'],
      ['SA247@3', 'reject'],
      ['BA46@4', 'reject'],
    ]);
  });

  it('leaves the copies it is given in their order', () => {
    const copies = [copy('46', 'BA', 9), copy('47', 'BA', 10)];
    settleCopies(copies);
    expect(copies.map((c) => c.name)).toEqual(['BA46@1', 'BA47@1']);
  });

  it('keeps a lone copy with nothing to settle', () => {
    const only = copy('47', 'SA', 10);
    expect(settleCopies([only])).toEqual({ winner: only, others: [] });
  });

  it('refuses a series without copies', () => {
    expect(() => settleCopies([])).toThrow('settleCopies: expected at least one copy of a series, found none');
  });
});
