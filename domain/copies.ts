/**
 * Which copy of a series a drop's figure is, when one drop reports the same place and date more
 * than once: in several rounds, or in the baseline (BA) and site assessment (SA) of one round.
 * Copies are never summed. The latest round wins, and within a round BA before SA; every other
 * copy is a duplicate (same round, same value) or a rejection (an older round, or another value).
 *
 * ```ts
 * const { winner, others } = settleCopies([sa, ba, olderRound]);
 * // winner: ba; others: [{ copy: sa, outcome: { kind: 'duplicate', … } }, { copy: olderRound, outcome: { kind: 'reject', … } }]
 * ```
 */

/** One copy of a series: the round and assessment that reported it, its value and its rows. */
export interface SeriesCopy {
  round: string;
  /** `BA`, `SA`, another assessment type, or '' when the drop does not say. */
  assessment: string;
  value: number;
  /** The drop's rows summed into it; the first one orders copies that tie on everything else. */
  rows: readonly number[];
}

/** What becomes of a copy that did not win. */
export type CopyOutcome =
  | { kind: 'duplicate'; reason: 'assessment_copy'; detail: string }
  | { kind: 'reject'; expected: string; found: string; hint: string };

/** The copies of one series: the one that stands for it, and what becomes of each other one. */
export interface SettledCopies<T extends SeriesCopy> {
  winner: T;
  others: Array<{ copy: T; outcome: CopyOutcome }>;
}

/** The number in a round's name (`R47` → 47; no digit → 0); -1 when its digits make no number (`1.2.3`). */
export function roundNumber(round: string): number {
  const n = Number(round.replace(/[^0-9.]/g, ''));
  return Number.isFinite(n) ? n : -1;
}

/** Latest round first; within a round a baseline (BA) before a site assessment (SA), then by name. */
export function compareCopies(a: SeriesCopy, b: SeriesCopy): number {
  const byRound = roundNumber(b.round) - roundNumber(a.round);
  if (byRound !== 0) return byRound;
  const rank = (s: string) => (s === 'BA' ? 0 : s === '' ? 1 : 2);
  return rank(a.assessment) - rank(b.assessment) || a.assessment.localeCompare(b.assessment) || (a.rows[0] ?? 0) - (b.rows[0] ?? 0);
}

/** What becomes of `other`, a copy of the same series as `winner`. */
export function copyOutcome(winner: SeriesCopy, other: SeriesCopy): CopyOutcome {
  if (other.round !== winner.round) {
    return {
      kind: 'reject',
      expected: `round ${winner.round} only`,
      found: `round ${other.round}`,
      hint: `round ${winner.round} reports the same place and date; the latest round is the current figure`,
    };
  }
  if (other.value === winner.value) {
    return {
      kind: 'duplicate',
      reason: 'assessment_copy',
      detail: `${other.assessment || 'another'} copy of round ${other.round || '?'} with the same count as ${winner.assessment || 'the first'}`,
    };
  }
  return {
    kind: 'reject',
    expected: `the same count as the ${winner.assessment || 'first'} copy of round ${other.round || '?'} (${winner.value})`,
    found: String(other.value),
    hint: 'copies of one round are never summed; this one disagrees',
  };
}

/** Settles the copies of one series (at least one); the copies are not reordered. */
export function settleCopies<T extends SeriesCopy>(copies: readonly T[]): SettledCopies<T> {
  const [winner, ...others] = [...copies].sort(compareCopies);
  if (!winner) throw new Error('settleCopies: expected at least one copy of a series, found none');
  return { winner, others: others.map((copy) => ({ copy, outcome: copyOutcome(winner, copy) })) };
}
