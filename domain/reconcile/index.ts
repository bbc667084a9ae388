/**
 * Reconciliation: from the observations of a set of series to reconciled figures and discrepancies,
 * then to the events that bring the log up to date. Pure and deterministic (no I/O, clock or
 * randomness; input order does not matter), so it runs in activities and replays identically.
 *
 * ```ts
 * const result = reconcile(observations, { priority: { idps: ['cmp', 'dtm'] } }, { asOf });
 * const events = planEvents(previousState, result); // [] when nothing changed
 * ```
 */
export { reconcile, type ReconcileOptions, type ReconcileResult } from './reconcile.js';
export { planEvents, publishedBefore, type PlannedEvent, type PreviousState } from './plan.js';
export {
  assertPolicy,
  comparisonWindowDays,
  describeRule,
  DEFAULT_COMPARISON_WINDOW_DAYS,
  DEFAULT_TOLERANCE,
  toleranceFor,
  type ReconcilePolicy,
} from './policy.js';
export { currentObservations } from './current.js';
export { ComparisonKind, discrepancyIdFor, gapBetween, SUM_OF_REGIONS } from './comparison.js';
export { describePeriod, describeValue, formatCount, formatPercent } from './format.js';
export { MALI_REGIONS } from './regions.js';
