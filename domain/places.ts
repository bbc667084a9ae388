/**
 * Places of Mali by OCHA COD P-code: the country (MLI), 10 regions (ML01…ML10) and 53 cercles
 * (ML0101…ML1004). Names are matched exactly once normalised (accents, case, punctuation,
 * "Région de" prefixes, mis-decoded text) and through a short list of known spellings. Nothing
 * is guessed: an unknown place is a rejection that names it.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { z } from 'zod';
import { BoundedMap } from './collections.js';
import { looksLikePcode } from './codes.js';
import { repairMojibake } from './mojibake.js';
import { fail, ok, type Failure, type Parsed } from './result.js';

export type PlaceLevel = 0 | 1 | 2;
export type Place = { pcode: string; name: string; level: PlaceLevel; parent?: string };
export type MatchPlaceOptions = {
  /** P-code the matched place must belong to (a region's for a cercle). */
  parent?: string;
};

const MALI: Place = { pcode: 'MLI', name: 'Mali', level: 0 };

const CodRow = z.object({
  'Admin Level': z.union([z.literal('1'), z.literal('2')]).transform((l) => (l === '1' ? 1 : 2)),
  'P-Code': z.string().regex(/^ML\d{2}(\d{2})?$/),
  Name: z.string().min(1),
  'Parent P-Code': z.string().min(1),
});

/** Spellings the COD list does not carry, by level, each to its P-code. */
const KNOWN_SPELLINGS: Readonly<Record<PlaceLevel, Readonly<Record<string, string>>>> = {
  0: { MLI: 'MLI', ML: 'MLI', '466': 'MLI', 'République du Mali': 'MLI', 'Republic of Mali': 'MLI' },
  1: { Timbuktu: 'ML06', Tombouctu: 'ML06' },
  2: { Timbuktu: 'ML0605', Tombouctu: 'ML0605', Barouéli: 'ML0401', 'Nioro du Sahel': 'ML0106', 'Ké-Macina': 'ML0403' },
};

/** Regions created in 2023 that the COD has no P-code for yet; most share a cercle's name. */
const REGIONS_WITHOUT_PCODE = [
  'Nioro', 'Nioro du Sahel', 'Kita', 'Bougouni', 'San', 'Douentza', 'Bandiagara', 'Dioïla', 'Nara', 'Koutiala',
];
const TAOUDENIT = ['Taoudénit', 'Taoudéni', 'Taoudenni'];

const LEVEL_NOUN: Record<PlaceLevel, string> = { 0: 'the country', 1: 'a region', 2: 'a cercle' };
const EXPECTED: Record<PlaceLevel, string> = {
  0: 'the country (Mali or MLI)',
  1: 'a region of Mali (name or P-code ML01…ML10)',
  2: 'a cercle of Mali (name or P-code such as ML0501)',
};

const COD: readonly Place[] = loadCod();
const BY_PCODE = new Map<string, Place>([MALI, ...COD].map((p) => [p.pcode, p]));
const BY_NAME: Record<PlaceLevel, Map<string, Place>> = { 0: nameIndex(0), 1: nameIndex(1), 2: nameIndex(2) };

function loadCod(): Place[] {
  const text = readFileSync(new URL('./data/mli-pcodes.csv', import.meta.url), 'utf8');
  const rows = z.array(CodRow).parse(parse(text, { columns: true, skip_empty_lines: true, bom: true }));
  return rows.map((r) => ({ pcode: r['P-Code'], name: r.Name, level: r['Admin Level'], parent: r['Parent P-Code'] }));
}

/** Two spellings of one level that normalise alike must name the same place, or none is safe. */
function nameIndex(level: PlaceLevel): Map<string, Place> {
  const index = new Map<string, Place>();
  const add = (name: string, place: Place): void => {
    const key = normalisePlaceName(name);
    const seen = index.get(key);
    if (seen && seen.pcode !== place.pcode) {
      throw new Error(`place names: "${name}" names both ${seen.pcode} and ${place.pcode} at level ${level}`);
    }
    index.set(key, place);
  };
  for (const place of [MALI, ...COD]) if (place.level === level) add(place.name, place);
  for (const [name, pcode] of Object.entries(KNOWN_SPELLINGS[level])) add(name, mustFind(pcode));
  return index;
}

function mustFind(pcode: string): Place {
  const place = [MALI, ...COD].find((p) => p.pcode === pcode);
  if (!place) throw new Error(`place names: expected a P-code in the COD list, found "${pcode}"`);
  return place;
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
    .replace(/^(?:region|cercle|district)\s+(?:de|du|d|of)\s+(?=\S)/, '')
    .replace(/(?<=\S)\s+(?:region|cercle|district)$/, '');
  return words.replace(/ /g, '');
}

/** Answers per distinct cell text: a drop repeats a few dozen place names over millions of rows. */
const MATCHED = new BoundedMap<Parsed<Place>>(10_000);

/** A place at the level the column holds, from a name or a P-code. Results are shared: do not mutate them. */
export function matchPlace(raw: string, level: PlaceLevel, opts: MatchPlaceOptions = {}): Parsed<Place> {
  const key = `${level}\u001f${opts.parent ?? ''}\u001f${raw}`;
  const known = MATCHED.get(key);
  if (known) return known;
  const result = matchPlaceUncached(raw, level, opts);
  MATCHED.set(key, result);
  return result;
}

function matchPlaceUncached(raw: string, level: PlaceLevel, opts: MatchPlaceOptions): Parsed<Place> {
  if (raw.trim() === '') return fail(EXPECTED[level], raw, 'the place cell is empty');
  const matched = byCode(raw.trim(), level, raw) ?? byName(level, raw);
  if (!matched.ok || opts.parent === undefined || matched.value.parent === opts.parent) return matched;
  const place = matched.value;
  return fail(`a place in ${label(opts.parent)}`, raw,
    `${place.name} (${place.pcode}) is in ${label(place.parent)}, not in ${label(opts.parent)}`);
}

function byCode(text: string, level: PlaceLevel, raw: string): Parsed<Place> | undefined {
  if (/^ML-(?:[1-9]|10|BKO)$/i.test(text)) return fail(EXPECTED[level], raw, 'an ISO 3166-2 code, not a P-code');
  if (!looksLikePcode(text)) return undefined;
  const pcode = text.toUpperCase();
  const place = BY_PCODE.get(pcode);
  if (!place) return fail(EXPECTED[level], raw, `${pcode} is not in the COD P-code list of Mali`);
  if (place.level !== level) return fail(EXPECTED[level], raw, `${pcode} is ${LEVEL_NOUN[place.level]} (${place.name}), not ${LEVEL_NOUN[level]}`);
  return ok(place);
}

function byName(level: PlaceLevel, raw: string): Parsed<Place> {
  const key = normalisePlaceName(raw);
  const place = BY_NAME[level].get(key);
  return place ? ok(place) : unknownName(key, level, raw);
}

function unknownName(key: string, level: PlaceLevel, raw: string): Failure {
  const named = (names: string[]): string | undefined => names.find((n) => normalisePlaceName(n) === key);
  const taoudenit = named(TAOUDENIT);
  if (taoudenit) return fail(EXPECTED[level], raw, `${taoudenit} has no P-code in the COD, where it lies inside Tombouctou (ML06)`);
  const newRegion = level === 1 ? named(REGIONS_WITHOUT_PCODE) : undefined;
  const cercle = BY_NAME[2].get(key);
  if (newRegion) {
    const also = cercle ? `; the cercle ${cercle.name} is ${cercle.pcode}` : '';
    return fail(EXPECTED[level], raw, `${newRegion} is a region created in 2023 with no P-code in the COD yet${also}`);
  }
  const elsewhere = ([0, 1, 2] as const).map((l) => BY_NAME[l].get(key)).find((p) => p !== undefined);
  if (elsewhere) {
    return fail(EXPECTED[level], raw, `${elsewhere.name} is ${LEVEL_NOUN[elsewhere.level]} (${elsewhere.pcode}), not ${LEVEL_NOUN[level]}`);
  }
  return fail(EXPECTED[level], raw, `"${raw.trim()}" is not a place of Mali in the COD list; unknown names are not guessed`);
}

function label(pcode: string | undefined): string {
  const place = pcode === undefined ? undefined : BY_PCODE.get(pcode);
  return place ? `${place.name} (${place.pcode})` : String(pcode ?? 'no parent');
}

export function placeByPcode(pcode: string): Place | undefined {
  return BY_PCODE.get(pcode.trim().toUpperCase());
}

/** The 10 regions of the COD, ML01 to ML10. */
export function regions(): Place[] {
  return COD.filter((p) => p.level === 1);
}

export function cerclesOf(regionPcode: string): Place[] {
  return COD.filter((p) => p.level === 2 && p.parent === regionPcode);
}

/** The region of a cercle, the country of a region, nothing for the country. */
export function parentOf(pcode: string): Place | undefined {
  const parent = placeByPcode(pcode)?.parent;
  return parent === undefined ? undefined : BY_PCODE.get(parent);
}
