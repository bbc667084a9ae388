import { describe, expect, it } from 'vitest';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { ScheduleOverlapPolicy } from '@temporalio/client';
import { fileURLToPath } from 'node:url';
import * as activities from '../../support/smoke-activities.js';
import { testScope } from '../../support/isolation.js';

describe('Temporal (real dev server)', () => {
  it('runs a workflow that calls an activity, and creates and lists a Schedule', async () => {
    const scope = testScope('temporal');
    const env = await TestWorkflowEnvironment.createFromExistingServer({
      address: scope.stack.temporal.address,
      namespace: scope.stack.temporal.namespace,
    });
    try {
      const worker = await Worker.create({
        connection: env.nativeConnection,
        namespace: scope.stack.temporal.namespace,
        taskQueue: scope.taskQueue,
        workflowsPath: fileURLToPath(new URL('../../support/smoke-workflows.ts', import.meta.url)),
        activities,
      });
      const result = await worker.runUntil(
        env.client.workflow.execute('greetWorkflow', { taskQueue: scope.taskQueue, workflowId: `greet-${scope.id}`, args: ['Mopti'] }),
      );
      expect(result).toBe('figures for Mopti');

      const scheduleId = `poll-${scope.id}`;
      const handle = await env.client.schedule.create({
        scheduleId,
        spec: { intervals: [{ every: '1d' }] },
        action: { type: 'startWorkflow', workflowType: 'greetWorkflow', taskQueue: scope.taskQueue, args: ['Gao'] },
        policies: { overlap: ScheduleOverlapPolicy.SKIP },
        state: { paused: true },
      });
      const description = await handle.describe();
      expect(description.scheduleId).toBe(scheduleId);
      const listed: string[] = [];
      // The visibility store is eventually consistent: list until it shows up.
      for (let i = 0; i < 50 && !listed.includes(scheduleId); i++) {
        for await (const s of env.client.schedule.list()) listed.push(s.scheduleId);
        if (!listed.includes(scheduleId)) await new Promise((r) => setTimeout(r, 200));
      }
      expect(listed).toContain(scheduleId);
      await handle.delete();
    } finally {
      await env.teardown();
    }
  });
});
