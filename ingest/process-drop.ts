/**
 * Reads a whole drop into events, accounting for every row: each becomes part of an observation,
 * a rejection with a reason, or a counted duplicate (accepted + rejected + duplicates = rows).
 *
 * Rows of one place and round that differ only by the sum-over column (DTM's displacement reason)
 * are summed into one observation. Copies of a round from different assessments (BA/SA) are never
 * summed. A figure already recorded by an earlier drop is a duplicate, not a new observation.
 *
 * Map, then reduce. Mapping turns each row into a rejection or figure entries in the partition of
 * its place and reference date (drop-map.ts); a plain CSV is mapped by several threads, one byte range each. Reducing
 * settles one partition at a time, so memory holds one partition's aggregates (plus one byte of
 * status per row), however large the drop. The order of the events depends on the drop and its
 * partition count only, never on the number of threads, so a retried attempt can skip exactly
 * what an earlier one published.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { Worker } from 'node:worker_threads';
import type { DropCounts, RowDuplicated, TallyEvent } from '../domain/events.js';
import type { SourceProfile } from '../domain/profile.js';
import { observationId } from '../domain/series.js';
import { splitCsv } from './csv-split.js';
import { observationRecorded, rowDuplicated, rowRejected, type DropContext } from './drop-events.js';
import { RowMapper } from './drop-map.js';
import { decodeEntry, fileStore, memoryStore, observationKey, readSpilled, rejectedPath, type PartitionStore } from './drop-partitions.js';
import { planColumns, type ColumnPlan } from './mapping.js';
import { mapRange, type MapRangeInput, type RangeCounts } from './map-range.js';
import type { MapThreadMessage } from './map-thread.js';
import { mapThreadEntry } from './map-thread-entry.js';
import { startThreads } from './thread-heap.js';
import type { RowFigure } from './normalise.js';
import type { RawTable } from '../connectors/table.js';
import { groupBy } from '../domain/collections.js';

export type { DropContext } from './drop-events.js';

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
  /** Called every `progressEvery` rows read, and during the look-ups after reading. */
  onProgress?: (rowsRead: number) => void;
  progressEvery?: number;
  /** Partitions by place and reference date (drop-partitions.ts `partitionsFor`). @default 1 */
  partitions?: number;
  /** Where partitions and rejections are spilled; without it they stay in memory. */
  spillDir?: string;
  /** Parse threads for a plain CSV of at least `parallelMinBytes`; 1 reads in this thread. @default 1 */
  threads?: number;
  /** @default 8 MiB */
  parallelMinBytes?: number;
  /** Called once every row is read (and its rejection emitted), before partitions are settled. */
  onMapped?: () => void;
}

/** What both ways of mapping a drop are given. */
interface MapJob {
  table: RawTable;
  plan: ColumnPlan;
  profile: SourceProfile;
  ctx: DropContext;
  emit: (event: TallyEvent) => Promise<void> | void;
  options: ProcessOptions;
  partitions: number;
}

interface Mapped {
  rows: number;
  rejected: number;
  lines(partition: number): string[];
}

/**
 * Streams the table, writes every event through `emit` (rejections first, in row order, then each
 * partition's observations and row outcomes) and returns the counts.
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
  const partitions = Math.max(1, options.partitions ?? 1);
  const job: MapJob = { table, plan, profile, ctx, emit, options, partitions };
  const mapped = (await mapInThreads(job)) ?? (await mapHere(job));
  const rows = mapped.rows;
  options.onProgress?.(rows);
  options.onMapped?.();

  const summing = plan.roles.sumOver !== undefined;
  const status = new StatusBook();
  const history = (await prior.sourceHasOtherDrops?.(ctx.source, ctx.dropId)) ?? true;
  // The look-ups below send no event: keep reporting progress so a long drop's attempt stays alive.
  const alive = () => options.onProgress?.(rows);
  const totals = { accepted: 0, rejected: mapped.rejected, duplicates: 0, observations: 0, revisions: 0 };
  for (let p = 0; p < partitions; p++) {
    const aggregates = aggregate(mapped.lines(p), status, summing);
    const kept = settleCopies(aggregates, ctx.source);
    await settleAgainstLog(kept, ctx, history ? prior : NO_PRIOR_KNOWLEDGE, alive);
    if (history) totals.revisions += await countRevisions(kept, ctx, prior, alive);
    const counts = await emitOutcomes(aggregates, ctx, status, emit);
    totals.accepted += counts.accepted;
    totals.rejected += counts.rejected;
    totals.duplicates += counts.duplicates;
    totals.observations += counts.observations;
    alive();
  }
  return { rows, ...totals };
}

function storeFor(options: ProcessOptions, partitions: number): PartitionStore {
  return options.spillDir && partitions > 1 ? fileStore(options.spillDir, partitions) : memoryStore(partitions);
}

/** Maps in this thread: any format. Rejections are emitted as they come. */
async function mapHere({ table, plan, profile, ctx, emit, options, partitions }: MapJob): Promise<Mapped> {
  const progressEvery = options.progressEvery ?? 10_000;
  const store = storeFor(options, partitions);
  const mapper = new RowMapper(plan, profile, store);
  let rows = 0;
  let rejected = 0;
  for await (const row of table.rows) {
    rows++;
    if (rows % progressEvery === 0) {
      options.onProgress?.(rows);
      mapper.resetCarried();
    }
    const rejection = mapper.map(row);
    if (rejection) {
      rejected++;
      await emit(rowRejected(ctx, row.rowNumber, rejection));
    }
  }
  store.close();
  return { rows, rejected, lines: (p) => store.lines(p) };
}

/**
 * Maps a plain CSV (see csv-split.ts) in byte ranges, one per parse thread, the last one in this
 * thread between its other work (a thread of its own would add an isolate, ~40 MB, while this one
 * only waits). Returns undefined when the drop does not qualify, and it is then mapped here whole.
 */
async function mapInThreads({ table, plan, profile, ctx, emit, options, partitions }: MapJob): Promise<Mapped | undefined> {
  const threads = options.threads ?? 1;
  const csv = table.csv;
  if (threads < 2 || !csv || !options.spillDir || csv.encoding === 'windows-1252') return undefined;
  if (csv.bytes < (options.parallelMinBytes ?? 8 * 1024 * 1024)) return undefined;
  const split = await splitCsv(csv.path, csv.dataStartLine, threads);
  if (!split.ok || split.ranges.length < 2) return undefined;
  // Each range's store creates the directory (fileStore) before writing into it.
  const spillDir = options.spillDir;
  const progress = new Array<number>(split.ranges.length).fill(0);
  const report = () => options.onProgress?.(progress.reduce((a, b) => a + b, 0));
  const inputs = split.ranges.map(
    (range, mapper): MapRangeInput => ({
      path: csv.path,
      range,
      delimiter: csv.delimiter,
      plan,
      profile,
      ctx,
      partitions,
      spillDir,
      mapper,
      rejectedPath: rejectedPath(spillDir, mapper),
    }),
  );
  const script = await mapThreadEntry();
  // A thread holds one block of rows at a time: a small heap keeps the worker's memory flat
  // (32 + 4 MB: reading 1M rows in two threads peaked at 203-227 MB RSS, against 215-246 MB with
  // 48 + 8; the young generation is set by startThreads when the process sets one for all).
  const threaded = inputs.slice(0, -1);
  const workers = startThreads(() =>
    threaded.map((input) => new Worker(script, { workerData: input, resourceLimits: { maxOldGenerationSizeMb: 32, maxYoungGenerationSizeMb: 4 } })),
  );
  const inThreads = threaded.map((input, i) => {
    const worker = workers[i]!;
    return new Promise<RangeCounts>((resolve, reject) => {
      let done: RangeCounts | undefined;
      worker.on('message', (m: MapThreadMessage) => {
        progress[input.mapper] = m.rows;
        report();
        if (m.kind === 'done') done = { rows: m.rows, rejected: m.rejected };
      });
      worker.on('error', reject);
      worker.on('exit', (code) => {
        if (done) resolve(done);
        else reject(new Error(`parse thread ${input.mapper} (bytes ${input.range.start}-${input.range.end} of ${table.fileName}) exited with code ${code} before finishing`));
      });
    });
  });
  const here = inputs.at(-1)!;
  const stop = new AbortController();
  let counts: RangeCounts[];
  try {
    counts = await Promise.all([...inThreads, mapRangeHere(here, stop.signal, (rows) => ((progress[here.mapper] = rows), report()))]);
  } catch (error) {
    stop.abort();
    await Promise.all(workers.map((w) => w.terminate()));
    throw error;
  }
  // Rejections in row order: ranges are in order, and each range wrote its own in order.
  for (let mapper = 0; mapper < counts.length; mapper++) {
    const lines = createInterface({ input: createReadStream(rejectedPath(spillDir, mapper)), crlfDelay: Infinity });
    for await (const line of lines) if (line !== '') await emit(JSON.parse(line) as TallyEvent);
  }
  const mappers = counts.map((_, m) => m);
  const sum = (pick: (c: RangeCounts) => number) => counts.reduce((a, c) => a + pick(c), 0);
  return { rows: sum((c) => c.rows), rejected: sum((c) => c.rejected), lines: (p) => readSpilled(spillDir, mappers, p) };
}

/** Maps a range in this thread one block at a time, letting timers, I/O and thread messages run in between. */
async function mapRangeHere(input: MapRangeInput, stop: AbortSignal, onProgress: (rows: number) => void): Promise<RangeCounts> {
  const steps = mapRange(input);
  for (;;) {
    // Yield first, so the threads start and their messages are heard while this one reads.
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (stop.aborted) {
      steps.return({ rows: 0, rejected: 0 }); // closes the range's files; a thread failed, the drop fails
      return { rows: 0, rejected: 0 };
    }
    const step = steps.next();
    if (step.done) return step.value;
    onProgress(step.value);
  }
}

/** Replays a partition's entries in row order: sums, repeats and conflicts as the rows come. */
function aggregate(lines: string[], status: StatusBook, summing: boolean): Map<string, Aggregate> {
  const aggregates = new Map<string, Aggregate>();
  for (const line of lines) {
    const e = decodeEntry(line);
    const key = observationKey(e);
    let agg = aggregates.get(key);
    if (!agg) {
      if (!e.figure) throw new Error(`partition entry for row ${e.row} (${key}) carries no figure; expected the first entry of an observation to carry one`);
      agg = { figure: e.figure, series: e.series, round: e.round, assessment: e.assessment, value: 0, rows: [], parts: [] };
      aggregates.set(key, agg);
    }
    const seenAt = agg.parts.indexOf(e.part);
    if (seenAt >= 0) {
      (agg.repeated ??= []).push({ row: e.row, of: agg.rows[seenAt]! });
      status.set(e.row, RowStatus.Duplicate);
      continue;
    }
    if (!summing && agg.rows.length > 0) {
      (agg.conflicts ??= []).push({ row: e.row, value: e.value });
      status.set(e.row, RowStatus.Rejected);
      continue;
    }
    agg.parts.push(e.part);
    agg.rows.push(e.row);
    agg.value += e.value;
  }
  return aggregates;
}

/** BA/SA copies of one round and older rounds for the same date: keep one aggregate per series. */
function settleCopies(aggregates: Map<string, Aggregate>, source: string): Aggregate[] {
  const bySeries = groupBy(aggregates.values(), (agg) => `${agg.series}|${agg.figure.unit}`);
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
): Promise<Omit<DropCounts, 'rows' | 'revisions'>> {
  let observations = 0;
  for (const agg of aggregates.values()) {
    if (agg.outcome?.kind === 'publish') {
      for (const row of agg.rows) status.set(row, RowStatus.Accepted);
      observations++;
      await emit(observationRecorded(ctx, agg.figure, agg.series, agg.value, agg.rows, agg.outcome.observationId));
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
  return { accepted: tally.accepted, rejected: tally.rejectedLate, duplicates: tally.duplicates, observations };
}

