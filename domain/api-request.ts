/**
 * The request an API source is sent, built from what a user asks (`--country TCD --admin-level 1
 * --from 2024-01-01`) and what the source's profile says its API takes (`api.request`): no URL to
 * write. Pure: the caller passes the base URL (the profile's, or the one configured instead).
 *
 * ```ts
 * buildApiRequest(dtm, { country: 'TCD', adminLevel: 1, from: '2024-01-01' });
 * // { url: 'https://dtmapi.iom.int/v3/displacement/admin1?Admin0Pcode=TCD&FromReportingDate=2024-01-01',
 * //   country: 'TCD', label: 'dtm-tcd-admin1-from-2024-01-01', expect: { field: 'admin0Pcode', value: 'TCD' } }
 * ```
 */
import { z } from 'zod';
import { DEFAULT_COUNTRY, parseCountry } from './countries.js';
import { RefusedError } from './errors.js';
import type { ApiRequestSpec, SourceProfile } from './profile.js';

/** What a user may ask an API source for; every field is optional. */
export const ApiRequestOptions = z.object({
  /** A country: ISO 3166 alpha-3 or alpha-2, M49, or a name. @default 'MLI' */
  country: z.string().min(1).optional(),
  adminLevel: z.number().int().min(0).max(2).optional(),
  /** First date (YYYY-MM-DD, or a year) or year, as the API counts time. */
  from: z.string().min(1).optional(),
  to: z.string().min(1).optional(),
  operation: z.string().min(1).optional(),
  fromRound: z.number().int().min(0).optional(),
  toRound: z.number().int().min(0).optional(),
});
export type ApiRequestOptions = z.infer<typeof ApiRequestOptions>;

/** A request a source's profile cannot build: an option its API has no parameter for, a bad date… */
export class ApiRequestError extends RefusedError {
  readonly type = 'ApiRequestInvalid';

  constructor(source: string, option: string, expected: string, found: unknown) {
    super({ where: { at: `source ${source}, ${option}` }, expected, found });
  }
}

/** A built request: its URL, the country asked for, a name for its drop, and what its items must echo. */
export interface BuiltApiRequest {
  url: string;
  /** ISO 3166 alpha-3. */
  country: string;
  /** `dtm-tcd-admin1`: names the drop (`<label>.json`) and the schedule (`poll-<label>`). */
  label: string;
  /** Items must carry this value in this field (the profile's `countryField`). */
  expect?: { field: string; value: string };
}

/** True when the options ask for nothing in particular (a poll of the profile's own `api.url`). */
export function isEmptyRequest(options: ApiRequestOptions): boolean {
  return Object.values(options).every((v) => v === undefined);
}

/** `--country` as ISO 3166 alpha-3 (alpha-2, M49 and names are accepted too); Mali when none is given. */
export function requestCountry(source: string, text: string | undefined): string {
  const parsed = parseCountry(text ?? DEFAULT_COUNTRY);
  if (!parsed.ok) throw new ApiRequestError(source, '--country', parsed.expected, text);
  return parsed.value.iso3;
}

function specOf(profile: SourceProfile): ApiRequestSpec {
  const spec = profile.api?.request;
  if (!spec) throw new ApiRequestError(profile.id, 'api.request', 'a profile that says how to build requests to its API (api.request)', 'none: pass --url');
  return spec;
}

function isRealDate(text: string): boolean {
  const date = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(text);
}

/** `--from`/`--to` as the API counts time: a date (a year stands for its first or last day) or a year. */
function timeParam(source: string, option: 'from' | 'to', text: string, dates: ApiRequestSpec['dates']): string {
  const value = text.trim();
  if (dates === 'year') {
    if (/^\d{4}$/.test(value)) return value;
    throw new ApiRequestError(source, `--${option}`, `a year such as 2019 (${source} counts by year)`, text);
  }
  if (/^\d{4}$/.test(value)) return option === 'from' ? `${value}-01-01` : `${value}-12-31`;
  if (/^\d{4}-\d{2}-\d{2}$/.test(value) && isRealDate(value)) return value;
  throw new ApiRequestError(source, `--${option}`, 'a date YYYY-MM-DD (or a year)', text);
}

function adminLevelOf(source: string, spec: ApiRequestSpec, asked: number | undefined): number | undefined {
  if (spec.adminLevels.length === 0) {
    if (asked !== undefined) throw new ApiRequestError(source, '--admin-level', `no admin level (the ${source} API has none to choose)`, asked);
    return undefined;
  }
  const level = asked ?? spec.defaultAdminLevel ?? spec.adminLevels[0]!;
  if (!(spec.adminLevels as number[]).includes(level)) {
    throw new ApiRequestError(source, '--admin-level', `one of ${spec.adminLevels.join(', ')}`, level);
  }
  return level;
}

function slug(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

type Param = keyof ApiRequestSpec['params'];

/**
 * The URL of the request, its parameters in a fixed order (the options', then the fixed ones), so
 * that the same request is always the same URL and an unchanged answer the same drop.
 */
export function buildApiRequest(profile: SourceProfile, options: ApiRequestOptions, base?: string): BuiltApiRequest {
  const spec = specOf(profile);
  const source = profile.id;
  const country = requestCountry(source, options.country);
  const level = adminLevelOf(source, spec, options.adminLevel);
  const values: Array<[Param, string | undefined]> = [
    // Every request names a country, Mali by default, unless the API takes none and none was asked for.
    ['country', spec.params.country || options.country !== undefined ? (spec.countryCodes[country] ?? country) : undefined],
    ['from', options.from === undefined ? undefined : timeParam(source, 'from', options.from, spec.dates)],
    ['to', options.to === undefined ? undefined : timeParam(source, 'to', options.to, spec.dates)],
    ['operation', options.operation?.trim()],
    ['fromRound', options.fromRound === undefined ? undefined : String(options.fromRound)],
    ['toRound', options.toRound === undefined ? undefined : String(options.toRound)],
  ];
  const [, from] = values[1]!;
  const [, to] = values[2]!;
  if (from !== undefined && to !== undefined && from > to) throw new ApiRequestError(source, '--from', `a start no later than --to (${to})`, from);
  if (options.fromRound !== undefined && options.toRound !== undefined && options.fromRound > options.toRound) {
    throw new ApiRequestError(source, '--from-round', `a round no later than --to-round (${options.toRound})`, options.fromRound);
  }
  const url = new URL(`${(base ?? new URL(profile.api!.url).origin).replace(/\/+$/, '')}${spec.path.replace('{adminLevel}', String(level ?? ''))}`);
  const label = [source, country.toLowerCase()];
  if (level !== undefined) label.push(`admin${level}`);
  for (const [name, value] of values) {
    if (value === undefined) continue;
    const option = name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    const key = spec.params[name];
    if (!key) throw new ApiRequestError(source, `--${option}`, `an option the ${source} API takes`, value);
    url.searchParams.set(key, value);
    if (name !== 'country') label.push(`${option}-${slug(value)}`);
  }
  for (const [key, value] of Object.entries(spec.fixed)) url.searchParams.set(key, value);
  return { url: url.toString(), country, label: label.join('-'), ...(spec.countryField ? { expect: { field: spec.countryField, value: country } } : {}) };
}

/** The profile's own request (`api.url`), on another base URL when one is configured. */
export function defaultApiUrl(profile: SourceProfile, base?: string): string | undefined {
  const url = profile.api?.url;
  if (!url || !base) return url;
  const parsed = new URL(url);
  return `${base.replace(/\/+$/, '')}${parsed.pathname}${parsed.search}`;
}
