/**
 * One huge cell rejects its row, not the drop, and never the process: a 20 MB place name is read
 * (records up to 64 MiB), kept out of the parse threads (whose small heaps it would exhaust,
 * aborting the process), and its rejection keeps 200 characters of it, not 20 MB.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { splitCsv, MAX_THREAD_LINE_BYTES } from '../../../ingest/csv-split.js';
import { openDrop } from '../../../connectors/open.js';
import { processDrop } from '../../../ingest/process-drop.js';
import { rowRejected } from '../../../ingest/drop-events.js';
import { getProfile, loadProfiles } from '../../../connectors/profiles.js';
import type { RowRejected, TallyEvent } from '../../../domain/events.js';

const dir = mkdtempSync(join(tmpdir(), 'tally-huge-cell-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ctx = { dropId: 'd1', source: 'cmp', fileName: 'huge.csv', receivedAt: '2024-01-01T00:00:00Z' };

function hugeDrop(cellBytes: number): string {
  const path = join(dir, `huge-${cellBytes}.csv`);
  writeFileSync(path, `Région;Nombre de PDI;Date\n${'x'.repeat(cellBytes)};10;01/01/2001\nGao;11;02/01/2001\n`);
  return path;
}

describe('a drop with one huge cell', () => {
  it('is not cut into byte ranges for the parse threads when a line is longer than 1 MiB', async () => {
    const path = hugeDrop(MAX_THREAD_LINE_BYTES + 10);
    expect(await splitCsv(path, 2, 2)).toEqual({ ok: false, why: `the file has a line longer than ${MAX_THREAD_LINE_BYTES} bytes` });
    const plain = join(dir, 'plain.csv');
    writeFileSync(plain, `a;b\n${'1;2\n'.repeat(1000)}`);
    expect((await splitCsv(plain, 2, 2)).ok).toBe(true);
  });

  it('of 20 MB, with parse threads on: the row is rejected, the other accepted, the rejection small', async () => {
    const path = hugeDrop(20 * 1024 * 1024);
    const events: TallyEvent[] = [];
    const counts = await processDrop(await openDrop(path, { fileName: 'huge.csv' }), getProfile('cmp', loadProfiles()), ctx, (e) => void events.push(e), {
      threads: 2,
      spillDir: dir,
      partitions: 4,
    });
    expect(counts).toMatchObject({ rows: 2, accepted: 1, rejected: 1, duplicates: 0 });
    const rejection = events.find((e): e is RowRejected => e.type === 'RowRejected')!;
    expect(rejection).toMatchObject({ row: 2, column: 'Région' });
    expect(rejection.found).toHaveLength(200);
    expect(JSON.stringify(rejection).length).toBeLessThan(2000);
  }, 60_000);
});

describe('rowRejected', () => {
  it('keeps at most 200 characters of the found value, the hint and the column', () => {
    const e = rowRejected(ctx, 7, { column: 'c'.repeat(1000), expected: 'a count', found: '9'.repeat(20_000_000), hint: 'h'.repeat(5000) });
    expect(e.found.length).toBe(200);
    expect(e.column!.length).toBe(200);
    expect(e.reason.length).toBeLessThan(700);
    expect(e.reason).toMatch(/^huge\.csv row 7, column "c+…": expected a count, found "9+…" \(h+…\)$/);
  });

  it('leaves short values as they are', () => {
    const e = rowRejected(ctx, 3, { column: 'Date', expected: 'a date', found: 'hier' });
    expect(e).toMatchObject({ column: 'Date', found: 'hier', reason: 'huge.csv row 3, column "Date": expected a date, found "hier"' });
  });
});
