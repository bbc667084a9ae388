/**
 * Faults of delivery and of the engines, each on a run of its own compared with a clean run of the
 * same drop: every query (figures of every indicator, reconciled, per source and as known before
 * each drop; discrepancies; rejections; the drop ledger; the distinct event ids of each table) must
 * answer exactly the same.
 *
 * - the ingest activity executed twice at once for one drop (the workflow's, and a direct call);
 * - a batch of messages redelivered 100 times (the same records produced again to the topics);
 * - the explorer's server sent malformed requests while a drop is ingested;
 * - two workers and two projection consumers on topics of three partitions, ingesting two
 *   overlapping drops of one source at once: the answers are those of one worker ingesting them in
 *   turn (in one order or the other), and the same two drops ingested at once without the source
 *   lock are shown to give other answers;
 * - the Kafka broker restarted (stopped and started on its ports, with its data) mid-publish;
 * - ClickHouse frozen (SIGSTOP) for 60 s while the projections insert.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@temporalio/client';
import { temporalClient } from '../../cli/context.js';
import { landFile, startIngest } from '../../cli/ingest.js';
import { createActivities, createActivityDeps } from '../../activities/index.js';
import { openClickHouse, selectRows, type ClickHouseClient } from '../../adapters/clickhouse.js';
import { createKafka } from '../../adapters/publisher.js';
import { quoteTable } from '../../adapters/sql.js';
import { topicsFor } from '../../domain/events.js';
import type { TallyConfig } from '../../infra/config.js';
import { freePort } from '../../infra/stack/ports.js';
import { restartLocalEngine, signalLocalEngine } from '../../infra/stack/index.js';
import { startProjections, type RunningProjections } from '../../projections/runner.js';
import { startServices, type RunningServices } from '../../worker/services.js';
import { ingestStageQuery, type IngestDropResult } from '../../workflows/index.js';
import { writeAdmin1Drop } from '../fixtures/generate-dtm-admin1.js';
import { writeOverlappingDrops, type OverlappingDrops } from './support/drops.js';
import { firstMessages, MALFORMED, rawRequest, topicPartitions, workerIdentities } from './support/probes.js';
import {
  answers,
  differences,
  dropDatabase,
  eventsOnLog,
  exited,
  ingestAndWait,
  killGroup,
  localEngines,
  pendingActivity,
  resultWithin,
  runConfig,
  sizeOf,
  stackDir,
  startTally,
  startWorker,
  until,
  untilProjected,
  type Answers,
  type Child,
} from './support/runs.js';

/** Rows of the drop most faults run on: enough for several publish batches and projection rounds, small enough to keep CI's budget. */
const ROWS = 15_000;
const FREEZE_MS = 60_000;
const REDELIVERIES = 100;
/** How long the projections of the two-workers run start after a drop waits for them. */
const LAG_MS = 5000;
/** How long a faulted run may take after its fault before the test says where it is stuck (a clean one takes about 15 s). */
const STUCK_MS = 300_000;

describe('engine and delivery faults', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tally-faults-'));
  const landingDir = join(dir, 'landing');
  const file = join(dir, 'dtm-admin1-faults.csv');
  const configs: TallyConfig[] = [];
  const config = (label: string) => {
    const c = runConfig(label, landingDir);
    configs.push(c);
    return c;
  };
  const clean = config('faultclean');
  let temporal: { client: Client; close(): Promise<void> };
  let clickhouse: ClickHouseClient;
  let cleanAnswers: Answers;
  const table: Record<string, unknown> = {};
  const stops: Array<() => Promise<unknown>> = [];

  /** A worker and projections in this process for the run; stopped after the test. */
  const services = async (c: TallyConfig): Promise<RunningServices> => {
    const s = await startServices(c);
    stops.push(() => s.stop());
    return s;
  };
  const start = async (c: TallyConfig) => {
    const landed = await landFile(c, file, 'dtm');
    return startIngest(temporal.client, c, landed.dropId, 'dtm');
  };
  const dropIdOf = (workflowId: string) => workflowId.slice(workflowId.lastIndexOf('-') + 1);

  beforeAll(async () => {
    writeAdmin1Drop(file, { rows: ROWS, seed: 11 });
    temporal = await temporalClient(clean);
    clickhouse = await openClickHouse(clean.stack.clickhouse, { database: 'default', createDatabase: false });
    const s = await startServices(clean);
    try {
      const result = await ingestAndWait(temporal.client, clean, file, 'dtm');
      expect(result.accepted + result.rejected + result.duplicates).toBe(ROWS);
    } finally {
      await s.stop();
    }
    cleanAnswers = await answers(clean);
    table.clean = { rows: ROWS, ...sizeOf(cleanAnswers) };
  }, 240_000);

  afterAll(async () => {
    for (const stop of stops.splice(0).reverse()) await stop().catch(() => undefined);
    await temporal?.close();
    for (const c of configs) if (clickhouse) await dropDatabase(c, clickhouse);
    await clickhouse?.close();
    rmSync(dir, { recursive: true, force: true });
    console.log(`[resilience:faults] ${JSON.stringify(table)}`);
  }, 120_000);

  const afterEachFault = async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
  };

  describe('one run, two faults of delivery', () => {
    const run = config('twice');

    it('the ingest activity executed twice at once for one drop', async () => {
      const s = await services(run);
      const handle = await start(run);
      const direct = createActivities(s.deps);
      const [viaWorkflow, twice] = await Promise.all([handle.result(), direct.ingestDrop({ dropId: dropIdOf(handle.workflowId), source: 'dtm' })]);
      // And reconciling once more, directly, after the workflow did.
      await direct.reconcileIndicators({ dropId: viaWorkflow.dropId });
      await untilProjected(run);
      expect(twice).toMatchObject({ rows: viaWorkflow.rows, accepted: viaWorkflow.accepted, rejected: viaWorkflow.rejected, duplicates: viaWorkflow.duplicates, observations: viaWorkflow.observations });
      table.activityTwice = { rows: viaWorkflow.rows, eventsOnLog: await eventsOnLog(run) };
      const after = await answers(run);
      expect(differences(cleanAnswers, after)).toEqual([]);
      expect(after).toEqual(cleanAnswers);
    });

    it(`a batch of messages redelivered ${REDELIVERIES} times`, async () => {
      const kafka = createKafka(run.stack.kafka, `${run.taskQueue}-redeliver`);
      // The batch: the first message of each topic (a message carries up to 128 KiB of events).
      const batch = await firstMessages(kafka, Object.values(topicsFor(run.topicPrefix)), 1);
      const producer = kafka.producer();
      await producer.connect();
      const started = Date.now();
      try {
        for (let i = 0; i < REDELIVERIES; i++) await producer.sendBatch({ topicMessages: batch.topicMessages });
      } finally {
        await producer.disconnect();
      }
      await untilProjected(run);
      table.redelivered = { messages: batch.messages, events: batch.events, times: REDELIVERIES, bytes: batch.bytes * REDELIVERIES, ms: Date.now() - started };
      const after = await answers(run);
      expect(differences(cleanAnswers, after)).toEqual([]);
      expect(after).toEqual(cleanAnswers);
      await afterEachFault();
    });
  });

  it("the explorer's server sent malformed requests while a drop is ingested", async () => {
    const run = config('explorer');
    await services(run);
    const port = await freePort();
    const explorer = await startTally(run, ['explorer', '--port', String(port)], /explorer: http/);
    stops.push(() => killGroup(explorer, 'SIGTERM'));
    const handle = await start(run);
    const answered: Array<{ request: string; status: string }> = [];
    for (const request of MALFORMED) {
      answered.push({ request: JSON.stringify(request.slice(0, 40)), status: await rawRequest(port, request) });
      // The server still serves a good request after each bad one.
      const good = await rawRequest(port, 'GET /api/indicators HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
      if (good !== 'HTTP/1.1 200 OK') {
        const log = explorer.output.join('').replace(/\s+/g, ' ').slice(-300);
        throw new Error(`after ${JSON.stringify(request.slice(0, 40))} the explorer answered a good request with "${good}" (its process ${exited(explorer) ? 'exited' : 'runs'}; its output ends: ${log})`);
      }
    }
    const result = await handle.result();
    table.explorer = { malformedRequests: MALFORMED.length, answers: answered, rows: result.rows };
    for (const a of answered) expect(a).toEqual({ request: a.request, status: expect.stringMatching(/^HTTP\/1\.1 4\d\d /) });
    const after = await answers(run);
    expect(differences(cleanAnswers, after)).toEqual([]);
    await afterEachFault();
  });

  describe('two workers and two projection consumers, two overlapping drops of one source at once', () => {
    let drops: OverlappingDrops;
    const inTurn: Record<'ab' | 'ba', Answers> = {} as never;
    let dropIds: { a: string; b: string };

    beforeAll(async () => {
      drops = writeOverlappingDrops(dir, { rounds: 200, overlap: 100 });
      // Land both now, B a second after A: every run below sees the same receivedAt, B the newer.
      const a = await landFile(clean, drops.a, 'dtm');
      await new Promise((r) => setTimeout(r, 1100));
      const b = await landFile(clean, drops.b, 'dtm');
      dropIds = { a: a.dropId, b: b.dropId };
      for (const order of ['ab', 'ba'] as const) {
        const run = config(`inturn${order}`);
        const s = await startServices(run);
        try {
          for (const key of order.split('') as Array<'a' | 'b'>) await (await startIngest(temporal.client, run, dropIds[key], 'dtm')).result();
        } finally {
          await s.stop();
        }
        inTurn[order] = await answers(run);
      }
    }, 300_000);

    it('the figures are those of one worker doing them in turn', async () => {
      const run = config('together');
      const kafka = createKafka(run.stack.kafka, `${run.taskQueue}-meta`);
      const consumers: RunningProjections[] = [];
      const workers: Child[] = [];
      workers.push(...(await Promise.all([startWorker(run), startWorker(run)])));
      for (const w of workers) stops.push(() => killGroup(w, 'SIGTERM'));
      const started = Date.now();
      const handles = await Promise.all((['a', 'b'] as const).map((key) => startIngest(temporal.client, run, dropIds[key], 'dtm')));
      // The read model lags (eventually consistent): the projections start only once a drop waits
      // for them, and some seconds later still. Without the lock both drops would be read and
      // settled against an empty read model by then.
      // A drop reconciles from what its ingest kept, then waits for the projections to hold its figures.
      await until('a drop waiting for the projections', async () => (await Promise.all(handles.map((h) => h.query(ingestStageQuery)))).some((s) => s === 'projecting' || s === 'reconciling'), 120_000);
      await new Promise((r) => setTimeout(r, LAG_MS));
      for (let i = 0; i < 2; i++) {
        consumers.push(await startProjections({ settings: run.stack, topicPrefix: run.topicPrefix, groupId: run.projectionsGroup, database: run.stack.clickhouse.database }));
        stops.push(() => consumers[i]!.stop());
      }
      const partitions = await topicPartitions(kafka, Object.values(topicsFor(run.topicPrefix)));
      expect(Math.min(...Object.values(partitions))).toBeGreaterThanOrEqual(3);
      const results = await Promise.all(handles.map((h) => h.result()));
      const identities = await workerIdentities(handles.map((h) => temporal.client.workflow.getHandle(h.workflowId)));
      const after = await answers(run);
      const ab = differences(inTurn.ab, after);
      const ba = differences(inTurn.ba, after);
      table.concurrent = {
        rows: { a: drops.rowsA, b: drops.rowsB, repeated: drops.repeated, changed: drops.changed },
        partitions,
        workers: identities,
        projectionsLagMs: LAG_MS,
        ms: Date.now() - started,
        results: results.map((r) => ({ drop: r.dropId.slice(0, 8), accepted: r.accepted, duplicates: r.duplicates, revisions: r.revisions, observations: r.observations })),
        sameAs: ab.length === 0 ? 'A then B' : ba.length === 0 ? 'B then A' : 'neither',
      };
      expect(ab.length === 0 || ba.length === 0 ? [] : { ab: ab.slice(0, 5), ba: ba.slice(0, 5) }).toEqual([]);
      // The overlap was settled once: its repeated rows are duplicates in the second drop, its changed ones revisions.
      const second = results.find((r) => r.duplicates > 0)!;
      expect(second).toMatchObject({ duplicates: drops.repeated, revisions: drops.changed / 3 });
      await afterEachFault();
    });

    it('without the source lock, the same two drops at once give other answers (the race the lock closes)', async () => {
      const run = config('nolock');
      // The ingest activity itself, twice at once on two sets of clients, as two workers would run it
      // without the lock, while the read model does not hold either drop yet.
      const deps = [await createActivityDeps(run), await createActivityDeps(run)];
      for (const d of deps) stops.push(() => d.close());
      const [a, b] = await Promise.all([createActivities(deps[0]!).ingestDrop({ dropId: dropIds.a, source: 'dtm' }), createActivities(deps[1]!).ingestDrop({ dropId: dropIds.b, source: 'dtm' })]);
      const projections = await startProjections({ settings: run.stack, topicPrefix: run.topicPrefix, groupId: run.projectionsGroup, database: run.stack.clickhouse.database });
      stops.push(() => projections.stop());
      await untilProjected(run);
      for (const dropId of [dropIds.a, dropIds.b]) await createActivities(deps[0]!).reconcileIndicators({ dropId });
      await untilProjected(run);
      const after = await answers(run);
      table.withoutLock = { a: { accepted: a.accepted, duplicates: a.duplicates, revisions: a.revisions }, b: { accepted: b.accepted, duplicates: b.duplicates, revisions: b.revisions } };
      expect(differences(inTurn.ab, after).length).toBeGreaterThan(0);
      expect(differences(inTurn.ba, after).length).toBeGreaterThan(0);
      // Both published the overlap's repeated figures, and neither counted the other's revisions.
      expect({ duplicates: a.duplicates + b.duplicates, revisions: a.revisions + b.revisions }).toEqual({ duplicates: 0, revisions: 0 });
      await afterEachFault();
    });
  });

  // The engine faults come last: they stop Kafka and ClickHouse under every file of the suite, and
  // by now the other files' set-up is done.
  it.runIf(localEngines())('the Kafka broker restarted mid-publish', async () => {
    const run = config('kafkarestart');
    await services(run);
    const started = Date.now();
    const handle = await start(run);
    const atRestart = await until('events on the log while the ingest activity runs', async () => {
      const [onLog, pending] = await Promise.all([eventsOnLog(run), pendingActivity(handle)]);
      return onLog > 0 && pending?.type === 'ingestDrop' ? onLog : undefined;
    });
    const restart = await restartLocalEngine(stackDir(), 'kafka');
    const result = await resultWithin<IngestDropResult>(temporal.client, handle, STUCK_MS);
    table.kafkaRestart = { eventsOnLogAtRestart: atRestart, brokerDownMs: restart.downMs, totalMs: Date.now() - started, rows: result.rows };
    const after = await answers(run);
    expect(differences(cleanAnswers, after)).toEqual([]);
    expect(after).toEqual(cleanAnswers);
    await afterEachFault();
  });

  it.runIf(localEngines())(`ClickHouse frozen for ${FREEZE_MS / 1000} s mid-projection`, async () => {
    const run = config('chfreeze');
    await services(run);
    const started = Date.now();
    const handle = await start(run);
    const observations = quoteTable(run.stack.clickhouse.database, 'observations');
    const rejections = quoteTable(run.stack.clickhouse.database, 'rejections');
    const projected = async () => {
      const rows = await selectRows<{ n: string }>(clickhouse, `SELECT toString((SELECT count() FROM ${observations}) + (SELECT count() FROM ${rejections})) AS n`).catch(() => [{ n: '0' }]);
      return Number(rows[0]?.n ?? 0);
    };
    const atFreeze = await until('the projections inserting', async () => {
      const n = await projected();
      return n > 0 ? n : undefined;
    }, 120_000, 50);
    signalLocalEngine(stackDir(), 'clickhouse', 'SIGSTOP');
    try {
      await new Promise((r) => setTimeout(r, FREEZE_MS));
    } finally {
      signalLocalEngine(stackDir(), 'clickhouse', 'SIGCONT');
    }
    const result = await resultWithin<IngestDropResult>(temporal.client, handle, STUCK_MS);
    table.clickhouseFrozen = { frozenMs: FREEZE_MS, rowsProjectedAtFreeze: atFreeze, totalMs: Date.now() - started, rows: result.rows };
    const after = await answers(run);
    expect(differences(cleanAnswers, after)).toEqual([]);
    expect(after).toEqual(cleanAnswers);
    await afterEachFault();
  });
});
