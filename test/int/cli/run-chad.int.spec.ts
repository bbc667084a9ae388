/**
 * `tally run examples/chad`: real DTM API v3 answers for Chad (national, provinces, departments),
 * copied from OCHA-DAP/hdx-scraper-iom-dtm (test/fixtures/real/SOURCES.md). The report must show
 * Chad's figures, one per place and date of the operation "Lake Chad Basin Crisis", and the total
 * of each place and date (Chad has that one operation, so each total is its figure).
 *
 * The expected figures are test/fixtures/real/expected.json, which expected.py computes from the
 * same files with Python's standard library only: one observation per (operation, P-code,
 * reporting date, round), rows differing by displacement reason or origin summed, the BA copy
 * counted when a round has BA and SA copies; totals_over_operations, per P-code and date the sum
 * of the operations' observations.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPipeline, type TestPipeline } from '../../support/pipeline.js';
import { ROOT, runTally, tallyEnv, type TallyRun } from './harness.js';

const CHAD = join(ROOT, 'examples/chad');
const FILES = ['dtm-v3-displacement-admin0-admin0pcode-tcd.json', 'dtm-v3-displacement-admin1-admin0pcode-tcd.json', 'dtm-v3-displacement-admin2-admin0pcode-tcd.json'];

interface Observation {
  operation: string;
  pcode: string;
  date: string;
  idps: number | null;
}
interface Total {
  pcode: string;
  date: string;
  idps: number | null;
}
const EXPECTED = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/real/expected.json'), 'utf8')) as {
  files: Record<string, { observations: Observation[]; totals_over_operations: Total[] }>;
};

/** The rows of the report's RECONCILED FIGURES table, cells split on the table's runs of 2+ spaces. */
function figureRows(report: string): string[][] {
  const section = report.split('\n\n').find((part) => part.startsWith('RECONCILED FIGURES'));
  expect(section, report).toBeDefined();
  return section!
    .split('\n')
    .slice(3)
    .map((line) => line.split(/ {2,}/));
}

describe('tally run examples/chad', () => {
  let p: TestPipeline;
  let run: TallyRun;

  beforeAll(async () => {
    p = await startPipeline('clichad', { worker: false });
    run = await runTally(['run', CHAD], tallyEnv(p.config), 240_000);
  }, 260_000);
  afterAll(async () => {
    await p?.stop();
  });

  it('exits 0 and ingests the three drops', () => {
    expect(run.code, run.stderr.slice(-2000)).toBe(0);
    expect(run.stderr).toMatch(/\[3\/3\] ingesting dtm-v3-displacement-admin2-admin0pcode-tcd\.json/);
  });

  it("lists every figure of Chad's drops in RECONCILED FIGURES, with its operation, and each total, as expected.py computes them", () => {
    const header = run.stdout.split('\n').find((l) => l.startsWith('indicator  place'));
    expect(header).toMatch(/^indicator\s+place\s+operation\s+date\/period\s+value\s+sources$/);
    const got = figureRows(run.stdout).map(([indicator, place, operation, date, value, sources]) => `${indicator} ${place!.replace(/^.*\((\w+)\)$/, '$1')} ${operation} ${date} ${value} ${sources}`);
    const line = (pcode: string, operation: string, date: string, idps: number | null) => {
      const n = idps!.toLocaleString('en-US');
      return `idps ${pcode} ${operation} ${date} ${n} dtm=${n}`;
    };
    const ofOperation = FILES.flatMap((f) => EXPECTED.files[f]!.observations).map((o) => line(o.pcode, o.operation.toLowerCase(), o.date, o.idps));
    const totals = FILES.flatMap((f) => EXPECTED.files[f]!.totals_over_operations).map((t) => line(t.pcode, '(total)', t.date, t.idps));
    // 24 national figures, 24 for Lac (TD07), 72 for its three departments; as many totals.
    expect(ofOperation).toHaveLength(120);
    expect(totals).toHaveLength(120);
    expect(got.sort()).toEqual([...ofOperation, ...totals].sort());
    // Round 24 (2025-01-31), the latest national figure, by name and as the total.
    expect(run.stdout).toMatch(/^idps\s+Chad \(TCD\)\s+lake chad basin crisis\s+2025-01-31\s+225,689\s+dtm=225,689$/m);
    expect(run.stdout).toMatch(/^idps\s+Chad \(TCD\)\s+\(total\)\s+2025-01-31\s+225,689\s+dtm=225,689$/m);
  });
});
