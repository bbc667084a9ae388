/**
 * The map side of a drop: every row read, its rejection emitted, its figures written into the
 * partitions (drop-map.ts). A plain CSV is mapped by several threads, one byte range each; any
 * other drop in this thread. Either way the rejections come out in row order and the partitions
 * hold the same entries, so what follows does not depend on the number of threads.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { Worker } from 'node:worker_threads';
import type { DropNotice, TallyEvent } from '../domain/events.js';
import { NoticeBook } from '../domain/notices.js';
import type { SourceProfile } from '../domain/profile.js';
import type { RawTable } from '../connectors/table.js';
import { splitCsv } from './csv-split.js';
import { rowRejected, type DropContext } from './drop-events.js';
import { RowMapper } from './drop-map.js';
import { fileStore, memoryStore, readSpilled, rejectedPath, type PartitionStore } from './drop-partitions.js';
import type { ColumnPlan } from './mapping.js';
import { mapRange, type MapRangeInput, type RangeCounts } from './map-range.js';
import type { MapThreadMessage } from './map-thread.js';
import { mapThreadEntry } from './map-thread-entry.js';
import { startThreads } from './thread-heap.js';

/** The options of processDrop (process-drop.ts) that mapping reads. */
export interface MapOptions {
  /** Called every `progressEvery` rows read (and, by processDrop, during the look-ups after reading). */
  onProgress?: (rowsRead: number) => void;
  progressEvery?: number;
  /** Where partitions and rejections are spilled; without it they stay in memory. */
  spillDir?: string;
  /** Parse threads for a plain CSV of at least `parallelMinBytes`; 1 reads in this thread. @default 1 */
  threads?: number;
  /** @default 8 MiB */
  parallelMinBytes?: number;
  /** The user's P-code lists (TALLY_PCODES_FILE), which parse threads load before mapping. */
  pcodesFiles?: readonly string[];
}

/** What both ways of mapping a drop are given. */
export interface MapJob {
  table: RawTable;
  plan: ColumnPlan;
  profile: SourceProfile;
  ctx: DropContext;
  emit: (event: TallyEvent) => Promise<void> | void;
  options: MapOptions;
  partitions: number;
}

/** A mapped drop: its rows and rejections counted, and its partitions to read back. */
export interface Mapped {
  rows: number;
  rejected: number;
  notices: DropNotice[];
  lines(partition: number): string[];
}

/** Maps the drop in parse threads when it qualifies (mapInThreads), else in this thread. */
export async function mapDrop(job: MapJob): Promise<Mapped> {
  return (await mapInThreads(job)) ?? (await mapHere(job));
}

function storeFor(options: MapOptions, partitions: number): PartitionStore {
  return options.spillDir && partitions > 1 ? fileStore(options.spillDir, partitions) : memoryStore(partitions);
}

/** Maps in this thread: any format. Rejections are emitted as they come. */
async function mapHere({ table, plan, profile, ctx, emit, options, partitions }: MapJob): Promise<Mapped> {
  const progressEvery = options.progressEvery ?? 10_000;
  const store = storeFor(options, partitions);
  const mapper = new RowMapper(plan, profile, store, { country: ctx.country });
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
  return { rows, rejected, notices: mapper.notices.list(), lines: (p) => store.lines(p) };
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
      pcodesFiles: options.pcodesFiles,
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
        if (m.kind === 'done') done = { rows: m.rows, rejected: m.rejected, notices: m.notices };
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
  const notices = new NoticeBook();
  for (const c of counts) notices.merge(c.notices);
  return { rows: sum((c) => c.rows), rejected: sum((c) => c.rejected), notices: notices.list(), lines: (p) => readSpilled(spillDir, mappers, p) };
}

/** Maps a range in this thread one block at a time, letting timers, I/O and thread messages run in between. */
async function mapRangeHere(input: MapRangeInput, stop: AbortSignal, onProgress: (rows: number) => void): Promise<RangeCounts> {
  const steps = mapRange(input);
  for (;;) {
    // Yield first, so the threads start and their messages are heard while this one reads.
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (stop.aborted) {
      steps.return({ rows: 0, rejected: 0, notices: [] }); // closes the range's files; a thread failed, the drop fails
      return { rows: 0, rejected: 0, notices: [] };
    }
    const step = steps.next();
    if (step.done) return step.value;
    onProgress(step.value);
  }
}
