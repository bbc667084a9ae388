/**
 * Turns one raw row into figures (indicator, place, period, value) or a rejection that names the
 * row, the column, what was expected and what was found.
 */
import type { Disaggregation, DropNotice, Period, Unit } from '../domain/events.js';
import { getIndicator, isIndicatorCode } from '../domain/indicators.js';
import { parsePeople } from '../domain/numbers.js';
import { flowBetween, parsePeriod, unhcrYearPeriod } from '../domain/periods.js';
import { matchPlace, type Place } from '../domain/places.js';
import type { Parsed } from '../domain/result.js';
import type { SourceProfile } from '../domain/profile.js';
import type { ColumnPlan } from './mapping.js';
import type { RawRow } from '../connectors/table.js';

export interface RowFigure {
  indicator: string;
  area: Place;
  period: Period;
  value: number;
  unit: Unit;
  disaggregation: Disaggregation;
}

export interface RowContext {
  round: string;
  assessment: string;
  sumOver: string;
}

/** Something worth telling about the drop that is not the row's fate (the row is still accepted). */
export type RowNotice = Pick<DropNotice, 'kind' | 'detail'>;

export type RowOutcome =
  | { kind: 'figures'; figures: RowFigure[]; context: RowContext; notices?: RowNotice[] }
  | { kind: 'rejected'; column?: string; expected: string; found: string; hint?: string };

type Rejection = Extract<RowOutcome, { kind: 'rejected' }>;

function reject(plan: ColumnPlan, index: number | undefined, parsed: { expected: string; found: string; hint?: string }): Rejection {
  return { kind: 'rejected', column: index === undefined ? undefined : plan.headers[index], ...parsed };
}

function cell(row: RawRow, index: number | undefined): string {
  return index === undefined ? '' : (row.cells[index] ?? '').trim();
}

function resolveArea(row: RawRow, plan: ColumnPlan, profile: SourceProfile): Parsed<Place> & { index?: number } {
  const r = plan.roles;
  let region: Place | undefined;
  for (const [role, level] of [['regionCode', 1], ['region', 1]] as const) {
    const text = cell(row, r[role]);
    if (!text) continue;
    const parsed = matchPlace(text, level);
    if (!parsed.ok) {
      // A national total often sits in the region column ("Mali", "Total Mali").
      const country = matchPlace(text.replace(/^total\s+/i, ''), 0);
      if (country.ok && !cell(row, r.cercle) && !cell(row, r.cercleCode)) return country;
      return { ...parsed, index: r[role] };
    }
    region = parsed.value;
    break;
  }
  for (const role of ['cercleCode', 'cercle'] as const) {
    const text = cell(row, r[role]);
    if (!text) continue;
    const parsed = matchPlace(text, 2, region ? { parent: region.pcode } : undefined);
    return parsed.ok ? parsed : { ...parsed, index: r[role] };
  }
  if (region) return { ok: true, value: region };
  const country = cell(row, r.country);
  if (country) {
    const parsed = matchPlace(country, 0);
    return parsed.ok ? parsed : { ...parsed, index: r.country };
  }
  if (profile.areaLevel === 0) return matchPlace('MLI', 0);
  const placeColumn = r.region ?? r.regionCode ?? r.cercle ?? r.cercleCode;
  return { ok: false, expected: 'a place (region, cercle or P-code)', found: '', hint: 'the place cell is empty', index: placeColumn };
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
export function normaliseRow(row: RawRow, plan: ColumnPlan, profile: SourceProfile): RowOutcome {
  const area = resolveArea(row, plan, profile);
  if (!area.ok) return reject(plan, area.index, area);
  const disaggregation: Disaggregation = {};
  for (const { key, index } of plan.disaggregations) {
    const text = cell(row, index);
    if (text && !/^(total|all|tous|ensemble)$/i.test(text)) disaggregation[key] = text.toLowerCase();
  }
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
    figures.push({
      indicator: indicator.code,
      area: area.value,
      period: period.value,
      value: count.value,
      unit: column.unit ?? indicator.unit,
      disaggregation: { ...disaggregation, ...column.disaggregation },
    });
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
  };
}

/** The one-line reason a person can act on: `file row 12, column "X": expected …, found "…" (hint)`. */
export function rejectionReason(fileName: string, row: number, r: { column?: string; expected: string; found: string; hint?: string }): string {
  const where = `${fileName} row ${row}${r.column ? `, column "${r.column}"` : ''}`;
  return `${where}: expected ${r.expected}, found "${r.found}"${r.hint ? ` (${r.hint})` : ''}`;
}
