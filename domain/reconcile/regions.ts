/** A country's admin-1 areas (OCHA COD), whose figures add up to the national total. */
import { placeByPcode, regions } from '../places.js';

/** Mali's regions with their names as Malian sources write them. */
export const MALI_REGIONS: ReadonlyArray<readonly [pcode: string, name: string]> = [
  ['ML01', 'Kayes'],
  ['ML02', 'Koulikoro'],
  ['ML03', 'Sikasso'],
  ['ML04', 'Ségou'],
  ['ML05', 'Mopti'],
  ['ML06', 'Tombouctou'],
  ['ML07', 'Gao'],
  ['ML08', 'Kidal'],
  ['ML09', 'Bamako'],
  ['ML10', 'Ménaka'],
];

/** The admin-1 areas of the country, as [P-code, name]. */
export function regionsOf(country: string): ReadonlyArray<readonly [pcode: string, name: string]> {
  if (country === 'MLI') return MALI_REGIONS;
  return regions(country).map((r) => [r.pcode, r.name] as const);
}

/** A country's own figure: the area is its ISO alpha-3 code. */
export function isNational(area: string): boolean {
  return placeByPcode(area)?.level === 0;
}

/** An admin-1 area of any country with a P-code list. */
export function isRegion(area: string): boolean {
  return placeByPcode(area)?.level === 1;
}
