import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { ALERT } from './options.js';

const { alertSinks, deliverAlert } = proxyActivities<Activities>(ALERT);

export interface DeliverAlertWorkflowInput {
  /** The DiscrepancyDetected event id. */
  eventId: string;
}

/** Delivers one discrepancy to every configured sink, each retried on its own. */
export async function deliverAlertWorkflow(input: DeliverAlertWorkflowInput): Promise<string[]> {
  const sinks = await alertSinks();
  for (const sink of sinks) await deliverAlert({ eventId: input.eventId, sink });
  return sinks;
}
