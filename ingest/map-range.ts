/**
 * Maps one byte range of a plain CSV (see csv-split.ts): reads it block by block (parseCsvBlock:
 * a split on the delimiter for plain blocks, csv-parse for the rest),
 * maps every row (drop-map.ts) into the range's own partition files and writes its rejections, as
 * events, one JSON per line. Synchronous by design: a parse thread runs it straight through, and
 * the activity's thread runs it one block at a time between other work (see map-threads.ts).
 */
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import type { DropNotice } from '../domain/events.js';
import { loadPlaceListFiles } from '../domain/places.js';
import type { SourceProfile } from '../domain/profile.js';
import type { CsvRange } from './csv-split.js';
import type { DropContext } from './drop-events.js';
import { rowRejected } from './drop-events.js';
import { RowMapper } from './drop-map.js';
import { fileStore } from './drop-partitions.js';
import type { ColumnPlan } from './mapping.js';
import { isEmptyRow } from '../connectors/table.js';
import { parseCsvBlock } from '../connectors/csv-block.js';

export interface MapRangeInput {
  path: string;
  range: CsvRange;
  delimiter: string;
  plan: ColumnPlan;
  profile: SourceProfile;
  ctx: DropContext;
  partitions: number;
  spillDir: string;
  /** The range's index: it names the range's partition files and orders its rejections. */
  mapper: number;
  rejectedPath: string;
  /** The user's P-code lists (TALLY_PCODES_FILE): a thread has its own place lists, loaded here before mapping. */
  pcodesFiles?: readonly string[];
}

export interface RangeCounts {
  rows: number;
  rejected: number;
  notices: DropNotice[];
}

/**
 * Bytes read per step. A block's records are garbage once mapped, so smaller blocks hold less
 * at once (1M rows read in two threads: peak RSS 179-187 MB against 182-196 with 1 MiB blocks,
 * reading 9.7-12.7 s against 10.8-15.4; docs/performance.md).
 */
const BLOCK = 256 * 1024;
const LF = 0x0a;
const CR = 0x0d;

/** 1-based line numbers of the non-empty lines of a block whose first line is `firstLine`, and the line after it. */
function nonEmptyLines(block: Buffer, firstLine: number): { lines: number[]; next: number } {
  const lines: number[] = [];
  let start = 0;
  let line = firstLine;
  while (start < block.length) {
    let nl = block.indexOf(LF, start);
    if (nl < 0) nl = block.length;
    const end = nl > start && block[nl - 1] === CR ? nl - 1 : nl;
    if (end > start) lines.push(line);
    line++;
    start = nl + 1;
  }
  return { lines, next: line };
}

/** A block of whole lines of a range, with the 1-based numbers of its non-empty lines. */
export interface LineBlock {
  block: Buffer;
  /** Line number of the block's first line. */
  firstLine: number;
  lines: number[];
  /** The range's last block. */
  last: boolean;
}

/**
 * Reads a range (see csv-split.ts) in blocks of about `blockBytes`, each cut at a line end; a line
 * longer than a block is carried into the next. The file is closed however the iteration ends.
 */
export function* lineBlocks(path: string, range: CsvRange, blockBytes = BLOCK): Generator<LineBlock, void, void> {
  const fd = openSync(path, 'r');
  let position = range.start;
  let line = range.firstLine;
  let carry: Buffer = Buffer.alloc(0);
  try {
    while (position < range.end || carry.length > 0) {
      const want = Math.min(blockBytes, range.end - position);
      const fresh = Buffer.allocUnsafe(want);
      const read = want > 0 ? readSync(fd, fresh, 0, want, position) : 0;
      position += read;
      const data = carry.length > 0 ? Buffer.concat([carry, fresh.subarray(0, read)]) : fresh.subarray(0, read);
      const atEnd = position >= range.end;
      const cut = atEnd ? data.length : data.lastIndexOf(LF) + 1;
      if (cut <= 0 && !atEnd) {
        carry = data;
        continue;
      }
      const block = data.subarray(0, cut);
      carry = Buffer.from(data.subarray(cut));
      const { lines, next } = nonEmptyLines(block, line);
      yield { block, firstLine: line, lines, last: atEnd };
      line = next;
      if (atEnd) return;
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * Maps the range one block (about 256 KiB) per step: yields the rows read so far after each block
 * and returns the range's counts. Files are closed however the iteration ends.
 */
export function* mapRange(input: MapRangeInput): Generator<number, RangeCounts, void> {
  const { plan, profile, ctx } = input;
  loadPlaceListFiles(input.pcodesFiles ?? []);
  const store = fileStore(input.spillDir, input.partitions, input.mapper);
  const mapper = new RowMapper(plan, profile, store, { country: ctx.country });
  const rejectedFd = openSync(input.rejectedPath, 'w');
  let rows = 0;
  let rejected = 0;
  try {
    for (const { block, firstLine, lines, last } of lineBlocks(input.path, input.range)) {
      const records = parseCsvBlock(block, input.delimiter);
      if (lines.length !== records.length) {
        throw new Error(`parse of ${input.path}: ${records.length} records for ${lines.length} non-empty lines from line ${firstLine}; expected one record per line`);
      }
      const rejections: string[] = [];
      for (let i = 0; i < records.length; i++) {
        const cells = records[i]!;
        if (isEmptyRow(cells)) continue;
        rows++;
        const rowNumber = lines[i]!;
        const rejection = mapper.map({ rowNumber, cells });
        if (rejection) {
          rejected++;
          rejections.push(JSON.stringify(rowRejected(ctx, rowNumber, rejection)));
        }
      }
      if (rejections.length > 0) writeSync(rejectedFd, rejections.join('\n') + '\n');
      mapper.resetCarried();
      if (!last) yield rows;
    }
    return { rows, rejected, notices: mapper.notices.list() };
  } finally {
    store.close();
    closeSync(rejectedFd);
  }
}
