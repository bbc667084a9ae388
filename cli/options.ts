/** The command line's options that take checking: API requests, countries, areas, disaggregations. */
import { pcodesFilesFromEnv } from '../infra/config.js';
import { looksLikePcode } from '../domain/codes.js';
import { countryOfPcode, loadPlaceListFiles, matchPlace, regions } from '../domain/places.js';
import { countryByIso3, DEFAULT_COUNTRY, parseCountry } from '../domain/countries.js';
import type { Failure } from '../domain/result.js';
import { CliError } from './context.js';
import { ApiRequestOptions } from '../domain/api-request.js';
import { disaggregationKey } from '../domain/series.js';

/** The options of `ingest` and `schedule add` that build a request to an API source. */
export interface ApiCliOptions {
  country?: string;
  adminLevel?: string;
  from?: string;
  to?: string;
  operation?: string;
  fromRound?: string;
  toRound?: string;
}

function wholeNumber(option: string, text: string | undefined, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || n > max) throw new CliError(`${option}: expected a whole number${max < 10 ? ` from 0 to ${max}` : ''}, found "${text}"`);
  return n;
}

/** The command line's API options, checked and typed; the profile then says which its API takes. */
export function apiRequestOptions(opts: ApiCliOptions): ApiRequestOptions {
  const parsed = ApiRequestOptions.parse({
    country: opts.country,
    adminLevel: wholeNumber('--admin-level', opts.adminLevel, 2),
    from: opts.from,
    to: opts.to,
    operation: opts.operation,
    fromRound: wholeNumber('--from-round', opts.fromRound),
    toRound: wholeNumber('--to-round', opts.toRound),
  });
  return Object.fromEntries(Object.entries(parsed).filter(([, v]) => v !== undefined)) as ApiRequestOptions;
}

/**
 * `--area`: a P-code (of its own country, which must be `country` when given) or a name, matched
 * in `country` (ISO 3166 alpha-3), else in Mali. An unknown place is an error naming the nearest names.
 */
export function resolveArea(text: string | undefined, country?: string): string | undefined {
  if (!text) return undefined;
  const owner = looksLikePcode(text) ? countryOfPcode(text) : undefined;
  if (owner && country && owner.iso3 !== country) {
    const here = countryByIso3(country)?.name ?? country;
    throw new CliError(`--area: expected a place in ${here} (--country ${country}), found "${text}" (${text.trim().toUpperCase() === owner.iso3 ? `${owner.iso3} is ${owner.name}` : `a P-code of ${owner.name}`})`);
  }
  const where = country ?? owner?.iso3 ?? DEFAULT_COUNTRY;
  const failures: Failure[] = [];
  for (const level of [1, 2, 0, 3] as const) {
    const m = matchPlace(text, level, { country: where });
    if (m.ok) return m.value.pcode;
    failures.push(m);
  }
  const best = failures.find((f) => f.hint?.includes('did you mean')) ?? failures.find((f) => f.hint !== undefined && !f.hint.includes(' is not a place of ')) ?? failures[0]!;
  const example = where === DEFAULT_COUNTRY ? { pcode: 'ML05', name: 'Mopti' } : (regions(where)[0] ?? { pcode: where, name: countryByIso3(where)?.name ?? where });
  const of = where === DEFAULT_COUNTRY ? '' : ` of ${countryByIso3(where)?.name ?? where}`;
  const elsewhere = country === undefined && owner === undefined ? '; --country ISO3 matches names in another country' : '';
  throw new CliError(`--area: expected a P-code (${example.pcode}) or a place name (${example.name})${of}, found "${text}"${best.hint ? `: ${best.hint}` : ''}${elsewhere}`);
}

/** `--disaggregation origin=BFA,sex=f` as the series key spells it: keys sorted, values as ingest writes them (lower case). */
export function disaggregationOption(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const pairs = text.split(',').map((part) => {
    const m = /^\s*([a-z_]+)\s*=\s*(\S(?:.*\S)?)\s*$/i.exec(part);
    if (!m) throw new CliError(`--disaggregation: expected key=value pairs such as origin=BFA or sex=f, found "${text}"`);
    return [m[1]!.toLowerCase(), m[2]!.toLowerCase()] as const;
  });
  return disaggregationKey(Object.fromEntries(pairs));
}

/** `--country`: an ISO 3166 alpha-3 code (or alpha-2, M49, an English or French name), as alpha-3; exit 1 otherwise. */
export function countryOption(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const parsed = parseCountry(text);
  if (!parsed.ok) throw new CliError(`--country: expected a country (ISO 3166 alpha-3 such as MLI or TCD, or its name), found "${text}"`);
  return parsed.value.iso3;
}

/** The user's P-code lists (TALLY_PCODES_FILE), for the commands that name or resolve places. */
export function loadUserPlaces(): void {
  try {
    loadPlaceListFiles(pcodesFilesFromEnv());
  } catch (err) {
    throw new CliError(`TALLY_PCODES_FILE: ${(err as Error).message}`);
  }
}
