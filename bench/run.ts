/**
 * `npm run bench [-- --rows N] [--json] [--seed S] [--repeat K] [--keep] [--floors] [--paths node,engine]`:
 * one generated DTM drop, loaded four ways side by side (ClickHouse's own CSV ingestion, csv-parse →
 * JSONEachRow, the lines → Kafka → a ClickHouse Kafka-engine table (peer.ts), and the whole tally
 * pipeline), with tally's stage times and the peak RSS of its worker and projections; then the
 * replay of the run's log by `tally projections rebuild` (replay.ts). Tally and its replay run once
 * per projection path of --paths (default node), each on its own database, topics and groups;
 * with --floors, also the work any run needs, measured alone (floors.ts).
 * Progress goes to stderr; the table (or, with --json, one object) to stdout.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStack, type RunningStack } from '../infra/stack/index.js';
import { isExternalStack, settingsFromEnv } from '../infra/config.js';
import { openClickHouse } from '../adapters/clickhouse.js';
import { quoteIdentifier } from '../adapters/sql.js';
import { countRows, createRawTable, loadLimit, loadNaive } from './baselines.js';
import { cleanPeer, loadPeer, type PeerResult } from './peer.js';
import { runReplay, type ReplayResult } from './replay.js';
import { measureFloorWork, type FloorWork } from './floors.js';
import { generateDrop } from './generate.js';
import { machine } from './proc.js';
import { cleanTally, runTally, tallyIds, type TallyResult } from './tally.js';
import { formatReport, summarise, type PathRun, type RepetitionResult } from './report.js';
import { BenchUsageError, parseBenchArgs, projectionPathOf, type BenchOptions } from './options.js';

let values: BenchOptions;
try {
  values = parseBenchArgs(process.argv.slice(2));
} catch (err) {
  if (!(err instanceof BenchUsageError)) throw err;
  console.error(err.message);
  process.exit(2);
}
const { rows, seed, repeat } = values;
const t0 = performance.now();
const log = (line: string) => console.error(`[bench ${((performance.now() - t0) / 1000).toFixed(1).padStart(6)} s] ${line}`);

const workDir = mkdtempSync(join(tmpdir(), 'tally-bench-'));
let stack: RunningStack | undefined;
try {
  if (isExternalStack()) {
    stack = { settings: settingsFromEnv(), stop: async () => undefined };
    log('using external engines (TALLY_STACK=external)');
  } else {
    log('starting the engines in .tally/bench-stack…');
    stack = await startStack({ dir: '.tally/bench-stack', log: (l) => log(`  ${l}`) });
  }
  const settings = stack.settings;
  const results: RepetitionResult[] = [];
  for (let i = 0; i < repeat; i++) {
    const runSeed = seed + i;
    const runId = `${Date.now().toString(36)}_${runSeed}`;
    log(`run ${i + 1}/${repeat}: generating ${rows.toLocaleString('en')} rows (seed ${runSeed})…`);
    const drop = await generateDrop(join(workDir, `dtm-bench-${runSeed}.csv`), { rows, seed: runSeed });
    log(`  ${drop.path}: ${(drop.bytes / 1e6).toFixed(1)} MB, ${drop.rounds} rounds, bad rows ${JSON.stringify(drop.bad)}`);

    const rawDb = `bench_${runId}_raw`;
    const raw = await openClickHouse(settings.clickhouse, { database: rawDb });
    let limitSeconds: number;
    let naiveSeconds: number;
    let peer: PeerResult;
    const peerTopic = `bench-${runId}.peer`;
    try {
      await createRawTable(raw, rawDb, 'limit_csv');
      await createRawTable(raw, rawDb, 'naive_json');
      log('  limit: INSERT … FORMAT CSVWithNames over HTTP…');
      limitSeconds = await loadLimit(settings.clickhouse, rawDb, 'limit_csv', drop.path);
      const limitRows = await countRows(raw, rawDb, 'limit_csv');
      log(`  limit: ${limitRows} rows in ${limitSeconds.toFixed(2)} s`);
      log('  naive: csv-parse → JSONEachRow batches of 10,000…');
      naiveSeconds = await loadNaive(raw, rawDb, 'naive_json', drop.path);
      const naiveRows = await countRows(raw, rawDb, 'naive_json');
      log(`  naive: ${naiveRows} rows in ${naiveSeconds.toFixed(2)} s`);
      if (limitRows !== drop.rows || naiveRows !== drop.rows) throw new Error(`baseline row counts differ from the drop's ${drop.rows}: limit ${limitRows}, naive ${naiveRows}`);
      log('  peer: lines → Kafka (kafkajs, batches of 10,000) → Kafka-engine table → materialized view → MergeTree…');
      try {
        peer = await loadPeer({ client: raw, settings, database: rawDb, topic: peerTopic, group: `bench-${runId}-peer`, file: drop.path, rows: drop.rows, log });
      } finally {
        await cleanPeer(raw, settings, rawDb, peerTopic).catch((err: unknown) => log(`  peer cleanup failed: ${(err as Error).message}`));
      }
      log(`  peer: ${peer.rows} rows in ${peer.seconds.toFixed(2)} s (produced in ${peer.produceSeconds.toFixed(2)} s)`);
      if (peer.lost > 0) log(`  peer: ${peer.lost} of the ${drop.rows} lines sent (${peer.inKafka} messages in the topic) never reached the MergeTree (the Kafka engine lost them)`);
      if (!values.keep) await raw.command({ query: `DROP DATABASE IF EXISTS ${quoteIdentifier(rawDb)}` });
    } finally {
      await raw.close();
    }

    const runs: PathRun[] = [];
    for (const path of values.paths) {
      const ids = tallyIds(settings, `${runId}_${path}`, workDir, projectionPathOf(path, settings.kafka.brokers, isExternalStack()));
      log(`  ${path} projection path: database ${ids.database}, topics ${ids.config.topicPrefix}*, group ${ids.config.projectionsGroup}`);
      let tally: TallyResult;
      let replay: ReplayResult;
      try {
        tally = await runTally({ ids, file: drop.path, log });
        log(`  replay (${path}): tally projections rebuild on the run's log…`);
        replay = await runReplay(ids);
        log(`  replay (${path}): ${replay.events} events (${replay.messages} messages) in ${replay.seconds.toFixed(2)} s = ${replay.eventsPerSec} events/s (first batch after ${replay.firstBatchSeconds.toFixed(2)} s), peak RSS ${replay.peakRssMb.toFixed(1)} MB`);
      } finally {
        if (!values.keep) await cleanTally(ids).catch((err: unknown) => log(`  cleanup failed: ${(err as Error).message}`));
      }
      const s = tally.summary;
      log(
        `  tally (${path}): ${s.rows} rows → ${s.accepted} accepted, ${s.rejected} rejected, ${s.duplicates} duplicates; ` +
          `${tally.observations} observations and ${tally.figures} figures queryable, in ${tally.seconds.toFixed(2)} s ` +
          `(peak RSS: worker ${tally.peakRssMb.worker.toFixed(1)} MB, highest sample in ${tally.peakStage.worker}; ` +
          `projections ${tally.peakRssMb.projections.toFixed(1)} MB, in ${tally.peakStage.projections})`,
      );
      for (const line of tally.check.shortfalls) log(`  tally (${path}): SHORTFALL ${line}`);
      if (s.accepted + s.rejected + s.duplicates !== s.rows || s.rows !== drop.rows) {
        throw new Error(`accounting broken on the ${path} path: ${s.accepted} + ${s.rejected} + ${s.duplicates} ≠ ${s.rows} (drop has ${drop.rows} rows)`);
      }
      runs.push({ path, tally, replay });
    }
    let floors: FloorWork | undefined;
    if (values.floors) {
      log('  floor: parse, validate, observations and reconcile alone, in this process…');
      floors = await measureFloorWork(drop.path);
      log(`  floor: ${floors.cpuSeconds.total} CPU-s ${JSON.stringify(floors.cpuSeconds)}, ${floors.counts.observations} observations`);
    }
    results.push({ drop, limitSeconds, naiveSeconds, peer, runs, ...(floors ? { floors } : {}) });
  }

  const summary = summarise(rows, machine(), results);
  console.log(values.json ? JSON.stringify(summary, null, 2) : formatReport(summary));
  const short = Object.entries(summary.paths).filter(([, p]) => p.shortfalls.length > 0).map(([name]) => name);
  if (short.length > 0) {
    log(`rows missing from ClickHouse on the ${short.join(' and ')} path(s): see the shortfalls above; exit code 3`);
    process.exitCode = 3;
  }
} finally {
  if (stack) {
    log('stopping the engines…');
    await stack.stop();
  }
  rmSync(workDir, { recursive: true, force: true });
}

