/**
 * The drop an activity works on, on the Temporal SDK's own log lines for it (an activity that
 * failed, a heartbeat timeout…): the SDK adds the workflow id and the activity, this adds the
 * `dropId` and `source` of the activity's input when it has them. The activities' own lines carry
 * the same fields (activities/log.ts).
 */
import type { ActivityInterceptorsFactory } from '@temporalio/worker';

/** `dropId` and `source` of an activity's first argument, those that are strings. */
export function dropFields(args: readonly unknown[]): { dropId?: string; source?: string } {
  const input = args[0];
  if (typeof input !== 'object' || input === null) return {};
  const { dropId, source } = input as { dropId?: unknown; source?: unknown };
  return { ...(typeof dropId === 'string' ? { dropId } : {}), ...(typeof source === 'string' ? { source } : {}) };
}

export const dropLogInterceptors: ActivityInterceptorsFactory = () => {
  let fields: { dropId?: string; source?: string } = {};
  return {
    inbound: {
      execute(input, next) {
        fields = dropFields(input.args);
        return next(input);
      },
    },
    outbound: {
      getLogAttributes(input, next) {
        return next({ ...fields, ...input });
      },
    },
  };
};
