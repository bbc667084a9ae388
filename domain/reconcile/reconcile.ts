import type { DiscrepancyDetected, FigureReconciled, ObservationRecorded } from '../events.js';
import { coverageDiscrepancies } from './coverage.js';
import { currentObservations } from './current.js';
import { reconcileFigures } from './figures.js';
import { pairDiscrepancies } from './pairs.js';
import { assertPolicy, type ReconcilePolicy } from './policy.js';
import { compareText } from './time.js';

export interface ReconcileResult {
  /** One per series key, sorted by series key. */
  figures: FigureReconciled[];
  /** Sorted by group key, then discrepancy id. */
  discrepancies: DiscrepancyDetected[];
}

export interface ReconcileOptions {
  /** Ignore observations recorded after this instant ("as known on"); a bare date means the end of that day, UTC. */
  asOf?: string;
}

/**
 * Figures and discrepancies from a set of observations. Pure and deterministic: the same observations,
 * in any order, give the same result, so it may run in a Temporal activity and be retried freely.
 */
export function reconcile(observations: readonly ObservationRecorded[], policy: ReconcilePolicy, opts: ReconcileOptions = {}): ReconcileResult {
  assertPolicy(policy);
  const current = currentObservations(observations, opts.asOf);
  const figures = reconcileFigures(current, policy);
  const discrepancies = [...pairDiscrepancies(current, policy), ...coverageDiscrepancies(current, figures, policy)].sort(
    (a, b) => compareText(a.groupKey, b.groupKey) || compareText(a.discrepancyId, b.discrepancyId),
  );
  return { figures, discrepancies };
}
