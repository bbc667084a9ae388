/**
 * A drop is one source's: bytes landed as `cmp` and landed again as `dtm` are refused, naming
 * the source they belong to, never answered with the first source's drop.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LandedAsOtherSourceError, LandingStore } from '../../../connectors/landing.js';
import { TallyError } from '../../../domain/errors.js';
import { fixture } from './support.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tally-landing-source-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('LandingStore and the source of a drop', () => {
  it('refuses bytes landed as another source, saying which one, with a non-retryable TallyError', async () => {
    const store = new LandingStore(dir);
    const first = await store.putFile(fixture('cmp-juillet-2019-cp1252.csv'), { source: 'cmp' });
    const error = await store.putFile(fixture('cmp-juillet-2019-cp1252.csv'), { source: 'dtm' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LandedAsOtherSourceError);
    expect(error).toBeInstanceOf(TallyError);
    const refusal = error as LandedAsOtherSourceError;
    expect(refusal.nonRetryable).toBe(true);
    expect(refusal.message).toBe(
      `cmp-juillet-2019-cp1252.csv: expected bytes not yet landed, or landed as source dtm, found drop ${first.dropId.slice(0, 12)} landed as source cmp on ${first.receivedAt.slice(0, 10)}: the same bytes are one source's drop (ingest them with --source cmp)`,
    );
    expect(refusal.detail()).toMatchObject({ expected: 'source cmp', found: 'source dtm', where: { file: 'cmp-juillet-2019-cp1252.csv', at: `drop ${first.dropId}` } });
    // The store still says the drop is cmp's.
    expect((await store.get(first.dropId))?.source).toBe('cmp');
  });

  it('refuses them from bytes (API drops) too, and still takes them as their own source', async () => {
    const store = new LandingStore(dir);
    const bytes = Buffer.from('{"result":[]}');
    await store.putBytes(bytes, { source: 'unhcr', fileName: 'unhcr-api.json' });
    await expect(store.putBytes(bytes, { source: 'dtm', fileName: 'dtm-api.json' })).rejects.toThrow(/landed as source unhcr/);
    await expect(store.putBytes(bytes, { source: 'unhcr', fileName: 'again.json' })).resolves.toMatchObject({ source: 'unhcr', isNew: false });
  });

  it('of two concurrent landings as different sources, one lands and the other is refused', async () => {
    const store = new LandingStore(dir);
    const bytes = Buffer.from('Région;Nombre de PDI\nMopti;12\n');
    const results = await Promise.allSettled(['cmp', 'dtm'].map((source) => store.putBytes(bytes, { source, fileName: 'a.csv' })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const refused = results.find((r) => r.status === 'rejected');
    expect(refused?.reason).toBeInstanceOf(LandedAsOtherSourceError);
  });
});
