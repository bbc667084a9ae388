import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LandingStore } from '../../../connectors/landing.js';
import { fixture } from './support.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tally-landing-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('LandingStore', () => {
  it('names a drop by the sha256 of its bytes and keeps it under <id[0:2]>/<id>', async () => {
    const store = new LandingStore(dir);
    const bytes = await readFile(fixture('cmp-juillet-2019-cp1252.csv'));
    const landed = await store.putFile(fixture('cmp-juillet-2019-cp1252.csv'), { source: 'cmp' });
    const id = createHash('sha256').update(bytes).digest('hex');
    expect(landed).toMatchObject({ dropId: id, fileName: 'cmp-juillet-2019-cp1252.csv', source: 'cmp', bytes: bytes.length, isNew: true });
    expect(landed.path).toBe(join(dir, id.slice(0, 2), id));
    expect(await readFile(landed.path)).toEqual(bytes);
    expect(JSON.parse(await readFile(`${landed.path}.json`, 'utf8'))).toMatchObject({ dropId: id, source: 'cmp' });
  });

  it('lands the same bytes again as the same drop, with the first receivedAt', async () => {
    const store = new LandingStore(dir);
    const first = await store.putFile(fixture('dtm-api-v3.json'), { source: 'dtm' });
    await new Promise((resolve) => setTimeout(resolve, 5));
    const again = await store.putBytes(await readFile(fixture('dtm-api-v3.json')), { source: 'dtm', fileName: 'renamed.json' });
    expect(again.dropId).toBe(first.dropId);
    expect(again.receivedAt).toBe(first.receivedAt);
    expect(again.isNew).toBe(false);
    expect(again.fileName).toBe('dtm-api-v3.json');
  });

  it('lands concurrent copies of the same bytes once', async () => {
    const store = new LandingStore(dir);
    const bytes = Buffer.from('Région;Cercle\nMopti;Djenné\n');
    const landed = await Promise.all([1, 2, 3, 4].map(() => store.putBytes(bytes, { source: 'cmp', fileName: 'a.csv' })));
    expect(landed.filter((d) => d.isNew)).toHaveLength(1);
    expect(new Set(landed.map((d) => d.receivedAt)).size).toBe(1);
    expect(await readdir(join(dir, 'tmp'))).toEqual([]);
  });

  it('gives different bytes different ids, and finds drops by id', async () => {
    const store = new LandingStore(dir);
    const a = await store.putBytes(Buffer.from('a'), { source: 's', fileName: 'a.csv' });
    const b = await store.putBytes(Buffer.from('b'), { source: 's', fileName: 'b.csv' });
    expect(a.dropId).not.toBe(b.dropId);
    expect(await store.get(b.dropId)).toMatchObject({ fileName: 'b.csv', isNew: false, bytes: 1 });
    expect(await store.get('0'.repeat(64))).toBeUndefined();
    expect(await store.get('../../etc/passwd')).toBeUndefined();
  });

  it('defaults to TALLY_LANDING_DIR', async () => {
    const previous = process.env.TALLY_LANDING_DIR;
    process.env.TALLY_LANDING_DIR = dir;
    try {
      expect(new LandingStore().dir).toBe(dir);
    } finally {
      if (previous === undefined) delete process.env.TALLY_LANDING_DIR;
      else process.env.TALLY_LANDING_DIR = previous;
    }
  });

  it('streams a large file into the store', async () => {
    const path = join(dir, 'big.csv');
    await writeFile(path, 'Région;Nombre\n' + 'Mopti;1\n'.repeat(300_000));
    const store = new LandingStore(join(dir, 'store'));
    const landed = await store.putFile(path, { source: 'cmp' });
    expect(landed.bytes).toBe((await stat(path)).size);
    expect(landed.dropId).toBe(createHash('sha256').update(await readFile(path)).digest('hex'));
  });
});
