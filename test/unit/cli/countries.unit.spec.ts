/**
 * Countries on the read side: `--country` and `--area` for any country, the country filter of
 * the figures query (its SQL), the explorer's countries, SDMX's REF_AREA, and TALLY_PCODES_FILE.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { afterAll, describe, expect, it } from 'vitest';
import { countryOption, resolveArea } from '../../../cli/options.js';
import { toSdmxCsv } from '../../../cli/formats.js';
import { loadPlaceListFiles, placesOf } from '../../../domain/places.js';
import { configFromEnv, configToEnv, pcodesFilesFromEnv } from '../../../infra/config.js';
import type { StackSettings } from '../../../infra/stack/settings.js';
import { queryFigures, type FigureRow } from '../../../projections/queries.js';
import { countriesOfAreas } from '../../../web/server.js';

const dir = mkdtempSync(join(tmpdir(), 'tally-cli-countries-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('--country', () => {
  it.each([
    ['TCD', 'TCD'],
    ['tcd', 'TCD'],
    ['TD', 'TCD'],
    ['Tchad', 'TCD'],
    ['Haïti', 'HTI'],
    ['466', 'MLI'],
  ])('reads %j as %s', (text, iso3) => {
    expect(countryOption(text)).toBe(iso3);
  });

  it('refuses what is not a country, with what it expected (exit 1)', () => {
    expect(() => countryOption('Atlantis')).toThrow('--country: expected a country (ISO 3166 alpha-3 such as MLI or TCD, or its name), found "Atlantis"');
    try {
      countryOption('XX1');
    } catch (err) {
      expect((err as { exitCode: number }).exitCode).toBe(1);
    }
    expect(countryOption(undefined)).toBeUndefined();
  });
});

describe('--area for any country', () => {
  it('reads a name in --country, else in Mali', () => {
    expect(resolveArea('Mopti')).toBe('ML05');
    expect(resolveArea('Bandiagara')).toBe('ML0501');
    expect(resolveArea('Lac', 'TCD')).toBe('TD07');
    expect(resolveArea('Tchad', 'TCD')).toBe('TCD');
    expect(resolveArea('Port-au-Prince', 'HTI')).toBe('HT0111');
    expect(resolveArea(undefined, 'TCD')).toBeUndefined();
  });

  it("reads a P-code in its own country, DTM's alpha-3 form included", () => {
    expect(resolveArea('TD07')).toBe('TD07');
    expect(resolveArea('ht01')).toBe('HT01');
    expect(resolveArea('MLI05')).toBe('ML05');
    expect(resolveArea('TCD')).toBe('TCD');
  });

  it('refuses a P-code of another country than --country', () => {
    expect(() => resolveArea('TD07', 'MLI')).toThrow('--area: expected a place in Mali (--country MLI), found "TD07" (a P-code of Chad)');
    expect(() => resolveArea('TCD', 'MLI')).toThrow('--area: expected a place in Mali (--country MLI), found "TCD" (TCD is Chad)');
  });

  it('names an unknown place and the nearest known names, never guessing', () => {
    expect(() => resolveArea('Mopty')).toThrow(
      '--area: expected a P-code (ML05) or a place name (Mopti), found "Mopty": "Mopty" is not a place of Mali in the COD list; unknown names are not guessed (did you mean Mopti (ML05)?); --country ISO3 matches names in another country',
    );
    expect(() => resolveArea('Bathaa', 'TCD')).toThrow(/found "Bathaa": .*did you mean Batha \(TD01\)\?\)$/);
    expect(() => resolveArea('Lac')).toThrow(/is not a place of Mali in the COD list.*; --country ISO3 matches names in another country$/);
    expect(() => resolveArea('TD99')).toThrow('--area: expected a P-code (TD01) or a place name (Batha) of Chad, found "TD99": TD99 is not in the COD P-code list of Chad');
  });
});

/** A ClickHouse client that records the SQL it is sent and answers with no rows. */
function recordingClient(): { client: ClickHouseClient; sent: string[] } {
  const sent: string[] = [];
  const client = {
    query: async ({ query }: { query: string }) => {
      sent.push(query);
      return { json: async () => [] };
    },
  } as unknown as ClickHouseClient;
  return { client, sent };
}

describe('the figures query for a country', () => {
  it("keeps the country's own figures and its areas', every value quoted", async () => {
    const { client, sent } = recordingClient();
    await queryFigures(client, { indicator: 'idps', country: 'TCD' });
    const codes = placesOf('TCD')!.map((p) => `'${p.pcode}'`);
    expect(codes[0]).toBe("'TCD'");
    expect(codes).toContain("'TD0101'");
    expect(sent[0]).toContain(`area IN (${codes.join(', ')})`);
    expect(sent[0]).not.toMatch(/'ML/);
  });

  it('narrows a long list to the areas the table holds before filtering', async () => {
    const { client, sent } = recordingClient();
    expect(placesOf('BRA')!.length).toBeGreaterThan(5000);
    expect(await queryFigures(client, { indicator: 'idps', country: 'BRA', source: 'dtm' })).toEqual([]);
    expect(sent).toEqual(['SELECT DISTINCT area FROM observations']);
  });

  it('refuses a country that is not an ISO 3166 alpha-3 code before any SQL', async () => {
    const { client, sent } = recordingClient();
    await expect(queryFigures(client, { indicator: 'idps', country: "TCD' OR 1=1" })).rejects.toThrow(/^query\.country: expected an ISO 3166 alpha-3 code such as MLI or TCD/);
    await expect(queryFigures(client, { indicator: 'idps', country: 'XYZ' })).rejects.toThrow(/^query\.country: expected an ISO 3166 alpha-3 code of a country, found "XYZ"/);
    expect(sent).toEqual([]);
  });
});

describe("the explorer's countries", () => {
  it('groups the areas with figures by the country their P-code names, Mali first', () => {
    expect(countriesOfAreas(['HT01', 'ML05', 'MLI', 'TCD', 'TD07', 'TD0701'])).toEqual([
      { iso3: 'MLI', name: 'Mali', areas: [{ pcode: 'MLI', name: 'Mali', level: 0 }, { pcode: 'ML05', name: 'Mopti', level: 1 }] },
      { iso3: 'TCD', name: 'Chad', areas: [{ pcode: 'TCD', name: 'Chad', level: 0 }, { pcode: 'TD07', name: 'Lac', level: 1 }, { pcode: 'TD0701', name: 'Mamdi', level: 2 }] },
      { iso3: 'HTI', name: 'Haiti', areas: [{ pcode: 'HT01', name: 'West', level: 1 }] },
    ]);
  });
});

describe('SDMX-CSV for any country', () => {
  const figure = (area: string): FigureRow => ({ indicator: 'idps', area, date: '2020-01-31', value: 100, unit: 'individuals', seriesKey: 's', disaggregation: '', recordedAt: '2020-02-01T00:00:00Z', sources: { dtm: 100 } });

  it("writes the P-code as REF_AREA and the area's country's dataflow", () => {
    const [, chad, mali] = toSdmxCsv([figure('TD07'), figure('ML05')]).trim().split('\n');
    expect(chad).toBe('TALLY:MIGRATION_TCD(1.0),D,TD07,IDPS,2020-01-31,100,PS,A,dtm');
    expect(mali).toBe('TALLY:MIGRATION_MLI(1.0),D,ML05,IDPS,2020-01-31,100,PS,A,dtm');
  });
});

describe('TALLY_PCODES_FILE', () => {
  const stack: StackSettings = {
    provider: 'external',
    kafka: { brokers: ['k:9092'], ssl: false },
    temporal: { address: 't:7233', namespace: 'default', tls: false },
    clickhouse: { url: 'http://ch:8123', username: 'default', password: '', database: 'tally' },
  };

  it("is read in infra/config.ts, several paths separated by ':', and handed on to other processes", () => {
    expect(pcodesFilesFromEnv({})).toEqual([]);
    expect(pcodesFilesFromEnv({ TALLY_PCODES_FILE: '/data/adm3.csv: /data/new-regions.csv:' })).toEqual(['/data/adm3.csv', '/data/new-regions.csv']);
    const config = configFromEnv(stack, { TALLY_PCODES_FILE: '/data/adm3.csv:/data/new-regions.csv' });
    expect(config.pcodesFiles).toEqual(['/data/adm3.csv', '/data/new-regions.csv']);
    expect(configToEnv(config).TALLY_PCODES_FILE).toBe('/data/adm3.csv:/data/new-regions.csv');
    expect(configToEnv(configFromEnv(stack, {})).TALLY_PCODES_FILE).toBeUndefined();
  });

  it('is loaded once per process, and a missing or malformed file says what it expected', () => {
    const list = join(dir, 'adm3.csv');
    writeFileSync(list, 'Location,Admin Level,P-Code,Name,Parent P-Code\nTCD,3,TD070101,Bol Centre,TD0701\n');
    expect(loadPlaceListFiles([list])).toBe(1);
    expect(loadPlaceListFiles([list])).toBe(0);
    expect(resolveArea('Bol Centre', 'TCD')).toBe('TD070101');
    expect(() => loadPlaceListFiles([join(dir, 'none.csv')])).toThrow(/^P-code list .*none\.csv: expected a CSV file in OCHA's layout \(Location,Admin Level,P-Code,Name,Parent P-Code\), found no such file$/);
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'Location,Admin Level,P-Code,Name,Parent P-Code\nTCD,9,TD01,Batha,TCD\n');
    expect(() => loadPlaceListFiles([bad])).toThrow(/bad\.csv row 2, column "Admin Level"/);
  });
});
