/**
 * The figures a drop's rows yield, written as one line each into partitions by place and reference
 * date, so a drop is settled one partition at a time: memory holds one partition's aggregates, not
 * the drop's.
 *
 * Every figure of a row has the row's place and reference date, and every copy of a series has the
 * series' place and period, so this partitioning keeps a row's figures together (a row is accounted
 * once, in one partition) and keeps every copy of a series together (BA/SA copies and rounds are
 * settled against each other). See `partitionOf`.
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { RowFigure } from './normalise.js';
import type { DropFormat } from '../connectors/table.js';

/**
 * Bytes of drop per partition: at about 66 bytes a row, some 30,000 rows and 8,000 observations.
 * Settling 1M rows in 32 partitions peaked at 138-140 MB RSS in one process, against 171-183 MB
 * in 16 (docs/performance.md).
 */
export const BYTES_PER_PARTITION = 2 * 1024 * 1024;

/** How many partitions a drop of this size gets; depends on the drop only, never on the machine. */
export function partitionsFor(bytes: number, format: DropFormat = 'csv'): number {
  // An XLSX is zipped: about a sixth of the CSV's size for the same rows.
  const weight = format === 'xlsx' ? 6 : 1;
  return Math.max(1, Math.ceil((bytes * weight) / BYTES_PER_PARTITION));
}

export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * A 52-bit hash (two FNV-1a lanes with different offsets), exact in a JSON number: two different
 * rows of one observation taken for a repeated row would need both lanes to collide.
 */
export function hash52(s: string): number {
  let a = 0x811c9dc5;
  let b = 0x050c5d1f;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x01000193);
  }
  return (a >>> 0) * 0x100000 + ((b >>> 0) >>> 12);
}

/**
 * The partition of a figure: by its place and reference date (a stock's date, a flow's end). Every
 * figure of a row has the row's place and the same reference date (a stock is dated at the end of
 * the span a flow of the same row covers: periods.ts), and every copy of a series (BA/SA, older
 * rounds, repeated rows) has the series' place and period, so a row and everything it is settled
 * against fall in one partition. By place alone, a partition would hold every date of its places:
 * a drop with more rounds of the same places would grow its partitions instead of their number.
 */
export function partitionOf(pcode: string, referenceDate: string, partitions: number): number {
  return partitions === 1 ? 0 : fnv1a(`${pcode}\u001f${referenceDate}`) % partitions;
}

/** One figure of one row, as the reduce side needs it. */
export interface FigureEntry {
  series: string;
  round: string;
  assessment: string;
  /**
   * The summed disaggregations a total's part was taken from (`operation=haiti earthquake`), ''
   * for every other figure: copies (rounds, BA/SA) are settled within each, then the parts summed.
   */
  group: string;
  unit: string;
  row: number;
  /** Hash of the cells summed over (and the value column's part): rows of one observation with different parts are summed. */
  part: number;
  /** Hash of the row's cells outside the observation's key (value and unmapped cells included): same part and rest is a repeated row. */
  rest: number;
  value: number;
  /** The row's figure, carried by (at least) the first entry of each observation in a partition. */
  figure?: RowFigure;
}

/** The observation a figure belongs to: rows with the same key are summed (or are copies). */
export function observationKey(e: Pick<FigureEntry, 'series' | 'round' | 'assessment' | 'unit'> & { group?: string }): string {
  return `${e.series}|${e.round}|${e.assessment}|${e.unit}|${e.group ?? ''}`;
}

const SEP = '\u001f';
// eslint-disable-next-line no-control-regex -- the separator is a control character on purpose
const NEEDS_ESCAPE = /[\n\u001f\\]/;

function escapeField(s: string): string {
  if (!NEEDS_ESCAPE.test(s)) return s;
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replaceAll(SEP, '\\u');
}

function unescapeField(s: string): string {
  if (!s.includes('\\')) return s;
  return s.replace(/\\(\\|n|u)/g, (_, c: string) => (c === 'n' ? '\n' : c === 'u' ? SEP : '\\'));
}

export function encodeEntry(e: FigureEntry): string {
  return [
    escapeField(e.series),
    escapeField(e.round),
    escapeField(e.assessment),
    escapeField(e.group),
    e.unit,
    e.row,
    e.part,
    e.rest,
    e.value,
    e.figure ? JSON.stringify(e.figure) : '',
  ].join(SEP);
}

export function decodeEntry(line: string): FigureEntry {
  const f = line.split(SEP);
  if (f.length !== 10) throw new Error(`partition entry: expected 10 fields, found ${f.length} in "${line.slice(0, 120)}"`);
  const entry: FigureEntry = {
    series: unescapeField(f[0]!),
    round: unescapeField(f[1]!),
    assessment: unescapeField(f[2]!),
    group: unescapeField(f[3]!),
    unit: f[4]!,
    row: Number(f[5]),
    part: Number(f[6]),
    rest: Number(f[7]),
    value: Number(f[8]),
  };
  if (f[9]) entry.figure = JSON.parse(f[9]) as RowFigure;
  return entry;
}

/** Where one mapper writes its entries; `lines(p)` reads a partition back in write order. */
export interface PartitionStore {
  readonly partitions: number;
  add(partition: number, line: string): void;
  /** Writes out what is buffered; no `add` after it. */
  close(): void;
  lines(partition: number): string[];
}

/** Small drops: entries stay in memory. */
export function memoryStore(partitions: number): PartitionStore {
  const parts: string[][] = Array.from({ length: partitions }, () => []);
  return {
    partitions,
    add: (p, line) => void parts[p]!.push(line),
    close: () => undefined,
    lines: (p) => parts[p]!,
  };
}

/** What one mapper buffers before writing, over all its partitions: a bigger drop has more partitions, not more memory. */
const BUFFERED_BYTES = 2 * 1024 * 1024;
/** Each partition's buffer is written out at BUFFERED_BYTES ÷ partitions, between these bounds. */
const FLUSH_BYTES = { min: 8 * 1024, max: 64 * 1024 };

export function flushBytesFor(partitions: number): number {
  return Math.min(FLUSH_BYTES.max, Math.max(FLUSH_BYTES.min, Math.floor(BUFFERED_BYTES / partitions)));
}

export function spillPath(dir: string, mapper: number, partition: number): string {
  return join(dir, `m${mapper}-p${partition}.entries`);
}

/** A parse thread's rejections, as events, one JSON per line, in row order. */
export function rejectedPath(dir: string, mapper: number): string {
  return join(dir, `m${mapper}.rejected`);
}

/** Large drops: one file per partition and mapper, appended in buffers of at most 64 KiB (flushBytesFor). */
export function fileStore(dir: string, partitions: number, mapper = 0): PartitionStore {
  mkdirSync(dir, { recursive: true });
  const flushAt = flushBytesFor(partitions);
  const fds = Array.from({ length: partitions }, (_, p) => openSync(spillPath(dir, mapper, p), 'w'));
  const buffers: string[][] = Array.from({ length: partitions }, () => []);
  const sizes = new Array<number>(partitions).fill(0);
  const flush = (p: number) => {
    if (buffers[p]!.length === 0) return;
    writeSync(fds[p]!, buffers[p]!.join('\n') + '\n');
    buffers[p] = [];
    sizes[p] = 0;
  };
  let closed = false;
  return {
    partitions,
    add(p, line) {
      buffers[p]!.push(line);
      sizes[p]! += line.length + 1;
      if (sizes[p]! >= flushAt) flush(p);
    },
    close() {
      if (closed) return;
      closed = true;
      for (let p = 0; p < partitions; p++) {
        flush(p);
        closeSync(fds[p]!);
      }
    },
    lines: (p) => readSpilled(dir, [mapper], p),
  };
}

/** A partition's lines from every mapper, mappers in order (their row ranges are in order). */
export function readSpilled(dir: string, mappers: number[], partition: number): string[] {
  const lines: string[] = [];
  for (const m of mappers) {
    const text = readFileSync(spillPath(dir, m, partition), 'utf8');
    if (text === '') continue;
    const parts = text.split('\n');
    parts.pop();
    for (const line of parts) lines.push(line);
  }
  return lines;
}

export function removeSpill(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
