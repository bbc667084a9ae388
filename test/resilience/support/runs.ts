/**
 * What the resilience suite's faults share: a clean run and a faulted run of the same drops, each
 * in its own topics, database and task queue, landing into one landing store (so a drop has the
 * same receivedAt in both, and every record time agrees); worker processes to kill; and the
 * answers every query gives, to compare after a fault with those of the clean run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { inject } from 'vitest';
import { configToEnv, type TallyConfig } from '../../../infra/config.js';
import { ingestOne, type IngestSummary } from '../../../cli/ingest.js';
import { openClickHouse, selectRows, type ClickHouseClient } from '../../../adapters/clickhouse.js';
import { quoteTable } from '../../../adapters/sql.js';
import { createKafka, groupCaughtUp } from '../../../adapters/publisher.js';
import { INDICATOR_CODES } from '../../../domain/indicators.js';
import { topicsFor } from '../../../domain/events.js';
import { rowTopicsFor } from '../../../projections/engine.js';
import { listDiscrepancies, listDrops, listRejections, queryFigures, type DiscrepancyRow, type DropRow, type FigureRow, type RejectionRow } from '../../../projections/queries.js';
import type { ingestDropWorkflow, IngestDropResult } from '../../../workflows/index.js';
import { testScope } from '../../support/isolation.js';
import { pipelineConfig } from '../../support/pipeline.js';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

// Faults make activities fail and retry by design: the SDK's warning for each failed attempt
// (here and in the worker processes, which inherit the environment) would bury the test's output.
process.env.TALLY_WORKER_LOG_LEVEL ??= 'ERROR';

/** The directory of the engines the global setup started (infra/stack/local.ts's state is there). */
export function stackDir(): string {
  return process.env.TALLY_TEST_STACK_DIR ?? `${ROOT}.tally/test-stack`;
}

/** Engine faults (restart, freeze) need the engines as local processes. */
export function localEngines(): boolean {
  return inject('stack').provider === 'local';
}

/** A configuration of its own (topics, database, task queue, workflow ids) over the shared landing store. */
export function runConfig(label: string, landingDir: string): TallyConfig {
  return pipelineConfig(testScope(label), { landingDir });
}

// ---- answers ----------------------------------------------------------------------------------

const EVENT_TABLES = ['observations', 'rejections', 'duplicates', 'figures', 'discrepancies'] as const;

/** Every query's answer over a run's database, and the distinct event ids of each table. */
export interface Answers {
  /**
   * Reconciled figures, and each source's own, per indicator that has any; and the reconciled ones
   * as known just before each drop arrived (`key@as-of`): the record-time history, not only the end.
   */
  figures: Record<string, FigureRow[]>;
  discrepancies: DiscrepancyRow[];
  rejections: RejectionRow[];
  /** The drop ledger, without processedAt (the projection's clock, not the drop's). */
  drops: Array<Omit<DropRow, 'processedAt'>>;
  eventIds: Record<(typeof EVENT_TABLES)[number], string[]>;
}

export async function answers(config: TallyConfig): Promise<Answers> {
  const client = await openClickHouse(config.stack.clickhouse, { createDatabase: false });
  try {
    const drops = (await listDrops(client, { limit: 1000 })).map(({ processedAt: _p, ...d }) => d).sort((a, b) => (a.dropId < b.dropId ? -1 : 1));
    const sources = [...new Set(drops.map((d) => d.source))].sort();
    const figures: Answers['figures'] = {};
    for (const indicator of INDICATOR_CODES) {
      const reconciled = await queryFigures(client, { indicator });
      if (reconciled.length === 0) continue;
      figures[indicator] = reconciled;
      for (const source of sources) {
        const own = await queryFigures(client, { indicator, source });
        if (own.length > 0) figures[`${indicator}@${source}`] = own;
      }
      for (const receivedAt of [...new Set(drops.map((d) => d.receivedAt))].sort()) {
        const before = new Date(Date.parse(receivedAt) - 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
        figures[`${indicator}@as-of ${before}`] = await queryFigures(client, { indicator, asOf: before });
      }
    }
    const eventIds = {} as Answers['eventIds'];
    for (const table of EVENT_TABLES) {
      const rows = await selectRows<{ event_id: string }>(client, `SELECT DISTINCT event_id FROM ${quoteTable(config.stack.clickhouse.database, table)} ORDER BY event_id`);
      eventIds[table] = rows.map((r) => r.event_id);
    }
    return { figures, discrepancies: await listDiscrepancies(client), rejections: await listRejections(client, { limit: 1_000_000 }), drops, eventIds };
  } finally {
    await client.close();
  }
}

/** How many answers there are, for the fault table and the test's log. */
export function sizeOf(a: Answers): Record<string, number> {
  return {
    figures: Object.values(a.figures).reduce((n, f) => n + f.length, 0),
    discrepancies: a.discrepancies.length,
    rejections: a.rejections.length,
    drops: a.drops.length,
    observations: a.eventIds.observations.length,
  };
}

/**
 * The differences between two runs' answers, first few per part: empty when every query answers
 * the same. (A plain toEqual on 50,000 figures prints a diff nobody can read.)
 */
export function differences(expected: Answers, found: Answers): string[] {
  const out: string[] = [];
  const keys = new Set([...Object.keys(expected.figures), ...Object.keys(found.figures)]);
  for (const key of [...keys].sort()) compareLists(`figures ${key}`, expected.figures[key] ?? [], found.figures[key] ?? [], out);
  compareLists('discrepancies', expected.discrepancies, found.discrepancies, out);
  compareLists('rejections', expected.rejections, found.rejections, out);
  compareLists('drops', expected.drops, found.drops, out);
  for (const table of EVENT_TABLES) {
    const want = new Set(expected.eventIds[table]);
    const got = new Set(found.eventIds[table]);
    const missing = [...want].filter((id) => !got.has(id));
    const extra = [...got].filter((id) => !want.has(id));
    if (missing.length > 0 || extra.length > 0) out.push(`${table}: ${missing.length} event ids missing (${missing.slice(0, 3).join(', ')}), ${extra.length} extra (${extra.slice(0, 3).join(', ')})`);
  }
  return out;
}

function compareLists(what: string, expected: readonly unknown[], found: readonly unknown[], out: string[]): void {
  if (expected.length !== found.length) out.push(`${what}: ${expected.length} expected, ${found.length} found`);
  let shown = 0;
  for (let i = 0; i < Math.min(expected.length, found.length) && shown < 3; i++) {
    const a = JSON.stringify(expected[i]);
    const b = JSON.stringify(found[i]);
    if (a !== b) {
      out.push(`${what}[${i}]: expected ${a.slice(0, 300)}, found ${b.slice(0, 300)}`);
      shown++;
    }
  }
}

// ---- runs ----------------------------------------------------------------------------------

/** Lands the file and runs its ingest workflow to the end; the workflow's result. */
export async function ingestAndWait(client: Client, config: TallyConfig, file: string, source: string): Promise<IngestDropResult & { workflowId: string }> {
  const started = (await ingestOne(client, config, { file }, source, false)) as Omit<IngestSummary, 'rows'>;
  const result = await client.workflow.getHandle<typeof ingestDropWorkflow>(started.workflowId).result();
  return { ...result, workflowId: started.workflowId };
}

/** Waits until the run's projections have committed everything on its topics now. */
export async function untilProjected(config: TallyConfig, timeoutMs = 120_000): Promise<void> {
  const kafka = createKafka(config.stack.kafka, `${config.taskQueue}-watch`);
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets: Record<string, Record<number, string>> = {};
    // On the node path the projections' group reads the row topics too.
    const rowTopics = config.projectionPath?.kind === 'engine' ? [] : Object.values(rowTopicsFor(config.topicPrefix));
    for (const topic of [...Object.values(topicsFor(config.topicPrefix)), ...rowTopics]) {
      offsets[topic] = Object.fromEntries((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, o.high]));
    }
    const deadline = Date.now() + timeoutMs;
    while (!(await groupCaughtUp(kafka, config.projectionsGroup, offsets)).caughtUp) {
      if (Date.now() > deadline) throw new Error(`the projections of ${config.projectionsGroup} did not catch up within ${timeoutMs / 1000} s`);
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    await admin.disconnect();
  }
}

/** Messages on the run's event and row topics (the sum of the partitions' end offsets). */
export async function eventsOnLog(config: TallyConfig): Promise<number> {
  const admin = createKafka(config.stack.kafka, `${config.taskQueue}-count`).admin();
  await admin.connect();
  try {
    let n = 0;
    for (const topic of [...Object.values(topicsFor(config.topicPrefix)), ...Object.values(rowTopicsFor(config.topicPrefix))]) {
      const offsets = await admin.fetchTopicOffsets(topic).catch(() => []);
      n += offsets.reduce((sum, o) => sum + Number(o.high), 0);
    }
    return n;
  } finally {
    await admin.disconnect();
  }
}

export async function dropDatabase(config: TallyConfig, clickhouse: ClickHouseClient): Promise<void> {
  await clickhouse.command({ query: `DROP DATABASE IF EXISTS ${config.stack.clickhouse.database}` }).catch(() => undefined);
}

export async function until<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 60_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

// ---- processes -------------------------------------------------------------------------------

export interface Child {
  process: ChildProcess;
  output: string[];
}

/**
 * `tally ARGS…` in a process group of its own with the run's configuration, resolved once a line
 * of its output matches `ready`.
 */
export async function startTally(config: TallyConfig, args: string[], ready: RegExp, timeoutMs = 120_000, env: Record<string, string> = {}): Promise<Child> {
  const child = spawn(process.execPath, ['bin/tally.mjs', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...configToEnv(config), TALLY_PARENT_PID: String(process.pid), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const output: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // gone already
      }
      reject(new Error(`tally ${args.join(' ')} not ready after ${timeoutMs / 1000} s:\n${output.join('')}`));
    }, timeoutMs);
    const onData = (b: Buffer) => {
      output.push(b.toString());
      if (output.length > 200) output.splice(0, output.length - 200);
      if (ready.test(b.toString())) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`tally ${args.join(' ')} exited (${code ?? signal}) before it was ready:\n${output.join('')}`));
    });
  });
  return { process: child, output };
}

/** `tally worker --no-projections` for the run, resolved once it polls its task queue. */
export function startWorker(config: TallyConfig): Promise<Child> {
  return startTally(config, ['worker', '--no-projections'], /worker running on task queue/);
}

/**
 * Calls `fn` until it succeeds, for a test's own plumbing (starting a worker or a consumer) while
 * another file of the suite restarts or freezes an engine: the faults are what the tests check,
 * not something their set-up should trip over.
 */
export async function retrying<T>(what: string, fn: () => Promise<T>, timeoutMs = 180_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`${what}: still failing after ${timeoutMs / 1000} s: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

export function exited(child: Child | undefined): boolean {
  return !child || child.process.exitCode !== null || child.process.signalCode !== null;
}

/** Signals the child's whole process group and waits for it to exit. */
export async function killGroup(child: Child | undefined, signal: NodeJS.Signals): Promise<void> {
  if (!child || exited(child)) return;
  const gone = once(child.process, 'exit');
  try {
    process.kill(-child.process.pid!, signal);
  } catch {
    // already gone
  }
  await gone;
}

/** The activity a workflow is running now (its type, attempt and state), as the server sees it. */
export async function pendingActivity(handle: WorkflowHandle): Promise<{ type: string; attempt: number; started: boolean } | undefined> {
  const { raw } = await handle.describe();
  const activity = raw.pendingActivities?.[0];
  if (!activity) return undefined;
  // PENDING_ACTIVITY_STATE_STARTED = 2: a worker has it.
  return { type: activity.activityType?.name ?? '?', attempt: activity.attempt ?? 1, started: Number(activity.state) === 2 };
}

/**
 * The workflow's result, or after `timeoutMs` an error that says where it is stuck: its stage, its
 * pending activities (and its children's) with attempt and last failure. A fault that hangs the
 * pipeline then fails with a reason instead of at the test's timeout.
 */
export async function resultWithin<T>(client: Client, handle: WorkflowHandle, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), timeoutMs)));
  try {
    const first = await Promise.race([handle.result() as Promise<T>, late]);
    if (first !== 'late') return first;
  } finally {
    clearTimeout(timer);
  }
  const where: string[] = [];
  const describeOne = async (h: WorkflowHandle): Promise<void> => {
    const { raw, status } = await h.describe();
    const stage = await h.query<string>('stage').catch(() => '?');
    where.push(`${h.workflowId}: ${status.name}, stage ${stage}`);
    for (const a of raw.pendingActivities ?? []) {
      const failure = a.lastFailure?.message ? `, last failure: ${a.lastFailure.message}` : '';
      where.push(`  activity ${a.activityType?.name ?? '?'} attempt ${a.attempt ?? 1} state ${String(a.state)}${failure}`);
    }
    for (const c of raw.pendingChildren ?? []) if (c.workflowId) await describeOne(client.workflow.getHandle(c.workflowId));
  };
  await describeOne(handle).catch((err: unknown) => where.push(`describe failed: ${(err as Error).message}`));
  throw new Error(`${handle.workflowId} did not end within ${timeoutMs / 1000} s:\n${where.join('\n')}`);
}

/** Per activity type, the attempt that completed it, from the workflow's history (and its children's, by id). */
export async function completedAttempts(handle: WorkflowHandle): Promise<Record<string, number[]>> {
  const events = (await handle.fetchHistory()).events ?? [];
  const scheduled = new Map<string, string>();
  const out: Record<string, number[]> = {};
  for (const event of events) {
    const s = event.activityTaskScheduledEventAttributes;
    if (s) scheduled.set(String(event.eventId), s.activityType?.name ?? '?');
    const started = event.activityTaskStartedEventAttributes;
    if (started) (out[scheduled.get(String(started.scheduledEventId)) ?? '?'] ??= []).push(started.attempt ?? 0);
  }
  return out;
}
