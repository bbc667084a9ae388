import { describe, expect, it } from 'vitest';
import { parseCountry } from '../../../domain/countries.js';
import { countryOfPcode } from '../../../domain/places.js';

describe('parseCountry', () => {
  it.each([
    ['MLI', 'MLI'], ['ml', 'MLI'], ['466', 'MLI'], ['Mali', 'MLI'], ['République du Mali', 'MLI'],
    ['TCD', 'TCD'], ['Tchad', 'TCD'], ['Chad', 'TCD'], ['TD', 'TCD'], ['148', 'TCD'],
    ['Haïti', 'HTI'], ['haiti', 'HTI'], ["Côte d'Ivoire", 'CIV'], ['Ivory Coast', 'CIV'], ['Burkina Faso', 'BFA'],
  ])('reads %j as %s', (raw, iso3) => {
    expect(parseCountry(raw)).toMatchObject({ ok: true, value: { iso3 } });
  });

  it.each(['Atlantis', 'XYZ', 'QQ', ''])('refuses %j, saying what it expected', (raw) => {
    expect(parseCountry(raw)).toMatchObject({ ok: false, found: raw, expected: 'a country (ISO 3166 alpha-3 or alpha-2 code, UN M49 number, or name)' });
  });
});

describe('countryOfPcode', () => {
  it.each([['ML05', 'MLI'], ['MLI', 'MLI'], ['TD0101', 'TCD'], ['HT01', 'HTI'], ['NE001', 'NER'], ['AF01', 'AFG'], ['BDI001', 'BDI'], ['IQG01Q01', 'IRQ'], ['3501000', 'TJK']])('%s is in %s', (pcode, iso3) => {
    expect(countryOfPcode(pcode)?.iso3).toBe(iso3);
  });

  it('knows no country for a code that is not a P-code', () => {
    expect(countryOfPcode('ML-5')).toBeUndefined();
    expect(countryOfPcode('QQ01')).toBeUndefined();
  });
});
