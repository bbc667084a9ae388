/** `tally ingest` as a user runs it: the JSON summary, idempotence, and exit 2 for unusable drops. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestWorkflowId } from '../../../workflows/index.js';
import { MALI, json, lines, sha256Of, startCliPipeline, type CliPipeline, type IngestJson } from './harness.js';

const DTM = join(MALI, 'dtm-mali-r47-2019-07-31.csv');
const SUMMARY_FIELDS = ['dropId', 'source', 'rows', 'accepted', 'rejected', 'duplicates', 'revisions', 'discrepancies'];

type Summary = IngestJson;

const dir = mkdtempSync(join(tmpdir(), 'tally-cli-drops-'));
function drop(name: string, bytes: string | Buffer): string {
  const file = join(dir, name);
  writeFileSync(file, bytes);
  return file;
}

describe('tally ingest', () => {
  let p: CliPipeline;
  beforeAll(async () => {
    p = await startCliPipeline('cliingest');
  });
  afterAll(async () => {
    await p?.stop();
  });

  let first: Summary;

  it('--wait --json prints one JSON object whose counts add up, keyed by the sha256 of the bytes', async () => {
    const run = await p.tally('ingest', DTM, '--source', 'dtm', '--wait', '--json');
    expect(run.code, run.stderr).toBe(0);
    expect(lines(run.stdout)).toHaveLength(1);
    first = json<Summary>(run);
    expect(Object.keys(first)).toEqual(expect.arrayContaining(SUMMARY_FIELDS));
    for (const field of SUMMARY_FIELDS.slice(2)) expect(typeof first[field as keyof Summary], field).toBe('number');
    expect(first.dropId).toBe(sha256Of(DTM));
    expect(first.source).toBe('dtm');
    expect(first.rows).toBeGreaterThan(0);
    expect(first.accepted).toBeGreaterThan(0);
    expect(first.accepted + first.rejected + first.duplicates).toBe(first.rows);
  });

  it('the same file again is the same drop, the same counts, and one workflow', async () => {
    const run = await p.tally('ingest', DTM, '--source', 'dtm', '--wait', '--json');
    expect(run.code, run.stderr).toBe(0);
    const again = json<Summary>(run);
    expect(again).toEqual(first);
    const workflowId = ingestWorkflowId(first.dropId, p.config.workflowIdPrefix);
    const runs: string[] = [];
    for await (const execution of p.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) runs.push(execution.runId);
    expect(runs).toHaveLength(1);
  });

  it.each([
    ['an empty file', () => drop('dtm-empty.csv', ''), /is empty/],
    ['a binary file', () => drop('dtm-binary.csv', Buffer.from([0x00, 0xff, 0x13, 0x37, 0x00, 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x01])), /binary/],
    ['a CSV with no recognisable columns', () => drop('dtm-foo.csv', 'foo,bar\n1,2\n'), /no recognisable value column.*found headers "foo", "bar"/],
  ])('exits 2 for %s and says why in one line on stderr', async (_what, make, why) => {
    const file = make();
    const run = await p.tally('ingest', file, '--source', 'dtm', '--wait', '--json');
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(2);
    const [reason, ...more] = lines(run.stderr);
    expect(more, run.stderr).toEqual([]);
    expect(reason).toMatch(/^tally: /);
    expect(reason).toMatch(why);
    expect(reason).toContain(basename(file));
    // stdout keeps the contract's one JSON object, the drop marked refused with the same reason.
    expect(lines(run.stdout)).toHaveLength(1);
    const summary = json<Summary & { status: string; reason: string }>(run);
    expect(summary).toMatchObject({ dropId: sha256Of(file), source: 'dtm', status: 'refused' });
    expect(`tally: ${summary.reason}`).toBe(reason);
    expect(summary.accepted + summary.rejected + summary.duplicates).toBe(summary.rows);

    // Without --json the progress lines come first and the reason is the last line, the only one from tally.
    const plain = await p.tally('ingest', file, '--source', 'dtm', '--wait');
    expect(plain.code).toBe(2);
    const stderr = lines(plain.stderr);
    expect(stderr.filter((l) => l.startsWith('tally: '))).toEqual([reason]);
    expect(stderr.at(-1)).toBe(reason);
    expect(plain.stderr).not.toMatch(/\n\s+at /);
  });

  it('exits 2 for a missing file, naming it', async () => {
    const missing = join(dir, 'no-such-drop.csv');
    const run = await p.tally('ingest', missing, '--source', 'dtm', '--wait', '--json');
    expect(run.code).toBe(2);
    expect(lines(run.stderr)).toEqual([`tally: ${missing}: no such file`]);
    expect(run.stdout).toBe('');
  });

  it('refuses an unknown --source, naming the valid ones', async () => {
    const run = await p.tally('ingest', DTM, '--source', 'nosuchsource', '--wait');
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/unknown source "nosuchsource"/);
    for (const id of ['dtm', 'cmp', 'unhcr']) expect(run.stderr).toContain(id);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});
