/**
 * The bad-input corpus: generated drops and command lines a hostile user or a careless export
 * would give `tally`, each with what must come out. test/int/cli/corpus.int.spec.ts runs them
 * through the real CLI on the real engines and checks the exit code, the length of every line
 * printed, and where every input row ended up in ClickHouse.
 *
 * Three kinds of case:
 * - a row case is one data row of a multi-row drop of its class (numbers, dates, places,
 *   formulas): its fate (accepted with a value and place, or rejected with a reason) is checked
 *   in ClickHouse's observations / rejections / duplicates tables;
 * - a drop case is a whole drop (encodings, sizes, structure): exit 0 with every row's fate, or
 *   exit 2 with its one-line reason;
 * - an argument case is a command line that must exit 1 with a one-line message.
 *
 * Rows never collide across drops: every accepted row has its own reference date (the `day`
 * counter), so no row of one case is a duplicate or a revision of another case's.
 */
import { CMP_HEADER, csvText, nextDay, resetDays, rowDrop, utf8, type ArgCase, type CorpusClass, type DropCase, type RowCase } from './corpus/model.js';
import { encodingCases, sizeCases, structureCases } from './corpus/drops.js';
import { argumentCases, dateCases, formulaCases, numberCases, placeCases } from './corpus/rows.js';

export type { ArgCase, CorpusClass, DropCase, DropRow, RowCase, RowExpect } from './corpus/model.js';

export interface Corpus {
  drops: DropCase[];
  args: ArgCase[];
  /** The plain drop argument cases name (`f('plain')`), written beside the others. */
  plain: DropCase;
  /** Every case, with its class: drop cases, row cases and argument cases. */
  cases: Array<{ id: string; class: CorpusClass; what: string }>;
}

/** The whole corpus, generated afresh (deterministic: the same bytes every time). */
export function buildCorpus(): Corpus {
  resetDays();
  const numbers = numberCases();
  const dates = dateCases();
  const places = placeCases();
  const formulas = formulaCases();
  const beyond = (c: RowCase) => c.beyondStore === true;
  const rowDrops = [
    rowDrop('numbers', 'counts', 'one row per way of writing a count', numbers.filter((c) => !beyond(c))),
    rowDrop('numbers', 'ranges', 'counts the store cannot hold exactly', numbers.filter(beyond)),
    rowDrop('dates', 'dates', 'one row per way of writing a reference date', dates.filter((c) => !beyond(c))),
    rowDrop('dates', 'ranges', 'dates the store cannot hold, or past the horizon', dates.filter(beyond)),
    rowDrop('places', 'places', 'one row per way of naming a place', places),
    rowDrop('formulas', 'formulas', 'one row per spreadsheet formula in a cell', formulas),
  ];
  const [fr, iso] = nextDay();
  const plain: DropCase = {
    id: 'plain',
    class: 'landing',
    what: 'a plain cmp drop, landed first as cmp',
    fileName: 'corpus-plain.csv',
    source: 'cmp',
    bytes: utf8(csvText(CMP_HEADER, [['Gao', '4 242', fr]])),
    expect: { exit: 0, rows: [{ row: 2, caseId: 'plain', expect: { fate: 'accepted', value: 4242, area: 'ML07', date: iso } }] },
  };
  const drops = [...encodingCases(), ...sizeCases(), ...structureCases(), ...rowDrops, plain];
  const args = argumentCases();
  const cases = [
    ...drops.filter((d) => !d.rowCases).map((d) => ({ id: d.id, class: d.class, what: d.what })),
    ...rowDrops.flatMap((d) => d.rowCases!.map((c) => ({ id: c.id, class: d.class, what: c.what }))),
    ...args.map((a) => ({ id: a.id, class: a.class, what: a.what })),
  ];
  return { drops, args, plain, cases };
}
