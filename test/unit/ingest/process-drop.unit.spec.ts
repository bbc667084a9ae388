import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { prng } from '../../../bench/generate.js';
import { splitCsv } from '../../../ingest/csv-split.js';
import { decodeEntry, encodeEntry, flushBytesFor, partitionOf, partitionsFor, rejectedPath } from '../../../ingest/drop-partitions.js';
import { mapRange, type MapRangeInput } from '../../../ingest/map-range.js';
import { planColumns } from '../../../ingest/mapping.js';
import { openDrop } from '../../../connectors/open.js';
import { processDrop, type ProcessOptions } from '../../../ingest/process-drop.js';
import { getProfile, loadProfiles } from '../../../connectors/profiles.js';
import type { DropCounts, TallyEvent } from '../../../domain/events.js';
import { parsePeriod, referenceDate } from '../../../domain/periods.js';
import { cerclesOf, regions } from '../../../domain/places.js';

const dir = mkdtempSync(join(tmpdir(), 'tally-process-drop-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const HEADER = 'admin1Name,admin1Pcode,admin2Name,admin2Pcode,numPresentIdpInd,numPresentIdpHh,reportingDate,roundNumber,displacementReason,sex,assessmentType';

/**
 * A DTM-like drop with everything the accounting distinguishes: rows summed over a reason, two
 * value columns per row (two figures, one place), repeated rows, BA/SA copies that agree and
 * disagree, an older round for the same date, bad counts, unknown places, blank and whitespace
 * lines, and a title line above the header.
 */
function writeDrop(name: string, opts: { rows: number; crlf?: boolean; quoted?: boolean }): string {
  const random = prng(7);
  const places = regions().flatMap((r) => cerclesOf(r.pcode).map((c) => ({ region: r, cercle: c })));
  const lines = ['Mali DTM export', HEADER];
  for (let i = 0; lines.length < opts.rows; i++) {
    const { region, cercle } = places[i % places.length]!;
    const day = 1 + Math.floor(i / (places.length * 4));
    const date = `2020-01-${String(1 + (day % 28)).padStart(2, '0')}`;
    const reason = ['Conflict', 'Economic', 'Other', 'Natural disaster'][Math.floor(i / places.length) % 4];
    const count = Math.floor(random() * 5000);
    const name = opts.quoted && i % 50 === 0 ? `"${cercle.name}, cercle"` : cercle.name;
    const row = (c: number, assessment = 'BA', round = String(day)) =>
      `${region.name},${region.pcode},${name},${cercle.pcode},${c},${Math.floor(c / 6)},${date},${round},${reason},female,${assessment}`;
    lines.push(row(count));
    if (i % 97 === 0) lines.push(row(count)); // repeated row
    if (i % 89 === 0) lines.push(row(count, 'SA')); // SA copy that agrees
    if (i % 83 === 0) lines.push(row(count + 1, 'SA')); // SA copy that disagrees
    if (i % 79 === 0) lines.push(row(count + 2, 'BA', String(day - 1))); // an older round
    if (i % 71 === 0) lines.push(row(count).replace(`,${count},`, `,${count} 8001,`)); // footnote glued
    if (i % 67 === 0) lines.push(row(count).replace(cercle.pcode, 'ML0199').replace(name, 'Inconnu'));
    if (i % 61 === 0) lines.push('');
    if (i % 59 === 0) lines.push('   ');
  }
  const path = join(dir, name);
  writeFileSync(path, lines.join(opts.crlf ? '\r\n' : '\n') + (opts.crlf ? '\r\n' : '\n'));
  return path;
}

const profile = getProfile('dtm', loadProfiles());
const ctx = { dropId: 'd1', source: 'dtm', fileName: 'drop.csv', receivedAt: '2020-02-01T00:00:00Z' };

async function run(path: string, options: ProcessOptions): Promise<{ counts: DropCounts; events: string[] }> {
  const events: string[] = [];
  const counts = await processDrop(await openDrop(path, { fileName: 'drop.csv' }), profile, ctx, (e: TallyEvent) => void events.push(JSON.stringify(e)), options);
  return { counts, events };
}

describe('processDrop: map, then reduce by partition', () => {
  for (const variant of [
    { name: 'LF', crlf: false },
    { name: 'CRLF', crlf: true },
  ]) {
    it(`gives the same events whatever the partitions and threads (${variant.name} line ends)`, async () => {
      const path = writeDrop(`drop-${variant.name}.csv`, { rows: 6000, crlf: variant.crlf });
      const whole = await run(path, {});
      const spilled = await run(path, { partitions: 3, spillDir: join(dir, `s-${variant.name}`) });
      const threaded = await run(path, { partitions: 3, spillDir: join(dir, `t-${variant.name}`), threads: 2, parallelMinBytes: 0 });
      const three = await run(path, { partitions: 3, spillDir: join(dir, `u-${variant.name}`), threads: 3, parallelMinBytes: 0 });
      // The parse threads did run: each wrote its own rejections.
      expect(existsSync(join(dir, `t-${variant.name}`, 'm1.rejected'))).toBe(true);
      expect(existsSync(join(dir, `u-${variant.name}`, 'm2.rejected'))).toBe(true);

      const c = whole.counts;
      expect(c.accepted + c.rejected + c.duplicates).toBe(c.rows);
      expect(c.duplicates).toBeGreaterThan(50);
      expect(c.rejected).toBeGreaterThan(150);
      for (const other of [spilled, threaded, three]) {
        expect(other.counts).toEqual(c);
        expect([...other.events].sort()).toEqual([...whole.events].sort());
      }
      // The order depends on the partitions only, never on the threads: a retried attempt skips
      // exactly what an earlier one published.
      expect(threaded.events).toEqual(spilled.events);
      expect(three.events).toEqual(spilled.events);
    }, 120_000);
  }

  it('numbers rows by their line in the file, blank lines included', async () => {
    const path = writeDrop('numbered.csv', { rows: 3000 });
    const lines = readFileSync(path, 'utf8').split('\n');
    const { events } = await run(path, { partitions: 2, spillDir: join(dir, 'numbered'), threads: 2, parallelMinBytes: 0 });
    const rejected = events.map((e) => JSON.parse(e) as TallyEvent).filter((e) => e.type === 'RowRejected');
    expect(rejected.length).toBeGreaterThan(50);
    for (const e of rejected) {
      if (e.type !== 'RowRejected') continue;
      // The rejected text is on the line the event names.
      const line = lines[e.row - 1]!;
      expect(line.includes('8001') || line.includes('ML0199') || line.includes('SA') || line.includes(',BA')).toBe(true);
      if (e.found.includes('8001')) expect(line).toContain(e.found);
    }
  }, 60_000);

  it('reads a file with quoted fields in one thread, with the same result', async () => {
    const path = writeDrop('quoted.csv', { rows: 3000, quoted: true });
    const whole = await run(path, {});
    const threaded = await run(path, { partitions: 2, spillDir: join(dir, 'quoted'), threads: 2, parallelMinBytes: 0 });
    expect(existsSync(join(dir, 'quoted', 'm1.rejected'))).toBe(false);
    expect(threaded.counts).toEqual(whole.counts);
    expect([...threaded.events].sort()).toEqual([...whole.events].sort());
  }, 60_000);
});

describe('mapRange', () => {
  const openFds = () => readdirSync('/proc/self/fd').length;

  async function rangeInput(path: string, spillDir: string): Promise<MapRangeInput> {
    const table = await openDrop(path, { fileName: 'drop.csv' });
    const split = await splitCsv(path, table.csv!.dataStartLine, 1);
    if (!split.ok) throw new Error(`expected a plain CSV, found: ${split.why}`);
    return {
      path,
      range: split.ranges[0]!,
      delimiter: table.csv!.delimiter,
      plan: planColumns(table, profile),
      profile,
      ctx,
      partitions: 2,
      spillDir,
      mapper: 0,
      rejectedPath: rejectedPath(spillDir, 0),
    };
  }

  it('maps a range one block per step, and its counts match the whole drop', async () => {
    const path = writeDrop('blocks.csv', { rows: 40_000 }); // about 3.5 MB: several blocks
    const whole = await run(path, {});
    const steps = mapRange(await rangeInput(path, join(dir, 'blocks')));
    const seen: number[] = [];
    let step = steps.next();
    for (; !step.done; step = steps.next()) seen.push(step.value);
    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    // Rows as the whole drop counts them; the rejections here are the mapping's (bad cells), each
    // written to the range's file, while conflicts between rows are settled later, by partition.
    expect(step.value.rows).toBe(whole.counts.rows);
    expect(step.value.rejected).toBeGreaterThan(1000);
    expect(readFileSync(join(dir, 'blocks', 'm0.rejected'), 'utf8').trim().split('\n')).toHaveLength(step.value.rejected);
  }, 60_000);

  it('closes its files when stopped between blocks', async () => {
    const path = writeDrop('stopped.csv', { rows: 40_000 });
    const input = await rangeInput(path, join(dir, 'stopped'));
    const before = openFds();
    const steps = mapRange(input);
    expect(steps.next().done).toBe(false);
    expect(openFds()).toBeGreaterThan(before);
    steps.return({ rows: 0, rejected: 0, notices: [] });
    expect(openFds()).toBe(before);
  }, 60_000);
});

describe('splitCsv', () => {
  it('cuts the data rows at line ends, each range knowing its first line', async () => {
    const path = writeDrop('split.csv', { rows: 5000 });
    const text = readFileSync(path);
    const result = await splitCsv(path, 3, 4);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.ranges).toHaveLength(4);
    expect(result.ranges[0]!.start).toBe(text.indexOf(HEADER) + HEADER.length + 1);
    expect(result.ranges.at(-1)!.end).toBe(text.length);
    for (let i = 0; i < result.ranges.length; i++) {
      const r = result.ranges[i]!;
      if (i > 0) expect(r.start).toBe(result.ranges[i - 1]!.end);
      expect(text[r.start - 1]).toBe(0x0a);
      const linesBefore = text.subarray(0, r.start).toString('latin1').split('\n').length;
      expect(r.firstLine).toBe(linesBefore);
    }
  });

  it('refuses files where a newline could sit inside a field', async () => {
    const quoted = join(dir, 'q.csv');
    writeFileSync(quoted, 'a,b\n1,"x\ny"\n2,3\n');
    expect(await splitCsv(quoted, 2, 2)).toEqual({ ok: false, why: 'the file has quoted fields' });
    const bareCr = join(dir, 'cr.csv');
    writeFileSync(bareCr, 'a,b\r1,2\r3,4\r');
    expect(await splitCsv(bareCr, 2, 2)).toEqual({ ok: false, why: 'the file has bare carriage returns' });
  });
});

describe('partition entries', () => {
  it('round-trip, separators and newlines in text included', () => {
    const entry = {
      series: 'idps|ML0101|sex=f\u001fx\\y|2020-01-01',
      round: 'R\n12',
      assessment: 'BA',
      group: 'operation=haiti\u001fearthquake',
      unit: 'individuals',
      row: 12,
      part: 4_000_000_000,
      rest: 2 ** 52 - 1,
      value: 1234,
      figure: {
        indicator: 'idps',
        area: { pcode: 'ML0101', level: 2 as const, name: 'Bafoulabe' },
        period: { kind: 'stock' as const, date: '2020-01-01' },
        value: 1234,
        unit: 'individuals' as const,
        disaggregation: { sex: 'f\u001fx\\y' },
      },
    };
    expect(decodeEntry(encodeEntry(entry))).toEqual(entry);
    const { figure: _figure, ...bare } = entry;
    expect(decodeEntry(encodeEntry(bare))).toEqual(bare);
    expect(() => decodeEntry('a\u001fb')).toThrow(/expected 10 fields, found 2/);
  });

  it('partitions by the size of the drop only', () => {
    expect(partitionsFor(1000)).toBe(1);
    expect(partitionsFor(66_800_000)).toBe(partitionsFor(66_800_000));
    expect(partitionsFor(66_800_000)).toBeGreaterThan(partitionsFor(13_200_000));
    expect(partitionsFor(2_000_000, 'xlsx')).toBeGreaterThan(partitionsFor(2_000_000, 'csv'));
  });

  it("bounds what a mapper buffers over all its partitions, whatever the drop's size", () => {
    for (const rows of [1e6, 5e6, 20e6]) {
      const partitions = partitionsFor(rows * 66);
      expect(flushBytesFor(partitions) * partitions).toBeLessThanOrEqual(Math.max(2 * 1024 * 1024, partitions * 8 * 1024));
    }
    expect(flushBytesFor(1)).toBe(64 * 1024); // small drops still write in 64 KiB pieces
    expect(flushBytesFor(partitionsFor(5e6 * 66))).toBeLessThan(flushBytesFor(partitionsFor(1e6 * 66)));
  });

  it("spreads one place's dates over the partitions, and keeps a row's stock and flow figures together", () => {
    // A long archive of a few places must not make a few large partitions.
    const dates = Array.from({ length: 400 }, (_, i) => new Date(Date.UTC(2000, 0, 1 + i)).toISOString().slice(0, 10));
    const used = new Set(dates.map((d) => partitionOf('ML0101', d, 16)));
    expect(used.size).toBe(16);
    // One row gives a stock and a flow from the same cells; both are dated at the span's end.
    for (const cell of ['juillet 2019', '2019', 'T3 2019', '2019-07-31']) {
      const stock = parsePeriod(cell, 'stock');
      const flow = parsePeriod(cell, 'flow');
      if (!stock.ok || !flow.ok) throw new Error(`expected "${cell}" to parse as a period`);
      expect(partitionOf('ML0101', referenceDate(stock.value), 16)).toBe(partitionOf('ML0101', referenceDate(flow.value), 16));
    }
  });
});
