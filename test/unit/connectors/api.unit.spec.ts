import { afterEach, describe, expect, it } from 'vitest';
import { fetchApiDrop } from '../../../connectors/api.js';
import { ApiFetchError } from '../../../domain/errors.js';
import { json, localServer, type LocalServer } from './support.js';

const KEY = 'k3y-s3cr3t-0123456789';
const fast = { retries: 3, minTimeoutMs: 10 };
const servers: LocalServer[] = [];

async function serve(...args: Parameters<typeof localServer>): Promise<LocalServer> {
  const server = await localServer(...args);
  servers.push(server);
  return server;
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function failureOf(promise: Promise<unknown>): Promise<ApiFetchError> {
  const error = await promise.catch((e: unknown) => e);
  if (error instanceof ApiFetchError) return error;
  throw new Error(`expected an ApiFetchError, got ${String(error)}`);
}

function decode(drop: Buffer): { kind: string; url: string; responses: unknown[] } {
  return JSON.parse(drop.toString('utf8')) as { kind: string; url: string; responses: unknown[] };
}

const dtmOk = { result: [{ admin1Pcode: 'ML05', numPresentIdpInd: 70512 }], statusCode: 200, isSuccess: true, errorMessages: [], totalRecordsCount: 1 };

describe('fetchApiDrop paging', () => {
  it('reads page 1, then pages 2..maxPages, replacing the page parameter', async () => {
    const server = await serve((req, res) => {
      const page = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('page'));
      json(res, { page, maxPages: 3, items: [{ page, refugees: page === 2 ? '-' : 100 * page }] });
    });
    const progress: Array<[number, number | undefined]> = [];
    const drop = await fetchApiDrop(`${server.url}/v1/population/?coa=MLI&page=9`, { paging: 'unhcr', onProgress: (p, m) => progress.push([p, m]) });
    expect(server.requests.map((r) => r.url)).toEqual([1, 2, 3].map((p) => `/v1/population/?coa=MLI&page=${p}`));
    const body = decode(drop);
    expect(body.kind).toBe('api-drop');
    expect(body.responses.map((r) => (r as { page: number }).page)).toEqual([1, 2, 3]);
    expect(progress).toEqual([[1, 3], [2, 3], [3, 3]]);
  });

  it('refuses more pages than the safety bound', async () => {
    const server = await serve((_req, res) => json(res, { page: 1, maxPages: 50, items: [] }));
    const error = await failureOf(fetchApiDrop(`${server.url}/p`, { paging: 'unhcr', maxPages: 10 }));
    expect(error.message).toContain('maxPages is 50, more than the safety bound of 10');
  });
});

describe('fetchApiDrop retries', () => {
  it('retries a 429, honouring Retry-After', async () => {
    const server = await serve((_req, res, n) => (n === 1 ? json(res, { message: 'rate limit' }, 429, { 'retry-after': '1' }) : json(res, dtmOk)));
    const started = Date.now();
    const drop = await fetchApiDrop(`${server.url}/v3/displacement/admin1`, fast);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(server.requests).toHaveLength(2);
    expect(decode(drop).responses).toEqual([dtmOk]);
  });

  it('retries a 500 then succeeds', async () => {
    const server = await serve((_req, res, n) => (n === 1 ? json(res, 'oops', 500) : json(res, dtmOk)));
    await fetchApiDrop(`${server.url}/v3/displacement/admin1`, fast);
    expect(server.requests).toHaveLength(2);
  });

  it('gives up after its retries with status and URL', async () => {
    const server = await serve((_req, res) => json(res, 'down', 503));
    const error = await failureOf(fetchApiDrop(`${server.url}/v3/x`, { retries: 2, minTimeoutMs: 5 }));
    expect(server.requests).toHaveLength(3);
    expect(error.retryable).toBe(true);
    expect(error.message).toBe(`GET ${server.url}/v3/x: HTTP 503 Service Unavailable, expected 200; gave up after 3 attempts`);
  });

  it('fails at once on a 404, naming status and URL', async () => {
    const server = await serve((_req, res) => json(res, { error: 'not found' }, 404));
    const error = await failureOf(fetchApiDrop(`${server.url}/v3/nowhere`, fast));
    expect(server.requests).toHaveLength(1);
    expect(error).toMatchObject({ status: 404, retryable: false });
    expect(error.message).toContain(`HTTP 404 Not Found`);
    expect(error.message).toContain(`${server.url}/v3/nowhere`);
  });

  it('fails at once when a 200 answers isSuccess false', async () => {
    const server = await serve((_req, res) => json(res, { result: [], statusCode: 400, isSuccess: false, errorMessages: ['Admin0Pcode is required'] }));
    const error = await failureOf(fetchApiDrop(`${server.url}/v3/displacement/admin1`, fast));
    expect(server.requests).toHaveLength(1);
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('isSuccess false: Admin0Pcode is required');
  });

  it('retries a network error', async () => {
    const server = await serve((req, res, n) => (n === 1 ? req.socket.destroy() : json(res, dtmOk)));
    await fetchApiDrop(`${server.url}/v3/x`, fast);
    expect(server.requests).toHaveLength(2);
  });
});

describe('fetchApiDrop secrets', () => {
  it('sends the API key from the environment and never shows it', async () => {
    process.env.TALLY_TEST_DTM_KEY = KEY;
    const server = await serve((req, res) => json(res, { result: [], isSuccess: false, errorMessages: [`Invalid key ${String(req.headers['ocp-apim-subscription-key'])}`] }));
    const error = await failureOf(fetchApiDrop(`${server.url}/v3/x?Admin0Pcode=MLI`, { ...fast, apiKeyEnv: 'TALLY_TEST_DTM_KEY' }));
    expect(server.requests[0]?.headers['ocp-apim-subscription-key']).toBe(KEY);
    expect(error.message).toContain('Invalid key ***');
    expect(error.message).not.toContain(KEY);
    expect(error.url).not.toContain(KEY);
  });

  it('keeps a key given in the URL out of messages and out of the drop', async () => {
    const server = await serve((req, res) => (req.url?.includes('page=2') ? json(res, 'x', 404) : json(res, { page: 1, maxPages: 2, items: [] })));
    const url = `${server.url}/p?coa=MLI&subscription-key=${KEY}`;
    const error = await failureOf(fetchApiDrop(url, { ...fast, paging: 'unhcr' }));
    expect(error.message).not.toContain(KEY);
    const ok = await serve((_req, res) => json(res, dtmOk));
    expect(decode(await fetchApiDrop(`${ok.url}/v3?key=${KEY}&Admin0Pcode=MLI`, fast)).url).toBe(`${ok.url}/v3?Admin0Pcode=MLI`);
  });

  it('says which environment variable is missing, without a request', async () => {
    delete process.env.TALLY_TEST_MISSING_KEY;
    const server = await serve((_req, res) => json(res, dtmOk));
    const error = await failureOf(fetchApiDrop(`${server.url}/v3`, { apiKeyEnv: 'TALLY_TEST_MISSING_KEY' }));
    expect(error.message).toContain('environment variable TALLY_TEST_MISSING_KEY');
    expect(server.requests).toHaveLength(0);
  });
});

describe('fetchApiDrop bytes', () => {
  it('gives identical bytes for identical responses', async () => {
    const server = await serve((_req, res) => json(res, dtmOk));
    const url = `${server.url}/v3/displacement/admin1?Admin0Pcode=MLI`;
    const [a, b] = [await fetchApiDrop(url, fast), await fetchApiDrop(url, fast)];
    expect(a.equals(b)).toBe(true);
    expect(decode(a)).toEqual({ kind: 'api-drop', url, responses: [dtmOk] });
  });
});

describe('fetchApiDrop refusals', () => {
  it('names the DTM errorMessages of a 400', async () => {
    const server = await serve((_req, res) => json(res, { result: [], statusCode: 400, isSuccess: false, errorMessages: ['FromReportingDate is invalid'] }, 400));
    const error = await failureOf(fetchApiDrop(`${server.url}/v3`, fast));
    expect(error.message).toMatch(/HTTP 400 Bad Request, expected 200 \(not retried\): FromReportingDate is invalid$/);
  });

  it('stops retrying when Retry-After asks for more than a minute', async () => {
    const server = await serve((_req, res) => json(res, 'busy', 503, { 'retry-after': '3600' }));
    const error = await failureOf(fetchApiDrop(`${server.url}/v3`, fast));
    expect(server.requests).toHaveLength(1);
    expect(error.retryable).toBe(true);
    expect(error.message).toContain('Retry-After asks for 3600 s, more than 60 s; gave up after 1 attempts');
  });
});
