/**
 * The country a row is read in: its own country column, else the country of its first P-code, else
 * --country, the profile's or Mali; and the per-drop memo of answers that normalise.ts shares.
 */
import { looksLikePcode } from '../domain/codes.js';
import { countryByIso3, DEFAULT_COUNTRY, parseCountry } from '../domain/countries.js';
import { countryOfPcode, type Place } from '../domain/places.js';
import type { Failure, Parsed } from '../domain/result.js';
import type { SourceProfile } from '../domain/profile.js';
import type { ColumnPlan } from './mapping.js';
import type { RawRow } from '../connectors/table.js';
import type { RowNotice } from './normalise.js';

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
export interface RowCountry {
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
export interface PlanMemo {
  /** Per column: cell text → the country it names (null: none). */
  own: Map<number, Map<string, OwnAnswer>>;
  /** The country of rows that name none, per --country. */
  fallback: Map<string, RowCountry>;
  /** Per place (the list's own objects): name cell → its mismatch notice (null: the name is the place's). */
  names: Map<Place, Map<string, RowNotice | null>>;
  /** The plan's summed disaggregation columns (parts.ts summedColumns), settled on the first row. */
  summed?: ColumnPlan['disaggregations'];
}

const MEMOS = new WeakMap<ColumnPlan, PlanMemo>();
const MEMO_MAX = 10_000;
/** The last plan's memo: rows come drop by drop, so this answers nearly every call. */
let last: { plan: ColumnPlan; memo: PlanMemo } | undefined;

export function memoOf(plan: ColumnPlan): PlanMemo {
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
export function recall<K, V>(outer: Map<K, Map<string, V>>, key: K, text: string): V | undefined {
  return outer.get(key)?.get(text);
}

export function remember<K, V>(outer: Map<K, Map<string, V>>, key: K, text: string, value: V): V {
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
export function resolveCountry(row: RawRow, plan: ColumnPlan, profile: SourceProfile, places: RowPlaces, memo: PlanMemo): RowCountry | (Failure & { index?: number }) {
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
