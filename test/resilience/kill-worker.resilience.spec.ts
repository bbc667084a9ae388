/**
 * The worker SIGKILLed at ten random points of one drop. For each of ten worker processes in turn,
 * once the drop's long work (the ingest activity, or reconciling) has started on it, a seeded
 * generator picks how long it runs before it is killed: 5 %-75 % of what that activity took in the
 * clean run, so kills land in the reading, the publishing and the reconciling. Each killed activity
 * is retried on the next worker after its heartbeat timeout (20 s); the ingest activity resumes
 * after what its last heartbeat said was published, reconciling starts again. After the tenth kill an eleventh worker finishes the drop, and every query must
 * answer exactly as after a clean run of the same drop (invariant 2: a restarted worker changes
 * nothing).
 *
 * Size: 20,000 rows, not 200,000. Each kill costs a heartbeat timeout (20 s) and a retry backoff
 * (1-5 s) whatever the size, so ten kills cost about four minutes at any size; each retried attempt
 * also re-reads the drop from its start (skipping what was published): with 50,000 rows the ingest
 * activity took 11.5-15.8 s in this suite's runs and the ten kills 308-367 s; 200,000 rows would
 * add more than that again, for a suite that CI runs on every push. 20,000 rows still make three
 * publish batches of 4,000 events, so kills fall before, between and after batches.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { ingestOne } from '../../cli/ingest.js';
import { temporalClient } from '../../cli/context.js';
import { startServices } from '../../worker/services.js';
import { openClickHouse, type ClickHouseClient } from '../../adapters/clickhouse.js';
import { startProjections, type RunningProjections } from '../../projections/runner.js';
import { prng } from '../../bench/generate.js';
import type { ingestDropWorkflow, IngestDropResult } from '../../workflows/index.js';
import { writeAdmin1Drop, type Admin1Drop } from '../fixtures/generate-dtm-admin1.js';
import {
  answers,
  completedAttempts,
  differences,
  dropDatabase,
  exited,
  ingestAndWait,
  killGroup,
  pendingActivity,
  retrying,
  runConfig,
  sizeOf,
  startWorker,
  until,
  type Answers,
  type Child,
} from './support/runs.js';

/**
 * Large enough that a retried reconcile (under a second at 20,000 rows, once it no longer waits for
 * the projections) is still running when the next kill comes.
 */
const ROWS = 40_000;
const KILLS = 10;
const SEED = 20_240_612;

/** Work long enough to be killed in, and how long it took in the clean run. */
const KILLABLE = ['ingestDrop', 'reconcileIndicators'] as const;

interface Kill {
  round: number;
  /** The activity running on the killed worker, and its attempt. */
  activity: string;
  attempt: number;
  afterMs: number;
}

/** How long each activity of the workflow ran (scheduled to completed, last attempt), from its history. */
async function activityMs(handle: WorkflowHandle): Promise<Record<string, number>> {
  const events = (await handle.fetchHistory()).events ?? [];
  const ms = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) => Number(t?.seconds ?? 0) * 1000 + (t?.nanos ?? 0) / 1e6;
  const out: Record<string, number> = {};
  const started = new Map<string, { type: string; at: number }>();
  const scheduled = new Map<string, string>();
  for (const e of events) {
    if (e.activityTaskScheduledEventAttributes) scheduled.set(String(e.eventId), e.activityTaskScheduledEventAttributes.activityType?.name ?? '?');
    if (e.activityTaskStartedEventAttributes) started.set(String(e.activityTaskStartedEventAttributes.scheduledEventId), { type: scheduled.get(String(e.activityTaskStartedEventAttributes.scheduledEventId)) ?? '?', at: ms(e.eventTime) });
    const done = e.activityTaskCompletedEventAttributes;
    if (done) {
      const s = started.get(String(done.scheduledEventId));
      if (s) out[s.type] = Math.round(ms(e.eventTime) - s.at);
    }
  }
  return out;
}

describe('the worker SIGKILLed at ten random points of a drop', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tally-kill-'));
  const landingDir = join(dir, 'landing');
  const clean = runConfig('killclean', landingDir);
  const crash = runConfig('killcrash', landingDir);
  let drop: Admin1Drop;
  let projections: RunningProjections | undefined;
  let worker: Child | undefined;
  let temporal: { client: Client; close(): Promise<void> } | undefined;
  let clickhouse: ClickHouseClient | undefined;
  let cleanResult: IngestDropResult & { workflowId: string };
  let cleanAnswers: Answers;
  let cleanMs = 0;
  const cleanActivityMs: Record<string, number> = {};
  const kills: Kill[] = [];
  const figures: Record<string, unknown> = {};

  beforeAll(async () => {
    drop = writeAdmin1Drop(join(dir, 'dtm-admin1-generated.csv'), { rows: ROWS });
    temporal = await temporalClient(clean);
    clickhouse = await openClickHouse(clean.stack.clickhouse, { database: 'default', createDatabase: false });
    const services = await startServices(clean);
    try {
      const started = Date.now();
      cleanResult = await ingestAndWait(temporal.client, clean, drop.path, 'dtm');
      cleanMs = Date.now() - started;
    } finally {
      await services.stop();
    }
    cleanAnswers = await answers(clean);
    const ingest = temporal.client.workflow.getHandle(cleanResult.workflowId);
    const reconcile = temporal.client.workflow.getHandle(`${clean.workflowIdPrefix}reconcile-${cleanResult.dropId}`);
    Object.assign(cleanActivityMs, await activityMs(ingest), await activityMs(reconcile));
    projections = await retrying('the projections', () => startProjections({ settings: crash.stack, topicPrefix: crash.topicPrefix, groupId: crash.projectionsGroup, database: crash.stack.clickhouse.database }));
  }, 240_000);

  afterAll(async () => {
    await killGroup(worker, 'SIGKILL');
    await projections?.stop();
    await temporal?.close();
    for (const config of [clean, crash]) if (clickhouse) await dropDatabase(config, clickhouse);
    await clickhouse?.close();
    rmSync(dir, { recursive: true, force: true });
    console.log(`[resilience:kill-worker] ${JSON.stringify({ rows: ROWS, cleanMs, ...figures, kills })}`);
  }, 60_000);

  it('the clean run accounts for every row', () => {
    expect(cleanResult).toMatchObject({ status: 'processed', rows: ROWS });
    expect(cleanResult.accepted + cleanResult.rejected + cleanResult.duplicates).toBe(ROWS);
    expect(cleanResult.rejected).toBeGreaterThanOrEqual(drop.bad);
    expect(cleanAnswers.eventIds.observations).toHaveLength(cleanResult.observations);
    expect(cleanAnswers.eventIds.figures.length).toBeGreaterThan(0);
    figures.clean = sizeOf(cleanAnswers);
  });

  it('ends with the answers of the clean run after ten kills', async () => {
    const random = prng(SEED);
    const started = Date.now();
    const landed = await ingestOne(temporal!.client, crash, { file: drop.path }, 'dtm', false);
    const handle = temporal!.client.workflow.getHandle<typeof ingestDropWorkflow>(landed.workflowId);
    const reconcile = temporal!.client.workflow.getHandle(`${crash.workflowIdPrefix}reconcile-${landed.dropId}`);
    const killable = async () => {
      for (const h of [handle, reconcile]) {
        const p = await pendingActivity(h).catch(() => undefined);
        if (p && (KILLABLE as readonly string[]).includes(p.type)) return p;
      }
      return undefined;
    };
    let last: { type: string; attempt: number } | undefined;
    for (let round = 1; round <= KILLS; round++) {
      worker = await retrying('a worker', () => startWorker(crash));
      // This worker has the work once a killable activity other than the one killed last is started.
      const taken = await until(`round ${round}: the drop's work started on the new worker`, async () => {
        const desc = await handle.describe();
        if (desc.status.name !== 'RUNNING') throw new Error(`the drop ended (${desc.status.name}) after ${round - 1} kills: ${JSON.stringify(kills)}`);
        const p = await killable();
        return p && p.started && (p.type !== last?.type || p.attempt !== last?.attempt) ? p : undefined;
      }, 120_000);
      const afterMs = Math.round((0.05 + 0.7 * random()) * (cleanActivityMs[taken.type] ?? cleanMs));
      await new Promise((r) => setTimeout(r, afterMs));
      const running = (await killable()) ?? taken;
      await killGroup(worker, 'SIGKILL');
      expect(exited(worker)).toBe(true);
      kills.push({ round, activity: running.type, attempt: running.attempt, afterMs });
      last = running;
    }
    worker = await retrying('the last worker', () => startWorker(crash));
    const result = await handle.result();
    figures.crashMs = Date.now() - started;
    figures.cleanActivityMs = cleanActivityMs;

    const { timings: _t, ...produced } = result;
    const { timings: _c, workflowId: _w, ...expected } = cleanResult;
    expect(produced).toEqual(expected);
    expect(result.accepted + result.rejected + result.duplicates).toBe(ROWS);
    const attempts = await completedAttempts(handle);
    figures.completedAttempts = attempts;
    expect(Math.max(...(attempts.ingestDrop ?? [0]))).toBeGreaterThanOrEqual(2);
    expect(kills).toHaveLength(KILLS);

    const after = await answers(crash);
    expect(differences(cleanAnswers, after)).toEqual([]);
    expect(after).toEqual(cleanAnswers);
  }, 600_000);
});
