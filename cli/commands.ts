/** The actions behind each `tally` command. */
import { ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { waitWithProgress } from './progress.js';
import type { TallyConfig } from '../infra/config.js';
import { openClickHouse } from '../adapters/clickhouse.js';
import { listDiscrepancies, listRejections, queryFigures } from '../projections/queries.js';
import { getProfile, loadProfiles } from '../connectors/profiles.js';
import { pollSourceWorkflow } from '../workflows/index.js';
import { CliError, EXIT, MAX_LINE_CHARS, oneLine, resolveConfig, temporalClient } from './context.js';
import { breakdownText, landApi, landFile, startIngest, summarise, type IngestSummary } from './ingest.js';
import { apiTarget } from '../connectors/api.js';
import { ApiRequestOptions, buildApiRequest, isEmptyRequest, requestCountry } from '../domain/api-request.js';
import { placeLabel, table } from './report.js';
import { contractRow, toCsv, toSdmxCsv } from './formats.js';
import { apiRequestOptions, countryOption, disaggregationOption, loadUserPlaces, resolveArea, type ApiCliOptions } from './options.js';
import { missingData, openClickHouseReader } from '../adapters/clickhouse.js';
import { redactText } from '../adapters/redact.js';

/** The commands that run things (up, down, status, worker, serve) are in stack-commands.ts. */

export function untilInterrupted(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}

/** For the read commands: read rights only (the analyst when the stack has one), nothing created; no data yet is one line. */
export async function withClickHouse<T>(fn: (client: Awaited<ReturnType<typeof openClickHouse>>, config: TallyConfig) => Promise<T>): Promise<T> {
  const config = resolveConfig();
  const client = await openClickHouseReader(config.stack.clickhouse);
  try {
    return await fn(client, config);
  } catch (err) {
    const missing = missingData(err);
    if (missing) throw new CliError(`no data yet: ClickHouse at ${redactText(config.stack.clickhouse.url)} has no ${missing} (run tally up / ingest first)`);
    throw err;
  } finally {
    await client.close();
  }
}

export async function withTemporal<T>(fn: (client: Client, config: TallyConfig) => Promise<T>): Promise<T> {
  const config = resolveConfig();
  const temporal = await temporalClient(config);
  try {
    return await fn(temporal.client, config);
  } finally {
    await temporal.close();
  }
}

// ---- ingest ---------------------------------------------------------------------------------

export async function ingestCommand(files: string[], opts: { source: string; url?: string; wait?: boolean; json?: boolean } & ApiCliOptions): Promise<void> {
  const profile = getProfile(opts.source, loadProfiles());
  const request = apiRequestOptions({ ...opts, country: countryOption(opts.country) });
  const { country: _country, ...apiOnly } = request;
  if (files.length === 0 && !opts.url && !profile.api) throw new CliError('expected FILE... or --url URL, found neither', EXIT.unusable);
  if ((files.length > 0 || opts.url) && !isEmptyRequest(apiOnly)) {
    throw new CliError(`--admin-level, --from, --to, --operation, --from-round and --to-round build a request to the ${opts.source} API: expected them without FILE... or --url`);
  }
  // The request is built once here, so that a bad option fails before anything is fetched.
  if (files.length === 0 && !opts.url) apiTarget(profile, { request });
  const country = request.country === undefined ? undefined : requestCountry(opts.source, request.country);
  let worst: number = EXIT.ok;
  await withTemporal(async (client, config) => {
    const drops: Array<{ file?: string; url?: string; request?: ApiRequestOptions }> = opts.url ? [{ url: opts.url }] : files.length > 0 ? files.map((file) => ({ file })) : [{ request }];
    for (const drop of drops) {
      const api = drop.file ? undefined : await landApi(config, opts.source, drop);
      const landed = api ?? (await landFile(config, drop.file!, opts.source));
      // The country asked of the API is the drop's country, as --country is for a file.
      const dropCountry = country ?? api?.country;
      const handle = await startIngest(client, config, landed.dropId, opts.source, dropCountry);
      if (!opts.wait) {
        const out = { dropId: landed.dropId, source: opts.source, fileName: landed.fileName, workflowId: handle.workflowId, status: 'started' };
        console.log(opts.json ? JSON.stringify(out) : `${landed.fileName}: drop ${landed.dropId.slice(0, 12)} started (workflow ${handle.workflowId})`);
        continue;
      }
      if (!opts.json) await waitWithProgress(client, handle.workflowId, landed.fileName);
      const result = summarise(await handle.result(), handle.workflowId);
      if (result.status === 'refused') worst = EXIT.unusable;
      printIngest(result, Boolean(opts.json));
    }
  });
  if (worst !== EXIT.ok) process.exitCode = worst;
}

function printIngest(summary: IngestSummary, json: boolean): void {
  // The reason is the contract's one line: "tally: " and the reason fit in MAX_LINE_CHARS.
  const r = summary.reason === undefined ? summary : { ...summary, reason: oneLine(summary.reason, MAX_LINE_CHARS - 'tally: '.length) };
  if (json) {
    const { dropId, source, rows, accepted, rejected, duplicates, revisions, discrepancies } = r;
    const tail = { status: r.status, ...(r.reason ? { reason: r.reason } : {}), ...(r.breakdown ? { breakdown: r.breakdown } : {}), ...(r.notices ? { notices: r.notices } : {}) };
    console.log(JSON.stringify({ dropId, source, rows, accepted, rejected, duplicates, revisions, discrepancies, ...tail }));
    // The contract's one line saying why goes to stderr whatever the format; stdout stays one JSON object.
    if (r.status === 'refused') console.error(`tally: ${r.reason}`);
    return;
  }
  if (r.status === 'refused') {
    console.error(`tally: ${r.reason}`);
    return;
  }
  console.log(`${r.fileName}: ${r.rows} rows, ${r.accepted} accepted, ${r.rejected} rejected, ${r.duplicates} duplicates, ${r.revisions} revisions, ${r.discrepancies} new discrepancies (drop ${r.dropId.slice(0, 12)})`);
  const kinds = breakdownText(r.breakdown);
  if (kinds) console.log(`  ${kinds}`);
  for (const notice of r.notices ?? []) console.log(`  ${notice}`);
}

// ---- query / discrepancies / rejections -----------------------------------------------------


export async function queryCommand(opts: {
  indicator: string;
  country?: string;
  area?: string;
  from?: string;
  to?: string;
  source?: string;
  asOf?: string;
  disaggregation?: string;
  format: string;
}): Promise<void> {
  loadUserPlaces();
  const country = countryOption(opts.country);
  const area = resolveArea(opts.area, country);
  const disaggregation = disaggregationOption(opts.disaggregation);
  const query = { indicator: opts.indicator, country, area, from: opts.from, to: opts.to, source: opts.source, asOf: opts.asOf, ...(disaggregation ? { disaggregation } : {}) };
  const figures = await withClickHouse((client) => queryFigures(client, query));
  switch (opts.format) {
    case 'json':
      console.log(JSON.stringify(figures.map(contractRow), null, 2));
      return;
    case 'csv':
      process.stdout.write(toCsv(figures));
      return;
    case 'sdmx':
      process.stdout.write(toSdmxCsv(figures));
      return;
    default:
      console.log(
        table(
          ['indicator', 'area', 'date/period', 'value', opts.source ? 'source' : 'sources'],
          figures.map((f) => [
            f.indicator,
            placeLabel(f.area),
            f.date ?? `${f.periodStart}..${f.periodEnd}`,
            Math.round(f.value).toLocaleString('en-US'),
            f.source ?? Object.entries(f.sources ?? {}).map(([s, v]) => `${s}=${v}`).join(' '),
          ]),
        ),
      );
  }
}

export async function discrepanciesCommand(opts: { open?: boolean; json?: boolean }): Promise<void> {
  loadUserPlaces();
  const rows = await withClickHouse((client) => listDiscrepancies(client, { open: opts.open }));
  if (opts.json) {
    console.log(JSON.stringify(rows, null, 2));
    return;
  }
  console.log(table(['status', 'indicator', 'place', 'gap', 'cause', 'explanation'], rows.map((d) => [d.status, d.indicator, placeLabel(d.area), d.gap ? `${(d.gap.relative * 100).toFixed(1)}%` : '', d.cause ?? '', d.explanation])));
}

export async function rejectionsCommand(opts: { drop?: string; json?: boolean }): Promise<void> {
  const rows = await withClickHouse((client) => listRejections(client, { dropId: opts.drop }));
  if (opts.json) {
    console.log(JSON.stringify(rows, null, 2));
    return;
  }
  for (const r of rows) console.log(`${r.dropId.slice(0, 12)}  ${(r.kind ?? '-').padEnd(17)}  ${r.reason}`);
  if (rows.length === 0) console.log('no rejected rows');
}

// ---- schedules ------------------------------------------------------------------------------

/** The schedule of a source: `poll-<source>`, after the deployment's workflow id prefix. */
const scheduleId = (config: TallyConfig, source: string) => `${config.workflowIdPrefix}poll-${source}`;

/**
 * What a schedule polls, named: the source alone (`dtm`: its profile's api.url), or the request its
 * options build (`dtm-tcd-admin1`), so that several countries of one source are several schedules.
 */
function pollTarget(source: string, opts: ApiCliOptions): { name: string; request?: ApiRequestOptions } {
  const request = apiRequestOptions(opts);
  if (isEmptyRequest(request)) return { name: source };
  const profile = getProfile(source, loadProfiles());
  return { name: buildApiRequest(profile, request).label, request };
}

export async function scheduleAddCommand(opts: { source: string; every: string; url?: string } & ApiCliOptions): Promise<void> {
  const profile = getProfile(opts.source, loadProfiles());
  if (!opts.url && !profile.api) throw new CliError(`source ${opts.source} has no API url in its profile: pass --url`);
  if (!/^\d+\s*(s|m|h|d)$/.test(opts.every)) throw new CliError(`--every: expected an interval such as 30m, 6h or 1d, found "${opts.every}"`);
  const target = pollTarget(opts.source, opts);
  if (opts.url && target.request) throw new CliError('--url is the request itself: expected it without --country, --admin-level, --from…');
  await withTemporal(async (client, config) => {
    const input = { source: opts.source, url: opts.url, ...(target.request ? { request: target.request } : {}), idPrefix: config.workflowIdPrefix };
    await client.schedule.create({
      scheduleId: scheduleId(config, target.name),
      spec: { intervals: [{ every: opts.every.replace(/\s+/g, '') as `${number}d` }] },
      action: { type: 'startWorkflow', workflowType: pollSourceWorkflow, taskQueue: config.taskQueue, args: [input] },
      policies: { overlap: ScheduleOverlapPolicy.SKIP },
    });
    console.log(`scheduled ${scheduleId(config, target.name)}: poll ${target.name === opts.source ? opts.source : `${opts.source} (${target.name})`} every ${opts.every}`);
  });
}

export async function scheduleListCommand(opts: { json?: boolean }): Promise<void> {
  await withTemporal(async (client, config) => {
    const out: Array<{ scheduleId: string; source?: string; every?: string; nextRun?: string }> = [];
    for await (const s of client.schedule.list()) {
      if (!s.scheduleId.startsWith(scheduleId(config, ''))) continue;
      const d = await client.schedule.getHandle(s.scheduleId).describe();
      const every = d.spec.intervals?.[0]?.every;
      // The poll's own input says its source (a schedule with API options is named after its request).
      const input = (d.action.type === 'startWorkflow' ? d.action.args?.[0] : undefined) as { source?: string } | undefined;
      const source = input?.source ?? s.scheduleId.slice(scheduleId(config, '').length);
      out.push({ scheduleId: s.scheduleId, source, every: every === undefined ? undefined : String(every), nextRun: d.info.nextActionTimes[0]?.toISOString() });
    }
    if (opts.json) console.log(JSON.stringify(out, null, 2));
    else if (out.length === 0) console.log('no schedules');
    else console.log(table(['schedule', 'source', 'every (ms)', 'next run'], out.map((s) => [s.scheduleId, s.source ?? '', s.every ?? '', s.nextRun ?? ''])));
  });
}

export async function scheduleRemoveCommand(opts: { source: string } & ApiCliOptions): Promise<void> {
  const target = pollTarget(opts.source, opts);
  await withTemporal(async (client, config) => {
    await client.schedule.getHandle(scheduleId(config, target.name)).delete();
    console.log(`removed ${scheduleId(config, target.name)}`);
  });
}

// ---- projections rebuild / run --------------------------------------------------------------

export async function runCommand(dir: string, opts: { keep?: boolean; json?: boolean }): Promise<void> {
  const { runMainJob } = await import('./run.js');
  const { drops, stop } = await runMainJob(dir, { keep: opts.keep, print: (report) => console.log(report) });
  if (opts.json) console.log(JSON.stringify(drops, null, 2));
  if (drops.some((d) => d.status === 'refused')) console.error('some drops were refused as unusable: see above');
  if (opts.keep) {
    console.error('left running; press Ctrl-C to stop');
    await untilInterrupted();
    await stop();
  }
}

// ---- countries ------------------------------------------------------------------------------

