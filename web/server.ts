/**
 * The read-only HTTP JSON API and the explorer page. Every endpoint is a query; none writes.
 * It connects to ClickHouse as the read-only analyst user when the stack has one.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StackSettings } from '../infra/stack/settings.js';
import { openClickHouse, selectRows, type ClickHouseClient } from '../adapters/clickhouse.js';
import { COUNTRY, listDiscrepancies, listDrops, listRejections, parseInput, provenance, queryFigures, QueryInputError } from '../projections/queries.js';
import { SqlValueError } from '../adapters/sql.js';
import { INDICATORS } from '../domain/indicators.js';
import { countryByIso3, DEFAULT_COUNTRY } from '../domain/countries.js';
import { countryOfPcode, loadPlaceListFiles, placeByPcode } from '../domain/places.js';
import { pcodesFilesFromEnv } from '../infra/config.js';
import type { Duplex } from 'node:stream';

const STATIC = fileURLToPath(new URL('./static/', import.meta.url));
const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json', '.png': 'image/png' };

export interface ExplorerOptions {
  settings: StackSettings['clickhouse'];
  /** @default 8765; 0 picks a free port */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
}

export interface RunningExplorer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

type Handler = (q: URLSearchParams, client: ClickHouseClient) => Promise<unknown>;

const opt = (q: URLSearchParams, name: string) => q.get(name) || undefined;

const ROUTES: Record<string, Handler> = {
  '/api/indicators': async (_q, client) => {
    const present = await selectRows<{ indicator: string }>(client, 'SELECT DISTINCT indicator FROM figures ORDER BY indicator');
    const have = new Set(present.map((r) => r.indicator));
    return Object.values(INDICATORS).map((i) => ({ ...i, hasFigures: have.has(i.code) }));
  },
  '/api/areas': async (q, client) => {
    const country = opt(q, 'country');
    const present = await areasWithFigures(client);
    if (country === undefined) return present.map((pcode) => ({ pcode, name: placeByPcode(pcode)?.name || pcode }));
    const wanted = parseInput(COUNTRY, country, 'query.country');
    return (countriesOfAreas(present).find((c) => c.iso3 === wanted)?.areas ?? []).map(({ pcode, name }) => ({ pcode, name }));
  },
  /** The countries with figures, each with its areas that have figures (the country itself first). */
  '/api/countries': async (_q, client) => countriesOfAreas(await areasWithFigures(client)),
  '/api/figures': (q, client) =>
    queryFigures(client, {
      indicator: q.get('indicator') ?? '',
      area: opt(q, 'area'),
      country: opt(q, 'country'),
      from: opt(q, 'from'),
      to: opt(q, 'to'),
      source: opt(q, 'source'),
      asOf: opt(q, 'asOf'),
    }),
  '/api/series': async (q, client) => {
    const indicator = q.get('indicator') ?? '';
    const area = opt(q, 'area');
    const country = opt(q, 'country');
    const reconciled = await queryFigures(client, { indicator, area, country });
    const sources = new Set<string>();
    for (const f of reconciled) for (const s of Object.keys(f.sources ?? {})) sources.add(s);
    const bySource: Record<string, unknown[]> = {};
    for (const source of [...sources].sort()) bySource[source] = await queryFigures(client, { indicator, area, country, source });
    const inCountry = (a: string) => country === undefined || countryOfPcode(a)?.iso3 === country;
    const discrepancies = (await listDiscrepancies(client, {})).filter((d) => d.indicator === indicator && (!area || d.area === area) && inCountry(d.area));
    return { reconciled, bySource, discrepancies };
  },
  '/api/provenance': (q, client) => provenance(client, q.get('series') ?? '', opt(q, 'asOf')),
  '/api/discrepancies': (q, client) => listDiscrepancies(client, { open: q.get('open') === 'true' || q.get('open') === '1' }),
  '/api/rejections': (q, client) => listRejections(client, { dropId: opt(q, 'drop'), limit: q.get('limit') ? Number(q.get('limit')) : undefined }),
  '/api/drops': (q, client) => listDrops(client, { limit: q.get('limit') ? Number(q.get('limit')) : undefined }),
};

async function areasWithFigures(client: ClickHouseClient): Promise<string[]> {
  return (await selectRows<{ area: string }>(client, 'SELECT DISTINCT area FROM figures ORDER BY area')).map((r) => r.area);
}

export interface CountryAreas {
  iso3: string;
  name: string;
  areas: Array<{ pcode: string; name: string; level: number }>;
}

/** Areas grouped by the country their P-code names: Mali first, then by name; in each, the country first, then by P-code. */
export function countriesOfAreas(areas: readonly string[]): CountryAreas[] {
  const byCountry = new Map<string, CountryAreas>();
  for (const pcode of areas) {
    const country = countryOfPcode(pcode);
    if (!country) continue;
    const held = byCountry.get(country.iso3) ?? { iso3: country.iso3, name: countryByIso3(country.iso3)?.name ?? country.iso3, areas: [] };
    const place = placeByPcode(pcode);
    held.areas.push({ pcode, name: place?.name || pcode, level: place?.level ?? 0 });
    byCountry.set(country.iso3, held);
  }
  const countries = [...byCountry.values()];
  for (const c of countries) c.areas.sort((a, b) => a.level - b.level || a.pcode.localeCompare(b.pcode));
  return countries.sort((a, b) => (a.iso3 === DEFAULT_COUNTRY ? -1 : b.iso3 === DEFAULT_COUNTRY ? 1 : a.name.localeCompare(b.name)));
}

async function serveStatic(path: string, res: ServerResponse): Promise<void> {
  const file = normalize(join(STATIC, path === '/' ? 'index.html' : path));
  if (!file.startsWith(STATIC)) return send(res, 404, { error: 'not found' });
  try {
    const body = await readFile(file);
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
    res.end(body);
  } catch {
    send(res, 404, { error: `not found: ${path}` });
  }
}

export async function startExplorer(options: ExplorerOptions): Promise<RunningExplorer> {
  // Areas of the user's P-code lists (TALLY_PCODES_FILE) get their names and countries.
  loadPlaceListFiles(pcodesFilesFromEnv());
  const client = await openClickHouse(options.settings, { createDatabase: false, asAnalyst: true });
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = requestTarget(req);
    if (!url) return send(res, 400, { error: `expected a request target such as /api/figures?indicator=idps, found ${JSON.stringify(req.url?.slice(0, 80))}` });
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, { error: `expected GET, found ${req.method}` });
    const route = ROUTES[url.pathname];
    if (!route) {
      if (url.pathname.startsWith('/api/')) return send(res, 404, { error: `unknown endpoint ${url.pathname}; expected one of ${Object.keys(ROUTES).join(', ')}` });
      serveStatic(url.pathname, res).catch((err: unknown) => failed(res, err));
      return;
    }
    // A handler that throws before its promise exists fails like one whose promise rejects.
    Promise.resolve()
      .then(() => route(url.searchParams, client))
      .then((body) => send(res, 200, body), (err: unknown) => failed(res, err));
  });
  server.on('clientError', answerClientError);
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8765, host, resolve);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    url: `http://${host}:${port}/`,
    server,
    async close() {
      await new Promise<void>((r) => server.close(() => r()));
      await client.close();
    },
  };
}

/** The request target as a URL; undefined when it is not one (`//[::1`, `http://%zz/`, `http://a:99999/`). */
function requestTarget(req: IncomingMessage): URL | undefined {
  try {
    return new URL(req.url ?? '/', 'http://localhost');
  } catch {
    return undefined;
  }
}

/** A failed handler's answer: 400 for input the queries refused, else 500; one line, never a crash. */
function failed(res: ServerResponse, err: unknown): void {
  const status = err instanceof QueryInputError || err instanceof SqlValueError ? 400 : 500;
  const message = (err instanceof Error ? err.message : String(err)).replace(/\s*\n\s*/g, ' ').slice(0, 300);
  if (res.headersSent) res.destroy();
  else send(res, status, { error: message });
}

/** Bytes Node's parser refused (not HTTP, headers too large): a 400 when the socket can still take it. */
function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const body = JSON.stringify({ error: `expected an HTTP/1.1 request, found one the parser refused (${err.code ?? 'malformed'})` });
  socket.end(`HTTP/1.1 400 Bad Request\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}
