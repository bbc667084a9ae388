/**
 * The worker's, the projections' and Temporal's `/metrics`, scraped over HTTP around real drops:
 * what the counters moved by must be what the drops' summaries say. Each check compares two
 * scrapes (before and after a drop), so other drops of this process do not matter.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IngestDropResult } from '../../../workflows/index.js';
import { parseExposition, tallyValues, total } from '../../../cli/metrics-status.js';
import { selectRows, toNumber } from '../../../adapters/clickhouse.js';
import { startPipeline, type TestPipeline } from '../../support/pipeline.js';
import { json, runTally, tallyEnv } from '../cli/harness.js';

const ROOT = join(import.meta.dirname, '../../..');
const DTM = join(ROOT, 'examples/mali/dtm-mali-r47-2019-07-31.csv');
const CMP = join(ROOT, 'examples/mali/cmp-pdi-2020-03-31.csv');
/** The process's JSON logs and alert lines (the log sink is on here). */
const LOG_FILE = join(mkdtempSync(join(tmpdir(), 'tally-metrics-')), 'tally.log');
const REAL = join(ROOT, 'test/fixtures/real');
/** Computed by test/fixtures/real/expected.py (Python's stdlib, independent of this code): the items of the UNHCR response. */
const UNHCR_MLI = 'unhcr-population-coo_all-coa-MLI.json';
const expected = JSON.parse(readFileSync(join(REAL, 'expected.json'), 'utf8')) as { files: Record<string, { row_count: number }> };

type Values = ReturnType<typeof tallyValues>;

async function scrape(url: string | undefined): Promise<{ text: string; values: Values }> {
  expect(url, 'a metrics URL').toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
  const response = await fetch(url!);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
  const text = await response.text();
  return { text, values: tallyValues(parseExposition(text)) };
}

/** How much a metric (its label sets containing every `match`) grew between two scrapes. */
function grew(before: Values, after: Values, name: string, ...match: string[]): number {
  const sum = (v: Values) => {
    const entry = v[name];
    if (entry === undefined) return 0;
    if (typeof entry === 'number') return entry;
    return Object.entries(entry).reduce((n, [key, x]) => (match.every((m) => key.split(',').includes(m)) ? n + x : n), 0);
  };
  return sum(after) - sum(before);
}

describe('metrics', () => {
  let p: TestPipeline;
  const topic = (name: string) => `topic=${p.config.topicPrefix}tally.${name}`;
  /** On the engine path observations and figures go to the row topics, and ClickHouse inserts them (projections/engine.ts). */
  const engine = () => p.config.projectionPath?.kind === 'engine';
  const rowCount = async (table: string) => toNumber((await selectRows<{ n: string }>(p.clickhouse, `SELECT count() AS n FROM ${table}`))[0]!.n);

  beforeAll(async () => {
    p = await startPipeline('metrics', {
      config: { metrics: { host: '127.0.0.1', worker: 0, projections: 0, temporal: 0 }, alerts: { log: true }, logFile: LOG_FILE },
    });
  });
  afterAll(async () => {
    await p?.stop();
  });

  async function scrapeBoth() {
    return { worker: (await scrape(p.services!.metrics.worker)).values, projections: (await scrape(p.services!.metrics.projections)).values };
  }

  /** Ingests a drop and returns the workflow's own result (its counts, figures and discrepancies). */
  async function ingest(file: string, source: string): Promise<IngestDropResult> {
    const summary = await p.ingest(file, source);
    return p.client.workflow.getHandle(summary.workflowId).result() as Promise<IngestDropResult>;
  }

  it('serves each part on its own port, 404 off /metrics, and the Temporal SDK its own metrics', async () => {
    const { worker, projections, temporal } = p.services!.metrics;
    expect(new Set([worker, projections, temporal]).size).toBe(3);
    expect((await fetch(worker!.replace('/metrics', '/'))).status).toBe(404);
    const w = await scrape(worker);
    expect(w.text).toContain('# TYPE tally_events_published_total counter');
    expect(w.text).toContain('# TYPE tally_reconcile_seconds histogram');
    expect(w.text).toContain('process_cpu_user_seconds_total');
    const pr = await scrape(projections);
    for (const name of ['tally_rows_total', 'tally_drops_total', 'tally_insert_rows_total']) expect(pr.text).toContain(`# TYPE ${name} counter`);
    expect(pr.text).toContain('# TYPE tally_insert_seconds histogram');
    expect(pr.text).toContain('# TYPE tally_projection_lag_messages gauge');
    // Temporal's exporter starts asynchronously; its worker metrics appear once the worker polls.
    let sdk = '';
    for (let i = 0; i < 50 && !/^temporal_/m.test(sdk); i++) {
      sdk = await fetch(temporal!).then((r) => r.text()).catch(() => '');
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(sdk).toMatch(/^temporal_\w+/m);
  });

  it('counts the CMP drop exactly as its summary: rows by outcome, the drop, events published, rows inserted, alerts', async () => {
    // DTM's figures first, for the CMP drop to disagree with (the seeds' case).
    expect(await ingest(DTM, 'dtm')).toMatchObject({ status: 'processed', discrepancies: 0 });
    const before = await scrapeBoth();
    const rowsBefore = { observations: await rowCount('observations'), figures: await rowCount('figures') };
    const r = await ingest(CMP, 'cmp');
    expect(r).toMatchObject({ status: 'processed', rows: 13 });
    expect(r.accepted + r.rejected + r.duplicates).toBe(r.rows);
    const after = await scrapeBoth();
    // Raw rows (no FINAL): each insert's rows, as tally_insert_rows_total counts them.
    const rowsAdded = { observations: (await rowCount('observations')) - rowsBefore.observations, figures: (await rowCount('figures')) - rowsBefore.figures };
    const pr = (name: string, ...m: string[]) => grew(before.projections, after.projections, name, ...m);
    const wk = (name: string, ...m: string[]) => grew(before.worker, after.worker, name, ...m);

    expect(pr('tally_rows_total', 'source=cmp', 'outcome=accepted')).toBe(r.accepted);
    expect(pr('tally_rows_total', 'source=cmp', 'outcome=rejected')).toBe(r.rejected);
    expect(pr('tally_rows_total', 'source=cmp', 'outcome=duplicate')).toBe(r.duplicates);
    expect(pr('tally_drops_total', 'source=cmp', 'status=processed')).toBe(1);

    // DropReceived and DropProcessed; one ObservationRecorded per observation and one RowDuplicated
    // per duplicate row; one RowRejected per rejected row; what reconciling the drop published.
    // Observations, figures, duplicates and rejections are counted on their row topics.
    expect(wk('tally_events_published_total', topic('drops'))).toBe(2);
    expect(wk('tally_events_published_total', topic('rows.rejections'))).toBe(r.rejected);
    expect(wk('tally_events_published_total', topic('rows.duplicates'))).toBe(r.duplicates);
    expect(wk('tally_events_published_total', topic('rejections'))).toBe(0);
    expect(wk('tally_events_published_total', topic('observations'))).toBe(0);
    expect(wk('tally_events_published_total', topic('rows.observations'))).toBe(r.observations);
    expect(wk('tally_events_published_total', topic('figures'))).toBe(r.discrepancies + r.resolved);
    expect(wk('tally_events_published_total', topic('rows.figures'))).toBe(r.figures);

    expect(pr('tally_insert_rows_total', 'table=drops')).toBe(2);
    expect(pr('tally_insert_rows_total', 'table=rejections')).toBe(engine() ? 0 : r.rejected);
    expect(pr('tally_insert_rows_total', 'table=duplicates')).toBe(engine() ? 0 : r.duplicates);
    // Inserted by the projections (node path) or by ClickHouse's materialized views (engine path): in the tables either way.
    expect(rowsAdded).toEqual({ observations: r.observations, figures: r.figures });
    expect(pr('tally_insert_rows_total', 'table=observations')).toBe(engine() ? 0 : r.observations);
    expect(pr('tally_insert_rows_total', 'table=figures')).toBe(engine() ? 0 : r.figures);
    expect(pr('tally_insert_rows_total', 'table=discrepancies')).toBe(r.discrepancies + r.resolved);
    expect(pr('tally_insert_seconds_count')).toBeGreaterThanOrEqual(5);

    expect(wk('tally_reconcile_seconds_count')).toBe(1);
    expect(total(after.projections, 'tally_projection_lag_messages')).toBe(0);
    // The open discrepancies are read from ClickHouse when scraped: DTM's drop opened none.
    expect(r.discrepancies).toBeGreaterThan(0);
    expect(total(after.worker, 'tally_discrepancies_open', 'indicator=idps')).toBe(r.discrepancies - r.resolved);

    // Each new discrepancy is alerted once, by its own workflow, after the drop's workflow ended.
    let alerts = 0;
    for (let i = 0; i < 100 && alerts < r.discrepancies; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      alerts = grew(before.worker, (await scrapeBoth()).worker, 'tally_alert_deliveries_total', 'sink=log', 'result=delivered');
    }
    expect(alerts).toBe(r.discrepancies);
    const alertLines = readFileSync(LOG_FILE, 'utf8').split('\n').filter((l) => l.includes('"alert":"DiscrepancyDetected"'));
    expect(alertLines).toHaveLength(r.discrepancies);
  });

  it("writes every log line of a drop with its dropId, source and workflowId (the activities'), to the log file", () => {
    const lines = readFileSync(LOG_FILE, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    const cmp = lines.filter((l) => l.name === 'activities' && l.source === 'cmp');
    expect(cmp.map((l) => l.msg)).toEqual(expect.arrayContaining(['drop reading', 'drop published', 'reconciled']));
    for (const line of cmp) {
      expect(line.dropId).toMatch(/^[0-9a-f]{64}$/);
      expect(String(line.workflowId)).toMatch(new RegExp(`^${p.config.workflowIdPrefix}(ingest|reconcile)-${String(line.dropId)}$`));
    }
    // The projections' line for the drop carries its id and source too.
    expect(lines.some((l) => l.name === 'projections' && l.msg === 'drop projected' && l.source === 'cmp' && l.dropId === cmp[0]!.dropId)).toBe(true);
  });

  it('counts a drop once: the same file again is the same drop and moves no row counter', async () => {
    const before = await scrapeBoth();
    await ingest(CMP, 'cmp');
    const after = await scrapeBoth();
    expect(grew(before.projections, after.projections, 'tally_rows_total')).toBe(0);
    expect(grew(before.projections, after.projections, 'tally_drops_total')).toBe(0);
  });

  it('tally status --json lists each URL and its numbers, and the text names them', async () => {
    const { worker, projections, temporal } = p.services!.metrics;
    const port = (url: string | undefined) => new URL(url!).port;
    const env = {
      ...tallyEnv(p.config),
      TALLY_WORKER_METRICS_PORT: port(worker),
      TALLY_PROJECTIONS_METRICS_PORT: port(projections),
      TALLY_TEMPORAL_METRICS_PORT: port(temporal),
    };
    const run = await runTally(['status', '--json'], env);
    expect(run.code, run.stderr).toBe(0);
    const status = json<{ metrics: Record<string, { url: string; up: boolean; values?: Record<string, unknown>; series?: number }> }>(run);
    expect(status.metrics.worker).toMatchObject({ url: worker, up: true });
    expect(status.metrics.projections).toMatchObject({ url: projections, up: true });
    expect(status.metrics.temporal).toMatchObject({ url: temporal, up: true });
    const now = (await scrape(projections)).values;
    expect(total(status.metrics.projections!.values as Values, 'tally_rows_total')).toBe(total(now, 'tally_rows_total'));
    expect(total(status.metrics.projections!.values as Values, 'tally_rows_total')).toBeGreaterThan(0);
    const text = await runTally(['status'], env);
    expect(text.code, text.stderr).toBe(0);
    const accepted = total(now, 'tally_rows_total', 'outcome=accepted');
    expect(text.stdout).toMatch(new RegExp(`metrics\\s+worker\\s+${worker!.replace(/\./g, '\\.')}\\s+\\d+ events published`));
    expect(text.stdout).toContain(`projections  ${projections}`);
    expect(text.stdout).toContain(`rows ${accepted.toLocaleString('en-US')} accepted`);
  });

  it(`counts every row of a real UNHCR response: ${expected.files[UNHCR_MLI]!.row_count} items, as expected.py counts them`, async () => {
    const before = await scrapeBoth();
    const r = await ingest(join(REAL, UNHCR_MLI), 'unhcr');
    const after = await scrapeBoth();
    const rows = grew(before.projections, after.projections, 'tally_rows_total', 'source=unhcr');
    expect(rows).toBe(expected.files[UNHCR_MLI]!.row_count);
    expect(rows).toBe(r.rows);
    expect(grew(before.projections, after.projections, 'tally_rows_total', 'outcome=accepted')).toBe(r.accepted);
    expect(grew(before.projections, after.projections, 'tally_drops_total', 'source=unhcr', 'status=processed')).toBe(1);
  });
});
