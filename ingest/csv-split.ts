/**
 * Cuts a CSV's data rows into byte ranges that parse independently, so several threads can read
 * one drop. Only plain files qualify: UTF-8, no quote character anywhere (so every newline ends a
 * record) and no bare carriage returns. Anything else is read by one thread, as before.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';

export interface CsvRange {
  /** Byte offset of the range's first line. */
  start: number;
  /** Byte offset just past the range's last line. */
  end: number;
  /** 1-based line number of the line at `start`. */
  firstLine: number;
}

export type SplitResult = { ok: true; ranges: CsvRange[] } | { ok: false; why: string };

/**
 * A parse thread has a small heap (map-threads.ts): a line longer than this (one huge cell) would
 * exhaust it, which aborts the whole process, so such a file is read by the main thread.
 */
export const MAX_THREAD_LINE_BYTES = 1024 * 1024;

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

/**
 * One pass over the file: finds where line `dataStartLine` begins, refuses files a newline could
 * sit inside a field of, and cuts the rest into about `parts` ranges at line ends.
 */
export async function splitCsv(path: string, dataStartLine: number, parts: number): Promise<SplitResult> {
  const size = (await stat(path)).size;
  let offset = 0;
  let line = 1;
  let dataStart = dataStartLine <= 1 ? 0 : -1;
  const cuts: Array<{ at: number; line: number }> = [];
  let targets: number[] = [];
  const plan = () => {
    const span = size - dataStart;
    targets = Array.from({ length: Math.max(0, parts - 1) }, (_, i) => dataStart + Math.floor((span * (i + 1)) / parts));
  };
  if (dataStart === 0) plan();
  let lastWasCr = false;
  let lineStart = 0;
  const tooLong = { ok: false as const, why: `the file has a line longer than ${MAX_THREAD_LINE_BYTES} bytes` };
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 }) as AsyncIterable<Buffer>) {
    if (chunk.indexOf(QUOTE) >= 0) return { ok: false, why: 'the file has quoted fields' };
    if (lastWasCr && chunk[0] !== LF) return { ok: false, why: 'the file has bare carriage returns' };
    for (let cr = chunk.indexOf(CR); cr >= 0; cr = chunk.indexOf(CR, cr + 1)) {
      if (cr + 1 < chunk.length && chunk[cr + 1] !== LF) return { ok: false, why: 'the file has bare carriage returns' };
    }
    lastWasCr = chunk[chunk.length - 1] === CR;
    for (let nl = chunk.indexOf(LF); nl >= 0; nl = chunk.indexOf(LF, nl + 1)) {
      line++;
      const next = offset + nl + 1;
      if (next - lineStart > MAX_THREAD_LINE_BYTES) return tooLong;
      lineStart = next;
      if (dataStart < 0 && line === dataStartLine) {
        dataStart = next;
        plan();
      } else if (dataStart >= 0 && targets.length > 0 && next > targets[0]! && next < size) {
        cuts.push({ at: next, line });
        while (targets.length > 0 && targets[0]! < next) targets.shift();
      }
    }
    offset += chunk.length;
    if (offset - lineStart > MAX_THREAD_LINE_BYTES) return tooLong;
  }
  if (dataStart < 0) return { ok: true, ranges: [] };
  const ranges: CsvRange[] = [];
  let from = { at: dataStart, line: dataStartLine };
  for (const cut of cuts) {
    ranges.push({ start: from.at, end: cut.at, firstLine: from.line });
    from = cut;
  }
  if (from.at < size) ranges.push({ start: from.at, end: size, firstLine: from.line });
  return { ok: true, ranges };
}
