/**
 * Countries other than Mali through the real `tally` command: a DTM-shaped drop for Chad, an
 * HXL-tagged drop for Haiti with French department names beside the P-codes, a drop of Chad's
 * P-codes ingested with `--country MLI`, and a user's P-code list (TALLY_PCODES_FILE) with a
 * region the bundled list lacks. The figures are the drops' own numbers, summed by hand below.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startExplorer, type RunningExplorer } from '../../../web/server.js';
import { startPipeline, type TestPipeline } from '../../support/pipeline.js';
import { json, lines, runTally, sha256Of, tallyEnv, type TallyRun, type IngestJson, type FigureJson } from './harness.js';

const dir = mkdtempSync(join(tmpdir(), 'tally-cli-countries-'));
function drop(name: string, rows: string[]): string {
  const file = join(dir, name);
  writeFileSync(file, rows.join('\n') + '\n');
  return file;
}

/** Chad, DTM's admin-1 export shape; P-codes and names from OCHA's list. Lac is split over two reasons (summed). */
const CHAD = drop('dtm-tchad-r12-2020-01-31.csv', [
  'admin0Name,admin0Pcode,admin1Name,admin1Pcode,numPresentIdpInd,reportingDate,roundNumber,displacementReason,assessmentType',
  'Chad,TCD,Lac,TD07,1200,2020-01-31T00:00:00,12,Conflict,BA',
  'Chad,TCD,Lac,TD07,300,2020-01-31T00:00:00,12,Natural disaster,BA',
  'Chad,TCD,Batha,TD01,450,2020-01-31T00:00:00,12,Conflict,BA',
  "Chad,TCD,N'Djamena,TD18,800,2020-01-31T00:00:00,12,Conflict,BA",
  'Chad,TCD,,,3000,2020-01-31T00:00:00,12,Conflict,BA',
]);
/** Hand sums of CHAD: TD07 1,200 + 300; the national row as written. */
const CHAD_FIGURES = { TCD: 3000, TD01: 450, TD07: 1500, TD18: 800 };

/** Haiti, French headers and department names, HXL tags; the list names HT01 "West", HT02 "South-East"… */
const HAITI = drop('dtm-haiti-departements-2021-03-31.csv', [
  'Département,Code département,Nombre de PDI,Date',
  '#adm1+name,#adm1+code,#affected+idps+ind,#date+reported',
  'Ouest,HT01,17000,2021-03-31',
  'Sud-Est,HT02,2500,2021-03-31',
  'Nord,HT03,1100,2021-03-31',
  'Artibonite,HT05,900,2021-03-31',
  "Grand'Anse,HT08,4200,2021-03-31",
]);

/** Chad's P-codes only (no country column), to be ingested with --country MLI. */
const CHAD_AS_MALI = drop('dtm-tchad-sans-pays.csv', [
  'admin1Name,admin1Pcode,numPresentIdpInd,reportingDate',
  'Lac,TD07,1500,2020-02-29',
  'Batha,TD01,460,2020-02-29',
]);

/** A newer list of Mali with a region the bundled COD lacks (ML11 is this test's own code). */
const NEWER_LIST = drop('mli-pcodes-newer.csv', ['Location,Admin Level,P-Code,Name,Parent P-Code,Valid from date', 'MLI,1,ML11,Taoudenit,MLI,2024-01-01']);
/** A CMP drop naming that region, in the CMP's French layout. */
const TAOUDENIT = drop('cmp-taoudenit-2020-03-31.csv', ['Région;Nombre de PDI;Date', 'Taoudénit;5 000;31/03/2020', 'Mopti;73 450;31/03/2020']);

type Summary = IngestJson;
type Item = FigureJson;

function expectOk(run: TallyRun): void {
  expect(run.code, `exit ${run.code}\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`).toBe(0);
}

function expectRefused(run: TallyRun, message: string | RegExp): void {
  expect(run.code, run.stdout).toBe(1);
  expect(lines(run.stderr), run.stderr).toHaveLength(1);
  expect(run.stderr.trim()).toMatch(typeof message === 'string' ? new RegExp(`^tally: ${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) : message);
  expect(run.stdout).toBe('');
}

describe('tally for Chad and Haiti, and a P-code list of ones own', () => {
  let p: TestPipeline;
  let tally: (...args: string[]) => Promise<TallyRun>;
  let explorer: RunningExplorer;
  const summaries: Record<string, Summary> = {};
  const ingest = async (key: string, file: string, ...args: string[]) => {
    const run = await tally('ingest', file, '--wait', '--json', ...args);
    expectOk(run);
    summaries[key] = json<Summary>(run);
    return summaries[key];
  };
  const query = async (...args: string[]) => {
    const run = await tally('query', '--indicator', 'idps', '--format', 'json', ...args);
    expectOk(run);
    return json<Item[]>(run);
  };

  beforeAll(async () => {
    const landingDir = mkdtempSync(join(tmpdir(), 'tally-cli-countries-landing-'));
    p = await startPipeline('clicountries', { config: { landingDir, pcodesFiles: [NEWER_LIST] } });
    const env = tallyEnv(p.config);
    expect(env.TALLY_PCODES_FILE).toBe(NEWER_LIST);
    tally = (...args) => runTally(args, env);
    await ingest('chad', CHAD, '--source', 'dtm');
    await ingest('haiti', HAITI, '--source', 'dtm');
    await ingest('contradiction', CHAD_AS_MALI, '--source', 'dtm', '--country', 'MLI');
    await ingest('taoudenit', TAOUDENIT, '--source', 'cmp');
    explorer = await startExplorer({ settings: p.config.stack.clickhouse, port: 0 });
  });
  afterAll(async () => {
    await explorer?.close();
    await p?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("ingests Chad's drop in Chad, from its country column, every row accounted for", () => {
    const s = summaries.chad!;
    expect(s).toMatchObject({ dropId: sha256Of(CHAD), rows: 5, accepted: 5, rejected: 0, duplicates: 0, status: 'processed' });
    expect(s.notices).toEqual(['country: Chad (TCD), from the column "admin0Pcode" (5 rows)']);
  });

  it('queries Chad with --country TCD, and its areas by P-code or by name', async () => {
    const figures = await query('--country', 'TCD');
    expect(Object.fromEntries(figures.map((f) => [f.area, f.value]))).toEqual(CHAD_FIGURES);
    for (const f of figures) expect(f).toMatchObject({ indicator: 'idps', date: '2020-01-31', sources: { dtm: f.value } });
    expect(await query('--area', 'TD07')).toEqual([expect.objectContaining({ area: 'TD07', value: 1500 })]);
    expect(await query('--area', 'Lac', '--country', 'TCD')).toEqual([expect.objectContaining({ area: 'TD07', value: 1500 })]);
    expect(await query('--area', "N'Djamena", '--country', 'Tchad')).toEqual([expect.objectContaining({ area: 'TD18', value: 800 })]);
    expect(await query('--country', 'MLI', '--to', '2020-12-31')).toEqual(
      expect.arrayContaining([expect.objectContaining({ area: 'ML05' })]),
    );
    expect((await query('--country', 'MLI')).some((f) => !/^ML/.test(f.area))).toBe(false);
  });

  it('prints SDMX with the P-code as REF_AREA and the country in the dataflow', async () => {
    const run = await tally('query', '--indicator', 'idps', '--country', 'TCD', '--format', 'sdmx');
    expectOk(run);
    const [header, ...rows] = lines(run.stdout);
    expect(header).toBe('DATAFLOW,FREQ,REF_AREA,INDICATOR,TIME_PERIOD,OBS_VALUE,UNIT_MEASURE,OBS_STATUS,DATA_SOURCE');
    expect(rows).toContain('TALLY:MIGRATION_TCD(1.0),D,TD07,IDPS,2020-01-31,1500,PS,A,dtm');
    expect(rows).toHaveLength(4);
  });

  it("reconciles Chad's national figure with Chad's provinces only", async () => {
    const run = await tally('discrepancies', '--json');
    expectOk(run);
    const chad = json<Array<{ area: string; cause: string; explanation: string }>>(run).filter((d) => d.area === 'TCD');
    expect(chad).toHaveLength(1);
    // 3,000 against 450 + 1,500 + 800 = 2,750 from 3 of Chad's 23 provinces.
    expect(chad[0]!.cause).toBe('partial_coverage');
    expect(chad[0]!.explanation).toMatch(/^dtm 3,000 on 2020-01-31 vs the sum of 3 regions \(dtm:sum-of-regions\) 2,750: .*missing regions: TD02 Borkou,/);
    expect(chad[0]!.explanation).not.toMatch(/ML\d|HT\d/);
  });

  it('reads Haiti from its P-codes, and tells the French names that are not the list\'s', async () => {
    const s = summaries.haiti!;
    expect(s).toMatchObject({ rows: 5, accepted: 5, rejected: 0, duplicates: 0 });
    expect(s.notices).toEqual([
      'country: Haiti (HTI), from the P-codes in "Code département" (5 rows)',
      'name_mismatch: "Ouest" is not the name of HT01 (West) (1 row)',
      'name_mismatch: "Sud-Est" is not the name of HT02 (South-East) (1 row)',
      'name_mismatch: "Nord" is not the name of HT03 (North) (1 row)',
      `name_mismatch: "Grand'Anse" is not the name of HT08 (Grande'Anse) (1 row)`,
    ]);
    const figures = await query('--country', 'HTI');
    expect(Object.fromEntries(figures.map((f) => [f.area, f.value]))).toEqual({ HT01: 17000, HT02: 2500, HT03: 1100, HT05: 900, HT08: 4200 });
    expect(await query('--area', 'West', '--country', 'HTI')).toEqual([expect.objectContaining({ area: 'HT01', value: 17000 })]);
  });

  it("rejects rows whose P-codes contradict --country, saying so, and counts them", async () => {
    const s = summaries.contradiction!;
    expect(s).toMatchObject({ rows: 2, accepted: 0, rejected: 2, duplicates: 0, status: 'processed' });
    const run = await tally('rejections', '--drop', s.dropId, '--json');
    expectOk(run);
    expect(json<Array<{ reason: string }>>(run).map((r) => r.reason)).toEqual([
      'dtm-tchad-sans-pays.csv row 2, column "admin1Pcode": expected a place in Mali (--country MLI), found "TD07" (a P-code of Chad)',
      'dtm-tchad-sans-pays.csv row 3, column "admin1Pcode": expected a place in Mali (--country MLI), found "TD01" (a P-code of Chad)',
    ]);
  });

  it('reads a region from the user\'s P-code list in the worker and in tally query', async () => {
    expect(summaries.taoudenit).toMatchObject({ rows: 2, accepted: 2, rejected: 0 });
    expect(await query('--area', 'Taoudénit')).toEqual([expect.objectContaining({ area: 'ML11', value: 5000, date: '2020-03-31' })]);
    expect(await query('--area', 'ML11')).toEqual([expect.objectContaining({ area: 'ML11', value: 5000 })]);
  });

  it('refuses a bad --country, a P-code of another country and an unknown place, in one line (exit 1)', async () => {
    expectRefused(await tally('ingest', CHAD, '--source', 'dtm', '--country', 'Atlantis', '--json'), '--country: expected a country (ISO 3166 alpha-3 such as MLI or TCD, or its name), found "Atlantis"');
    expectRefused(await tally('query', '--indicator', 'idps', '--country', 'MLI', '--area', 'TD07'), '--area: expected a place in Mali (--country MLI), found "TD07" (a P-code of Chad)');
    expectRefused(await tally('query', '--indicator', 'idps', '--country', 'TCD', '--area', 'Bathaa'), /^tally: --area: expected a P-code \(TD01\) or a place name \(Batha\) of Chad, found "Bathaa": .*\(did you mean Batha \(TD01\)\?\)$/);
  });

  it('lists the countries with figures and their areas on the HTTP API, and filters by country', async () => {
    const get = async (path: string) => (await fetch(new URL(path, explorer.url))).json() as Promise<unknown>;
    const countries = (await get('/api/countries')) as Array<{ iso3: string; areas: Array<{ pcode: string; name: string }> }>;
    expect(countries.map((c) => c.iso3)).toEqual(['MLI', 'TCD', 'HTI']);
    expect(countries[1]!.areas.map((a) => a.pcode)).toEqual(['TCD', 'TD01', 'TD07', 'TD18']);
    expect(countries[1]!.areas[2]).toEqual({ pcode: 'TD07', name: 'Lac', level: 1 });
    const figures = (await get('/api/figures?indicator=idps&country=TCD')) as Item[];
    expect(figures.map((f) => f.area).sort()).toEqual(['TCD', 'TD01', 'TD07', 'TD18']);
    expect(((await get('/api/areas?country=HTI')) as Array<{ pcode: string }>).map((a) => a.pcode)).toEqual(['HT01', 'HT02', 'HT03', 'HT05', 'HT08']);
    const refused = await fetch(new URL('/api/figures?indicator=idps&country=XYZ', explorer.url));
    expect(refused.status).toBe(400);
  });
});
