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
import iconv from 'iconv-lite';

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
  /** The fix this case waits for, when it is not in this branch (it must pass after that merge). */
  dependsOn?: string;
}

/** One data row of a drop, at its 1-based line (or item) number. */
export interface DropRow {
  row: number;
  caseId: string;
  expect: RowExpect;
  dependsOn?: string;
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
  dependsOn?: string;
}

export interface ArgCase {
  id: string;
  class: CorpusClass;
  what: string;
  /** The arguments, given the path of a drop the corpus wrote (for cases that need a file). */
  args: (file: (name: string) => string) => string[];
  expect: { exit: 1 | 2; message: RegExp };
}

/** The value-range fix (counts beyond 2^53, non-integer people, dates outside the store's range and a horizon). */
export const VALUE_RANGES = 'value ranges (domain/numbers.ts, domain/periods.ts): rejected at validation, not accepted then lost';

// ---- rows that never collide --------------------------------------------------------------

let dayCounter = 0;
/** A reference date of its own, 2001-01-01 onwards: [French dd/mm/yyyy, ISO]. */
function nextDay(): [string, string] {
  const date = new Date(Date.UTC(2001, 0, 1 + dayCounter++));
  const iso = date.toISOString().slice(0, 10);
  const [y, m, d] = iso.split('-');
  return [`${d}/${m}/${y}`, iso];
}

const CMP_HEADER = ['Région', 'Nombre de PDI', 'Date'];

/** A French (cmp) row in a region, with its own date; accepted as `value` in `area` unless told otherwise. */
function cmpRow(id: string, what: string, region: string, count: string, expect: RowExpect | 'accepted', accepted?: { value: number; area: string }): RowCase {
  const [fr, iso] = nextDay();
  const fate = expect === 'accepted' ? { fate: 'accepted' as const, value: accepted!.value, area: accepted!.area, date: iso } : expect;
  return { id, what, cells: [region, count, fr], expect: fate };
}

function rejected(reason: RegExp, column?: string): RowExpect {
  return { fate: 'rejected', reason, ...(column ? { column } : {}) };
}

function csvText(header: string[], rows: string[][], delimiter = ';', eol = '\n'): string {
  return [header, ...rows].map((cells) => cells.join(delimiter)).join(eol) + eol;
}

/** A multi-row drop of one class: header on line 1, case i on line i + 2. */
function rowDrop(cls: CorpusClass, name: string, what: string, cases: RowCase[], header = CMP_HEADER, source = 'cmp'): DropCase {
  const dependsOn = cases.find((c) => c.dependsOn)?.dependsOn;
  return {
    id: `${cls}/${name}`,
    class: cls,
    what,
    fileName: `corpus-${cls}-${name}.csv`,
    source,
    ...(dependsOn ? { dependsOn } : {}),
    bytes: Buffer.from(csvText(header, cases.map((c) => c.cells)), 'utf8'),
    expect: { exit: 0, rows: cases.map((c, i) => ({ row: i + 2, caseId: c.id, expect: c.expect, dependsOn: c.dependsOn })) },
    rowCases: cases,
  };
}

/** A drop of a few plain rows, each with its own date, encoded by `encode`. */
function encodedDrop(id: string, what: string, rows: Array<[string, string, number, string]>, encode: (text: string) => Buffer, opts: { eol?: string } = {}): DropCase {
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

const utf8 = (text: string) => Buffer.from(text, 'utf8');
const withBom = (bom: number[], body: Buffer) => Buffer.concat([Buffer.from(bom), body]);

// ---- the classes ----------------------------------------------------------------------------

function encodingCases(): DropCase[] {
  const accents: Array<[string, string, number, string]> = [
    ['Ségou', '1 200', 1200, 'ML04'],
    ['Ménaka', '340', 340, 'ML10'],
  ];
  return [
    encodedDrop('encodings/utf-8', 'UTF-8 without a BOM', accents, utf8),
    encodedDrop('encodings/utf-8-bom', 'UTF-8 with a BOM', accents, (t) => withBom([0xef, 0xbb, 0xbf], utf8(t))),
    encodedDrop('encodings/windows-1252', 'Windows-1252 (accents as single bytes)', accents, (t) => iconv.encode(t, 'win1252')),
    encodedDrop('encodings/utf-16le', 'UTF-16LE with a BOM (Excel "Unicode text")', accents, (t) => withBom([0xff, 0xfe], iconv.encode(t, 'utf-16le'))),
    encodedDrop('encodings/utf-16be', 'UTF-16BE with a BOM', accents, (t) => withBom([0xfe, 0xff], iconv.encode(t, 'utf-16be'))),
    encodedDrop('encodings/mojibake', 'mojibake: UTF-8 read as DOS code page 852 (S├ęgou) and as Windows-1252 (MÃ©naka)', [
      ['S├ęgou', '1 200', 1200, 'ML04'],
      ['MÃ©naka', '340', 340, 'ML10'],
    ], utf8),
    utf16Json(),
    {
      id: 'encodings/binary',
      class: 'encodings',
      what: 'binary bytes (a PNG header) named .csv',
      fileName: 'corpus-binary.csv',
      source: 'cmp',
      bytes: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x01]),
      expect: { exit: 2, reason: /corpus-binary\.csv is binary/ },
    },
    {
      id: 'encodings/utf-16-no-bom',
      class: 'encodings',
      what: 'UTF-16LE without a BOM (NUL bytes; nothing says it is text)',
      fileName: 'corpus-utf16-nobom.csv',
      source: 'cmp',
      bytes: iconv.encode(csvText(CMP_HEADER, [['Mopti', '12', '01/01/2001']]), 'utf-16le'),
      expect: { exit: 2, reason: /corpus-utf16-nobom\.csv is binary/ },
    },
  ];
}

/** A DTM API response saved as UTF-16LE with a BOM: JSON is decoded like CSV. */
function utf16Json(): DropCase {
  const [, iso] = nextDay();
  const item = { admin0Pcode: 'MLI', admin1Name: 'Mopti', admin1Pcode: 'ML05', numPresentIdpInd: 321, reportingDate: `${iso}T00:00:00`, roundNumber: 1, displacementReason: 'Conflict', assessmentType: 'BA' };
  const text = JSON.stringify({ result: [item], statusCode: 200, isSuccess: true, errorMessages: [], totalRecordsCount: 1 });
  return {
    id: 'encodings/utf-16le-json',
    class: 'encodings',
    what: 'a DTM API response (JSON) saved as UTF-16LE with a BOM',
    fileName: 'corpus-utf16le.json',
    source: 'dtm',
    bytes: withBom([0xff, 0xfe], iconv.encode(text, 'utf-16le')),
    expect: { exit: 0, rows: [{ row: 1, caseId: 'encodings/utf-16le-json', expect: { fate: 'accepted', value: 321, area: 'ML05', date: iso } }] },
  };
}

function sizeCases(): DropCase[] {
  const [fr, iso] = nextDay();
  const hugeName = 'x'.repeat(20 * 1024 * 1024);
  const [fr2, iso2] = nextDay();
  const wideHeader = [...CMP_HEADER, ...Array.from({ length: 10_000 }, (_, i) => `extra_${i}`)];
  const wideRow = ['Kayes', '77', fr2, ...Array.from({ length: 10_000 }, () => '')];
  return [
    { id: 'sizes/empty', class: 'sizes', what: 'an empty file', fileName: 'corpus-empty.csv', source: 'cmp', bytes: Buffer.alloc(0), expect: { exit: 2, reason: /corpus-empty\.csv is empty/ } },
    { id: 'sizes/blank', class: 'sizes', what: 'only blank lines and spaces', fileName: 'corpus-blank.csv', source: 'cmp', bytes: utf8('\n  \n\t\n\r\n'), expect: { exit: 2, reason: /corpus-blank\.csv is empty/ } },
    { id: 'sizes/bom-only', class: 'sizes', what: 'a UTF-8 BOM and nothing else', fileName: 'corpus-bom-only.csv', source: 'cmp', bytes: Buffer.from([0xef, 0xbb, 0xbf]), expect: { exit: 2, reason: /is empty/ } },
    { id: 'sizes/header-only', class: 'sizes', what: 'a header and no data row', fileName: 'corpus-header-only.csv', source: 'cmp', bytes: utf8(csvText(CMP_HEADER, [])), expect: { exit: 0, rows: [] } },
    {
      id: 'sizes/huge-cell',
      class: 'sizes',
      what: 'one 20 MB cell (a place name of 20 million characters) beside a normal row',
      fileName: 'corpus-huge-cell.csv',
      source: 'cmp',
      bytes: utf8(csvText(CMP_HEADER, [[hugeName, '10', fr], ['Gao', '11', fr]])),
      expect: {
        exit: 0,
        rows: [
          { row: 2, caseId: 'sizes/huge-cell', expect: rejected(/unknown|not a place|expected a (region|place)/i) },
          { row: 3, caseId: 'sizes/huge-cell', expect: { fate: 'accepted', value: 11, area: 'ML07', date: iso } },
        ],
      },
    },
    {
      id: 'sizes/many-columns',
      class: 'sizes',
      what: '10,000 extra empty columns beside the recognised ones',
      fileName: 'corpus-many-columns.csv',
      source: 'cmp',
      bytes: utf8(csvText(wideHeader, [wideRow])),
      expect: { exit: 0, rows: [{ row: 2, caseId: 'sizes/many-columns', expect: { fate: 'accepted', value: 77, area: 'ML01', date: iso2 } }] },
    },
    {
      id: 'sizes/many-unknown-columns',
      class: 'messages',
      what: '200,000 unrecognised columns: refused in one line that lists the first and counts the rest',
      fileName: 'corpus-wide-unknown.csv',
      source: 'cmp',
      bytes: utf8(`${Array.from({ length: 200_000 }, (_, i) => `c${i}`).join(';')}\n${Array.from({ length: 200_000 }, () => '1').join(';')}\n`),
      expect: { exit: 2, reason: /^corpus-wide-unknown\.csv: no recognisable value column for source cmp: .*found headers "c0", "c1", .* and 1999\d\d more$/ },
    },
  ];
}

function structureCases(): DropCase[] {
  const d = () => nextDay();
  const [a, aIso] = d();
  const [b, bIso] = d();
  const [c, cIso] = d();
  const [e, eIso] = d();
  const [f, fIso] = d();
  const [g, gIso] = d();
  const [h, hIso] = d();
  const [k] = d();
  const acc = (row: number, id: string, value: number, area: string, date: string): DropRow => ({ row, caseId: id, expect: { fate: 'accepted', value, area, date } });
  return [
    {
      id: 'structure/ragged',
      class: 'structure',
      what: 'ragged rows: one cell short (no date), and two cells too many',
      fileName: 'corpus-ragged.csv',
      source: 'cmp',
      bytes: utf8(`Région;Nombre de PDI;Date\nMopti;5\nGao;6;${a};extra;more\n`),
      expect: { exit: 0, rows: [{ row: 2, caseId: 'structure/ragged', expect: rejected(/date|Date/) }, acc(3, 'structure/ragged', 6, 'ML07', aIso)] },
    },
    {
      id: 'structure/quotes',
      class: 'structure',
      what: 'quoted cells: a delimiter, doubled quotes and a newline inside quotes',
      fileName: 'corpus-quotes.csv',
      source: 'cmp',
      bytes: utf8(`Région;Nombre de PDI;Date;Note\n"Mopti";"1 000";${b};"a;b ""c"""\nGao;2;${c};"two\nlines"\nKidal;3;${e};x\n`),
      expect: { exit: 0, rows: [acc(2, 'structure/quotes', 1000, 'ML05', bIso), acc(3, 'structure/quotes', 2, 'ML07', cIso), acc(5, 'structure/quotes', 3, 'ML08', eIso)] },
    },
    {
      id: 'structure/crlf',
      class: 'structure',
      what: 'CRLF line ends (Windows)',
      fileName: 'corpus-crlf.csv',
      source: 'cmp',
      bytes: utf8(csvText(CMP_HEADER, [['Kayes', '8', f]], ';', '\r\n')),
      expect: { exit: 0, rows: [acc(2, 'structure/crlf', 8, 'ML01', fIso)] },
    },
    {
      id: 'structure/title-and-blank-lines',
      class: 'structure',
      what: 'a title line above the header, blank lines between rows (not rows)',
      fileName: 'corpus-title.csv',
      source: 'cmp',
      bytes: utf8(`Situation des PDI;;\nRégion;Nombre de PDI;Date\n\nSikasso;9;${g}\n   \nBamako;10;${h}\n`),
      expect: { exit: 0, rows: [acc(4, 'structure/title-and-blank-lines', 9, 'ML03', gIso), acc(6, 'structure/title-and-blank-lines', 10, 'ML09', hIso)] },
    },
    {
      id: 'structure/unclosed-quote',
      class: 'structure',
      what: 'a quote opened and never closed',
      fileName: 'corpus-unclosed.csv',
      source: 'cmp',
      bytes: utf8(`Région;Nombre de PDI;Date\nKoulikoro;"11;${k}\n`),
      expect: { exit: 2, reason: /corpus-unclosed\.csv/ },
    },
    {
      id: 'structure/no-header',
      class: 'structure',
      what: 'data rows and no header',
      fileName: 'corpus-no-header.csv',
      source: 'cmp',
      bytes: utf8(`Mopti;12;${nextDay()[0]}\nGao;13;${nextDay()[0]}\n`),
      expect: { exit: 2, reason: /^corpus-no-header\.csv (has no header row|: no recognisable value column)/ },
    },
    {
      id: 'structure/deep-json',
      class: 'unwalkable',
      what: 'JSON nested 100,000 deep',
      fileName: 'corpus-deep.json',
      source: 'dtm',
      bytes: utf8('['.repeat(100_000) + ']'.repeat(100_000)),
      expect: { exit: 2, reason: /corpus-deep\.json: expected JSON nested at most 64 levels deep/ },
    },
    {
      id: 'structure/deep-json-value',
      class: 'unwalkable',
      what: 'a DTM envelope whose item holds a value nested 100,000 deep',
      fileName: 'corpus-deep-value.json',
      source: 'dtm',
      bytes: utf8(`{"result":[{"admin0Pcode":"MLI","admin1Pcode":"ML05","numPresentIdpInd":5,"reportingDate":"2001-01-01","x":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}}]}`),
      expect: { exit: 2, reason: /expected JSON nested at most 64 levels deep/ },
    },
    {
      id: 'structure/json-wrong-shape',
      class: 'structure',
      what: 'JSON of the wrong shape (an object without result or items)',
      fileName: 'corpus-wrong-shape.json',
      source: 'dtm',
      bytes: utf8('{"data":{"rows":[1,2]},"status":"ok"}'),
      expect: { exit: 2, reason: /expected a DTM envelope \{result\}, a UNHCR page \{items\} or an array/ },
    },
    {
      id: 'structure/json-scalars',
      class: 'structure',
      what: 'a JSON array of numbers, not objects',
      fileName: 'corpus-scalars.json',
      source: 'dtm',
      bytes: utf8('[1,2,3]'),
      expect: { exit: 2, reason: /item 1: expected an object/ },
    },
    {
      id: 'structure/json-truncated',
      class: 'structure',
      what: 'truncated JSON',
      fileName: 'corpus-truncated.json',
      source: 'dtm',
      bytes: utf8('{"result":[{"admin0Pcode":"MLI","numPresent'),
      expect: { exit: 2, reason: /corpus-truncated\.json is not valid JSON/ },
    },
    {
      id: 'structure/json-refused',
      class: 'structure',
      what: 'a DTM envelope with isSuccess false',
      fileName: 'corpus-refused.json',
      source: 'dtm',
      bytes: utf8('{"result":[],"statusCode":400,"isSuccess":false,"errorMessages":["Admin0Pcode is required"]}'),
      expect: { exit: 2, reason: /isSuccess false\): Admin0Pcode is required/ },
    },
    {
      id: 'structure/xlsx-corrupt',
      class: 'structure',
      what: 'a zip header and garbage, named .xlsx',
      fileName: 'corpus-corrupt.xlsx',
      source: 'cmp',
      bytes: Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.from('not really a zip archive at all'.repeat(8))]),
      expect: { exit: 2, reason: /corpus-corrupt\.xlsx/ },
    },
    {
      id: 'structure/pdf',
      class: 'structure',
      what: 'a PDF report',
      fileName: 'corpus-report.pdf',
      source: 'cmp',
      bytes: utf8('%PDF-1.4\n%âãÏÓ\n1 0 obj <<>> endobj\n'),
      expect: { exit: 2, reason: /corpus-report\.pdf is a PDF/ },
    },
    {
      id: 'structure/xls',
      class: 'structure',
      what: 'a legacy .xls (OLE2) workbook',
      fileName: 'corpus-legacy.xls',
      source: 'cmp',
      bytes: Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), Buffer.alloc(64)]),
      expect: { exit: 2, reason: /legacy Excel\/OLE2 file/ },
    },
  ];
}

function numberCases(): RowCase[] {
  const row = (id: string, what: string, count: string, expect: RowExpect | number, dependsOn?: string): RowCase => {
    const c = typeof expect === 'number' ? cmpRow(`numbers/${id}`, what, 'Mopti', count, 'accepted', { value: expect, area: 'ML05' }) : cmpRow(`numbers/${id}`, what, 'Mopti', count, expect);
    return dependsOn ? { ...c, dependsOn } : c;
  };
  const notACount = /expected a (count|number)|not a (count|number)/i;
  return [
    row('plain', 'a plain count', '1200', 1200),
    row('zero', 'zero', '0', 0),
    row('negative', 'a negative count', '-5', rejected(/negative|expected a (count|number)/i, 'Nombre de PDI')),
    row('space-thousands', 'thousands separated by a space', '137 096', 137096),
    row('nbsp-thousands', 'thousands separated by a non-breaking space', '137\u00a0096', 137096),
    row('narrow-nbsp-thousands', 'thousands separated by a narrow no-break space (U+202F)', '137\u202f096', 137096),
    row('dot-thousands', 'thousands separated by dots (French)', '137.096', 137096),
    row('pandas-dot0', 'a whole number written by pandas (6563.0)', '6563.0', 6563),
    row('footnote', 'a footnote marker glued to a number (140 8001)', '140 8001', rejected(/footnote/i, 'Nombre de PDI')),
    row('letters', 'digits then letters', '12abc', rejected(notACount, 'Nombre de PDI')),
    row('empty', 'an empty count', '', rejected(/expected a (count|number)|missing|empty|not available/i)),
    row('dash', 'a dash for "not available"', '-', rejected(/expected a (count|number)|missing|not available/i)),
    row('na', 'N/A', 'N/A', rejected(/expected a (count|number)|missing|not available/i)),
    // The rows below wait for VALUE_RANGES: today they are accepted, then lost (Infinity → null,
    // rounded past 2^53, a fraction of a person). Only their fate and column are checked.
    row('400-digits', 'a count of 400 digits', '9'.repeat(400), rejected(/./, 'Nombre de PDI'), VALUE_RANGES),
    row('1e20', 'scientific notation 1e20', '1e20', rejected(notACount, 'Nombre de PDI')),
    row('20-digits', 'a 20-digit count (99999999999999999999)', '99999999999999999999', rejected(/./, 'Nombre de PDI'), VALUE_RANGES),
    row('2^53+1', '9007199254740993, just past 2^53', '9007199254740993', rejected(/./, 'Nombre de PDI'), VALUE_RANGES),
    row('decimal-people', 'a decimal number of people (1,5)', '1,5', rejected(/./, 'Nombre de PDI'), VALUE_RANGES),
    row('decimal-people-dot', 'a decimal number of people (1.5)', '1.5', rejected(/./, 'Nombre de PDI'), VALUE_RANGES),
  ];
}

function dateCases(): RowCase[] {
  let n = 0;
  const regions: Array<[string, string]> = [
    ['Kayes', 'ML01'],
    ['Koulikoro', 'ML02'],
    ['Sikasso', 'ML03'],
    ['Ségou', 'ML04'],
    ['Mopti', 'ML05'],
    ['Tombouctou', 'ML06'],
    ['Gao', 'ML07'],
    ['Kidal', 'ML08'],
    ['Bamako', 'ML09'],
    ['Ménaka', 'ML10'],
  ];
  const row = (id: string, what: string, date: string, expect: RowExpect, dependsOn?: string): RowCase => ({
    id: `dates/${id}`,
    what,
    cells: [regions[n++ % regions.length]![0], String(100 + n), date],
    expect: expect.fate === 'accepted' ? { ...expect, area: regions[(n - 1) % regions.length]![1], value: 100 + n } : expect,
    ...(dependsOn ? { dependsOn } : {}),
  });
  const ok = (date: string): RowExpect => ({ fate: 'accepted', value: 0, area: '', date });
  const bad = /expected a (date|reference date|period)|not a date|invalid date|date/i;
  return [
    row('dd/mm/yyyy', 'dd/mm/yyyy', '31/07/2019', ok('2019-07-31')),
    row('iso', 'ISO 8601', '2019-08-31', ok('2019-08-31')),
    row('month-fr', 'a month in French (the month\'s end)', 'juin 2019', ok('2019-06-30')),
    row('invalid-day', '31 February', '31/02/2019', rejected(bad, 'Date')),
    row('invalid-month', 'month 13', '2019-13-01', rejected(bad, 'Date')),
    row('words', 'not a date at all', 'hier soir', rejected(bad, 'Date')),
    row('empty', 'no date', '', rejected(bad)),
    // These wait for VALUE_RANGES: today they are accepted, then lost (ClickHouse's Date holds
    // 1970-2105) or kept (2090, past any horizon). Only their fate and column are checked.
    row('far-future', '2200-01-01, past what ClickHouse Date/DateTime can hold', '2200-01-01', rejected(/./, 'Date'), VALUE_RANGES),
    row('before-1970', '1965-12-31, before what ClickHouse Date can hold', '1965-12-31', rejected(/./, 'Date'), VALUE_RANGES),
    row('horizon', '2090-12-31, past the horizon for a reported figure', '2090-12-31', rejected(/./, 'Date'), VALUE_RANGES),
  ];
}

function placeCases(): RowCase[] {
  const row = (id: string, what: string, place: string, expect: RowExpect | string): RowCase =>
    typeof expect === 'string'
      ? cmpRow(`places/${id}`, what, place, '21', 'accepted', { value: 21, area: expect })
      : cmpRow(`places/${id}`, what, place, '21', expect);
  const unknown = (name: string) => rejected(new RegExp(`${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`), 'Région');
  return [
    row('plain', 'a region name', 'Mopti', 'ML05'),
    row('capitals', 'in capitals, without accents', 'SEGOU', 'ML04'),
    row('english', 'the English name', 'Timbuktu', 'ML06'),
    row('pcode', 'the region\'s P-code in the name column', 'ML07', 'ML07'),
    row('unknown', 'a place that does not exist', 'Atlantis', unknown('Atlantis')),
    row('new-region', 'a region created in 2023, not in the COD yet', 'Nioro', unknown('Nioro')),
    row('taoudenit', 'Taoudénit, which has no COD P-code', 'Taoudénit', unknown('Taoudénit')),
    row('iso-3166-2', 'an ISO 3166-2 code, not a P-code', 'ML-5', unknown('ML-5')),
    row('other-country', 'a region of another country (Chad\'s Lac)', 'Lac', unknown('Lac')),
    row('unknown-pcode', 'a P-code that does not exist', 'ML99', unknown('ML99')),
    // A P-code names its own country: with no --country, Chad's TD07 is read in Chad.
    row('other-country-pcode', "another country's P-code (Chad's TD07) in a drop without --country", 'TD07', 'TD07'),
    row('cercle-as-region', 'a cercle P-code where a region is expected', 'ML0501', rejected(/ML0501 is a cercle/, 'Région')),
  ];
}

function formulaCases(): RowCase[] {
  const notACount = rejected(/expected a (count|number)|not a (count|number)|formula|text/i, 'Nombre de PDI');
  const row = (id: string, what: string, count: string): RowCase => cmpRow(`formulas/${id}`, what, 'Kidal', count, notACount);
  return [
    row('equals', '=1+1 (never 2)', '=1+1'),
    row('at-sum', '@SUM(A1:A2)', '@SUM(A1:A2)'),
    row('plus-cmd', "+cmd|' /C calc'!A0 (DDE)", "+cmd|' /C calc'!A0"),
    row('minus-sum', '-1+2 (never 1)', '-1+2'),
    row('plus-number', '+12 (text, not 12)', '+12'),
    row('hyperlink', '=HYPERLINK("http://x")', '=HYPERLINK("http://x")'),
    { ...cmpRow('formulas/in-place', 'a formula as the place (=A1)', '=A1', '30', rejected(/=A1/, 'Région')) },
  ];
}

// ---- command lines ---------------------------------------------------------------------------

function argumentCases(): ArgCase[] {
  return [
    { id: 'arguments/unknown-source', class: 'arguments', what: 'an unknown --source', args: (f) => ['ingest', f('plain'), '--source', 'nosuchsource', '--wait'], expect: { exit: 1, message: /unknown source "nosuchsource"/ } },
    { id: 'arguments/no-source', class: 'arguments', what: 'no --source at all', args: (f) => ['ingest', f('plain'), '--wait'], expect: { exit: 1, message: /required option '--source <id>' not specified/ } },
    { id: 'arguments/missing-file', class: 'arguments', what: 'a file that does not exist', args: (f) => ['ingest', `${f('plain')}.missing`, '--source', 'cmp', '--wait'], expect: { exit: 2, message: /no such file/ } },
    {
      id: 'landing/other-source',
      class: 'landing',
      what: 'bytes already landed as cmp, ingested again as dtm',
      args: (f) => ['ingest', f('plain'), '--source', 'dtm', '--wait', '--json'],
      expect: { exit: 1, message: /expected bytes not yet landed, or landed as source dtm, found drop [0-9a-f]{12} landed as source cmp .*ingest them with --source cmp/ },
    },
    {
      id: 'arguments/sql-in-indicator',
      class: 'arguments',
      what: 'query --indicator with SQL in it',
      args: () => ['query', '--indicator', "idps' OR 1=1 --"],
      expect: { exit: 1, message: /indicator/ },
    },
    { id: 'arguments/unknown-area', class: 'arguments', what: 'query --area of no place', args: () => ['query', '--indicator', 'idps', '--area', 'Atlantis'], expect: { exit: 1, message: /--area: expected a P-code .* found "Atlantis"/ } },
    { id: 'arguments/bad-date', class: 'arguments', what: 'query --from 2019-13-45', args: () => ['query', '--indicator', 'idps', '--from', '2019-13-45'], expect: { exit: 1, message: /2019-13-45/ } },
    { id: 'arguments/bad-as-of', class: 'arguments', what: 'query --as-of that is no time', args: () => ['query', '--indicator', 'idps', '--as-of', 'yesterday'], expect: { exit: 1, message: /yesterday/ } },
    { id: 'arguments/sql-in-drop', class: 'arguments', what: "rejections --drop with SQL in it", args: () => ['rejections', '--drop', "x' OR 1=1 --"], expect: { exit: 1, message: /drop/ } },
    { id: 'arguments/bad-format', class: 'arguments', what: 'query --format that is not offered', args: () => ['query', '--indicator', 'idps', '--format', 'xml'], expect: { exit: 1, message: /argument 'xml' is invalid/ } },
  ];
}

export interface Corpus {
  drops: DropCase[];
  args: ArgCase[];
  /** The plain drop argument cases name (`f('plain')`), written beside the others. */
  plain: DropCase;
  /** Every case, with its class: drop cases, row cases and argument cases. */
  cases: Array<{ id: string; class: CorpusClass; what: string; dependsOn?: string }>;
}

/** The whole corpus, generated afresh (deterministic: the same bytes every time). */
export function buildCorpus(): Corpus {
  dayCounter = 0;
  const numbers = numberCases();
  const dates = dateCases();
  const places = placeCases();
  const formulas = formulaCases();
  const waits = (c: RowCase) => c.dependsOn !== undefined;
  const rowDrops = [
    rowDrop('numbers', 'counts', 'one row per way of writing a count', numbers.filter((c) => !waits(c))),
    rowDrop('numbers', 'ranges', 'counts the store cannot hold exactly (waits for the value-range fix)', numbers.filter(waits)),
    rowDrop('dates', 'dates', 'one row per way of writing a reference date', dates.filter((c) => !waits(c))),
    rowDrop('dates', 'ranges', 'dates the store cannot hold, or past the horizon (waits for the value-range fix)', dates.filter(waits)),
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
    ...drops.filter((d) => !d.rowCases).map((d) => ({ id: d.id, class: d.class, what: d.what, dependsOn: d.dependsOn })),
    ...rowDrops.flatMap((d) => d.rowCases!.map((c) => ({ id: c.id, class: d.class, what: c.what, dependsOn: c.dependsOn }))),
    ...args.map((a) => ({ id: a.id, class: a.class, what: a.what })),
  ];
  return { drops, args, plain, cases };
}
