import type { DiscrepancyDetected, ObservationRecorded } from '../events.js';
import { periodKey } from '../series.js';
import { ComparisonKind, discrepancyFrom, type Comparison } from './comparison.js';
import { toSourceValue } from './current.js';
import { describePeriod, describeValue, formatCount, formatPercent } from './format.js';
import { comparisonWindowDays, toleranceFor, type ReconcilePolicy } from './policy.js';
import { compareText, daysBetween } from './time.js';
import { groupBy } from '../collections.js';

type Base = Pick<Comparison, 'groupKey' | 'indicator' | 'area' | 'pair' | 'tolerance'>;
type Stock = ObservationRecorded & { period: { kind: 'stock' } };
type Flow = ObservationRecorded & { period: { kind: 'flow' } };

/** Discrepancies between every pair of sources within each group (indicator, area, disaggregation). */
export function pairDiscrepancies(current: readonly ObservationRecorded[], policy: ReconcilePolicy): DiscrepancyDetected[] {
  const found: DiscrepancyDetected[] = [];
  for (const [, group] of sortedGroups(current, (o) => o.groupKey)) {
    const bySource = sortedGroups(group, (o) => o.source);
    for (let i = 0; i < bySource.length; i++) {
      for (let j = i + 1; j < bySource.length; j++) {
        const [, a] = bySource[i] ?? [];
        const [, b] = bySource[j] ?? [];
        if (a && b) found.push(...comparePair(a, b, policy));
      }
    }
  }
  return found;
}

function comparePair(a: ObservationRecorded[], b: ObservationRecorded[], policy: ReconcilePolicy): DiscrepancyDetected[] {
  const head = a[0];
  const other = b[0];
  if (!head || !other) return [];
  const base: Base = {
    groupKey: head.groupKey,
    indicator: head.indicator,
    area: head.area,
    pair: [head.source, other.source],
    tolerance: toleranceFor(policy, head.indicator),
  };
  const window = comparisonWindowDays(policy);
  const comparisons: Comparison[] = [];

  const bByPeriod = new Map(b.map((o) => [periodKey(o.period), o]));
  for (const x of a) {
    const y = bByPeriod.get(periodKey(x.period));
    if (y) comparisons.push(samePeriod(base, x, y));
  }

  const [stockA, stockB] = [latestStock(a), latestStock(b)];
  if (stockA && stockB && stockA.period.date !== stockB.period.date && daysBetween(stockA.period.date, stockB.period.date) <= window) {
    comparisons.push(referenceDates(base, stockA, stockB));
  }

  const [flowA, flowB] = [latestFlow(a), latestFlow(b)];
  if (flowA && flowB && periodKey(flowA.period) !== periodKey(flowB.period) && overlap(flowA, flowB)) {
    comparisons.push(overlappingFlows(base, flowA, flowB));
  }

  for (const [stock, flow] of [[stockA, flowB], [stockB, flowA]] as const) {
    if (stock && flow && distanceToPeriod(stock.period.date, flow) <= window) comparisons.push(stockVsFlow(base, stock, flow));
  }

  return comparisons.map(discrepancyFrom).filter((d): d is DiscrepancyDetected => d !== undefined);
}

function samePeriod(base: Base, x: ObservationRecorded, y: ObservationRecorded): Comparison {
  const [vx, vy] = [toSourceValue(x), toSourceValue(y)];
  const units = x.unit !== y.unit;
  return {
    ...base,
    kind: ComparisonKind.samePeriod(periodKey(x.period)),
    values: [vx, vy],
    cause: units ? 'definition_mismatch' : 'unexplained',
    explain: (gap) => {
      const head = `${describeValue(vx, { period: false, unit: units })} vs ${describeValue(vy, { period: false, unit: units })} ${describePeriod(x.period)}: ${formatPercent(gap.relative)} apart`;
      return units
        ? `${head}; ${unitsDiffer(x, y)}`
        : `${head}, beyond the ${formatPercent(base.tolerance)} tolerance, for the same ${x.period.kind === 'stock' ? 'reference date' : 'period'} and unit: no known cause`;
    },
  };
}

function referenceDates(base: Base, x: Stock, y: Stock): Comparison {
  const [vx, vy] = [toSourceValue(x), toSourceValue(y)];
  const units = x.unit !== y.unit;
  const [early, late] = x.period.date < y.period.date ? [vx, vy] : [vy, vx];
  const days = `the reference dates differ by ${daysBetween(x.period.date, y.period.date)} days`;
  return {
    ...base,
    kind: ComparisonKind.referenceDates,
    values: [vx, vy],
    cause: units ? 'definition_mismatch' : 'different_reference_dates',
    explain: (gap) =>
      `${describeValue(early, { unit: units })} vs ${describeValue(late, { unit: units })}: ${formatPercent(gap.relative)} apart; ` +
      (units ? `${unitsDiffer(x, y)}, and ${days}` : days),
  };
}

function overlappingFlows(base: Base, x: Flow, y: Flow): Comparison {
  const [vx, vy] = [toSourceValue(x), toSourceValue(y)];
  const units = x.unit !== y.unit;
  return {
    ...base,
    kind: ComparisonKind.overlappingPeriods,
    values: [vx, vy],
    cause: 'definition_mismatch',
    explain: (gap) =>
      `${describeValue(vx, { unit: units })} vs ${describeValue(vy, { unit: units })}: ${formatPercent(gap.relative)} apart; ` +
      `the periods overlap but differ, so the flows count different spans of time${units ? `, and ${unitsDiffer(x, y)}` : ''}`,
  };
}

function stockVsFlow(base: Base, stock: Stock, flow: Flow): Comparison {
  const [vs, vf] = [toSourceValue(stock), toSourceValue(flow)];
  const values = compareText(stock.source, flow.source) < 0 ? ([vs, vf] as const) : ([vf, vs] as const);
  return {
    ...base,
    kind: ComparisonKind.stockVsFlow(stock.source),
    values,
    cause: 'definition_mismatch',
    explain: (gap) =>
      `${stock.source} stock ${formatCount(stock.value)} ${describePeriod(vs.period)} vs ${flow.source} flow ${formatCount(flow.value)} ${describePeriod(vf.period)}: ` +
      `${formatPercent(gap.relative)} apart; a stock (people present on a date) is not comparable with a flow (events over a period)`,
  };
}

function unitsDiffer(x: ObservationRecorded, y: ObservationRecorded): string {
  return `${x.unit} and ${y.unit} are different units`;
}

function latestStock(obs: readonly ObservationRecorded[]): Stock | undefined {
  let latest: Stock | undefined;
  for (const o of obs) {
    if (o.period.kind === 'stock' && (!latest || o.period.date > latest.period.date)) latest = o as Stock;
  }
  return latest;
}

function latestFlow(obs: readonly ObservationRecorded[]): Flow | undefined {
  let latest: Flow | undefined;
  for (const o of obs) {
    if (o.period.kind !== 'flow') continue;
    const later = !latest || o.period.end > latest.period.end || (o.period.end === latest.period.end && o.period.start > latest.period.start);
    if (later) latest = o as Flow;
  }
  return latest;
}

function overlap(x: Flow, y: Flow): boolean {
  return x.period.start <= y.period.end && y.period.start <= x.period.end;
}

function distanceToPeriod(date: string, flow: Flow): number {
  if (date < flow.period.start) return daysBetween(date, flow.period.start);
  if (date > flow.period.end) return daysBetween(date, flow.period.end);
  return 0;
}

export function sortedGroups<T>(items: readonly T[], keyOf: (item: T) => string): Array<[string, T[]]> {
  return [...groupBy(items, keyOf).entries()].sort(([a], [b]) => compareText(a, b));
}
