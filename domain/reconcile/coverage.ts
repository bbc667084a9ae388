import type { DiscrepancyDetected, FigureReconciled, ObservationRecorded, SourceValue } from '../events.js';
import { disaggregationKey, periodKey, shortHash } from '../series.js';
import { ComparisonKind, discrepancyFrom, SUM_OF_REGIONS } from './comparison.js';
import { toSourceValue } from './current.js';
import { describeValue, formatCount, formatPercent } from './format.js';
import { toleranceFor, type ReconcilePolicy } from './policy.js';
import { placeByPcode } from '../places.js';
import { isNational, isRegion, regionsOf } from './regions.js';
import { compareText, latestInstant } from './time.js';
import { groupBy } from '../collections.js';

/**
 * Each source's national figure against the sum of the reconciled regional figures (any source) for
 * the same indicator, disaggregation and date or period. Regions reported in another unit are left out.
 */
export function coverageDiscrepancies(
  current: readonly ObservationRecorded[],
  figures: readonly FigureReconciled[],
  policy: ReconcilePolicy,
): DiscrepancyDetected[] {
  const regional = groupBy(
    figures.filter((f) => isRegion(f.area)),
    (f) => `${placeByPcode(f.area)?.parent ?? ''}|${pointKey(f.indicator, f.disaggregation, f.period)}`,
  );
  const found: DiscrepancyDetected[] = [];
  for (const national of current) {
    if (!isNational(national.area)) continue;
    const regions = (regional.get(`${national.area}|${pointKey(national.indicator, national.disaggregation, national.period)}`) ?? [])
      .filter((f) => f.unit === national.unit)
      .sort((a, b) => compareText(a.area, b.area));
    if (regions.length === 0) continue;
    const d = compareWithRegions(national, regions, policy);
    if (d) found.push(d);
  }
  return found;
}

function compareWithRegions(national: ObservationRecorded, regions: FigureReconciled[], policy: ReconcilePolicy): DiscrepancyDetected | undefined {
  const nationalValue = toSourceValue(national);
  const sum = sumOfRegions(nationalValue, regions);
  const present = new Set(regions.map((f) => f.area));
  const all = regionsOf(national.area);
  const missing = all.filter(([pcode]) => !present.has(pcode)).map(([pcode, name]) => `${pcode} ${name}`);
  const partial = missing.length > 0 && sum.value < national.value;
  return discrepancyFrom({
    groupKey: national.groupKey,
    indicator: national.indicator,
    area: national.area,
    pair: [national.source, SUM_OF_REGIONS],
    kind: ComparisonKind.regions(periodKey(national.period)),
    values: [nationalValue, sum],
    tolerance: toleranceFor(policy, national.indicator),
    cause: partial ? 'partial_coverage' : 'unexplained',
    explain: (gap) => {
      const head = `${describeValue(nationalValue)} vs the sum of ${regions.length} regions (${sum.source}) ${formatCount(sum.value)}: ${formatPercent(gap.relative)} apart`;
      if (partial) return `${head}; missing regions: ${missing.join(', ')}`;
      if (missing.length > 0) {
        return `${head}; the regions present already exceed the national figure, so the missing regions (${missing.join(', ')}) do not explain the gap`;
      }
      return `${head}; all ${all.length} regions are present: no known cause`;
    },
  });
}

/** A synthetic source value: the reconciled regional figures added up, traced to their observations. */
function sumOfRegions(national: SourceValue, regions: readonly FigureReconciled[]): SourceValue {
  const chosen = regions.map((f) => f.sources.find((s) => s.source === f.chosenSource) ?? f.sources[0]).filter((v): v is SourceValue => v !== undefined);
  const distinct = (values: string[]): string[] => [...new Set(values)].sort(compareText);
  return {
    source: `${distinct(chosen.map((v) => v.source)).join('+')}:${SUM_OF_REGIONS}`,
    value: chosen.reduce((total, v) => total + v.value, 0),
    observationId: shortHash(SUM_OF_REGIONS, ...distinct(chosen.map((v) => v.observationId))),
    dropId: distinct(chosen.map((v) => v.dropId)).join(','),
    period: national.period,
    unit: national.unit,
    recordedAt: latestInstant(chosen.map((v) => v.recordedAt)),
  };
}

function pointKey(indicator: string, disaggregation: ObservationRecorded['disaggregation'], period: ObservationRecorded['period']): string {
  return `${indicator}|${disaggregationKey(disaggregation)}|${periodKey(period)}`;
}
