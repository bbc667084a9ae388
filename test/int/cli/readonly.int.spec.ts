/**
 * Who may do what, through the real `tally` subprocess on the real engines: the read commands
 * need read rights only and create nothing, a read before any data says so in one line, the
 * local writer needs its generated password, and `status` shows no secret.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectRows, toNumber } from '../../../adapters/clickhouse.js';
import { MALI, json, lines, runTally, startCliPipeline, type CliPipeline, type TallyRun } from './harness.js';

const DTM = join(MALI, 'dtm-mali-r47-2019-07-31.csv');
const READS = [
  ['query', '--indicator', 'idps', '--format', 'json'],
  ['discrepancies', '--json'],
  ['rejections', '--json'],
];

function expectOneLine(run: TallyRun, message: RegExp): void {
  expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(1);
  const [line, ...more] = lines(run.stderr);
  expect(more, run.stderr).toEqual([]);
  expect(line).toMatch(message);
  expect(line!.length).toBeLessThanOrEqual(300);
  expect(run.stdout).toBe('');
}

describe('read rights, passwords and secrets', () => {
  let p: CliPipeline;
  let asAnalyst: Record<string, string>;

  beforeAll(async () => {
    p = await startCliPipeline('clireadonly');
    const analyst = p.config.stack.clickhouse.analyst;
    if (!analyst) throw new Error('expected the local stack to define the read-only analyst user');
    asAnalyst = { ...p.env, CLICKHOUSE_USER: analyst.username, CLICKHOUSE_PASSWORD: analyst.password };
    const run = await p.tally('ingest', DTM, '--source', 'dtm', '--wait', '--json');
    expect(run.code, run.stderr).toBe(0);
  });
  afterAll(async () => {
    await p?.stop();
  });

  async function databaseExists(name: string): Promise<boolean> {
    const rows = await selectRows<{ n: string }>(p.clickhouse, `SELECT count() AS n FROM system.databases WHERE name = '${name}'`);
    return toNumber(rows[0]?.n) > 0;
  }

  it.each(READS)('%s runs as the read-only analyst (CLICKHOUSE_USER=analyst)', async (...args) => {
    const run = await runTally(args, asAnalyst);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).not.toMatch(/readonly/i);
    expect(Array.isArray(json<unknown[]>(run))).toBe(true);
  });

  it('query as the analyst answers what the writer answers', async () => {
    const [writer, analyst] = await Promise.all([p.tally(...READS[0]!), runTally(READS[0]!, asAnalyst)]);
    expect(writer.code).toBe(0);
    expect(json<unknown[]>(analyst)).toEqual(json<unknown[]>(writer));
    expect(json<unknown[]>(analyst).length).toBeGreaterThan(0);
  });

  it.each(READS)('%s before any data: "no data yet" in one line, exit 1, and nothing created', async (...args) => {
    const database = `nodata_${randomBytes(4).toString('hex')}`;
    for (const env of [
      { ...asAnalyst, CLICKHOUSE_DATABASE: database },
      { ...p.env, CLICKHOUSE_DATABASE: database },
    ]) {
      const run = await runTally(args, env);
      expectOneLine(run, new RegExp(`^tally: no data yet: ClickHouse at http://127\\.0\\.0\\.1:\\d+ has no database ${database} \\(run tally up / ingest first\\)$`));
    }
    // Even the writer's read created nothing: migrations run where the writer's worker runs.
    expect(await databaseExists(database)).toBe(false);
  });

  it('a database without tables: "no data yet" names the table', async () => {
    const database = `empty_${randomBytes(4).toString('hex')}`;
    await p.clickhouse.command({ query: `CREATE DATABASE ${database}` });
    try {
      const run = await runTally(READS[0]!, { ...asAnalyst, CLICKHOUSE_DATABASE: database });
      expectOneLine(run, new RegExp(`^tally: no data yet: .* has no table ${database}\\.\\w+ \\(run tally up / ingest first\\)$`));
    } finally {
      await p.clickhouse.command({ query: `DROP DATABASE IF EXISTS ${database}` });
    }
  });

  it('the local writer has a generated password: without it ClickHouse refuses, with it it answers', async () => {
    const { url, username, password } = p.config.stack.clickhouse;
    expect(username).toBe('default');
    expect(password.length).toBeGreaterThanOrEqual(24);
    const open = createClient({ url, username: 'default', password: '' });
    try {
      await expect(open.query({ query: 'SELECT 1', format: 'JSONEachRow' })).rejects.toThrow(/password|authentication|Code: 19[23]/i);
    } finally {
      await open.close();
    }
    const writer = createClient({ url, username, password });
    try {
      expect(await (await writer.query({ query: 'SELECT 1 AS one', format: 'JSONEachRow' })).json()).toEqual([{ one: 1 }]);
    } finally {
      await writer.close();
    }
  });

  it('the analyst may read but not write', async () => {
    const analyst = p.config.stack.clickhouse.analyst!;
    const client = createClient({ url: p.config.stack.clickhouse.url, username: analyst.username, password: analyst.password, database: p.config.stack.clickhouse.database });
    try {
      await expect(client.command({ query: 'CREATE DATABASE IF NOT EXISTS analyst_was_here' })).rejects.toThrow(/readonly/i);
      await expect(client.command({ query: "INSERT INTO rejections (event_id) VALUES ('x')" })).rejects.toThrow(/readonly/i);
    } finally {
      await client.close();
    }
  });

  it('status --json shows the settings without the writer\'s or the analyst\'s password', async () => {
    const run = await p.tally('status', '--json');
    expect(run.code, run.stderr).toBe(0);
    const status = json<{ engines: { clickhouse: { username: string; password: string; analyst?: { password: string } } } }>(run);
    expect(status.engines.clickhouse.username).toBe('default');
    expect(status.engines.clickhouse.password).toBe('***');
    expect(run.stdout).not.toContain(p.config.stack.clickhouse.password);
    expect(run.stderr).not.toContain(p.config.stack.clickhouse.password);
  });

  it('status shows a ClickHouse URL without the password in it', async () => {
    const { url, password } = p.config.stack.clickhouse;
    const withCredentials = url.replace('http://', `http://default:${password}@`);
    const run = await runTally(['status'], { ...p.env, CLICKHOUSE_URL: withCredentials });
    expect(run.stdout).toMatch(/ClickHouse\s+http:\/\/default:\*\*\*@127\.0\.0\.1:\d+/);
    expect(run.stdout + run.stderr).not.toContain(password);
  });
});
