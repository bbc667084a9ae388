/**
 * Counts of people as sources write them: `137 096`, `137.096`, `137,096`, `1 234,5`, or a
 * marker for "not available", which is never zero.
 */
import { fail, ok, type Failure, type Parsed } from './result.js';

const EXPECTED = 'a count';

const NOT_AVAILABLE = new Set([
  '', '-', '–', '—', '..', 'n/d', 'nd', 'n.d.', 'n.d', 'na', 'n/a', 'n.a.',
  'not available', 'non disponible',
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
  // Fast path: plain digits (most cells) mean what they say.
  if (typeof raw === 'string' && PLAIN_DIGITS.test(raw)) return ok(Number(raw));
  if (raw === null || raw === undefined || isNotAvailable(raw)) return ok(null);
  if (typeof raw === 'number') return countFromNumber(raw);
  return countFromText(raw);
}

function countFromNumber(n: number): Parsed<number> {
  if (!Number.isFinite(n)) return fail(EXPECTED, String(n), 'not a finite number');
  if (n < 0) return fail(EXPECTED, String(n), 'a count cannot be negative');
  return ok(n + 0);
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
