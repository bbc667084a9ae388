/** Mali's admin1 P-codes (OCHA COD); the national total is their sum. */
import { REGION_PCODE_PATTERN } from '../codes.js';

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

export const NATIONAL_AREA = 'MLI';

export function isRegion(area: string): boolean {
  return REGION_PCODE_PATTERN.test(area);
}
