import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCsv } from '../../../connectors/csv.js';
import { DropUnusableError } from '../../../domain/errors.js';
import { fixture, rowsOf } from './support.js';

/** Generated in chunks of 10,000 lines, so the test itself never holds the file either. */
function* bigCsv(rows: number): Generator<string> {
  yield 'Commission Mouvements de Populations;;\nRégion;Cercle;Nombre de PDI\n';
  for (let start = 0; start < rows; start += 10_000) {
    const end = Math.min(rows, start + 10_000);
    yield Array.from({ length: end - start }, (_, k) => `Mopti;Cercle ${start + k};${(start + k) % 9973}\n`).join('');
  }
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tally-csv-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('readCsv on the DTM/HDX export', () => {
  it('reads English headers and the HXL row below them', async () => {
    const table = await readCsv(fixture('dtm-mali-r47-hxl.csv'));
    expect(table.format).toBe('csv');
    expect(table.meta).toEqual({ encoding: 'utf-8', delimiter: ',' });
    expect(table.headers[4]).toBe('numPresentIdpInd');
    expect(table.headerRowNumber).toBe(1);
    expect(table.hxl?.[4]).toMatchObject({ tag: 'affected', attributes: ['idps', 'ind'] });
    expect(table.hxl?.map((t) => t?.raw)).toHaveLength(table.headers.length);
  });

  it('numbers data rows by their line in the file, skipping the blank line', async () => {
    const rows = await rowsOf(await readCsv(fixture('dtm-mali-r47-hxl.csv')));
    expect(rows).toHaveLength(13);
    expect(rows[0]).toEqual({ rowNumber: 3, cells: ['Mali', 'MLI', 'Mopti', 'ML05', '61240', '2019-07-31', '47', 'Conflict', 'BA'] });
    expect(rows[1]?.cells[7]).toBe('Intercommunal violence, armed groups');
    expect(rows.map((r) => r.rowNumber).slice(8, 10)).toEqual([11, 13]);
  });

  it('keeps the BA and SA copies of a round as two rows', async () => {
    const rows = await rowsOf(await readCsv(fixture('dtm-mali-r47-hxl.csv')));
    const gao = rows.filter((r) => r.cells[3] === 'ML07').map((r) => r.cells[8]);
    expect(gao).toEqual(['BA', 'SA']);
  });
});

describe('readCsv on French national drops', () => {
  it('decodes real Windows-1252 bytes, skips the title line and finds the ; header', async () => {
    const table = await readCsv(fixture('cmp-juillet-2019-cp1252.csv'));
    expect(table.meta).toEqual({ encoding: 'windows-1252', delimiter: ';' });
    expect(table.headers).toEqual(['Région', 'Cercle', 'Nombre de PDI', 'Ménages', 'Date']);
    expect(table.headerRowNumber).toBe(3);
    expect(table.hxl).toBeUndefined();
  });

  it('hands the values over as written: NBSP, n/d and the footnote marker stay for the mapper', async () => {
    const rows = await rowsOf(await readCsv(fixture('cmp-juillet-2019-cp1252.csv')));
    expect(rows[0]).toEqual({ rowNumber: 4, cells: ['Mopti', 'Bandiagara', '37\u00a0096', '6\u00a0952', '31/07/2019'] });
    expect(rows.find((r) => r.cells[1] === 'Goundam')?.cells[2]).toBe('n/d');
    expect(rows.find((r) => r.cells[1] === 'Ansongo')).toMatchObject({ rowNumber: 9, cells: ['Gao', 'Ansongo', '140 8001', '2 611', '31/07/2019'] });
    expect(rows.map((r) => r.cells[0])).toContain('Ménaka');
    expect(rows.at(-1)?.rowNumber).toBe(13);
  });

  it('strips the byte order mark from the first header', async () => {
    const table = await readCsv(fixture('cmp-utf8-bom.csv'));
    expect(table.meta.encoding).toBe('utf-8-bom');
    expect(table.headers[0]).toBe('Région');
    expect(table.headerRowNumber).toBe(1);
    const rows = await rowsOf(table);
    expect(rows[0]?.cells.slice(2, 4)).toEqual(['37.096', '6.952']);
    expect(rows[1]?.cells[1]).toBe('Djenné');
  });

  it('passes mis-decoded text through unchanged', async () => {
    const table = await readCsv(fixture('mojibake.csv'));
    const rows = await rowsOf(table);
    expect(table.headers[0]).toBe('R├ęgion');
    expect(rows[0]?.cells[0]).toBe('S├ęgou');
  });
});

describe('readCsv edge cases', () => {
  it('uses a hashtag-only header as both headers and hxl', async () => {
    const path = join(dir, 'tags-only.csv');
    await writeFile(path, '#adm1+name,#adm1+pcode,#affected+idps+ind\nMopti,ML05,70512\n');
    const table = await readCsv(path);
    expect(table.headers).toEqual(['#adm1+name', '#adm1+pcode', '#affected+idps+ind']);
    expect(table.hxl?.[2]).toMatchObject({ tag: 'affected', attributes: ['idps', 'ind'] });
    expect(await rowsOf(table)).toEqual([{ rowNumber: 2, cells: ['Mopti', 'ML05', '70512'] }]);
  });

  it('numbers a row by the line it starts on when a quoted cell spans lines', async () => {
    const path = join(dir, 'multiline.csv');
    await writeFile(path, 'Région;Note\n"Mopti";"ligne 1\nligne 2"\nGao;rien\n');
    const rows = await rowsOf(await readCsv(path));
    expect(rows.map((r) => r.rowNumber)).toEqual([2, 4]);
    expect(rows[0]?.cells[1]).toBe('ligne 1\nligne 2');
  });

  it('refuses a file without a header row', async () => {
    const path = join(dir, 'numbers.csv');
    await writeFile(path, '1;2;3\n4;5;6\n');
    await expect(readCsv(path)).rejects.toThrow(/numbers\.csv has no header row in its first 50 rows/);
  });

  it('refuses the empty fixture', async () => {
    await expect(readCsv(fixture('empty.csv'))).rejects.toBeInstanceOf(DropUnusableError);
  });

  it('can iterate its rows twice', async () => {
    const table = await readCsv(fixture('cmp-utf8-bom.csv'));
    expect((await rowsOf(table)).length).toBe((await rowsOf(table)).length);
  });
});

describe('readCsv streaming', () => {
  it('streams a ~200k-row file row by row', { timeout: 60_000 }, async () => {
    const path = join(dir, 'big.csv');
    await writeFile(path, bigCsv(200_000));
    const table = await readCsv(path);
    let count = 0;
    let last = 0;
    for await (const row of table.rows) {
      count++;
      last = row.rowNumber;
    }
    expect(count).toBe(200_000);
    expect(last).toBe(200_002);
  });
});
