/**
 * XLSX drops, streamed with exceljs' WorkbookReader: the sheet is the named one, else the first
 * visible sheet with a header row in its first rows. Each iteration of `rows` reads the file again.
 */
import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import type ExcelJS from 'exceljs';
import { DropUnusableError } from '../domain/errors.js';
import { locateHeader, type HeaderFound } from './header.js';
import { isEmptyRow, type RawRow, type RawTable } from './table.js';
import { cellText } from './xlsx-cells.js';

/** Rows of a sheet looked at to find its header and hashtag rows. */
const HEADER_SEARCH_ROWS = 10;

interface SheetReader {
  name: string;
  state?: string;
  [Symbol.asyncIterator](): AsyncIterator<ExcelJS.Row>;
}

function rowOf(row: ExcelJS.Row): RawRow {
  const values = Array.isArray(row.values) ? row.values.slice(1) : [];
  return { rowNumber: row.number, cells: Array.from({ length: values.length }, (_, i) => cellText(values[i])) };
}

/**
 * exceljs, loaded on the first workbook: it adds about 30 MB to a process's resident memory, and
 * most drops are CSV, so a worker that never sees a workbook never pays for it.
 */
let excel: Promise<typeof ExcelJS> | undefined;
function loadExcel(): Promise<typeof ExcelJS> {
  excel ??= import('exceljs').then((m) => m.default);
  return excel;
}

/** Each sheet of the workbook in order, with its position; the file is closed when iteration stops. */
async function* sheetsOf(path: string): AsyncGenerator<[SheetReader, number]> {
  const { stream } = await loadExcel();
  const input = createReadStream(path);
  const reader = new stream.xlsx.WorkbookReader(input, {
    worksheets: 'emit',
    sharedStrings: 'cache',
    styles: 'cache',
    hyperlinks: 'ignore',
    entries: 'ignore',
  });
  let position = 0;
  try {
    for await (const sheet of reader) yield [sheet as unknown as SheetReader, position++];
  } finally {
    input.destroy();
  }
}

/**
 * exceljs parks a sheet that comes before the shared strings in a temporary file and reads it back
 * later; leaving the workbook before the end makes that read fail outside any promise (ENOENT).
 * So every sheet and the workbook are always read to the end, even when their rows are not needed.
 */
async function drain(sheet: SheetReader): Promise<void> {
  for await (const _row of sheet) {
    // read to the end
  }
}

async function headRows(sheet: SheetReader): Promise<RawRow[]> {
  const rows: RawRow[] = [];
  for await (const row of sheet) {
    if (row.number <= HEADER_SEARCH_ROWS) rows.push(rowOf(row));
  }
  return rows;
}

interface SheetChoice {
  name: string;
  position: number;
  header: HeaderFound;
}

async function chooseSheet(path: string, fileName: string, wanted?: string): Promise<SheetChoice> {
  const seen: string[] = [];
  let chosen: SheetChoice | undefined;
  let wantedWithoutHeader = false;
  for await (const [sheet, position] of sheetsOf(path)) {
    seen.push(sheet.name);
    const eligible = wanted === undefined ? sheet.state !== 'hidden' && sheet.state !== 'veryHidden' : sheet.name === wanted;
    if (chosen || wantedWithoutHeader || !eligible) {
      await drain(sheet);
      continue;
    }
    const header = locateHeader(await headRows(sheet));
    if (header) chosen = { name: sheet.name, position, header };
    else if (wanted !== undefined) wantedWithoutHeader = true;
  }
  if (chosen) return chosen;
  if (wantedWithoutHeader) {
    throw new DropUnusableError(`${fileName} sheet "${wanted}" has no header row in its first ${HEADER_SEARCH_ROWS} rows`, fileName);
  }
  const sheets = seen.map((s) => `"${s}"`).join(', ') || 'none';
  const why = wanted === undefined ? `no sheet with a header row in its first ${HEADER_SEARCH_ROWS} rows` : `no sheet named "${wanted}"`;
  throw new DropUnusableError(`${fileName} has ${why} (sheets: ${sheets})`, fileName);
}

async function* dataRows(path: string, choice: SheetChoice): AsyncGenerator<RawRow> {
  for await (const [sheet, position] of sheetsOf(path)) {
    if (position !== choice.position) {
      await drain(sheet);
      continue;
    }
    for await (const row of sheet) {
      if (row.number <= choice.header.lastHeaderRowNumber) continue;
      const raw = rowOf(row);
      if (!isEmptyRow(raw.cells)) yield raw;
    }
  }
}

function unreadable(error: unknown, fileName: string): Error {
  if (error instanceof DropUnusableError) return error;
  const why = error instanceof Error ? error.message : String(error);
  return new DropUnusableError(`${fileName} is not a readable XLSX workbook: ${why}`, fileName);
}

/**
 * exceljs' streaming reader has been seen, on a loaded machine, to fail on a valid workbook it reads
 * at other times (`Cannot read properties of undefined (reading 'sheets')`: workbook.xml parsed to
 * nothing). A failure that is not our own verdict is read again, up to READS times in all, before
 * the workbook is called unreadable; a corrupt file fails every time, quickly.
 */
const READS = 3;

async function chooseSheetRead(path: string, fileName: string, wanted?: string): Promise<SheetChoice> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await chooseSheet(path, fileName, wanted);
    } catch (error) {
      if (error instanceof DropUnusableError || attempt === READS) throw unreadable(error, fileName);
    }
  }
}

export async function readXlsx(path: string, opts: { fileName?: string; sheet?: string } = {}): Promise<RawTable> {
  const fileName = opts.fileName ?? basename(path);
  const choice = await chooseSheetRead(path, fileName, opts.sheet);
  const { header } = choice;
  return {
    fileName,
    format: 'xlsx',
    headers: header.headers,
    headerRowNumber: header.headerRowNumber,
    ...(header.hxl ? { hxl: header.hxl } : {}),
    meta: { sheet: choice.name },
    rows: { [Symbol.asyncIterator]: () => dataRows(path, choice) },
  };
}
