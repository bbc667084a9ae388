/**
 * The fast path for plain CSV blocks reads exactly what csv-parse reads: on every CSV fixture
 * (test/fixtures, real/ included), cut into blocks the way the parse threads cut them, on the
 * bench's generated drop, on hand-written edge cases and on seeded random blocks.
 */
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csvParseBlock, parseCsvBlock, plainBlockRecords } from '../../../connectors/csv-block.js';
import { detectDelimiter, detectEncoding, iconvName } from '../../../connectors/detect.js';
import { lineBlocks } from '../../../ingest/map-range.js';
import { generateDrop, prng } from '../../../bench/generate.js';

const FIXTURES = fileURLToPath(new URL('../../fixtures/', import.meta.url));

async function csvFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await csvFiles(path)));
    else if (/\.(csv|tsv)$/i.test(entry.name)) found.push(path);
  }
  return found.sort();
}

type Outcome = { records: string[][] } | { error: string };
function outcome(read: () => string[][]): Outcome {
  try {
    return { records: read() };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

interface Tally {
  blocks: number;
  fast: number;
}

/** Both readings of every block of `path` (blocks of `blockBytes`, cut at line ends as the parse threads cut them). */
async function compareFile(path: string, delimiter: string, blockBytes: number): Promise<Tally> {
  const size = (await stat(path)).size;
  const tally = { blocks: 0, fast: 0 };
  for (const { block, firstLine } of lineBlocks(path, { start: 0, end: size, firstLine: 1 }, blockBytes)) {
    tally.blocks++;
    if (plainBlockRecords(block, delimiter)) tally.fast++;
    const where = `${relative(FIXTURES, path)}, block from line ${firstLine}`;
    expect(outcome(() => parseCsvBlock(block, delimiter)), where).toEqual(outcome(() => csvParseBlock(block, delimiter)));
  }
  return tally;
}

async function delimiterOf(path: string): Promise<string> {
  const head = (await readFile(path)).subarray(0, 64 * 1024);
  return detectDelimiter(iconv.decode(head, iconvName(detectEncoding(head))));
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tally-csv-block-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('parseCsvBlock against csv-parse', () => {
  it('reads every CSV fixture the same, whole and in blocks of 64 KiB, 4 KiB and (small files) 256 bytes', async () => {
    const files = await csvFiles(FIXTURES);
    expect(files.map((f) => relative(FIXTURES, f))).toEqual(expect.arrayContaining(['real/hxl-idmc-idps-displacement-data.csv', 'cmp-utf8-bom.csv']));
    let fast = 0;
    for (const file of files) {
      const delimiter = await delimiterOf(file);
      // 256-byte blocks only where that stays quick (the 2.4 MB export has 9,000 of 4 KiB already).
      const sizes = (await stat(file)).size < 256 * 1024 ? [1 << 30, 64 * 1024, 4096, 256] : [1 << 30, 64 * 1024, 4096];
      for (const bytes of sizes) fast += (await compareFile(file, delimiter, bytes)).fast;
    }
    // Not vacuous: some fixture blocks are plain and took the split.
    expect(fast).toBeGreaterThan(0);
  });

  it("reads the bench's generated drop the same, every block by the split", async () => {
    const drop = await generateDrop(join(dir, 'drop.csv'), { rows: 20_000, seed: 3 });
    expect(drop.bad.footnote + drop.bad.place + drop.bad.date).toBeGreaterThan(0);
    const size = (await stat(drop.path)).size;
    const header = (await readFile(drop.path)).indexOf(0x0a) + 1;
    let rows = 0;
    let blocks = 0;
    for (const { block, firstLine } of lineBlocks(drop.path, { start: header, end: size, firstLine: 2 }, 16 * 1024)) {
      const fast = plainBlockRecords(block, ',');
      expect(fast, `block from line ${firstLine}: expected the split, found csv-parse`).toBeDefined();
      expect(fast, `block from line ${firstLine}`).toEqual(csvParseBlock(block, ','));
      rows += fast!.length;
      blocks++;
    }
    expect(rows).toBe(drop.rows);
    expect(blocks).toBeGreaterThan(10);
    // The header block too, read whole.
    const whole = await compareFile(drop.path, ',', 1 << 30);
    expect(whole).toEqual({ blocks: 1, fast: 1 });
  });

  /** Name, text, whether the split reads it; `latin1` texts are bytes (for invalid UTF-8), the others UTF-8. */
  const cases: Array<[string, string, boolean, BufferEncoding?]> = [
    ['LF lines', 'a,b,c\n1,2,3\n', true],
    ['CRLF lines', 'a,b,c\r\n1,2,3\r\n', true],
    ['last line without a line end', 'a,b\n1,2', true],
    ['CRLF, last line without a line end', 'a,b\r\n1,2', true],
    ['empty lines', '\n\na,b\n\n\n1,2\n\n', true],
    ['empty CRLF lines', '\r\n\r\na,b\r\n\r\n1,2\r\n', true],
    ['trailing delimiter', 'a,b,\n1,2,\n', true],
    ['only delimiters', ',,\n,,\n', true],
    ['spaces and tabs kept', ' a , b\t\n 1,2 \n', true],
    ['UTF-8 text', 'Région,Ségou\nTombouctou,Kidal\n', true],
    ['invalid UTF-8 bytes', 'a\xff,b\n\xc3,2\n', true, 'latin1'],
    ['a line of one space', 'a,b\n \n1,2\n', false],
    ['mixed LF and CRLF', 'a,b\r\n1,2\n3,4\r\n', false],
    ['mixed, LF first', 'a,b\n1,2\r\n', false],
    ['bare CR', 'a,b\r1,2\n', false],
    ['trailing bare CR', 'a,b\n1,2\r', false],
    ['ragged rows', 'a,b,c\n1,2\n', false],
    ['quoted field', 'a,b\n"x,y",2\n', false],
    ['stray quote', 'a,b\nx"y,2\n', false],
    ['quoted newline', 'a,b\n"x\ny",2\n', false],
    ['BOM at the start', '\ufeffa,b\n1,2\n', false],
    ['BOM inside', 'a,b\n\ufeff1,2\n', false],
    ['empty block', '', true],
  ];
  it.each(cases)('%s', (_, text, plain, encoding = 'utf8') => {
    const block = Buffer.from(text, encoding);
    expect(plainBlockRecords(block, ',') !== undefined, 'took the split').toBe(plain);
    expect(outcome(() => parseCsvBlock(block, ','))).toEqual(outcome(() => csvParseBlock(block, ',')));
  });

  it('reads seeded random blocks the same (2,000 blocks, three delimiters)', () => {
    const random = prng(17);
    const pieces = ['a', 'Mopti', 'é', '12', ' ', '\t', ',', ';', '\n', '\n', '\r\n', '\r', '"', '\ufeff', '\xff', ''];
    let fast = 0;
    for (let i = 0; i < 2000; i++) {
      const delimiter = [',', ';', '\t'][i % 3]!;
      // Mostly plain blocks of one width, so the split is exercised, with rare messy pieces.
      const width = 1 + Math.floor(random() * 4);
      const lines = Array.from({ length: Math.floor(random() * 8) }, () =>
        Array.from({ length: width }, () => {
          const roll = random();
          return roll < 0.9 ? pieces[Math.floor(random() * 6)]! : pieces[Math.floor(random() * pieces.length)]!;
        }).join(delimiter),
      );
      const end = random() < 0.5 ? '\n' : '\r\n';
      const block = Buffer.from(lines.join(end) + (random() < 0.7 ? end : ''), 'utf8');
      if (plainBlockRecords(block, delimiter)) fast++;
      expect(outcome(() => parseCsvBlock(block, delimiter)), JSON.stringify(block.toString('utf8'))).toEqual(outcome(() => csvParseBlock(block, delimiter)));
    }
    expect(fast).toBeGreaterThan(500);
  });
});
