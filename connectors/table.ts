/** The raw table every drop format is read into; column mapping works on top of it. */
import type { HxlTag } from './hxl.js';

export interface RawRow {
  /** 1-based line (CSV), sheet row (XLSX) or item (JSON) number in the original drop, for error messages. */
  rowNumber: number;
  cells: string[];
}

export type DropFormat = 'csv' | 'xlsx' | 'json';

export interface RawTable {
  fileName: string;
  format: DropFormat;
  /** Header cells, trimmed. */
  headers: string[];
  /** 1-based; 0 when the format has no header row (JSON). */
  headerRowNumber: number;
  /** Per column, when a hashtag row is present (below the header, or as the header itself). */
  hxl?: Array<HxlTag | null>;
  meta: {
    encoding?: string;
    delimiter?: string;
    sheet?: string;
    /**
     * JSON drops (read whole): the columns whose cell is the same non-empty text in every row, by
     * header. A UNHCR answer for one origin (`coo=BKF`) has one `coo_iso` in every row.
     */
    sameInEveryRow?: Record<string, string>;
    /** api-drops: the query parameters of the request they answer (`Operation=Haiti Earthquake`), by name. */
    request?: Record<string, string>;
  };
  /** Data rows after the header and hashtag rows; completely empty rows are skipped. */
  rows: AsyncIterable<RawRow>;
  /** CSV drops: where the data rows are, so they can also be read by byte ranges (csv-split.ts). */
  csv?: { path: string; bytes: number; encoding: string; delimiter: string; dataStartLine: number };
}

export function isEmptyRow(cells: readonly string[]): boolean {
  return cells.every((c) => c.trim() === '');
}
