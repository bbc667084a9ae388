/**
 * Rows of one drop that give the same observation (one series, round, assessment and unit). A
 * duplicate is the same observation and nothing else: a row repeats another only when it gives
 * the same part (the same cells in the columns summed over, e.g. DTM's displacement reason) and
 * its other cells are the same too (`rest`: a hash of every cell that is not part of the
 * observation's key, the value included). Where a column says what the rows differ by, different
 * parts are summed, each once. Anything else is a second value for one observation: a conflict,
 * rejected.
 *
 * ```ts
 * joinObservation({ parts: [17], rests: [5], rows: [4] }, 17, 5, true);  // { kind: 'repeated', of: 4 }
 * joinObservation({ parts: [17], rests: [5], rows: [4] }, 17, 6, true);  // { kind: 'conflict', with: 0 }
 * joinObservation({ parts: [17], rests: [5], rows: [4] }, 23, 6, false); // { kind: 'conflict', with: 0 }
 * ```
 */

/** What an observation already holds, one entry per part summed into it, in the same order. */
export interface ObservationParts {
  /** A key of the cells summed over: equal keys are the same part. */
  parts: readonly number[];
  /** A hash of the row's cells outside the observation's key (its value and unmapped cells included). */
  rests: readonly number[];
  rows: readonly number[];
}

/** How a row's figure joins its observation; `with` is the index of the part it conflicts with. */
export type RowJoin = { kind: 'summed' } | { kind: 'repeated'; of: number } | { kind: 'conflict'; with: number };

/** Whether a row's figure (part key `part`, other cells hashed to `rest`) is summed in, repeats a row, or conflicts. */
export function joinObservation(observation: ObservationParts, part: number, rest: number, summing: boolean): RowJoin {
  const seenAt = observation.parts.indexOf(part);
  if (seenAt >= 0) {
    return observation.rests[seenAt] === rest ? { kind: 'repeated', of: observation.rows[seenAt]! } : { kind: 'conflict', with: seenAt };
  }
  if (!summing && observation.rows.length > 0) return { kind: 'conflict', with: 0 };
  return { kind: 'summed' };
}

/** The detail of a repeated row's duplicate: the row it repeats, when known. */
export function repeatedRowDetail(of?: number): string {
  return of !== undefined ? `repeats row ${of}` : 'repeats an earlier row';
}

/** `conflict: 12 in row 4 vs 30 in row 9`: the row kept first, then the row rejected. */
export function conflictText(first: { row: number; value: number }, found: { row: number; value: number }): string {
  return `conflict: ${first.value} in row ${first.row} vs ${found.value} in row ${found.row}`;
}

/**
 * The rejection of a conflicting row. `summing`: the drop has columns that are summed over, and
 * the two rows agree on them.
 */
export function conflictRejection(
  series: string,
  first: { row: number; value: number },
  found: { row: number; value: number },
  summing = false,
): { expected: string; found: string; hint: string } {
  const why =
    first.value === found.value
      ? 'the same value, but the rows differ in other columns, so neither is a copy of the other'
      : summing
        ? 'the rows agree on every column that is summed over'
        : 'no column says the rows are summed';
  return { expected: `one value for ${series}`, found: String(found.value), hint: `${conflictText(first, found)}; ${why}` };
}
