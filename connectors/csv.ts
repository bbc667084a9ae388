/**
 * CSV drops, streamed: the first 64 KiB decide encoding and delimiter, then the file flows through
 * an iconv-lite decoder into csv-parse, so a multi-GB file is read with flat memory. Each iteration
 * of `rows` reads the file again from the start.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { pipeline } from 'node:stream';
import { CsvError, parse, type InfoRecord } from 'csv-parse';
import iconv from 'iconv-lite';
import { detectDelimiter, detectEncoding, detectFormat, iconvName, readHead, type Delimiter, type TextEncoding } from './detect.js';
import { DropUnusableError } from '../domain/errors.js';
import { locateHeader } from './header.js';
import { isEmptyRow, type RawRow, type RawTable } from './table.js';

/** Rows looked at to find the header below title lines. */
const HEADER_SEARCH_ROWS = 50;
/**
 * A longer record is taken for an unclosed quote rather than buffered without end. Generous: a
 * real row with one huge cell (20 MB) is read, so that row alone is rejected, not the whole drop.
 */
export const MAX_RECORD_BYTES = 64 * 1024 * 1024;

interface CsvSource {
  path: string;
  fileName: string;
  encoding: TextEncoding;
  delimiter: Delimiter;
}

interface ParsedRecord {
  info: InfoRecord;
  record: string[];
}

function parserFor(source: CsvSource) {
  return parse({
    delimiter: source.delimiter,
    relax_column_count: true,
    relax_quotes: true,
    bom: true,
    info: true,
    skip_empty_lines: true,
    max_record_size: MAX_RECORD_BYTES,
  });
}

const isUtf8 = (encoding: TextEncoding) => encoding === 'utf-8' || encoding === 'utf-8-bom';

function unusable(error: unknown, fileName: string): Error {
  if (!(error instanceof CsvError)) return error instanceof Error ? error : new Error(String(error));
  return new DropUnusableError(`${fileName} is not readable as CSV: ${error.message}`, fileName);
}

/** Every non-empty record with the 1-based line it starts on. */
async function* records(source: CsvSource): AsyncGenerator<RawRow> {
  const parser = parserFor(source);
  // csv-parse reads UTF-8 bytes itself; Windows-1252 and UTF-16 go through a decoder.
  if (isUtf8(source.encoding)) pipeline(createReadStream(source.path, { highWaterMark: 256 * 1024 }), parser, () => undefined);
  else pipeline(createReadStream(source.path), iconv.decodeStream(iconvName(source.encoding)), parser, () => undefined);
  let previous = { lines: 0, empty: 0 };
  try {
    for await (const { info, record } of parser as AsyncIterable<ParsedRecord>) {
      const rowNumber = previous.lines + 1 + (info.empty_lines - previous.empty);
      previous = { lines: info.lines, empty: info.empty_lines };
      if (!isEmptyRow(record)) yield { rowNumber, cells: record };
    }
  } catch (error) {
    throw unusable(error, source.fileName);
  } finally {
    parser.destroy();
  }
}

async function firstRows(source: CsvSource): Promise<RawRow[]> {
  const rows: RawRow[] = [];
  for await (const row of records(source)) {
    rows.push(row);
    if (rows.length >= HEADER_SEARCH_ROWS) break;
  }
  return rows;
}

async function* dataRows(source: CsvSource, after: number): AsyncGenerator<RawRow> {
  for await (const row of records(source)) if (row.rowNumber > after) yield row;
}

async function sourceOf(path: string, fileName: string): Promise<CsvSource> {
  const head = await readHead(path);
  const format = detectFormat(head, fileName);
  if (format !== 'csv') throw new DropUnusableError(`${fileName}: expected CSV text, found ${format.toUpperCase()}`, fileName);
  const encoding = detectEncoding(head);
  const sample = iconv.decode(head, iconvName(encoding));
  return { path, fileName, encoding, delimiter: detectDelimiter(sample) };
}

export async function readCsv(path: string, opts: { fileName?: string } = {}): Promise<RawTable> {
  const fileName = opts.fileName ?? basename(path);
  const source = await sourceOf(path, fileName);
  const found = locateHeader(await firstRows(source));
  if (!found) {
    throw new DropUnusableError(
      `${fileName} has no header row in its first ${HEADER_SEARCH_ROWS} rows (expected a row of at least 2 column names, delimiter "${source.delimiter}")`,
      fileName,
    );
  }
  return {
    fileName,
    format: 'csv',
    headers: found.headers,
    headerRowNumber: found.headerRowNumber,
    ...(found.hxl ? { hxl: found.hxl } : {}),
    meta: { encoding: source.encoding, delimiter: source.delimiter },
    rows: { [Symbol.asyncIterator]: () => dataRows(source, found.lastHeaderRowNumber) },
    // Byte ranges cut at 0x0A only work for single-byte newlines: UTF-16 text is read by one thread.
    ...(source.encoding.startsWith('utf-16')
      ? {}
      : { csv: { path, bytes: (await stat(path)).size, encoding: source.encoding, delimiter: source.delimiter, dataStartLine: found.lastHeaderRowNumber + 1 } }),
  };
}
