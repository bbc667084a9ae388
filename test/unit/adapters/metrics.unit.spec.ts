import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { countEndedDrop, discrepanciesOpen, dropsTotal, readOpenDiscrepanciesWith, rowsTotal, workerRegistry } from '../../../adapters/metrics.js';
import { jsonLogger, logFile, logLine, logTo } from '../../../adapters/log.js';

async function value(metric: { get(): Promise<{ values: Array<{ labels: Record<string, string | number>; value: number }> }> }, labels: Record<string, string>) {
  const found = (await metric.get()).values.find((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x));
  return found?.value ?? 0;
}

describe('counting a drop', () => {
  it('counts its rows by outcome and its status once, however often its DropProcessed is seen', async () => {
    const drop = { eventId: 'processed-unit-1', source: 'unit', status: 'processed', accepted: 10, rejected: 3, duplicates: 2 };
    expect(countEndedDrop(drop)).toBe(true);
    expect(countEndedDrop(drop)).toBe(false);
    expect(await value(rowsTotal, { source: 'unit', outcome: 'accepted' })).toBe(10);
    expect(await value(rowsTotal, { source: 'unit', outcome: 'rejected' })).toBe(3);
    expect(await value(rowsTotal, { source: 'unit', outcome: 'duplicate' })).toBe(2);
    expect(await value(dropsTotal, { source: 'unit', status: 'processed' })).toBe(1);
  });
});

describe('tally_discrepancies_open', () => {
  afterEach(() => readOpenDiscrepanciesWith(undefined));

  it('is read when scraped, and keeps the last value when the read fails', async () => {
    readOpenDiscrepanciesWith(async () => ({ idps: 9, refugees: 1 }));
    expect(await workerRegistry.getSingleMetricAsString('tally_discrepancies_open')).toMatch(/tally_discrepancies_open\{indicator="idps"\} 9\ntally_discrepancies_open\{indicator="refugees"\} 1/);
    readOpenDiscrepanciesWith(() => Promise.reject(new Error('ClickHouse is away')));
    expect(await value(discrepanciesOpen, { indicator: 'idps' })).toBe(9);
    readOpenDiscrepanciesWith(async () => ({ idps: 8 }));
    expect(await value(discrepanciesOpen, { indicator: 'idps' })).toBe(8);
    expect(await value(discrepanciesOpen, { indicator: 'refugees' })).toBe(0);
  });
});

describe('the log destination', () => {
  afterEach(() => logTo(undefined));

  it('moves every writer to the file, loggers made before included, and back to stderr', () => {
    const before = jsonLogger('unit', 'info', { dropId: 'd1' });
    const file = join(mkdtempSync(join(tmpdir(), 'tally-log-')), 'sub', 'tally.log');
    logTo(file);
    expect(logFile()).toBe(file);
    before.info({ source: 'cmp' }, 'hello');
    logLine('{"alert":"DiscrepancyDetected"}');
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(JSON.parse(lines[0]!)).toMatchObject({ name: 'unit', dropId: 'd1', source: 'cmp', msg: 'hello', level: 30 });
    expect(lines[1]).toBe('{"alert":"DiscrepancyDetected"}');
    logTo(undefined);
    expect(logFile()).toBeUndefined();
  });
});
