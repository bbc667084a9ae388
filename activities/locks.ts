/**
 * What the source lock (workflows/source-lock.ts) needs from Temporal that workflow code cannot
 * do itself: start a workflow with a signal (the lock, when none runs), and ask whether a workflow
 * run is still open (the lock's holder, when it has not released for a while).
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import type { ActivityDeps } from './deps.js';

export interface SignalWithStartInput {
  workflowId: string;
  workflowType: string;
  taskQueue: string;
  args: unknown[];
  signal: string;
  signalArgs: unknown[];
}

export function createLockActivities(deps: ActivityDeps) {
  return {
    /** Signals the workflow, starting it first when it is not running. Returns the run that got the signal. */
    async signalWithStart(input: SignalWithStartInput): Promise<{ runId: string }> {
      const client = await deps.temporal();
      const handle = await client.workflow.signalWithStart(input.workflowType, {
        workflowId: input.workflowId,
        taskQueue: input.taskQueue,
        args: input.args,
        signal: input.signal,
        signalArgs: input.signalArgs,
      });
      return { runId: handle.signaledRunId };
    },

    /** True while the run is open; false once it completed, failed, was terminated or timed out, or is unknown. */
    async workflowIsOpen(input: { workflowId: string; runId: string }): Promise<boolean> {
      const client = await deps.temporal();
      try {
        const description = await client.workflow.getHandle(input.workflowId, input.runId).describe();
        return description.status.name === 'RUNNING';
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return false;
        throw err;
      }
    },
  };
}
