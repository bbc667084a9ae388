/**
 * Parsing one block of whole CSV lines into records (`parseCsvBlock`). A plain block (no quote
 * character, no byte-order mark, every line the same number of cells, and either no carriage
 * return at all or every line ended by CRLF) is split on the delimiter and on line ends, which
 * costs about a seventh of csv-parse. Any other block is read by csv-parse with the options it
 * always had, so quoting, ragged rows, BOMs and carriage returns are handled exactly as before.
 * `test/unit/connectors/csv-block.unit.spec.ts` checks that both give the same records.
 */
import { parse } from 'csv-parse/sync';

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** csv-parse's options for a block: one record per non-empty line, ragged rows and stray quotes tolerated. */
export function blockParseOptions(delimiter: string) {
  return { delimiter, relax_column_count: true, relax_quotes: true, skip_empty_lines: true };
}

/** The reference reading of a block: csv-parse. */
export function csvParseBlock(block: Buffer, delimiter: string): string[][] {
  return parse(block, blockParseOptions(delimiter)) as string[][];
}

/**
 * How the lines of a block end, if it is plain enough for the split: 'lf' (no CR anywhere),
 * 'crlf' (every CR followed by LF and every LF preceded by CR), or undefined for csv-parse.
 */
function lineEnds(block: Buffer): 'lf' | 'crlf' | undefined {
  let cr = block.indexOf(CR);
  if (cr < 0) return 'lf';
  let crs = 0;
  for (; cr >= 0; cr = block.indexOf(CR, cr + 1)) {
    if (block[cr + 1] !== LF) return undefined;
    crs++;
  }
  let lfs = 0;
  for (let lf = block.indexOf(LF); lf >= 0; lf = block.indexOf(LF, lf + 1)) lfs++;
  // Each CR is followed by an LF, so equal counts mean each LF is preceded by a CR.
  return crs === lfs ? 'crlf' : undefined;
}

/**
 * The records of a plain block, split on `delimiter` and on line ends, empty lines skipped; or
 * undefined when the block is not plain (see the module comment) and csv-parse must read it.
 */
export function plainBlockRecords(block: Buffer, delimiter: string): string[][] | undefined {
  if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\r' || delimiter === '\n') return undefined;
  if (block.indexOf(QUOTE) >= 0 || block.indexOf(BOM) >= 0) return undefined;
  const ends = lineEnds(block);
  if (!ends) return undefined;
  const text = block.toString('utf8');
  const records: string[][] = [];
  const trim = ends === 'crlf' ? 1 : 0;
  let width = -1;
  let start = 0;
  const n = text.length;
  while (start < n) {
    let nl = text.indexOf('\n', start);
    // In a CRLF block only a last line without a line end has no CR to drop.
    const end = nl < 0 ? n : nl - trim;
    if (nl < 0) nl = n;
    if (end > start) {
      const cells = text.slice(start, end).split(delimiter);
      if (width < 0) width = cells.length;
      else if (cells.length !== width) return undefined;
      records.push(cells);
    }
    start = nl + 1;
  }
  return records;
}

/** The records of a block of whole lines: the split when the block is plain, csv-parse otherwise. */
export function parseCsvBlock(block: Buffer, delimiter: string): string[][] {
  return plainBlockRecords(block, delimiter) ?? csvParseBlock(block, delimiter);
}
