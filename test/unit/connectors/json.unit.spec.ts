import { readFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DropUnusableError } from '../../../domain/errors.js';
import { readJsonDrop } from '../../../connectors/json.js';
import { fixture, rowsOf } from './support.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tally-json-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function fixtureJson(name: string): Promise<unknown> {
  return JSON.parse(await readFile(fixture(name), 'utf8'));
}

describe('readJsonDrop', () => {
  it('reads the DTM v3 envelope, headers in first-seen order, null as empty', async () => {
    const table = await readJsonDrop(fixture('dtm-api-v3.json'));
    expect(table.format).toBe('json');
    expect(table.headerRowNumber).toBe(0);
    expect(table.headers.slice(0, 3)).toEqual(['id', 'operation', 'admin0Name']);
    expect(table.headers.at(-1)).toBe('extraNote');
    const rows = await rowsOf(table);
    expect(rows).toHaveLength(5);
    const col = (name: string) => table.headers.indexOf(name);
    expect(rows[0]?.rowNumber).toBe(1);
    expect(rows[0]?.cells[col('numPresentIdpInd')]).toBe('61240');
    expect(rows[0]?.cells[col('numberMales')]).toBe('');
    expect(rows[0]?.cells[col('extraNote')]).toBe('');
    expect(rows[4]?.cells[col('extraNote')]).toBe('late entry');
  });

  it('refuses an envelope with isSuccess false, naming its errorMessages', async () => {
    const error = await readJsonDrop(fixture('dtm-api-error.json')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DropUnusableError);
    expect((error as Error).message).toBe(
      'dtm-api-error.json: the API refused the request (isSuccess false): FromReportingDate must be a valid date (yyyy-MM-dd); Admin0Pcode is required',
    );
  });

  it('reads a UNHCR page, with "0" and "-" as written', async () => {
    const table = await readJsonDrop(fixture('unhcr-page-1.json'));
    const rows = await rowsOf(table);
    expect(rows).toHaveLength(2);
    expect(rows[0]?.cells[table.headers.indexOf('asylum_seekers')]).toBe('0');
    expect(rows[0]?.cells[table.headers.indexOf('returned_refugees')]).toBe('-');
  });

  it('reads an api-drop: the items of every response in order, numbered across pages', async () => {
    const path = join(dir, 'unhcr-drop.json');
    const responses = [await fixtureJson('unhcr-page-1.json'), await fixtureJson('unhcr-page-2.json')];
    await writeFile(path, JSON.stringify({ kind: 'api-drop', url: 'http://127.0.0.1/population', responses }));
    const table = await readJsonDrop(path);
    const rows = await rowsOf(table);
    expect(rows.map((r) => r.rowNumber)).toEqual([1, 2, 3, 4]);
    expect(rows[3]?.cells[table.headers.indexOf('returned_refugees')]).toBe('6417');
    expect(rows[3]?.cells[table.headers.indexOf('stateless')]).toBe('');
    expect(table.meta.request).toEqual({});
  });

  it("gives an api-drop's request parameters, and none for a bare response", async () => {
    const path = join(dir, 'dtm-drop.json');
    const envelope = await fixtureJson('dtm-api-v3.json');
    await writeFile(path, JSON.stringify({ kind: 'api-drop', url: 'https://dtmapi.iom.int/v3/displacement/admin1?Admin0Pcode=MLI&Operation=Mali%20Conflict', responses: [envelope] }));
    expect((await readJsonDrop(path)).meta.request).toEqual({ Admin0Pcode: 'MLI', Operation: 'Mali Conflict' });
    expect((await readJsonDrop(fixture('dtm-api-v3.json'))).meta.request).toBeUndefined();
  });

  it('refuses an api-drop holding a refused response, naming the response', async () => {
    const path = join(dir, 'dtm-drop.json');
    const responses = [await fixtureJson('dtm-api-v3.json'), await fixtureJson('dtm-api-error.json')];
    await writeFile(path, JSON.stringify({ kind: 'api-drop', url: 'http://127.0.0.1/v3', responses }));
    await expect(readJsonDrop(path)).rejects.toThrow(/^dtm-drop\.json response 2: the API refused the request/);
  });

  it('reads a plain array of objects', async () => {
    const path = join(dir, 'array.json');
    await writeFile(path, JSON.stringify([{ region: 'Mopti', idps: 70512 }, {}, { region: 'Gao', idps: 24068, note: { source: 'DTM' } }]));
    const table = await readJsonDrop(path);
    expect(table.headers).toEqual(['region', 'idps', 'note']);
    expect(await rowsOf(table)).toEqual([
      { rowNumber: 1, cells: ['Mopti', '70512', ''] },
      { rowNumber: 3, cells: ['Gao', '24068', '{"source":"DTM"}'] },
    ]);
  });

  it('refuses an unknown shape and invalid JSON in one line', async () => {
    const shape = join(dir, 'shape.json');
    await writeFile(shape, '{"data": {"rows": []}}');
    await expect(readJsonDrop(shape)).rejects.toThrow('shape.json: expected a DTM envelope {result}, a UNHCR page {items} or an array, found an object with keys data');
    const broken = join(dir, 'broken.json');
    await writeFile(broken, '{"result": [');
    await expect(readJsonDrop(broken)).rejects.toThrow(/^broken\.json is not valid JSON/);
  });

  it('refuses a DTM envelope whose totalRecordsCount is not the length of its result', async () => {
    const envelope = (await fixtureJson('real/dtm-v3-displacement-admin1-admin0pcode-tcd.json')) as { result: unknown[] };
    const path = join(dir, 'dtm-short.json');
    await writeFile(path, JSON.stringify({ ...envelope, result: envelope.result.slice(0, 50) }));
    await expect(readJsonDrop(path)).rejects.toThrow('dtm-short.json: the DTM envelope says totalRecordsCount 56 but its result holds 50 items (an incomplete answer: v3 sends every record at once)');
    // The real answer, whole, reads: one row per item.
    expect(await rowsOf(await readJsonDrop(fixture('real/dtm-v3-displacement-admin1-admin0pcode-tcd.json')))).toHaveLength(56);
  });
});
