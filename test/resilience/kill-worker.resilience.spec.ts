/**
 * A worker killed mid-drop, once its first attempt has put events on the log: the ingest activity
 * times out on its heartbeat, a second worker runs it again (skipping what the last heartbeat the
 * server saw says was published), and ClickHouse ends up with exactly the events of a clean run
 * (invariant 2: a restarted worker changes nothing).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { ingestOne, type IngestSummary } from '../../../cli/ingest.js';
import { temporalClient } from '../../../cli/context.js';
import { configToEnv, type TallyConfig } from '../../../infra/config.js';
import { startServices, type RunningServices } from '../../../worker/services.js';
import { openClickHouse, selectRows, toNumber, type ClickHouseClient } from '../../../adapters/clickhouse.js';
import { startProjections, type RunningProjections } from '../../../projections/runner.js';
import { quoteTable } from '../../../adapters/sql.js';
import { createKafka } from '../../../adapters/publisher.js';
import { topicsFor } from '../../../domain/events.js';
import type { ingestDropWorkflow, IngestDropResult } from '../../../workflows/index.js';
import { writeAdmin1Drop, type Admin1Drop } from '../../fixtures/generate-dtm-admin1.js';
import { testScope } from '../../support/isolation.js';
import { pipelineConfig } from '../../support/pipeline.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const EVENT_TABLES = ['observations', 'rejections', 'duplicates', 'figures', 'discrepancies'] as const;
const ROWS = 40_000;

interface Snapshot {
  eventIds: Record<(typeof EVENT_TABLES)[number], string[]>;
  drops: Array<Record<string, string | number>>;
}

async function snapshot(clickhouse: ClickHouseClient, database: string): Promise<Snapshot> {
  const eventIds = {} as Snapshot['eventIds'];
  for (const table of EVENT_TABLES) {
    const rows = await selectRows<{ event_id: string }>(clickhouse, `SELECT DISTINCT event_id FROM ${quoteTable(database, table)} ORDER BY event_id`);
    eventIds[table] = rows.map((r) => r.event_id);
  }
  const drops = await selectRows<Record<string, string | number>>(
    clickhouse,
    `SELECT drop_id, status, rows, accepted, rejected, duplicates, observations, revisions FROM ${quoteTable(database, 'drops')} FINAL ORDER BY drop_id`,
  );
  return { eventIds, drops: drops.map((d) => Object.fromEntries(Object.entries(d).map(([k, v]) => [k, k === 'drop_id' || k === 'status' ? v : toNumber(v)]))) };
}

function childEnv(config: TallyConfig): NodeJS.ProcessEnv {
  return { ...process.env, ...configToEnv(config) };
}

interface WorkerChild {
  process: ChildProcess;
  output: string[];
}

/** `tally worker --no-projections` in a process group of its own, resolved once it polls its task queue. */
async function startWorker(config: TallyConfig, timeoutMs = 120_000): Promise<WorkerChild> {
  const child = spawn(process.execPath, ['bin/tally.mjs', 'worker', '--no-projections'], {
    cwd: ROOT,
    env: childEnv(config),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const output: string[] = [];
  await new Promise<void>((ready, fail) => {
    const timer = setTimeout(() => fail(new Error(`worker not ready after ${timeoutMs / 1000} s:\n${output.join('')}`)), timeoutMs);
    const onData = (b: Buffer) => {
      output.push(b.toString());
      if (/worker running on task queue/.test(b.toString())) {
        clearTimeout(timer);
        ready();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      fail(new Error(`worker exited (${code ?? signal}) before it was ready:\n${output.join('')}`));
    });
  });
  return { process: child, output };
}

async function killGroup(child: WorkerChild | undefined, signal: NodeJS.Signals): Promise<void> {
  if (!child || child.process.exitCode !== null || child.process.signalCode !== null) return;
  const exited = once(child.process, 'exit');
  try {
    process.kill(-child.process.pid!, signal);
  } catch {
    // already gone
  }
  await exited;
}

interface Pending {
  attempt: number;
  published: number;
  /** Events on the test's topics when the worker was killed. */
  onLog?: number;
}

/** The pending ingestDrop activity as the server sees it: its attempt and last heartbeat. */
async function pendingIngest(handle: WorkflowHandle): Promise<Pending | undefined> {
  const { raw } = await handle.describe();
  const activity = raw.pendingActivities?.find((a) => a.activityType?.name === 'ingestDrop');
  if (!activity) return undefined;
  const data = activity.heartbeatDetails?.payloads?.[0]?.data;
  const details = data ? (JSON.parse(Buffer.from(data).toString('utf8')) as { published?: number }) : {};
  return { attempt: activity.attempt ?? 1, published: details.published ?? 0 };
}

/** The attempt that completed ingestDrop, from the workflow's history. */
async function completedAttempt(handle: WorkflowHandle): Promise<number> {
  const events = (await handle.fetchHistory()).events ?? [];
  const scheduled = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'ingestDrop');
  const started = events.find((e) => e.activityTaskStartedEventAttributes?.scheduledEventId?.toString() === scheduled?.eventId?.toString());
  return started?.activityTaskStartedEventAttributes?.attempt ?? 0;
}

describe('a worker killed mid-drop', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tally-kill-'));
  let drop: Admin1Drop;
  const clean = pipelineConfig(testScope('clean'), { landingDir: join(dir, 'landing-clean') });
  const crash = pipelineConfig(testScope('crash'), { landingDir: join(dir, 'landing-crash') });
  let services: RunningServices | undefined;
  let projections: RunningProjections | undefined;
  let firstWorker: WorkerChild | undefined;
  let secondWorker: WorkerChild | undefined;
  let temporal: { client: Client; close(): Promise<void> } | undefined;
  let clickhouse: ClickHouseClient | undefined;
  let cleanResult: IngestDropResult;
  let cleanWorkflowId: string;
  let cleanSnapshot: Snapshot;
  const timings: Record<string, unknown> = {};

  beforeAll(async () => {
    drop = writeAdmin1Drop(join(dir, 'dtm-admin1-generated.csv'), { rows: ROWS });
    temporal = await temporalClient(clean);
    clickhouse = await openClickHouse(clean.stack.clickhouse, { database: 'default', createDatabase: false });

    // The crash run's projections and first worker start while the clean run goes.
    const crashReady = (async () => {
      projections = await startProjections({ settings: crash.stack, topicPrefix: crash.topicPrefix, groupId: crash.projectionsGroup, database: crash.stack.clickhouse.database });
      firstWorker = await startWorker(crash);
    })();

    const started = Date.now();
    services = await startServices(clean);
    const summary = (await ingestOne(temporal.client, clean, { file: drop.path }, 'dtm', true)) as IngestSummary;
    cleanWorkflowId = summary.workflowId;
    cleanResult = await temporal.client.workflow.getHandle<typeof ingestDropWorkflow>(summary.workflowId).result();
    timings.cleanRun = Date.now() - started;
    cleanSnapshot = await snapshot(clickhouse, clean.stack.clickhouse.database);
    await services.stop();
    services = undefined;
    await crashReady;
  }, 240_000);

  afterAll(async () => {
    await killGroup(firstWorker, 'SIGKILL');
    await killGroup(secondWorker, 'SIGTERM');
    await services?.stop();
    await projections?.stop();
    await temporal?.close();
    for (const config of [clean, crash]) {
      await clickhouse?.command({ query: `DROP DATABASE IF EXISTS ${config.stack.clickhouse.database}` }).catch(() => undefined);
    }
    await clickhouse?.close();
    rmSync(dir, { recursive: true, force: true });
    console.log(`[kill-worker] ${JSON.stringify(timings)}`);
  }, 60_000);

  it('the clean run accounts for every row of the generated drop', () => {
    expect(drop.rows).toBe(ROWS);
    expect(cleanResult.status).toBe('processed');
    expect(cleanResult.accepted + cleanResult.rejected + cleanResult.duplicates).toBe(ROWS);
    expect(cleanResult.rejected).toBeGreaterThanOrEqual(drop.bad);
    expect(cleanResult.duplicates).toBeGreaterThan(0);
    // Enough events for several batches of 2,000.
    expect(cleanResult.observations + cleanResult.rejected + cleanResult.duplicates).toBeGreaterThan(6 * 2000);
    expect(cleanSnapshot.eventIds.observations).toHaveLength(cleanResult.observations);
    expect(cleanSnapshot.eventIds.figures.length).toBeGreaterThan(0);
  });

  it('resumes on a second worker and ends with the events of the clean run', async () => {
    const started = Date.now();
    const landed = await ingestOne(temporal!.client, crash, { file: drop.path }, 'dtm', false);
    expect(landed.dropId).toBe(cleanResult.dropId);
    const handle = temporal!.client.workflow.getHandle<typeof ingestDropWorkflow>(landed.workflowId);
    expect(handle.workflowId).not.toBe(cleanWorkflowId);

    // Kill as soon as the first attempt has put events on the log and is still running. (Heartbeat
    // details are not a reliable trigger: the SDK sends them at most every 16 s, and the first
    // attempt can publish its first batches and be killed before the server has seen them.)
    const admin = createKafka(crash.stack.kafka, `${crash.taskQueue}-watch`).admin();
    await admin.connect();
    let atKill: Pending | undefined;
    try {
      const deadline = Date.now() + 60_000;
      while (!atKill) {
        const pending = await pendingIngest(handle);
        let onLog = 0;
        for (const topic of Object.values(topicsFor(crash.topicPrefix))) {
          const offsets = await admin.fetchTopicOffsets(topic).catch(() => []);
          onLog += offsets.reduce((n, o) => n + Number(o.high), 0);
        }
        if (pending && onLog > 0) atKill = { ...pending, onLog };
        else if (Date.now() > deadline) throw new Error(`the first attempt put nothing on the log within 60 s (pending: ${JSON.stringify(pending)})`);
        else await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      await admin.disconnect();
    }
    await killGroup(firstWorker, 'SIGKILL');
    timings.killedAfter = Date.now() - started;
    timings.atKill = atKill;
    expect(firstWorker!.process.signalCode).toBe('SIGKILL');

    secondWorker = await startWorker(crash);
    const result = await handle.result();
    timings.crashRun = Date.now() - started;

    expect(atKill.attempt).toBe(1);
    expect(atKill.onLog).toBeGreaterThan(0);
    expect(await completedAttempt(handle)).toBeGreaterThanOrEqual(2);

    expect(result.accepted + result.rejected + result.duplicates).toBe(ROWS);
    // Timings are the attempt's own; everything the drop produced is the clean run's.
    const { timings: attemptTimings, ...produced } = result;
    const { timings: _cleanTimings, ...cleanProduced } = cleanResult;
    expect(produced).toEqual(cleanProduced);
    expect(attemptTimings?.readSeconds).toBeGreaterThan(0);

    const after = await snapshot(clickhouse!, crash.stack.clickhouse.database);
    for (const table of EVENT_TABLES) {
      const expected = new Set(cleanSnapshot.eventIds[table]);
      const found = new Set(after.eventIds[table]);
      expect({ table, missing: [...expected].filter((id) => !found.has(id)).slice(0, 10) }).toEqual({ table, missing: [] });
      expect({ table, extra: [...found].filter((id) => !expected.has(id)).slice(0, 10) }).toEqual({ table, extra: [] });
      expect(after.eventIds[table]).toHaveLength(cleanSnapshot.eventIds[table].length);
    }
    expect(after.drops).toEqual(cleanSnapshot.drops);
    expect(after.drops).toEqual([
      expect.objectContaining({ drop_id: cleanResult.dropId, status: 'processed', rows: ROWS, accepted: result.accepted, rejected: result.rejected, duplicates: result.duplicates }),
    ]);
  }, 180_000);
});

