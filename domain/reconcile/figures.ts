import type { Disaggregation, FigureReconciled, ObservationRecorded } from '../events.js';
import { shortHash } from '../series.js';
import { toSourceValue } from './current.js';
import { describeRule, sourceRank, type ReconcilePolicy } from './policy.js';
import { compareInstants, compareText, latestInstant } from './time.js';
import { groupBy } from '../collections.js';

/** One reconciled figure per series key, from the sources' current values. */
export function reconcileFigures(current: readonly ObservationRecorded[], policy: ReconcilePolicy): FigureReconciled[] {
  const bySeries = groupBy(current, (o) => o.seriesKey);
  return [...bySeries.keys()].sort(compareText).map((key) => figureFor(key, bySeries.get(key) ?? [], policy));
}

/** Best first: priority rank, then the most recent record, then source id. */
export function rankCandidates(candidates: readonly ObservationRecorded[], policy: ReconcilePolicy): ObservationRecorded[] {
  return [...candidates].sort(
    (a, b) =>
      sourceRank(policy, a.indicator, a.source) - sourceRank(policy, b.indicator, b.source) ||
      compareInstants(b.recordedAt, a.recordedAt) ||
      compareText(a.source, b.source),
  );
}

function figureFor(seriesKey: string, candidates: ObservationRecorded[], policy: ReconcilePolicy): FigureReconciled {
  const ranked = rankCandidates(candidates, policy);
  const chosen = ranked[0];
  if (!chosen) throw new Error(`series ${seriesKey} has no observation to reconcile`);
  // A value in another unit is listed among the sources but kept out of the spread: it is not the same measure.
  const comparable = ranked.filter((o) => o.unit === chosen.unit).map((o) => o.value);
  const min = Math.min(...comparable);
  const max = Math.max(...comparable);
  const observationIds = ranked.map((o) => o.observationId).sort(compareText);
  return {
    type: 'FigureReconciled',
    eventId: shortHash('FigureReconciled', seriesKey, chosen.value, chosen.source, ...observationIds),
    seriesKey,
    groupKey: chosen.groupKey,
    indicator: chosen.indicator,
    area: chosen.area,
    period: toSourceValue(chosen).period,
    disaggregation: sortedDisaggregation(chosen.disaggregation),
    value: chosen.value,
    unit: chosen.unit,
    chosenSource: chosen.source,
    rule: describeRule(policy, chosen.indicator),
    sources: ranked.map(toSourceValue),
    spread: { min, max, relative: max === 0 ? 0 : (max - min) / max },
    recordedAt: latestInstant(ranked.map((o) => o.recordedAt)),
  };
}

function sortedDisaggregation(d: Disaggregation): Disaggregation {
  return Object.fromEntries(Object.keys(d).sort(compareText).map((k) => [k, d[k] ?? '']));
}
