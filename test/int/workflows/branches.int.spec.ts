/**
 * The workflows' branches and the retry policies, on the real Temporal server with the real
 * workflow bundle. The API fetch and the alert sinks are the real ones, against local HTTP
 * servers; the activities that need Kafka or ClickHouse are stubs, since these tests are about
 * what the workflows and Temporal do with what activities return or throw. Every activity goes
 * through the same failure boundary as in the worker (atFailureBoundary).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Context } from '@temporalio/activity';
import { ActivityFailure, ApplicationFailure, WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { atFailureBoundary, createActivities, type ActivityDeps, type IngestDropInput, type IngestDropOutput, type ReconcileOutput } from '../../../activities/index.js';
import { createAlertDeliveryActivities } from '../../../activities/alert-delivery.js';
import { createLockActivities } from '../../../activities/locks.js';
import { LandingStore } from '../../../connectors/landing.js';
import { loadProfiles } from '../../../connectors/profiles.js';
import { fetchApiDrop } from '../../../connectors/api.js';
import { reconcile } from '../../../domain/reconcile/index.js';
import type { DiscrepancyDetected } from '../../../domain/events.js';
import type { TallyConfig } from '../../../infra/config.js';
import { startIngest } from '../../../cli/ingest.js';
import { deliverAlertWorkflow, ingestDropWorkflow, ingestWorkflowId, pollSourceWorkflow, reconcileWorkflow } from '../../../workflows/index.js';
import { workflowBundlePath } from '../../../worker/workflow-bundle.js';
import { json, localServer, type LocalServer } from '../../unit/connectors/support.js';
import { cmp2020, dtm2019, policy } from '../../unit/reconcile/fixtures.js';
import { testScope } from '../../support/isolation.js';

const [seedDiscrepancy] = reconcile([dtm2019, cmp2020], policy).discrepancies;

/** Each stubbed call, with the attempt Temporal says it is. */
interface Call {
  activity: string;
  input: unknown;
  attempt: number;
}

function dropIdOf(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function counts(input: IngestDropInput, status: 'processed' | 'refused', reason?: string): IngestDropOutput {
  return {
    dropId: input.dropId,
    source: input.source,
    fileName: `${input.source}.csv`,
    status,
    reason,
    rows: status === 'refused' ? 0 : 3,
    accepted: status === 'refused' ? 0 : 3,
    rejected: 0,
    duplicates: 0,
    observations: 0,
    revisions: 0,
    notices: [],
    offsets: { [`${input.dropId}.observations`]: { 0: '3' } },
    timings: { readSeconds: 0, settleSeconds: 0, drainSeconds: 0 },
  };
}

async function until(probe: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Per activity type, the attempt of each started activity, from the workflow's history. */
async function attempts(handle: WorkflowHandle): Promise<Record<string, number[]>> {
  const { events } = await handle.fetchHistory();
  const scheduled = new Map<string, string>();
  const out: Record<string, number[]> = {};
  for (const event of events ?? []) {
    const s = event.activityTaskScheduledEventAttributes;
    if (s) scheduled.set(String(event.eventId), s.activityType?.name ?? '?');
    const started = event.activityTaskStartedEventAttributes;
    if (started) (out[scheduled.get(String(started.scheduledEventId)) ?? '?'] ??= []).push(started.attempt ?? 0);
  }
  return out;
}

/** The ApplicationFailure under a workflow's failure (WorkflowFailedError → ActivityFailure → it). */
async function activityFailureOf(handle: WorkflowHandle): Promise<ApplicationFailure> {
  const err = await handle.result().then(
    () => {
      throw new Error(`${handle.workflowId} completed; expected it to fail`);
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  const activity = (err as WorkflowFailedError).cause;
  expect(activity).toBeInstanceOf(ActivityFailure);
  expect(activity?.cause).toBeInstanceOf(ApplicationFailure);
  return activity!.cause as ApplicationFailure;
}

describe('workflow branches and retries (real Temporal, real workflow bundle)', () => {
  const scope = testScope('branches');
  const prefix = `${scope.id}-`;
  const landingDir = mkdtempSync(join(tmpdir(), 'tally-branches-'));
  const calls: Call[] = [];
  /** How ingestDrop answers, per drop id (default: processed, nothing to reconcile). */
  const ingests = new Map<string, (input: IngestDropInput) => Promise<IngestDropOutput>>();
  /** What reconcileIndicators detects, per drop id. */
  const detections = new Map<string, string[]>();
  /** Discrepancy events by id, as ClickHouse would give them back (absent: not projected yet). */
  const discrepancies = new Map<string, DiscrepancyDetected>();
  let api: LocalServer;
  let apiAnswer: (n: number) => { status: number; body: unknown; headers?: Record<string, string> } = () => ({ status: 200, body: {} });
  let webhook: LocalServer;
  const webhookAnswers = new Map<string, number[]>();
  let env: TestWorkflowEnvironment;
  let worker: Worker;
  let running: Promise<void>;

  const called = (activity: string, input: unknown) => calls.push({ activity, input, attempt: Context.current().info.attempt });
  const callsOf = (activity: string, match: (input: never) => boolean) => calls.filter((c) => c.activity === activity && match(c.input as never));
  /** This test's task queue, and a workflow id under this test's prefix. */
  const on = (workflowId: string) => ({ taskQueue: scope.taskQueue, workflowId: `${prefix}${workflowId}` });

  beforeAll(async () => {
    try {
      Runtime.install({ logger: new DefaultLogger('ERROR') });
    } catch {
      // installed already in this process
    }
    api = await localServer((_req, res, n) => {
      const answer = apiAnswer(n);
      json(res, answer.body, answer.status, answer.headers);
    });
    webhook = await localServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        const statuses = webhookAnswers.get(String(req.headers['x-tally-delivery'])) ?? [];
        res.writeHead(statuses.shift() ?? 200).end(body.length > 0 ? 'ok' : '');
      });
    });
    const deps = {
      config: { landingDir, projectionsGroup: `${scope.id}-projections`, alerts: { webhook: { url: `${webhook.url}/hooks/tally` }, log: false } },
      landing: new LandingStore(landingDir),
      profiles: loadProfiles(),
    } as unknown as ActivityDeps;
    const stubs = atFailureBoundary({
      async ingestDrop(input: IngestDropInput): Promise<IngestDropOutput> {
        called('ingestDrop', input);
        return (ingests.get(input.dropId) ?? (async (i) => counts(i, 'processed')))(input);
      },
      async awaitProjected(input: { offsets: IngestDropOutput['offsets'] }): Promise<void> {
        called('awaitProjected', input);
      },
      async reconcileIndicators(input: { dropId?: string; indicators?: string[] }): Promise<ReconcileOutput> {
        called('reconcileIndicators', input);
        const detected = detections.get(input.dropId ?? '') ?? [];
        return { indicators: ['idps'], figures: 1, detected, resolved: 0, offsets: {} };
      },
    });
    const alerts = atFailureBoundary(
      createAlertDeliveryActivities(deps, async (eventId) => {
        called('readDiscrepancy', { eventId });
        return discrepancies.get(eventId);
      }),
    );
    env = await TestWorkflowEnvironment.createFromExistingServer({ address: scope.stack.temporal.address, namespace: scope.stack.temporal.namespace });
    worker = await Worker.create({
      connection: env.nativeConnection,
      namespace: scope.stack.temporal.namespace,
      taskQueue: scope.taskQueue,
      workflowBundle: { codePath: await workflowBundlePath() },
      // The source lock's activities are the real ones: ingestDropWorkflow takes its source's lock.
      activities: { fetchSource: createActivities(deps).fetchSource, ...stubs, ...alerts, ...createLockActivities({ ...deps, temporal: async () => env.client }) },
    });
    running = worker.run();
  });

  afterAll(async () => {
    worker?.shutdown();
    await running?.catch(() => undefined);
    await env?.teardown();
    await api?.close();
    await webhook?.close();
    rmSync(landingDir, { recursive: true, force: true });
  });

  describe('pollSourceWorkflow with FETCH\'s retry policy and the real fetchSource', () => {
    it('does not retry an API 404: one attempt, a non-retryable ApiFetchFailed with what was found', async () => {
      const before = api.requests.length;
      apiAnswer = () => ({ status: 404, body: { error: 'not found' } });
      const url = `${api.url}/v3/nowhere`;
      const handle = await env.client.workflow.start(pollSourceWorkflow, { ...on('poll-404'), args: [{ source: 'cmp', url, idPrefix: prefix }] });
      const failure = await activityFailureOf(handle);
      expect(failure).toMatchObject({ type: 'ApiFetchFailed', nonRetryable: true });
      expect(failure.message).toContain('HTTP 404 Not Found, expected 200 (not retried)');
      expect(failure.details).toEqual([{ expected: 'HTTP 200', found: 'HTTP 404 Not Found', where: { at: `GET ${url}` } }]);
      expect(await attempts(handle)).toEqual({ fetchSource: [1] });
      expect(api.requests.length - before).toBe(1);
    });

    it('does not retry a source without an API url, nor an unknown source', async () => {
      const noUrl = await env.client.workflow.start(pollSourceWorkflow, { ...on('poll-no-url'), args: [{ source: 'cmp', idPrefix: prefix }] });
      expect(await activityFailureOf(noUrl)).toMatchObject({ type: 'NoApiUrl', nonRetryable: true });
      expect(await attempts(noUrl)).toEqual({ fetchSource: [1] });
      const unknown = await env.client.workflow.start(pollSourceWorkflow, { ...on('poll-unknown'), args: [{ source: 'nosuchsource', url: `${api.url}/v3`, idPrefix: prefix }] });
      const failure = await activityFailureOf(unknown);
      expect(failure).toMatchObject({ type: 'UnknownSource', nonRetryable: true });
      expect(failure.message).toMatch(/^unknown source "nosuchsource": expected one of /);
      expect(await attempts(unknown)).toEqual({ fetchSource: [1] });
    });

    it('retries a retryable failure (a 503 asking to come back in an hour), then ingests the new drop', async () => {
      const before = api.requests.length;
      const body = { result: [{ admin0Pcode: 'MLI', numPresentIdpInd: 160000 }], isSuccess: true };
      apiAnswer = (n) => (n - before === 1 ? { status: 503, body: 'busy', headers: { 'retry-after': '3600' } } : { status: 200, body });
      const url = `${api.url}/v3/displacement/admin0?Admin0Pcode=MLI`;
      const handle = await env.client.workflow.start(pollSourceWorkflow, { ...on('poll-503'), args: [{ source: 'cmp', url, idPrefix: prefix }] });
      const result = await handle.result();
      expect(await attempts(handle)).toEqual({ fetchSource: [2] });
      expect(api.requests.length - before).toBe(2);
      expect(result).toMatchObject({ isNew: true, ingest: { status: 'processed', rows: 3, figures: 0 } });
      expect(result.dropId).toBe(dropIdOf(JSON.stringify({ kind: 'api-drop', url, responses: [body] })));
    });

    it('leaves an ingest already running for the drop alone (WorkflowExecutionAlreadyStarted)', async () => {
      const body = { result: [{ admin0Pcode: 'MLI', numPresentIdpInd: 171000 }], isSuccess: true };
      apiAnswer = () => ({ status: 200, body });
      const url = `${api.url}/v3/displacement/admin0?round=48`;
      const dropId = createHash('sha256').update(await fetchApiDrop(url)).digest('hex');
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      ingests.set(dropId, async (input) => {
        await released;
        return counts(input, 'processed');
      });
      const first = await env.client.workflow.start(ingestDropWorkflow, {
        taskQueue: scope.taskQueue,
        workflowId: ingestWorkflowId(dropId, prefix),
        args: [{ dropId, source: 'cmp', idPrefix: prefix }],
      });
      const polled = await (await env.client.workflow.start(pollSourceWorkflow, { ...on('poll-running'), args: [{ source: 'cmp', url, idPrefix: prefix }] })).result();
      expect(polled).toEqual({ dropId, isNew: true });
      release();
      expect(await first.result()).toMatchObject({ dropId, status: 'processed' });
      expect(callsOf('ingestDrop', (i: IngestDropInput) => i.dropId === dropId)).toHaveLength(1);
    });
  });

  describe('ingestDropWorkflow', () => {
    it('ends a refused drop once the projections hold it, without reconciling', async () => {
      const dropId = dropIdOf(`refused-${scope.id}`);
      ingests.set(dropId, async (input) => counts(input, 'refused', 'empty.csv is empty'));
      const result = await env.client.workflow.execute(ingestDropWorkflow, {
        taskQueue: scope.taskQueue,
        workflowId: ingestWorkflowId(dropId, prefix),
        args: [{ dropId, source: 'cmp', idPrefix: prefix }],
      });
      expect(result).toMatchObject({ dropId, status: 'refused', reason: 'empty.csv is empty', rows: 0, figures: 0, discrepancies: 0, resolved: 0 });
      expect(result).not.toHaveProperty('offsets');
      expect(callsOf('awaitProjected', (i: { offsets: IngestDropOutput['offsets'] }) => `${dropId}.observations` in i.offsets)).toHaveLength(1);
      expect(callsOf('reconcileIndicators', (i: { dropId?: string }) => i.dropId === dropId)).toEqual([]);
    });

    it('is one workflow however often the same drop is started, running or done', async () => {
      const dropId = dropIdOf(`twice-${scope.id}`);
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      ingests.set(dropId, async (input) => {
        await released;
        return counts(input, 'processed');
      });
      const config = { taskQueue: scope.taskQueue, workflowIdPrefix: prefix } as TallyConfig;
      const first = await startIngest(env.client, config, dropId, 'cmp');
      const whileRunning = await startIngest(env.client, config, dropId, 'cmp');
      expect(whileRunning.workflowId).toBe(first.workflowId);
      const runId = (await first.describe()).runId;
      expect((await whileRunning.describe()).runId).toBe(runId);
      release();
      const result = await first.result();
      const afterwards = await startIngest(env.client, config, dropId, 'cmp');
      expect((await afterwards.describe()).runId).toBe(runId);
      expect(await afterwards.result()).toEqual(result);
      expect(callsOf('ingestDrop', (i: IngestDropInput) => i.dropId === dropId)).toHaveLength(1);
    });
  });

  describe('alerts', () => {
    const discrepancy = (eventId: string): DiscrepancyDetected => ({ ...seedDiscrepancy!, eventId });

    it('deliverAlertWorkflow retries a failing sink (and a discrepancy not projected yet) until it takes the alert', async () => {
      const eventId = `retry-${scope.id}`;
      webhookAnswers.set(eventId, [500, 503]);
      const handle = await env.client.workflow.start(deliverAlertWorkflow, { ...on(`alert-${eventId}`), args: [{ eventId }] });
      // Not projected at the first attempt: the activity asks again.
      await until(() => callsOf('readDiscrepancy', (i: { eventId: string }) => i.eventId === eventId).length > 0);
      discrepancies.set(eventId, discrepancy(eventId));
      expect(await handle.result()).toEqual(['webhook']);
      const reads = callsOf('readDiscrepancy', (i: { eventId: string }) => i.eventId === eventId);
      // Attempt 1: not projected; 2: HTTP 500; 3: HTTP 503; 4: delivered.
      expect(reads.map((r) => r.attempt)).toEqual([1, 2, 3, 4]);
      expect(webhook.requests.filter((r) => r.headers['x-tally-delivery'] === eventId)).toHaveLength(3);
      expect(await attempts(handle)).toEqual({ alertSinks: [1], deliverAlert: [4] });
    });

    it('deliverAlertWorkflow stops at once when the receiver refuses the alert (AlertRefused)', async () => {
      const eventId = `refused-${scope.id}`;
      discrepancies.set(eventId, discrepancy(eventId));
      webhookAnswers.set(eventId, [400, 400, 400]);
      const handle = await env.client.workflow.start(deliverAlertWorkflow, { ...on(`alert-${eventId}`), args: [{ eventId }] });
      const failure = await activityFailureOf(handle);
      expect(failure).toMatchObject({ type: 'AlertRefused', nonRetryable: true });
      expect(failure.message).toMatch(/HTTP 400/);
      expect(failure.details).toEqual([{ expected: 'a 2xx answer', found: 'HTTP 400', where: { at: `delivery ${eventId}` } }]);
      expect(await attempts(handle)).toEqual({ alertSinks: [1], deliverAlert: [1] });
      expect(webhook.requests.filter((r) => r.headers['x-tally-delivery'] === eventId)).toHaveLength(1);
    });

    it('reconcileWorkflow alerts each discrepancy once, however often it is reconciled', async () => {
      const eventId = `once-${scope.id}`;
      const dropId = dropIdOf(eventId);
      discrepancies.set(eventId, discrepancy(eventId));
      detections.set(dropId, [eventId]);
      const run = (n: number) =>
        env.client.workflow.execute(reconcileWorkflow, { taskQueue: scope.taskQueue, workflowId: `${prefix}reconcile-${n}-${dropId}`, args: [{ dropId, idPrefix: prefix }] });
      expect(await run(1)).toMatchObject({ detected: [eventId] });
      await env.client.workflow.getHandle(`${prefix}alert-${eventId}`).result();
      expect(await run(2)).toMatchObject({ detected: [eventId] });
      expect(webhook.requests.filter((r) => r.headers['x-tally-delivery'] === eventId)).toHaveLength(1);
    });
  });
});
