/**
 * Disaggregations that are also summed over: a row names its own figure (`origin=bfa`,
 * `operation=hurricane matthew`) and a part of the total without it (the host country's refugees,
 * DTM's figure for the place and date). UNHCR's country of origin and DTM's operation are such
 * disaggregations (their profiles list the column under both `sumOver` and `disaggregations`).
 */
import type { Disaggregation } from '../domain/events.js';
import type { SourceProfile } from '../domain/profile.js';
import { describeList } from '../domain/errors.js';
import { isNotAvailable } from '../domain/numbers.js';
import type { RawTable } from '../connectors/table.js';
import type { ColumnPlan } from './mapping.js';

/** The columns summed over (rows differing only there are added up), whichever way the plan was made. */
export function sumOverColumns(plan: ColumnPlan): number[] {
  return plan.sumOver ?? (plan.roles.sumOver === undefined ? [] : [plan.roles.sumOver]);
}

/** The plan's disaggregations whose column is summed over (normaliseRow keeps them in its plan memo). */
export function summedColumns(plan: ColumnPlan): ColumnPlan['disaggregations'] {
  const summed = new Set(sumOverColumns(plan));
  return plan.disaggregations.filter((d) => summed.has(d.index));
}

/**
 * Settles what a drop whose rows all name one value of a summed disaggregation holds. With the
 * profile's `alone` 'part' (the default: UNHCR's origin), the drop is that one part and a total
 * built from it would be the part presented as the whole: the plan keeps the part only and a
 * `no_total` notice says so. With 'whole' (DTM's operation: a country with one operation), the
 * rows are the total too, unless the api-drop's request filtered on that disaggregation (the
 * parameter `api.request.params` gives for the option of the same name: DTM's `Operation=`); then
 * they are that part only, as for 'part'. Keys with 'whole' are kept in `wholes`, for the
 * `summed_parts` notice.
 */
export function settleOnePart(plan: ColumnPlan, table: RawTable, profile: SourceProfile): ColumnPlan {
  const summed = summedColumns(plan);
  if (summed.length === 0) return plan;
  const alone = profile.columns.alone;
  const wholes = summed.filter((d) => alone[d.key] === 'whole' && requestFilter(table, profile, d.key) === undefined).map((d) => d.key);
  const withWholes = wholes.length > 0 ? { ...plan, wholes } : plan;
  const same = table.meta.sameInEveryRow ?? {};
  const notices = [...(plan.notices ?? [])];
  const parts: string[] = [];
  for (const d of summed) {
    const header = plan.headers[d.index]!;
    const filter = alone[d.key] === 'whole' ? requestFilter(table, profile, d.key) : undefined;
    if (filter) {
      parts.push(d.key);
      notices.push({
        kind: 'no_total',
        detail:
          `the request asked for one ${d.key} (${filter.name}=${filter.value}): the figures are that ${d.key}'s (${d.key}=${filter.value.toLowerCase()}, column "${header}"), ` +
          `not the total for their place and date, which other ${d.key} values may add to (a request without ${filter.name} gives every ${d.key} and the total)`,
      });
      continue;
    }
    const value = same[header];
    if (alone[d.key] === 'whole' || value === undefined || isNotAvailable(value)) continue;
    parts.push(d.key);
    notices.push({
      kind: 'no_total',
      detail:
        `every row has ${d.key} ${value} (column "${header}"): the figures are that ${d.key}'s (${d.key}=${value.toLowerCase()}), ` +
        `not the country's total, which no row gives (a request for one ${d.key}, such as UNHCR's coo=, answers so; coo_all=true gives every ${d.key} and the total)`,
    });
  }
  if (parts.length === 0) return withWholes;
  return { ...withWholes, onePart: parts, notices };
}

/** The api-drop's request parameter that asked for one value of `key`, when it did (DTM's `Operation=`). */
function requestFilter(table: RawTable, profile: SourceProfile, key: string): { name: string; value: string } | undefined {
  const params = profile.api?.request?.params as Record<string, string | undefined> | undefined;
  const wanted = params?.[key]?.toLowerCase();
  const request = table.meta.request;
  if (!wanted || !request) return undefined;
  const found = Object.entries(request).find(([name, value]) => name.toLowerCase() === wanted && value.trim() !== '');
  return found ? { name: found[0], value: found[1].trim() } : undefined;
}

/** The row's summed disaggregations (`summed`: the plan's summedColumns): the figure is also a part of the total without them. Keys, in plan order. */
export function summedDisaggregations(plan: ColumnPlan, disaggregation: Disaggregation, summed: ColumnPlan['disaggregations']): string[] {
  return summed
    .filter((d) => disaggregation[d.key] !== undefined && !plan.onePart?.includes(d.key))
    .map((d) => d.key);
}

/** The part a total's figure was taken from, as a disaggregation text: `operation=haiti earthquake`. */
export function partGroup(disaggregation: Disaggregation, keys: readonly string[]): string {
  return keys.map((key) => `${key}=${disaggregation[key]}`).join(',');
}

export function without(disaggregation: Disaggregation, keys: readonly string[]): Disaggregation {
  return Object.fromEntries(Object.entries(disaggregation).filter(([key]) => !keys.includes(key)));
}

/** What a drop's totals summed from more than one part: the parts named, and how many such totals. */
export interface SummedParts {
  groups: Set<string>;
  /** Observations (totals) that sum more than one part. */
  totals: number;
}

/**
 * The `summed_parts` notice of a drop whose totals sum several values of a 'whole' key (Haiti's
 * operations on 2016-12-31), or undefined.
 */
export function summedPartsNotice(plan: ColumnPlan, summed: SummedParts): { kind: 'summed_parts'; detail: string } | undefined {
  if (!plan.wholes?.length || summed.totals === 0) return undefined;
  const keys = plan.wholes.join(', ');
  const groups = [...summed.groups].sort();
  const totals = summed.totals === 1 ? '1 total' : `${summed.totals} totals`;
  return {
    kind: 'summed_parts',
    detail: `${totals} (no ${keys}) add up ${groups.length} ${keys} values, each also its own series: ${describeList(groups, 20, 200)}`,
  };
}
