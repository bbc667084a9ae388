/**
 * The DTM API v3 and UNHCR's population API as they are, through the real `tally` command: a
 * local HTTP server on 127.0.0.1 plays both APIs with the real responses in test/fixtures/real/
 * (SOURCES.md says where each one was published), and wants the DTM key in
 * Ocp-Apim-Subscription-Key as IOM's gateway does. `tally ingest --source dtm --country TCD
 * --admin-level 1` builds each request itself; the figures `tally query --format json` then gives
 * are compared with test/fixtures/real/expected.json, which expected.py computes from the same
 * files with Python's standard library only, sharing no code with the project:
 *
 * - DTM: one observation per (operation, P-code, reporting date, round); rows that differ by
 *   displacement reason or origin are summed; of a BA and an SA copy the BA one counts. The
 *   totals (`totals_over_operations`): per (P-code, date), the sum of the operations' observations.
 * - UNHCR: per (year, coa_iso), the sum over the origin rows; "-" missing, "0" zero; ISO3 keys.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectRows } from '../../../adapters/clickhouse.js';
import { quoteString } from '../../../adapters/sql.js';
import { pollSourceWorkflow } from '../../../workflows/index.js';
import { json, lines, runTally, startCliPipeline, type CliPipeline, type TallyRun, type IngestJson, type FigureJson } from './harness.js';

const REAL = new URL('../../fixtures/real/', import.meta.url);
const KEY = 'itest-dtm-key-5f1c0e9a';

interface DtmObservation {
  operation: string;
  pcode: string;
  date: string;
  round: number;
  idps: number | null;
  copies: number;
  copies_agree: boolean;
  by_assessment_type: Record<string, { rows: number; idps: number | null }>;
}
interface DtmTotal {
  pcode: string;
  date: string;
  idps: number | null;
  operations: string[];
}
interface UnhcrYear {
  year: number;
  coa_iso: string;
  refugees: number | null;
  asylum_seekers: number | null;
  idps: number | null;
}
interface UnhcrRow {
  year: number;
  coo_iso: string;
  refugees: number | null;
}
const EXPECTED = JSON.parse(readFileSync(new URL('expected.json', REAL), 'utf8')) as {
  files: Record<string, { row_count: number; observations: DtmObservation[]; totals_over_operations: DtmTotal[]; per_year_coa: UnhcrYear[]; per_row: UnhcrRow[] }>;
};

type Summary = IngestJson;
type Figure = FigureJson;

const MISSING = { statusCode: 401, message: 'Access denied due to missing subscription key. Make sure to include subscription key when making requests to an API.' };
const INVALID = { statusCode: 401, message: 'Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription.' };

/**
 * The two APIs on one loopback port. DTM: /v3/displacement/admin{0,1,2}?Admin0Pcode=XXX, the key
 * required, `Operation=` keeping that operation's items (as the API filters); UNHCR: /population/v1/population/?coa=XXX&coo_all=true (its own codes: CHD, BKF).
 */
async function serveApis(): Promise<{ url: string; server: Server; requests: string[] }> {
  const requests: string[] = [];
  const send = (res: import('node:http').ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };
  const file = (name: string): string | undefined => {
    try {
      return readFileSync(new URL(name, REAL), 'utf8');
    } catch {
      return undefined;
    }
  };
  const server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const dtm = /^\/v3\/displacement\/admin([012])$/.exec(url.pathname);
    if (dtm) {
      const key = req.headers['ocp-apim-subscription-key'];
      if (key === undefined) return send(res, 401, MISSING);
      if (key !== KEY) return send(res, 401, INVALID);
      const body = file(`dtm-v3-displacement-admin${dtm[1]}-admin0pcode-${(url.searchParams.get('Admin0Pcode') ?? '').toLowerCase()}.json`);
      if (!body) return send(res, 404, { statusCode: 404, message: 'Resource not found' });
      const operation = url.searchParams.get('Operation');
      if (operation === null) return send(res, 200, body);
      const envelope = JSON.parse(body) as { result: Array<Record<string, unknown>> };
      const result = envelope.result.filter((i) => i.operation === operation);
      return send(res, 200, { ...envelope, result, totalRecordsCount: result.length });
    }
    if (url.pathname === '/population/v1/population/' && url.searchParams.get('coo_all') === 'true' && url.searchParams.get('page') === '1') {
      const body = file(`unhcr-population-coo_all-coa-${url.searchParams.get('coa')}.json`);
      if (body) return send(res, 200, body);
    }
    // One origin (coo=BKF, UNHCR's code): the coo_all answer's rows of that origin, as the API gives them.
    const coo = url.searchParams.get('coo');
    if (url.pathname === '/population/v1/population/' && coo && url.searchParams.get('coo_all') === null) {
      const body = file(`unhcr-population-coo_all-coa-${url.searchParams.get('coa')}.json`);
      if (body) {
        const page = JSON.parse(body) as { items: Array<Record<string, unknown>> };
        return send(res, 200, { ...page, items: page.items.filter((i) => i.coo === coo) });
      }
    }
    send(res, 404, { error: 'no such resource' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, requests };
}

function expectOk(run: TallyRun): void {
  expect(run.code, `exit ${run.code}\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`).toBe(0);
}

/** The SA rows (1-based item numbers) of observations whose BA copy has the same count: the only duplicates. */
function agreeingSaRows(name: string): number[] {
  const { result } = JSON.parse(readFileSync(new URL(name, REAL), 'utf8')) as { result: Array<Record<string, unknown>> };
  const level = 'admin2Pcode' in result[0]! ? 'admin2Pcode' : 'admin1Pcode' in result[0]! ? 'admin1Pcode' : 'admin0Pcode';
  const agree = new Set(
    EXPECTED.files[name]!.observations.filter((o) => o.copies === 2 && o.copies_agree).map((o) => `${o.operation}|${o.pcode}|${o.date}|${o.round}`),
  );
  return result.flatMap((item, i) =>
    item.assessmentType === 'SA' && agree.has(`${String(item.operation)}|${String(item[level])}|${String(item.reportingDate).slice(0, 10)}|${String(item.roundNumber)}`) ? [i + 1] : [],
  );
}

describe('the real DTM v3 and UNHCR APIs, through tally', () => {
  let p: CliPipeline;
  let api: Awaited<ReturnType<typeof serveApis>>;
  let env: Record<string, string>;
  const tally = (...args: string[]) => runTally(args, env);
  const drops = new Map<string, Summary>();

  beforeAll(async () => {
    api = await serveApis();
    p = await startCliPipeline('realapis');
    env = { ...p.env, TALLY_DTM_API_URL: api.url, TALLY_UNHCR_API_URL: api.url, DTM_API_KEY: KEY };
    // The worker runs in this process: a schedule's poll reads these here.
    Object.assign(process.env, { TALLY_DTM_API_URL: api.url, TALLY_UNHCR_API_URL: api.url, DTM_API_KEY: KEY });
  });
  afterAll(async () => {
    await p?.client.schedule.getHandle(`${p.config.workflowIdPrefix}poll-dtm-tcd-admin1`).delete().catch(() => undefined);
    await p?.stop();
    api?.server.close();
  });

  describe('the DTM key', () => {
    it('missing: says which variables to set, sends nothing, exits 1', async () => {
      const before = api.requests.length;
      const run = await runTally(['ingest', '--source', 'dtm', '--country', 'TCD', '--admin-level', '0', '--wait', '--json'], { ...env, DTM_API_KEY: '' });
      expect(run.code).toBe(1);
      expect(lines(run.stderr)).toEqual([
        `tally: GET ${api.url}/v3/displacement/admin0?Admin0Pcode=TCD: expected the API key in environment variable DTM_API_KEY or DTMAPI_SUBSCRIPTION_KEY, found none of them set`,
      ]);
      expect(api.requests.length).toBe(before);
    });

    it("refused: one line that quotes the gateway's reason and never shows the key", async () => {
      const wrong = 'not-the-key-0123456789';
      const run = await runTally(['ingest', '--source', 'dtm', '--country', 'TCD', '--admin-level', '0', '--wait', '--json'], { ...env, DTM_API_KEY: '', DTMAPI_SUBSCRIPTION_KEY: wrong });
      expect(run.code).toBe(1);
      // One line of at most 300 characters (the CLI caps what it prints), the gateway's reason quoted.
      const printed = lines(run.stderr);
      expect(printed).toHaveLength(1);
      expect(printed[0]!.length).toBeLessThanOrEqual(300);
      expect(printed[0]).toContain(
        `tally: GET ${api.url}/v3/displacement/admin0?Admin0Pcode=TCD: HTTP 401 Unauthorized: the API refused the key or found none, sent in Ocp-Apim-Subscription-Key from DTMAPI_SUBSCRIPTION_KEY; the gateway says "${INVALID.message.slice(0, 40)}`,
      );
      expect(run.stdout + run.stderr).not.toContain(wrong);
    });
  });

  describe('DTM v3, Chad, Haiti and Afghanistan', () => {
    const cases = [
      ['TCD', 0, 'dtm-v3-displacement-admin0-admin0pcode-tcd.json'],
      ['TCD', 1, 'dtm-v3-displacement-admin1-admin0pcode-tcd.json'],
      ['TCD', 2, 'dtm-v3-displacement-admin2-admin0pcode-tcd.json'],
      ['HTI', 0, 'dtm-v3-displacement-admin0-admin0pcode-hti.json'],
      ['HTI', 1, 'dtm-v3-displacement-admin1-admin0pcode-hti.json'],
      ['AFG', 0, 'dtm-v3-displacement-admin0-admin0pcode-afg.json'],
    ] as const;

    it.each(cases)('ingest --source dtm --country %s --admin-level %i builds its request and accounts for every row', async (country, level, name) => {
      const run = await tally('ingest', '--source', 'dtm', '--country', country, '--admin-level', String(level), '--wait', '--json');
      expectOk(run);
      const summary = json<Summary>(run);
      drops.set(name, summary);
      expect(api.requests.at(-1)).toBe(`/v3/displacement/admin${level}?Admin0Pcode=${country}`);
      const expected = EXPECTED.files[name]!;
      const observations = expected.observations;
      // Duplicates: only the SA copies with their BA copy's count; rejected: the SA copies that disagree.
      const duplicates = observations.filter((o) => o.copies === 2 && o.copies_agree).reduce((n, o) => n + o.by_assessment_type.SA!.rows, 0);
      const rejected = observations.filter((o) => o.copies === 2 && !o.copies_agree).reduce((n, o) => n + o.by_assessment_type.SA!.rows, 0);
      expect(summary).toMatchObject({ source: 'dtm', status: 'processed', rows: expected.row_count, duplicates, rejected, accepted: expected.row_count - duplicates - rejected });

      const held = await selectRows<{ row: number; reason: string }>(
        p.clickhouse,
        `SELECT row, reason FROM duplicates FINAL WHERE drop_id = ${quoteString(summary.dropId)} ORDER BY row`,
      );
      expect(held).toEqual(agreeingSaRows(name).map((row) => ({ row, reason: 'assessment_copy' })));
    });

    it.each(cases)('query gives the figures of %s admin %i expected.py computes, one series per operation', async (_country, _level, name) => {
      const observations = EXPECTED.files[name]!.observations.filter((o) => o.idps !== null);
      const pcodes = new Set(observations.map((o) => o.pcode));
      for (const operation of new Set(observations.map((o) => o.operation))) {
        // Every place and date of the operation; the places of this level only (the other drops hold the others).
        const run = await tally('query', '--indicator', 'idps', '--source', 'dtm', '--disaggregation', `operation=${operation}`, '--format', 'json');
        expectOk(run);
        const figures = json<Figure[]>(run).filter((f) => pcodes.has(f.area));
        const want = observations.filter((o) => o.operation === operation).map((o) => `${o.pcode} ${o.date} ${o.idps}`);
        expect(figures.map((f) => `${f.area} ${f.date} ${f.value}`).sort(), operation).toEqual(want.sort());
        expect(figures.every((f) => f.disaggregation === `operation=${operation.toLowerCase()}`)).toBe(true);
      }
    });

    it.each(cases)('query with no disaggregation gives the totals of %s admin %i expected.py computes, summed over operations', async (_country, _level, name) => {
      const totals = EXPECTED.files[name]!.totals_over_operations.filter((t) => t.idps !== null);
      const pcodes = new Set(totals.map((t) => t.pcode));
      const run = await tally('query', '--indicator', 'idps', '--source', 'dtm', '--format', 'json');
      expectOk(run);
      const figures = json<Figure[]>(run).filter((f) => pcodes.has(f.area));
      expect(figures.map((f) => `${f.area} ${f.date} ${f.value}`).sort()).toEqual(totals.map((t) => `${t.pcode} ${t.date} ${t.idps}`).sort());
      // A total names no disaggregation.
      expect(figures.every((f) => f.disaggregation === undefined)).toBe(true);
    });

    it("gives Chad's round 24 (2025-01-31) as 225,689, its operation's and its total, and sums Haiti's operations on 2016-12-31", async () => {
      const chad = json<Figure[]>(await tally('query', '--indicator', 'idps', '--area', 'TCD', '--source', 'dtm', '--disaggregation', 'operation=Lake Chad Basin Crisis', '--from', '2025-01-31', '--format', 'json'));
      expect(chad).toEqual([{ indicator: 'idps', area: 'TCD', date: '2025-01-31', value: 225_689, source: 'dtm', disaggregation: 'operation=lake chad basin crisis' }]);
      const chadTotal = json<Figure[]>(await tally('query', '--indicator', 'idps', '--area', 'TCD', '--source', 'dtm', '--from', '2025-01-31', '--format', 'json'));
      expect(chadTotal).toEqual([{ indicator: 'idps', area: 'TCD', date: '2025-01-31', value: 225_689, source: 'dtm' }]);
      const operations = new Set(EXPECTED.files['dtm-v3-displacement-admin0-admin0pcode-hti.json']!.observations.map((o) => o.operation));
      expect(operations.size).toBe(5);
      // 89,244 = Haiti Earthquake 46,691 (round 28) + Hurricane Matthew 42,553 (round 2): expected.json totals_over_operations.
      const haiti = json<Figure[]>(await tally('query', '--indicator', 'idps', '--area', 'HTI', '--source', 'dtm', '--from', '2016-12-31', '--to', '2016-12-31', '--format', 'json'));
      expect(haiti.map((f) => [f.area, f.value, f.disaggregation])).toEqual([['HTI', 89_244, undefined]]);
      expect(drops.get('dtm-v3-displacement-admin0-admin0pcode-hti.json')?.notices?.join('\n')).toContain(
        'summed_parts: 1 total (no operation) add up 2 operation values, each also its own series: "operation=haiti earthquake", "operation=hurricane matthew"',
      );
    });

    it("an answer for one operation (--operation, sent as Operation=) is that operation's figures: Haiti's totals stay the sums", async () => {
      const run = await tally('ingest', '--source', 'dtm', '--country', 'HTI', '--admin-level', '0', '--operation', 'Haiti Earthquake', '--wait', '--json');
      expectOk(run);
      expect(api.requests.at(-1)).toBe('/v3/displacement/admin0?Admin0Pcode=HTI&Operation=Haiti+Earthquake');
      const rows = EXPECTED.files['dtm-v3-displacement-admin0-admin0pcode-hti.json']!.observations.filter((o) => o.operation === 'Haiti Earthquake').reduce((n, o) => n + Object.values(o.by_assessment_type).reduce((m, c) => m + c.rows, 0), 0);
      const summary = json<Summary>(run);
      expect(summary).toMatchObject({ source: 'dtm', status: 'processed', rows, rejected: 0 });
      expect(summary.accepted + summary.duplicates).toBe(rows);
      expect(summary.notices?.join('\n')).toContain('no_total: the request asked for one operation (Operation=Haiti Earthquake)');
      // Were its rows read as totals too, 2016-12-31 would have been revised to 46,691 (the earthquake's part).
      const haiti = json<Figure[]>(await tally('query', '--indicator', 'idps', '--area', 'HTI', '--source', 'dtm', '--from', '2016-12-31', '--to', '2016-12-31', '--format', 'json'));
      expect(haiti.map((f) => f.value)).toEqual([89_244]);
    });
  });

  describe('UNHCR population API, one row per origin', () => {
    const cases = [
      ['MLI', 'MLI', 'unhcr-population-coo_all-coa-MLI.json'],
      ['BFA', 'BKF', 'unhcr-population-coo_all-coa-BKF.json'],
      ['TCD', 'CHD', 'unhcr-population-coo_all-coa-CHD.json'],
    ] as const;

    it.each(cases)('ingest --source unhcr --country %s asks coa=%s&coo_all=true; no row is a duplicate', async (country, code, name) => {
      const run = await tally('ingest', '--source', 'unhcr', '--country', country, '--wait', '--json');
      expectOk(run);
      expect(api.requests.at(-1)).toBe(`/population/v1/population/?coa=${code}&coo_all=true&limit=1000&page=1`);
      const rows = EXPECTED.files[name]!.row_count;
      expect(json<Summary>(run)).toMatchObject({ source: 'unhcr', status: 'processed', rows, accepted: rows, rejected: 0, duplicates: 0 });
    });

    it.each(cases)("query gives %s's refugees as the sum over origins, year by year", async (country, _code, name) => {
      const run = await tally('query', '--indicator', 'refugees', '--area', country, '--source', 'unhcr', '--format', 'json');
      expectOk(run);
      const got = Object.fromEntries(json<Figure[]>(run).map((f) => [f.date, f.value]));
      const want = Object.fromEntries(EXPECTED.files[name]!.per_year_coa.filter((y) => y.refugees !== null).map((y) => [`${y.year}-12-31`, y.refugees]));
      expect(got).toEqual(want);
    });

    it("gives Mali's refugees 2019..2024 and each origin's own figure", async () => {
      const mali = json<Figure[]>(await tally('query', '--indicator', 'refugees', '--area', 'MLI', '--source', 'unhcr', '--from', '2019-01-01', '--to', '2024-12-31', '--format', 'json'));
      expect(mali.map((f) => f.value)).toEqual([26_672, 47_380, 49_975, 60_637, 66_443, 135_533]);
      const fromBurkina = json<Figure[]>(await tally('query', '--indicator', 'refugees', '--area', 'MLI', '--source', 'unhcr', '--disaggregation', 'origin=BFA', '--format', 'json'));
      const want = EXPECTED.files['unhcr-population-coo_all-coa-MLI.json']!.per_row.filter((r) => r.coo_iso === 'BFA' && r.refugees !== null);
      expect(fromBurkina.map((f) => [f.date, f.value, f.disaggregation])).toEqual(want.map((r) => [`${r.year}-12-31`, r.refugees, 'origin=bfa']));
      // The IDPs sit in the row whose origin is Mali itself.
      const idps = json<Figure[]>(await tally('query', '--indicator', 'idps', '--area', 'MLI', '--source', 'unhcr', '--from', '2020-12-31', '--to', '2020-12-31', '--format', 'json'));
      expect(idps.map((f) => f.value)).toEqual([332_957]);
    });

    it("an answer for one origin (coa=MLI&coo=BKF) is that origin's figures: Mali's totals stay the sums over origins", async () => {
      const run = await tally('ingest', '--source', 'unhcr', '--url', `${api.url}/population/v1/population/?coa=MLI&coo=BKF&limit=1000&page=1`, '--wait', '--json');
      expectOk(run);
      const want = EXPECTED.files['unhcr-population-coo_all-coa-MLI.json']!.per_row.filter((r) => r.coo_iso === 'BFA');
      const summary = json<Summary & { notices?: string[] }>(run);
      expect(summary).toMatchObject({ source: 'unhcr', status: 'processed', rows: want.length, rejected: 0 });
      expect(summary.notices?.join('\n')).toContain('no_total: every row has origin BFA (column "coo_iso")');
      // Before, each row was also Mali's total: 2020 would have been revised to 12,890 (BFA's part).
      const mali = json<Figure[]>(await tally('query', '--indicator', 'refugees', '--area', 'MLI', '--source', 'unhcr', '--from', '2019-01-01', '--to', '2024-12-31', '--format', 'json'));
      expect(mali.map((f) => f.value)).toEqual([26_672, 47_380, 49_975, 60_637, 66_443, 135_533]);
      const fromBurkina = json<Figure[]>(await tally('query', '--indicator', 'refugees', '--area', 'MLI', '--source', 'unhcr', '--disaggregation', 'origin=BFA', '--format', 'json'));
      expect(fromBurkina.map((f) => [f.date, f.value])).toEqual(want.filter((r) => r.refugees !== null).map((r) => [`${r.year}-12-31`, r.refugees]));
    });
  });

  describe('tally schedule with API options', () => {
    it('schedule add --source dtm --country TCD --admin-level 1 names the schedule after its request; its poll finds the drop ingest made', async () => {
      const scheduleId = `${p.config.workflowIdPrefix}poll-dtm-tcd-admin1`;
      const added = await tally('schedule', 'add', '--source', 'dtm', '--country', 'TCD', '--admin-level', '1', '--every', '1d');
      expectOk(added);
      expect(lines(added.stdout)).toEqual([`scheduled ${scheduleId}: poll dtm (dtm-tcd-admin1) every 1d`]);
      const described = await p.client.schedule.getHandle(scheduleId).describe();
      const args = described.action.type === 'startWorkflow' ? described.action.args : [];
      expect(args).toEqual([{ source: 'dtm', request: { country: 'TCD', adminLevel: 1 }, idPrefix: p.config.workflowIdPrefix }]);

      const polled = await p.client.workflow.execute(pollSourceWorkflow, { taskQueue: p.config.taskQueue, workflowId: `${p.config.workflowIdPrefix}poll-realapis-1`, args: args as Parameters<typeof pollSourceWorkflow> });
      expect(polled).toEqual({ dropId: drops.get('dtm-v3-displacement-admin1-admin0pcode-tcd.json')!.dropId, isNew: false });

      const removed = await tally('schedule', 'remove', '--source', 'dtm', '--country', 'TCD', '--admin-level', '1');
      expectOk(removed);
      expect(lines(removed.stdout)).toEqual([`removed ${scheduleId}`]);
    });
  });
});
