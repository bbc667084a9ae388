/**
 * Counts of people as sources write them: `137 096`, `137.096`, `137,096`, `6563.0` (pandas), or a
 * marker for "not available" (`nan`, `None`, `N/A`…), which is never zero. A count is held
 * exactly or refused: nothing beyond 2^53 (where a float64, ClickHouse's and JavaScript's number,
 * stops holding every whole number) is rounded into the store.
 */
import { fail, ok, type Failure, type Parsed } from './result.js';

const EXPECTED = 'a count';
const EXPECTED_PEOPLE = 'a whole number of people';

/** The largest count held exactly: 2^53 - 1 (9,007,199,254,740,991). */
export const MAX_COUNT = Number.MAX_SAFE_INTEGER;
const MAX_DIGITS = String(MAX_COUNT);
const TOO_LARGE = `more than ${MAX_COUNT.toLocaleString('en-US')} (2^53 - 1), which the store cannot hold exactly`;

const NOT_AVAILABLE = new Set([
  '', '-', '–', '—', '..', 'n/d', 'nd', 'n.d.', 'n.d', 'na', 'n/a', 'n.a.', '#n/a',
  'not available', 'non disponible',
  // What pandas, Python and JSON exports write for a missing value.
  'nan', 'none', 'null',
]);

const PLAIN_DIGITS = /^\d{1,15}$/;

/** Spaces that French typography and spreadsheets put between thousands. */
const THOUSANDS_SPACES = /[\u00a0\u202f\u2009]/g;

/** True for an empty cell or a marker that says the figure is not available. */
export function isNotAvailable(raw: unknown): boolean {
  if (raw === null || raw === undefined) return true;
  return typeof raw === 'string' && NOT_AVAILABLE.has(raw.trim().toLowerCase());
}

/**
 * A non-negative count, or null when the source says it is not available.
 *
 * A single `,` or `.` followed by exactly three digits (`1,234`, `1.234`) is read as a thousands
 * separator: these are counts of people, English sources group thousands with a comma and French
 * ones with a dot, and a count with three decimals does not occur. With one or two digits after
 * it (`1234,5`, `1234.5`) the separator is a decimal one.
 */
export function parseCount(raw: string | number | null | undefined): Parsed<number | null> {
  // Fast path: plain digits (most cells) mean what they say; 15 digits are always below 2^53.
  if (typeof raw === 'string' && PLAIN_DIGITS.test(raw)) return ok(Number(raw));
  if (raw === null || raw === undefined || isNotAvailable(raw)) return ok(null);
  if (typeof raw === 'number') return countFromNumber(raw);
  return countFromText(raw);
}

/**
 * A count of people (individuals or households): a whole number, so `6563.0` is 6,563 but
 * `6563.5`, `1.5` and `1,5` are refused, never rounded. Null when not available.
 */
export function parsePeople(raw: string | number | null | undefined): Parsed<number | null> {
  const count = parseCount(raw);
  if (!count.ok || count.value === null || Number.isInteger(count.value)) return count;
  return fail(EXPECTED_PEOPLE, String(raw).trim(), 'a count of people has no fraction');
}

function countFromNumber(n: number): Parsed<number> {
  if (!Number.isFinite(n)) return fail(EXPECTED, String(n), 'not a finite number');
  if (n < 0) return fail(EXPECTED, String(n), 'a count cannot be negative');
  if (n > MAX_COUNT) return fail(EXPECTED, String(n), TOO_LARGE);
  return ok(n + 0);
}

/** True when the digits (no sign, no separator) make a number above MAX_COUNT. */
function beyondMax(digits: string): boolean {
  const d = digits.replace(/^0+(?=\d)/, '');
  return d.length > MAX_DIGITS.length || (d.length === MAX_DIGITS.length && d > MAX_DIGITS);
}

function countFromText(raw: string): Parsed<number> {
  const text = raw.trim().replace(THOUSANDS_SPACES, ' ');
  const shape = checkShape(text, raw);
  if (shape) return shape;
  const decimalSep = decimalSeparator(text);
  const cut = decimalSep === undefined ? -1 : text.lastIndexOf(decimalSep);
  const intPart = cut < 0 ? text : text.slice(0, cut);
  const fracPart = cut < 0 ? '' : text.slice(cut + 1);
  if (/[^\d]/.test(fracPart)) return fail(EXPECTED, raw, 'only digits may follow the decimal separator');
  const digits = integerDigits(intPart, decimalSep, raw);
  if (typeof digits !== 'string') return digits;
  if (beyondMax(digits)) return fail(EXPECTED, shortened(raw), TOO_LARGE);
  return ok(Number(fracPart === '' ? digits : `${digits}.${fracPart}`));
}

/** Rejects what cannot be a count whatever its separators mean. */
function checkShape(text: string, raw: string): Failure | undefined {
  if (text.includes('%')) return fail(EXPECTED, raw, 'a percentage, not a count');
  if (/^[-−]\s*\d/.test(text)) return fail(EXPECTED, raw, 'a count cannot be negative');
  if (/\d\s?[\u00b9\u00b2\u00b3\u2070-\u2079*†]+$/.test(text)) return fail(EXPECTED, raw, 'a footnote marker glued to the number?');
  if (/\p{L}/u.test(text)) return fail(EXPECTED, raw, 'letters are not part of a count');
  if (!/^\d[\d .,]*$/.test(text) || !/\d$/.test(text)) {
    return fail(EXPECTED, raw, 'digits with space, dot or comma separators');
  }
  return undefined;
}

/** Which of `.` and `,` is the decimal separator, if either is. Spaces only group thousands. */
function decimalSeparator(text: string): '.' | ',' | undefined {
  const dots = text.split('.').length - 1;
  const commas = text.split(',').length - 1;
  if (dots > 0 && commas > 0) return text.lastIndexOf('.') > text.lastIndexOf(',') ? '.' : ',';
  if (dots + commas !== 1) return undefined;
  const sep = dots === 1 ? '.' : ',';
  if (text.includes(' ')) return sep;
  return isThousandsGrouping(text.split(sep)) ? undefined : sep;
}

/** `1.234`, `12 345 678`; never `0,123`, which no one writes for 123. */
function isThousandsGrouping(groups: string[]): boolean {
  return groups.every((g, i) => (i === 0 ? /^[1-9]\d{0,2}$/.test(g) : /^\d{3}$/.test(g)));
}

/** The digits of the integer part, once its thousands grouping is checked. */
function integerDigits(intPart: string, decimalSep: string | undefined, raw: string): string | Failure {
  const seps = new Set(intPart.replace(/\d/g, ''));
  if (seps.size === 0) return intPart;
  if (decimalSep !== undefined && seps.has(decimalSep)) return fail(EXPECTED, raw, 'more than one decimal separator');
  if (seps.size > 1) return fail(EXPECTED, raw, 'mixes thousands separators');
  const [sep] = [...seps] as [string];
  const groups = intPart.split(sep);
  if (isThousandsGrouping(groups)) return groups.join('');
  return fail(EXPECTED, raw, groupingHint(groups));
}

function groupingHint(groups: string[]): string {
  const last = groups[groups.length - 1] ?? '';
  if (last.length > 3 && isThousandsGrouping([...groups.slice(0, -1), last.slice(0, 3)])) {
    return 'a footnote marker glued to the number?';
  }
  return 'digit groups after a thousands separator have exactly 3 digits';
}

/** A cell as a rejection shows it: a 400-digit cell is not repeated whole in a one-line reason. */
function shortened(raw: string): string {
  const text = raw.trim();
  return text.length > 40 ? `${text.slice(0, 20)}…${text.slice(-8)} (${text.length} characters)` : text;
}
