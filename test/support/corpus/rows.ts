/** Row cases (numbers, dates, places, formulas) and command-line cases. */
import { cmpRow, rejected, type ArgCase, type RowCase, type RowExpect } from './model.js';

export function numberCases(): RowCase[] {
  const row = (id: string, what: string, count: string, expect: RowExpect | number, beyondStore = false): RowCase => {
    const c = typeof expect === 'number' ? cmpRow(`numbers/${id}`, what, 'Mopti', count, 'accepted', { value: expect, area: 'ML05' }) : cmpRow(`numbers/${id}`, what, 'Mopti', count, expect);
    return beyondStore ? { ...c, beyondStore } : c;
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
    // Counts the store cannot hold exactly (Infinity, past 2^53, a fraction of a person): rejected
    // at validation (domain/numbers.ts). Only their fate and column are checked.
    row('400-digits', 'a count of 400 digits', '9'.repeat(400), rejected(/./, 'Nombre de PDI'), true),
    row('1e20', 'scientific notation 1e20', '1e20', rejected(notACount, 'Nombre de PDI')),
    row('20-digits', 'a 20-digit count (99999999999999999999)', '99999999999999999999', rejected(/./, 'Nombre de PDI'), true),
    row('2^53+1', '9007199254740993, just past 2^53', '9007199254740993', rejected(/./, 'Nombre de PDI'), true),
    row('decimal-people', 'a decimal number of people (1,5)', '1,5', rejected(/./, 'Nombre de PDI'), true),
    row('decimal-people-dot', 'a decimal number of people (1.5)', '1.5', rejected(/./, 'Nombre de PDI'), true),
  ];
}

export function dateCases(): RowCase[] {
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
  const row = (id: string, what: string, date: string, expect: RowExpect, beyondStore = false): RowCase => ({
    id: `dates/${id}`,
    what,
    cells: [regions[n++ % regions.length]![0], String(100 + n), date],
    expect: expect.fate === 'accepted' ? { ...expect, area: regions[(n - 1) % regions.length]![1], value: 100 + n } : expect,
    ...(beyondStore ? { beyondStore } : {}),
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
    // Dates the store cannot hold (ClickHouse's Date holds 1970-2105) or past the horizon: rejected
    // at validation (domain/periods.ts). Only their fate and column are checked.
    row('far-future', '2200-01-01, past what ClickHouse Date/DateTime can hold', '2200-01-01', rejected(/./, 'Date'), true),
    row('before-1970', '1965-12-31, before what ClickHouse Date can hold', '1965-12-31', rejected(/./, 'Date'), true),
    row('horizon', '2090-12-31, past the horizon for a reported figure', '2090-12-31', rejected(/./, 'Date'), true),
  ];
}

export function placeCases(): RowCase[] {
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

export function formulaCases(): RowCase[] {
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

export function argumentCases(): ArgCase[] {
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
