/**
 * The tally loader: the whole pipeline on one drop, the worker and the projections each in a child
 * process of their own (so their peak RSS is theirs), the drop ingested with --wait semantics, the
 * stage times read back from the workflows' histories.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { benchNodeFlagsFromEnv, childEnv as environment, configFromEnv, logLevelFromEnv, type ProjectionPath, type TallyConfig } from '../infra/config.js';
import { WORKER_ENV, WORKER_NODE_FLAGS } from '../worker/runtime.js';
import type { StackSettings } from '../infra/stack/settings.js';
import { landFile, startIngest, summarise, type IngestSummary } from '../cli/ingest.js';
import { temporalClient } from '../cli/context.js';
import { ingestWorkflowId } from '../workflows/index.js';
import { openClickHouse } from '../adapters/clickhouse.js';
import { topicsFor } from '../domain/events.js';
import { quoteIdentifier } from '../adapters/sql.js';
import { kafkaFrom } from '../adapters/kafka.js';
import { engineGroupOf, ENGINE_TABLES, rowTopicsFor } from '../projections/engine.js';
import { checkRows, type RowCheck } from './check.js';
import { PeakSampler, readMemory, resetPeak } from './proc.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/**
 * How the services run in production: the flags and environment `tally worker` applies to itself
 * (worker/runtime.ts, where each value is explained). The bench passes them explicitly, to the
 * projections process too, so the worker it starts never re-executes itself and the pid it samples
 * is the worker's. A value already in the environment wins.
 */
export const SERVICE_NODE_FLAGS = WORKER_NODE_FLAGS;
export const SERVICE_ENV = WORKER_ENV;

/** Extra flags for both services, e.g. `TALLY_BENCH_NODE_FLAGS="--cpu-prof --cpu-prof-dir=prof"` (NODE_OPTIONS refuses --cpu-prof). */
function serviceFlags(): string[] {
  return [...SERVICE_NODE_FLAGS, ...benchNodeFlagsFromEnv()];
}
const SOURCE = 'dtm';

export interface TallyStages {
  /** Hashing and copying the file into the landing store (before the workflow starts). */
  land: number;
  /** Workflow start until the ingestDrop activity is scheduled, plus everything not below. */
  other: number;
  /** The ingestDrop activity: parse, validate, normalise and publish, interleaved. */
  ingestDrop: number;
  /** Reading the drop in the activity: parse, validate, normalise, map into partitions (rejections published as they come). */
  parse: number;
  /** ingestDrop minus parse: settling the partitions into observations and publishing them to Kafka. */
  publish: number;
  /** First awaitProjected: the projections catching up after the last publish (consume + insert). */
  consume: number;
  /** The reconcile child workflow: reconcileIndicators, then awaiting the figures' projection. */
  reconcile: number;
  reconcileIndicators: number;
  reconcileProjected: number;
  total: number;
}

export interface TallyResult {
  summary: IngestSummary;
  seconds: number;
  stages: TallyStages;
  peakRssMb: { worker: number; projections: number };
  /** The stage in which the highest RSS was sampled. */
  peakStage: { worker: string; projections: string };
  /** Peak during start-up (the worker bundles its workflows with webpack). */
  startupRssMb: { worker: number; projections: number };
  /** Resident when ready, before the drop: the floor under the peak. */
  readyRssMb: { worker: number; projections: number };
  /** Whether the peaks exclude start-up (clear_refs accepted). */
  peakReset: boolean;
  figures: number;
  observations: number;
  /** The drop's accepted rows, observations, figures and rejections looked up in ClickHouse. */
  check: RowCheck;
}

export interface TallyRunIds {
  runId: string;
  database: string;
  config: TallyConfig;
}

/** The run's ids (database, topics, groups, queue, workflow ids) and configuration; `path` decides who projects observations and figures. */
export function tallyIds(stack: StackSettings, runId: string, workDir: string, path: ProjectionPath = { kind: 'node' }): TallyRunIds {
  const database = `bench_${runId}`;
  quoteIdentifier(database);
  const settings: StackSettings = { ...stack, clickhouse: { ...stack.clickhouse, database } };
  const config = configFromEnv(settings, undefined, {
    topicPrefix: `bench-${runId}.`,
    projectionsGroup: `bench-${runId}-projections`,
    taskQueue: `bench-${runId}`,
    // Workflow ids of its own, the source lock's (`<prefix>lock-dtm`) included: a lock left running
    // by an earlier run's stopped worker would never grant this run the lock.
    workflowIdPrefix: `bench-${runId}-`,
    landingDir: join(workDir, `landing-${runId}`),
    alerts: { log: false },
    projectionPath: path,
  });
  return { runId, database, config };
}

/** The environment of the bench's tally children (worker, projections, rebuild): the run's engines, topics, group and queue. */
export function tallyChildEnv(config: TallyConfig): NodeJS.ProcessEnv {
  const s = config.stack;
  return environment({
    TALLY_STACK: 'external',
    KAFKA_BROKERS: s.kafka.brokers.join(','),
    TEMPORAL_ADDRESS: s.temporal.address,
    TEMPORAL_NAMESPACE: s.temporal.namespace,
    CLICKHOUSE_URL: s.clickhouse.url,
    CLICKHOUSE_USER: s.clickhouse.username,
    CLICKHOUSE_PASSWORD: s.clickhouse.password,
    CLICKHOUSE_DATABASE: s.clickhouse.database,
    TALLY_TOPIC_PREFIX: config.topicPrefix,
    TALLY_PROJECTIONS_GROUP: config.projectionsGroup,
    TALLY_TASK_QUEUE: config.taskQueue,
    TALLY_WORKFLOW_ID_PREFIX: config.workflowIdPrefix,
    TALLY_LANDING_DIR: config.landingDir,
    TALLY_ALERT_LOG: '0',
    TALLY_LOG_LEVEL: logLevelFromEnv(undefined, 'warn'),
    // Always set: a TALLY_PROJECTION_PATH in the bench's own environment must not decide the path.
    TALLY_PROJECTION_PATH: config.projectionPath?.kind ?? 'node',
    ...(config.projectionPath?.kind === 'engine' ? { TALLY_ENGINE_KAFKA_BROKERS: config.projectionPath.brokers.join(',') } : {}),
  }, SERVICE_ENV);
}

export interface Child {
  name: string;
  process: ChildProcess;
  output: string[];
}

/** Starts a node child and resolves once a line of its output matches `ready`. */
async function startChild(name: string, args: string[], env: NodeJS.ProcessEnv, ready: RegExp, timeoutMs = 300_000): Promise<Child> {
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} not ready after ${timeoutMs / 1000} s:\n${output.slice(-20).join('')}`)), timeoutMs);
    const onData = (b: Buffer) => {
      const text = b.toString();
      output.push(text);
      if (output.length > 200) output.shift();
      if (ready.test(text)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with code ${code}:\n${output.slice(-20).join('')}`));
    });
  });
  return { name, process: child, output };
}

/** Rejects, with the child's last output, if it exits before `stopChild`: a dead worker would leave the workflow waiting forever. */
export function failOnExit(children: readonly Child[]): { failed: Promise<never>; stop(): void } {
  let stopped = false;
  const failed = new Promise<never>((_, reject) => {
    for (const child of children) {
      // 'close', not 'exit': by then the child's last output has been read.
      child.process.once('close', (code, signal) => {
        if (!stopped) reject(new Error(`the ${child.name} exited during the run (${signal ?? `code ${code}`}):\n${child.output.slice(-20).join('')}`));
      });
    }
  });
  failed.catch(() => undefined);
  return { failed, stop: () => void (stopped = true) };
}

async function stopChild(child: Child, graceMs = 30_000): Promise<void> {
  if (child.process.exitCode !== null || child.process.signalCode !== null) return;
  const exited = once(child.process, 'exit');
  child.process.kill('SIGTERM');
  const timer = setTimeout(() => child.process.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

type History = Awaited<ReturnType<WorkflowHandle['fetchHistory']>>;
type HistoryEvent = NonNullable<History['events']>[number];

function eventMs(e: HistoryEvent): number {
  const t = e.eventTime;
  return Number(t?.seconds?.toString() ?? 0) * 1000 + (t?.nanos ?? 0) / 1e6;
}

function eventId(e: HistoryEvent): string {
  return e.eventId?.toString() ?? '';
}

interface Span {
  name: string;
  seconds: number;
  start: number;
  end: number;
}

/** Scheduled → completed of every activity, and initiated → completed of every child workflow. */
export function spansOf(history: History): { spans: Span[]; start: number; end: number } {
  const events = history.events ?? [];
  const open = new Map<string, { name: string; start: number }>();
  const spans: Span[] = [];
  for (const e of events) {
    const scheduled = e.activityTaskScheduledEventAttributes;
    const child = e.startChildWorkflowExecutionInitiatedEventAttributes;
    if (scheduled) open.set(eventId(e), { name: scheduled.activityType?.name ?? '?', start: eventMs(e) });
    if (child) open.set(eventId(e), { name: `child:${child.workflowType?.name ?? '?'}`, start: eventMs(e) });
    const done = e.activityTaskCompletedEventAttributes?.scheduledEventId ?? e.childWorkflowExecutionCompletedEventAttributes?.initiatedEventId;
    if (done !== undefined && done !== null) {
      const begun = open.get(done.toString());
      if (begun) spans.push({ name: begun.name, start: begun.start, end: eventMs(e), seconds: (eventMs(e) - begun.start) / 1000 });
    }
  }
  return { spans, start: events.length ? eventMs(events[0]!) : 0, end: events.length ? eventMs(events[events.length - 1]!) : 0 };
}

function spanSeconds(spans: Span[], name: string, nth = 0): number {
  return spans.filter((s) => s.name === name)[nth]?.seconds ?? 0;
}

async function countTable(config: TallyConfig, table: string): Promise<number> {
  const client = await openClickHouse(config.stack.clickhouse);
  try {
    const result = await client.query({ query: `SELECT toUInt64(count()) AS n FROM ${quoteIdentifier(table)} FINAL`, format: 'JSONEachRow' });
    const [row] = await result.json<{ n: string }>();
    return Number(row?.n ?? 0);
  } finally {
    await client.close();
  }
}

export interface RunTallyOptions {
  ids: TallyRunIds;
  file: string;
  log: (line: string) => void;
}

export async function runTally(opts: RunTallyOptions): Promise<TallyResult> {
  const { config } = opts.ids;
  const env = tallyChildEnv(config);
  const children: Child[] = [];
  let temporal: { client: Client; close(): Promise<void> } | undefined;
  let stopWatching = () => {};
  try {
    opts.log('  tally: starting the projections and the worker (separate processes)…');
    const [projections, worker] = await Promise.all([
      startChild('projections', [...serviceFlags(), 'bin/run-ts.mjs', 'bench/projections-process.ts'], env, /^ready$/m),
      startChild('worker', [...serviceFlags(), 'bin/tally.mjs', 'worker', '--no-projections'], env, /worker running on task queue/),
    ]);
    children.push(projections, worker);
    const watch = failOnExit(children);
    stopWatching = watch.stop;
    const [w, p] = [readMemory(worker.process.pid!), readMemory(projections.process.pid!)];
    const startup = { worker: w?.hwmMb ?? 0, projections: p?.hwmMb ?? 0 };
    const readyRssMb = { worker: w?.rssMb ?? 0, projections: p?.rssMb ?? 0 };
    const peakReset = resetPeak(worker.process.pid!) && resetPeak(projections.process.pid!);
    const samplers = { worker: new PeakSampler(worker.process.pid!), projections: new PeakSampler(projections.process.pid!) };
    temporal = await temporalClient(config);

    opts.log('  tally: landing the drop and starting its workflow…');
    const started = performance.now();
    const landed = await landFile(config, opts.file, SOURCE);
    const land = (performance.now() - started) / 1000;
    const workflowId = ingestWorkflowId(landed.dropId, config.workflowIdPrefix);
    const existing = await temporal.client.workflow
      .getHandle(workflowId)
      .describe()
      .then(() => true)
      .catch(() => false);
    if (existing) throw new Error(`workflow ${workflowId} already exists on this Temporal server (the same drop ran before): pass another --seed`);
    const handle = await startIngest(temporal.client, config, landed.dropId, SOURCE);
    const progress = setInterval(() => {
      handle.query<string>('stage').then(
        (stage) => opts.log(`  tally: ${stage}… (${((performance.now() - started) / 1000).toFixed(0)} s, worker ${samplers.worker.current().toFixed(0)} MB, projections ${samplers.projections.current().toFixed(0)} MB)`),
        () => undefined,
      );
    }, 10_000);
    let summary: IngestSummary;
    let readSeconds: number | undefined;
    let published: { observations: number; figures: number };
    try {
      const result = await Promise.race([handle.result(), watch.failed]);
      readSeconds = result.timings?.readSeconds;
      summary = summarise(result, workflowId);
      published = { observations: result.observations, figures: result.figures };
    } finally {
      clearInterval(progress);
    }
    const seconds = (performance.now() - started) / 1000;
    const peakRssMb = { worker: samplers.worker.stop(), projections: samplers.projections.stop() };

    const main = spansOf(await handle.fetchHistory());
    const reconcileHistory = await temporal.client.workflow
      .getHandle(`${config.workflowIdPrefix}reconcile-${landed.dropId}`)
      .fetchHistory()
      .catch(() => ({ events: [] }) as History);
    const child = spansOf(reconcileHistory);
    const ingestDrop = spanSeconds(main.spans, 'ingestDrop');
    const consume = spanSeconds(main.spans, 'awaitProjected');
    const reconcile = spanSeconds(main.spans, 'child:reconcileWorkflow');
    const stages: TallyStages = {
      land,
      other: Math.max(0, seconds - land - ingestDrop - consume - reconcile),
      ingestDrop,
      parse: Math.min(readSeconds ?? 0, ingestDrop),
      publish: Math.max(0, ingestDrop - (readSeconds ?? 0)),
      consume,
      reconcile,
      reconcileIndicators: spanSeconds(child.spans, 'reconcileIndicators'),
      reconcileProjected: spanSeconds(child.spans, 'awaitProjected'),
      total: seconds,
    };
    const peakStage = { worker: stageAt(stages, samplers.worker.peakAt(), started), projections: stageAt(stages, samplers.projections.peakAt(), started) };
    const [figures, observations] = [await countTable(config, 'figures'), await countTable(config, 'observations')];
    const check = await checkRows(config, landed.dropId, { accepted: summary.accepted, rejected: summary.rejected, ...published });
    return { summary, seconds, stages, peakRssMb, peakStage, startupRssMb: startup, readyRssMb, peakReset, figures, observations, check };
  } finally {
    stopWatching();
    await temporal?.close();
    await Promise.all(children.map((c) => stopChild(c)));
  }
}

/** The stage a moment of the run fell in (`started` and `at` from performance.now()), taking the stages one after the other. */
export function stageAt(stages: TallyStages, at: number | undefined, started: number): string {
  if (at === undefined) return 'unknown';
  const seconds = (at - started) / 1000;
  let edge = 0;
  for (const stage of ['land', 'parse', 'publish', 'consume', 'reconcile'] as const) {
    edge += stages[stage];
    if (seconds <= edge) return stage;
  }
  return 'other';
}

/** Drops the run's database, topics and engine consumer groups (unless the caller keeps them for inspection). */
export async function cleanTally(ids: TallyRunIds): Promise<void> {
  const client = await openClickHouse(ids.config.stack.clickhouse, { createDatabase: false });
  try {
    await client.command({ query: `DROP DATABASE IF EXISTS ${quoteIdentifier(ids.database)}` });
  } finally {
    await client.close();
  }
  const engine = ids.config.projectionPath?.kind === 'engine';
  const kafka = kafkaFrom(ids.config.stack.kafka, 'tally-bench');
  const admin = kafka.admin();
  await admin.connect();
  try {
    // The row topics carry the bulk rows on both paths.
    await admin.deleteTopics({ topics: [...Object.values(topicsFor(ids.config.topicPrefix)), ...Object.values(rowTopicsFor(ids.config.topicPrefix))] });
    if (engine) await admin.deleteGroups(ENGINE_TABLES.map((t) => engineGroupOf(ids.config.projectionsGroup, t)));
  } catch {
    // best effort: a broker may refuse topic or group deletion
  } finally {
    await admin.disconnect();
  }
}
