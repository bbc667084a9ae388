/** Places of countries other than Mali, from OCHA's global P-code list, and lists a user adds. */
import { describe, expect, it } from 'vitest';
import { addPlaceList, cerclesOf, listedCountries, matchPlace, parentOf, placeByPcode, regions } from '../../../domain/places.js';

describe('places of any country with a P-code list', () => {
  it('knows 157 countries of the global list besides Mali', () => {
    const countries = listedCountries();
    expect(countries.length).toBeGreaterThanOrEqual(156);
    expect(countries).toEqual(expect.arrayContaining(['MLI', 'TCD', 'HTI', 'AFG', 'NER', 'BFA', 'NGA']));
  });

  it("matches Chad's provinces by name and P-code in Chad only", () => {
    expect(matchPlace('Batha', 1, { country: 'TCD' })).toEqual({ ok: true, value: { pcode: 'TD01', name: 'Batha', level: 1, parent: 'TCD' } });
    expect(matchPlace('td01', 1, { country: 'TCD' })).toMatchObject({ ok: true, value: { pcode: 'TD01' } });
    expect(matchPlace('Batha', 1)).toMatchObject({ ok: false, hint: expect.stringContaining('is not a place of Mali') });
    expect(matchPlace('TD01', 1)).toMatchObject({ ok: false, hint: 'TD01 is a P-code of Chad, not of Mali' });
    expect(matchPlace('ML05', 1, { country: 'TCD' })).toMatchObject({ ok: false, hint: 'ML05 is a P-code of Mali, not of Chad' });
  });

  it('matches the country itself by name or code', () => {
    expect(matchPlace('Tchad', 0, { country: 'TCD' })).toEqual({ ok: true, value: { pcode: 'TCD', name: 'Chad', level: 0 } });
    expect(matchPlace('TCD', 0, { country: 'TCD' })).toMatchObject({ ok: true, value: { pcode: 'TCD' } });
    expect(matchPlace('MLI', 0, { country: 'TCD' })).toMatchObject({ ok: false, hint: 'MLI is Mali, not Chad' });
  });

  it('says which level a name or code belongs to in another country', () => {
    expect(matchPlace('HT0111', 1, { country: 'HTI' })).toMatchObject({ ok: false, hint: 'HT0111 is an admin-2 area (Port-au-Prince), not an admin-1 area' });
    expect(matchPlace('Port-au-Prince', 2, { country: 'HTI' })).toMatchObject({ ok: true, value: { pcode: 'HT0111', parent: 'HT01' } });
  });

  it('refuses a name two areas share unless the parent tells them apart', () => {
    const both = matchPlace('Baharak', 2, { country: 'AFG' });
    expect(both).toMatchObject({ ok: false, hint: expect.stringMatching(/^"Baharak" names 2 places \(AF\d+ in .+, AF\d+ in .+\); give the P-code or the parent$/) });
    const one = matchPlace('Baharak', 2, { country: 'AFG', parent: 'AF17' });
    expect(one).toMatchObject({ ok: true, value: { name: 'Baharak', parent: 'AF17' } });
  });

  it('names the nearest known names of an unknown place, and never matches them', () => {
    expect(matchPlace('Mopty', 1)).toEqual({
      ok: false,
      expected: 'a region of Mali (name or P-code ML01…ML10)',
      found: 'Mopty',
      hint: '"Mopty" is not a place of Mali in the COD list; unknown names are not guessed (did you mean Mopti (ML05)?)',
    });
    expect(matchPlace('Bathaa', 1, { country: 'TCD' })).toMatchObject({ ok: false, hint: expect.stringContaining('did you mean Batha (TD01)?') });
  });

  it('walks parents and children across countries', () => {
    expect(parentOf('TD0101')?.pcode).toBe('TD01');
    expect(parentOf('TD01')?.pcode).toBe('TCD');
    expect(cerclesOf('TD01').length).toBeGreaterThan(0);
    expect(regions('HTI').map((r) => r.pcode)).toContain('HT10');
    expect(placeByPcode('NE001')).toMatchObject({ name: 'Agadez', level: 1, parent: 'NER' });
  });

  it('takes a newer or deeper list from a file, with no code change', () => {
    const added = addPlaceList(
      ['Location,Admin Level,P-Code,Name,Parent P-Code,Valid from date', 'TCD,3,TD010101,Ati Centre,TD0101,2024-01-01'].join('\n'),
      'deeper.csv',
    );
    expect(added).toBe(1);
    expect(matchPlace('Ati Centre', 3, { country: 'TCD' })).toMatchObject({ ok: true, value: { pcode: 'TD010101', level: 3, parent: 'TD0101' } });
    expect(() => addPlaceList('Location,Admin Level,P-Code,Name,Parent P-Code\nTCD,7,TD01,Batha,TCD', 'bad.csv')).toThrow(/bad\.csv row 2, column "Admin Level"/);
  });
});
