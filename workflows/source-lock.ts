/**
 * One source's drops are settled one at a time: a lock workflow per source (`<prefix>lock-<source>`)
 * grants the lock to one ingest workflow after another, first come first served. Ingest looks up
 * what the read model already holds (ingest/look-ups.ts); under the lock, each drop of a source
 * looks up a read model that holds every earlier drop of that source, so two workers ingesting
 * overlapping drops at once give the figures of one worker doing them in turn (docs/architecture.md).
 *
 * Protocol: a holder asks with `lockRequested` (sent by the signalWithStart activity, which starts
 * the lock when none runs), is answered with `lockGranted`, and gives the lock back with
 * `lockReleased`. A request carries a token, so a request sent twice (an activity retried) is one
 * request. A holder that is gone (terminated, timed out) never releases: the lock asks Temporal
 * every `checkEvery` whether the holder is still open, and moves on when it is not.
 */
import {
  CancellationScope,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  getExternalWorkflowHandle,
  proxyActivities,
  setHandler,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';
import type { Activities } from '../activities/index.js';
import { LOCK } from './options.js';

const { signalWithStart, workflowIsOpen } = proxyActivities<Activities>(LOCK);

/** Who asks for the lock: a workflow run, and a token of this one request. */
export interface LockRequest {
  workflowId: string;
  runId: string;
  token: string;
}

export const lockRequestedSignal = defineSignal<[LockRequest]>('lockRequested');
export const lockReleasedSignal = defineSignal<[{ token: string }]>('lockReleased');
export const lockGrantedSignal = defineSignal<[{ token: string }]>('lockGranted');

export interface SourceLockState {
  holder?: LockRequest;
  queue: LockRequest[];
  /** Grants made by this run and the runs it continues. */
  grants: number;
}
export const sourceLockStateQuery = defineQuery<SourceLockState>('lockState');

export interface SourceLockWorkflowInput {
  source: string;
  /** How often the lock asks whether its holder is still open. @default '1 minute' */
  checkEvery?: Duration;
  /** The lock ends after this long without a request; the next request starts it again. @default '5 minutes' */
  idleFor?: Duration;
  /** Carried over continue-as-new. */
  carried?: { holder?: LockRequest; queue: LockRequest[]; done: string[]; grants: number };
}

/** The lock's workflow id: one per source (and deployment prefix). */
export function sourceLockId(source: string, idPrefix = ''): string {
  return `${idPrefix}lock-${source}`;
}

/** Tokens of finished requests kept to recognise a late copy of one; bounded, oldest out first. */
const DONE_KEPT = 200;
/** Events after which the lock continues as new. */
const MAX_HISTORY = 2000;

/** Grants the lock of one source to one holder at a time, in the order the requests came. */
export async function sourceLockWorkflow(input: SourceLockWorkflowInput): Promise<SourceLockState> {
  const checkEvery = input.checkEvery ?? '1 minute';
  const queue: LockRequest[] = [...(input.carried?.queue ?? [])];
  const done: string[] = [...(input.carried?.done ?? [])];
  let holder = input.carried?.holder;
  let grants = input.carried?.grants ?? 0;
  let released = false;
  // A holder carried over continue-as-new is told again that it holds the lock (it may have asked meanwhile).
  let askedAgain = holder !== undefined;
  const finish = (token: string) => {
    done.push(token);
    if (done.length > DONE_KEPT) done.splice(0, done.length - DONE_KEPT);
  };

  setHandler(lockRequestedSignal, (request) => {
    if (done.includes(request.token)) return;
    if (holder?.token === request.token) askedAgain = true;
    else if (!queue.some((q) => q.token === request.token)) queue.push(request);
  });
  setHandler(lockReleasedSignal, ({ token }) => {
    if (holder?.token === token) released = true;
    const queued = queue.findIndex((q) => q.token === token);
    if (queued >= 0) queue.splice(queued, 1);
    if (queued >= 0 || holder?.token !== token) finish(token);
  });
  setHandler(sourceLockStateQuery, () => ({ holder, queue: [...queue], grants }));

  /** Tells the holder it has the lock; false when it is gone (signalling a closed run fails). */
  const grant = async (to: LockRequest): Promise<boolean> => {
    try {
      await getExternalWorkflowHandle(to.workflowId, to.runId).signal(lockGrantedSignal, { token: to.token });
      return true;
    } catch {
      return false;
    }
  };

  for (;;) {
    if (workflowInfo().historyLength > MAX_HISTORY) {
      if (holder && released) {
        finish(holder.token);
        holder = undefined;
      }
      await continueAsNew<typeof sourceLockWorkflow>({ ...input, carried: { holder, queue, done, grants } });
    }
    if (!holder) {
      if (!(await condition(() => queue.length > 0, input.idleFor ?? '5 minutes'))) return { queue: [], grants };
      holder = queue.shift()!;
      released = false;
      askedAgain = false;
      grants++;
      if (!(await grant(holder))) {
        finish(holder.token);
        holder = undefined;
      }
      continue;
    }
    if (await condition(() => released || askedAgain, checkEvery)) {
      if (released) {
        finish(holder.token);
        holder = undefined;
      } else {
        askedAgain = false;
        await grant(holder);
      }
      continue;
    }
    if (!(await workflowIsOpen({ workflowId: holder.workflowId, runId: holder.runId }))) {
      finish(holder.token);
      holder = undefined;
    }
  }
}

export interface SourceLockOptions {
  source: string;
  /** @default '' */
  idPrefix?: string;
  /** Asks again after this long without a grant (the lock may have been terminated). @default '10 minutes' */
  askAgainAfter?: Duration;
}

/**
 * Runs `body` holding the source's lock, and gives the lock back however `body` ends (a failure,
 * a cancellation). Only in workflow code.
 */
export async function withSourceLock<T>(options: SourceLockOptions, body: () => Promise<T>): Promise<T> {
  const info = workflowInfo();
  const request: LockRequest = { workflowId: info.workflowId, runId: info.runId, token: uuid4() };
  const lockId = sourceLockId(options.source, options.idPrefix);
  let granted = false;
  setHandler(lockGrantedSignal, ({ token }) => {
    if (token === request.token) granted = true;
  });
  const release = () =>
    CancellationScope.nonCancellable(() => getExternalWorkflowHandle(lockId).signal(lockReleasedSignal, { token: request.token })).catch(() => undefined);
  try {
    do {
      await signalWithStart({
        workflowId: lockId,
        workflowType: SOURCE_LOCK_WORKFLOW_TYPE,
        taskQueue: info.taskQueue,
        args: [{ source: options.source } satisfies SourceLockWorkflowInput],
        signal: lockRequestedSignal.name,
        signalArgs: [request],
      });
    } while (!(await condition(() => granted, options.askAgainAfter ?? '10 minutes')));
    return await body();
  } finally {
    await release();
  }
}

/** The lock's workflow type, as the signalWithStart activity names it (a unit test checks it). */
export const SOURCE_LOCK_WORKFLOW_TYPE = 'sourceLockWorkflow';
