/** Requests built from options by the bundled dtm and unhcr profiles: no URL to write. */
import { describe, expect, it } from 'vitest';
import { getProfile, loadProfiles } from '../../../connectors/profiles.js';
import { ApiRequestError, buildApiRequest, defaultApiUrl, isEmptyRequest } from '../../../domain/api-request.js';
import { TallyError } from '../../../domain/errors.js';

const profiles = loadProfiles(undefined);
const dtm = getProfile('dtm', profiles);
const unhcr = getProfile('unhcr', profiles);
const cmp = getProfile('cmp', profiles);

function refusal(fn: () => unknown): ApiRequestError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ApiRequestError) return error;
    throw error;
  }
  throw new Error('expected an ApiRequestError');
}

describe('buildApiRequest: DTM API v3', () => {
  it('asks /v3/displacement/admin{0,1,2} with Admin0Pcode, admin 1 by default', () => {
    expect(buildApiRequest(dtm, { country: 'TCD' })).toEqual({
      url: 'https://dtmapi.iom.int/v3/displacement/admin1?Admin0Pcode=TCD',
      country: 'TCD',
      label: 'dtm-tcd-admin1',
      expect: { field: 'admin0Pcode', value: 'TCD' },
    });
    for (const level of [0, 1, 2]) {
      expect(buildApiRequest(dtm, { country: 'HTI', adminLevel: level }).url).toBe(`https://dtmapi.iom.int/v3/displacement/admin${level}?Admin0Pcode=HTI`);
    }
  });

  it('sends every option in its parameter, in a fixed order, and names the drop after them', () => {
    const built = buildApiRequest(dtm, { toRound: 24, operation: 'Lake Chad Basin Crisis', fromRound: 20, to: '2025-01-31', from: '2024-01-01', adminLevel: 2, country: 'Tchad' });
    const url = new URL(built.url);
    expect(url.pathname).toBe('/v3/displacement/admin2');
    expect([...url.searchParams]).toEqual([
      ['Admin0Pcode', 'TCD'],
      ['FromReportingDate', '2024-01-01'],
      ['ToReportingDate', '2025-01-31'],
      ['Operation', 'Lake Chad Basin Crisis'],
      ['FromRoundNumber', '20'],
      ['ToRoundNumber', '24'],
    ]);
    expect(built.label).toBe('dtm-tcd-admin2-from-2024-01-01-to-2025-01-31-operation-lake-chad-basin-crisis-from-round-20-to-round-24');
  });

  it('reads a year as its first or last day, and Mali when no country is given', () => {
    expect(buildApiRequest(dtm, { from: '2019', to: '2020' }).url).toBe(
      'https://dtmapi.iom.int/v3/displacement/admin1?Admin0Pcode=MLI&FromReportingDate=2019-01-01&ToReportingDate=2020-12-31',
    );
  });

  it('goes to another base URL when one is configured', () => {
    expect(buildApiRequest(dtm, { country: 'AFG', adminLevel: 0 }, 'http://127.0.0.1:9999/').url).toBe('http://127.0.0.1:9999/v3/displacement/admin0?Admin0Pcode=AFG');
    expect(defaultApiUrl(dtm, 'http://127.0.0.1:9999')).toBe('http://127.0.0.1:9999/v3/displacement/admin1?Admin0Pcode=MLI');
    expect(defaultApiUrl(dtm)).toBe(dtm.api!.url);
  });

  it.each([
    [{ adminLevel: 3 }, '--admin-level', 'one of 0, 1, 2', '3'],
    [{ from: '31/07/2019' }, '--from', 'a date YYYY-MM-DD (or a year)', '31/07/2019'],
    [{ to: '2019-02-30' }, '--to', 'a date YYYY-MM-DD (or a year)', '2019-02-30'],
    [{ from: '2020-01-01', to: '2019-12-31' }, '--from', 'a start no later than --to (2019-12-31)', '2020-01-01'],
    [{ fromRound: 9, toRound: 3 }, '--from-round', 'a round no later than --to-round (3)', '9'],
    [{ country: 'Atlantis' }, '--country', 'a country (ISO 3166 alpha-3 or alpha-2 code, UN M49 number, or name)', 'Atlantis'],
  ])('refuses %j, naming the option, what it expected and what it found', (options, option, expected, found) => {
    const error = refusal(() => buildApiRequest(dtm, options));
    expect(error).toBeInstanceOf(TallyError);
    expect(error.nonRetryable).toBe(true);
    expect(error.message).toBe(`source dtm, ${option}: expected ${expected}, found ${found}`);
  });
});

describe('buildApiRequest: UNHCR population API', () => {
  it('asks for one row per origin (coo_all) for a country of asylum, by year', () => {
    const built = buildApiRequest(unhcr, { country: 'MLI', from: '2019', to: '2024' });
    expect(built.url).toBe('https://api.unhcr.org/population/v1/population/?coa=MLI&yearFrom=2019&yearTo=2024&coo_all=true&limit=1000');
    expect(built).toMatchObject({ country: 'MLI', label: 'unhcr-mli-from-2019-to-2024', expect: { field: 'coa_iso', value: 'MLI' } });
  });

  it("sends UNHCR's own code where it differs from ISO3 (CHD for Chad, BKF for Burkina Faso)", () => {
    expect(new URL(buildApiRequest(unhcr, { country: 'TCD' }).url).searchParams.get('coa')).toBe('CHD');
    expect(new URL(buildApiRequest(unhcr, { country: 'BF' }).url).searchParams.get('coa')).toBe('BKF');
    // The items must still name the ISO3 country asked for (coa_iso).
    expect(buildApiRequest(unhcr, { country: 'Burkina Faso' }).expect).toEqual({ field: 'coa_iso', value: 'BFA' });
  });

  it('refuses what its API has no parameter for', () => {
    expect(refusal(() => buildApiRequest(unhcr, { adminLevel: 1 })).message).toBe('source unhcr, --admin-level: expected no admin level (the unhcr API has none to choose), found 1');
    expect(refusal(() => buildApiRequest(unhcr, { operation: 'x' })).message).toBe('source unhcr, --operation: expected an option the unhcr API takes, found x');
    expect(refusal(() => buildApiRequest(unhcr, { from: '2019-07-31' })).message).toBe('source unhcr, --from: expected a year such as 2019 (unhcr counts by year), found 2019-07-31');
  });

  it('refuses a source whose profile cannot build requests', () => {
    expect(refusal(() => buildApiRequest(cmp, { country: 'MLI' })).message).toMatch(/^source cmp, api.request: expected a profile that says how to build requests/);
    expect(isEmptyRequest({})).toBe(true);
    expect(isEmptyRequest({ country: 'MLI' })).toBe(false);
  });
});
