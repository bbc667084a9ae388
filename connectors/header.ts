/** Finds the header row (and the HXL row) among the first rows of a table. */
import { isHxlRow, parseHxlTag, type HxlTag } from './hxl.js';
import { isEmptyRow, type RawRow } from './table.js';

export interface HeaderFound {
  headers: string[];
  headerRowNumber: number;
  hxl?: Array<HxlTag | null>;
  /** Rows numbered up to this one are header or hashtag rows; data starts after it. */
  lastHeaderRowNumber: number;
}

const NUMBERISH = /^[\s\d.,:/%+\-\u00a0\u202f]*\d[\s\d.,:/%+\-\u00a0\u202f]*$/;

function cleanCell(cell: string): string {
  return cell.replace(/^\ufeff/, '').trim();
}

function looksLikeHeader(cells: string[]): boolean {
  const filled = cells.map(cleanCell).filter((c) => c !== '');
  const numeric = filled.filter((c) => NUMBERISH.test(c)).length;
  return filled.length >= 2 && filled.length - numeric > numeric;
}

function tagsOf(cells: string[], width: number): Array<HxlTag | null> {
  return Array.from({ length: width }, (_, i) => parseHxlTag(cells[i] ?? ''));
}

/** Trailing empty cells (`Date;;;`) are not columns, unless a hashtag names them. */
function widthOf(headers: string[], tags: string[] = []): number {
  const last = (cells: string[]) => cells.reduce((w, c, i) => (c.trim() === '' ? w : i + 1), 0);
  return Math.max(last(headers), last(tags));
}

function fit(cells: string[], width: number): string[] {
  return Array.from({ length: width }, (_, i) => cells[i] ?? '');
}

/**
 * Leading title and blank lines are skipped: the header is the first row with at least 2 non-empty
 * cells, mostly non-numeric. A hashtag row directly below becomes `hxl`; a header made of hashtags
 * is both the headers and the `hxl`.
 */
export function locateHeader(rows: readonly RawRow[]): HeaderFound | undefined {
  const filled = rows.filter((r) => !isEmptyRow(r.cells));
  const at = filled.findIndex((r) => looksLikeHeader(r.cells));
  const header = filled[at];
  if (!header) return undefined;
  const cells = header.cells.map(cleanCell);
  const headerRowNumber = header.rowNumber;
  if (isHxlRow(cells)) {
    const headers = fit(cells, widthOf(cells));
    return { headers, headerRowNumber, hxl: tagsOf(headers, headers.length), lastHeaderRowNumber: headerRowNumber };
  }
  const next = filled[at + 1];
  if (next && isHxlRow(next.cells)) {
    const width = widthOf(cells, next.cells);
    return { headers: fit(cells, width), headerRowNumber, hxl: tagsOf(next.cells, width), lastHeaderRowNumber: next.rowNumber };
  }
  return { headers: fit(cells, widthOf(cells)), headerRowNumber, lastHeaderRowNumber: headerRowNumber };
}
