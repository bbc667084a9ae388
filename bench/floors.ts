/**
 * The floor under any tally run (`npm run bench -- --floors`): the work a drop needs whatever the
 * event log, the transport or the storage, timed in the bench's own process on the bench's drop,
 * one thread, with the engines idle:
 *
 * - **parse**: csv-parse (the project's CSV parser) over the whole file, in its fastest mode
 *   (the synchronous parser on blocks, records as arrays);
 * - **validate**: every row normalised against the source profile (P-codes, dates, counts,
 *   disaggregation) and summed into its observation;
 * - **observations**: each observation's id (SHA-256) and event;
 * - **reconcile**: the figures and discrepancies of every group, and the events to publish.
 *
 * Kafka, ClickHouse and Temporal come on top of this, so its sum is a lower bound for the CPU a
 * tally run needs. Set against the CPU the machine has in the time a target allows (cores × the
 * target's seconds), it says whether the target can be met on this machine at all.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { partitionOf } from '../activities/reconcile.js';
import { observationRecorded, type DropContext } from '../connectors/drop-events.js';
import { planColumns } from '../connectors/mapping.js';
import { normaliseRow, type RowFigure } from '../connectors/normalise.js';
import { getProfile, loadProfiles, priorityTable } from '../connectors/profiles.js';
import { readCsv } from '../connectors/csv.js';
import { isEmptyRow } from '../connectors/table.js';
import { groupBy } from '../domain/collections.js';
import type { ObservationRecorded } from '../domain/events.js';
import { INDICATOR_CODES } from '../domain/indicators.js';
import { planEvents, reconcile } from '../domain/reconcile/index.js';
import { disaggregationKey, observationId, seriesKey } from '../domain/series.js';

export interface FloorWork {
  /** CPU seconds (user + system, the whole process) per kind of work. */
  cpuSeconds: { parse: number; validate: number; observations: number; reconcile: number; total: number };
  counts: { rows: number; rejected: number; observations: number; events: number };
}

export interface Floors extends FloorWork {
  cores: number;
  /** CPU seconds the machine has while a target's loader time runs: cores × rows ÷ (ratio × loader rows/s). */
  budget: { ratioVsNaive: number; ratioVsLimit: number };
  /** Whether the floor fits in the budget (false: no design meets the target on this machine). */
  fits: { ratioVsNaive: boolean; ratioVsLimit: boolean };
}

const BLOCK = 1024 * 1024;
const LF = 0x0a;

function cpuNow(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** Blocks of whole lines of the file from byte `start` (the generated drop has one record per line). */
function* lineBlocks(path: string, start: number): Generator<Buffer> {
  const fd = openSync(path, 'r');
  try {
    let position = start;
    let carry = Buffer.alloc(0);
    for (;;) {
      const fresh = Buffer.allocUnsafe(BLOCK);
      const read = readSync(fd, fresh, 0, BLOCK, position);
      position += read;
      const data = carry.length > 0 ? Buffer.concat([carry, fresh.subarray(0, read)]) : fresh.subarray(0, read);
      if (read === 0) {
        if (data.length > 0) yield data;
        return;
      }
      const cut = data.lastIndexOf(LF) + 1;
      carry = Buffer.from(data.subarray(cut));
      if (cut > 0) yield data.subarray(0, cut);
    }
  } finally {
    closeSync(fd);
  }
}

function countLines(block: Buffer): number {
  let n = 0;
  for (let i = block.indexOf(LF); i >= 0; i = block.indexOf(LF, i + 1)) n++;
  return block.length > 0 && block[block.length - 1] !== LF ? n + 1 : n;
}

/** Measures the floor's work on a plain CSV drop of the `dtm` profile whose data starts on line 2. */
export async function measureFloorWork(path: string, profileId = 'dtm'): Promise<FloorWork> {
  const table = await readCsv(path);
  if (!table.csv || table.csv.dataStartLine !== 2) throw new Error(`${path}: expected a CSV with its header on line 1, found data from line ${table.csv?.dataStartLine ?? '?'}`);
  const profile = getProfile(profileId);
  const plan = planColumns(table, profile);
  const headerBytes = (() => {
    const fd = openSync(path, 'r');
    try {
      const head = Buffer.alloc(64 * 1024);
      const n = readSync(fd, head, 0, head.length, 0);
      const nl = head.subarray(0, n).indexOf(LF);
      if (nl < 0) throw new Error(`${path}: expected a header line under 64 KiB, found none`);
      return nl + 1;
    } finally {
      closeSync(fd);
    }
  })();
  const options = { delimiter: table.csv.delimiter, relax_column_count: true, relax_quotes: true, skip_empty_lines: true };

  const cpu = { parse: 0, validate: 0, observations: 0, reconcile: 0 };
  const aggregates = new Map<string, { figure: RowFigure; series: string; value: number; rows: number[] }>();
  let rows = 0;
  let rejected = 0;
  let line = 2;
  for (const block of lineBlocks(path, headerBytes)) {
    let t = cpuNow();
    const records = parse(block, options) as string[][];
    cpu.parse += cpuNow() - t;
    const lines = countLines(block);
    if (records.length !== lines) throw new Error(`${path}: ${records.length} records for ${lines} lines from line ${line}; expected one record per line`);
    t = cpuNow();
    for (let i = 0; i < records.length; i++) {
      const cells = records[i]!;
      if (isEmptyRow(cells)) continue;
      rows++;
      const rowNumber = line + i;
      const outcome = normaliseRow({ rowNumber, cells }, plan, profile);
      if (outcome.kind === 'rejected') {
        rejected++;
        continue;
      }
      for (const figure of outcome.figures) {
        const series = seriesKey(figure.indicator, figure.area.pcode, figure.period, figure.disaggregation);
        const key = `${series}|${outcome.context.round}|${outcome.context.assessment}|${figure.unit}`;
        const aggregate = aggregates.get(key);
        if (aggregate) {
          aggregate.value += figure.value;
          aggregate.rows.push(rowNumber);
        } else {
          aggregates.set(key, { figure, series, value: figure.value, rows: [rowNumber] });
        }
      }
    }
    cpu.validate += cpuNow() - t;
    line += records.length;
  }

  let t = cpuNow();
  const ctx: DropContext = { dropId: '0'.repeat(64), source: profile.id, fileName: table.fileName, receivedAt: new Date(0).toISOString() };
  const observations: ObservationRecorded[] = [];
  for (const a of aggregates.values()) {
    observations.push(observationRecorded(ctx, a.figure, a.series, a.value, a.rows, observationId(profile.id, a.series, a.value, a.figure.unit)));
  }
  aggregates.clear();
  cpu.observations = cpuNow() - t;

  t = cpuNow();
  // Reconciled the way the activity pages them: a cercle's group alone, national and regional groups of one indicator together.
  const policy = { priority: priorityTable(loadProfiles(), INDICATOR_CODES), tolerance: {} };
  const units = groupBy(observations, (o) =>
    partitionOf({ indicator: o.indicator, areaLevel: o.areaLevel, groupKey: o.groupKey, disaggregation: disaggregationKey(o.disaggregation) }),
  );
  let events = 0;
  for (const unit of units.values()) {
    events += planEvents({ figures: new Map(), openDiscrepancies: new Map() }, reconcile(unit, policy)).length;
  }
  cpu.reconcile = cpuNow() - t;

  const round = (n: number) => Number(n.toFixed(2));
  return {
    cpuSeconds: {
      parse: round(cpu.parse),
      validate: round(cpu.validate),
      observations: round(cpu.observations),
      reconcile: round(cpu.reconcile),
      total: round(cpu.parse + cpu.validate + cpu.observations + cpu.reconcile),
    },
    counts: { rows, rejected, observations: observations.length, events },
  };
}

/** The budget each target leaves on `cores` cores, given the loaders' rows per second, and whether the floor fits. */
export function floorsAgainst(work: FloorWork, rows: number, cores: number, rowsPerSec: { naive: number; limit: number }, targets: { ratioVsNaive: number; ratioVsLimit: number }): Floors {
  const budget = (ratio: number, loaderRowsPerSec: number) => Number(((cores * rows) / (ratio * loaderRowsPerSec)).toFixed(2));
  const b = { ratioVsNaive: budget(targets.ratioVsNaive, rowsPerSec.naive), ratioVsLimit: budget(targets.ratioVsLimit, rowsPerSec.limit) };
  return {
    ...work,
    cores,
    budget: b,
    fits: { ratioVsNaive: work.cpuSeconds.total <= b.ratioVsNaive, ratioVsLimit: work.cpuSeconds.total <= b.ratioVsLimit },
  };
}
