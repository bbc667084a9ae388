/**
 * What the queries accept: zod rules for codes, P-codes, dates and ids, and `parseInput`, which
 * checks a query's input before any of it reaches SQL (and then only through adapters/sql.ts).
 */
import { z } from 'zod';
import { COUNTRY_PATTERN, DROP_ID_PATTERN, DROP_ID_RULE, PCODE_PATTERN, PCODE_RULE } from '../../domain/codes.js';
import { placesOf } from '../../domain/places.js';
import { RefusedError } from '../../domain/errors.js';
import { INDICATOR_CODES } from '../../domain/indicators.js';
import { isCalendarDate, quoteDateTime, toClickHouseDateTime } from '../../adapters/sql.js';

/** A query input that fails its rule: bad input, never worth a retry. */
export class QueryInputError extends RefusedError {
  readonly type = 'QueryInputError';

  constructor(
    message: string,
    /** The input's path, such as `query.area`. */
    readonly field: string,
    found: unknown,
    expected?: string,
  ) {
    super({ message, where: { at: field }, expected, found });
  }
}

const CODE_RE = /^[a-z][a-z0-9_-]*$/;
export const CODE = z.string().max(64).regex(CODE_RE, `expected a code matching ${CODE_RE}`);
export const PCODE = z.string().regex(PCODE_PATTERN, PCODE_RULE);
/** An indicator of the registry (domain/indicators.ts): any other code has no figures to ask for. */
export const INDICATOR = CODE.refine((code) => (INDICATOR_CODES as readonly string[]).includes(code), {
  message: `expected an indicator, one of ${INDICATOR_CODES.join(', ')}`,
});
/** A country with a P-code list: ISO 3166 alpha-3. */
export const COUNTRY = z
  .string()
  .regex(COUNTRY_PATTERN, 'expected an ISO 3166 alpha-3 code such as MLI or TCD')
  .refine((c) => placesOf(c) !== undefined, 'expected an ISO 3166 alpha-3 code of a country');
export const DATE = z.string().refine(isCalendarDate, 'expected a date YYYY-MM-DD');
export const AS_OF = z.string().refine((s) => {
  try {
    toClickHouseDateTime(s);
    return true;
  } catch {
    return false;
  }
}, 'expected an ISO date-time such as 2020-01-31T12:00:00Z, or a date');
export const DROP_ID = z.string().regex(DROP_ID_PATTERN, DROP_ID_RULE);
export const DROP_ID_OR_PREFIX = z.string().regex(/^[0-9a-f]{6,64}$/, 'expected a drop id or its first 6+ hex digits');
export const LIMIT = z.number().int().min(1).max(1_000_000);
export const KEY = z.string().max(2000);

function show(found: unknown): string {
  const text = JSON.stringify(found) ?? String(found);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Parses `value` with `schema`, or throws a QueryInputError naming the field, the rule and what was found. */
export function parseInput<T>(schema: z.ZodType<T>, value: unknown, field: string): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const path = [field, ...issue.path.map(String)].join('.');
  const found = issue.path.reduce<unknown>((v, k) => (v as Record<PropertyKey, unknown> | undefined)?.[k as PropertyKey], value);
  throw new QueryInputError(`${path}: ${issue.message}, found ${show(found)}`, path, found, issue.message.replace(/^expected /, ''));
}

/** A date given alone means the end of that day: "as known on 2020-01-31" includes what came that day. */
export function asOfSql(asOf: string): string {
  return quoteDateTime(/^\d{4}-\d{2}-\d{2}$/.test(asOf) ? `${asOf}T23:59:59Z` : asOf);
}
