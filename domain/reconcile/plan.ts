import type { DiscrepancyDetected, DiscrepancyResolved, FigureReconciled, SourceValue } from '../events.js';
import { periodKey, shortHash } from '../series.js';
import { ComparisonKind, discrepancyIdFor, SUM_OF_REGIONS } from './comparison.js';
import { describeValue } from './format.js';
import type { ReconcileResult } from './reconcile.js';
import { isNational } from './regions.js';
import { compareText, latestInstant } from './time.js';
import { groupBy } from '../collections.js';

/** What was already published: the latest figure event per series key and the open discrepancies. */
export interface PreviousState {
  figures: Map<string /* seriesKey */, { eventId: string }>;
  openDiscrepancies: Map<string /* discrepancyId */, { eventId: string }>;
}

export type PlannedEvent = FigureReconciled | DiscrepancyDetected | DiscrepancyResolved;

/**
 * The events to publish so that the log says what `next` says: new or changed figures, new or changed
 * discrepancies, and DiscrepancyResolved for open ones that `next` no longer raises. Planning again
 * from the state these events lead to yields nothing.
 *
 * A discrepancy is resolved only when `next` covers its group (its id is recognised from next's
 * figures): reconciling a batch of groups says nothing about the groups outside it.
 */
export function planEvents(previous: PreviousState, next: ReconcileResult): PlannedEvent[] {
  const figures = next.figures.filter((f) => previous.figures.get(f.seriesKey)?.eventId !== f.eventId);
  const detected = next.discrepancies.filter((d) => previous.openDiscrepancies.get(d.discrepancyId)?.eventId !== d.eventId);
  const raised = new Set(next.discrepancies.map((d) => d.discrepancyId));
  const gone = [...previous.openDiscrepancies.entries()]
    .filter(([id]) => !raised.has(id))
    .sort(([a], [b]) => compareText(a, b));
  const resolved: DiscrepancyResolved[] = [];
  if (gone.length > 0) {
    const known = knownComparisons(next.figures);
    for (const [id, open] of gone) {
      const comparison = known.get(id);
      if (comparison) resolved.push(resolution(id, open.eventId, comparison));
    }
  }
  return [...figures, ...detected, ...resolved];
}

/**
 * What `next` holds from one drop that the log already says: figures and open discrepancies with
 * one of the drop's observations among their sources, published before with the same event id.
 * An observation is recorded by one drop only and ids hash the observations, so for a drop's first
 * reconcile this is empty; for a retried one (its worker killed after some of its events were
 * projected) it is what the earlier attempt published, so the drop's counts and alerts stay whole.
 */
export function publishedBefore(previous: PreviousState, next: ReconcileResult, dropId: string): { figures: number; detected: DiscrepancyDetected[] } {
  const figures = next.figures.filter((f) => previous.figures.get(f.seriesKey)?.eventId === f.eventId && f.sources.some((s) => s.dropId === dropId)).length;
  const detected = next.discrepancies.filter((d) => previous.openDiscrepancies.get(d.discrepancyId)?.eventId === d.eventId && d.values.some((v) => v.dropId === dropId));
  return { figures, detected };
}

interface KnownComparison {
  groupKey: string;
  indicator: string;
  area: DiscrepancyResolved['area'];
  sources: readonly [string, string];
  kind: string;
  group: FigureReconciled[];
}

/** Every discrepancy id that `next`'s groups could carry, so an open id can be traced back to its group and sources. */
function knownComparisons(figures: readonly FigureReconciled[]): Map<string, KnownComparison> {
  const groups = groupBy(figures, (f) => f.groupKey);
  const known = new Map<string, KnownComparison>();
  for (const [groupKey, group] of groups) {
    const head = group[0];
    if (!head) continue;
    const sources = [...new Set(group.flatMap((f) => f.sources.map((s) => s.source)))].sort(compareText);
    const periods = [...new Set(group.map((f) => periodKey(f.period)))];
    const add = (a: string, b: string, kind: string): void => {
      known.set(discrepancyIdFor(groupKey, a, b, kind), {
        groupKey,
        indicator: head.indicator,
        area: head.area,
        sources: [a, b],
        kind,
        group,
      });
    };
    sources.forEach((a, i) => {
      for (const b of sources.slice(i + 1)) {
        for (const kind of [ComparisonKind.referenceDates, ComparisonKind.overlappingPeriods, ComparisonKind.stockVsFlow(a), ComparisonKind.stockVsFlow(b)]) add(a, b, kind);
        for (const p of periods) add(a, b, ComparisonKind.samePeriod(p));
      }
      if (isNational(head.area)) for (const p of periods) add(a, SUM_OF_REGIONS, ComparisonKind.regions(p));
    });
  }
  return known;
}

function resolution(discrepancyId: string, openEventId: string, c: KnownComparison): DiscrepancyResolved {
  const values = currentValues(c);
  const pair = c.sources.filter((s) => s !== SUM_OF_REGIONS).join(' and ');
  return {
    type: 'DiscrepancyResolved',
    eventId: shortHash('DiscrepancyResolved', discrepancyId, openEventId),
    discrepancyId,
    groupKey: c.groupKey,
    indicator: c.indicator,
    area: c.area,
    values,
    explanation:
      `${c.kind.startsWith('regions:') ? `${pair} and the sum of the regions` : pair} are back within tolerance for ${c.indicator} in ${c.area}: ` +
      values.map((v) => describeValue(v)).join('; '),
    recordedAt: latestInstant(c.group.map((f) => f.recordedAt)),
  };
}

/** The pair's values that the comparison would look at now; failing that, each source's latest value in the group. */
function currentValues(c: KnownComparison): SourceValue[] {
  const all = c.group
    .flatMap((f) => f.sources)
    .filter((v) => c.sources.includes(v.source));
  const latestOf = (source: string, kind: 'stock' | 'flow' | undefined): SourceValue | undefined =>
    all
      .filter((v) => v.source === source && (kind === undefined || v.period.kind === kind))
      .sort((x, y) => compareText(periodEnd(y), periodEnd(x)) || compareText(periodKey(y.period), periodKey(x.period)))[0];
  const bySource = (kind: 'stock' | 'flow' | undefined, source: string): SourceValue[] => {
    const v = latestOf(source, kind);
    return v ? [v] : [];
  };
  let values: SourceValue[];
  if (c.kind.startsWith('same_period:') || c.kind.startsWith('regions:')) {
    const period = c.kind.slice(c.kind.indexOf(':') + 1);
    values = all.filter((v) => periodKey(v.period) === period);
  } else if (c.kind === ComparisonKind.referenceDates) {
    values = c.sources.flatMap((s) => bySource('stock', s));
  } else if (c.kind === ComparisonKind.overlappingPeriods) {
    values = c.sources.flatMap((s) => bySource('flow', s));
  } else {
    const stockSource = c.kind.slice(c.kind.indexOf(':') + 1);
    values = c.sources.flatMap((s) => bySource(s === stockSource ? 'stock' : 'flow', s));
  }
  if (values.length === 0) values = c.sources.flatMap((s) => bySource(undefined, s));
  return values.sort((x, y) => compareText(x.source, y.source));
}

function periodEnd(v: SourceValue): string {
  return v.period.kind === 'stock' ? v.period.date : v.period.end;
}
