/** How to choose among sources and how far apart they may be before a discrepancy is raised. */
export interface ReconcilePolicy {
  /** Per indicator, source ids best first; sources not listed rank after, by id. */
  priority: Record<string, string[]>;
  /** Relative tolerance per indicator, as a fraction of the larger value. @default 0.05 */
  tolerance?: Record<string, number>;
  /** Tolerance for indicators absent from `tolerance`. @default 0.05 */
  defaultTolerance?: number;
  /** Stocks of different sources are compared when their reference dates are at most this far apart. @default 400 */
  comparisonWindowDays?: number;
}

export const DEFAULT_TOLERANCE = 0.05;
export const DEFAULT_COMPARISON_WINDOW_DAYS = 400;

export function toleranceFor(policy: ReconcilePolicy, indicator: string): number {
  return policy.tolerance?.[indicator] ?? policy.defaultTolerance ?? DEFAULT_TOLERANCE;
}

export function comparisonWindowDays(policy: ReconcilePolicy): number {
  return policy.comparisonWindowDays ?? DEFAULT_COMPARISON_WINDOW_DAYS;
}

/** Listed sources rank 0, 1, 2…; every unlisted source shares the next rank, so recency decides among them. */
export function sourceRank(policy: ReconcilePolicy, indicator: string, source: string): number {
  const listed = policy.priority[indicator] ?? [];
  const index = listed.indexOf(source);
  return index === -1 ? listed.length : index;
}

/** The stated rule, e.g. "priority cmp > dtm, then most recent record". */
export function describeRule(policy: ReconcilePolicy, indicator: string): string {
  const listed = policy.priority[indicator] ?? [];
  return listed.length === 0 ? 'most recent record' : `priority ${listed.join(' > ')}, then most recent record`;
}

/** Throws on a policy that cannot be applied, naming the field and the rule. */
export function assertPolicy(policy: ReconcilePolicy): void {
  const fraction = (field: string, value: number | undefined): void => {
    if (value !== undefined && !(Number.isFinite(value) && value >= 0 && value <= 1)) {
      throw new Error(`ReconcilePolicy.${field} must be a fraction between 0 and 1, found ${String(value)}`);
    }
  };
  fraction('defaultTolerance', policy.defaultTolerance);
  for (const [indicator, value] of Object.entries(policy.tolerance ?? {})) fraction(`tolerance.${indicator}`, value);
  const window = policy.comparisonWindowDays;
  if (window !== undefined && !(Number.isInteger(window) && window >= 0)) {
    throw new Error(`ReconcilePolicy.comparisonWindowDays must be a non-negative integer, found ${String(window)}`);
  }
}
