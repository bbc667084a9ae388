/**
 * Compares two servers' answers to the same SELECT: JSONEachRow text parsed into rows, numbers as
 * numbers (64-bit integers arrive quoted or not, depending on the version's default of
 * output_format_json_quote_64bit_integers), DateTime text in one form (the zero date spelt as
 * current versions spell it), and row order compared only when the statement's outermost query
 * has ORDER BY.
 */

/** Removes string literals, quoted names and comments, so that keywords inside them do not count. */
function code(sql: string): string {
  return sql
    .replace(/'(?:\\.|[^'\\])*'/g, "''")
    .replace(/`(?:\\.|[^`\\])*`/g, '``')
    .replace(/"(?:\\.|[^"\\])*"/g, '""')
    .replace(/--[^\n]*/g, ' ')
    .replace(/\/\*[\s\S]*?\*\//g, ' ');
}

/** The SQL with every parenthesised part (subqueries, function arguments) blanked out. */
function outermost(sql: string): string {
  let out = '';
  let depth = 0;
  for (const c of code(sql)) {
    if (c === '(') depth++;
    if (depth === 0) out += c;
    if (c === ')') depth = Math.max(0, depth - 1);
  }
  return out;
}

/** True when the statement's outermost SELECT orders its rows. */
export function ordersRows(sql: string): boolean {
  return /\bORDER\s+BY\b/i.test(outermost(sql));
}

export function parseEachRow(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

const NUMBER = /^-?(?:\d+)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
const DATETIME = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2})(?:\.0+)?Z?$/;
/**
 * The zero Date and DateTime (an empty maxIf, a default column): 18.16 writes them as
 * 0000-00-00 [00:00:00], current versions as 1970-01-01 [00:00:00]. The same value.
 */
const ZERO_DATE = new Map([
  ['0000-00-00', '1970-01-01'],
  ['0000-00-00 00:00:00', '1970-01-01 00:00:00'],
]);

/** One canonical form of a value: numeric text as a number, DateTime text as `YYYY-MM-DD hh:mm:ss`, keys sorted. */
export function normalise(value: unknown): unknown {
  if (typeof value === 'string') {
    if (NUMBER.test(value) && Number.isFinite(Number(value))) return Number(value);
    const dt = DATETIME.exec(value);
    const text = dt ? `${dt[1]} ${dt[2]}` : value;
    return ZERO_DATE.get(text) ?? text;
  }
  if (Array.isArray(value)) return value.map(normalise);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, normalise((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/** The rows of an answer in comparable form; sorted when the query does not order them. */
export function comparableRows(text: string, ordered: boolean): string[] {
  const rows = parseEachRow(text).map((r) => JSON.stringify(normalise(r)));
  return ordered ? rows : [...rows].sort();
}

export interface AnswerDifference {
  ordered: boolean;
  expected: string[];
  found: string[];
}

/** Undefined when both answers hold the same rows (in the same order where the query orders them). */
export function compareAnswers(sql: string, expected: string, found: string): AnswerDifference | undefined {
  const ordered = ordersRows(sql);
  const a = comparableRows(expected, ordered);
  const b = comparableRows(found, ordered);
  const same = a.length === b.length && a.every((row, i) => row === b[i]);
  return same ? undefined : { ordered, expected: a, found: b };
}
