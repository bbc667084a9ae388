/**
 * Rows of one drop that give the same observation (one series, round, assessment and unit). Where
 * a column says what they differ by (DTM's displacement reason: the sum-over column), they are
 * summed, each part once: the same part with the same value again is a repeated row, a duplicate.
 * Where nothing says to sum them, a second row is a conflict: it is rejected.
 *
 * ```ts
 * joinObservation({ parts: [17], rows: [4] }, 17, true);  // { kind: 'repeated', of: 4 }
 * joinObservation({ parts: [17], rows: [4] }, 23, false); // { kind: 'conflict' }
 * ```
 */

/** What an observation already holds: the parts summed into it and their rows, in the same order. */
export interface ObservationParts {
  /** A key of (sum-over cell, value) per part: equal keys are the same part reported again. */
  parts: readonly number[];
  rows: readonly number[];
}

/** How a row's figure joins its observation. */
export type RowJoin = { kind: 'summed' } | { kind: 'repeated'; of: number } | { kind: 'conflict' };

/** Whether a row's figure, with the part key `part`, is summed in, repeats a row, or conflicts. */
export function joinObservation(observation: ObservationParts, part: number, summing: boolean): RowJoin {
  const seenAt = observation.parts.indexOf(part);
  if (seenAt >= 0) return { kind: 'repeated', of: observation.rows[seenAt]! };
  if (!summing && observation.rows.length > 0) return { kind: 'conflict' };
  return { kind: 'summed' };
}

/** The detail of a repeated row's duplicate: the row it repeats, when known. */
export function repeatedRowDetail(of?: number): string {
  return of !== undefined ? `repeats row ${of}` : 'repeats an earlier row';
}

/** The rejection of a conflicting row: `first` is the observation's first row and its value. */
export function conflictRejection(series: string, first: { row: number; value: number }, found: number): { expected: string; found: string; hint: string } {
  return {
    expected: `one value for ${series}`,
    found: String(found),
    hint: `row ${first.row} already gives ${first.value} for the same place and date, and no column says the rows should be summed`,
  };
}
