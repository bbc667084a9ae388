/**
 * The floor under any tally run (`npm run bench -- --floors`): the work a drop needs whatever the
 * event log, the transport or the storage, timed in the bench's own process on the bench's drop,
 * one thread, with the engines idle:
 *
 * - **parse**: the parse threads' block reader over the whole file (`parseCsvBlock`: the split
 *   for plain blocks, csv-parse's synchronous parser otherwise, records as arrays); the same
 *   blocks read by csv-parse alone are timed too (`parseWithCsvParse`, outside the total);
 * - **validate**: every row normalised against the source profile (P-codes, dates, counts,
 *   disaggregation) and summed into its observation;
 * - **observations**: each observation's id (SHA-256) and event;
 * - **reconcile**: the figures and discrepancies of every group, and the events to publish.
 *
 * Kafka, ClickHouse and Temporal come on top of this, so its sum is a lower bound for the CPU a
 * tally run needs. Set against the CPU the machine has in the time a target allows (cores × the
 * target's seconds), it says whether the target can be met on this machine at all.
 */
import { partitionOf } from '../activities/reconcile.js';
import { observationRecorded, type DropContext } from '../ingest/drop-events.js';
import { planColumns } from '../ingest/mapping.js';
import { normaliseRow, type RowFigure } from '../ingest/normalise.js';
import { getProfile, loadProfiles, priorityTable } from '../connectors/profiles.js';
import { readCsv } from '../connectors/csv.js';
import { splitCsv } from '../ingest/csv-split.js';
import { observationKey } from '../ingest/drop-partitions.js';
import { lineBlocks } from '../ingest/map-range.js';
import { csvParseBlock, parseCsvBlock } from '../connectors/csv-block.js';
import { isEmptyRow } from '../connectors/table.js';
import { groupBy } from '../domain/collections.js';
import type { ObservationRecorded } from '../domain/events.js';
import { INDICATOR_CODES } from '../domain/indicators.js';
import { planEvents, reconcile } from '../domain/reconcile/index.js';
import { disaggregationKey, observationId, seriesKey } from '../domain/series.js';

export interface FloorWork {
  /** CPU seconds (user + system, the whole process) per kind of work. */
  cpuSeconds: { parse: number; validate: number; observations: number; reconcile: number; total: number; parseWithCsvParse?: number };
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

function cpuNow(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** Measures the floor's work on a plain CSV drop (no quoted fields) of the `dtm` profile. */
export async function measureFloorWork(path: string, profileId = 'dtm'): Promise<FloorWork> {
  const table = await readCsv(path);
  const split = table.csv ? await splitCsv(path, table.csv.dataStartLine, 1) : { ok: false as const, why: 'it is not a CSV' };
  if (!split.ok) throw new Error(`${path}: expected a plain CSV, found that ${split.why}`);
  const profile = getProfile(profileId);
  const plan = planColumns(table, profile);
  const delimiter = table.csv!.delimiter;

  const cpu = { parse: 0, validate: 0, observations: 0, reconcile: 0, parseWithCsvParse: 0 };
  const aggregates = new Map<string, { figure: RowFigure; series: string; value: number; rows: number[] }>();
  let rows = 0;
  let rejected = 0;
  for (const range of split.ranges) {
    for (const { block, firstLine, lines } of lineBlocks(path, range, BLOCK)) {
      let t = cpuNow();
      const records = parseCsvBlock(block, delimiter);
      cpu.parse += cpuNow() - t;
      // The same block by csv-parse alone, for comparison (not in the total).
      t = cpuNow();
      csvParseBlock(block, delimiter);
      cpu.parseWithCsvParse += cpuNow() - t;
      if (records.length !== lines.length) throw new Error(`${path}: ${records.length} records for ${lines.length} non-empty lines from line ${firstLine}; expected one record per line`);
      t = cpuNow();
      for (let i = 0; i < records.length; i++) {
        const cells = records[i]!;
        if (isEmptyRow(cells)) continue;
        rows++;
        const rowNumber = lines[i]!;
        const outcome = normaliseRow({ rowNumber, cells }, plan, profile);
        if (outcome.kind === 'rejected') {
          rejected++;
          continue;
        }
        for (const figure of outcome.figures) {
          const series = seriesKey(figure.indicator, figure.area.pcode, figure.period, figure.disaggregation);
          const key = observationKey({ series, round: outcome.context.round, assessment: outcome.context.assessment, unit: figure.unit });
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
    }
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

  // Milliseconds: the split reads a small drop in a few of them.
  const round = (n: number) => Number(n.toFixed(3));
  return {
    cpuSeconds: {
      parse: round(cpu.parse),
      validate: round(cpu.validate),
      observations: round(cpu.observations),
      reconcile: round(cpu.reconcile),
      total: round(cpu.parse + cpu.validate + cpu.observations + cpu.reconcile),
      parseWithCsvParse: round(cpu.parseWithCsvParse),
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
