/**
 * Reads a whole drop into events, accounting for every row: each becomes part of an observation,
 * a rejection with a reason, or a counted duplicate (accepted + rejected + duplicates = rows).
 *
 * Rows of one place and round that differ only by the sum-over column (DTM's displacement reason)
 * are summed into one observation. Copies of a round from different assessments (BA/SA) are never
 * summed. A figure already recorded by an earlier drop is a duplicate, not a new observation.
 *
 * Map, then reduce. Mapping turns each row into a rejection or figure entries in the partition of
 * its place and reference date (drop-map.ts, map-threads.ts); a plain CSV is mapped by several
 * threads, one byte range each. Reducing settles one partition at a time, so memory holds one
 * partition's aggregates (plus one byte of status per row), however large the drop. The order of
 * the events depends on the drop and its partition count only, never on the number of threads, so
 * a retried attempt can skip exactly what an earlier one published.
 *
 * One partition is settled in four steps: its entries are summed into aggregates, one copy of each
 * series is kept (aggregates.ts), the kept ones are looked up in the event log (look-ups.ts), and
 * every row is accounted for (accounting.ts).
 */
import type { DropBreakdown, DropCounts, DropNotice, TallyEvent } from '../domain/events.js';
import { NoticeBook } from '../domain/notices.js';
import { dateLimits } from '../domain/periods.js';
import type { SourceProfile } from '../domain/profile.js';
import type { RawTable } from '../connectors/table.js';
import { emitOutcomes, StatusBook } from './accounting.js';
import { aggregatePartition, keepOneCopyPerSeries } from './aggregates.js';
import type { DropContext } from './drop-events.js';
import { countRevisions, NO_PRIOR_KNOWLEDGE, settleAgainstLog, type PriorKnowledge } from './look-ups.js';
import { mapDrop, type MapOptions } from './map-threads.js';
import { isSumming, planColumns } from './mapping.js';
import { oneCountryNotice } from './normalise.js';
import { summedPartsNotice, type SummedParts } from './parts.js';

export type { DropContext } from './drop-events.js';

export interface ProcessOptions extends MapOptions {
  prior?: PriorKnowledge;
  /** Partitions by place and reference date (drop-partitions.ts `partitionsFor`). @default 1 */
  partitions?: number;
  /** Called once every row is read (and its rejection emitted), before partitions are settled. */
  onMapped?: () => void;
  /**
   * The day the drop is read as of, YYYY-MM-DD (the activity passes the day it was received, so a
   * retried attempt reads it the same way); with `horizonDays`, a later reference date is rejected.
   */
  today?: string;
  /** Days after `today` a reference date may fall. @default no horizon, only what the store holds */
  horizonDays?: number;
}

/** A processed drop: its counts, what its summary says beyond them, and its duplicates and rejections by kind. */
export type ProcessedDrop = DropCounts & { notices: DropNotice[]; breakdown?: DropBreakdown };

/** Counts the duplicates by reason and the rejections by kind of the events that pass through. */
function counting(emit: (event: TallyEvent) => Promise<void> | void): { emit: typeof emit; breakdown: DropBreakdown } {
  const breakdown: DropBreakdown = { duplicates: {}, rejected: {} };
  return {
    breakdown,
    emit: (event) => {
      if (event.type === 'RowDuplicated') breakdown.duplicates[event.reason] = (breakdown.duplicates[event.reason] ?? 0) + 1;
      else if (event.type === 'RowRejected') {
        const kind = event.kind ?? 'other';
        breakdown.rejected[kind] = (breakdown.rejected[kind] ?? 0) + 1;
      }
      return emit(event);
    },
  };
}

/**
 * Streams the table, writes every event through `emit` (rejections first, in row order, then each
 * partition's observations and row outcomes) and returns the counts and notices.
 */
export async function processDrop(
  table: RawTable,
  profile: SourceProfile,
  ctx: DropContext,
  emit: (event: TallyEvent) => Promise<void> | void,
  options: ProcessOptions = {},
): Promise<ProcessedDrop> {
  const plan = { ...planColumns(table, profile), dates: dateLimits(options.today, options.horizonDays) };
  const counted = counting(emit);
  emit = counted.emit;
  const prior = options.prior ?? NO_PRIOR_KNOWLEDGE;
  const partitions = Math.max(1, options.partitions ?? 1);
  const mapped = await mapDrop({ table, plan, profile, ctx, emit, options, partitions });
  const rows = mapped.rows;
  options.onProgress?.(rows);
  options.onMapped?.();

  const summing = isSumming(plan);
  const status = new StatusBook();
  const history = (await prior.sourceHasOtherDrops?.(ctx.source, ctx.dropId)) ?? true;
  // The look-ups below send no event: keep reporting progress so a long drop's attempt stays alive.
  const alive = () => options.onProgress?.(rows);
  const totals = { accepted: 0, rejected: mapped.rejected, duplicates: 0, observations: 0, revisions: 0 };
  const summed: SummedParts = { groups: new Set(), totals: 0 };
  for (let p = 0; p < partitions; p++) {
    const aggregates = aggregatePartition(mapped.lines(p), summing);
    const kept = keepOneCopyPerSeries(aggregates, ctx.source, plan.wholes?.length ? summed : undefined);
    await settleAgainstLog(kept, ctx, history ? prior : NO_PRIOR_KNOWLEDGE, alive);
    if (history) totals.revisions += await countRevisions(kept, ctx, prior, alive);
    const counts = await emitOutcomes(aggregates, ctx, status, emit, summing);
    totals.accepted += counts.accepted;
    totals.rejected += counts.rejected;
    totals.duplicates += counts.duplicates;
    totals.observations += counts.observations;
    alive();
  }
  const notices = new NoticeBook();
  for (const n of plan.notices ?? []) notices.add(n.kind, n.detail, false);
  notices.merge(oneCountryNotice(mapped.notices));
  const parts = summedPartsNotice(plan, summed);
  if (parts) notices.add(parts.kind, parts.detail, false);
  return { rows, ...totals, notices: notices.list(), breakdown: counted.breakdown };
}
