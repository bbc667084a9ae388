/** The actions behind each `tally` command. */
import { ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { SingleBar, Presets } from 'cli-progress';
import { waitWithProgress } from './progress.js';
import type { TallyConfig } from '../infra/config.js';
import { openClickHouse } from '../adapters/clickhouse.js';
import { listDiscrepancies, listRejections, queryFigures, type FigureRow } from '../projections/queries.js';
import { rebuildProjections } from '../projections/rebuild.js';
import { looksLikePcode } from '../domain/codes.js';
import { matchPlace } from '../domain/places.js';
import { getProfile, loadProfiles } from '../connectors/profiles.js';
import { pollSourceWorkflow } from '../workflows/index.js';
import { CliError, EXIT, resolveConfig, temporalClient } from './context.js';
import { landFile, landUrl, startIngest, summarise, type IngestSummary } from './ingest.js';
import { placeLabel, table } from './report.js';
import { toCsv, toSdmxCsv } from './formats.js';

/** The commands that run things (up, down, status, worker, serve) are in stack-commands.ts. */

export function untilInterrupted(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}

export async function withClickHouse<T>(fn: (client: Awaited<ReturnType<typeof openClickHouse>>, config: TallyConfig) => Promise<T>): Promise<T> {
  const config = resolveConfig();
  const client = await openClickHouse(config.stack.clickhouse);
  try {
    return await fn(client, config);
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

export async function ingestCommand(files: string[], opts: { source: string; url?: string; wait?: boolean; json?: boolean }): Promise<void> {
  if (files.length === 0 && !opts.url) throw new CliError('expected FILE... or --url URL, found neither', EXIT.unusable);
  getProfile(opts.source, loadProfiles());
  let worst: number = EXIT.ok;
  await withTemporal(async (client, config) => {
    const drops: Array<{ file?: string; url?: string }> = opts.url ? [{ url: opts.url }] : files.map((file) => ({ file }));
    for (const drop of drops) {
      const landed = drop.file ? await landFile(config, drop.file, opts.source) : await landUrl(config, drop.url!, opts.source);
      const handle = await startIngest(client, config, landed.dropId, opts.source);
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

function printIngest(r: IngestSummary, json: boolean): void {
  if (json) {
    const { dropId, source, rows, accepted, rejected, duplicates, revisions, discrepancies } = r;
    console.log(JSON.stringify({ dropId, source, rows, accepted, rejected, duplicates, revisions, discrepancies, status: r.status, ...(r.reason ? { reason: r.reason } : {}) }));
    // The contract's one line saying why goes to stderr whatever the format; stdout stays one JSON object.
    if (r.status === 'refused') console.error(`tally: ${r.reason}`);
    return;
  }
  if (r.status === 'refused') {
    console.error(`tally: ${r.reason}`);
    return;
  }
  console.log(`${r.fileName}: ${r.rows} rows, ${r.accepted} accepted, ${r.rejected} rejected, ${r.duplicates} duplicates, ${r.revisions} revisions, ${r.discrepancies} new discrepancies (drop ${r.dropId.slice(0, 12)})`);
}

// ---- query / discrepancies / rejections -----------------------------------------------------

export function resolveArea(text: string | undefined): string | undefined {
  if (!text) return undefined;
  if (looksLikePcode(text)) return text.toUpperCase();
  for (const level of [1, 2, 0] as const) {
    const m = matchPlace(text, level);
    if (m.ok) return m.value.pcode;
  }
  throw new CliError(`--area: expected a P-code (ML05) or a place name (Mopti), found "${text}"`);
}

export function contractRow(f: FigureRow): Record<string, unknown> {
  const when = f.date !== undefined ? { date: f.date } : { periodStart: f.periodStart, periodEnd: f.periodEnd };
  return { indicator: f.indicator, area: f.area, ...when, value: f.value, ...(f.source !== undefined ? { source: f.source } : { sources: f.sources }) };
}

export async function queryCommand(opts: { indicator: string; area?: string; from?: string; to?: string; source?: string; asOf?: string; format: string }): Promise<void> {
  const area = resolveArea(opts.area);
  const figures = await withClickHouse((client) => queryFigures(client, { indicator: opts.indicator, area, from: opts.from, to: opts.to, source: opts.source, asOf: opts.asOf }));
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
  for (const r of rows) console.log(`${r.dropId.slice(0, 12)}  ${r.reason}`);
  if (rows.length === 0) console.log('no rejected rows');
}

// ---- schedules ------------------------------------------------------------------------------

/** The schedule of a source: `poll-<source>`, after the deployment's workflow id prefix. */
const scheduleId = (config: TallyConfig, source: string) => `${config.workflowIdPrefix}poll-${source}`;

export async function scheduleAddCommand(opts: { source: string; every: string; url?: string }): Promise<void> {
  const profile = getProfile(opts.source, loadProfiles());
  if (!opts.url && !profile.api) throw new CliError(`source ${opts.source} has no API url in its profile: pass --url`);
  if (!/^\d+\s*(s|m|h|d)$/.test(opts.every)) throw new CliError(`--every: expected an interval such as 30m, 6h or 1d, found "${opts.every}"`);
  await withTemporal(async (client, config) => {
    await client.schedule.create({
      scheduleId: scheduleId(config, opts.source),
      spec: { intervals: [{ every: opts.every.replace(/\s+/g, '') as `${number}d` }] },
      action: { type: 'startWorkflow', workflowType: pollSourceWorkflow, taskQueue: config.taskQueue, args: [{ source: opts.source, url: opts.url, idPrefix: config.workflowIdPrefix }] },
      policies: { overlap: ScheduleOverlapPolicy.SKIP },
    });
    console.log(`scheduled ${scheduleId(config, opts.source)}: poll ${opts.source} every ${opts.every}`);
  });
}

export async function scheduleListCommand(opts: { json?: boolean }): Promise<void> {
  await withTemporal(async (client, config) => {
    const out: Array<{ scheduleId: string; source?: string; every?: string; nextRun?: string }> = [];
    for await (const s of client.schedule.list()) {
      if (!s.scheduleId.startsWith(scheduleId(config, ''))) continue;
      const d = await client.schedule.getHandle(s.scheduleId).describe();
      const every = d.spec.intervals?.[0]?.every;
      out.push({ scheduleId: s.scheduleId, source: s.scheduleId.slice(scheduleId(config, '').length), every: every === undefined ? undefined : String(every), nextRun: d.info.nextActionTimes[0]?.toISOString() });
    }
    if (opts.json) console.log(JSON.stringify(out, null, 2));
    else if (out.length === 0) console.log('no schedules');
    else console.log(table(['schedule', 'source', 'every (ms)', 'next run'], out.map((s) => [s.scheduleId, s.source ?? '', s.every ?? '', s.nextRun ?? ''])));
  });
}

export async function scheduleRemoveCommand(opts: { source: string }): Promise<void> {
  await withTemporal(async (client, config) => {
    await client.schedule.getHandle(scheduleId(config, opts.source)).delete();
    console.log(`removed ${scheduleId(config, opts.source)}`);
  });
}

// ---- projections rebuild / run --------------------------------------------------------------

export async function rebuildCommand(): Promise<void> {
  const config = resolveConfig();
  const tty = process.stderr.isTTY;
  const bar = tty ? new SingleBar({ format: 'rebuild [{bar}] {value}/{total} events' }, Presets.shades_classic) : undefined;
  let started = false;
  let lastLine = 0;
  const result = await rebuildProjections({
    settings: config.stack,
    topicPrefix: config.topicPrefix,
    onProgress: (consumed: number, total: number) => {
      if (bar) {
        if (!started) bar.start(total, 0);
        started = true;
        bar.update(consumed);
      } else if (Date.now() - lastLine > 1000 || consumed === total) {
        lastLine = Date.now();
        console.error(`rebuild: ${consumed}/${total} events`);
      }
    },
  });
  bar?.stop();
  console.log(`rebuilt the projections: ${JSON.stringify(result)}`);
}

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
