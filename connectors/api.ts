/**
 * HTTP JSON API fetchers. The drop is the bytes of the responses: JSON.stringify of
 * `{kind: 'api-drop', url, responses}`, so a poll whose responses did not change gives the same
 * bytes, hence the same drop id. API keys come from the environment and never reach a message.
 */
import pRetry, { AbortError } from 'p-retry';
import { publicUrl, redact, secretsOf, withPage } from './api-url.js';
import { ApiFetchError, NoApiUrlError, type ApiFetchFailure } from '../domain/errors.js';
import { buildApiRequest, defaultApiUrl, isEmptyRequest, type ApiRequestOptions } from '../domain/api-request.js';
import type { SourceProfile } from '../domain/profile.js';
import { dtmCountMismatch, dtmErrors, jsonDepth, MAX_JSON_DEPTH } from './json.js';
import { apiBaseUrlFromEnv, apiKeyFromEnv } from '../infra/config.js';

export interface FetchOptions {
  /** Extra request headers. */
  headers?: Record<string, string>;
  /** Retries after the first attempt, on 429, 5xx and network errors. @default 5 */
  retries?: number;
  /** First backoff delay; it doubles at each retry. @default 500 */
  minTimeoutMs?: number;
  /** Per request. @default no timeout */
  timeoutMs?: number;
  /** Safety bound on the number of pages. @default 1000 */
  maxPages?: number;
  onProgress?: (page: number, maxPages?: number) => void;
}

export interface ApiDropOptions extends FetchOptions {
  /** 'unhcr': page=1, read maxPages, then page=2..maxPages. @default 'none' */
  paging?: 'unhcr' | 'none';
  /** Environment variable(s) holding the API key, the first one set wins. @default no key */
  apiKeyEnv?: string | readonly string[];
  /** Header the key is sent in. @default 'Ocp-Apim-Subscription-Key' */
  apiKeyHeader?: string;
  /** Every item must carry `value` in `field` (the country asked for): another one means the API read the request otherwise. */
  expect?: { field: string; value: string };
}

/** A Retry-After longer than this ends the retries: the caller (a Temporal retry) comes back later. */
const MAX_RETRY_AFTER_MS = 60_000;

interface Request {
  headers: Record<string, string>;
  secrets: string[];
  opts: ApiDropOptions;
  /** Where the key sent came from: the variable and the header; none when no key was sent. */
  key?: { variable: string; header: string };
}

function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** What went wrong beyond the message: the status, the server's Retry-After, what was expected and found. */
type FailureParts = Pick<ApiFetchFailure, 'status' | 'retryAfterMs' | 'expected' | 'found'>;

function failure(req: Request, url: string, why: string, retryable: boolean, parts: FailureParts = {}): ApiFetchError {
  const shown = publicUrl(url);
  const found = typeof parts.found === 'string' ? redact(parts.found, req.secrets) : parts.found;
  return new ApiFetchError(redact(`GET ${shown}: ${why}`, req.secrets), { ...parts, found, url: shown, retryable });
}

function networkCause(error: unknown): string {
  if (error instanceof Error && error.name === 'TimeoutError') return 'timed out';
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
}

async function send(url: string, req: Request): Promise<Response> {
  const signal = req.opts.timeoutMs ? AbortSignal.timeout(req.opts.timeoutMs) : undefined;
  try {
    return await fetch(url, { headers: req.headers, ...(signal ? { signal } : {}) });
  } catch (error) {
    const cause = networkCause(error);
    throw failure(req, url, `network error (${cause}), expected an HTTP response`, true, { expected: 'an HTTP response', found: `network error (${cause})` });
  }
}

function parseBody(text: string, url: string, req: Request, status: number): unknown {
  if (jsonDepth(text, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) {
    const expected = `a JSON body nested at most ${MAX_JSON_DEPTH} levels deep`;
    throw new AbortError(failure(req, url, `expected ${expected}, found deeper nesting`, false, { status, expected, found: 'deeper nesting' }));
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    const head = text.slice(0, 60);
    throw new AbortError(failure(req, url, `expected a JSON body, found "${head}"`, false, { status, expected: 'a JSON body', found: head }));
  }
  if (typeof body === 'object' && body !== null && (body as Record<string, unknown>).isSuccess === false) {
    const why = `the API answered isSuccess false: ${dtmErrors(body as Record<string, unknown>)}`;
    throw new AbortError(failure(req, url, why, false, { status, expected: 'isSuccess true', found: 'isSuccess false' }));
  }
  const count = dtmCountMismatch(body);
  if (count) throw new AbortError(failure(req, url, count.why, false, { status, expected: count.expected, found: count.found }));
  return body;
}

/** The DTM envelope's errorMessages of a refused request, when it has them. */
async function refusalDetail(response: Response): Promise<string> {
  const text = await response.text().catch(() => '');
  try {
    const body = JSON.parse(text) as unknown;
    return typeof body === 'object' && body !== null && 'errorMessages' in body ? `: ${dtmErrors(body as Record<string, unknown>)}` : '';
  } catch {
    return '';
  }
}

/** What the gateway said when it refused the key: the body's `message` or `errorMessages`, else its text. */
async function gatewayMessage(response: Response): Promise<string> {
  const text = (await response.text().catch(() => '')).trim();
  let said = text;
  try {
    const body = JSON.parse(text) as Record<string, unknown> | null;
    const nested = body?.error as Record<string, unknown> | undefined;
    if (typeof body?.message === 'string') said = body.message;
    else if (Array.isArray(body?.errorMessages) && body.errorMessages.length > 0) said = dtmErrors(body);
    else if (typeof nested?.message === 'string') said = nested.message;
  } catch {
    // not JSON: the text as it is
  }
  said = said.replace(/\s+/g, ' ').trim();
  return said.length > 200 ? `${said.slice(0, 197)}...` : said;
}

/** A 401 or 403: the key is missing or refused, in the gateway's own words; never retried. */
async function keyRefused(response: Response, url: string, req: Request): Promise<ApiFetchError> {
  const said = await gatewayMessage(response);
  const found = `HTTP ${response.status} ${response.statusText}`;
  const quote = said ? `; the gateway says "${said}"` : '; the gateway gave no reason';
  if (!req.key) {
    const why = `${found}: the API wants a key and none was sent (name its variable in the profile's api.apiKeyEnv)${quote}`;
    return failure(req, url, why, false, { status: response.status, expected: 'an API key', found });
  }
  const refused = response.status === 401 ? 'refused the key or found none' : 'refused the key (forbidden or over quota)';
  const why = `${found}: the API ${refused}, sent in ${req.key.header} from ${req.key.variable}${quote}`;
  return failure(req, url, why, false, { status: response.status, expected: `a valid API key in ${req.key.variable}`, found });
}

async function attempt(url: string, req: Request): Promise<unknown> {
  const response = await send(url, req);
  const { status, statusText } = response;
  if (status === 429 || status >= 500) {
    await response.body?.cancel();
    const wait = retryAfterMs(response.headers.get('retry-after'));
    throw failure(req, url, `HTTP ${status} ${statusText}, expected 200`, true, { status, retryAfterMs: wait, expected: 'HTTP 200', found: `HTTP ${status} ${statusText}` });
  }
  if (status === 401 || status === 403) throw new AbortError(await keyRefused(response, url, req));
  if (!response.ok) {
    const detail = await refusalDetail(response);
    const found = `HTTP ${status} ${statusText}`;
    throw new AbortError(failure(req, url, `${found}, expected 200 (not retried)${detail}`, false, { status, expected: 'HTTP 200', found }));
  }
  const text = await response.text().catch((error: unknown) => {
    const cause = networkCause(error);
    throw failure(req, url, `network error while reading the body (${cause})`, true, { status, expected: 'the whole body', found: `network error (${cause})` });
  });
  return parseBody(text, url, req, status);
}

/** The same failure told again with more said: still retryable, same URL, status and what was found. */
function again(error: ApiFetchError): ApiFetchFailure {
  return { url: error.url, retryable: true, status: error.status, expected: error.expected, found: error.found };
}

/** Waits what the server asked for, on top of the backoff; a wait too long for now ends the retries. */
async function honourRetryAfter(error: Error, retriesLeft: number): Promise<void> {
  if (!(error instanceof ApiFetchError) || error.retryAfterMs === undefined || retriesLeft === 0) return;
  if (error.retryAfterMs > MAX_RETRY_AFTER_MS) {
    const seconds = Math.round(error.retryAfterMs / 1000);
    throw new ApiFetchError(`${error.message}; Retry-After asks for ${seconds} s, more than ${MAX_RETRY_AFTER_MS / 1000} s`, again(error));
  }
  await new Promise((resolve) => setTimeout(resolve, error.retryAfterMs));
}

async function fetchJson(url: string, req: Request): Promise<unknown> {
  let attempts = 0;
  try {
    return await pRetry(() => attempt(url, req), {
      retries: req.opts.retries ?? 5,
      minTimeout: req.opts.minTimeoutMs ?? 500,
      factor: 2,
      maxTimeout: 30_000,
      randomize: true,
      onFailedAttempt: ({ error, attemptNumber, retriesLeft }) => {
        attempts = attemptNumber;
        return honourRetryAfter(error, retriesLeft);
      },
    });
  } catch (error) {
    if (!(error instanceof ApiFetchError) || !error.retryable) throw error;
    throw new ApiFetchError(`${error.message}; gave up after ${attempts} attempts`, again(error));
  }
}

function maxPagesOf(body: unknown, url: string, req: Request): number {
  const maxPages = (body as { maxPages?: unknown } | null)?.maxPages;
  if (typeof maxPages !== 'number' || !Number.isInteger(maxPages)) {
    const found = JSON.stringify(maxPages) ?? 'none';
    throw failure(req, url, `expected a UNHCR page with an integer maxPages, found ${found}`, false, { expected: 'a UNHCR page with an integer maxPages', found });
  }
  const bound = req.opts.maxPages ?? 1000;
  if (maxPages > bound) {
    throw failure(req, url, `maxPages is ${maxPages}, more than the safety bound of ${bound} (raise maxPages)`, false, { expected: `maxPages at most ${bound}`, found: maxPages });
  }
  return Math.max(1, maxPages);
}

async function fetchPages(url: string, req: Request): Promise<unknown[]> {
  const first = await fetchJson(withPage(url, 1), req);
  const maxPages = maxPagesOf(first, url, req);
  req.opts.onProgress?.(1, maxPages);
  const responses = [first];
  for (let page = 2; page <= maxPages; page++) {
    responses.push(await fetchJson(withPage(url, page), req));
    req.opts.onProgress?.(page, maxPages);
  }
  return responses;
}

function requestOf(url: string, opts: ApiDropOptions): Request {
  const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
  const secrets = [...secretsOf(headers), ...secretsOf(Object.fromEntries(new URL(url).searchParams))];
  const names = typeof opts.apiKeyEnv === 'string' ? [opts.apiKeyEnv] : (opts.apiKeyEnv ?? []);
  if (names.length === 0) return { headers, secrets, opts };
  const found = apiKeyFromEnv(names);
  if (!found) {
    const expected = names.length === 1 ? `the API key in environment variable ${names[0]}` : `the API key in environment variable ${names.join(' or ')}`;
    const unset = names.length === 1 ? 'it unset' : 'none of them set';
    throw new ApiFetchError(`GET ${publicUrl(url)}: expected ${expected}, found ${unset}`, { url: publicUrl(url), retryable: false, expected, found: unset });
  }
  const header = opts.apiKeyHeader ?? 'Ocp-Apim-Subscription-Key';
  headers[header] = found.key;
  secrets.push(found.key);
  return { headers, secrets, opts, key: { variable: found.name, header } };
}

/** Items that name another country than the one asked for: the API read the request otherwise. */
function checkEchoed(responses: unknown[], url: string, req: Request): void {
  const expect = req.opts.expect;
  if (!expect) return;
  let n = 0;
  for (const response of responses) {
    for (const item of itemsOfBody(response)) {
      n++;
      const value = (item as Record<string, unknown> | null)?.[expect.field];
      if (value === undefined || value === null || value === '-' || String(value).toUpperCase() === expect.value) continue;
      const found = `${expect.field} ${JSON.stringify(value)} in item ${n}`;
      const why = `asked for ${expect.value}, the API answered with ${found}: it reads the request as another country (does it spell ${expect.value} its own way? see the profile's api.request.countryCodes)`;
      throw failure(req, url, why, false, { expected: `${expect.field} ${expect.value}`, found });
    }
  }
}

function itemsOfBody(body: unknown): unknown[] {
  if (Array.isArray(body)) return body;
  const b = body as { result?: unknown; items?: unknown } | null;
  if (Array.isArray(b?.result)) return b.result;
  return Array.isArray(b?.items) ? b.items : [];
}

export async function fetchApiDrop(url: string, opts: ApiDropOptions = {}): Promise<Buffer> {
  const req = requestOf(url, opts);
  let responses: unknown[];
  if (opts.paging === 'unhcr') {
    responses = await fetchPages(url, req);
  } else {
    responses = [await fetchJson(url, req)];
    opts.onProgress?.(1, 1);
  }
  checkEchoed(responses, url, req);
  return Buffer.from(JSON.stringify({ kind: 'api-drop', url: publicUrl(url), responses }));
}

/** What to fetch for a source: the URL, the drop's file name, and the country asked for. */
export interface ApiTarget {
  url: string;
  fileName: string;
  /** ISO 3166 alpha-3, when the request was built for a country. */
  country?: string;
  expect?: ApiDropOptions['expect'];
}

/**
 * The request for a source: `url` as given; else one built from `request` (its options, with
 * defaults, even when empty) by the profile's `api.request`; else the profile's own `api.url`.
 * A built or profile URL goes to TALLY_<SOURCE>_API_URL instead of its origin when that is set.
 */
export function apiTarget(profile: SourceProfile, input: { url?: string; request?: ApiRequestOptions }): ApiTarget {
  if (input.url) return { url: input.url, fileName: `${profile.id}-api.json` };
  const base = apiBaseUrlFromEnv(profile.id);
  // Options the profile cannot build a request from are refused by buildApiRequest, never dropped.
  if (input.request && (profile.api?.request || !isEmptyRequest(input.request))) {
    const built = buildApiRequest(profile, input.request, base);
    return { url: built.url, fileName: `${built.label}.json`, country: built.country, expect: built.expect };
  }
  const url = defaultApiUrl(profile, base);
  if (!url) throw new NoApiUrlError(profile.id);
  return { url, fileName: `${profile.id}-api.json` };
}

/** How a profile's API is fetched: its paging and its key. */
export function apiDropOptions(profile: SourceProfile, target?: ApiTarget): ApiDropOptions {
  return {
    paging: profile.api?.paging ?? 'none',
    apiKeyEnv: profile.api?.apiKeyEnv,
    apiKeyHeader: profile.api?.apiKeyHeader,
    ...(target?.expect ? { expect: target.expect } : {}),
  };
}
