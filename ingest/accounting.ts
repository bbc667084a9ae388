/**
 * Every row of a drop accounted for once: accepted (part of a published observation), rejected
 * with a reason, or a counted duplicate. A row can give several figures (two value columns, two
 * observations); its status is the best any of them reached, and it is counted in the first
 * aggregate that holds it.
 */
import { conflictRejection, repeatedRowDetail } from '../domain/duplicates.js';
import { MAX_COUNT } from '../domain/numbers.js';
import type { DropCounts, TallyEvent } from '../domain/events.js';
import { aggregateId, type Aggregate } from './aggregates.js';
import { observationRecorded, rowDuplicated, rowRejected, type DropContext } from './drop-events.js';

/** Ordered: a row's status only rises (a figure accepted outweighs a figure repeated). */
const enum RowStatus {
  Unseen = 0,
  Rejected = 1,
  Duplicate = 2,
  Accepted = 3,
}

/** One byte per row: its status in the low two bits, and whether it was counted yet. */
export class StatusBook {
  private bytes = new Uint8Array(1024);
  private static readonly COUNTED = 4;
  set(row: number, status: RowStatus): void {
    if (row >= this.bytes.length) {
      const grown = new Uint8Array(Math.max(row + 1, this.bytes.length * 2));
      grown.set(this.bytes);
      this.bytes = grown;
    }
    const held = this.bytes[row]!;
    if (status > (held & 3)) this.bytes[row] = (held & ~3) | status;
  }
  get(row: number): RowStatus {
    return ((this.bytes[row] ?? 0) & 3) as RowStatus;
  }
  /** True the first time a row is counted, false after. */
  count(row: number): boolean {
    const held = this.bytes[row] ?? 0;
    if (held & StatusBook.COUNTED) return false;
    this.set(row, held & 3);
    this.bytes[row] = this.bytes[row]! | StatusBook.COUNTED;
    return true;
  }
}

/** What one partition adds to the drop's counts. */
export type PartitionCounts = Omit<DropCounts, 'rows' | 'revisions'>;

/** Raises the status of every row of the partition's aggregates by their outcomes. */
function markRows(aggregates: Map<string, Aggregate>, status: StatusBook): void {
  for (const agg of aggregates.values()) {
    for (const r of agg.repeated ?? []) status.set(r.row, RowStatus.Duplicate);
    for (const c of agg.conflicts ?? []) status.set(c.row, RowStatus.Rejected);
    const kind = agg.outcome?.kind;
    const s = kind === 'publish' ? RowStatus.Accepted : kind === 'duplicate' ? RowStatus.Duplicate : RowStatus.Rejected;
    for (const row of agg.rows) status.set(row, s);
  }
}

/**
 * Counts the rows of one aggregate in `tally` and returns the event of each one not counted yet
 * (none for an accepted row): its rows first, then its repeated rows, then its conflicting rows.
 * Synchronous: most aggregates have no event, and a promise per aggregate cost more than the rest.
 */
function accountAggregate(agg: Aggregate, ctx: DropContext, status: StatusBook, tally: PartitionCounts, summing: boolean): TallyEvent[] | undefined {
  const obsId = agg.outcome && agg.outcome.kind !== 'reject' ? agg.outcome.observationId : aggregateId(ctx.source, agg);
  const repeatedOf = agg.repeated ? new Map(agg.repeated.map((r) => [r.row, r.of])) : undefined;
  const conflicting = agg.conflicts ? new Map(agg.conflicts.map((c) => [c.row, c])) : undefined;
  const account = (row: number): TallyEvent | undefined => {
    // A row is counted once, by its status byte.
    if (!status.count(row)) return undefined;
    const s = status.get(row);
    if (s === RowStatus.Accepted) tally.accepted++;
    else if (s === RowStatus.Duplicate) {
      tally.duplicates++;
      const of = repeatedOf?.get(row);
      return of === undefined && agg.outcome?.kind === 'duplicate'
        ? rowDuplicated(ctx, row, obsId, agg.outcome.reason, agg.outcome.detail)
        : rowDuplicated(ctx, row, obsId, 'repeated_row', repeatedRowDetail(of));
    } else if (s === RowStatus.Rejected && conflicting?.has(row)) {
      tally.rejected++;
      return rowRejected(ctx, row, conflictOf(agg, conflicting.get(row)!, summing));
    } else if (s === RowStatus.Rejected && agg.outcome?.kind === 'reject') {
      tally.rejected++;
      return rowRejected(ctx, row, { column: undefined, ...agg.outcome });
    }
    return undefined;
  };
  let events: TallyEvent[] | undefined;
  const emitFor = (row: number) => {
    const event = account(row);
    if (event) (events ??= []).push(event);
  };
  for (const row of agg.rows) emitFor(row);
  for (const r of agg.repeated ?? []) emitFor(r.row);
  for (const c of agg.conflicts ?? []) emitFor(c.row);
  return events;
}

/** The rejection of a row that gives an observation a second value, or a sum the store cannot hold exactly. */
function conflictOf(agg: Aggregate, c: NonNullable<Aggregate['conflicts']>[number], summing: boolean) {
  if (c.with) return { ...conflictRejection(agg.series, c.with, c, summing), rejection: 'conflict' as const };
  return {
    rejection: 'invalid_value' as const,
    expected: `a sum for ${agg.series} of at most ${MAX_COUNT}`,
    found: String(c.value),
    hint: `rows ${agg.rows.join(', ')} already add up to ${agg.value}; adding this row would pass 2^53 - 1, which the store cannot hold exactly`,
  };
}

/**
 * Emits a partition's observations (in aggregate order), then accounts for each aggregate's rows.
 * A row's figures all fall in one partition (drop-partitions.ts), so each row is counted here once.
 */
export async function emitOutcomes(
  aggregates: Map<string, Aggregate>,
  ctx: DropContext,
  status: StatusBook,
  emit: (event: TallyEvent) => Promise<void> | void,
  summing = false,
): Promise<PartitionCounts> {
  markRows(aggregates, status);
  const tally: PartitionCounts = { accepted: 0, rejected: 0, duplicates: 0, observations: 0 };
  for (const agg of aggregates.values()) {
    if (agg.outcome?.kind !== 'publish') continue;
    tally.observations++;
    // emit returns a promise only when it has to be waited for (a batch sent).
    const sent = emit(observationRecorded(ctx, agg.figure, agg.series, agg.value, agg.rows, agg.outcome.observationId));
    if (sent) await sent;
  }
  for (const agg of aggregates.values()) {
    for (const event of accountAggregate(agg, ctx, status, tally, summing) ?? []) {
      const sent = emit(event);
      if (sent) await sent;
    }
  }
  return tally;
}
