/**
 * `tally run examples/mali` as a user runs it: stdout is the report and nothing else (no JSON log
 * line, no alert payload), the JSON logs and the alert lines go to the log file, and the report
 * says where the alerts went. The engines are the test's (TALLY_STACK=external); the worker and
 * the projections are the command's own.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPipeline, type TestPipeline } from '../../support/pipeline.js';
import { MALI, lines, runTally, tallyEnv, type TallyRun } from './harness.js';

const LOG_FILE = join(mkdtempSync(join(tmpdir(), 'tally-run-')), 'tally.log');
const SECTIONS = ['DROPS', 'RECONCILED FIGURES', 'DISCREPANCIES', 'REJECTED ROWS', 'ALERTS'];

/** A line that is a JSON object: a log line or an alert payload. */
function isJsonLine(line: string): boolean {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null;
  } catch {
    return false;
  }
}

describe('tally run examples/mali', () => {
  let p: TestPipeline;
  let run: TallyRun;

  beforeAll(async () => {
    // Only the scope (topics, database, task queue): `tally run` starts its own worker and projections.
    p = await startPipeline('clirun', { worker: false, config: { alerts: { log: true } } });
    run = await runTally(['run', MALI], { ...tallyEnv(p.config), TALLY_LOG_FILE: LOG_FILE }, 300_000);
  }, 320_000);
  afterAll(async () => {
    await p?.stop();
  });

  it('exits 0 and prints the report alone on stdout: its five parts, no JSON line', () => {
    expect(run.code, run.stderr.slice(-2000)).toBe(0);
    const out = lines(run.stdout);
    expect(out[0]).toBe('DROPS');
    const headings = out.filter((l) => /^[A-Z][A-Z ]+( \(|$)/.test(l)).map((l) => SECTIONS.find((s) => l.startsWith(s)));
    expect(headings).toEqual(SECTIONS);
    expect(out.filter((l) => isJsonLine(l) || l.includes('"level":') || l.includes('"text":'))).toEqual([]);
    // The progress goes to stderr, also as plain lines.
    expect(run.stderr).toMatch(/\[7\/7\] ingesting/);
    expect(lines(run.stderr).filter(isJsonLine)).toEqual([]);
  });

  it('says in the report how many discrepancies were alerted and to which log file, where their lines are', () => {
    const m = /^ALERTS \((\d+) new discrepancies\)$/m.exec(run.stdout);
    expect(m, run.stdout).not.toBeNull();
    const alerted = Number(m![1]);
    expect(alerted).toBeGreaterThan(0);
    expect(run.stdout).toContain(`- ${alerted} to the log file ${LOG_FILE}, one JSON line each`);
    const log = lines(readFileSync(LOG_FILE, 'utf8'));
    expect(log.filter((l) => l.includes('"alert":"DiscrepancyDetected"'))).toHaveLength(alerted);
    // The pipeline's JSON logs went there too, every one a JSON object.
    for (const l of log) expect(() => JSON.parse(l) as unknown, l).not.toThrow();
    expect(log.filter((l) => l.includes('"msg":"drop published"'))).toHaveLength(7);
    expect(run.stderr).toContain(`logs and alert lines: ${LOG_FILE}`);
  });

  it("counts the same discrepancies in the report's DROPS table as in its ALERTS part", () => {
    const table = run.stdout.split('\n\n')[0]!.split('\n').slice(3);
    const sum = table.reduce((n, row) => n + Number(row.trim().split(/\s+/).at(-1)), 0);
    expect(run.stdout).toContain(`ALERTS (${sum} new discrepancies)`);
  });
});
