/**
 * The project's errors. Each one says whether asking again may help (`nonRetryable`), carries a
 * `type` code that Temporal's retry policies and callers match on, and says what was expected,
 * what was found and where. Activities throw them; activities/failures.ts turns them into
 * Temporal failures once, at the activity boundary. Anything else thrown is a fault worth a retry.
 *
 * ```ts
 * throw new DropNotLandedError('3f2a…', '/var/tally/landing');
 * // drop 3f2a…: expected its bytes in the landing store /var/tally/landing, found none
 * ```
 */

/** Where the trouble is, as far as it is known. */
export interface ErrorWhere {
  file?: string;
  /** 1-based data row. */
  row?: number;
  column?: string;
  /** Anything else that names the place: an input field, a URL, a drop, a source. */
  at?: string;
}

/** The structured part of a TallyError, JSON-safe: what goes into a Temporal failure's details. */
export interface ErrorDetail {
  expected?: string;
  found?: string;
  where: ErrorWhere;
}

export interface TallyErrorParts {
  expected?: string;
  /** The value or a description of what was there; strings are shown as they are, other values as JSON. */
  found?: unknown;
  where?: ErrorWhere;
  /** The message, when it cannot follow the template. @default "<where>: expected <expected>, found <found>" */
  message?: string;
  cause?: unknown;
}

/** `dtm-r47.csv row 12, column "Nombre de PDI"`; `query.area`; `GET https://…`. */
export function describeWhere(where: ErrorWhere): string {
  const head = [where.file, where.at, where.row === undefined ? undefined : `row ${where.row}`].filter((p) => p !== undefined).join(' ');
  const column = where.column === undefined ? '' : `column "${where.column}"`;
  return [head, column].filter((p) => p !== '').join(', ');
}

/** A found value for a message or a detail: strings as they are, others as JSON, at most 80 characters. */
export function describeFound(found: unknown): string {
  let text: string;
  try {
    text = typeof found === 'string' ? found : (JSON.stringify(found) ?? String(found));
  } catch {
    text = String(found);
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function templateMessage(parts: TallyErrorParts): string {
  const where = describeWhere(parts.where ?? {});
  const what = [parts.expected === undefined ? '' : `expected ${parts.expected}`, 'found' in parts ? `found ${describeFound(parts.found)}` : '']
    .filter((p) => p !== '')
    .join(', ');
  return [where, what].filter((p) => p !== '').join(': ');
}

/** The base of every error the project throws on purpose. */
export abstract class TallyError extends Error {
  /** A stable code: Temporal's `nonRetryableErrorTypes` and callers match on it. */
  abstract readonly type: string;
  /** True when asking again cannot help (bad input, a broken rule, a refusal). */
  abstract readonly nonRetryable: boolean;
  readonly expected?: string;
  readonly found?: unknown;
  readonly where: ErrorWhere;

  constructor(parts: TallyErrorParts) {
    super(parts.message ?? templateMessage(parts), parts.cause === undefined ? undefined : { cause: parts.cause });
    this.name = new.target.name;
    this.expected = parts.expected;
    this.found = parts.found;
    this.where = Object.fromEntries(Object.entries(parts.where ?? {}).filter(([, v]) => v !== undefined));
  }

  /** The structured part, JSON-safe. */
  detail(): ErrorDetail {
    const detail: ErrorDetail = { where: { ...this.where } };
    if (this.expected !== undefined) detail.expected = this.expected;
    if (this.found !== undefined) detail.found = describeFound(this.found);
    return detail;
  }
}

/** An error that asking again cannot mend: bad input, a broken rule, a refusal. */
export abstract class RefusedError extends TallyError {
  readonly nonRetryable = true;
}

/** An error that asking again may mend: something not there yet. */
export abstract class NotYetError extends TallyError {
  readonly nonRetryable = false;
}

/**
 * A drop that cannot be used at all (empty, binary, unreadable, no header row…). The message is one
 * line saying why; the ingest refuses the whole drop with it. Never worth retrying.
 */
export class DropUnusableError extends RefusedError {
  readonly type = 'DropUnusable';

  constructor(
    message: string,
    readonly fileName: string,
    detail: Pick<TallyErrorParts, 'expected' | 'found' | 'cause'> & Pick<ErrorWhere, 'row' | 'column'> = {},
  ) {
    const { row, column, ...parts } = detail;
    super({ ...parts, message: capText(message.replace(/\s*\n\s*/g, ' '), MAX_REASON_CHARS), where: { file: fileName, row, column } });
  }
}

export interface ApiFetchFailure extends Omit<TallyErrorParts, 'message' | 'where'> {
  /** The URL fetched, without secrets. */
  url: string;
  /** Whether asking again may help: a network fault, 429 or 5xx may pass; a 404 or a malformed body will not. */
  retryable: boolean;
  status?: number;
  /** What the server's Retry-After asked for, in milliseconds. */
  retryAfterMs?: number;
}

/** An HTTP API that could not be fetched. Retryable or not as the failure says (see `retryable`). */
export class ApiFetchError extends TallyError {
  readonly type = 'ApiFetchFailed';
  readonly nonRetryable: boolean;
  readonly url: string;
  readonly retryable: boolean;
  readonly status?: number;
  readonly retryAfterMs?: number;

  constructor(message: string, failure: ApiFetchFailure) {
    const { url, retryable, status, retryAfterMs, ...parts } = failure;
    super({ ...parts, message, where: { at: `GET ${url}` } });
    this.url = url;
    this.retryable = retryable;
    this.nonRetryable = !retryable;
    this.status = status;
    this.retryAfterMs = retryAfterMs;
  }
}

/** An activity was asked to ingest a drop whose bytes are not in the landing store. */
export class DropNotLandedError extends RefusedError {
  readonly type = 'DropNotLanded';

  constructor(
    readonly dropId: string,
    landingDir: string,
  ) {
    super({ where: { at: `drop ${dropId}` }, expected: `its bytes in the landing store ${landingDir}`, found: 'none' });
  }
}

/** A source id with no profile. */
export class UnknownSourceError extends RefusedError {
  readonly type = 'UnknownSource';

  constructor(
    readonly source: string,
    known: readonly string[],
  ) {
    const expected = `one of ${known.join(', ')}`;
    super({
      message: `unknown source "${source}": expected ${expected} (or add a profile to TALLY_PROFILES_DIR)`,
      where: { at: 'source' },
      expected,
      found: source,
    });
  }
}

/** An API source polled with no URL given and none in its profile. */
export class NoApiUrlError extends RefusedError {
  readonly type = 'NoApiUrl';

  constructor(readonly source: string) {
    super({ where: { at: `source ${source}` }, expected: 'an API url in its profile or in the request', found: 'neither' });
  }
}

/** The alert receiver refused the alert (a 4xx other than 408 and 429): retrying would not help. */
export class AlertRefusedError extends RefusedError {
  readonly type = 'AlertRefused';

  constructor(
    message: string,
    readonly status: number,
    readonly deliveryId: string,
  ) {
    super({ message, where: { at: `delivery ${deliveryId}` }, expected: 'a 2xx answer', found: `HTTP ${status}` });
  }
}

/** The projections have not yet caught up with some offsets: ask again (this is how waiting is done). */
export class ProjectionsBehindError extends NotYetError {
  readonly type = 'ProjectionsBehind';

  constructor(
    readonly group: string,
    readonly lag: number,
  ) {
    super({ where: { at: `consumer group ${group}` }, expected: 'committed offsets at the end offsets given', found: `${lag} events behind` });
  }
}

/** A discrepancy to alert on that the projections have not written yet: ask again. */
export class NotProjectedYetError extends NotYetError {
  readonly type = 'NotProjectedYet';

  constructor(readonly eventId: string) {
    super({ where: { at: `discrepancy ${eventId}` }, expected: 'its row in ClickHouse', found: 'none yet' });
  }
}

/** Longest message a DropUnusableError keeps: it is stored with the drop and shown in one line. */
export const MAX_REASON_CHARS = 1000;

/** The text cut to `max` characters, ending in "…" when cut (never inside a surrogate pair). */
export function capText(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = Math.max(0, max - 1);
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${text.slice(0, end)}…`;
}

/**
 * A list for a message: the first items quoted (at most `max` of them, each cut to 40 characters,
 * as many as fit in `maxChars`), then "and N more": `"foo", "bar" and 199998 more`. The budget
 * keeps a message with a list inside the one line of 300 characters the CLI prints.
 */
export function describeList(items: readonly string[], max = 20, maxChars = 60): string {
  const shown: string[] = [];
  let length = 0;
  for (const item of items.slice(0, max)) {
    const quoted = `"${capText(item, 40)}"`;
    if (shown.length > 0 && length + quoted.length + 2 > maxChars) break;
    shown.push(quoted);
    length += quoted.length + 2;
  }
  const rest = items.length - shown.length;
  return rest > 0 ? `${shown.join(', ')} and ${rest} more` : shown.join(', ');
}
