/** Whole-drop cases: encodings, sizes and structure. */
import iconv from 'iconv-lite';
import { CMP_HEADER, csvText, encodedDrop, nextDay, rejected, utf8, withBom, type DropCase, type DropRow } from './model.js';

export function encodingCases(): DropCase[] {
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

export function sizeCases(): DropCase[] {
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

export function structureCases(): DropCase[] {
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
