/**
 * A drop's own observations, kept by its ingest activity for the reconcile that follows, so that
 * reconcile does not read them back from ClickHouse (nor wait for the projections to hold them).
 *
 * The ingest activity writes every observation it settles (published in this attempt or in an
 * earlier one) as one line, its observations-table row, into the bucket of its reconcile partition
 * (`reconcilePartition`): a bucket holds whole partitions, so reconcile takes one bucket at a time and
 * memory holds one bucket, however large the drop. The directory is the worker's own (a temporary
 * directory): a reconcile on another machine finds nothing there and reads ClickHouse instead.
 */
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ObservationRecorded } from '../domain/events.js';
import { disaggregationKey } from '../domain/series.js';
import { fnv1a } from '../ingest/drop-partitions.js';
import { observationsProjection } from '../projections/observations.js';
import { observationOfRow, type ObservationRow } from './clickhouse.js';

/** Where a drop's own observations are, as the ingest activity hands them to reconcile. */
export interface OwnObservations {
  dir: string;
  buckets: number;
  observations: number;
}

const PREFIX = 'tally-own-';
const COMPLETE = 'complete';
/** Directories older than this are left over by a worker that died before its reconcile ran. */
export const LEFT_OVER_MS = 24 * 60 * 60 * 1000;
/** Bytes buffered per bucket before they are written. */
const FLUSH_BYTES = 64 * 1024;

/**
 * The unit reconciliation cannot split: a cercle's group stands alone (figures and pair
 * discrepancies are per series and per group), but the national figure is compared with the sum
 * of the regions of the same indicator and disaggregation, so those groups go together.
 */
export function reconcilePartition(indicator: string, areaLevel: number, groupKey: string, disaggregation: string): string {
  return areaLevel >= 2 ? `${indicator}\u001f${groupKey}` : `${indicator}\u001f*\u001f${disaggregation}`;
}

/** The reconcile partition of an observation. */
export function ownPartitionOf(o: Pick<ObservationRecorded, 'indicator' | 'areaLevel' | 'groupKey' | 'disaggregation'>): string {
  return reconcilePartition(o.indicator, o.areaLevel, o.groupKey, disaggregationKey(o.disaggregation));
}

export function bucketOf(o: Pick<ObservationRecorded, 'indicator' | 'areaLevel' | 'groupKey' | 'disaggregation'>, buckets: number): number {
  return bucketOfPartition(ownPartitionOf(o), buckets);
}

function bucketOfPartition(partition: string, buckets: number): number {
  return buckets === 1 ? 0 : fnv1a(partition) % buckets;
}

function bucketPath(dir: string, b: number): string {
  return join(dir, `b${b}.jsonl`);
}

/** Removes own-observation directories in `root` older than LEFT_OVER_MS. */
export function sweepLeftOvers(root = tmpdir(), now = Date.now()): number {
  let removed = 0;
  for (const name of readdirSync(root)) {
    if (!name.startsWith(PREFIX)) continue;
    const path = join(root, name);
    try {
      if (now - statSync(path).mtimeMs < LEFT_OVER_MS) continue;
      rmSync(path, { recursive: true, force: true });
      removed++;
    } catch {
      // removed by another worker meanwhile
    }
  }
  return removed;
}

/**
 * Writes observations into `buckets` files, one line each: the row of the observations table the
 * event becomes (`rowOf`, which the publisher then reuses), as reconcile would read it back from
 * ClickHouse. By default that row is built here.
 */
export function ownObservationsWriter(buckets: number, root = tmpdir(), rowOf: (o: ObservationRecorded) => string = defaultRow) {
  const dir = mkdtempSync(join(root, PREFIX));
  const n = Math.max(1, buckets);
  const fds = Array.from({ length: n }, (_, b) => openSync(bucketPath(dir, b), 'w'));
  const buffers: string[][] = Array.from({ length: n }, () => []);
  // Each line starts with its partition's number within its bucket, so a bucket is read back one partition at a time.
  const partitions: Array<Map<string, number>> = Array.from({ length: n }, () => new Map());
  const sizes = new Array<number>(n).fill(0);
  let observations = 0;
  let closed = false;
  const flush = (b: number) => {
    if (buffers[b]!.length === 0) return;
    writeSync(fds[b]!, buffers[b]!.join(''));
    buffers[b] = [];
    sizes[b] = 0;
  };
  const closeFiles = () => {
    if (closed) return;
    closed = true;
    for (let b = 0; b < n; b++) {
      flush(b);
      closeSync(fds[b]!);
    }
  };
  return {
    dir,
    add(o: ObservationRecorded): void {
      const key = ownPartitionOf(o);
      const b = bucketOfPartition(key, n);
      const numbers = partitions[b]!;
      let number = numbers.get(key);
      if (number === undefined) numbers.set(key, (number = numbers.size));
      const line = `${number}\t${rowOf(o)}\n`;
      buffers[b]!.push(line);
      sizes[b]! += line.length;
      observations++;
      if (sizes[b]! >= FLUSH_BYTES) flush(b);
    },
    /** Writes out the rest and marks the set complete: only a complete set is handed on. */
    finish(): OwnObservations {
      closeFiles();
      writeFileSync(join(dir, COMPLETE), String(observations));
      return { dir, buckets: n, observations };
    },
    discard(): void {
      closeFiles();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Whether this machine holds the complete set. */
export function ownObservationsHere(own: OwnObservations): boolean {
  return existsSync(join(own.dir, COMPLETE));
}

/** The observations table's row of an observation (what `projections/observations.ts` stores). */
function defaultRow(o: ObservationRecorded): string {
  return JSON.stringify(observationsProjection.toRow(o, { topic: '', partition: -1, offset: '-1', timestamp: o.recordedAt }));
}

/**
 * One bucket's observations, one partition at a time (in the order the partitions were first
 * written, each in write order): memory holds the bucket's text and one partition's observations.
 */
export function* bucketPartitions(own: OwnObservations, b: number): Generator<ObservationRecorded[]> {
  const text = readFileSync(bucketPath(own.dir, b), 'utf8');
  const lines: Array<Array<[number, number]>> = [];
  let start = 0;
  for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', start)) {
    const tab = text.indexOf('\t', start);
    const number = Number(text.slice(start, tab));
    if (tab === -1 || tab > end || !Number.isInteger(number)) throw new Error(`${bucketPath(own.dir, b)}: expected "<partition>\\t<row>" lines, found "${text.slice(start, Math.min(end, start + 80))}"`);
    (lines[number] ??= []).push([tab + 1, end]);
    start = end + 1;
  }
  for (const spans of lines) {
    if (!spans) continue;
    yield spans.map(([from, to]) => observationOfRow(JSON.parse(text.slice(from, to)) as ObservationRow));
  }
}

/** One bucket's observations, partition after partition. */
export function readBucket(own: OwnObservations, b: number): ObservationRecorded[] {
  return [...bucketPartitions(own, b)].flat();
}

export function removeOwnObservations(own: Pick<OwnObservations, 'dir'>): void {
  rmSync(own.dir, { recursive: true, force: true });
}

