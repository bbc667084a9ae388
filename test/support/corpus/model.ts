/** The corpus's cases and the helpers that build them (see test/support/corpus.ts). */

export type CorpusClass =
  | 'encodings'
  | 'sizes'
  | 'structure'
  | 'numbers'
  | 'dates'
  | 'places'
  | 'formulas'
  | 'unwalkable'
  | 'messages'
  | 'landing'
  | 'arguments';

/** What must become of one data row. */
export type RowExpect =
  | { fate: 'accepted'; value: number; area: string; date?: string }
  | { fate: 'rejected'; reason: RegExp; column?: string }
  | { fate: 'duplicate' };

export interface RowCase {
  id: string;
  what: string;
  /** The cells of the row, in the drop's column order. */
  cells: string[];
  expect: RowExpect;
  /** A value the store cannot hold (or past the date horizon): such rows go in drops of their own. */
  beyondStore?: boolean;
}

/** One data row of a drop, at its 1-based line (or item) number. */
export interface DropRow {
  row: number;
  caseId: string;
  expect: RowExpect;
}

export interface DropCase {
  id: string;
  class: CorpusClass;
  what: string;
  fileName: string;
  source: string;
  bytes: Buffer;
  /** Exit 0: every data row and its fate. Exit 2: the one-line reason. */
  expect: { exit: 0; rows: DropRow[] } | { exit: 2; reason: RegExp };
  /** The row cases this drop carries (a multi-row drop of one class), counted as cases of their own. */
  rowCases?: RowCase[];
}

export interface ArgCase {
  id: string;
  class: CorpusClass;
  what: string;
  /** The arguments, given the path of a drop the corpus wrote (for cases that need a file). */
  args: (file: (name: string) => string) => string[];
  expect: { exit: 1 | 2; message: RegExp };
}

// ---- rows that never collide --------------------------------------------------------------

let dayCounter = 0;
/** Back to the first date: a corpus built again has the same bytes. */
export function resetDays(): void {
  dayCounter = 0;
}
/** A reference date of its own, 2001-01-01 onwards: [French dd/mm/yyyy, ISO]. */
export function nextDay(): [string, string] {
  const date = new Date(Date.UTC(2001, 0, 1 + dayCounter++));
  const iso = date.toISOString().slice(0, 10);
  const [y, m, d] = iso.split('-');
  return [`${d}/${m}/${y}`, iso];
}

export const CMP_HEADER = ['Région', 'Nombre de PDI', 'Date'];

/** A French (cmp) row in a region, with its own date; accepted as `value` in `area` unless told otherwise. */
export function cmpRow(id: string, what: string, region: string, count: string, expect: RowExpect | 'accepted', accepted?: { value: number; area: string }): RowCase {
  const [fr, iso] = nextDay();
  const fate = expect === 'accepted' ? { fate: 'accepted' as const, value: accepted!.value, area: accepted!.area, date: iso } : expect;
  return { id, what, cells: [region, count, fr], expect: fate };
}

export function rejected(reason: RegExp, column?: string): RowExpect {
  return { fate: 'rejected', reason, ...(column ? { column } : {}) };
}

export function csvText(header: string[], rows: string[][], delimiter = ';', eol = '\n'): string {
  return [header, ...rows].map((cells) => cells.join(delimiter)).join(eol) + eol;
}

/** A multi-row drop of one class: header on line 1, case i on line i + 2. */
export function rowDrop(cls: CorpusClass, name: string, what: string, cases: RowCase[], header = CMP_HEADER, source = 'cmp'): DropCase {
  return {
    id: `${cls}/${name}`,
    class: cls,
    what,
    fileName: `corpus-${cls}-${name}.csv`,
    source,
    bytes: Buffer.from(csvText(header, cases.map((c) => c.cells)), 'utf8'),
    expect: { exit: 0, rows: cases.map((c, i) => ({ row: i + 2, caseId: c.id, expect: c.expect })) },
    rowCases: cases,
  };
}

/** A drop of a few plain rows, each with its own date, encoded by `encode`. */
export function encodedDrop(id: string, what: string, rows: Array<[string, string, number, string]>, encode: (text: string) => Buffer, opts: { eol?: string } = {}): DropCase {
  const data = rows.map(([region, count, value, area]) => ({ row: cmpRow(id, what, region, count, 'accepted', { value, area }) }));
  return {
    id,
    class: 'encodings',
    what,
    fileName: `corpus-${id.replace(/\W+/g, '-')}.csv`,
    source: 'cmp',
    bytes: encode(csvText(CMP_HEADER, data.map((d) => d.row.cells), ';', opts.eol ?? '\n')),
    expect: { exit: 0, rows: data.map((d, i) => ({ row: i + 2, caseId: id, expect: d.row.expect })) },
  };
}

export const utf8 = (text: string) => Buffer.from(text, 'utf8');
export const withBom = (bom: number[], body: Buffer) => Buffer.concat([Buffer.from(bom), body]);
