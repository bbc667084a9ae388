/**
 * Real public data read right, through the `tally` command: HDX's HXL exports of the DTM API
 * (QuickCharts table, global admin 0-2 table), DTM Mali's Round 72 baseline (XLSX) and IDMC's IDP
 * table, each ingested once, then `tally query --format json` compared with expected.json.
 *
 * How the expected figures were computed: test/fixtures/real/expected.py (Python's standard
 * library only, written without reading or calling this project's code; see SOURCES.md and its
 * docstring) reads the same files and writes expected.json: per (P-code, date, full HXL tag) the
 * plain sum of the rows (`sums`, "nan" and "" missing, "6563.0" read as 6563, the location the most
 * specific non-origin code column), roll-ups to coarser levels (`rollups`, for one-level files),
 * and for DTM-style files one observation per (operation, place, date, round) with the BA copy
 * preferred over SA (`observations_dedup_ba_sa`). What this test derives from them, and why, is
 * said beside each comparison. Counts of identical lines are computed here from the files' text.
 *
 * Another country's rows are read in their own country (a P-code or ISO3 code names it) and DTM's
 * `MLI05` P-codes as the COD's `ML05` (the places work): nothing here is rejected for its place
 * but IDMC's few codes no list has (Abyei AB9, Kosovo XKX…).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectRows } from '../../../adapters/clickhouse.js';
import { quoteString } from '../../../adapters/sql.js';
import type { DropBreakdown } from '../../../domain/events.js';
import { queryFigures } from '../../../projections/queries.js';
import { json, lines, ROOT, runTally, sha256Of, startCliPipeline, type CliPipeline, type TallyRun, type IngestJson } from './harness.js';

const REAL = join(ROOT, 'test/fixtures/real');
const FILES = {
  quickcharts: 'hxl-dtm-data-for-quickcharts.csv',
  global: 'hxl-dtm-global-iom-dtm-from-api-admin-0-to-2.csv',
  r72: 'hxl-dtm-mali-baseline-assessment-round-72.xlsx',
  idmc: 'hxl-idmc-idps-displacement-data.csv',
} as const;
type Name = keyof typeof FILES;
/** One source per file: the QuickCharts table is a subset of the global one, and must not revise it. */
const SOURCE: Record<Name, string> = { quickcharts: 'hdx-dtm-qc', global: 'hdx-dtm', r72: 'dtm', idmc: 'idmc' };

type Summary = IngestJson & { breakdown: DropBreakdown };
interface Item {
  indicator: string;
  area: string;
  date: string;
  value: number;
  source: string;
}
interface Sum {
  pcode: string;
  level: string;
  date: string;
  indicator: string;
  sum: number;
}
interface Obs {
  operation: string;
  level: string;
  pcode: string;
  date: string;
  round: string;
  idps: number | null;
  copies: number;
  copies_agree: boolean;
  SA_rows: number;
}

const expected = (JSON.parse(readFileSync(join(REAL, 'expected.json'), 'utf8')) as { files: Record<string, Record<string, unknown>> }).files;
const oracle = (name: Name) => expected[FILES[name]]!;
function table<T>(rows: unknown[], columns: string[]): T[] {
  return rows.map((r) => Object.fromEntries(columns.map((c, i) => [c, (r as unknown[])[i]])) as T);
}
const sums = (name: Name, from: unknown = oracle(name).sums) => table<Sum>(from as unknown[], oracle(name).sums_columns as string[]);
const observations = (name: Name) => table<Obs>(oracle(name).observations_dedup_ba_sa as unknown[], oracle(name).observations_columns as string[]);

/**
 * The figure the project should give for each (P-code, date) of a DTM-style file: expected.py's
 * BA-preferred observation of the latest round there (the project keeps one round per place and
 * date; expected.py keeps one per operation, and only Haiti 2016-12-31 has two operations).
 */
function latestRound(name: Name): Map<string, number> {
  const best = new Map<string, Obs>();
  for (const o of observations(name)) {
    const key = `${o.pcode}|${o.date}`;
    const held = best.get(key);
    if (o.idps !== null && (!held || Number(o.round) > Number(held.round))) best.set(key, o);
  }
  return new Map([...best].map(([k, o]) => [k, o.idps!]));
}

/** Data lines that repeat an earlier one character for character (after the header and hashtag rows). */
function identicalLines(name: Name): number {
  const data = readFileSync(join(REAL, FILES[name]), 'utf8').split(/\r?\n/).slice(2).filter((l) => l !== '');
  return data.length - new Set(data).size;
}

const total = (counts: Partial<Record<string, number>>) => Object.values(counts).reduce<number>((a, b) => a + (b ?? 0), 0);

function expectOk(run: TallyRun): void {
  expect(run.code, `exit ${run.code}\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`).toBe(0);
}

describe('real HXL exports through tally ingest and tally query', () => {
  let p: CliPipeline;
  const summary = {} as Record<Name, Summary>;
  const profilesDir = mkdtempSync(join(tmpdir(), 'tally-real-profiles-'));
  const priorProfilesDir = process.env.TALLY_PROFILES_DIR;

  /** `tally query --indicator I --source S --format json`, as a map from `area|date` to value. */
  async function query(indicator: string, name: Name, ...args: string[]): Promise<Map<string, number>> {
    const run = await p.tally('query', '--indicator', indicator, '--source', SOURCE[name], '--format', 'json', ...args);
    expectOk(run);
    const items = json<Item[]>(run);
    for (const item of items) expect(item.source).toBe(SOURCE[name]);
    return new Map(items.map((i) => [`${i.area}|${i.date}`, i.value]));
  }

  /** A disaggregated series, which `tally query` does not select: straight from the read model. */
  async function disaggregated(name: Name, key: string): Promise<Map<string, number>> {
    const rows = await queryFigures(p.clickhouse, { indicator: 'idps', source: SOURCE[name], disaggregation: key });
    return new Map(rows.map((r) => [`${r.area}|${r.date}`, r.value]));
  }

  beforeAll(async () => {
    // Sources of their own for the HDX tables and IDMC: the worker in this process and the
    // `tally` subprocesses (which inherit this environment) read profiles from here.
    for (const [id, name] of [
      ['hdx-dtm-qc', 'HDX QuickCharts table of the DTM API'],
      ['hdx-dtm', 'HDX global table of the DTM API, admin 0-2'],
      ['idmc', 'Internal Displacement Monitoring Centre'],
    ]) {
      writeFileSync(join(profilesDir, `${id}.json`), JSON.stringify({ id, name, defaultIndicator: 'idps' }));
    }
    process.env.TALLY_PROFILES_DIR = profilesDir;
    p = await startCliPipeline('realhxl');
    for (const name of Object.keys(FILES) as Name[]) {
      const run = await runTally(['ingest', join(REAL, FILES[name]), '--source', SOURCE[name], '--wait', '--json'], p.env, 300_000);
      expectOk(run);
      expect(lines(run.stdout)).toHaveLength(1);
      summary[name] = json<Summary>(run);
    }
  }, 600_000);

  afterAll(async () => {
    await p?.stop();
    if (priorProfilesDir === undefined) delete process.env.TALLY_PROFILES_DIR;
    else process.env.TALLY_PROFILES_DIR = priorProfilesDir;
  });

  it('accounts for every row of every file, each rejection and duplicate by kind', () => {
    for (const name of Object.keys(FILES) as Name[]) {
      const s = summary[name];
      expect(s.dropId).toBe(sha256Of(join(REAL, FILES[name])));
      expect(s.status).toBe('processed');
      // expected.py's row_count: data rows after the header and hashtag rows.
      expect(s.rows, name).toBe(oracle(name).row_count);
      expect(s.accepted + s.rejected + s.duplicates, name).toBe(s.rows);
      expect(total(s.breakdown.rejected), name).toBe(s.rejected);
      expect(total(s.breakdown.duplicates), name).toBe(s.duplicates);
    }
  });

  it('counts no real row as a duplicate that is not one', () => {
    // No file has a data line that repeats another character for character...
    for (const name of ['quickcharts', 'global', 'idmc'] as const) expect(identicalLines(name), name).toBe(0);
    // ...so no row is a repeated row, and the only duplicates are SA copies of a round with the
    // same count as the BA copy: in expected.py's observations, the SA rows of those that agree.
    for (const name of Object.keys(FILES) as Name[]) expect(summary[name].breakdown.duplicates.repeated_row, name).toBeUndefined();
    expect(summary.quickcharts.duplicates).toBe(0);
    expect(summary.r72.duplicates).toBe(0);
    expect(summary.idmc.duplicates).toBe(0);
    const agreeingSa = observations('global').filter((o) => o.copies > 1 && o.copies_agree).reduce((n, o) => n + o.SA_rows, 0);
    expect(agreeingSa).toBe(20);
    expect(summary.global.duplicates).toBe(agreeingSa);
  });

  it('reads nan as missing and 6563.0 as a whole number: no number in these files is rejected', () => {
    for (const name of Object.keys(FILES) as Name[]) expect(summary[name].breakdown.rejected.invalid_value, name).toBeUndefined();
    // expected.py counted what there is to read right in the QuickCharts table.
    expect(oracle('quickcharts').nan_cells).toBe(75);
    expect(oracle('quickcharts').dot0_numbers).toBe(24);
  });

  it('never files IDPs under the region they fled (+origin), and lists the origin columns', async () => {
    const origins = new Set<string>();
    for (const name of ['quickcharts', 'global'] as const) {
      const columns = oracle(name).columns as Array<{ header: string; tag: string | null }>;
      const originIndex = columns.findIndex((c) => c.tag === '#adm1+code+origin');
      const text = readFileSync(join(REAL, FILES[name]), 'utf8').split(/\r?\n/).slice(2);
      for (const line of text) origins.add(line.split(',')[originIndex] ?? '');
      const [drop] = await selectRows<{ notices: string[] }>(p.clickhouse, `SELECT notices FROM drops FINAL WHERE drop_id = ${quoteString(summary[name].dropId)}`);
      expect(drop!.notices.join('\n')).toContain('+origin and +dest columns are never the place; rows that differ only there are summed: "idpOriginAdmin1Name" (#adm1+name+origin), "idpOriginAdmin1Pcode" (#adm1+code+origin)');
    }
    origins.delete('Not available');
    expect([...origins].filter((c) => /^(AF|HT|TD)\d{2}$/.test(c)).length).toBeGreaterThan(10);
    // Where people are is the country in the QuickCharts table, and an admin 0-2 code in the global one.
    const qc = await query('idps', 'quickcharts');
    for (const key of qc.keys()) expect(['AFG', 'HTI', 'TCD']).toContain(key.split('|')[0]);
    // Every place and date the project gives is one expected.py found in the non-origin code columns.
    const known = latestRound('global');
    for (const key of (await query('idps', 'global')).keys()) expect(known.has(key), key).toBe(true);
  });

  it('QuickCharts table: the figures of expected.py, the latest round where two operations share a date', async () => {
    const s = summary.quickcharts;
    const want = latestRound('quickcharts');
    expect(await query('idps', 'quickcharts')).toEqual(want);
    // The one older round: Haiti 2016-12-31, Hurricane Matthew round 2 beside Earthquake round 28.
    expect(s.breakdown.rejected).toEqual({ older_round: 1 });
    // The sex columns, where the 6563.0-style numbers are: expected.py's plain sums.
    for (const [tag, key] of [
      ['#affected+idps+m', 'sex=m'],
      ['#affected+f+idps', 'sex=f'],
    ] as const) {
      const plain = new Map(sums('quickcharts').filter((x) => x.indicator === tag).map((x) => [`${x.pcode}|${x.date}`, x.sum]));
      expect(plain.size).toBe(12);
      expect(await disaggregated('quickcharts', key)).toEqual(plain);
    }
  });

  it('global admin 0-2 table: a handful of figures per country and level, BA/SA copies settled as expected.py does', async () => {
    const s = summary.global;
    const want = latestRound('global');
    const got = await query('idps', 'global');
    expect(got.size).toBe(want.size);
    // A handful: per country and level, the first and the last date expected.py has.
    const picked: string[] = [];
    for (const country of ['AF', 'HT', 'TD']) {
      for (const level of ['#country', '#adm1', '#adm2']) {
        const keys = observations('global')
          .filter((o) => o.level === level && o.pcode.startsWith(country))
          .map((o) => `${o.pcode}|${o.date}`)
          .sort();
        if (keys.length > 0) picked.push(keys[0]!, keys.at(-1)!);
      }
    }
    expect(picked.length).toBeGreaterThanOrEqual(14);
    for (const key of picked) expect(got.get(key), key).toBe(want.get(key));
    // And all of them.
    expect(got).toEqual(want);
    // expected.py: SA copies that disagree with their BA copy are rejections, never summed.
    const disagreeingSa = observations('global').filter((o) => o.copies > 1 && !o.copies_agree).reduce((n, o) => n + o.SA_rows, 0);
    expect(s.breakdown).toEqual({ duplicates: { assessment_copy: 20 }, rejected: { copy_mismatch: disagreeingSa, older_round: 1 } });
  });

  it('Mali Round 72: 401,736 IDPs, each cercle as expected.py rolls the communes up', async () => {
    const s = summary.r72;
    const idps = sums('r72').filter((x) => x.indicator === '#affected+idps+ind');
    expect(idps.reduce((n, x) => n + x.sum, 0)).toBe(401_736);
    const cod = (pcode: string) => pcode.replace(/^MLI/, 'ML');
    // expected.py's roll-up to admin 2: the communes (admin 3, no P-code list) summed per cercle.
    const rollup = (tag: string) => new Map(sums('r72', (oracle('r72').rollups as Record<string, unknown>)['#adm2']).filter((x) => x.indicator === tag).map((x) => [`${cod(x.pcode)}|${x.date}`, x.sum]));
    const got = await query('idps', 'r72');
    expect(got).toEqual(rollup('#affected+idps+ind'));
    expect(got.size).toBe(48);
    expect([...got.values()].reduce((a, b) => a + b, 0)).toBe(401_736);
    expect(await query('idp_households', 'r72')).toEqual(rollup('#affected+hh+idps'));
    expect(s).toMatchObject({ accepted: 56, rejected: 0, duplicates: 0 });
  });

  it('IDMC: Mali every year, the conflict and disaster stocks of expected.py added up', async () => {
    const stock = (pcode: string) => {
      const out = new Map<string, number>();
      for (const x of sums('idmc')) {
        if (x.pcode !== pcode || !['#affected+conflict+idps+ind+stock', '#affected+disaster+idps+ind+stock'].includes(x.indicator)) continue;
        const key = `${pcode}|${x.date}-12-31`;
        out.set(key, (out.get(key) ?? 0) + x.sum);
      }
      return out;
    };
    const mali = stock('MLI');
    expect(mali.get('MLI|2021-12-31')).toBe(350_000);
    expect(await query('idps', 'idmc', '--area', 'MLI')).toEqual(mali);
    // Mali's rows without a stock (2008-2011: new displacements only) are rejections with no value
    // (read from the table: `tally rejections` lists the first 1,000 and Mali's rows come later).
    const maliRows = readFileSync(join(REAL, FILES.idmc), 'utf8').split(/\r?\n/).flatMap((l, i) => (l.startsWith('MLI,') ? [i + 1] : []));
    expect(maliRows).toHaveLength(14);
    const maliRejected = await selectRows<{ kind: string }>(
      p.clickhouse,
      `SELECT kind FROM rejections FINAL WHERE drop_id = ${quoteString(summary.idmc.dropId)} AND row IN (${maliRows.join(', ')}) ORDER BY row`,
    );
    expect(maliRejected.map((r) => r.kind)).toEqual(Array(maliRows.length - mali.size).fill('no_value'));
    // `tally rejections` gives every rejection its kind, in one line.
    const run = await p.tally('rejections', '--drop', summary.idmc.dropId, '--json');
    expectOk(run);
    const rejections = json<Array<{ row: number; kind: string; reason: string }>>(run);
    expect(rejections.length).toBeGreaterThan(500);
    for (const r of rejections) {
      expect(['no_value', 'unknown_place']).toContain(r.kind);
      expect(r.reason).not.toContain('\n');
    }
    const text = await p.tally('rejections', '--drop', summary.idmc.dropId);
    expectOk(text);
    // Without --json: drop, kind, then the reason, one line each.
    const shown = lines(text.stdout);
    expect(shown).toHaveLength(rejections.length);
    shown.forEach((line, i) => {
      expect(line).toMatch(/^[0-9a-f]{12} {2}(no_value|unknown_place) +hxl-idmc-idps-displacement-data\.csv row \d+, column "/);
      expect(line.split(/ +/)[1]).toBe(rejections[i]!.kind);
    });
  });

  it('IDMC: Burkina Faso, Niger and Chad as expected.py adds their stocks', async () => {
    for (const iso3 of ['BFA', 'NER', 'TCD']) {
      const want = new Map<string, number>();
      for (const x of sums('idmc')) {
        if (x.pcode !== iso3 || !['#affected+conflict+idps+ind+stock', '#affected+disaster+idps+ind+stock'].includes(x.indicator)) continue;
        want.set(`${iso3}|${x.date}-12-31`, (want.get(`${iso3}|${x.date}-12-31`) ?? 0) + x.sum);
      }
      expect(want.size, iso3).toBeGreaterThan(3);
      expect(await query('idps', 'idmc', '--area', iso3), iso3).toEqual(want);
    }
  });
});
