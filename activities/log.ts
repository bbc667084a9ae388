/**
 * The activities' JSON log lines: each carries the drop it concerns (`dropId`, `source`) and the
 * Temporal execution (`workflowId`, `activity`, `attempt`), so that one drop's lines can be found
 * with one filter, whatever the worker that wrote them.
 */
import { Context } from '@temporalio/activity';
import type { Logger } from 'pino';
import { jsonLogger } from '../adapters/log.js';
import { logLevelFromEnv } from '../infra/config.js';

let base: Logger | undefined;

/** The Temporal execution of the running activity, or nothing outside one (unit use). */
function execution(): { workflowId?: string; activity?: string; attempt?: number } {
  try {
    const info = Context.current().info;
    return { workflowId: info.workflowExecution?.workflowId, activity: info.activityType, attempt: info.attempt };
  } catch {
    return {};
  }
}

/** A logger for the running activity, with the drop's fields and the execution's. */
export function activityLogger(fields: { dropId?: string; source?: string; [key: string]: unknown }): Logger {
  base ??= jsonLogger('activities', logLevelFromEnv());
  return base.child({ ...fields, ...execution() });
}
