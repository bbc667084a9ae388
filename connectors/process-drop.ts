/**
 * Reads a whole drop into events, accounting for every row: each becomes part of an observation,
 * a rejection with a reason, or a counted duplicate (accepted + rejected + duplicates = rows).
 *
 * Rows of one place and round that differ only by the sum-over column (DTM's displacement reason)
 * are summed into one observation. Copies of a round from different assessments (BA/SA) are never
 * summed. A figure already recorded by an earlier drop is a duplicate, not a new observation.
 * Memory grows with the number of observations, not rows (one byte of status per row).
 */
import type { ObservationRecorded, RowDuplicated, RowRejected, TallyEvent } from '../domain/events.js';
import type { SourceProfile } from '../domain/profile.js';
import { groupKey, observationId, seriesKey, shortHash } from '../domain/series.js';
import { planColumns } from './mapping.js';
import { normaliseRow, rejectionReason, type RowFigure } from './normalise.js';
import type { RawTable } from './table.js';

export interface DropContext {
  dropId: string;
  source: string;
  fileName: string;
  receivedAt: string;
}

export interface DropCounts {
  rows: number;
  accepted: number;
  rejected: number;
  duplicates: number;
  observations: number;
  revisions: number;
}

/** What the event log already holds for this source, asked in batches. */
export interface PriorKnowledge {
  /**
   * For each observation id already recorded by another drop, that drop's id. `series` are the
   * series keys the ids belong to (an observation id implies its series), so a store can narrow
   * the search by them.
   */
  recordedElsewhere(ids: string[], dropId: string, series?: string[]): Promise<Map<string, string>>;
  /** Series keys this source already reported (with any value): a new value there is a revision. */
  knownSeries(keys: string[], source: string, dropId: string): Promise<Set<string>>;
  /**
   * Whether any other drop of this source recorded an observation. When none did, no figure can
   * be a duplicate of an earlier drop or a revision, and the batched look-ups are skipped.
   */
  sourceHasOtherDrops?(source: string, dropId: string): Promise<boolean>;
}

export const NO_PRIOR_KNOWLEDGE: PriorKnowledge = {
  recordedElsewhere: async () => new Map(),
  knownSeries: async () => new Set(),
};

const enum RowStatus {
  Unseen = 0,
  Rejected = 1,
  Duplicate = 2,
  Accepted = 3,
}

interface Aggregate {
  figure: RowFigure;
  series: string;
  round: string;
  assessment: string;
  value: number;
  rows: number[];
  /** Hashes of (sum-over, value) already added: the same pair again is a repeated row. */
  parts: number[];
  /** Created on the first repeat or conflict only: most aggregates have none. */
  repeated?: Array<{ row: number; of: number }>;
  /** Rows that give this place and date another value where nothing says they should be summed. */
  conflicts?: Array<{ row: number; value: number }>;
  outcome?: { kind: 'publish'; observationId: string } | { kind: 'duplicate'; reason: RowDuplicated['reason']; detail: string; observationId: string } | { kind: 'reject'; expected: string; found: string; hint: string };
}

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** One byte per row: its status in the low two bits, and whether it was counted yet. */
class StatusBook {
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

export interface ProcessOptions {
  prior?: PriorKnowledge;
  /** Called every `progressEvery` rows. */
  onProgress?: (rowsRead: number) => void;
  progressEvery?: number;
}

/**
 * Streams the table, writes every event through `emit` (rejections as they come, observations and
 * duplicates at the end) and returns the counts.
 */
export async function processDrop(
  table: RawTable,
  profile: SourceProfile,
  ctx: DropContext,
  emit: (event: TallyEvent) => Promise<void> | void,
  options: ProcessOptions = {},
): Promise<DropCounts> {
  const plan = planColumns(table, profile);
  const prior = options.prior ?? NO_PRIOR_KNOWLEDGE;
  const progressEvery = options.progressEvery ?? 10_000;
  const status = new StatusBook();
  const summing = plan.roles.sumOver !== undefined;
  const aggregates = new Map<string, Aggregate>();
  let rows = 0;
  let rejected = 0;

  for await (const row of table.rows) {
    rows++;
    if (options.onProgress && rows % progressEvery === 0) options.onProgress(rows);
    const outcome = normaliseRow(row, plan, profile);
    if (outcome.kind === 'rejected') {
      status.set(row.rowNumber, RowStatus.Rejected);
      rejected++;
      await emit(rowRejected(ctx, row.rowNumber, outcome));
      continue;
    }
    for (const figure of outcome.figures) {
      const series = seriesKey(figure.indicator, figure.area.pcode, figure.period, figure.disaggregation);
      const key = `${series}|${outcome.context.round}|${outcome.context.assessment}|${figure.unit}`;
      let agg = aggregates.get(key);
      if (!agg) {
        agg = { figure, series, round: outcome.context.round, assessment: outcome.context.assessment, value: 0, rows: [], parts: [] };
        aggregates.set(key, agg);
      }
      const part = fnv1a(`${outcome.context.sumOver}\u001f${figure.value}`);
      const seenAt = agg.parts.indexOf(part);
      if (seenAt >= 0) {
        (agg.repeated ??= []).push({ row: row.rowNumber, of: agg.rows[seenAt]! });
        status.set(row.rowNumber, RowStatus.Duplicate);
        continue;
      }
      if (!summing && agg.rows.length > 0) {
        (agg.conflicts ??= []).push({ row: row.rowNumber, value: figure.value });
        status.set(row.rowNumber, RowStatus.Rejected);
        continue;
      }
      agg.parts.push(part);
      agg.rows.push(row.rowNumber);
      agg.value += figure.value;
    }
  }
  options.onProgress?.(rows);

  const kept = settleCopies(aggregates, ctx.source);
  const history = (await prior.sourceHasOtherDrops?.(ctx.source, ctx.dropId)) ?? true;
  // The look-ups below send no event: keep reporting progress so a long drop's attempt stays alive.
  const alive = () => options.onProgress?.(rows);
  await settleAgainstLog(kept, ctx, history ? prior : NO_PRIOR_KNOWLEDGE, alive);
  const revisions = history ? await countRevisions(kept, ctx, prior, alive) : 0;
  return emitOutcomes(aggregates, ctx, status, emit, { rows, rejectedEarly: rejected, revisions });
}

/** BA/SA copies of one round and older rounds for the same date: keep one aggregate per series. */
function settleCopies(aggregates: Map<string, Aggregate>, source: string): Aggregate[] {
  const bySeries = new Map<string, Aggregate[]>();
  for (const agg of aggregates.values()) {
    const key = `${agg.series}|${agg.figure.unit}`;
    const list = bySeries.get(key);
    if (list) list.push(agg);
    else bySeries.set(key, [agg]);
  }
  const kept: Aggregate[] = [];
  for (const list of bySeries.values()) {
    list.sort(compareCopies);
    const [winner, ...others] = list;
    kept.push(winner!);
    for (const other of others) {
      if (other.round !== winner!.round) {
        other.outcome = { kind: 'reject', expected: `round ${winner!.round} only`, found: `round ${other.round}`, hint: `round ${winner!.round} reports the same place and date; the latest round is the current figure` };
      } else if (other.value === winner!.value) {
        other.outcome = {
          kind: 'duplicate',
          reason: 'assessment_copy',
          detail: `${other.assessment || 'another'} copy of round ${other.round || '?'} with the same count as ${winner!.assessment || 'the first'}`,
          observationId: observationId(source, winner!.series, winner!.value, winner!.figure.unit),
        };
      } else {
        other.outcome = {
          kind: 'reject',
          expected: `the same count as the ${winner!.assessment || 'first'} copy of round ${other.round || '?'} (${winner!.value})`,
          found: String(other.value),
          hint: 'copies of one round are never summed; this one disagrees',
        };
      }
    }
  }
  return kept;
}

function roundNumber(round: string): number {
  const n = Number(round.replace(/[^0-9.]/g, ''));
  return Number.isFinite(n) ? n : -1;
}

/** Latest round first; within a round a baseline (BA) before a site assessment (SA), then by name. */
function compareCopies(a: Aggregate, b: Aggregate): number {
  const byRound = roundNumber(b.round) - roundNumber(a.round);
  if (byRound !== 0) return byRound;
  const rank = (s: string) => (s === 'BA' ? 0 : s === '' ? 1 : 2);
  return rank(a.assessment) - rank(b.assessment) || a.assessment.localeCompare(b.assessment) || (a.rows[0] ?? 0) - (b.rows[0] ?? 0);
}

async function settleAgainstLog(kept: Aggregate[], ctx: DropContext, prior: PriorKnowledge, alive: () => void): Promise<void> {
  for (let i = 0; i < kept.length; i += 1000) {
    alive();
    const batch = kept.slice(i, i + 1000);
    const ids = batch.map((agg) => observationId(ctx.source, agg.series, agg.value, agg.figure.unit));
    const elsewhere = await prior.recordedElsewhere(ids, ctx.dropId, batch.map((agg) => agg.series));
    batch.forEach((agg, j) => {
      const id = ids[j]!;
      const earlier = elsewhere.get(id);
      agg.outcome = earlier
        ? { kind: 'duplicate', reason: 'earlier_drop', detail: `the same figure was recorded from drop ${earlier.slice(0, 12)}`, observationId: id }
        : { kind: 'publish', observationId: id };
    });
  }
}

async function countRevisions(kept: Aggregate[], ctx: DropContext, prior: PriorKnowledge, alive: () => void): Promise<number> {
  const published = kept.filter((a) => a.outcome?.kind === 'publish');
  let revisions = 0;
  for (let i = 0; i < published.length; i += 1000) {
    alive();
    const batch = published.slice(i, i + 1000);
    const known = await prior.knownSeries(batch.map((a) => a.series), ctx.source, ctx.dropId);
    revisions += batch.filter((a) => known.has(a.series)).length;
  }
  return revisions;
}

async function emitOutcomes(
  aggregates: Map<string, Aggregate>,
  ctx: DropContext,
  status: StatusBook,
  emit: (event: TallyEvent) => Promise<void> | void,
  totals: { rows: number; rejectedEarly: number; revisions: number },
): Promise<DropCounts> {
  let observations = 0;
  for (const agg of aggregates.values()) {
    if (agg.outcome?.kind === 'publish') {
      for (const row of agg.rows) status.set(row, RowStatus.Accepted);
      observations++;
      await emit(observationRecorded(ctx, agg, agg.outcome.observationId));
    } else if (agg.outcome?.kind === 'duplicate') {
      for (const row of agg.rows) status.set(row, RowStatus.Duplicate);
    } else {
      for (const row of agg.rows) status.set(row, RowStatus.Rejected);
    }
  }
  const tally = { accepted: 0, duplicates: 0, rejectedLate: 0 };
  for (const agg of aggregates.values()) {
    const obsId = agg.outcome && agg.outcome.kind !== 'reject' ? agg.outcome.observationId : observationId(ctx.source, agg.series, agg.value, agg.figure.unit);
    const repeatedOf = agg.repeated ? new Map(agg.repeated.map((r) => [r.row, r.of])) : undefined;
    const conflicting = agg.conflicts ? new Map(agg.conflicts.map((c) => [c.row, c.value])) : undefined;
    const account = (row: number): TallyEvent | undefined => {
      // A row is counted once, by its status byte.
      if (!status.count(row)) return undefined;
      const s = status.get(row);
      if (s === RowStatus.Accepted) tally.accepted++;
      else if (s === RowStatus.Duplicate) {
        tally.duplicates++;
        const of = repeatedOf?.get(row);
        const event =
          of !== undefined
            ? rowDuplicated(ctx, row, obsId, 'repeated_row', `repeats row ${of}`)
            : agg.outcome?.kind === 'duplicate'
              ? rowDuplicated(ctx, row, obsId, agg.outcome.reason, agg.outcome.detail)
              : rowDuplicated(ctx, row, obsId, 'repeated_row', 'repeats an earlier row');
        return event;
      } else if (s === RowStatus.Rejected && conflicting?.has(row)) {
        tally.rejectedLate++;
        return rowRejected(ctx, row, {
          expected: `one value for ${agg.series}`,
          found: String(conflicting.get(row)),
          hint: `row ${agg.rows[0]} already gives ${agg.figure.value} for the same place and date, and no column says the rows should be summed`,
        });
      } else if (s === RowStatus.Rejected && agg.outcome?.kind === 'reject') {
        tally.rejectedLate++;
        return rowRejected(ctx, row, { column: undefined, ...agg.outcome });
      }
      return undefined;
    };
    for (const row of agg.rows) {
      const event = account(row);
      if (event) await emit(event);
    }
    for (const r of agg.repeated ?? []) {
      const event = account(r.row);
      if (event) await emit(event);
    }
    for (const c of agg.conflicts ?? []) {
      const event = account(c.row);
      if (event) await emit(event);
    }
  }
  return {
    rows: totals.rows,
    accepted: tally.accepted,
    rejected: totals.rejectedEarly + tally.rejectedLate,
    duplicates: tally.duplicates,
    observations,
    revisions: totals.revisions,
  };
}

function observationRecorded(ctx: DropContext, agg: Aggregate, id: string): ObservationRecorded {
  const f = agg.figure;
  return {
    type: 'ObservationRecorded',
    eventId: `${id}@${ctx.dropId}`,
    observationId: id,
    seriesKey: agg.series,
    groupKey: groupKey(f.indicator, f.area.pcode, f.disaggregation),
    dropId: ctx.dropId,
    source: ctx.source,
    rows: [...agg.rows].sort((a, b) => a - b),
    indicator: f.indicator,
    area: f.area.pcode,
    areaLevel: f.area.level,
    period: f.period,
    value: agg.value,
    unit: f.unit,
    disaggregation: f.disaggregation,
    recordedAt: ctx.receivedAt,
  };
}

function rowRejected(ctx: DropContext, row: number, r: { column?: string; expected: string; found: string; hint?: string }): RowRejected {
  return {
    type: 'RowRejected',
    eventId: shortHash('rejected', ctx.dropId, row),
    dropId: ctx.dropId,
    source: ctx.source,
    fileName: ctx.fileName,
    row,
    column: r.column,
    expected: r.expected,
    found: r.found,
    reason: rejectionReason(ctx.fileName, row, r),
    recordedAt: ctx.receivedAt,
  };
}

function rowDuplicated(ctx: DropContext, row: number, obsId: string, reason: RowDuplicated['reason'], detail: string): RowDuplicated {
  return {
    type: 'RowDuplicated',
    eventId: shortHash('duplicate', ctx.dropId, row),
    dropId: ctx.dropId,
    source: ctx.source,
    row,
    observationId: obsId,
    reason,
    detail,
    recordedAt: ctx.receivedAt,
  };
}
