/**
 * The source lock (workflows/source-lock.ts) on the real Temporal server with the real workflow
 * bundle: ingestDropWorkflow holds its source's lock from before the ingest activity to after
 * reconciling. The ingest activities are stubs that record when each drop's work starts and ends;
 * the lock's own activities (signal-with-start, describe) are the real ones.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApplicationFailure, WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { atFailureBoundary, type ActivityDeps, type IngestDropInput, type IngestDropOutput } from '../../../activities/index.js';
import { createLockActivities } from '../../../activities/locks.js';
import {
  ingestDropWorkflow,
  ingestWorkflowId,
  SOURCE_LOCK_WORKFLOW_TYPE,
  sourceLockId,
  sourceLockStateQuery,
  sourceLockWorkflow,
  lockRequestedSignal,
  lockReleasedSignal,
} from '../../../workflows/index.js';
import { workflowBundlePath, WORKFLOWS_PATH } from '../../../worker/workflow-bundle.js';
import { testScope } from '../../support/isolation.js';

interface Span {
  dropId: string;
  source: string;
  start: number;
  end?: number;
}

function output(input: IngestDropInput): IngestDropOutput {
  return {
    dropId: input.dropId,
    source: input.source,
    fileName: `${input.dropId}.csv`,
    status: 'processed',
    rows: 1,
    accepted: 1,
    rejected: 0,
    duplicates: 0,
    observations: 0,
    revisions: 0,
    notices: [],
    offsets: {},
    timings: { readSeconds: 0, settleSeconds: 0, drainSeconds: 0 },
  };
}

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A history saved as JSON (test/fixtures/histories), as the replayer takes it. */
function savedHistory(name: string): temporal.api.history.v1.IHistory {
  const json = JSON.parse(readFileSync(new URL(`../../fixtures/histories/${name}`, import.meta.url), 'utf8')) as object;
  return temporal.api.history.v1.History.fromObject(json);
}

describe('the source lock (real Temporal, real workflow bundle)', () => {
  const scope = testScope('lock');
  const prefix = `${scope.id}-`;
  const spans: Span[] = [];
  /** Per drop id: how its stubbed ingest behaves (default: 300 ms of work). */
  const behaviour = new Map<string, () => Promise<void>>();
  let env: TestWorkflowEnvironment;
  let worker: Worker;
  let running: Promise<void>;

  const start = (dropId: string, source: string) =>
    env.client.workflow.start(ingestDropWorkflow, { taskQueue: scope.taskQueue, workflowId: ingestWorkflowId(dropId, prefix), args: [{ dropId, source, idPrefix: prefix }] });
  const lockState = (source: string) => env.client.workflow.getHandle(sourceLockId(source, prefix)).query(sourceLockStateQuery);
  const spansOf = (source: string) => spans.filter((s) => s.source === source).sort((a, b) => a.start - b.start);

  beforeAll(async () => {
    try {
      Runtime.install({ logger: new DefaultLogger('ERROR') });
    } catch {
      // installed already in this process
    }
    env = await TestWorkflowEnvironment.createFromExistingServer({ address: scope.stack.temporal.address, namespace: scope.stack.temporal.namespace });
    const stubs = atFailureBoundary({
      async ingestDrop(input: IngestDropInput): Promise<IngestDropOutput> {
        const span: Span = { dropId: input.dropId, source: input.source, start: Date.now() };
        spans.push(span);
        try {
          await (behaviour.get(input.dropId) ?? (() => new Promise((r) => setTimeout(r, 300))))();
        } finally {
          span.end = Date.now();
        }
        return output(input);
      },
      async awaitProjected(): Promise<void> {},
    });
    worker = await Worker.create({
      connection: env.nativeConnection,
      namespace: scope.stack.temporal.namespace,
      taskQueue: scope.taskQueue,
      workflowBundle: { codePath: await workflowBundlePath() },
      activities: { ...stubs, ...createLockActivities({ temporal: async () => env.client } as unknown as ActivityDeps) },
    });
    running = worker.run();
  });

  afterAll(async () => {
    for (const source of ['dtm', 'cmp', 'mmeia', 'iom-avr']) await env?.client.workflow.getHandle(sourceLockId(source, prefix)).terminate('test done').catch(() => undefined);
    worker?.shutdown();
    await running?.catch(() => undefined);
    await env?.teardown();
  });

  it('names the workflow type the signal-with-start activity starts', () => {
    expect(SOURCE_LOCK_WORKFLOW_TYPE).toBe(sourceLockWorkflow.name);
  });

  it('settles the drops of one source one at a time, in the order they asked, and other sources beside them', async () => {
    const handles: WorkflowHandle[] = [];
    for (let i = 0; i < 4; i++) {
      handles.push(await start(`fifo-dtm-${i}`, 'dtm'));
      // Each asks after the previous one has asked: the order of requests is the order of starts.
      await until(`request ${i} queued`, async () => {
        const state = await lockState('dtm').catch(() => undefined);
        return state && [state.holder, ...state.queue].some((r) => r?.workflowId === handles[i]!.workflowId);
      });
    }
    handles.push(await start('fifo-cmp-0', 'cmp'));
    await Promise.all(handles.map((h) => h.result()));

    const dtm = spansOf('dtm');
    expect(dtm.map((s) => s.dropId)).toEqual(['fifo-dtm-0', 'fifo-dtm-1', 'fifo-dtm-2', 'fifo-dtm-3']);
    for (let i = 1; i < dtm.length; i++) expect(dtm[i]!.start).toBeGreaterThanOrEqual(dtm[i - 1]!.end!);
    // cmp has its own lock: its drop ran while dtm's were queued, not after them.
    const [cmp] = spansOf('cmp');
    expect(cmp!.start).toBeLessThan(dtm[3]!.start);
    expect((await lockState('dtm')).grants).toBe(4);
  });

  it('lets the next drop go when the holder fails, or is terminated and never releases', async () => {
    // A lock that checks its holder every second (the default is a minute).
    await env.client.workflow.start(sourceLockWorkflow, { taskQueue: scope.taskQueue, workflowId: sourceLockId('mmeia', prefix), args: [{ source: 'mmeia', checkEvery: '1 second' }] });
    behaviour.set('dies-0', () => Promise.reject(ApplicationFailure.nonRetryable('the drop cannot be read', 'DropUnreadable')));
    let blocked = true;
    behaviour.set('stuck-1', () => until('never', () => !blocked, 120_000).then(() => undefined));
    const failed = await start('dies-0', 'mmeia');
    await expect(failed.result()).rejects.toBeInstanceOf(WorkflowFailedError);
    const stuck = await start('stuck-1', 'mmeia');
    await until('the stuck drop holds the lock', () => spans.some((s) => s.dropId === 'stuck-1'));
    const next = await start('after-2', 'mmeia');
    await until('the next drop queued', async () => (await lockState('mmeia')).queue.some((r) => r.workflowId === next.workflowId));
    // Three checks of the holder later, the lock is still the stuck one's.
    await new Promise((r) => setTimeout(r, 3000));
    expect(spans.some((s) => s.dropId === 'after-2')).toBe(false);
    const terminatedAt = Date.now();
    await stuck.terminate('test: a holder that dies without releasing');
    await next.result();
    const after = spans.find((s) => s.dropId === 'after-2')!;
    expect(after.start - terminatedAt).toBeLessThan(10_000);
    blocked = false;
  });

  it('counts a request sent twice once, and forgets a queued request that is released', async () => {
    let release!: () => void;
    behaviour.set('holder-0', () => new Promise<void>((r) => (release = r)));
    const holder = await start('holder-0', 'iom-avr');
    await until('holder-0 holds the lock', () => spans.some((s) => s.dropId === 'holder-0'));
    const { runId } = await holder.describe();
    const lock = env.client.workflow.getHandle(sourceLockId('iom-avr', prefix));
    const copy = { workflowId: holder.workflowId, runId: runId, token: 'copy-token' };
    await lock.signal(lockRequestedSignal, copy);
    await lock.signal(lockRequestedSignal, copy);
    await until('one queued copy', async () => (await lock.query(sourceLockStateQuery)).queue.length === 1);
    await lock.signal(lockReleasedSignal, { token: 'copy-token' });
    await lock.signal(lockRequestedSignal, copy);
    await until('nothing queued', async () => (await lock.query(sourceLockStateQuery)).queue.length === 0);
    release();
    await holder.result();
  });

  it('replays its histories, and ingest histories recorded before the lock', async () => {
    const histories: Array<{ workflowId: string; history: temporal.api.history.v1.IHistory }> = [];
    for await (const execution of env.client.workflow.list({ query: `TaskQueue = '${scope.taskQueue}'` })) {
      histories.push({ workflowId: execution.workflowId, history: await env.client.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory() });
    }
    // The locks are still open (they wait for requests): a partial history replays too.
    expect(histories.filter((h) => h.workflowId.includes('lock-')).length).toBeGreaterThanOrEqual(4);
    // Recorded with the ingest workflow as it was before the lock (a drop of one row, and its reconcile).
    for (const name of ['ingest-drop-before-source-lock.json', 'reconcile-before-source-lock.json']) histories.push({ workflowId: name, history: savedHistory(name) });
    const failures: string[] = [];
    for await (const result of Worker.runReplayHistories({ workflowsPath: WORKFLOWS_PATH }, histories)) {
      if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
    }
    expect(failures).toEqual([]);
    expect(histories.length).toBeGreaterThanOrEqual(10);
  });
});
