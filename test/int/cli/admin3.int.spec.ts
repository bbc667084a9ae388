/**
 * Admin-3 rows through the real `tally` command, with a user's admin-3 list (TALLY_PCODES_FILE)
 * read by the worker and by `tally query`: IOM DTM Mali baseline assessment round 72 (the real
 * HDX XLSX in test/fixtures/real/, one row per commune) is kept at level 3.
 *
 * The list and the figures come from test/fixtures/real/expected.json, which expected.py computes
 * from the same file with Python's standard library: `adm3_places` (each commune's code, name and
 * admin-2 code, read off the file; written here in the COD's alpha-2 form, ML090101 for DTM's
 * MLI090101) and `sums` (per commune, date and indicator).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPipeline, type TestPipeline } from '../../support/pipeline.js';
import { json, ROOT, runTally, tallyEnv, type TallyRun } from './harness.js';

const REAL = join(ROOT, 'test/fixtures/real');
const FILE = 'hxl-dtm-mali-baseline-assessment-round-72.xlsx';
type Sum = [pcode: string, level: string, date: string, indicator: string, sum: number | null];
const ORACLE = (JSON.parse(readFileSync(join(REAL, 'expected.json'), 'utf8')) as { files: Record<string, { sums: Sum[]; adm3_places: Array<[string, string, string]> }> }).files[FILE]!;
const cod = (dtmCode: string) => `ML${dtmCode.slice(3)}`;

const dir = mkdtempSync(join(tmpdir(), 'tally-cli-adm3-'));
const LIST = join(dir, 'mli-adm3.csv');
writeFileSync(LIST, ['Location,Admin Level,P-Code,Name,Parent P-Code', ...ORACLE.adm3_places.map(([code, name, parent]) => `MLI,3,${cod(code)},"${name}",${cod(parent)}`)].join('\n') + '\n');

interface Item {
  area: string;
  date: string;
  value: number;
}

describe('admin-3 rows with a user admin-3 list (TALLY_PCODES_FILE)', () => {
  let p: TestPipeline;
  let tally: (...args: string[]) => Promise<TallyRun>;
  let ingested: TallyRun;

  beforeAll(async () => {
    p = await startPipeline('cliadm3', { config: { landingDir: join(dir, 'landing'), pcodesFiles: [LIST] } });
    const env = tallyEnv(p.config);
    expect(env.TALLY_PCODES_FILE).toBe(LIST);
    tally = (...args) => runTally(args, env);
    ingested = await tally('ingest', join(REAL, FILE), '--source', 'dtm', '--wait', '--json');
  });
  afterAll(async () => {
    await p?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('accepts the 56 commune rows, with no notice of rows summed into their cercle', () => {
    expect(ingested.code, ingested.stderr).toBe(0);
    const summary = json<{ rows: number; accepted: number; rejected: number; notices?: string[] }>(ingested);
    expect(summary).toMatchObject({ rows: 56, accepted: 56, rejected: 0 });
    expect((summary.notices ?? []).filter((n) => n.includes('admin level 3'))).toEqual([]);
  });

  it("queries Mali's IDPs at the communes, each as expected.py sums it", async () => {
    const run = await tally('query', '--indicator', 'idps', '--country', 'MLI', '--source', 'dtm', '--format', 'json');
    expect(run.code, run.stderr).toBe(0);
    const got = json<Item[]>(run).map((f) => `${f.area} ${f.date} ${f.value}`);
    const want = ORACLE.sums.filter((s) => s[3] === '#affected+idps+ind' && s[4] !== null).map(([pcode, , date, , sum]) => `${cod(pcode)} ${date} ${sum}`);
    expect(want).toHaveLength(56);
    expect(got.sort()).toEqual(want.sort());
    // Commune I of Bamako's district (ML090101): 283 IDPs on 2021-09-30, by code and by name.
    expect(json<Item[]>(await tally('query', '--indicator', 'idps', '--area', 'ML090101', '--format', 'json'))).toEqual([expect.objectContaining({ area: 'ML090101', date: '2021-09-30', value: 283 })]);
    expect(json<Item[]>(await tally('query', '--indicator', 'idps', '--area', 'Commune I', '--format', 'json'))).toEqual([expect.objectContaining({ area: 'ML090101', value: 283 })]);
  });
});
