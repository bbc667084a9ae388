/**
 * The workflows the worker runs. Deterministic code only: no I/O, clock or randomness outside
 * Temporal's APIs (the lint config bans Node built-ins here).
 */
export { ingestDropWorkflow, ingestStageQuery, ingestWorkflowId, SOURCE_LOCK_PATCH, type IngestDropWorkflowInput, type IngestDropResult } from './ingest-drop.js';
export { reconcileWorkflow, type ReconcileWorkflowInput, type ReconcileWorkflowResult } from './reconcile.js';
export { deliverAlertWorkflow, type DeliverAlertWorkflowInput } from './deliver-alert.js';
export { pollSourceWorkflow, type PollSourceWorkflowInput, type PollSourceResult } from './poll-source.js';
export {
  sourceLockWorkflow,
  sourceLockId,
  sourceLockStateQuery,
  lockGrantedSignal,
  lockReleasedSignal,
  lockRequestedSignal,
  withSourceLock,
  SOURCE_LOCK_WORKFLOW_TYPE,
  type LockRequest,
  type SourceLockState,
  type SourceLockWorkflowInput,
} from './source-lock.js';
