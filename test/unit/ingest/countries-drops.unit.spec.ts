/**
 * Whole drops read for any country: a real DTM file written with alpha-3 P-codes (Mali, round 72)
 * compared with the independent figures of expected.py, the drop's one country notice, and a
 * user's P-code list (TALLY_PCODES_FILE) loaded in the parse threads.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDrop } from '../../../connectors/open.js';
import { getProfile, loadProfiles } from '../../../connectors/profiles.js';
import type { ObservationRecorded, RowRejected, TallyEvent } from '../../../domain/events.js';
import { placeByPcode } from '../../../domain/places.js';
import { processDrop, type ProcessedDrop, type ProcessOptions } from '../../../ingest/process-drop.js';

const REAL = new URL('../../fixtures/real/', import.meta.url);
const dir = mkdtempSync(join(tmpdir(), 'tally-countries-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const dtm = getProfile('dtm', loadProfiles());

async function ingest(path: string, fileName: string, options: ProcessOptions & { country?: string } = {}): Promise<{ counts: ProcessedDrop; events: TallyEvent[] }> {
  const events: TallyEvent[] = [];
  const ctx = { dropId: 'd1', source: 'dtm', fileName, receivedAt: '2024-01-01T00:00:00Z', country: options.country };
  const counts = await processDrop(await openDrop(path, { fileName }), dtm, ctx, (e) => void events.push(e), options);
  return { counts, events };
}

const observations = (events: TallyEvent[]) => events.filter((e): e is ObservationRecorded => e.type === 'ObservationRecorded');
const rejections = (events: TallyEvent[]) => events.filter((e): e is RowRejected => e.type === 'RowRejected');

describe("a real DTM drop for Mali with DTM's alpha-3 P-codes (baseline assessment round 72)", () => {
  const file = 'hxl-dtm-mali-baseline-assessment-round-72.xlsx';
  type Rollup = [pcode: string, level: string, date: string, indicator: string, sum: number, rows: number, values: number, missing: number, nonNumeric: number];
  const expected = JSON.parse(readFileSync(new URL('expected.json', REAL), 'utf8')) as {
    files: Record<string, { row_count: number; rollups: Record<string, Rollup[]> }>;
  };
  const oracle = expected.files[file]!;
  /** expected.py's HXL indicator keys (attributes sorted) as the pipeline's indicator and unit. */
  const INDICATOR: Record<string, string> = {
    '#affected+hh+idps': 'idp_households|households',
    '#affected+idps+ind': 'idps|individuals',
    '#affected+hh+returnees': 'idp_returnees|households',
    '#affected+ind+returnees': 'idp_returnees|individuals',
  };

  it('reads every cercle P-code MLIxxxx as the COD code MLxxxx, as expected.py lists them', async () => {
    const { counts, events } = await ingest(fileURLPath(file), file);
    // expected.py: row_count and the admin-2 rollups, with the file's own P-codes (alpha-3 form).
    expect(counts.rows).toBe(oracle.row_count);
    expect(counts.accepted + counts.rejected + counts.duplicates).toBe(counts.rows);
    const wanted = new Set(oracle.rollups['#adm2']!.map(([pcode]) => `ML${pcode.slice(3)}`));
    expect(wanted.size).toBe(48);
    expect(new Set(observations(events).map((o) => o.area))).toEqual(wanted);
    for (const pcode of wanted) expect(placeByPcode(pcode), pcode).toMatchObject({ level: 2 });
    // No row is refused for its place: the P-codes decide, all of them known in their alpha-2 form.
    expect(rejections(events).filter((r) => /COD|P-code|--country|of Mali \(name/.test(r.reason))).toEqual([]);
  });

  it("gives each single-commune cercle the figure expected.py sums from the file", async () => {
    const { events } = await ingest(fileURLPath(file), file);
    const got = new Map(observations(events).map((o) => [`${o.area}|${o.indicator}|${o.unit}|${o.period.kind === 'stock' ? o.period.date : ''}`, o.value]));
    // Cercles with several communes are summed (or not) by the HXL mapping, not by places: only
    // the cercles one row describes are compared here, each of the four tagged indicators.
    // The HXL mapping reads three of them: returnee households (#affected+returnees+hh) have no
    // indicator (idp_returnees counts people) and are listed as an ignored column instead.
    const single = oracle.rollups['#adm2']!.filter((r) => r[5] === 1 && r[6] === 1 && r[3] !== '#affected+hh+returnees');
    expect(single.length).toBe(45 * 3);
    for (const [pcode, , date, indicator, sum] of single) {
      const key = `ML${pcode.slice(3)}|${INDICATOR[indicator]}|${date}`;
      expect(got.get(key), key).toBe(sum);
    }
  });

  it('says the country came from the drop and which names differ from their P-code, rows counted', async () => {
    const { counts } = await ingest(fileURLPath(file), file, { country: 'MLI' });
    // Read off the file (rows 18, 23-30 and 31) and the COD list (ML0102 Diema, ML02 Koulikoro, ML1004 Tidermene):
    // DTM's names "Nioro" and "Menaka" sit beside codes the COD gives other cercles.
    expect(counts.notices.filter((n) => n.kind === 'ignored_column').map((n) => n.detail)).toEqual([
      expect.stringContaining('+origin and +dest columns are never the place'),
      expect.stringContaining('"Total No# of Returnees HH#" (#affected+returnees+hh)'),
      expect.stringContaining('admin level 3 ("Admin 3 pcode", "Admin 3"): no admin-3 P-code list of Mali is loaded, so these rows are summed into their admin-2 area'),
    ]);
    expect(counts.notices.filter((n) => n.kind !== 'ignored_column')).toEqual([
      { kind: 'country', detail: 'Mali (MLI), from the column "Admin 0 pcode"', rows: 56 },
      { kind: 'name_mismatch', detail: '"Nioro" is not the name of ML0102 (Diema)', rows: 1 },
      { kind: 'name_mismatch', detail: '"Koulikouro" is not the name of ML02 (Koulikoro)', rows: 8 },
      { kind: 'name_mismatch', detail: '"Menaka" is not the name of ML1004 (Tidermene)', rows: 1 },
    ]);
  });

  it('rejects every row when --country names another country, saying so', async () => {
    const { counts, events } = await ingest(fileURLPath(file), file, { country: 'TCD' });
    expect(counts).toMatchObject({ rows: 56, accepted: 0, rejected: 56, duplicates: 0 });
    expect(rejections(events)[0]!.reason).toBe(`${file} row 3, column "Admin 0 pcode": expected a place in Chad (--country TCD), found "MLI" (the row's country column says Mali)`);
  });
});

function fileURLPath(name: string): string {
  return new URL(name, REAL).pathname;
}

describe("a drop's country notice", () => {
  it('is one notice for the drop, naming each country and where it came from, rows counted', async () => {
    const path = join(dir, 'two-countries.csv');
    writeFileSync(path, ['admin1Name,admin1Pcode,numPresentIdpInd,reportingDate', 'Lac,TD07,100,2020-01-31', 'Batha,TD01,50,2020-01-31', 'West,HT01,7,2020-01-31'].join('\n') + '\n');
    const { counts } = await ingest(path, 'two-countries.csv');
    expect(counts.notices.filter((n) => n.kind === 'country')).toEqual([
      { kind: 'country', detail: 'Chad (TCD), from the P-codes in "admin1Pcode" (2 rows); Haiti (HTI), from the P-codes in "admin1Pcode" (1 row)', rows: 3 },
    ]);
  });
});

describe("a user's P-code list (TALLY_PCODES_FILE) in the parse threads", () => {
  // A newer list of Mali with a region the bundled COD lacks (the code is this test's own).
  const list = join(dir, 'mali-newer.csv');
  writeFileSync(list, ['Location,Admin Level,P-Code,Name,Parent P-Code,Valid from date', 'MLI,1,ML11,Taoudenit,MLI,2024-01-01'].join('\n') + '\n');
  const drop = join(dir, 'taoudenit.csv');
  const days = Array.from({ length: 4000 }, (_, i) => new Date(Date.UTC(2015, 0, 1 + i)).toISOString().slice(0, 10));
  writeFileSync(drop, ['admin1Name,numPresentIdpInd,reportingDate', ...days.map((d, i) => `${i % 2 ? 'Taoudénit' : 'Mopti'},${100 + i},${d}`)].join('\n') + '\n');
  const threaded = (name: string, pcodesFiles?: string[]): ProcessOptions => ({ partitions: 2, spillDir: join(dir, name), threads: 2, parallelMinBytes: 0, pcodesFiles });

  it('is not known to a thread that was not given it', async () => {
    const { counts, events } = await ingest(drop, 'taoudenit.csv', threaded('without'));
    expect(existsSync(join(dir, 'without', 'm1.rejected'))).toBe(true);
    expect(counts).toMatchObject({ rows: 4000, accepted: 2000, rejected: 2000 });
    expect(rejections(events)[0]!.reason).toContain('Taoudénit has no P-code in the COD, where it lies inside Tombouctou (ML06)');
  });

  it('is loaded by each thread before it maps its rows', async () => {
    const { counts, events } = await ingest(drop, 'taoudenit.csv', threaded('with', [list]));
    expect(existsSync(join(dir, 'with', 'm1.rejected'))).toBe(true);
    expect(counts).toMatchObject({ rows: 4000, accepted: 4000, rejected: 0 });
    const areas = observations(events).map((o) => o.area);
    expect(areas.filter((a) => a === 'ML11')).toHaveLength(2000);
    // Both ranges held Taoudénit rows: the thread's range (the first) and this thread's (the last).
    const rowsIn = (a: string) => observations(events).filter((o) => o.area === a).flatMap((o) => o.rows);
    expect(Math.min(...rowsIn('ML11'))).toBeLessThan(100);
    expect(Math.max(...rowsIn('ML11'))).toBeGreaterThan(3900);
  });
});
