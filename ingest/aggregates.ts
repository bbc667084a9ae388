/**
 * The reduce side of a drop, one partition at a time: its entries become aggregates, one per
 * observation (rows summed, repeated or conflicting: domain/duplicates.ts; a sum past 2^53 - 1 is
 * refused like a conflict, since the store could not hold it exactly), and the copies of each
 * series are settled so that one stands for it (domain/copies.ts). What the event log says of the
 * ones kept is asked next (look-ups.ts), and every row is then accounted for (accounting.ts).
 */
import { settleCopies } from '../domain/copies.js';
import { groupBy } from '../domain/collections.js';
import { joinObservation } from '../domain/duplicates.js';
import type { RejectionKind, RowDuplicated } from '../domain/events.js';
import { MAX_COUNT } from '../domain/numbers.js';
import { observationId } from '../domain/series.js';
import { decodeEntry, observationKey } from './drop-partitions.js';
import type { RowFigure } from './normalise.js';
import type { SummedParts } from './parts.js';

/** What becomes of an aggregate: published, a duplicate of another observation, or rejected. */
export type AggregateOutcome =
  | { kind: 'publish'; observationId: string }
  | { kind: 'duplicate'; reason: RowDuplicated['reason']; detail: string; observationId: string }
  | { kind: 'reject'; rejection: RejectionKind; expected: string; found: string; hint: string };

export interface Aggregate {
  figure: RowFigure;
  series: string;
  round: string;
  assessment: string;
  /** The part of a total this aggregate is (FigureEntry.group): copies are settled within it, then the parts summed. */
  group: string;
  value: number;
  /** Per part summed in, in the same order: its row, part key, hash of its other cells, and value. */
  rows: number[];
  parts: number[];
  rests: number[];
  values: number[];
  /** Created on the first repeat or conflict only: most aggregates have none. */
  repeated?: Array<{ row: number; of: number }>;
  /**
   * Rows that give this observation a second value (`with` is the part they collide with), or
   * whose value would take the sum past what the store holds exactly (`with` undefined).
   */
  conflicts?: Array<{ row: number; value: number; with?: { row: number; value: number } }>;
  outcome?: AggregateOutcome;
}

/** The observation id of an aggregate's figure. */
export function aggregateId(source: string, agg: Aggregate): string {
  return observationId(source, agg.series, agg.value, agg.figure.unit);
}

/** Replays a partition's entries in row order: sums, repeats and conflicts as the rows come. */
export function aggregatePartition(lines: string[], summing: boolean): Map<string, Aggregate> {
  const aggregates = new Map<string, Aggregate>();
  for (const line of lines) {
    const e = decodeEntry(line);
    const key = observationKey(e);
    let agg = aggregates.get(key);
    if (!agg) {
      if (!e.figure) throw new Error(`partition entry for row ${e.row} (${key}) carries no figure; expected the first entry of an observation to carry one`);
      agg = { figure: e.figure, series: e.series, round: e.round, assessment: e.assessment, group: e.group, value: 0, rows: [], parts: [], rests: [], values: [] };
      aggregates.set(key, agg);
    }
    const join = joinObservation(agg, e.part, e.rest, summing);
    if (join.kind === 'repeated') {
      (agg.repeated ??= []).push({ row: e.row, of: join.of });
    } else if (join.kind === 'conflict') {
      (agg.conflicts ??= []).push({ row: e.row, value: e.value, with: { row: agg.rows[join.with]!, value: agg.values[join.with]! } });
    } else if (agg.value + e.value > MAX_COUNT) {
      (agg.conflicts ??= []).push({ row: e.row, value: e.value });
    } else {
      agg.parts.push(e.part);
      agg.rests.push(e.rest);
      agg.values.push(e.value);
      agg.rows.push(e.row);
      agg.value += e.value;
    }
  }
  return aggregates;
}

/**
 * BA/SA copies of one round and older rounds for the same date: keeps one aggregate per series
 * and gives every other copy its outcome. The parts of a total (one per operation: `group`) are
 * settled each on its own (an operation's rounds are its own), then summed into the first part's
 * aggregate, and the others leave `aggregates`. `summed` counts the totals of several parts.
 */
export function keepOneCopyPerSeries(aggregates: Map<string, Aggregate>, source: string, summed?: SummedParts): Aggregate[] {
  const settled = [...groupBy(aggregates.values(), (agg) => `${agg.series}|${agg.figure.unit}|${agg.group}`).values()].map((copies) => settleCopies(copies));
  const kept: Aggregate[] = [];
  for (const parts of groupBy(settled, (s) => `${s.winner.series}|${s.winner.figure.unit}`).values()) {
    const winner = parts[0]!.winner;
    for (const { winner: part } of parts.slice(1)) {
      sumInto(winner, part);
      aggregates.delete(observationKey({ ...part, unit: part.figure.unit }));
    }
    if (parts.length > 1 && summed) {
      summed.totals++;
      for (const { winner: part } of parts) summed.groups.add(part.group);
    }
    kept.push(winner);
    for (const { winner: own, others } of parts) {
      for (const { copy, outcome } of others) {
        copy.outcome =
          outcome.kind === 'duplicate'
            ? { ...outcome, observationId: aggregateId(source, winner) }
            : { ...outcome, rejection: copy.round === own.round ? 'copy_mismatch' : 'older_round' };
      }
    }
  }
  return kept;
}

/** Adds another part of a total to it: its rows, repeats and conflicts; past what the store holds exactly, its rows conflict. */
function sumInto(total: Aggregate, part: Aggregate): void {
  if (part.repeated) (total.repeated ??= []).push(...part.repeated);
  if (part.conflicts) (total.conflicts ??= []).push(...part.conflicts);
  if (total.value + part.value > MAX_COUNT) {
    (total.conflicts ??= []).push(...part.rows.map((row, i) => ({ row, value: part.values[i]! })));
    return;
  }
  total.rows.push(...part.rows);
  total.parts.push(...part.parts);
  total.rests.push(...part.rests);
  total.values.push(...part.values);
  total.value += part.value;
}
