/**
 * Activities, grouped by the system they touch and built from shared clients by one factory.
 * Workflows import the type only: `proxyActivities<Activities>`. Activities throw TallyErrors
 * (domain/errors.ts), never Temporal failures: the factory converts them once, at the boundary.
 */
import { createAlertDeliveryActivities } from './alert-delivery.js';
import type { ActivityDeps } from './deps.js';
import { atFailureBoundary } from './failures.js';
import { createIngestActivities } from './ingest.js';
import { createLockActivities } from './locks.js';
import { createReconcileActivities } from './reconcile.js';
import { createSourceActivities } from './sources.js';

/** Every activity, each turning the TallyErrors it throws into Temporal failures (see failures.ts). */
export function createActivities(deps: ActivityDeps) {
  return atFailureBoundary({
    ...createIngestActivities(deps),
    ...createReconcileActivities(deps),
    ...createSourceActivities(deps),
    ...createAlertDeliveryActivities(deps),
    ...createLockActivities(deps),
  });
}

export type Activities = ReturnType<typeof createActivities>;
export { createActivityDeps, type ActivityDeps } from './deps.js';
export { atFailureBoundary, toFailure } from './failures.js';
export type { IngestDropInput, IngestDropOutput, Offsets } from './ingest.js';
export type { ReconcileOutput } from './reconcile.js';
