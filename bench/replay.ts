/**
 * The replay: `tally projections rebuild`, in a child process of its own, on the log the tally run
 * left (its topic prefix and database), after the worker and the projections have stopped. Events
 * per second = the rows the rebuilt tables hold (one row per event, read without FINAL) ÷ the
 * command's wall time, start-up included.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { benchNodeFlagsFromEnv } from '../infra/config.js';
import { openClickHouse } from '../adapters/clickhouse.js';
import { quoteTable } from '../adapters/sql.js';
import { TABLES } from '../projections/schema.js';
import { PeakSampler } from './proc.js';
import { tallyChildEnv, type TallyRunIds } from './tally.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface ReplayResult {
  seconds: number;
  /** Rows of the rebuilt tables: one per event replayed. */
  events: number;
  /** Kafka messages consumed (a message carries several events). */
  messages: number;
  eventsPerSec: number;
  /** From the spawn to the command's first progress line (start-up, consumer group join, first batch). */
  firstBatchSeconds: number;
  peakRssMb: number;
}

async function eventRows(ids: TallyRunIds): Promise<number> {
  const client = await openClickHouse(ids.config.stack.clickhouse, { createDatabase: false });
  try {
    let n = 0;
    for (const table of TABLES) {
      const result = await client.query({ query: `SELECT toUInt64(count()) AS n FROM ${quoteTable(ids.database, table)}`, format: 'JSONEachRow' });
      const [row] = await result.json<{ n: string }>();
      n += Number(row?.n ?? 0);
    }
    return n;
  } finally {
    await client.close();
  }
}

export async function runReplay(ids: TallyRunIds): Promise<ReplayResult> {
  const output: string[] = [];
  const started = performance.now();
  let firstBatchAt: number | undefined;
  const child = spawn(process.execPath, [...benchNodeFlagsFromEnv(), 'bin/tally.mjs', 'projections', 'rebuild'], {
    cwd: ROOT,
    env: tallyChildEnv(ids.config),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const sampler = new PeakSampler(child.pid!);
  const onData = (b: Buffer) => {
    const text = b.toString();
    if (firstBatchAt === undefined && /^rebuild: \d+\/\d+ events/m.test(text)) firstBatchAt = performance.now();
    output.push(text);
    if (output.length > 200) output.shift();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (c) => resolve(c));
  });
  const seconds = (performance.now() - started) / 1000;
  const peakRssMb = sampler.stop();
  const text = output.join('');
  if (code !== 0) throw new Error(`tally projections rebuild: expected exit code 0, found ${code}:\n${output.slice(-20).join('')}`);
  const done = /rebuilt the projections: (\{.*\})/.exec(text);
  if (!done) throw new Error(`tally projections rebuild: expected a "rebuilt the projections: {…}" line, found:\n${text.slice(-2000)}`);
  const messages = Number((JSON.parse(done[1]!) as { consumed: number }).consumed);
  const events = await eventRows(ids);
  const firstBatchSeconds = ((firstBatchAt ?? performance.now()) - started) / 1000;
  return { seconds, events, messages, eventsPerSec: Math.round(events / seconds), firstBatchSeconds, peakRssMb };
}
