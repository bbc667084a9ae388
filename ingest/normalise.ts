/**
 * Turns one raw row into figures (indicator, place, period, value) or a rejection that names the
 * row, the column, what was expected and what was found.
 */
import type { Disaggregation, DropNotice, Period, Unit } from '../domain/events.js';
import { getIndicator, isIndicatorCode } from '../domain/indicators.js';
import { isNotAvailable, parsePeople } from '../domain/numbers.js';
import { flowBetween, parsePeriod, unhcrYearPeriod } from '../domain/periods.js';
import { countryByIso3 } from '../domain/countries.js';
import { deepestLevel, matchPlace, nameMatchesPlace, type Place } from '../domain/places.js';
import type { Parsed } from '../domain/result.js';
import type { SourceProfile } from '../domain/profile.js';
import type { ColumnPlan } from './mapping.js';
import type { RawRow } from '../connectors/table.js';
import { memoOf, recall, remember, resolveCountry, type PlanMemo, type RowPlaces } from './row-country.js';
import { partGroup, summedColumns, summedDisaggregations, without } from './parts.js';

export type { RowPlaces } from './row-country.js';

export interface RowFigure {
  indicator: string;
  area: Place;
  period: Period;
  value: number;
  unit: Unit;
  disaggregation: Disaggregation;
  /**
   * A total's part: the summed disaggregations the row's own figure has and this one does not
   * (`operation=hurricane matthew`). drop-map.ts takes it out before the figure is stored.
   */
  group?: string;
}

export interface RowContext {
  round: string;
  assessment: string;
  sumOver: string;
}

/** Something worth telling about the drop that is not the row's fate (the row is still accepted). */
export type RowNotice = Pick<DropNotice, 'kind' | 'detail'>;

export type RowOutcome =
  | { kind: 'figures'; figures: RowFigure[]; context: RowContext; notices?: readonly RowNotice[] }
  | { kind: 'rejected'; column?: string; expected: string; found: string; hint?: string };

type Rejection = Extract<RowOutcome, { kind: 'rejected' }>;

function reject(plan: ColumnPlan, index: number | undefined, parsed: { expected: string; found: string; hint?: string }): Rejection {
  return { kind: 'rejected', column: index === undefined ? undefined : plan.headers[index], ...parsed };
}

function cell(row: RawRow, index: number | undefined): string {
  return index === undefined ? '' : (row.cells[index] ?? '').trim();
}

/** A row's notices beyond its country (name mismatches, admin-3 rows summed), gathered while its place is resolved (normaliseRow is synchronous and not re-entered). */
const ROW_NOTICES: RowNotice[] = [];

/** A name beside the P-code that decided the place: told when it is not that place's name. */
function checkName(name: string, place: Place, country: string, memo: PlanMemo): void {
  if (!name || place.name === '') return;
  let notice = recall(memo.names, place, name);
  if (notice === undefined) {
    const mismatch: RowNotice = { kind: 'name_mismatch', detail: `"${name}" is not the name of ${place.pcode} (${place.name})` };
    notice = remember(memo.names, place, name, nameMatchesPlace(name, place, country) ? null : mismatch);
  }
  if (notice) ROW_NOTICES.push(notice);
}

function resolveArea(row: RawRow, plan: ColumnPlan, profile: SourceProfile, country: string, memo: PlanMemo): Parsed<Place> & { index?: number } {
  const r = plan.roles;
  const opts = { country };
  let region: Place | undefined;
  for (const [role, level] of [['regionCode', 1], ['region', 1]] as const) {
    const text = cell(row, r[role]);
    if (!text) continue;
    const parsed = matchPlace(text, level, opts);
    if (!parsed.ok) {
      // A national total often sits in the region column ("Mali", "Total Mali").
      const national = matchPlace(text.replace(/^total\s+/i, ''), 0, opts);
      if (national.ok && !cell(row, r.cercle) && !cell(row, r.cercleCode)) return national;
      return { ...parsed, index: r[role] };
    }
    region = parsed.value;
    // The P-code decides; a name beside it that names another place is told, not rejected.
    if (role === 'regionCode') checkName(cell(row, r.region), region, country, memo);
    break;
  }
  let cercle: Place | undefined;
  for (const role of ['cercleCode', 'cercle'] as const) {
    const text = cell(row, r[role]);
    if (!text) continue;
    const parsed = matchPlace(text, 2, region ? { country, parent: region.pcode } : opts);
    if (!parsed.ok) return { ...parsed, index: r[role] };
    if (role === 'cercleCode') checkName(cell(row, r.cercle), parsed.value, country, memo);
    cercle = parsed.value;
    break;
  }
  const commune = resolveCommune(row, plan, country, cercle ?? region, memo);
  if (commune) return commune;
  if (cercle) return { ok: true, value: cercle };
  if (region) return { ok: true, value: region };
  const countryCell = cell(row, r.country);
  if (countryCell) {
    const parsed = matchPlace(countryCell, 0, opts);
    return parsed.ok ? parsed : { ...parsed, index: r.country };
  }
  if (profile.areaLevel === 0) return matchPlace(country, 0, opts);
  const placeColumn = r.region ?? r.regionCode ?? r.cercle ?? r.cercleCode;
  return { ok: false, expected: 'a place (region, cercle or P-code)', found: '', hint: 'the place cell is empty', index: placeColumn };
}

/** The notice of rows whose admin-3 place is summed into its admin-2 area, per country (one object each: rows are counted by identity). */
const SUMMED_COMMUNES = new Map<string, RowNotice>();

function communesSummed(country: string, plan: ColumnPlan): RowNotice {
  const columns = [plan.roles.communeCode, plan.roles.commune].flatMap((i) => (i === undefined ? [] : [`"${plan.headers[i]}"`])).join(', ');
  const key = `${country}\u001f${columns}`;
  let notice = SUMMED_COMMUNES.get(key);
  if (!notice) {
    const name = countryByIso3(country)?.name ?? country;
    notice = {
      kind: 'ignored_column',
      detail: `admin level 3 (${columns}): no admin-3 P-code list of ${name} is loaded, so these rows are summed into their admin-2 area; TALLY_PCODES_FILE adds such a list and keeps them at level 3`,
    };
    SUMMED_COMMUNES.set(key, notice);
  }
  return notice;
}

/**
 * The row's admin-3 place, when it names one and the country's lists go that deep: matched like
 * the other levels, under the admin-2 (or admin-1) area the row gives. Without such a list the row
 * stays at admin 2 (its admin-3 column is summed over) and a notice says so. Undefined: no
 * admin-3 place for this row.
 */
function resolveCommune(row: RawRow, plan: ColumnPlan, country: string, parent: Place | undefined, memo: PlanMemo): (Parsed<Place> & { index?: number }) | undefined {
  const r = plan.roles;
  const code = cell(row, r.communeCode);
  const name = cell(row, r.commune);
  if (!code && !name) return undefined;
  if (deepestLevel(country) < 3) {
    ROW_NOTICES.push(communesSummed(country, plan));
    return undefined;
  }
  const role = code ? 'communeCode' : 'commune';
  const parsed = matchPlace(code || name, 3, parent ? { country, parent: parent.pcode } : { country });
  if (!parsed.ok) return { ...parsed, index: r[role] };
  if (code) checkName(name, parsed.value, country, memo);
  return parsed;
}

function resolvePeriod(row: RawRow, plan: ColumnPlan, profile: SourceProfile, kind: 'stock' | 'flow'): Parsed<Period> & { index?: number } {
  const r = plan.roles;
  if (profile.dates.rule === 'year' || (r.year !== undefined && r.date === undefined && r.periodStart === undefined)) {
    const text = cell(row, r.year);
    const year = Number(text);
    if (!/^\d{4}$/.test(text) || year < 1900 || year > 2100) return { ok: false, expected: 'a year such as 2019', found: text, index: r.year };
    return { ok: true, value: unhcrYearPeriod(year, kind) };
  }
  const start = cell(row, r.periodStart);
  const end = cell(row, r.periodEnd);
  if (start && end) {
    const parsed = flowBetween(start, end);
    if (!parsed.ok) return { ...parsed, index: r.periodEnd };
    if (kind === 'stock') return { ok: true, value: { kind: 'stock', date: parsed.value.kind === 'flow' ? parsed.value.end : parsed.value.date } };
    return parsed;
  }
  const text = cell(row, r.date) || profile.dates.fixed || '';
  if (!text) {
    return { ok: false, expected: 'a reference date or period', found: '', hint: 'the date cell is empty and the profile sets no fixed date', index: r.date ?? r.periodStart };
  }
  const parsed = parsePeriod(text, kind);
  return parsed.ok ? parsed : { ...parsed, index: r.date };
}

function indicatorOf(row: RawRow, plan: ColumnPlan, profile: SourceProfile, fallback: string): Parsed<string> & { index?: number } {
  const text = cell(row, plan.roles.indicator);
  if (!text) return { ok: true, value: fallback };
  const code = profile.indicatorCodes[text] ?? text.toLowerCase();
  if (isIndicatorCode(code)) return { ok: true, value: code };
  return { ok: false, expected: 'an indicator code', found: text, index: plan.roles.indicator };
}

/** Reads one row. Every value cell that is "not available" is skipped; a row left with none is rejected. */
export function normaliseRow(row: RawRow, plan: ColumnPlan, profile: SourceProfile, places: RowPlaces = {}): RowOutcome {
  const memo = memoOf(plan);
  const country = resolveCountry(row, plan, profile, places, memo);
  if ('ok' in country) return reject(plan, country.index, country);
  ROW_NOTICES.length = 0;
  const area = resolveArea(row, plan, profile, country.iso3, memo);
  const notices = ROW_NOTICES.length === 0 ? country.alone : [country.notice, ...ROW_NOTICES];
  if (!area.ok) return reject(plan, area.index, area);
  const disaggregation: Disaggregation = {};
  for (const { key, index } of plan.disaggregations) {
    const text = cell(row, index);
    if (text && !isNotAvailable(text) && !/^(total|all|tous|ensemble)$/i.test(text)) disaggregation[key] = text.toLowerCase();
  }
  const summedKeys = summedDisaggregations(plan, disaggregation, (memo.summed ??= summedColumns(plan)));
  const figures: RowFigure[] = [];
  for (const column of plan.values) {
    const raw = cell(row, column.index);
    const count = parsePeople(raw);
    if (!count.ok) return reject(plan, column.index, count);
    if (count.value === null) continue;
    const indicatorCode = indicatorOf(row, plan, profile, column.indicator);
    if (!indicatorCode.ok) return reject(plan, indicatorCode.index, indicatorCode);
    const indicator = getIndicator(indicatorCode.value);
    const period = resolvePeriod(row, plan, profile, indicator.kind);
    if (!period.ok) return reject(plan, period.index, period);
    const figure: RowFigure = {
      indicator: indicator.code,
      area: area.value,
      period: period.value,
      value: count.value,
      unit: column.unit ?? indicator.unit,
      disaggregation: { ...disaggregation, ...column.disaggregation },
    };
    figures.push(figure);
    if (summedKeys.length > 0) {
      figures.push({ ...figure, disaggregation: without(figure.disaggregation, summedKeys), group: partGroup(figure.disaggregation, summedKeys) });
    }
  }
  if (figures.length === 0) {
    const columns = plan.values.map((v) => v.header).join('", "');
    return {
      kind: 'rejected',
      column: plan.values[0]?.header,
      expected: 'at least one value',
      found: plan.values.map((v) => cell(row, v.index) || '(empty)').join(', '),
      hint: `every value cell ("${columns}") is not available`,
    };
  }
  return {
    kind: 'figures',
    figures,
    context: { round: cell(row, plan.roles.round), assessment: cell(row, plan.roles.assessment).toUpperCase(), sumOver: cell(row, plan.roles.sumOver) },
    notices,
  };
}

/**
 * The drop's one country notice, from its rows' (one per country and origin, counted per row):
 * `Chad (TCD), from the column "admin0Pcode"`, or with several, each with its rows.
 */
export function oneCountryNotice(notices: readonly DropNotice[]): DropNotice[] {
  const countries = notices.filter((n) => n.kind === 'country');
  if (countries.length <= 1) return [...notices];
  const rows = countries.reduce((total, n) => total + (n.rows ?? 0), 0);
  const detail = countries.map((n) => `${n.detail}${n.rows === undefined ? '' : ` (${n.rows} row${n.rows === 1 ? '' : 's'})`}`).join('; ');
  const first = notices.indexOf(countries[0]!);
  const others = notices.filter((n) => n.kind !== 'country');
  return [...others.slice(0, first), { kind: 'country', detail, rows }, ...others.slice(first)];
}

/** The one-line reason a person can act on: `file row 12, column "X": expected …, found "…" (hint)`. */
export function rejectionReason(fileName: string, row: number, r: { column?: string; expected: string; found: string; hint?: string }): string {
  const where = `${fileName} row ${row}${r.column ? `, column "${r.column}"` : ''}`;
  return `${where}: expected ${r.expected}, found "${r.found}"${r.hint ? ` (${r.hint})` : ''}`;
}
