/**
 * Activities, grouped by the system they touch and built from shared clients by one factory.
 * Workflows import the type only: `proxyActivities<Activities>`.
 */
import { createAlertDeliveryActivities } from './alert-delivery.js';
import type { ActivityDeps } from './deps.js';
import { createIngestActivities } from './ingest.js';
import { createReconcileActivities } from './reconcile.js';
import { createSourceActivities } from './sources.js';

export function createActivities(deps: ActivityDeps) {
  return {
    ...createIngestActivities(deps),
    ...createReconcileActivities(deps),
    ...createSourceActivities(deps),
    ...createAlertDeliveryActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
export { createActivityDeps, type ActivityDeps } from './deps.js';
export type { IngestDropInput, IngestDropOutput, Offsets } from './ingest.js';
export type { ReconcileOutput } from './reconcile.js';
