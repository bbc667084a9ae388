/**
 * The one place where values become SQL text. ClickHouse 18.16 has no server-side query
 * parameters, so every value in a query goes through one of these functions, and every name
 * through `quoteIdentifier`. Each function refuses what it cannot quote safely, with a
 * `SqlValueError` that says what was expected and what was found.
 */
import { BoundedMap } from '../domain/collections.js';
import { RefusedError } from '../domain/errors.js';

/** A value that cannot be put into SQL. Bad input: never worth a retry. */
export class SqlValueError extends RefusedError {
  readonly type = 'SqlValueError';

  constructor(message: string, expected: string, found: unknown) {
    super({ message, expected, found });
  }
}

function show(found: unknown): string {
  const text = typeof found === 'string' ? JSON.stringify(found) : String(found);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function refuse(expected: string, found: unknown): never {
  throw new SqlValueError(`expected ${expected}, found ${show(found)}`, expected, found);
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * A string literal: backslash and single quote are escaped, so nothing inside can end the
 * literal. NUL and lone UTF-16 surrogates are refused: no figure, code or name carries them.
 */
export function quoteString(s: string): string {
  if (typeof s !== 'string') refuse('a string', s);
  if (s.includes('\u0000')) refuse('a string without NUL characters', s);
  if (LONE_SURROGATE.test(s)) refuse('well-formed Unicode text', s);
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** A table, column or database name from a whitelist pattern, in backquotes. */
export function quoteIdentifier(name: string): string {
  if (typeof name !== 'string' || !IDENTIFIER.test(name)) refuse(`an identifier matching ${IDENTIFIER}`, name);
  return `\`${name}\``;
}

/** `database.table`, both parts checked. */
export function quoteTable(database: string, table: string): string {
  return `${quoteIdentifier(database)}.${quoteIdentifier(table)}`;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** True for a real calendar date written YYYY-MM-DD (no 2019-02-30). */
export function isCalendarDate(s: string): boolean {
  const m = DATE.exec(s);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = new Date(Date.UTC(y, mo - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d;
}

/** `toDate('YYYY-MM-DD')`, for a real calendar date within ClickHouse's Date range. */
export function quoteDate(date: string): string {
  if (typeof date !== 'string' || !isCalendarDate(date) || date < '1970-01-01' || date > '2105-12-31') {
    refuse('a date YYYY-MM-DD between 1970-01-01 and 2105-12-31', date);
  }
  return `toDate('${date}')`;
}

const DATETIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?)?$/;

/**
 * Recent conversions: the events of one drop or one reconcile page share a handful of record
 * times, and the projections convert two or three per event. Bounded; refusals are not kept.
 */
const converted = new BoundedMap<string>(1024);

/** Seconds precision, in UTC: the form `DateTime('UTC')` columns hold. A date alone is its midnight UTC. */
export function toClickHouseDateTime(iso: string): string {
  const known = converted.get(iso);
  if (known !== undefined) return known;
  const text = convertDateTime(iso);
  converted.set(iso, text);
  return text;
}

function convertDateTime(iso: string): string {
  if (typeof iso !== 'string' || !DATETIME.test(iso) || !isCalendarDate(iso.slice(0, 10))) {
    refuse('an ISO date-time such as 2019-07-31T00:00:00Z', iso);
  }
  const withZone = iso.length === 10 ? `${iso}T00:00:00Z` : /(Z|[+-]\d{2}:\d{2})$/.test(iso) ? iso : `${iso}Z`;
  const t = Date.parse(withZone);
  if (!Number.isFinite(t)) refuse('an ISO date-time such as 2019-07-31T00:00:00Z', iso);
  const text = new Date(t).toISOString();
  if (text < '1970-01-01' || text >= '2106') refuse('a date-time between 1970 and 2105', iso);
  return `${text.slice(0, 10)} ${text.slice(11, 19)}`;
}

/** `toDateTime('YYYY-MM-DD hh:mm:ss', 'UTC')` from an ISO date-time (offset honoured, UTC when absent). */
export function quoteDateTime(iso: string): string {
  return `toDateTime('${toClickHouseDateTime(iso)}', 'UTC')`;
}

/** A finite number, written so ClickHouse reads the same value back. */
export function quoteNumber(n: number): string {
  if (typeof n !== 'number' || !Number.isFinite(n)) refuse('a finite number', n);
  return Object.is(n, -0) ? '0' : String(n);
}

/** `('a', 'b')` for `IN`; an empty list is refused, since `IN ()` is not SQL. */
export function quoteStringList(xs: readonly string[]): string {
  if (!Array.isArray(xs) || xs.length === 0) refuse('a non-empty list of strings', xs);
  return `(${xs.map(quoteString).join(', ')})`;
}
