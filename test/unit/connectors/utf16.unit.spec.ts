/**
 * UTF-16 text with a byte order mark (Excel's "Unicode text" export) is read as text: CSV and
 * JSON, little- and big-endian. The real HDX and DTM files of test/fixtures/real, re-encoded,
 * read exactly as their UTF-8 originals, and the figures in them are expected.py's.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeText, detectEncoding, detectFormat } from '../../../connectors/detect.js';
import { readCsv } from '../../../connectors/csv.js';
import { readJsonDrop } from '../../../connectors/json.js';
import { openDrop } from '../../../connectors/open.js';
import { DropUnusableError } from '../../../domain/errors.js';
import { rowsOf } from './support.js';

const REAL = fileURLToPath(new URL('../../fixtures/real/', import.meta.url));
const QUICKCHARTS = 'hxl-dtm-data-for-quickcharts.csv';
const DTM_TCD = 'dtm-v3-displacement-admin0-admin0pcode-tcd.json';
const expected = JSON.parse(readFileSync(join(REAL, 'expected.json'), 'utf8')) as {
  files: Record<string, { row_count: number; sums_columns?: string[]; sums?: Array<Array<string | number | null>> }>;
};

type Utf16 = 'utf-16le' | 'utf-16be';
/** The text in UTF-16 with its byte order mark, as Excel writes it. */
function utf16(text: string, encoding: Utf16): Buffer {
  return Buffer.concat([Buffer.from(encoding === 'utf-16le' ? [0xff, 0xfe] : [0xfe, 0xff]), iconv.encode(text, encoding, { addBOM: false })]);
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tally-utf16-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function drop(name: string, bytes: Buffer): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, bytes);
  return path;
}

describe.each(['utf-16le', 'utf-16be'] as const)('%s with a BOM', (encoding) => {
  it('is detected as text: CSV or JSON by its first character', () => {
    expect(detectEncoding(utf16('a;b\n1;2\n', encoding))).toBe(encoding);
    expect(detectFormat(utf16('Région;Nombre de PDI\nMopti;70 512\n', encoding), 'x.csv')).toBe('csv');
    expect(detectFormat(utf16('  [{"a":1}]', encoding), 'x.json')).toBe('json');
    expect(decodeText(utf16('Ségou;Ménaka', encoding))).toBe('Ségou;Ménaka');
  });

  it('BOM only is empty, and control characters after the BOM are binary', () => {
    expect(() => detectFormat(utf16('', encoding), 'e.csv')).toThrow(/e\.csv is empty/);
    expect(() => detectFormat(utf16('\u0001\u0002\u0003\u0000\u0004', encoding), 'b.csv')).toThrow(DropUnusableError);
  });

  it(`the real ${QUICKCHARTS} reads as its UTF-8 original, with expected.py's figures`, async () => {
    const original = readFileSync(join(REAL, QUICKCHARTS), 'utf8');
    const path = await drop(`quickcharts-${encoding}.csv`, utf16(original, encoding));
    const [asUtf8, asUtf16] = [await readCsv(join(REAL, QUICKCHARTS)), await openDrop(path)];
    expect(asUtf16.format).toBe('csv');
    expect(asUtf16.meta.encoding).toBe(encoding);
    expect(asUtf16.headers).toEqual(asUtf8.headers);
    expect(asUtf16.hxl).toEqual(asUtf8.hxl);
    const rows = await rowsOf(asUtf16);
    expect(rows).toEqual(await rowsOf(asUtf8));
    // expected.py: 33 data rows; sums of #affected+idps per (P-code, date), "nan" missing.
    const want = expected.files[QUICKCHARTS]!;
    expect(rows).toHaveLength(want.row_count);
    const col = (tag: string) => asUtf16.hxl!.findIndex((t) => t?.raw === tag);
    const [code, date, idps] = [col('#country+code'), col('#date+reported'), col('#affected+idps')];
    const sums = new Map<string, number>();
    for (const r of rows) {
      const value = r.cells[idps]!;
      if (value === '' || value === 'nan') continue;
      const key = `${r.cells[code]} ${r.cells[date]!.slice(0, 10)}`;
      sums.set(key, (sums.get(key) ?? 0) + Number(value));
    }
    const c = want.sums_columns!;
    const wanted = new Map(
      want.sums!.filter((s) => s[c.indexOf('indicator')] === '#affected+idps' && s[c.indexOf('sum')] !== null).map((s) => [`${s[c.indexOf('pcode')]} ${s[c.indexOf('date')]}`, s[c.indexOf('sum')]]),
    );
    expect(wanted.size).toBeGreaterThan(10);
    expect(Object.fromEntries(sums)).toEqual(Object.fromEntries(wanted));
  });

  it(`the real ${DTM_TCD} reads every item expected.py counts`, async () => {
    const path = await drop(`tcd-${encoding}.json`, utf16(readFileSync(join(REAL, DTM_TCD), 'utf8'), encoding));
    const table = await readJsonDrop(path);
    expect(await rowsOf(table)).toEqual(await rowsOf(await readJsonDrop(join(REAL, DTM_TCD))));
    expect(await rowsOf(table)).toHaveLength(expected.files[DTM_TCD]!.row_count);
  });

  it('a French drop with accents and a ";" delimiter reads its accents', async () => {
    const path = await drop(`cmp-${encoding}.csv`, utf16('Région;Nombre de PDI;Date\r\nSégou;1 200;31/07/2019\r\nMénaka;3 400;31/07/2019\r\n', encoding));
    const table = await readCsv(path);
    expect(table.headers).toEqual(['Région', 'Nombre de PDI', 'Date']);
    expect(table.meta.delimiter).toBe(';');
    expect(table.csv).toBeUndefined();
    expect((await rowsOf(table)).map((r) => r.cells[0])).toEqual(['Ségou', 'Ménaka']);
  });
});
