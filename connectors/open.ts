/** Opens any drop as a RawTable: detects the format and dispatches to its reader. */
import { basename } from 'node:path';
import { readCsv } from './csv.js';
import { detectFormat, readHead } from './detect.js';
import { readJsonDrop } from './json.js';
import type { RawTable } from './table.js';
import { readXlsx } from './xlsx.js';

/** Throws DropUnusableError when the drop is empty, binary, unreadable or has no header row. */
export async function openDrop(path: string, opts: { fileName?: string; sheet?: string } = {}): Promise<RawTable> {
  const fileName = opts.fileName ?? basename(path);
  const format = detectFormat(await readHead(path), fileName);
  if (format === 'xlsx') return readXlsx(path, { ...opts, fileName });
  if (format === 'json') return readJsonDrop(path, { fileName });
  return readCsv(path, { fileName });
}
