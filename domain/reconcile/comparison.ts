import type { DiscrepancyCause, DiscrepancyDetected, SourceValue } from '../events.js';
import { shortHash } from '../series.js';
import { latestInstant } from './time.js';

/** The token that stands for "the sum of the regions" in a national-versus-regions comparison. */
export const SUM_OF_REGIONS = 'sum-of-regions';

/** What was compared: part of a discrepancy's identity, so a revision keeps the id and can resolve it. */
export const ComparisonKind = {
  samePeriod: (periodKey: string) => `same_period:${periodKey}`,
  referenceDates: 'reference_dates',
  overlappingPeriods: 'overlapping_periods',
  stockVsFlow: (stockSource: string) => `stock_vs_flow:${stockSource}`,
  regions: (periodKey: string) => `regions:${periodKey}`,
} as const;

/** Stable for one group, pair of sources and kind of comparison, whatever the values. */
export function discrepancyIdFor(groupKey: string, sourceA: string, sourceB: string, kind: string): string {
  const [first, second] = sourceA < sourceB ? [sourceA, sourceB] : [sourceB, sourceA];
  return shortHash(groupKey, first, second, kind);
}

export function gapBetween(a: number, b: number): { absolute: number; relative: number } {
  const absolute = Math.abs(a - b);
  const max = Math.max(a, b);
  return { absolute, relative: max === 0 ? 0 : absolute / max };
}

export interface Comparison {
  groupKey: string;
  indicator: string;
  area: DiscrepancyDetected['area'];
  /** The ids whose pair names the discrepancy (the sum of regions is `SUM_OF_REGIONS`). */
  pair: readonly [string, string];
  kind: string;
  values: readonly [SourceValue, SourceValue];
  tolerance: number;
  cause: DiscrepancyCause;
  /** The cause in words, with the figures; called only when a discrepancy is raised. */
  explain: (gap: { absolute: number; relative: number }) => string;
}

/** A DiscrepancyDetected when the two values differ beyond the tolerance, otherwise nothing. */
export function discrepancyFrom(c: Comparison): DiscrepancyDetected | undefined {
  const [a, b] = c.values;
  const gap = gapBetween(a.value, b.value);
  if (!(gap.relative > c.tolerance)) return undefined;
  const discrepancyId = discrepancyIdFor(c.groupKey, c.pair[0], c.pair[1], c.kind);
  const values = [a, b];
  return {
    type: 'DiscrepancyDetected',
    eventId: shortHash('DiscrepancyDetected', discrepancyId, c.cause, ...values.flatMap((v) => [v.source, v.observationId, v.value])),
    discrepancyId,
    groupKey: c.groupKey,
    indicator: c.indicator,
    area: c.area,
    values,
    gap,
    tolerance: c.tolerance,
    cause: c.cause,
    explanation: c.explain(gap),
    recordedAt: latestInstant(values.map((v) => v.recordedAt)),
  };
}
