import { ParentClosePolicy, proxyActivities, startChild, WorkflowIdReusePolicy } from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Activities, Offsets } from '../activities/index.js';
import type { OwnObservations } from '../activities/own-observations.js';
import { deliverAlertWorkflow } from './deliver-alert.js';
import { RECONCILE, WATERMARK } from './options.js';

const { reconcileIndicators } = proxyActivities<Activities>(RECONCILE);
const { awaitProjected } = proxyActivities<Activities>(WATERMARK);

export interface ReconcileWorkflowInput {
  /** Reconcile the indicators this drop touched. */
  dropId?: string;
  /** Or these indicators. */
  indicators?: string[];
  /** Prefix of the alert workflow ids. @default '' */
  idPrefix?: string;
  /** With `dropId`: the drop's observations as its ingest kept them, and the ingest's end offsets. */
  own?: OwnObservations;
  ingestOffsets?: Offsets;
}

export interface ReconcileWorkflowResult {
  indicators: string[];
  figures: number;
  detected: string[];
  resolved: number;
}

/**
 * Reconciles a batch of touched series, waits until the figures are queryable, then hands each new
 * discrepancy to its own alert workflow, whose id is the discrepancy event's: never alerted twice.
 */
export async function reconcileWorkflow(input: ReconcileWorkflowInput): Promise<ReconcileWorkflowResult> {
  const { offsets, ...result } = await reconcileIndicators({
    dropId: input.dropId,
    indicators: input.indicators,
    ...(input.own ? { own: input.own, ingestOffsets: input.ingestOffsets } : {}),
  });
  await awaitProjected({ offsets });
  for (const eventId of result.detected) {
    try {
      await startChild(deliverAlertWorkflow, {
        workflowId: `${input.idPrefix ?? ''}alert-${eventId}`,
        args: [{ eventId }],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
  }
  return result;
}
