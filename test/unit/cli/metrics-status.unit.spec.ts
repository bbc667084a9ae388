import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  metricsStatusLines,
  metricsTargets,
  parseExposition,
  removeMetricsUrls,
  scrape,
  tallyValues,
  total,
  writeMetricsUrls,
} from '../../../cli/metrics-status.js';
import { alertsSection } from '../../../cli/report.js';
import { freePort } from '../../../worker/metrics-server.js';
import type { IngestSummary } from '../../../cli/ingest.js';

const TEXT = `# HELP tally_rows_total Rows
# TYPE tally_rows_total counter
tally_rows_total{source="cmp",outcome="accepted"} 10
tally_rows_total{source="cmp",outcome="rejected"} 3
tally_rows_total{source="dtm",outcome="accepted"} 10
tally_drops_total{source="cmp",status="processed"} 2
tally_insert_seconds_bucket{le="0.1",table="drops"} 2
tally_insert_seconds_sum{table="drops"} 0.04
tally_insert_seconds_count{table="drops"} 2
tally_projection_lag_messages{topic="tally.drops",partition="0"} 0
odd_metric{path="a \\"quoted\\", comma"} 1.5
no_labels 7
`;

describe("tally status's metrics", () => {
  it('reads the text exposition format: labels (escaped quotes and commas), values, comments skipped', () => {
    const samples = parseExposition(TEXT);
    expect(samples).toHaveLength(10);
    expect(samples[0]).toEqual({ name: 'tally_rows_total', labels: { source: 'cmp', outcome: 'accepted' }, value: 10 });
    expect(samples.find((s) => s.name === 'odd_metric')).toEqual({ name: 'odd_metric', labels: { path: 'a "quoted", comma' }, value: 1.5 });
    expect(samples.find((s) => s.name === 'no_labels')?.value).toBe(7);
  });

  it('keeps the tally_* values by label set, without histogram buckets, and sums them by label', () => {
    const values = tallyValues(parseExposition(TEXT));
    expect(Object.keys(values)).not.toContain('tally_insert_seconds_bucket');
    expect(Object.keys(values)).not.toContain('odd_metric');
    expect(values.tally_rows_total).toEqual({ 'source=cmp,outcome=accepted': 10, 'source=cmp,outcome=rejected': 3, 'source=dtm,outcome=accepted': 10 });
    expect(total(values, 'tally_rows_total')).toBe(23);
    expect(total(values, 'tally_rows_total', 'outcome=accepted')).toBe(20);
    expect(total(values, 'tally_insert_seconds_count')).toBe(2);
    expect(total(values, 'tally_nothing')).toBe(0);
  });

  it('scrapes the URLs tally up recorded, else the fixed ports of the configuration', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tally-status-'));
    const settings = { host: '127.0.0.1', worker: 9464, projections: 0, temporal: 'off' } as const;
    expect(metricsTargets(settings, dir)).toEqual({ worker: 'http://127.0.0.1:9464/metrics' });
    writeMetricsUrls(dir, { worker: 'http://127.0.0.1:40001/metrics', projections: 'http://127.0.0.1:40002/metrics' });
    expect(metricsTargets(settings, dir)).toEqual({ worker: 'http://127.0.0.1:40001/metrics', projections: 'http://127.0.0.1:40002/metrics' });
    // A second process (the supervised projections) records its part beside the worker's.
    writeMetricsUrls(dir, { projections: 'http://127.0.0.1:40003/metrics', temporal: undefined });
    expect(metricsTargets(settings, dir)).toEqual({ worker: 'http://127.0.0.1:40001/metrics', projections: 'http://127.0.0.1:40003/metrics' });
    removeMetricsUrls(dir, { worker: 'http://127.0.0.1:40001/metrics' });
    expect(metricsTargets(undefined, dir)).toEqual({ projections: 'http://127.0.0.1:40003/metrics' });
    removeMetricsUrls(dir, { projections: 'http://127.0.0.1:40003/metrics' });
    expect(metricsTargets(undefined, dir)).toEqual({});
  });

  it('says an endpoint that does not answer is down, with why, and prints one line per part', async () => {
    const closed = `http://127.0.0.1:${await freePort('127.0.0.1')}/metrics`;
    const down = await scrape(closed, 500);
    expect(down).toMatchObject({ url: closed, up: false, error: 'ECONNREFUSED' });
    const lines = metricsStatusLines({
      projections: { url: 'http://127.0.0.1:9465/metrics', up: true, values: tallyValues(parseExposition(TEXT)), series: 10 },
      temporal: down,
    });
    expect(lines).toEqual([
      `metrics     projections  ${'http://127.0.0.1:9465/metrics'.padEnd(closed.length)}  rows 20 accepted, 3 rejected, 0 duplicate · drops 2 processed, 0 refused · 0 rows inserted · lag 0`,
      `            temporal     ${closed}  not reachable (ECONNREFUSED)`,
    ]);
    expect(metricsStatusLines({})).toEqual(['metrics     none configured (TALLY_METRICS_PORT=off?)']);
  });
});

describe("the report's ALERTS part", () => {
  const drops = [{ discrepancies: 0 }, { discrepancies: 10 }] as IngestSummary[];

  it('names the log file and the webhook (its origin only), with how many reached each', () => {
    expect(alertsSection(drops, { logFile: '/tmp/run.log', webhook: 'https://hooks.slack.com/services/T0/B0/secret', delivered: { log: 10, webhook: 7 } })).toEqual([
      'ALERTS (10 new discrepancies)',
      '- 10 to the log file /tmp/run.log, one JSON line each ("alert":"DiscrepancyDetected")',
      '- 7 of 10 (the others are still being retried by their alert workflows) to the webhook https://hooks.slack.com',
    ]);
  });

  it('says when there was nothing to alert, or nowhere to alert it', () => {
    expect(alertsSection([{ discrepancies: 0 }] as IngestSummary[], { logFile: '/tmp/run.log' })).toEqual(['ALERTS (0 new discrepancies)', '- none to deliver']);
    expect(alertsSection(drops, {})[1]).toMatch(/^- not delivered: no alert sink is configured/);
  });
});
