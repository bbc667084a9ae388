/**
 * Turns one raw row into figures (indicator, place, period, value) or a rejection that names the
 * row, the column, what was expected and what was found.
 */
import type { Disaggregation, DropNotice, Period, Unit } from '../domain/events.js';
import { getIndicator, isIndicatorCode } from '../domain/indicators.js';
import { isNotAvailable, parsePeople } from '../domain/numbers.js';
import { flowBetween, parsePeriod, unhcrYearPeriod } from '../domain/periods.js';
import { looksLikePcode } from '../domain/codes.js';
import { countryByIso3, DEFAULT_COUNTRY, parseCountry } from '../domain/countries.js';
import { countryOfPcode, deepestLevel, matchPlace, nameMatchesPlace, type Place } from '../domain/places.js';
import type { Failure, Parsed } from '../domain/result.js';
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
  | { kind: 'figures'; figures: RowFigure[]; context: RowContext; notices?: readonly RowNotice[] }
  | { kind: 'rejected'; column?: string; expected: string; found: string; hint?: string };

type Rejection = Extract<RowOutcome, { kind: 'rejected' }>;

function reject(plan: ColumnPlan, index: number | undefined, parsed: { expected: string; found: string; hint?: string }): Rejection {
  return { kind: 'rejected', column: index === undefined ? undefined : plan.headers[index], ...parsed };
}

function cell(row: RawRow, index: number | undefined): string {
  return index === undefined ? '' : (row.cells[index] ?? '').trim();
}

/** What a drop's rows are read with beyond their profile. */
export interface RowPlaces {
  /**
   * `tally ingest --country` (ISO 3166 alpha-3): names are matched there when a row does not say
   * its country, and a row whose country column or P-code names another country is rejected.
   */
  country?: string;
}

/** The country a row is read in, where that came from, and the notice that says so (shared by its rows). */
interface RowCountry {
  iso3: string;
  notice: RowNotice;
  /** `[notice]`: the notices of a row with nothing else to tell. */
  alone: readonly RowNotice[];
}

function rowCountry(iso3: string, from: string): RowCountry {
  const notice: RowNotice = { kind: 'country', detail: `${countryByIso3(iso3)?.name ?? iso3} (${iso3}), ${from}` };
  return { iso3, notice, alone: [notice] };
}

/** A country the row itself names, with the cell that names it. */
interface OwnCountry {
  country: RowCountry;
  name: string;
  index: number;
  found: string;
  /** How the cell names it, for a rejection when --country says otherwise. */
  hint: string;
}

type OwnAnswer = (Parsed<OwnCountry> & { index?: number }) | null;

/**
 * Answers per drop (its plan) and distinct cell text: a drop repeats a few dozen countries, codes
 * and names over millions of rows. Each map starts afresh past 10,000 texts.
 */
interface PlanMemo {
  /** Per column: cell text → the country it names (null: none). */
  own: Map<number, Map<string, OwnAnswer>>;
  /** The country of rows that name none, per --country. */
  fallback: Map<string, RowCountry>;
  /** Per place (the list's own objects): name cell → its mismatch notice (null: the name is the place's). */
  names: Map<Place, Map<string, RowNotice | null>>;
}

const MEMOS = new WeakMap<ColumnPlan, PlanMemo>();
const MEMO_MAX = 10_000;
/** The last plan's memo: rows come drop by drop, so this answers nearly every call. */
let last: { plan: ColumnPlan; memo: PlanMemo } | undefined;

function memoOf(plan: ColumnPlan): PlanMemo {
  if (last?.plan === plan) return last.memo;
  let memo = MEMOS.get(plan);
  if (!memo) {
    memo = { own: new Map(), fallback: new Map(), names: new Map() };
    MEMOS.set(plan, memo);
  }
  last = { plan, memo };
  return memo;
}

/** The answer remembered for `text` under `key`, or undefined. */
function recall<K, V>(outer: Map<K, Map<string, V>>, key: K, text: string): V | undefined {
  return outer.get(key)?.get(text);
}

function remember<K, V>(outer: Map<K, Map<string, V>>, key: K, text: string, value: V): V {
  let inner = outer.get(key);
  if (!inner) outer.set(key, (inner = new Map()));
  if (inner.size >= MEMO_MAX) inner.clear();
  inner.set(text, value);
  return value;
}

function fromCountryCell(text: string, index: number, plan: ColumnPlan): OwnAnswer {
  if (/^[-–—]$/.test(text)) {
    // Never the fallback country: UNHCR asked for one origin alone (coo=SYR, no coa) writes "-" there,
    // and that origin's figure over every country of asylum is no place's figure. (Not every
    // "not available" spelling: NA is Namibia.)
    const hint = `"${text}" names no country, so the row's figure is no place's; UNHCR writes "-" for the country of asylum when asked for one origin alone (coo= without coa=)`;
    return { ok: false, expected: 'a country (ISO 3166 alpha-3 or alpha-2 code, UN M49 number, or name)', found: text, hint, index };
  }
  const parsed = parseCountry(text);
  if (!parsed.ok) return { ...parsed, index };
  const c = parsed.value;
  const value = { country: rowCountry(c.iso3, `from the column "${plan.headers[index]}"`), name: c.name, index, found: text, hint: `the row's country column says ${c.name}` };
  return { ok: true, value };
}

function fromCode(code: string, nameColumn: boolean, index: number, plan: ColumnPlan): OwnAnswer {
  // A name column may hold codes too, but three letters there are a name ("Gao"), not a country.
  if (!looksLikePcode(code) || (nameColumn && !/\d/.test(code))) return null;
  const c = countryOfPcode(code);
  if (!c) return null;
  const hint = code.toUpperCase() === c.iso3 ? `${c.iso3} is ${c.name}` : `a P-code of ${c.name}`;
  return { ok: true, value: { country: rowCountry(c.iso3, `from the P-codes in "${plan.headers[index]}"`), name: c.name, index, found: code, hint } };
}

/** Columns whose codes name a country, in order; the name columns only for codes with digits. */
const CODE_ROLES = ['regionCode', 'cercleCode', 'region', 'cercle'] as const;
const NAME_COLUMN = [false, false, true, true] as const;

/** The country a row says it is in: its country column, else the country of its first P-code; null when it says none. */
function ownCountry(row: RawRow, plan: ColumnPlan, memo: PlanMemo): OwnAnswer {
  const r = plan.roles;
  const text = cell(row, r.country);
  if (text) return recall(memo.own, r.country!, text) ?? remember(memo.own, r.country!, text, fromCountryCell(text, r.country!, plan));
  for (let i = 0; i < CODE_ROLES.length; i++) {
    const index = r[CODE_ROLES[i]!];
    const code = cell(row, index);
    if (!code) continue;
    let own = recall(memo.own, index!, code);
    if (own === undefined) own = remember(memo.own, index!, code, fromCode(code, NAME_COLUMN[i]!, index!, plan));
    if (own) return own;
  }
  return null;
}

/**
 * Where a row's country comes from: the drop itself (a country column, or the country of its
 * P-codes), else --country, else the profile's country, else Mali. A row whose own country is
 * not the --country one is rejected.
 */
function resolveCountry(row: RawRow, plan: ColumnPlan, profile: SourceProfile, places: RowPlaces, memo: PlanMemo): RowCountry | (Failure & { index?: number }) {
  const own = ownCountry(row, plan, memo);
  const wanted = places.country;
  if (own) {
    if (!own.ok) return own;
    const { country, index, found, hint } = own.value;
    if (wanted !== undefined && country.iso3 !== wanted) {
      return { ok: false, expected: `a place in ${countryByIso3(wanted)?.name ?? wanted} (--country ${wanted})`, found, hint, index };
    }
    return country;
  }
  const fallback = memo.fallback.get(wanted ?? '');
  if (fallback) return fallback;
  let country: RowCountry;
  if (wanted !== undefined) country = rowCountry(wanted, 'from --country');
  else if (profile.country !== undefined) country = rowCountry(profile.country, `from the profile of ${profile.id}`);
  else country = rowCountry(DEFAULT_COUNTRY, 'by default');
  memo.fallback.set(wanted ?? '', country);
  return country;
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
  const summedKeys = summedDisaggregations(plan, disaggregation);
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
    if (summedKeys.length > 0) figures.push({ ...figure, disaggregation: without(figure.disaggregation, summedKeys) });
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

/**
 * The row's disaggregations that are also summed (the sum-over column is a disaggregation too:
 * UNHCR's country of origin): such a row is its own figure and a part of the total without them.
 */
function summedDisaggregations(plan: ColumnPlan, disaggregation: Disaggregation): string[] {
  const sumOver = plan.roles.sumOver;
  if (sumOver === undefined) return [];
  return plan.disaggregations.filter((d) => d.index === sumOver && disaggregation[d.key] !== undefined && !plan.onePart?.includes(d.key)).map((d) => d.key);
}

function without(disaggregation: Disaggregation, keys: readonly string[]): Disaggregation {
  return Object.fromEntries(Object.entries(disaggregation).filter(([key]) => !keys.includes(key)));
}
