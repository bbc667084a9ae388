/**
 * Maps a raw table's columns to roles (place, date, values…). An HXL hashtag row is used in
 * preference to the headers, so a tagged file needs no profile mapping; otherwise the profile's
 * header synonyms are matched insensitively to case, accents and punctuation.
 */
import type { SourceProfile } from '../domain/profile.js';
import type { DropNotice, Unit } from '../domain/events.js';
import type { DateLimits } from '../domain/periods.js';
import { DropUnusableError } from '../domain/errors.js';
import { hxlHas, type HxlTag } from '../connectors/hxl.js';
import type { RawTable } from '../connectors/table.js';
import { capText, describeList } from '../domain/errors.js';
import { settleOnePart, sumOverColumns } from './parts.js';

export type Role =
  | 'country'
  | 'region'
  | 'regionCode'
  | 'cercle'
  | 'cercleCode'
  /** HXL `#adm3`: a place at admin level 3 when the country's list has that level, else summed into its admin-2 area. */
  | 'commune'
  | 'communeCode'
  | 'date'
  | 'periodStart'
  | 'periodEnd'
  | 'year'
  | 'round'
  | 'assessment'
  | 'sumOver'
  | 'indicator'
  /** HXL `#adm+level`: the admin level the row's place is at (a file that mixes levels 0-2). */
  | 'adminLevel';

export interface ValuePlan {
  index: number;
  header: string;
  indicator: string;
  unit?: Unit;
  /** Fixed qualifiers of the column; PART_KEY, if present, is a part summed with sibling columns. */
  disaggregation: Record<string, string>;
}

export interface ColumnPlan {
  roles: Partial<Record<Role, number>>;
  disaggregations: Array<{ key: string; index: number }>;
  values: ValuePlan[];
  /** 'hxl' when the hashtag row drove the mapping. */
  via: 'hxl' | 'headers';
  /**
   * Columns whose cells name a part of a figure (displacement reason, place of origin, an admin
   * level finer than the place lists): rows that differ only there are summed. Includes `roles.sumOver`.
   */
  sumOver?: number[];
  /**
   * Disaggregations that are also summed (UNHCR's origin) but name one value in every row of the
   * drop: the rows are that one part (a UNHCR answer for one origin, `coo=BKF`), so no total is
   * built from them. Keys, as in `disaggregations` (parts.ts settleOnePart).
   */
  onePart?: string[];
  /** Summed disaggregations whose one value across a drop is the whole (DTM's operation: profile `columns.alone`). */
  wholes?: string[];
  /** Notices about the columns themselves (a tag that maps to nothing…), for the drop's summary. */
  notices?: Array<Pick<DropNotice, 'kind' | 'detail'>>;
  /** The reference dates rows may give; processDrop sets them from the drop's day (periods.ts dateLimits). */
  dates?: DateLimits;
  headers: string[];
}

/**
 * A value column that is one part of a figure summed with its sibling columns (IDMC's
 * `+conflict` and `+disaster` stocks) says so in its disaggregation under this key; drop-map.ts
 * takes it out before the figure is keyed, so it never reaches an event.
 */
export const PART_KEY = 'sum_part';

export function normaliseHeader(s: string): string {
  return s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}

/** True when rows of one observation may be summed: a column or a value column's part says what they differ by. */
export function isSumming(plan: ColumnPlan): boolean {
  return sumOverColumns(plan).length > 0 || plan.values.some((v) => v.disaggregation[PART_KEY] !== undefined);
}

/** HXL value tags, most specific first. */
const HXL_VALUES: Array<[string, string, Unit]> = [
  ['#affected+returnees+idps', 'idp_returnees', 'individuals'],
  ['#affected+returnees', 'idp_returnees', 'individuals'],
  ['#affected+idps', 'idps', 'individuals'],
  ['#affected+refugees+returnees', 'returned_refugees', 'individuals'],
  ['#affected+refugees', 'refugees', 'individuals'],
  ['#affected+asylum', 'asylum_seekers', 'individuals'],
  ['#affected+migrants+returnees', 'returned_migrants', 'individuals'],
  ['#affected+migrants', 'migrants_present', 'individuals'],
  ['#reached+avr', 'avr_assisted', 'individuals'],
  ['#population+diaspora', 'nationals_abroad', 'individuals'],
  ['#population+foreign', 'foreign_residents', 'individuals'],
  ['#affected+fmp', 'fmp_movements', 'individuals'],
];

/** HXL 1.1 age attributes (`+age0_4`, `+age18plus`, `+children`…). */
const AGE = /^(age\d+(_\d+|plus)?|infants|children|adolescents|youth|adults|elderly)$/;
/** Attributes that put a place elsewhere than where the people counted are. */
const ELSEWHERE = ['origin', 'dest'];
/** Attributes of a value column that make it something other than a count of people present. */
const NOT_A_STOCK_COUNT = ['internaldisp', 'new', 'pct', 'percent', 'ratio', 'rate'];
/** Displacement causes a value column can be a part of (summed with its sibling columns, like #cause rows). */
const CAUSES = ['conflict', 'disaster'];
/** Date attributes that name when a record changed, not what it describes. */
const RECORD_DATES = ['updated', 'created', 'modified', 'published'];
const DATE_PARTS = ['month', 'week', 'quarter', 'day'];

/**
 * Levels of the places lists. Admin 3 is a place where the country's lists have that level (a
 * user's list, TALLY_PCODES_FILE) and is summed into its admin-2 area elsewhere (normalise.ts
 * decides per row and says so); deeper levels are always summed.
 */
const PLACE_ROLES: Record<string, { code: Role; name: Role }> = {
  country: { code: 'country', name: 'country' },
  adm1: { code: 'regionCode', name: 'region' },
  adm2: { code: 'cercleCode', name: 'cercle' },
  adm3: { code: 'communeCode', name: 'commune' },
};

type Reading =
  | { kind: 'role'; role: Role; rank: number }
  | { kind: 'disaggregation'; key: string }
  | { kind: 'value'; value: Omit<ValuePlan, 'index' | 'header'>; raw: boolean }
  | { kind: 'sum'; why: 'elsewhere' | 'finer' | 'cause' }
  | { kind: 'ignored' };

function hxlDisaggregation(tag: HxlTag): Record<string, string> {
  const d: Record<string, string> = {};
  if (tag.attributes.includes('f')) d.sex = 'f';
  else if (tag.attributes.includes('m')) d.sex = 'm';
  const age = tag.attributes.find((a) => AGE.test(a));
  if (age) d.age_group = age;
  const cause = tag.attributes.map((a) => a.replace(/_raw$/, '')).find((a) => CAUSES.includes(a));
  if (cause) d[PART_KEY] = cause;
  return d;
}

function readPlace(tag: HxlTag): Reading | undefined {
  const deeper = /^adm[4-9]$/.test(tag.tag);
  const roles = PLACE_ROLES[tag.tag];
  if (!roles && !deeper) return undefined;
  if (tag.attributes.some((a) => ELSEWHERE.includes(a))) return { kind: 'sum', why: 'elsewhere' };
  if (!roles) return { kind: 'sum', why: 'finer' };
  const code = tag.attributes.includes('code') || tag.attributes.includes('pcode');
  return { kind: 'role', role: code ? roles.code : roles.name, rank: code ? 0 : 1 };
}

function readDate(tag: HxlTag): Reading {
  const a = tag.attributes;
  if (a.includes('start')) return { kind: 'role', role: 'periodStart', rank: 0 };
  if (a.includes('end')) return { kind: 'role', role: 'periodEnd', rank: 0 };
  if (a.some((x) => RECORD_DATES.includes(x) || DATE_PARTS.includes(x))) return { kind: 'ignored' };
  // A year column is the reference only where no column gives the whole date (see planFromHxl).
  if (a.includes('year')) return { kind: 'role', role: 'year', rank: a.length === 1 ? 0 : 1 };
  return { kind: 'role', role: 'date', rank: a.includes('reported') ? 0 : a.includes('occurred') ? 1 : 2 };
}

function readValue(tag: HxlTag): Reading | undefined {
  const value = HXL_VALUES.find(([pattern]) => hxlHas(tag, pattern));
  if (!value) return undefined;
  if (tag.attributes.some((a) => NOT_A_STOCK_COUNT.includes(a) || ELSEWHERE.includes(a))) return { kind: 'ignored' };
  const hh = tag.attributes.includes('hh');
  // Households are an indicator of their own for IDPs only.
  if (hh && value[1] !== 'idps') return { kind: 'ignored' };
  return {
    kind: 'value',
    value: { indicator: hh ? 'idp_households' : value[1], unit: hh ? 'households' : value[2], disaggregation: hxlDisaggregation(tag) },
    raw: tag.attributes.some((a) => a.endsWith('_raw')),
  };
}

/** What one hashtag means, in the HXL 1.1 standard's terms, whatever the order of its attributes. */
function readTag(tag: HxlTag): Reading {
  const place = readPlace(tag);
  if (place) return place;
  if (tag.tag === 'date') return readDate(tag);
  const value = readValue(tag);
  if (value) return value;
  if (tag.tag === 'adm' && tag.attributes.includes('level')) return { kind: 'role', role: 'adminLevel', rank: 0 };
  if (tag.tag === 'round') return { kind: 'role', role: 'round', rank: tag.attributes.includes('code') ? 0 : 1 };
  if (tag.tag === 'assessment' || hxlHas(tag, '#meta+assessment')) return { kind: 'role', role: 'assessment', rank: tag.attributes.includes('type') ? 0 : 1 };
  if (tag.tag === 'cause') return { kind: 'sum', why: 'cause' };
  if (tag.tag === 'indicator' && !tag.attributes.some((a) => a === 'value' || a === 'num')) {
    return { kind: 'role', role: 'indicator', rank: tag.attributes.includes('code') ? 0 : 1 };
  }
  if (tag.tag === 'sex') return { kind: 'disaggregation', key: 'sex' };
  return { kind: 'ignored' };
}

/** The same tag with `x_raw` attributes read as `x`: the rounded column an unrounded one copies. */
function roundedKey(tag: HxlTag): string {
  return `${tag.tag}+${tag.attributes.map((a) => a.replace(/_raw$/, '')).sort().join('+')}`;
}

function tagKey(tag: HxlTag): string {
  return `${tag.tag}+${tag.attributes.join('+')}`;
}

/**
 * Lists names in one short line: the first 20 at most, as many as fit in `maxChars` (each cut to
 * 60 characters), then "and N more": `"a" (#x), "b" (#y) and 3 more`. The budget keeps a notice
 * inside the 300-character line the CLI prints.
 */
export function listColumns(names: string[], max = 20, maxChars = 200): string {
  const shown: string[] = [];
  let length = 0;
  for (const name of names.slice(0, max)) {
    const item = capText(name, 60);
    if (shown.length > 0 && length + item.length + 2 > maxChars) break;
    shown.push(item);
    length += item.length + 2;
  }
  const rest = names.length - shown.length;
  return rest > 0 ? `${shown.join(', ')} and ${rest} more` : shown.join(', ');
}

function planFromHxl(tags: Array<HxlTag | null>, profile: SourceProfile, headers: string[]): ColumnPlan {
  const plan: ColumnPlan = { roles: {}, disaggregations: [], values: [], via: 'hxl', headers };
  const ranks: Partial<Record<Role, number>> = {};
  const summed: Array<{ index: number; why: 'elsewhere' | 'finer' | 'cause' }> = [];
  const ignored: number[] = [];
  const readings = tags.map((tag) => (tag ? readTag(tag) : undefined));
  // The tags of the rounded value columns, which an unrounded (`_raw`) column may copy.
  const rounded = new Set(
    readings.flatMap((reading, i) => (reading?.kind === 'value' && !reading.raw && tags[i] ? [tagKey(tags[i])] : [])),
  );
  const figures = new Map<string, number>();
  readings.forEach((reading, index) => {
    const tag = tags[index];
    if (!reading || !tag) return;
    switch (reading.kind) {
      case 'role': {
        const held = ranks[reading.role];
        if (held !== undefined && held <= reading.rank) return void ignored.push(index);
        if (plan.roles[reading.role] !== undefined) ignored.push(plan.roles[reading.role]!);
        plan.roles[reading.role] = index;
        ranks[reading.role] = reading.rank;
        return;
      }
      case 'disaggregation':
        return void plan.disaggregations.push({ key: reading.key, index });
      case 'sum':
        return void summed.push({ index, why: reading.why });
      case 'value': {
        // An unrounded copy (`+conflict_raw`) of a rounded column gives the same figure again.
        if (reading.raw && rounded.has(roundedKey(tag))) return void ignored.push(index);
        const v = reading.value;
        const figure = `${v.indicator}|${v.unit}|${Object.entries(v.disaggregation).sort().join(',')}`;
        if (figures.has(figure)) return void ignored.push(index);
        figures.set(figure, index);
        // The header a person sees in the file names the column in a rejection; the tag when there is none.
        plan.values.push({ index, header: headers[index] || tag.raw, ...v });
        return;
      }
      default:
        ignored.push(index);
    }
  });
  // A year column is a part of the date where a column gives the whole date.
  if (plan.roles.year !== undefined && (plan.roles.date !== undefined || plan.roles.periodEnd !== undefined)) {
    ignored.push(plan.roles.year);
    delete plan.roles.year;
  }
  // Columns the hashtags leave out (e.g. an untagged "assessmentType") can still be named by the profile.
  const byHeaders = planFromHeaders(headers, profile, false);
  const used = new Set<number>();
  for (const [role, index] of Object.entries(byHeaders.roles) as Array<[Role, number]>) {
    if (plan.roles[role] === undefined && !tags[index]) {
      plan.roles[role] = index;
      used.add(index);
    }
  }
  // Admin-3 columns are summed over too: rows of one cercle that differ only there are its parts
  // when the country has no admin-3 list (with one, the commune is the place and keys them apart).
  const communes = [plan.roles.communeCode, plan.roles.commune].filter((i): i is number => i !== undefined);
  const sums = [...summed.map((s) => s.index), ...communes, ...(byHeaders.sumOver ?? []).filter((i) => !tags[i])];
  const cause = summed.find((s) => s.why === 'cause');
  if (cause && plan.roles.sumOver === undefined) plan.roles.sumOver = cause.index;
  if (sums.length > 0) plan.sumOver = sums.sort((a, b) => a - b);
  const untagged = headers.flatMap((_, i) => (!tags[i] && !used.has(i) && !sums.includes(i) ? [i] : []));
  // Tags that map to nothing first (they say what the column is), then the untagged columns.
  plan.notices = columnNotices(headers, tags, summed, [...ignored.sort((a, b) => a - b), ...untagged]);
  return plan;
}

function columnNotices(
  headers: string[],
  tags: Array<HxlTag | null>,
  summed: Array<{ index: number; why: string }>,
  ignored: number[],
): ColumnPlan['notices'] {
  const name = (i: number) => `"${headers[i] || `column ${i + 1}`}" (${tags[i]?.raw ?? 'untagged'})`;
  const notices: NonNullable<ColumnPlan['notices']> = [];
  const elsewhere = summed.filter((s) => s.why === 'elsewhere').map((s) => name(s.index));
  if (elsewhere.length > 0) {
    notices.push({ kind: 'ignored_column', detail: `+origin and +dest columns are never the place; rows that differ only there are summed: ${listColumns(elsewhere)}` });
  }
  const finer = summed.filter((s) => s.why === 'finer').map((s) => name(s.index));
  if (finer.length > 0) {
    notices.push({ kind: 'ignored_column', detail: `admin levels deeper than 3 are never a place; their rows are summed into the most specific area read: ${listColumns(finer)}` });
  }
  if (ignored.length > 0) notices.push({ kind: 'ignored_column', detail: `read as nothing: ${listColumns(ignored.map(name))}` });
  return notices;
}

function planFromHeaders(headers: string[], profile: SourceProfile, withValues = true): ColumnPlan {
  const plan: ColumnPlan = { roles: {}, disaggregations: [], values: [], via: 'headers', headers };
  const normalised = headers.map(normaliseHeader);
  const find = (synonyms: string[] | undefined): number => {
    if (!synonyms) return -1;
    const wanted = new Set(synonyms.map(normaliseHeader));
    return normalised.findIndex((h) => wanted.has(h));
  };
  const { disaggregations, alone: _alone, ...roleColumns } = profile.columns;
  for (const [role, synonyms] of Object.entries(roleColumns) as Array<[Role, string[] | undefined]>) {
    const index = find(synonyms);
    if (index >= 0) plan.roles[role] = index;
  }
  for (const [key, synonyms] of Object.entries(disaggregations)) {
    const index = find(synonyms);
    if (index >= 0) plan.disaggregations.push({ key, index });
  }
  if (withValues) {
    for (const column of profile.values) {
      const index = find(column.headers);
      if (index >= 0) {
        plan.values.push({ index, header: headers[index]!, indicator: column.indicator, unit: column.unit, disaggregation: column.disaggregation ?? {} });
      }
    }
  }
  // Every column the sum-over synonyms name is summed over (DTM: the displacement reason and the origin).
  const summed = roleColumns.sumOver ? new Set(roleColumns.sumOver.map(normaliseHeader)) : undefined;
  const sums = summed ? normalised.flatMap((h, i) => (summed.has(h) ? [i] : [])) : [];
  if (sums.length > 0) plan.sumOver = sums;
  return plan;
}

/** Decides which column plays which role; a table with no recognisable value column is unusable. */
export function planColumns(table: RawTable, profile: SourceProfile): ColumnPlan {
  return settleOnePart(planValues(table, profile), table, profile);
}

function planValues(table: RawTable, profile: SourceProfile): ColumnPlan {
  const plan = table.hxl && table.hxl.some(Boolean) ? planFromHxl(table.hxl, profile, table.headers) : planFromHeaders(table.headers, profile);
  if (plan.values.length === 0 && plan.via === 'hxl') {
    const fallback = planFromHeaders(table.headers, profile);
    if (fallback.values.length > 0) return fallback;
  }
  if (plan.values.length === 0) {
    const expected = profile.values.flatMap((v) => v.headers).slice(0, 3).join('", "');
    throw new DropUnusableError(
      `${table.fileName}: no recognisable value column for source ${profile.id}: expected a column such as "${expected}" or an HXL tag such as #affected+idps, found headers ${describeList(table.headers)}`,
      table.fileName,
    );
  }
  return plan;
}
