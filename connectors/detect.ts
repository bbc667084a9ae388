/** Format, encoding and delimiter detection from the first bytes of a drop. */
import { open } from 'node:fs/promises';
import iconv from 'iconv-lite';
import { DropUnusableError } from '../domain/errors.js';
import type { DropFormat } from './table.js';

/** How many bytes detection looks at. */
export const HEAD_BYTES = 64 * 1024;

export async function readHead(path: string, size = HEAD_BYTES): Promise<Buffer> {
  const file = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(size);
    const { bytesRead } = await file.read(buffer, 0, size, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await file.close();
  }
}

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const UTF16LE_BOM = Buffer.from([0xff, 0xfe]);
const UTF16BE_BOM = Buffer.from([0xfe, 0xff]);
const ZIP = Buffer.from([0x50, 0x4b, 0x03, 0x04]);
const OLE2 = Buffer.from([0xd0, 0xcf, 0x11, 0xe0]);

function withoutBom(head: Buffer): Buffer {
  return head.subarray(0, 3).equals(BOM) ? head.subarray(3) : head;
}

/** C0 control bytes (or UTF-16 code units) other than tab, newlines and form feed: text files do not carry them. */
function controlRatio(head: ArrayLike<number>): number {
  let count = 0;
  for (let i = 0; i < head.length; i++) {
    const unit = head[i]!;
    if (unit < 0x20 && unit !== 0x09 && unit !== 0x0a && unit !== 0x0c && unit !== 0x0d) count++;
  }
  return head.length === 0 ? 0 : count / head.length;
}

/** The UTF-16 byte order a BOM announces; undefined without one (UTF-16 without a BOM reads as binary). */
function utf16Of(head: Buffer): 'utf-16le' | 'utf-16be' | undefined {
  if (head.subarray(0, 2).equals(UTF16LE_BOM)) return 'utf-16le';
  if (head.subarray(0, 2).equals(UTF16BE_BOM)) return 'utf-16be';
  return undefined;
}

/** UTF-16 text (a common Excel export): decoded first, then judged as text like any other. */
function detectUtf16Format(head: Buffer, fileName: string, encoding: 'utf-16le' | 'utf-16be'): DropFormat {
  const text = iconv.decode(head, encoding).replace(/^\ufeff/, '');
  if (text.trim() === '') throw new DropUnusableError(`${fileName} is empty`, fileName);
  const units = Array.from({ length: text.length }, (_, i) => text.charCodeAt(i));
  if (units.includes(0) || controlRatio(units) > 0.01) {
    throw new DropUnusableError(`${fileName} is binary (control or NUL characters after its UTF-16 byte order mark); expected CSV, XLSX or JSON text`, fileName);
  }
  const start = text.trimStart();
  return start.startsWith('{') || start.startsWith('[') ? 'json' : 'csv';
}

function refuseBinary(head: Buffer, fileName: string): void {
  if (head.subarray(0, 4).equals(OLE2)) {
    throw new DropUnusableError(`${fileName} is a legacy Excel/OLE2 file (.xls); expected CSV, XLSX or JSON: save it as .xlsx or CSV`, fileName);
  }
  if (head.subarray(0, 5).toString('latin1') === '%PDF-') {
    throw new DropUnusableError(`${fileName} is a PDF; expected CSV, XLSX or JSON: extract its tables first`, fileName);
  }
  if (head.includes(0) || controlRatio(head) > 0.01) {
    throw new DropUnusableError(`${fileName} is binary (control or NUL bytes); expected CSV, XLSX or JSON text`, fileName);
  }
}

/** PK zip → xlsx; `{` or `[` first → json; binary or empty → DropUnusableError; otherwise csv. */
export function detectFormat(head: Buffer, fileName: string): DropFormat {
  if (head.subarray(0, 4).equals(ZIP)) return 'xlsx';
  const utf16 = utf16Of(head);
  if (utf16) return detectUtf16Format(head, fileName, utf16);
  const body = withoutBom(head);
  const text = body.toString('latin1').trimStart();
  if (text === '') throw new DropUnusableError(`${fileName} is empty`, fileName);
  refuseBinary(body, fileName);
  return text.startsWith('{') || text.startsWith('[') ? 'json' : 'csv';
}

/** Length of the UTF-8 sequence a lead byte starts, or 0 when it cannot start one. */
function sequenceLength(lead: number): number {
  if (lead < 0x80) return 1;
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  return 0;
}

/** Valid UTF-8, allowing a sequence cut off by the end of the sample. */
function isUtf8(head: Buffer): boolean {
  for (let i = 0; i < head.length; ) {
    const length = sequenceLength(head[i] ?? 0);
    if (length === 0) return false;
    for (let k = 1; k < length && i + k < head.length; k++) {
      if (((head[i + k] ?? 0) & 0xc0) !== 0x80) return false;
    }
    i += length;
  }
  return true;
}

export type TextEncoding = 'utf-8' | 'utf-8-bom' | 'windows-1252' | 'utf-16le' | 'utf-16be';

export function detectEncoding(head: Buffer): TextEncoding {
  if (head.subarray(0, 3).equals(BOM)) return 'utf-8-bom';
  const utf16 = utf16Of(head);
  if (utf16) return utf16;
  return isUtf8(head) ? 'utf-8' : 'windows-1252';
}

/** iconv-lite's name for an encoding detectEncoding gave. */
export function iconvName(encoding: TextEncoding): string {
  return encoding === 'windows-1252' ? 'win1252' : encoding === 'utf-8-bom' ? 'utf-8' : encoding;
}

/** A whole drop's bytes as text, in the encoding they announce (BOM) or show (UTF-8, else Windows-1252); no BOM. */
export function decodeText(bytes: Buffer): string {
  return iconv.decode(bytes, iconvName(detectEncoding(bytes))).replace(/^\ufeff/, '');
}

export type Delimiter = ',' | ';' | '\t';
const DELIMITERS: readonly Delimiter[] = [',', ';', '\t'];
const SAMPLE_LINES = 30;

/** Per line (newlines inside quotes do not end a line), how often each delimiter occurs outside quotes. */
function countPerLine(sampleText: string): Array<Record<Delimiter, number>> {
  const lines: Array<Record<Delimiter, number>> = [];
  let counts = { ',': 0, ';': 0, '\t': 0 };
  let quoted = false;
  for (const char of sampleText) {
    if (lines.length >= SAMPLE_LINES) break;
    if (char === '"') quoted = !quoted;
    else if (!quoted && char === '\n') {
      lines.push(counts);
      counts = { ',': 0, ';': 0, '\t': 0 };
    } else if (!quoted && (char === ',' || char === ';' || char === '\t')) counts[char]++;
  }
  if (lines.length < SAMPLE_LINES) lines.push(counts);
  return lines;
}

/** How many lines share the delimiter's most common non-zero count, then that count. */
function consistency(counts: number[]): [number, number] {
  const tally = new Map<number, number>();
  for (const n of counts) if (n > 0) tally.set(n, (tally.get(n) ?? 0) + 1);
  let best: [number, number] = [0, 0];
  for (const [n, lines] of tally) if (lines > best[0] || (lines === best[0] && n > best[1])) best = [lines, n];
  return best;
}

/** The delimiter found the same number of times on the most lines wins; ',' when none is found. */
export function detectDelimiter(sampleText: string): Delimiter {
  const lines = countPerLine(sampleText);
  let winner: Delimiter = ',';
  let score: [number, number] = [0, 0];
  for (const d of DELIMITERS) {
    const s = consistency(lines.map((l) => l[d]));
    if (s[0] > score[0] || (s[0] === score[0] && s[1] > score[1])) [winner, score] = [d, s];
  }
  return winner;
}
