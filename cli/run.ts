/**
 * `tally run [DIR]`, the main job: start the local engines (or use running/external ones), the
 * worker and the projections; ingest every drop in DIR in order and wait for each; print the report.
 */
import { createServer, type Server } from 'node:http';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { startStack, readStackState, type RunningStack } from '../infra/stack/index.js';
import { configFromEnv, isExternalStack } from '../infra/config.js';
import { logFile, logTo } from '../adapters/log.js';
import { alertDeliveries } from '../adapters/metrics.js';
import { startServices } from '../worker/services.js';
import { loadProfiles } from '../connectors/profiles.js';
import { buildReport, type AlertSinks } from './report.js';
import { ingestOne, summarise, type IngestSummary } from './ingest.js';
import { waitWithProgress } from './progress.js';
import { CliError, STACK_DIR, temporalClient } from './context.js';

const Manifest = z.object({
  drops: z.array(
    z.object({
      source: z.string(),
      file: z.string().optional(),
      /** Files served over a local HTTP API during the run, page by page (UNHCR-style paging). */
      apiPages: z.array(z.string()).optional(),
      note: z.string().optional(),
    }),
  ),
});
type ManifestDrop = z.infer<typeof Manifest>['drops'][number];

/** drops.json when present; otherwise every file whose name starts with a source id (dtm-…, cmp-…). */
export function planDrops(dir: string): ManifestDrop[] {
  const manifest = join(dir, 'drops.json');
  if (existsSync(manifest)) {
    const parsed = Manifest.safeParse(JSON.parse(readFileSync(manifest, 'utf8')));
    if (!parsed.success) throw new CliError(`${manifest}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    return parsed.data.drops;
  }
  const ids = [...loadProfiles().keys()].sort((a, b) => b.length - a.length);
  return readdirSync(dir)
    .filter((f) => /\.(csv|xlsx|json)$/i.test(f))
    .sort()
    .flatMap((file) => {
      const source = ids.find((id) => file.toLowerCase().startsWith(`${id}-`) || file.toLowerCase().startsWith(`${id}_`));
      return source ? [{ source, file }] : [];
    });
}

/** Serves JSON pages as a paged API: ?page=N answers the N-th file. Loopback only. */
async function serveApi(dir: string, pages: string[]): Promise<{ url: string; server: Server }> {
  const bodies = pages.map((p) => readFileSync(join(dir, p)));
  const server = createServer((req, res) => {
    const page = Number(new URL(req.url ?? '/', 'http://127.0.0.1').searchParams.get('page') ?? '1');
    const body = bodies[page - 1];
    res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' });
    res.end(body ?? '{"error":"no such page"}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}/population/v1/population/?coa=MLI&page=1`, server };
}

export interface RunOptions {
  keep?: boolean;
  /** Receives the report before anything is stopped. */
  print?: (report: string) => void;
  json?: boolean;
  log?: (line: string) => void;
}

/**
 * Where `tally run` writes the JSON logs (pipeline, SDK, kafkajs) and the alert lines unless
 * TALLY_LOG_FILE says otherwise: the terminal shows the progress (stderr) and the report (stdout).
 */
export const RUN_LOG = '.tally/run.log';

/** Alerts this process delivered (or saw refused) per sink, from its own tally_alert_deliveries_total. */
async function alertsDone(): Promise<{ log: number; webhook: number }> {
  const done = { log: 0, webhook: 0 };
  for (const v of (await alertDeliveries.get()).values) {
    const sink = v.labels.sink;
    if ((sink === 'log' || sink === 'webhook') && v.labels.result !== 'failed') done[sink] += v.value;
  }
  return done;
}

/**
 * Waits (at most `timeoutMs`) until every sink has had each new discrepancy: alert workflows run
 * on their own, and stopping the worker under them would leave alerts undelivered.
 */
export async function waitForAlerts(expected: number, sinks: ReadonlyArray<'log' | 'webhook'>, timeoutMs = 20_000): Promise<{ log: number; webhook: number }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const done = await alertsDone();
    if (sinks.every((s) => done[s] >= expected) || Date.now() > deadline) return done;
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface MainJobResult {
  drops: IngestSummary[];
  report: string;
  /** Stops what the job started (a no-op unless `keep` left it running). */
  stop(): Promise<void>;
}

export async function runMainJob(dirArg: string, options: RunOptions = {}): Promise<MainJobResult> {
  const log = options.log ?? ((l: string) => console.error(l));
  const dir = resolve(dirArg);
  if (!existsSync(dir)) throw new CliError(`${dirArg}: no such directory`);
  const drops = planDrops(dir);
  if (drops.length === 0) throw new CliError(`${dirArg}: no drops found (expected drops.json or files named <source>-….csv|xlsx|json)`);

  let stack: RunningStack | undefined;
  const running = isExternalStack() ? undefined : readStackState(STACK_DIR);
  const t0 = Date.now();
  if (running) {
    log(`using the engines started by 'tally up' (${STACK_DIR})`);
    stack = { settings: running.settings, stop: async () => undefined };
  } else {
    log('starting the engines (Kafka, Temporal, ClickHouse)…');
    stack = await startStack({ dir: '.tally/run-stack', log: (l) => log(`  ${l}`) });
  }
  const env = configFromEnv(stack.settings);
  const config = { ...env, logFile: env.logFile ?? RUN_LOG };
  logTo(config.logFile);
  log(`logs and alert lines: ${logFile()}`);
  const services = await startServices(config, { projections: !running });
  log(`engines, worker and projections ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const temporal = await temporalClient(config);
  const servers: Server[] = [];
  try {
    const results: IngestSummary[] = [];
    for (const [i, drop] of drops.entries()) {
      const started = Date.now();
      let target: { file?: string; url?: string };
      if (drop.apiPages) {
        const api = await serveApi(dir, drop.apiPages);
        servers.push(api.server);
        target = { url: api.url };
      } else {
        target = { file: join(dir, drop.file!) };
      }
      log(`[${i + 1}/${drops.length}] ingesting ${drop.file ?? `${drop.source} API (${drop.apiPages!.length} pages)`} as ${drop.source}…`);
      const launched = await ingestOne(temporal.client, config, target, drop.source, false);
      await waitWithProgress(temporal.client, launched.workflowId, `        ${launched.fileName}`);
      const result = summarise(await temporal.client.workflow.getHandle(launched.workflowId).result(), launched.workflowId);
      results.push(result);
      log(
        `        ${result.rows} rows: ${result.accepted} accepted, ${result.rejected} rejected, ${result.duplicates} duplicates, ` +
          `${result.revisions} revisions, ${result.discrepancies} new discrepancies (${((Date.now() - started) / 1000).toFixed(1)} s)`,
      );
    }
    const alerted = results.reduce((n, r) => n + r.discrepancies, 0);
    const sinkNames = [...(config.alerts.webhook ? (['webhook'] as const) : []), ...(config.alerts.log ? (['log'] as const) : [])];
    const delivered = running ? undefined : await waitForAlerts(alerted, sinkNames);
    const sinks: AlertSinks = { logFile: config.alerts.log ? logFile() : undefined, webhook: config.alerts.webhook?.url, delivered, sharedWorker: Boolean(running) };
    const report = await buildReport(services.deps.clickhouse, results, sinks);
    options.print?.(report);
    const stopAll = async () => {
      await services.stop();
      await stack.stop();
    };
    return { drops: results, report, stop: options.keep ? stopAll : async () => undefined };
  } finally {
    for (const s of servers) s.close();
    await temporal.close();
    if (!options.keep) {
      log('stopping the worker, projections and engines (use --keep to leave them running)');
      await services.stop();
      await stack.stop();
    } else {
      log(`left running: Temporal ${config.stack.temporal.address}, ClickHouse ${config.stack.clickhouse.url}, Kafka ${config.stack.kafka.brokers.join(',')}`);
    }
  }
}
