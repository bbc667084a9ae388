/**
 * The read side of the command-line contract, through the real `tally` subprocess: query in its
 * four formats, as-of across a revision, discrepancies, rejections and status.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MALI, json, lines, runTally, sha256Of, startCliPipeline, type CliPipeline, type TallyRun, type FigureJson } from './harness.js';

const DTM = join(MALI, 'dtm-mali-r47-2019-07-31.csv');
const CMP = join(MALI, 'cmp-pdi-2020-03-31.csv');
const CMP_REVISION = join(MALI, 'cmp-pdi-2020-03-31-revision.csv');

type Item = FigureJson;

function expectOk(run: TallyRun): void {
  expect(run.code, `exit ${run.code}\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`).toBe(0);
}

/** An error a person can act on: one line, prefixed by the command, no stack trace. */
function expectRefused(run: TallyRun, message: RegExp): void {
  expect(run.code).not.toBe(0);
  expect(run.code).not.toBeNull();
  expect(lines(run.stderr), run.stderr).toHaveLength(1);
  expect(run.stderr).toMatch(/^tally: /);
  expect(run.stderr).toMatch(message);
  expect(run.stderr).not.toMatch(/\n\s+at /);
  expect(run.stdout).toBe('');
}

function expectContractShape(item: Item, origin: 'source' | 'sources'): void {
  const when = item.date !== undefined ? ['date'] : ['periodStart', 'periodEnd'];
  expect(Object.keys(item).sort()).toEqual(['indicator', 'area', ...when, 'value', origin].sort());
  expect(typeof item.value).toBe('number');
  expect(item.area).toMatch(/^(MLI|ML\d{2}|ML\d{4})$/);
  if (item.date !== undefined) expect(item.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
}

describe('tally query, discrepancies, rejections and status on the dtm and cmp example drops', () => {
  let p: CliPipeline;
  const dropIds = { dtm: sha256Of(DTM), cmp: sha256Of(CMP), revision: sha256Of(CMP_REVISION) };
  const query = (...args: string[]) => p.tally('query', '--indicator', 'idps', ...args);

  beforeAll(async () => {
    p = await startCliPipeline('clicontract');
    for (const [file, source] of [
      [DTM, 'dtm'],
      [CMP, 'cmp'],
    ] as const) {
      const run = await p.tally('ingest', file, '--source', source, '--wait', '--json');
      expectOk(run);
      expect(json<{ dropId: string }>(run).dropId).toBe(sha256Of(file));
    }
  });
  afterAll(async () => {
    await p?.stop();
  });

  it('query --format json prints reconciled figures with the sources behind each', async () => {
    const run = await query('--format', 'json');
    expectOk(run);
    const items = json<Item[]>(run);
    expect(Array.isArray(items)).toBe(true);
    expect(items.length).toBeGreaterThan(0);
    for (const item of items) {
      expectContractShape(item, 'sources');
      expect(item.indicator).toBe('idps');
      expect(Object.keys(item.sources!).length).toBeGreaterThan(0);
      for (const source of Object.keys(item.sources!)) expect(['dtm', 'cmp']).toContain(source);
    }
    const mopti = items.filter((i) => i.area === 'ML05').map((i) => [i.date, i.value, i.sources]);
    expect(mopti).toContainEqual(['2020-03-31', 73450, { cmp: 73450 }]);
    expect(mopti.map(([date]) => date)).toContain('2019-07-31');
  });

  it('query --source dtm prints that source\'s own figures, each with source instead of sources', async () => {
    const run = await query('--source', 'dtm', '--format', 'json');
    expectOk(run);
    const items = json<Item[]>(run);
    expect(items.length).toBeGreaterThan(0);
    for (const item of items) {
      expectContractShape(item, 'source');
      expect(item.source).toBe('dtm');
      expect(item.date).toBe('2019-07-31');
    }
  });

  it('--area takes a place name or its P-code, with the same answer', async () => {
    const [byName, byCode] = await Promise.all([query('--area', 'Mopti', '--format', 'json'), query('--area', 'ML05', '--format', 'json')]);
    expectOk(byName);
    expectOk(byCode);
    expect(byName.stdout).toBe(byCode.stdout);
    const items = json<Item[]>(byCode);
    expect(items.length).toBeGreaterThanOrEqual(2);
    expect(new Set(items.map((i) => i.area))).toEqual(new Set(['ML05']));
  });

  it('--format csv, sdmx and table print the same figures in their own shapes', async () => {
    const inFormat = (format: string) => query('--area', 'ML05', '--format', format);
    const [asJson, csv, sdmx, table] = await Promise.all([inFormat('json'), inFormat('csv'), inFormat('sdmx'), inFormat('table')]);
    for (const run of [asJson, csv, sdmx, table]) expectOk(run);
    const items = json<Item[]>(asJson);

    const csvLines = lines(csv.stdout);
    expect(csvLines[0]).toBe('indicator,area,date,period_start,period_end,value,unit,source,sources');
    expect(csvLines).toHaveLength(items.length + 1);
    expect(csvLines).toContain('idps,ML05,2020-03-31,,,73450,individuals,,cmp=73450');

    const sdmxLines = lines(sdmx.stdout);
    expect(sdmxLines[0]).toMatch(/^DATAFLOW,/);
    const header = sdmxLines[0]!.split(',');
    expect(header).toContain('OBS_VALUE');
    expect(sdmxLines).toHaveLength(items.length + 1);
    const row = sdmxLines.map((l) => l.split(',')).find((cells) => cells[header.indexOf('TIME_PERIOD')] === '2020-03-31');
    expect(row?.[header.indexOf('OBS_VALUE')]).toBe('73450');
    expect(row?.[header.indexOf('REF_AREA')]).toBe('ML05');

    const tableLines = lines(table.stdout);
    expect(tableLines[0]!.split(/\s{2,}/)).toEqual(['indicator', 'area', 'date/period', 'value', 'sources']);
    expect(tableLines[1]).toMatch(/^-+(\s+-+){4}$/);
    expect(tableLines).toHaveLength(items.length + 2);
    expect(tableLines.find((l) => l.includes('2020-03-31'))).toMatch(/idps\s+Mopti \(ML05\)\s+2020-03-31\s+73,450\s+cmp=73450/);
  });

  it('refuses injection attempts and malformed inputs with a clear message, before any SQL', async () => {
    const [area, indicator, unknown, asOf, format] = await Promise.all([
      query('--area', "ML05' OR 1=1 --", '--format', 'json'),
      p.tally('query', '--indicator', "idps' OR '1'='1", '--format', 'json'),
      p.tally('query', '--indicator', 'nosuch'),
      query('--as-of', "2020-01-01' OR 1=1 --"),
      query('--format', 'xml'),
    ]);
    expectRefused(area, /--area: expected a P-code \(ML05\) or a place name \(Mopti\), found "ML05' OR 1=1 --"/);
    expectRefused(indicator, /indicator: expected a code/);
    expectRefused(unknown, /indicator: expected an indicator, one of idps, .*, found "nosuch"/);
    expect(unknown.code).toBe(1);
    expectRefused(asOf, /asOf: expected an ISO date-time/);
    expect(format.code).not.toBe(0);
    expect(format.stderr).toMatch(/'xml' is invalid\. Allowed choices are table, json, csv, sdmx/);
  });

  it('--as-of answers as known before the revision; without it, the revised value', async () => {
    // Record times have second precision: take a whole second after the cmp drop, and ingest the
    // revision only once the clock is past it.
    const asOfMs = Math.floor(Date.now() / 1000) * 1000;
    const asOf = new Date(asOfMs).toISOString().replace('.000Z', 'Z');
    while (Date.now() < asOfMs + 1100) await new Promise((r) => setTimeout(r, 50));

    const revision = await p.tally('ingest', CMP_REVISION, '--source', 'cmp', '--wait', '--json');
    expectOk(revision);
    const summary = json<{ dropId: string; revisions: number; rows: number; accepted: number; rejected: number; duplicates: number }>(revision);
    expect(summary.dropId).toBe(dropIds.revision);
    expect(summary.revisions).toBeGreaterThanOrEqual(1);
    expect(summary.accepted + summary.rejected + summary.duplicates).toBe(summary.rows);

    const valueOn = (run: TallyRun) => {
      expectOk(run);
      const items = json<Item[]>(run);
      for (const item of items) expectContractShape(item, 'source');
      return items.find((i) => i.date === '2020-03-31')?.value;
    };
    const [now, before] = await Promise.all([
      query('--area', 'ML05', '--source', 'cmp', '--format', 'json'),
      query('--area', 'ML05', '--source', 'cmp', '--format', 'json', '--as-of', asOf),
    ]);
    expect(valueOn(now)).toBe(70900);
    expect(valueOn(before)).toBe(73450);

    // The reconciled figure follows the revision too, and an as-of before it still sees the old one.
    const [reconciled, reconciledBefore] = await Promise.all([
      query('--area', 'Mopti', '--format', 'json'),
      query('--area', 'Mopti', '--format', 'json', '--as-of', asOf),
    ]);
    expectOk(reconciled);
    expectOk(reconciledBefore);
    expect(json<Item[]>(reconciled).find((i) => i.date === '2020-03-31')).toMatchObject({ value: 70900, sources: { cmp: 70900 } });
    expect(json<Item[]>(reconciledBefore).find((i) => i.date === '2020-03-31')).toMatchObject({ value: 73450, sources: { cmp: 73450 } });
  });

  it('discrepancies --json lists them with their causes; --open only the open ones', async () => {
    const [all, open, text] = await Promise.all([p.tally('discrepancies', '--json'), p.tally('discrepancies', '--open', '--json'), p.tally('discrepancies')]);
    for (const run of [all, open, text]) expectOk(run);
    type Discrepancy = { discrepancyId: string; status: string; indicator: string; area: string; cause?: string; values: Array<{ source: string; value: number }>; explanation: string };
    const every = json<Discrepancy[]>(all);
    const opened = json<Discrepancy[]>(open);
    expect(every.length).toBeGreaterThan(0);
    for (const d of every) {
      expect(['open', 'resolved']).toContain(d.status);
      expect(d.cause).toMatch(/^[a-z_]+$/);
      expect(d.explanation.length).toBeGreaterThan(0);
      expect(d.values.length).toBeGreaterThanOrEqual(2);
    }
    expect(opened.length).toBeGreaterThan(0);
    expect(opened.every((d) => d.status === 'open')).toBe(true);
    expect(opened).toEqual(every.filter((d) => d.status === 'open'));
    expect(lines(text.stdout)[0]!.split(/\s{2,}/)).toEqual(['status', 'indicator', 'place', 'gap', 'cause', 'explanation']);
    expect(lines(text.stdout)).toHaveLength(every.length + 2);
  });

  it('rejections --json names the file, row and column of each rejected row; --drop filters by id prefix', async () => {
    type Rejection = { dropId: string; fileName: string; row: number; column?: string; expected: string; found: string; reason: string };
    const all = await p.tally('rejections', '--json');
    expectOk(all);
    const rows = json<Rejection[]>(all);
    const cmpRows = rows.filter((r) => r.dropId === dropIds.cmp);
    expect(cmpRows.length).toBeGreaterThan(0);
    for (const r of rows) {
      expect(r.reason).toContain(r.fileName);
      expect(r.reason).toContain(`row ${r.row}`);
      if (r.column !== undefined) expect(r.reason).toContain(r.column);
      expect(r.row).toBeGreaterThan(0);
    }
    expect(cmpRows.some((r) => r.column !== undefined)).toBe(true);
    expect(cmpRows[0]!.fileName).toBe('cmp-pdi-2020-03-31.csv');

    const [byPrefix, byOtherPrefix, bad] = await Promise.all([
      p.tally('rejections', '--drop', dropIds.cmp.slice(0, 12), '--json'),
      p.tally('rejections', '--drop', dropIds.dtm.slice(0, 12), '--json'),
      p.tally('rejections', '--drop', "abc' OR 1=1", '--json'),
    ]);
    expectOk(byPrefix);
    expectOk(byOtherPrefix);
    expect(json<Rejection[]>(byPrefix)).toEqual(cmpRows);
    expect(json<Rejection[]>(byOtherPrefix)).toEqual(rows.filter((r) => r.dropId === dropIds.dtm));
    expectRefused(bad, /dropId: expected a drop id or its first 6\+ hex digits/);
  });

  it('status --json reports the worker polling, the projections\' consumer lag and the last drops', async () => {
    const run = await p.tally('status', '--json');
    expectOk(run);
    const status = json<{
      running: boolean;
      worker: { taskQueue: string; pollers: number; error?: string };
      consumerLag: Array<{ topic: string; lag: number; end: number; committed: number }>;
      lastDrops: Array<{ dropId: string; source: string; status: string; rows: number }>;
    }>(run);
    expect(status.running).toBe(true);
    expect(status.worker.error).toBeUndefined();
    expect(status.worker.taskQueue).toBe(p.config.taskQueue);
    expect(status.worker.pollers).toBeGreaterThan(0);
    // The four event topics, and on the node path the four row topics the projections also read.
    expect(status.consumerLag.length).toBe(p.config.projectionPath?.kind === 'engine' ? 4 : 8);
    for (const lag of status.consumerLag) {
      expect(lag.topic.startsWith(p.config.topicPrefix)).toBe(true);
      expect(lag.lag).toBeGreaterThanOrEqual(0);
    }
    expect(status.consumerLag.some((l) => l.end > 0)).toBe(true);
    const ids = status.lastDrops.map((d) => d.dropId);
    expect(ids).toEqual(expect.arrayContaining([dropIds.dtm, dropIds.cmp, dropIds.revision]));
    expect(status.lastDrops.every((d) => d.status === 'processed')).toBe(true);
  });

  it('status under a topic prefix with nothing published reports no lag, and no broker error on stderr', async () => {
    const run = await runTally(['status', '--json'], { ...p.env, TALLY_TOPIC_PREFIX: `${p.config.topicPrefix}empty-` });
    expectOk(run);
    const status = json<{ consumerLag: Array<{ topic: string; lag: number; end: number; committed: number }> }>(run);
    expect(status.consumerLag.length).toBe(p.config.projectionPath?.kind === 'engine' ? 4 : 8);
    expect(status.consumerLag.every((l) => l.end === 0 && l.committed === 0 && l.lag === 0)).toBe(true);
    expect(status.consumerLag.every((l) => l.topic.startsWith(`${p.config.topicPrefix}empty-`))).toBe(true);
    expect(run.stderr).not.toMatch(/does not host this topic-partition|"level":"ERROR"/);
  });
});
