import { describe, expect, it } from 'vitest';
import { DropUnusableError } from '../../../domain/errors.js';
import { openDrop } from '../../../connectors/open.js';
import { fixture } from './support.js';

async function refusal(name: string): Promise<DropUnusableError> {
  const error = await openDrop(fixture(name)).catch((e: unknown) => e);
  if (error instanceof DropUnusableError) return error;
  throw new Error(`expected ${name} to be refused, got ${String(error)}`);
}

describe('openDrop', () => {
  it('dispatches on the detected format', async () => {
    expect((await openDrop(fixture('dtm-mali-r47-hxl.csv'))).format).toBe('csv');
    expect((await openDrop(fixture('ministere-retours-2019.xlsx'), { sheet: 'Par sexe' })).meta.sheet).toBe('Par sexe');
    expect((await openDrop(fixture('dtm-api-v3.json'))).format).toBe('json');
  });

  it('uses the given file name in the table and in errors', async () => {
    const table = await openDrop(fixture('cmp-utf8-bom.csv'), { fileName: 'cmp-2019-07.csv' });
    expect(table.fileName).toBe('cmp-2019-07.csv');
    await expect(openDrop(fixture('empty.csv'), { fileName: 'vide.csv' })).rejects.toThrow('vide.csv is empty');
  });

  it('refuses empty, binary and refused-API drops with one-line reasons', async () => {
    for (const name of ['empty.csv', 'binary.bin', 'dtm-api-error.json']) {
      const error = await refusal(name);
      expect(error.fileName).toBe(name);
      expect(error.message.startsWith(name)).toBe(true);
      expect(error.message).not.toContain('\n');
    }
  });
});
