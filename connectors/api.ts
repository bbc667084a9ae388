/**
 * HTTP JSON API fetchers. The drop is the bytes of the responses: JSON.stringify of
 * `{kind: 'api-drop', url, responses}`, so a poll whose responses did not change gives the same
 * bytes, hence the same drop id. API keys come from the environment and never reach a message.
 */
import pRetry, { AbortError } from 'p-retry';
import { publicUrl, redact, secretsOf, withPage } from './api-url.js';
import { ApiFetchError } from '../domain/errors.js';
import { dtmErrors } from './json.js';
import { secretFromEnv } from '../infra/config.js';

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
  /** Name of the environment variable holding the API key. @default no key */
  apiKeyEnv?: string;
  /** Header the key is sent in. @default 'Ocp-Apim-Subscription-Key' */
  apiKeyHeader?: string;
}

/** A Retry-After longer than this ends the retries: the caller (a Temporal retry) comes back later. */
const MAX_RETRY_AFTER_MS = 60_000;

interface Request {
  headers: Record<string, string>;
  secrets: string[];
  opts: ApiDropOptions;
}

function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function failure(req: Request, url: string, why: string, retryable: boolean, status?: number, wait?: number): ApiFetchError {
  const shown = publicUrl(url);
  return new ApiFetchError(redact(`GET ${shown}: ${why}`, req.secrets), shown, retryable, status, wait);
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
    throw failure(req, url, `network error (${networkCause(error)}), expected an HTTP response`, true);
  }
}

function parseBody(text: string, url: string, req: Request, status: number): unknown {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new AbortError(failure(req, url, `expected a JSON body, found "${text.slice(0, 60)}"`, false, status));
  }
  if (typeof body === 'object' && body !== null && (body as Record<string, unknown>).isSuccess === false) {
    const why = `the API answered isSuccess false: ${dtmErrors(body as Record<string, unknown>)}`;
    throw new AbortError(failure(req, url, why, false, status));
  }
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

async function attempt(url: string, req: Request): Promise<unknown> {
  const response = await send(url, req);
  const { status, statusText } = response;
  if (status === 429 || status >= 500) {
    await response.body?.cancel();
    const wait = retryAfterMs(response.headers.get('retry-after'));
    throw failure(req, url, `HTTP ${status} ${statusText}, expected 200`, true, status, wait);
  }
  if (!response.ok) {
    const detail = await refusalDetail(response);
    throw new AbortError(failure(req, url, `HTTP ${status} ${statusText}, expected 200 (not retried)${detail}`, false, status));
  }
  const text = await response.text().catch((error: unknown) => {
    throw failure(req, url, `network error while reading the body (${networkCause(error)})`, true, status);
  });
  return parseBody(text, url, req, status);
}

/** Waits what the server asked for, on top of the backoff; a wait too long for now ends the retries. */
async function honourRetryAfter(error: Error, retriesLeft: number): Promise<void> {
  if (!(error instanceof ApiFetchError) || error.retryAfterMs === undefined || retriesLeft === 0) return;
  if (error.retryAfterMs > MAX_RETRY_AFTER_MS) {
    const seconds = Math.round(error.retryAfterMs / 1000);
    throw new ApiFetchError(`${error.message}; Retry-After asks for ${seconds} s, more than ${MAX_RETRY_AFTER_MS / 1000} s`, error.url, true, error.status);
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
    throw new ApiFetchError(`${error.message}; gave up after ${attempts} attempts`, error.url, true, error.status);
  }
}

function maxPagesOf(body: unknown, url: string, req: Request): number {
  const maxPages = (body as { maxPages?: unknown } | null)?.maxPages;
  if (typeof maxPages !== 'number' || !Number.isInteger(maxPages)) {
    throw failure(req, url, `expected a UNHCR page with an integer maxPages, found ${JSON.stringify(maxPages) ?? 'none'}`, false);
  }
  const bound = req.opts.maxPages ?? 1000;
  if (maxPages > bound) throw failure(req, url, `maxPages is ${maxPages}, more than the safety bound of ${bound} (raise maxPages)`, false);
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
  if (opts.apiKeyEnv) {
    const key = secretFromEnv(opts.apiKeyEnv);
    if (!key) throw new ApiFetchError(`GET ${publicUrl(url)}: expected the API key in environment variable ${opts.apiKeyEnv}, found it unset`, publicUrl(url), false);
    headers[opts.apiKeyHeader ?? 'Ocp-Apim-Subscription-Key'] = key;
    secrets.push(key);
  }
  return { headers, secrets, opts };
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
  return Buffer.from(JSON.stringify({ kind: 'api-drop', url: publicUrl(url), responses }));
}
