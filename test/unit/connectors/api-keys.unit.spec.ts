/**
 * The DTM API as its gateway answers: the key in Ocp-Apim-Subscription-Key from DTM_API_KEY or
 * DTMAPI_SUBSCRIPTION_KEY, a 401/403 that says the key is missing or refused in the gateway's own
 * words, the v3 envelope's checks, and requests built from the profile against a local server.
 */
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { apiDropOptions, apiTarget, fetchApiDrop } from '../../../connectors/api.js';
import { getProfile, loadProfiles } from '../../../connectors/profiles.js';
import { ApiFetchError } from '../../../domain/errors.js';
import { fixture, json, localServer, type LocalServer } from './support.js';

const KEY = 'dtm-k3y-0123456789abcdef';
const fast = { retries: 2, minTimeoutMs: 5 };
const dtm = getProfile('dtm', loadProfiles(undefined));
const unhcr = getProfile('unhcr', loadProfiles(undefined));
const servers: LocalServer[] = [];
const saved = { ...process.env };

async function serve(...args: Parameters<typeof localServer>): Promise<LocalServer> {
  const server = await localServer(...args);
  servers.push(server);
  return server;
}

beforeEach(() => {
  delete process.env.DTM_API_KEY;
  delete process.env.DTMAPI_SUBSCRIPTION_KEY;
  delete process.env.TALLY_DTM_API_URL;
  delete process.env.TALLY_UNHCR_API_URL;
});

afterEach(async () => {
  process.env = { ...saved };
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function failureOf(promise: Promise<unknown>): Promise<ApiFetchError> {
  const error = await promise.catch((e: unknown) => e);
  if (error instanceof ApiFetchError) return error;
  throw new Error(`expected an ApiFetchError, got ${String(error)}`);
}

/** The gateway in front of the DTM API: 401 without the key, as Azure API Management words it. */
function gateway(answer: (req: { key?: string; url: string }) => { status: number; body: unknown }) {
  return serve((req, res) => {
    const key = req.headers['ocp-apim-subscription-key'];
    const { status, body } = answer({ key: typeof key === 'string' ? key : undefined, url: req.url ?? '' });
    json(res, body, status);
  });
}

const MISSING = { statusCode: 401, message: 'Access denied due to missing subscription key. Make sure to include subscription key when making requests to an API.' };
const INVALID = { statusCode: 401, message: 'Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription.' };

describe('the DTM key', () => {
  it('is sent in Ocp-Apim-Subscription-Key from DTM_API_KEY, or else DTMAPI_SUBSCRIPTION_KEY', async () => {
    const body = readFileSync(fixture('real/dtm-v3-displacement-admin0-admin0pcode-tcd.json'), 'utf8');
    const server = await gateway(({ key }) => (key === KEY ? { status: 200, body } : { status: 401, body: MISSING }));
    process.env.DTMAPI_SUBSCRIPTION_KEY = KEY;
    const drop = await fetchApiDrop(`${server.url}/v3/displacement/admin0?Admin0Pcode=TCD`, { ...fast, ...apiDropOptions(dtm) });
    expect(server.requests[0]?.headers['ocp-apim-subscription-key']).toBe(KEY);
    expect(drop.toString()).not.toContain(KEY);
    process.env.DTM_API_KEY = 'the-first-variable-wins';
    await fetchApiDrop(`${server.url}/v3/displacement/admin0?Admin0Pcode=TCD`, { ...fast, ...apiDropOptions(dtm) }).catch(() => undefined);
    expect(server.requests[1]?.headers['ocp-apim-subscription-key']).toBe('the-first-variable-wins');
  });

  it('missing from both variables stops before any request, naming them', async () => {
    const server = await gateway(() => ({ status: 401, body: MISSING }));
    const error = await failureOf(fetchApiDrop(`${server.url}/v3/displacement/admin1?Admin0Pcode=TCD`, { ...fast, ...apiDropOptions(dtm) }));
    expect(server.requests).toHaveLength(0);
    expect(error.message).toBe(`GET ${server.url}/v3/displacement/admin1?Admin0Pcode=TCD: expected the API key in environment variable DTM_API_KEY or DTMAPI_SUBSCRIPTION_KEY, found none of them set`);
  });

  it('refused (401): says so once, not retried, quoting the gateway and naming the variable', async () => {
    const server = await gateway(() => ({ status: 401, body: INVALID }));
    process.env.DTM_API_KEY = KEY;
    const error = await failureOf(fetchApiDrop(`${server.url}/v3/displacement/admin1?Admin0Pcode=TCD`, { ...fast, ...apiDropOptions(dtm) }));
    expect(server.requests).toHaveLength(1);
    expect(error).toMatchObject({ status: 401, retryable: false, nonRetryable: true, type: 'ApiFetchFailed' });
    expect(error.message).toBe(
      `GET ${server.url}/v3/displacement/admin1?Admin0Pcode=TCD: HTTP 401 Unauthorized: the API refused the key or found none, sent in Ocp-Apim-Subscription-Key from DTM_API_KEY; the gateway says "${INVALID.message}"`,
    );
    expect(error.detail()).toMatchObject({ expected: 'a valid API key in DTM_API_KEY', found: 'HTTP 401 Unauthorized' });
  });

  it('forbidden (403) with errorMessages: quoted, and a key the gateway echoes is never shown', async () => {
    const server = await gateway(({ key }) => ({ status: 403, body: { isSuccess: false, errorMessages: [`Key ${key} is over its quota`, 'Try tomorrow'] } }));
    process.env.DTMAPI_SUBSCRIPTION_KEY = KEY;
    const error = await failureOf(fetchApiDrop(`${server.url}/v3/displacement/admin0?Admin0Pcode=AFG`, { ...fast, ...apiDropOptions(dtm) }));
    expect(error.message).toContain('HTTP 403 Forbidden: the API refused the key (forbidden or over quota), sent in Ocp-Apim-Subscription-Key from DTMAPI_SUBSCRIPTION_KEY');
    expect(error.message).toContain('the gateway says "Key *** is over its quota; Try tomorrow"');
    for (const text of [error.message, JSON.stringify(error.detail()), error.url, String(error.found)]) expect(text).not.toContain(KEY);
    expect(error.message).not.toContain('\n');
  });

  it('asked for by a source that names no key variable: says none was sent', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(401, { 'content-type': 'text/plain' });
      res.end('Unauthorized\n  please subscribe');
    });
    const error = await failureOf(fetchApiDrop(`${server.url}/population/v1/population/?coa=MLI`, { ...fast, ...apiDropOptions(unhcr) }));
    expect(error.message).toBe(
      `GET ${server.url}/population/v1/population/?coa=MLI&page=1: HTTP 401 Unauthorized: the API wants a key and none was sent (name its variable in the profile's api.apiKeyEnv); the gateway says "Unauthorized please subscribe"`,
    );
  });
});

describe('the DTM v3 envelope', () => {
  it('refuses totalRecordsCount other than the length of result, saying both', async () => {
    const server = await serve((_req, res) => json(res, { result: [{ admin0Pcode: 'TCD' }], statusCode: 200, isSuccess: true, errorMessages: [], totalRecordsCount: 56 }));
    const error = await failureOf(fetchApiDrop(`${server.url}/v3/displacement/admin0?Admin0Pcode=TCD`, fast));
    expect(server.requests).toHaveLength(1);
    expect(error.retryable).toBe(false);
    expect(error.message).toBe(
      `GET ${server.url}/v3/displacement/admin0?Admin0Pcode=TCD: the DTM envelope says totalRecordsCount 56 but its result holds 1 items (an incomplete answer: v3 sends every record at once)`,
    );
  });

  it('refuses an answer about another country than the one asked for', async () => {
    const body = readFileSync(fixture('real/dtm-v3-displacement-admin0-admin0pcode-hti.json'), 'utf8');
    const server = await serve((_req, res) => json(res, body));
    process.env.DTM_API_KEY = KEY;
    process.env.TALLY_DTM_API_URL = server.url;
    const target = apiTarget(dtm, { request: { country: 'TCD', adminLevel: 0 } });
    const error = await failureOf(fetchApiDrop(target.url, { ...fast, ...apiDropOptions(dtm, target) }));
    expect(error.message).toMatch(/asked for TCD, the API answered with admin0Pcode "HTI" in item 1: it reads the request as another country/);
  });
});

describe('apiTarget', () => {
  it('builds the request from options, on the configured base URL, and names the drop after it', async () => {
    process.env.TALLY_DTM_API_URL = 'http://127.0.0.1:1/';
    expect(apiTarget(dtm, { request: { country: 'TCD', adminLevel: 2 } })).toEqual({
      url: 'http://127.0.0.1:1/v3/displacement/admin2?Admin0Pcode=TCD',
      fileName: 'dtm-tcd-admin2.json',
      country: 'TCD',
      expect: { field: 'admin0Pcode', value: 'TCD' },
    });
    // No options at all: the profile's own request (Mali), still on the configured base.
    expect(apiTarget(dtm, {})).toEqual({ url: 'http://127.0.0.1:1/v3/displacement/admin1?Admin0Pcode=MLI', fileName: 'dtm-api.json' });
    // A URL given is used as it is.
    expect(apiTarget(dtm, { url: 'https://dtmapi.iom.int/v3/displacement/admin0?CountryName=Chad', request: { country: 'TCD' } }).url).toBe(
      'https://dtmapi.iom.int/v3/displacement/admin0?CountryName=Chad',
    );
  });

  it('fetches a built UNHCR request page by page from a local server', async () => {
    const body = readFileSync(fixture('real/unhcr-population-coo_all-coa-CHD.json'), 'utf8');
    const server = await serve((req, res) => (new URL(req.url ?? '/', 'http://x').searchParams.get('coa') === 'CHD' ? json(res, body) : json(res, { page: 1, maxPages: 1, items: [] })));
    process.env.TALLY_UNHCR_API_URL = server.url;
    const target = apiTarget(unhcr, { request: { country: 'TCD' } });
    expect(target.fileName).toBe('unhcr-tcd.json');
    const drop = JSON.parse((await fetchApiDrop(target.url, { ...fast, ...apiDropOptions(unhcr, target) })).toString()) as { url: string; responses: Array<{ items: unknown[] }> };
    expect(server.requests.map((r) => r.url)).toEqual(['/population/v1/population/?coa=CHD&coo_all=true&limit=1000&page=1']);
    expect(drop.responses[0]?.items).toHaveLength(390);
  });
});
