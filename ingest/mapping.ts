/**
 * Maps a raw table's columns to roles (place, date, values…). An HXL hashtag row is used in
 * preference to the headers, so a tagged file needs no profile mapping; otherwise the profile's
 * header synonyms are matched insensitively to case, accents and punctuation.
 */
import type { SourceProfile } from '../domain/profile.js';
import type { DropNotice, Unit } from '../domain/events.js';
import { DropUnusableError } from '../domain/errors.js';
import { hxlHas, type HxlTag } from '../connectors/hxl.js';
import type { RawTable } from '../connectors/table.js';
import { describeList } from '../domain/errors.js';

export type Role =
  | 'country'
  | 'region'
  | 'regionCode'
  | 'cercle'
  | 'cercleCode'
  | 'date'
  | 'periodStart'
  | 'periodEnd'
  | 'year'
  | 'round'
  | 'assessment'
  | 'sumOver'
  | 'indicator';

export interface ValuePlan {
  index: number;
  header: string;
  indicator: string;
  unit?: Unit;
  disaggregation: Record<string, string>;
}

export interface ColumnPlan {
  roles: Partial<Record<Role, number>>;
  disaggregations: Array<{ key: string; index: number }>;
  values: ValuePlan[];
  /** 'hxl' when the hashtag row drove the mapping. */
  via: 'hxl' | 'headers';
  /** Notices about the columns themselves (a tag that maps to nothing…), for the drop's summary. */
  notices?: Array<Pick<DropNotice, 'kind' | 'detail'>>;
  headers: string[];
}

export function normaliseHeader(s: string): string {
  return s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}

const HXL_ROLES: Array<[string, Role]> = [
  ['#adm2+code', 'cercleCode'],
  ['#adm2+pcode', 'cercleCode'],
  ['#adm2+name', 'cercle'],
  ['#adm1+code', 'regionCode'],
  ['#adm1+pcode', 'regionCode'],
  ['#adm1+name', 'region'],
  ['#country+code', 'country'],
  ['#country+name', 'country'],
  ['#date+start', 'periodStart'],
  ['#date+end', 'periodEnd'],
  ['#date+reported', 'date'],
  ['#date+year', 'year'],
  ['#date', 'date'],
  ['#round', 'round'],
  ['#meta+assessment', 'assessment'],
  ['#cause', 'sumOver'],
  ['#indicator', 'indicator'],
];

/** HXL value tags, most specific first. */
const HXL_VALUES: Array<[string, string, Unit]> = [
  ['#affected+idps+hh', 'idp_households', 'households'],
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

const AGE = /^(age\d+(_\d+|plus)?|children|adults|elderly|infants)$/;

function hxlDisaggregation(tag: HxlTag): Record<string, string> {
  const d: Record<string, string> = {};
  if (tag.attributes.includes('f')) d.sex = 'f';
  else if (tag.attributes.includes('m')) d.sex = 'm';
  const age = tag.attributes.find((a) => AGE.test(a));
  if (age) d.age_group = age;
  return d;
}

function planFromHxl(tags: Array<HxlTag | null>, profile: SourceProfile, headers: string[]): ColumnPlan {
  const plan: ColumnPlan = { roles: {}, disaggregations: [], values: [], via: 'hxl', headers };
  tags.forEach((tag, index) => {
    if (!tag) return;
    const value = HXL_VALUES.find(([pattern]) => hxlHas(tag, pattern));
    if (value) {
      const hh = tag.attributes.includes('hh');
      plan.values.push({
        index,
        header: tag.raw,
        indicator: hh && value[1] === 'idps' ? 'idp_households' : value[1],
        unit: hh ? 'households' : value[2],
        disaggregation: hxlDisaggregation(tag),
      });
      return;
    }
    const role = HXL_ROLES.find(([pattern]) => hxlHas(tag, pattern));
    if (role && plan.roles[role[1]] === undefined) plan.roles[role[1]] = index;
    else if (tag.tag === 'sex') plan.disaggregations.push({ key: 'sex', index });
  });
  // Columns the hashtags leave out (e.g. an untagged "assessmentType") can still be named by the profile.
  const byHeaders = planFromHeaders(headers, profile, false);
  for (const [role, index] of Object.entries(byHeaders.roles) as Array<[Role, number]>) {
    if (plan.roles[role] === undefined && !tags[index]) plan.roles[role] = index;
  }
  return plan;
}

function planFromHeaders(headers: string[], profile: SourceProfile, withValues = true): ColumnPlan {
  const plan: ColumnPlan = { roles: {}, disaggregations: [], values: [], via: 'headers', headers };
  const normalised = headers.map(normaliseHeader);
  const find = (synonyms: string[] | undefined): number => {
    if (!synonyms) return -1;
    const wanted = new Set(synonyms.map(normaliseHeader));
    return normalised.findIndex((h) => wanted.has(h));
  };
  const { disaggregations, ...roleColumns } = profile.columns;
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
  return plan;
}

/** Decides which column plays which role; a table with no recognisable value column is unusable. */
export function planColumns(table: RawTable, profile: SourceProfile): ColumnPlan {
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
