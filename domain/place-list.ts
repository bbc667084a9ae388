/**
 * The P-code lists: Mali's (read first, it is the default country), OCHA's global list of admin 1
 * and 2 for 157 countries (read the first time another country is asked for), and any list a
 * user adds (`addPlaceList`: a newer or deeper list in the same layout, no code change).
 */
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { z } from 'zod';
import { PCODE_PATTERN, PCODE_RULE } from './codes.js';
import { countryByIso3, countryByPrefix, type Country } from './countries.js';
import { RefusedError } from './errors.js';

export type PlaceLevel = 0 | 1 | 2 | 3;
export type Place = { pcode: string; name: string; level: PlaceLevel; parent?: string };

const Row = z.object({
  Location: z.string().regex(/^[A-Z]{3}$/, 'expected an ISO 3166 alpha-3 code'),
  'Admin Level': z.enum(['1', '2', '3']).transform((l) => Number(l) as 1 | 2 | 3),
  'P-Code': z.string().regex(PCODE_PATTERN, PCODE_RULE),
  // Two rows of the global list (Jamaica) have no name: such a place is known by its code only.
  Name: z.string(),
  'Parent P-Code': z.string().min(1),
});

/** The places of one country, level 0 included. */
export interface CountryPlaces {
  iso3: string;
  places: Place[];
}

const BUNDLED = {
  mali: new URL('./data/mli-pcodes.csv', import.meta.url),
  global: new URL('./data/global-pcodes-adm-1-2.csv', import.meta.url),
};

const byPcode = new Map<string, Place>();
const countryOfArea = new Map<string, string>();
const byCountry = new Map<string, Place[]>();
let maliRead = false;
let globalRead = false;
/** Bumped whenever a list is added, so derived indexes know to rebuild. */
let version = 0;

export function placeListVersion(): number {
  return version;
}

function put(iso3: string, place: Place): void {
  const list = byCountry.get(iso3) ?? [];
  const held = byPcode.get(place.pcode);
  if (held) list.splice(list.indexOf(held), 1);
  list.push(place);
  byCountry.set(iso3, list);
  byPcode.set(place.pcode, place);
  countryOfArea.set(place.pcode, iso3);
}

function read(text: string, origin: string, keep: (iso3: string, pcode: string) => boolean = () => true): number {
  const records = parse(text, { columns: true, skip_empty_lines: true, bom: true }) as unknown[];
  let added = 0;
  records.forEach((record, i) => {
    const parsed = Row.safeParse(record);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new Error(`${origin} row ${i + 2}, column "${String(issue.path[0])}": ${issue.message}, found ${JSON.stringify((record as Record<string, unknown>)[String(issue.path[0])])}`);
    }
    const r = parsed.data;
    if (!keep(r.Location, r['P-Code'])) return;
    put(r.Location, { pcode: r['P-Code'], name: r.Name, level: r['Admin Level'], parent: r['Parent P-Code'] });
    added++;
  });
  version++;
  return added;
}

function ensureMali(): void {
  if (maliRead) return;
  maliRead = true;
  read(readFileSync(BUNDLED.mali, 'utf8'), 'mli-pcodes.csv');
}

function ensureGlobal(): void {
  if (globalRead) return;
  ensureMali();
  globalRead = true;
  // Mali's rows come from its own list (they are the same); a user's list may have replaced some.
  read(readFileSync(BUNDLED.global, 'utf8'), 'global-pcodes-adm-1-2.csv', (iso3, pcode) => iso3 !== 'MLI' && !byPcode.has(pcode));
}

const LAYOUT = 'Location,Admin Level,P-Code,Name,Parent P-Code';

/**
 * Adds a P-code list in OCHA's layout (`Location,Admin Level,P-Code,Name,Parent P-Code`): its
 * rows add to the bundled ones and replace those with the same P-code. Returns the rows added.
 */
export function addPlaceList(text: string, origin: string): number {
  ensureGlobal();
  return read(text, origin);
}

export function addPlaceListFile(path: string): number {
  return addPlaceList(readFileSync(path, 'utf8'), path);
}

/** A user's P-code list that cannot be read: a missing file or a row out of OCHA's layout. Never worth a retry. */
export class PlaceListError extends RefusedError {
  readonly type = 'PlaceListUnreadable';

  constructor(message: string, file: string, cause?: unknown) {
    super({ message, where: { file }, cause });
  }
}

const loadedFiles = new Set<string>();

/**
 * Adds each of the user's list files once per process or thread (TALLY_PCODES_FILE): calling it
 * again with the same paths reads nothing. Returns the rows added by this call.
 */
export function loadPlaceListFiles(paths: readonly string[]): number {
  let added = 0;
  for (const path of paths) {
    if (loadedFiles.has(path)) continue;
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
      throw new PlaceListError(`P-code list ${path}: expected a CSV file in OCHA's layout (${LAYOUT}), found ${why}`, path, err);
    }
    try {
      added += addPlaceList(text, path);
    } catch (err) {
      throw new PlaceListError((err as Error).message, path, err);
    }
    loadedFiles.add(path);
  }
  return added;
}

/** Every place of the country, the country itself first; undefined when the country is not an ISO code. */
export function placesOf(iso3: string): Place[] | undefined {
  const country = countryByIso3(iso3);
  if (!country) return undefined;
  if (country.iso3 === 'MLI') ensureMali();
  else ensureGlobal();
  return [{ pcode: country.iso3, name: country.name, level: 0 }, ...(byCountry.get(country.iso3) ?? [])];
}

const deepest = new Map<string, { version: number; level: PlaceLevel }>();

/** The deepest admin level the country's lists have (2 for the bundled lists; 3 once a user's admin-3 list is added). */
export function deepestLevel(iso3: string): PlaceLevel {
  const held = deepest.get(iso3);
  if (held && held.version === version) return held.level;
  const level = (placesOf(iso3) ?? []).reduce<PlaceLevel>((l, p) => (p.level > l ? p.level : l), 0);
  deepest.set(iso3, { version, level });
  return level;
}

function ensureFor(code: string): void {
  ensureMali();
  if (!byPcode.has(code) && !(code.startsWith('ML') && code !== 'MLI')) ensureGlobal();
}

/** The place with this P-code, in any country's list; a country's ISO alpha-3 code is its level 0. */
export function lookUpPcode(pcode: string): Place | undefined {
  const code = pcode.trim().toUpperCase();
  ensureFor(code);
  const area = byPcode.get(code);
  if (area) return area;
  const country = /^[A-Z]{3}$/.test(code) ? countryByIso3(code) : undefined;
  return country ? { pcode: country.iso3, name: country.name, level: 0 } : undefined;
}

/**
 * The country of a P-code: the list's, else the country a code's alpha-3 or alpha-2 prefix names
 * (a code the list does not have yet still says where it belongs).
 */
export function countryOfPcode(pcode: string): Country | undefined {
  const code = pcode.trim().toUpperCase();
  ensureFor(code);
  const listed = countryOfArea.get(code);
  if (listed) return countryByIso3(listed);
  if (/^[A-Z]{3}$/.test(code)) return countryByIso3(code);
  const prefix = /^([A-Z]{2,3})\d/.exec(code)?.[1];
  if (!prefix) return undefined;
  return prefix.length === 3 ? countryByIso3(prefix) : countryByPrefix(prefix);
}

/** The countries that have areas in the lists, by alpha-3 code. */
export function listedCountries(): string[] {
  ensureGlobal();
  return [...byCountry.keys()].sort();
}
