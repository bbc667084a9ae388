import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DropUnusableError } from '../../../domain/errors.js';
import { readXlsx } from '../../../connectors/xlsx.js';
import { cellText, numberText } from '../../../connectors/xlsx-cells.js';
import { fixture, rowsOf } from './support.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tally-xlsx-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('readXlsx on the ministry workbook', () => {
  it('skips the notes sheet and the title row, and finds the header of the first data sheet', async () => {
    const table = await readXlsx(fixture('ministere-retours-2019.xlsx'));
    expect(table.format).toBe('xlsx');
    expect(table.meta.sheet).toBe('Retours');
    expect(table.headers).toEqual(['Région', 'Période', 'Migrants de retour', 'Dont femmes', 'Mise à jour']);
    expect(table.headerRowNumber).toBe(3);
    expect(table.hxl).toBeUndefined();
  });

  it('turns cells into strings: numbers plain, dates ISO, rich text as text, formulas as their result', async () => {
    const rows = await rowsOf(await readXlsx(fixture('ministere-retours-2019.xlsx')));
    expect(rows[0]).toEqual({ rowNumber: 4, cells: ['Kayes', 'juillet 2019', '812', '96', '2019-08-15'] });
    expect(rows[2]?.cells[0]).toBe('Ségou');
    expect(rows[3]?.cells.slice(1, 4)).toEqual(['T3 2019', '58.5', '']);
    expect(rows.at(-1)).toEqual({ rowNumber: 9, cells: ['Total', 'juillet 2019', '2449', '', '2019-08-15'] });
    expect(rows).toHaveLength(5);
  });

  it('reads the named sheet', async () => {
    const table = await readXlsx(fixture('ministere-retours-2019.xlsx'), { sheet: 'Par sexe' });
    expect(table.meta.sheet).toBe('Par sexe');
    expect(await rowsOf(table)).toEqual([
      { rowNumber: 2, cells: ['Kayes', 'Femmes', '96'] },
      { rowNumber: 3, cells: ['Kayes', 'Hommes', '716'] },
    ]);
  });

  it('refuses a sheet name that does not exist, listing the sheets', async () => {
    await expect(readXlsx(fixture('ministere-retours-2019.xlsx'), { sheet: 'Feuil1' })).rejects.toThrow(
      'ministere-retours-2019.xlsx has no sheet named "Feuil1" (sheets: "Lisez-moi", "Retours", "Par sexe")',
    );
  });
});

describe('readXlsx with HXL', () => {
  it('reads the hashtag row under the header', async () => {
    const table = await readXlsx(fixture('dtm-mali-r47-hxl.xlsx'));
    expect(table.headers[2]).toBe('numPresentIdpInd');
    expect(table.hxl?.[1]).toMatchObject({ tag: 'adm1', attributes: ['pcode'] });
    expect(table.hxl?.[3]).toMatchObject({ tag: 'affected', attributes: ['hh', 'idps'] });
    const rows = await rowsOf(table);
    expect(rows[0]).toEqual({ rowNumber: 3, cells: ['Mopti', 'ML05', '70512', '12390', '2019-07-31', '47'] });
  });
});

describe('readXlsx refusals', () => {
  it('refuses a zip that is not a workbook', async () => {
    const path = join(dir, 'broken.xlsx');
    await writeFile(path, Buffer.concat([Buffer.from('PK\x03\x04', 'latin1'), Buffer.alloc(64, 1)]));
    const error = await readXlsx(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DropUnusableError);
  });
});

describe('cellText', () => {
  it('writes numbers without grouping or exponent', () => {
    expect(numberText(4_000_000)).toBe('4000000');
    expect(numberText(1e21)).toBe('1000000000000000000000');
    expect(numberText(1e-7)).toBe('0.0000001');
  });

  it('handles formulas, errors, booleans and empties', () => {
    expect(cellText({ formula: 'A1*2', result: new Date(Date.UTC(2019, 6, 31)) })).toBe('2019-07-31');
    expect(cellText({ sharedFormula: 'A1', result: 17 })).toBe('17');
    expect(cellText({ error: '#N/A' })).toBe('#N/A');
    expect(cellText({ text: 'DTM', hyperlink: 'https://dtm.iom.int' })).toBe('DTM');
    expect(cellText(true)).toBe('TRUE');
    expect(cellText(null)).toBe('');
  });
});
