/**
 * Activity options shared by the workflows: how long each kind of work may take and how it is retried.
 * Activities mark each failure retryable or not themselves (activities/failures.ts); the types listed
 * in `nonRetryableErrorTypes` are those that are never worth a retry, kept here as a second guard
 * (test/unit/activities/failures.unit.spec.ts checks each is a real, non-retryable TallyError type).
 */
import type { ActivityOptions } from '@temporalio/workflow';

/**
 * Reading and publishing a whole drop: long, heartbeating, retried after a crash. A retried attempt
 * resumes after what was published, so each worker crash costs about one heartbeat timeout; 20
 * attempts, at most 5 s apart, let a drop outlive a flapping worker or a broker that is down for a
 * few minutes (docs/reliability-faults.md: ten kills of the worker in one drop).
 */
export const INGEST: ActivityOptions = {
  startToCloseTimeout: '2 hours',
  // Heartbeats come with every published batch; a silent worker is presumed dead and the drop resumes elsewhere.
  heartbeatTimeout: '20 seconds',
  retry: { maximumAttempts: 20, initialInterval: '1 second', maximumInterval: '5 seconds', nonRetryableErrorTypes: ['DropNotLanded', 'UnknownSource'] },
};

/** Waiting for the projections: each attempt checks the watermark once; retries are the polling. */
export const WATERMARK: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '30 minutes',
  // No attempt limit: scheduleToCloseTimeout bounds the wait.
  retry: { initialInterval: '100 milliseconds', backoffCoefficient: 1.5, maximumInterval: '2 seconds' },
};

/** Reconciling touched series: heartbeating while it runs, so a killed worker's reconcile is retried within 20 s, not 30 minutes. */
export const RECONCILE: ActivityOptions = {
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '20 seconds',
  retry: { maximumAttempts: 20, initialInterval: '1 second', maximumInterval: '5 seconds' },
};

export const ALERT: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10, nonRetryableErrorTypes: ['AlertRefused'] },
};

/** Fetching an API source. An ApiFetchFailed says itself whether it is worth a retry (a 5xx is, a 404 is not). */
export const FETCH: ActivityOptions = {
  startToCloseTimeout: '10 minutes',
  retry: { maximumAttempts: 3, initialInterval: '5 seconds', nonRetryableErrorTypes: ['NoApiUrl', 'UnknownSource', 'ApiRequestInvalid'] },
};

/** The source lock's calls to Temporal itself (signal-with-start, describe): quick, retried until Temporal answers. */
export const LOCK: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' },
};
