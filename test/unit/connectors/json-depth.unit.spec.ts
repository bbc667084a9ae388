/**
 * A JSON drop nested deeper than the parser can walk is unusable (a DropUnusableError, so a
 * refused drop and exit 2), never a stack overflow that Temporal retries; real API responses are
 * far below the bound and still read whole.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DropUnusableError } from '../../../domain/errors.js';
import { jsonDepth, MAX_JSON_DEPTH, readJsonDrop } from '../../../connectors/json.js';
import { openDrop } from '../../../connectors/open.js';
import { fetchApiDrop } from '../../../connectors/api.js';
import { ApiFetchError } from '../../../domain/errors.js';
import { localServer, rowsOf } from './support.js';

const REAL = fileURLToPath(new URL('../../fixtures/real/', import.meta.url));

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tally-json-depth-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function drop(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

const nestedArrays = (n: number) => '['.repeat(n) + ']'.repeat(n);
/** A DTM envelope whose one item has a value nested `n` levels below the item. */
const deepItem = (n: number) => `{"result":[{"admin0Pcode":"MLI","numPresentIdpInd":5,"note":${'{"a":'.repeat(n)}1${'}'.repeat(n)}}]}`;

describe('jsonDepth', () => {
  it('counts brackets outside strings only', () => {
    expect(jsonDepth('{"a":[1,{"b":[]}]}')).toBe(4);
    expect(jsonDepth('{"a":"[[[[{{{{\\"[[["}')).toBe(1);
    expect(jsonDepth('"no brackets"')).toBe(0);
  });

  it('stops counting once past the limit', () => {
    expect(jsonDepth(nestedArrays(100_000), 10)).toBe(11);
  });
});

describe('a JSON drop nested past the bound', () => {
  it.each([
    ['arrays 100,000 deep', () => nestedArrays(100_000)],
    ['a value 100,000 deep inside a DTM item', () => deepItem(100_000)],
    ['one level past the bound', () => deepItem(MAX_JSON_DEPTH - 2)],
  ])('is unusable: %s', async (_what, text) => {
    const path = await drop('deep.json', text());
    for (const read of [() => readJsonDrop(path), () => openDrop(path)]) {
      const error = await read().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DropUnusableError);
      const message = (error as Error).message;
      expect(message).toMatch(/^deep\.json: expected JSON nested at most 64 levels deep/);
      expect(message).not.toContain('\n');
      expect(message.length).toBeLessThan(300);
    }
  });

  it('at the bound, still reads', async () => {
    const path = await drop('at-bound.json', deepItem(MAX_JSON_DEPTH - 3));
    expect(jsonDepth(deepItem(MAX_JSON_DEPTH - 3))).toBe(MAX_JSON_DEPTH);
    const rows = await rowsOf(await readJsonDrop(path));
    expect(rows).toHaveLength(1);
  });

  it('fetched from an API, is a failure that is not retried', async () => {
    const server = await localServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(deepItem(100_000));
    });
    try {
      const error = await fetchApiDrop(`${server.url}/v3/displacement/admin0`, { retries: 2, minTimeoutMs: 1 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ApiFetchError);
      expect((error as ApiFetchError).retryable).toBe(false);
      expect((error as Error).message).toMatch(/nested at most 64 levels deep/);
      expect(server.requests).toHaveLength(1);
    } finally {
      await server.close();
    }
  });
});

describe('the real API responses in test/fixtures/real', () => {
  // row_count is expected.py's count of items (Python's json module, independent of the project's code).
  const expected = JSON.parse(readFileSync(join(REAL, 'expected.json'), 'utf8')) as { files: Record<string, { row_count?: number }> };
  const files = readdirSync(REAL).filter((f) => f.endsWith('.json') && f !== 'expected.json' && expected.files[f]?.row_count !== undefined);

  it.each(files)('%s is far below the bound and reads every item that expected.py counts', async (file) => {
    const text = readFileSync(join(REAL, file), 'utf8');
    expect(jsonDepth(text)).toBeLessThanOrEqual(8);
    const rows = await rowsOf(await readJsonDrop(join(REAL, file)));
    expect(rows.length).toBeLessThanOrEqual(expected.files[file]!.row_count!);
    // Items that are all empty are skipped as empty rows; every real item has at least one value.
    expect(rows.length).toBe(expected.files[file]!.row_count);
  });
});
