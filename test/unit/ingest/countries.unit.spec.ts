/**
 * A row's country and place: where the country comes from (the drop, --country, the profile,
 * Mali), a row that contradicts --country, the P-code deciding over a name, and the notices.
 */
import { describe, expect, it } from 'vitest';
import { getProfile, loadProfiles } from '../../../connectors/profiles.js';
import type { RawTable } from '../../../connectors/table.js';
import type { DropNotice } from '../../../domain/events.js';
import { matchPlace } from '../../../domain/places.js';
import { SourceProfile, type SourceProfileInput } from '../../../domain/profile.js';
import { planColumns } from '../../../ingest/mapping.js';
import { normaliseRow, oneCountryNotice, rejectionReason, type RowOutcome, type RowPlaces } from '../../../ingest/normalise.js';

const dtm = getProfile('dtm', loadProfiles());

function tableOf(headers: string[]): RawTable {
  return { fileName: 'drop.csv', format: 'csv', headers, headerRowNumber: 1, meta: {}, rows: (async function* () {})() };
}

/** Reads one row of a drop with these headers, as the pipeline does. */
function read(headers: string[], cells: string[], places: RowPlaces = {}, profile: SourceProfile = dtm): RowOutcome {
  return normaliseRow({ rowNumber: 2, cells }, planColumns(tableOf(headers), profile), profile, places);
}

function accepted(outcome: RowOutcome): { areas: string[]; notices: string[] } {
  if (outcome.kind !== 'figures') throw new Error(`expected the row accepted, found ${rejectionReason('drop.csv', 2, outcome)}`);
  return { areas: outcome.figures.map((f) => f.area.pcode), notices: (outcome.notices ?? []).map((n) => `${n.kind}: ${n.detail}`) };
}

function reason(outcome: RowOutcome): string {
  if (outcome.kind !== 'rejected') throw new Error(`expected the row rejected, found figures in ${outcome.figures.map((f) => f.area.pcode).join(', ')}`);
  return rejectionReason('drop.csv', 2, outcome);
}

const withCountry = (overrides: Partial<SourceProfileInput>) => SourceProfile.parse({ ...dtm, ...overrides });

describe("a row's country", () => {
  const COLUMN = ['admin0Pcode', 'admin1Name', 'numPresentIdpInd', 'reportingDate'];
  const CODE = ['admin1Pcode', 'numPresentIdpInd', 'reportingDate'];
  const NAME = ['admin1Name', 'numPresentIdpInd', 'reportingDate'];

  it('comes first from the drop\'s country column, read as a code or a name in English or French', () => {
    expect(accepted(read(COLUMN, ['TCD', 'Lac', '100', '2020-01-31']))).toEqual({ areas: ['TD07'], notices: ['country: Chad (TCD), from the column "admin0Pcode"'] });
    expect(accepted(read(COLUMN, ['Tchad', 'Lac', '100', '2020-01-31'])).areas).toEqual(['TD07']);
    expect(accepted(read(COLUMN, ['148', 'Lac', '100', '2020-01-31'])).areas).toEqual(['TD07']);
    // The drop wins over the profile's country.
    expect(accepted(read(COLUMN, ['HTI', 'Artibonite', '5', '2020-01-31'], {}, withCountry({ country: 'TCD' }))).areas).toEqual(['HT05']);
  });

  it("comes from a P-code's own country when the drop has no country column", () => {
    expect(accepted(read(CODE, ['HT01', '100', '2020-01-31']))).toEqual({ areas: ['HT01'], notices: ['country: Haiti (HTI), from the P-codes in "admin1Pcode"'] });
    expect(accepted(read(CODE, ['TD07', '100', '2020-01-31']), ).areas).toEqual(['TD07']);
  });

  it('comes from --country when the row does not say, and names are matched there', () => {
    expect(accepted(read(NAME, ['Lac', '100', '2020-01-31'], { country: 'TCD' }))).toEqual({ areas: ['TD07'], notices: ['country: Chad (TCD), from --country'] });
    expect(accepted(read(NAME, ['Tchad', '900', '2020-01-31'], { country: 'TCD' })).areas).toEqual(['TCD']);
    // --country wins over the profile's country.
    expect(accepted(read(NAME, ['Artibonite', '5', '2020-01-31'], { country: 'HTI' }, withCountry({ country: 'TCD' }))).areas).toEqual(['HT05']);
  });

  it("comes from the profile's country when neither the drop nor --country says", () => {
    const chad = withCountry({ id: 'chad-cluster', country: 'TCD' });
    expect(accepted(read(NAME, ['Lac', '100', '2020-01-31'], {}, chad))).toEqual({ areas: ['TD07'], notices: ['country: Chad (TCD), from the profile of chad-cluster'] });
    expect(() => withCountry({ country: 'XYZ' })).toThrow(/expected an ISO 3166 alpha-3 code of a country/);
    expect(() => withCountry({ country: 'Chad' })).toThrow(/expected an ISO 3166 alpha-3 code such as/);
  });

  it('is Mali by default, with Mali\'s messages unchanged', () => {
    expect(accepted(read(NAME, ['Mopti', '100', '2019-07-31']))).toEqual({ areas: ['ML05'], notices: ['country: Mali (MLI), by default'] });
    expect(reason(read(NAME, ['Lac', '100', '2020-01-31']))).toBe(
      'drop.csv row 2, column "admin1Name": expected a region of Mali (name or P-code ML01…ML10), found "Lac" ("Lac" is not a place of Mali in the COD list; unknown names are not guessed)',
    );
    expect(reason(read(NAME, ['Région de Bandiagara', '100', '2020-01-31']))).toContain('Bandiagara is a region created in 2023 with no P-code in the COD yet');
  });

  it('is refused when the country cell names no country', () => {
    expect(reason(read(COLUMN, ['Atlantis', 'Lac', '100', '2020-01-31']))).toBe(
      'drop.csv row 2, column "admin0Pcode": expected a country (ISO 3166 alpha-3 or alpha-2 code, UN M49 number, or name), found "Atlantis" ("Atlantis" is not an ISO 3166 country code or a country name)',
    );
  });
});

describe('a row that contradicts --country', () => {
  it('is rejected, and the message names --country and the P-code\'s country', () => {
    expect(reason(read(['admin1Pcode', 'numPresentIdpInd', 'reportingDate'], ['TD01', '100', '2020-01-31'], { country: 'MLI' }))).toBe(
      'drop.csv row 2, column "admin1Pcode": expected a place in Mali (--country MLI), found "TD01" (a P-code of Chad)',
    );
    expect(reason(read(['admin0Pcode', 'admin1Name', 'numPresentIdpInd', 'reportingDate'], ['Tchad', 'Lac', '100', '2020-01-31'], { country: 'MLI' }))).toBe(
      'drop.csv row 2, column "admin0Pcode": expected a place in Mali (--country MLI), found "Tchad" (the row\'s country column says Chad)',
    );
  });

  it("is not rejected for contradicting the profile's country, which is only a default", () => {
    expect(accepted(read(['admin1Pcode', 'numPresentIdpInd', 'reportingDate'], ['TD01', '100', '2020-01-31'], {}, withCountry({ country: 'MLI' }))).areas).toEqual(['TD01']);
  });

  it('is accepted when it agrees with --country', () => {
    expect(accepted(read(['admin1Pcode', 'numPresentIdpInd', 'reportingDate'], ['TD01', '100', '2020-01-31'], { country: 'TCD' })).areas).toEqual(['TD01']);
  });
});

describe('a P-code and a name in one row', () => {
  const BOTH = ['admin1Name', 'admin1Pcode', 'numPresentIdpInd', 'reportingDate'];
  const CERCLE = ['admin2Name', 'admin2Pcode', 'numPresentIdpInd', 'reportingDate'];

  it('takes the P-code, and tells a name that is not its place\'s name, never rejecting the row', () => {
    expect(accepted(read(BOTH, ['Mopti', 'ML07', '100', '2019-07-31']))).toEqual({
      areas: ['ML07'],
      notices: ['country: Mali (MLI), from the P-codes in "admin1Pcode"', 'name_mismatch: "Mopti" is not the name of ML07 (Gao)'],
    });
    expect(accepted(read(BOTH, ['Ouest', 'HT01', '100', '2020-01-31'])).notices).toContain('name_mismatch: "Ouest" is not the name of HT01 (West)');
    expect(accepted(read(CERCLE, ['Nioro', 'ML0102', '9', '2021-09-30'])).notices).toContain('name_mismatch: "Nioro" is not the name of ML0102 (Diema)');
  });

  it.each([
    ['Mopti', 'ML05'],
    ['MOPTI', 'ML05'],
    ['Timbuktu', 'ML06'],
    ['Tombouctou', 'ML06'],
    ['Région de Ségou', 'ML04'],
    ['S├ęgou', 'ML04'],
    ['West', 'HT01'],
    ['Artibonite', 'HT05'],
    ['Lac', 'TD07'],
  ])('tells nothing when %j names %s, in either language or spelling', (name, pcode) => {
    expect(accepted(read(BOTH, [name, pcode, '1', '2020-01-31'])).notices.filter((n) => n.startsWith('name_mismatch'))).toEqual([]);
  });

  it('checks a cercle name against its P-code too', () => {
    expect(accepted(read(CERCLE, ['Bandiagara', 'ML0501', '1', '2020-01-31'])).notices).toEqual(['country: Mali (MLI), from the P-codes in "admin2Pcode"']);
    expect(accepted(read(CERCLE, ['Timbuktu', 'ML0605', '1', '2020-01-31'])).notices).toHaveLength(1);
  });

  it('still rejects an unknown P-code, whatever the name beside it', () => {
    expect(reason(read(BOTH, ['Mopti', 'ML55', '1', '2020-01-31']))).toContain('ML55 is not in the COD P-code list of Mali');
  });
});

describe("DTM's alpha-3 P-codes (MLI05 for ML05), a known variant", () => {
  it.each([
    ['MLI05', 1, 'ML05'],
    ['mli09', 1, 'ML09'],
    ['MLI0501', 2, 'ML0501'],
    ['TCD07', 1, 'TD07'],
  ] as const)('reads %s as %s', (code, level, pcode) => {
    expect(matchPlace(code, level, { country: code.slice(0, 3).toUpperCase() === 'TCD' ? 'TCD' : 'MLI' })).toMatchObject({ ok: true, value: { pcode } });
  });

  it('guesses nothing else: an alpha-3 code whose alpha-2 form is not listed stays unknown', () => {
    expect(matchPlace('MLI55', 1)).toMatchObject({ ok: false, hint: 'MLI55 is not in the COD P-code list of Mali' });
    expect(matchPlace('MLI0501', 1)).toMatchObject({ ok: false, hint: 'MLI0501 is a cercle (Bandiagara), not a region' });
    expect(matchPlace('MLI05', 1, { country: 'TCD' })).toMatchObject({ ok: false, hint: 'MLI05 is a P-code of Mali, not of Chad' });
  });

  it('reads a drop written that way, deciding by the P-code and telling its names', () => {
    const outcome = read(['admin0Pcode', 'Admin 1', 'Admin 1 P-code', 'Admin 2', 'Admin 2 P-code', 'IDPs', 'Date'], ['MLI', 'Koulikouro', 'MLI02', 'Kati', 'MLI0204', '34', '2021-09-30'], {
      country: 'MLI',
    });
    expect(accepted(outcome)).toEqual({
      areas: ['ML0204'],
      notices: ['country: Mali (MLI), from the column "admin0Pcode"', 'name_mismatch: "Koulikouro" is not the name of ML02 (Koulikoro)'],
    });
  });
});

describe("a drop's country notice", () => {
  it('is one notice, whatever the countries and origins of its rows', () => {
    const notices: DropNotice[] = [
      { kind: 'ignored_column', detail: '#meta+id maps to nothing' },
      { kind: 'country', detail: 'Chad (TCD), from the column "admin0Pcode"', rows: 12 },
      { kind: 'name_mismatch', detail: '"Ouest" is not the name of HT01 (West)', rows: 3 },
      { kind: 'country', detail: 'Mali (MLI), from --country', rows: 1 },
    ];
    expect(oneCountryNotice(notices)).toEqual([
      { kind: 'ignored_column', detail: '#meta+id maps to nothing' },
      { kind: 'country', detail: 'Chad (TCD), from the column "admin0Pcode" (12 rows); Mali (MLI), from --country (1 row)', rows: 13 },
      { kind: 'name_mismatch', detail: '"Ouest" is not the name of HT01 (West)', rows: 3 },
    ]);
    expect(oneCountryNotice(notices.slice(0, 3))).toEqual(notices.slice(0, 3));
  });
});
