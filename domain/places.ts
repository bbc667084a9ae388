/**
 * Places by OCHA P-code, for any country with a P-code list: the country (MLI), its admin 1
 * areas (Mali's 10 regions, ML01…ML10), admin 2 (Mali's 53 cercles, ML0101…ML1004) and deeper
 * levels a user's list adds. Names are matched exactly once normalised (accents, case,
 * punctuation, "Région de" prefixes, mis-decoded text), only at the level the column names and
 * only in the row's country, plus a short list of known spellings. Nothing is guessed: an unknown
 * place is a rejection that names it and the nearest known names.
 *
 * One known variant of a code is read: DTM writes some P-codes with the country's alpha-3 prefix
 * (MLI05, MLI0501 for Mali's ML05, ML0501). Such a code is the alpha-2 code when the country's own
 * codes start with its alpha-2 code and the list has that code; no other form is guessed.
 */
import { closest, distance } from 'fastest-levenshtein';
import { BoundedMap } from './collections.js';
import { looksLikePcode } from './codes.js';
import { countryByIso3, DEFAULT_COUNTRY, parseCountry, type Country } from './countries.js';
import { repairMojibake } from './mojibake.js';
import { countryOfPcode, lookUpPcode, placeListVersion, placesOf, type Place, type PlaceLevel } from './place-list.js';
export { deepestLevel } from './place-list.js';
import { fail, ok, type Failure, type Parsed } from './result.js';

export type { Place, PlaceLevel } from './place-list.js';
export { addPlaceList, addPlaceListFile, countryOfPcode, listedCountries, loadPlaceListFiles, placesOf } from './place-list.js';

export type MatchPlaceOptions = {
  /** P-code the matched place must belong to (a region's for a cercle). */
  parent?: string;
  /** The row's country, ISO 3166 alpha-3. @default 'MLI' */
  country?: string;
};

/** Spellings the lists do not carry, by country and level, each to its P-code. */
const KNOWN_SPELLINGS: Readonly<Record<string, Partial<Record<PlaceLevel, Readonly<Record<string, string>>>>>> = {
  MLI: {
    0: { ML: 'MLI', '466': 'MLI', 'République du Mali': 'MLI', 'Republic of Mali': 'MLI' },
    1: { Timbuktu: 'ML06', Tombouctu: 'ML06' },
    2: { Timbuktu: 'ML0605', Tombouctu: 'ML0605', Barouéli: 'ML0401', 'Nioro du Sahel': 'ML0106', 'Ké-Macina': 'ML0403' },
  },
};

/** Mali's regions created in 2023 that the COD has no P-code for yet; most share a cercle's name. */
const MALI_REGIONS_WITHOUT_PCODE = ['Nioro', 'Nioro du Sahel', 'Kita', 'Bougouni', 'San', 'Douentza', 'Bandiagara', 'Dioïla', 'Nara', 'Koutiala'];
const TAOUDENIT = ['Taoudénit', 'Taoudéni', 'Taoudenni'];

function levelNoun(iso3: string, level: PlaceLevel): string {
  if (level === 0) return 'the country';
  if (iso3 === 'MLI') return level === 1 ? 'a region' : level === 2 ? 'a cercle' : 'a commune';
  return `an admin-${level} area`;
}

function expected(iso3: string, level: PlaceLevel): string {
  const name = countryByIso3(iso3)?.name ?? iso3;
  if (iso3 === 'MLI') {
    return ['the country (Mali or MLI)', 'a region of Mali (name or P-code ML01…ML10)', 'a cercle of Mali (name or P-code such as ML0501)', 'a commune of Mali (name or P-code)'][level]!;
  }
  if (level === 0) return `the country (${name} or ${iso3})`;
  const example = placesOf(iso3)?.find((p) => p.level === level)?.pcode;
  return `${levelNoun(iso3, level)} of ${name} (name or P-code${example ? ` such as ${example}` : ''})`;
}

interface CountryIndex {
  version: number;
  byName: Map<string, Place[]>[];
}

const INDEXES = new Map<string, CountryIndex>();

/** The country's names by level; two places of one level may share a name (told apart by parent). */
function indexOf(iso3: string): CountryIndex | undefined {
  const held = INDEXES.get(iso3);
  if (held && held.version === placeListVersion()) return held;
  const places = placesOf(iso3);
  if (!places) return undefined;
  const byName: Map<string, Place[]>[] = [new Map(), new Map(), new Map(), new Map()];
  const add = (name: string, place: Place): void => {
    const key = normalisePlaceName(name);
    const list = byName[place.level]!.get(key) ?? [];
    if (!list.some((p) => p.pcode === place.pcode)) list.push(place);
    byName[place.level]!.set(key, list);
  };
  for (const place of places) if (place.name !== '') add(place.name, place);
  for (const [level, spellings] of Object.entries(KNOWN_SPELLINGS[iso3] ?? {})) {
    for (const [name, pcode] of Object.entries(spellings)) {
      const place = places.find((p) => p.pcode === pcode);
      if (!place || place.level !== Number(level)) throw new Error(`place names: expected "${name}" to name a level-${level} P-code of ${iso3}, found "${pcode}"`);
      add(name, place);
    }
  }
  const index = { version: placeListVersion(), byName };
  INDEXES.set(iso3, index);
  return index;
}

/**
 * The key two spellings of one place share: mis-decoding repaired, accents, case, punctuation
 * and spaces dropped, and "Région de", "Cercle de", "District of"… removed.
 */
export function normalisePlaceName(s: string): string {
  const words = repairMojibake(s)
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim()
    .replace(/^(?:region|cercle|district|departement|department|province|prefecture)\s+(?:de|du|d|des|of)\s+(?=\S)/, '')
    .replace(/(?<=\S)\s+(?:region|cercle|district)$/, '');
  return words.replace(/ /g, '');
}

/** Answers per distinct cell text: a drop repeats a few dozen place names over millions of rows. */
const MATCHED = new BoundedMap<Parsed<Place>>(10_000);

/** A place at the level the column holds, from a name or a P-code. Results are shared: do not mutate them. */
export function matchPlace(raw: string, level: PlaceLevel, opts: MatchPlaceOptions = {}): Parsed<Place> {
  const country = (opts.country ?? DEFAULT_COUNTRY).toUpperCase();
  const key = `${placeListVersion()}\u001f${country}\u001f${level}\u001f${opts.parent ?? ''}\u001f${raw}`;
  const known = MATCHED.get(key);
  if (known) return known;
  const result = matchPlaceUncached(raw, level, country, opts.parent);
  MATCHED.set(key, result);
  return result;
}

function matchPlaceUncached(raw: string, level: PlaceLevel, country: string, parent: string | undefined): Parsed<Place> {
  if (!countryByIso3(country)) return fail('a country with a P-code list (ISO 3166 alpha-3)', country, 'not an ISO 3166 alpha-3 code');
  if (raw.trim() === '') return fail(expected(country, level), raw, 'the place cell is empty');
  const matched = byCode(raw.trim(), level, country, raw) ?? byName(level, country, raw, parent);
  if (!matched.ok || parent === undefined || matched.value.parent === parent) return matched;
  const place = matched.value;
  return fail(`a place in ${label(parent)}`, raw, `${place.name} (${place.pcode}) is in ${label(place.parent)}, not in ${label(parent)}`);
}

function byCode(text: string, level: PlaceLevel, country: string, raw: string): Parsed<Place> | undefined {
  if (/^[A-Z]{2}-[A-Z0-9]{1,3}$/i.test(text)) return fail(expected(country, level), raw, 'an ISO 3166-2 code, not a P-code');
  if (!looksLikePcode(text)) return undefined;
  const pcode = text.toUpperCase();
  const owner = countryOfPcode(pcode);
  const place = lookUpPcode(pcode) ?? alpha3Variant(pcode, owner);
  if (!place && !owner) {
    // Three letters that are neither a listed code nor a country may be a name ("Gao", "San").
    if (/^[A-Z]{3}$/.test(pcode)) return undefined;
    return fail(expected(country, level), raw, `${pcode} is not in the COD P-code list of ${countryByIso3(country)?.name ?? country}`);
  }
  if (owner && owner.iso3 !== country) {
    const here = countryByIso3(country)?.name ?? country;
    return fail(expected(country, level), raw, place?.level === 0 ? `${pcode} is ${owner.name}, not ${here}` : `${pcode} is a P-code of ${owner.name}, not of ${here}`);
  }
  if (!place) return fail(expected(country, level), raw, `${pcode} is not in the COD P-code list of ${countryByIso3(country)?.name ?? country}`);
  if (place.level !== level) return fail(expected(country, level), raw, `${pcode} is ${levelNoun(country, place.level)} (${place.name}), not ${levelNoun(country, level)}`);
  return ok(place);
}

/**
 * The place an alpha-3-prefixed code stands for (DTM's MLI05 for ML05): only when the country's
 * admin-1 codes start with its alpha-2 code, and the alpha-2 form is in the list.
 */
function alpha3Variant(pcode: string, owner: Country | undefined): Place | undefined {
  if (!owner || pcode.length <= 3 || !pcode.startsWith(owner.iso3) || !/^\d/.test(pcode.slice(3))) return undefined;
  const own = regions(owner.iso3);
  if (own.length === 0 || !own.every((p) => p.pcode.startsWith(owner.iso2) && !p.pcode.startsWith(owner.iso3))) return undefined;
  const place = lookUpPcode(owner.iso2 + pcode.slice(3));
  return place && countryOfPcode(place.pcode)?.iso3 === owner.iso3 ? place : undefined;
}

function byName(level: PlaceLevel, country: string, raw: string, parent: string | undefined): Parsed<Place> {
  const key = normalisePlaceName(raw);
  if (level === 0) {
    // Country names in English and French, with their aliases (Tchad, Chad; Côte d'Ivoire, Ivory Coast).
    const named = parseCountry(raw);
    if (named.ok && named.value.iso3 === country) return ok(lookUpPcode(country)!);
    if (named.ok) return fail(expected(country, level), raw, `${named.value.name} is another country than ${countryByIso3(country)?.name ?? country}`);
  }
  const found = indexOf(country)?.byName[level]?.get(key) ?? [];
  const candidates = parent !== undefined && found.length > 1 ? found.filter((p) => p.parent === parent) : found;
  if (candidates.length === 1) return ok(candidates[0]!);
  if (candidates.length > 1) {
    const named = candidates.map((p) => `${p.pcode} in ${label(p.parent)}`).join(', ');
    return fail(expected(country, level), raw, `"${raw.trim()}" names ${candidates.length} places (${named}); give the P-code or the parent`);
  }
  return unknownName(key, level, country, raw);
}

function unknownName(key: string, level: PlaceLevel, country: string, raw: string): Failure {
  const index = indexOf(country)!;
  if (country === 'MLI') {
    const named = (names: string[]): string | undefined => names.find((n) => normalisePlaceName(n) === key);
    const taoudenit = named(TAOUDENIT);
    if (taoudenit) return fail(expected(country, level), raw, `${taoudenit} has no P-code in the COD, where it lies inside Tombouctou (ML06)`);
    const newRegion = level === 1 ? named(MALI_REGIONS_WITHOUT_PCODE) : undefined;
    if (newRegion) {
      const cercle = index.byName[2]!.get(key)?.[0];
      const also = cercle ? `; the cercle ${cercle.name} is ${cercle.pcode}` : '';
      return fail(expected(country, level), raw, `${newRegion} is a region created in 2023 with no P-code in the COD yet${also}`);
    }
  }
  const elsewhere = ([0, 1, 2, 3] as const).map((l) => index.byName[l]!.get(key)?.[0]).find((p) => p !== undefined);
  if (elsewhere) {
    return fail(expected(country, level), raw, `${elsewhere.name} is ${levelNoun(country, elsewhere.level)} (${elsewhere.pcode}), not ${levelNoun(country, level)}`);
  }
  const name = countryByIso3(country)?.name ?? country;
  const hint = `"${raw.trim()}" is not a place of ${name} in the COD list; unknown names are not guessed`;
  const near = nearestNames(key, level, country);
  return fail(expected(country, level), raw, near.length > 0 ? `${hint} (did you mean ${near.join(' or ')}?)` : hint);
}

/** Up to three known names of the level whose keys are a few edits away; never used to match. */
export function nearestNames(key: string, level: PlaceLevel, country: string): string[] {
  const index = indexOf(country)?.byName[level];
  if (!index || key === '') return [];
  const limit = Math.max(1, Math.floor(key.length / 4));
  const keys = [...index.keys()].filter((k) => Math.abs(k.length - key.length) <= limit);
  const near: string[] = [];
  while (near.length < 3 && keys.length > 0) {
    const best = closest(key, keys);
    keys.splice(keys.indexOf(best), 1);
    if (distance(key, best) > limit) break;
    const place = index.get(best)![0]!;
    const shown = `${place.name} (${place.pcode})`;
    if (!near.includes(shown)) near.push(shown);
  }
  return near;
}

function label(pcode: string | undefined): string {
  const place = pcode === undefined ? undefined : placeByPcode(pcode);
  return place ? `${place.name} (${place.pcode})` : String(pcode ?? 'no parent');
}

export function placeByPcode(pcode: string): Place | undefined {
  return lookUpPcode(pcode);
}

/** The country's admin-1 areas (Mali's 10 regions, ML01 to ML10 by default). */
export function regions(country: string = DEFAULT_COUNTRY): Place[] {
  return (placesOf(country) ?? []).filter((p) => p.level === 1);
}

/** The areas one level below a place (a region's cercles). */
export function cerclesOf(pcode: string): Place[] {
  const country = countryOfPcode(pcode)?.iso3;
  return country ? (placesOf(country) ?? []).filter((p) => p.parent === pcode) : [];
}

/** The region of a cercle, the country of a region, nothing for the country. */
export function parentOf(pcode: string): Place | undefined {
  const parent = placeByPcode(pcode)?.parent;
  return parent === undefined ? undefined : placeByPcode(parent);
}

/**
 * Whether a name cell names this place (a row's P-code decided it): the list's name or a known
 * spelling, in English or French, once normalised. Used to tell, never to match.
 */
export function nameMatchesPlace(raw: string, place: Place, country: string = DEFAULT_COUNTRY): boolean {
  const named = matchPlace(raw, place.level, { country, parent: place.parent });
  if (named.ok) return named.value.pcode === place.pcode;
  return place.name !== '' && normalisePlaceName(raw) === normalisePlaceName(place.name);
}
