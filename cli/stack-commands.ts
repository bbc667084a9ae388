/**
 * The commands that run things: `up`, `down`, `status`, `worker`, and the hidden `serve` (the
 * supervisor `up --detach` leaves in the background), and the two processes it supervises beside
 * the worker: `projections run` and `explorer`.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startStack, readStackState, stopStackInDir } from '../infra/stack/index.js';
import { childEnv, isExternalStack, workerProcessFromEnv } from '../infra/config.js';
import { PROJECT_ROOT } from '../infra/paths.js';
import { listDrops } from '../projections/queries.js';
import { consumerLag } from '../projections/watermark.js';
import { rowTopicsFor } from '../projections/engine.js';
import { createKafka } from '../adapters/publisher.js';
import { topicsFor } from '../domain/events.js';
import { startExplorer } from '../web/server.js';
import { CliError, STACK_DIR, resolveConfig } from './context.js';
import { table } from './report.js';
import { exitWithParent, RELAUNCH_MARKER, untilStopSignal, workerRelaunch } from '../worker/runtime.js';
import { untilInterrupted, withClickHouse, withTemporal } from './commands.js';
import { metricsStatus, metricsStatusLines, removeMetricsUrls, writeMetricsUrls } from './metrics-status.js';
import { redactSecrets, redactText } from '../adapters/redact.js';
import { isAlive, readSupervisorState, Supervisor, type ServiceSpec, type ServiceState } from './supervise.js';

/** The worker (Temporal's native runtime) loads in about a second: only the commands that run it pay for it. */
const services_ = () => import('../worker/services.js');

/** The `tally` command, for the background `serve` of `up --detach` and the processes it supervises. */
const BIN = join(PROJECT_ROOT, 'bin', 'tally.mjs');
const SERVE_PID = join(STACK_DIR, 'serve.pid');
/** What the supervisor writes and `tally status` reads. */
export const SUPERVISOR_STATE = join(STACK_DIR, 'supervisor.json');

// ---- up / down / serve / worker / service ---------------------------------------------------

/** The three supervised processes: the worker (with its runtime settings applied), the projections, the explorer. */
export function serviceSpecs(port: string): ServiceSpec[] {
  const common = { TALLY_STACK_DIR: resolve(STACK_DIR), TALLY_PARENT_PID: String(process.pid) };
  const current = workerProcessFromEnv();
  const plan = workerRelaunch(current, process.execArgv);
  // With the marker the worker runs at once (no re-execution) and exits when its supervisor is gone.
  const marker = current.runtime === 'off' ? {} : RELAUNCH_MARKER;
  return [
    { name: 'worker', command: process.execPath, args: [...(plan?.nodeFlags ?? []), BIN, 'worker', '--no-projections'], env: childEnv({ ...plan?.env, ...marker, ...common }) },
    { name: 'projections', command: process.execPath, args: [BIN, 'projections', 'run'], env: childEnv(common) },
    { name: 'explorer', command: process.execPath, args: [BIN, 'explorer', '--port', port], env: childEnv(common) },
  ];
}

/** Runs the supervisor until SIGINT or SIGTERM, then stops its processes. */
async function supervise(port: string): Promise<void> {
  const supervisor = new Supervisor(serviceSpecs(port), { stateFile: SUPERVISOR_STATE, logDir: join(STACK_DIR, 'logs') });
  supervisor.start();
  await untilInterrupted();
  console.error('stopping the worker, the projections and the explorer…');
  await supervisor.stop();
}

export async function upCommand(opts: { detach?: boolean; port: string }): Promise<void> {
  const running = readStackState(STACK_DIR);
  if (running) throw new CliError(`engines already running (${STACK_DIR}); 'tally down' stops them`);
  const stack = await startStack({ dir: STACK_DIR, persistent: true, detach: opts.detach, temporalUi: true, log: (l) => console.error(l) });
  if (opts.detach) {
    mkdirSync(STACK_DIR, { recursive: true });
    const logFile = join(STACK_DIR, 'serve.log');
    const fd = openSync(logFile, 'a');
    const child = spawn(process.execPath, [BIN, 'serve', '--port', opts.port], { detached: true, stdio: ['ignore', fd, fd] });
    closeSync(fd);
    child.unref();
    writeFileSync(SERVE_PID, String(child.pid));
    console.log(`engines started; the worker, projections and explorer run under a supervisor in the background (log: ${logFile}; 'tally status' shows them)`);
    console.log(`explorer: http://127.0.0.1:${opts.port}/`);
    if (stack.settings.temporal.uiUrl) console.log(`Temporal UI: ${stack.settings.temporal.uiUrl}`);
    return;
  }
  console.log(`explorer: http://127.0.0.1:${opts.port}/`);
  if (stack.settings.temporal.uiUrl) console.log(`Temporal UI: ${stack.settings.temporal.uiUrl}`);
  console.log('running; press Ctrl-C to stop');
  await supervise(opts.port);
  await stack.stop();
}

export async function serveCommand(opts: { port: string }): Promise<void> {
  resolveConfig();
  console.log(`supervising the worker, the projections and the explorer (port ${opts.port}); state in ${SUPERVISOR_STATE}`);
  await supervise(opts.port);
}

/** `tally projections run`: the projections alone, until SIGTERM (or, supervised, until its supervisor is gone). */
export async function projectionsRunCommand(): Promise<void> {
  const config = resolveConfig();
  exitWithParent();
  const projections = await (await services_()).startProjectionsService(config);
  writeMetricsUrls(STACK_DIR, projections.metrics);
  console.error(`projections running (group ${config.projectionsGroup}); Ctrl-C stops them`);
  await untilStopSignal();
  await projections.stop();
  removeMetricsUrls(STACK_DIR, projections.metrics);
}

/** `tally explorer`: the read-only explorer and API, on loopback unless --host says otherwise. */
export async function explorerCommand(opts: { host: string; port: string }): Promise<void> {
  const config = resolveConfig();
  exitWithParent();
  const port = Number(opts.port);
  if (!/^\d+$/.test(opts.port) || port > 65535) throw new CliError(`--port: expected a port (0-65535), found "${opts.port}"`);
  const explorer = await startExplorer({ settings: config.stack.clickhouse, host: opts.host, port });
  console.error(`explorer: ${explorer.url}`);
  await untilStopSignal();
  await explorer.close();
}

export async function workerCommand(opts: { projections: boolean }): Promise<void> {
  const config = resolveConfig();
  const services = await (await services_()).startServices(config, { projections: opts.projections });
  writeMetricsUrls(STACK_DIR, services.metrics);
  console.error(`worker running on task queue ${config.taskQueue}${opts.projections ? ' with projections' : ''}; Ctrl-C stops it gracefully`);
  await untilStopSignal();
  console.error('shutting down: finishing in-flight activities…');
  await services.stop();
  removeMetricsUrls(STACK_DIR, services.metrics);
}

export async function downCommand(): Promise<void> {
  if (existsSync(SERVE_PID)) {
    const pid = Number(readFileSync(SERVE_PID, 'utf8'));
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // already gone
    }
    // The supervisor gives its processes 20 s to finish in-flight work.
    for (let i = 0; i < 300 && isAlive(pid); i++) await new Promise((r) => setTimeout(r, 100));
    rmSync(SERVE_PID, { force: true });
  }
  const stopped = await stopStackInDir(STACK_DIR);
  console.log(stopped ? 'stopped the engines, worker, projections and explorer' : 'nothing was running');
}

// ---- status ---------------------------------------------------------------------------------

/** A supervised process as status shows it: what the supervisor wrote, checked against the pid. */
export interface ProcessStatus {
  name: string;
  pid?: number;
  alive: boolean;
  /** running, restarting, failed (given up), stopped, or dead (the supervisor is gone and so is the process). */
  status: ServiceState['status'] | 'dead';
  restarts: number;
  lastExit?: ServiceState['lastExit'];
  nextStartAt?: string;
  gaveUp?: string;
}

export function processStatus(file = SUPERVISOR_STATE): { supervisor?: { pid: number; alive: boolean }; services: ProcessStatus[] } {
  const state = readSupervisorState(file);
  if (!state) return { services: [] };
  const supervisorAlive = isAlive(state.pid);
  const services = state.services.map((s): ProcessStatus => {
    const alive = s.status === 'running' && isAlive(s.pid);
    const status = alive || s.status === 'failed' || s.status === 'stopped' ? s.status : supervisorAlive ? 'restarting' : 'dead';
    return { name: s.name, pid: alive ? s.pid : undefined, alive, status, restarts: s.restarts, lastExit: s.lastExit, nextStartAt: s.nextStartAt, gaveUp: s.gaveUp };
  });
  return { supervisor: { pid: state.pid, alive: supervisorAlive }, services };
}

function exitText(exit: ProcessStatus['lastExit']): string {
  if (!exit) return '';
  return `${exit.signal ?? `code ${exit.code}`} at ${exit.at.slice(11, 19)} after ${(exit.ranMs / 1000).toFixed(0)} s`;
}

export async function statusCommand(opts: { json?: boolean }): Promise<void> {
  const external = isExternalStack();
  const state = external ? undefined : readStackState(STACK_DIR);
  if (!state && !external) {
    if (opts.json) console.log(JSON.stringify({ running: false }));
    else console.log("no engines running: 'tally up --detach' starts them");
    return;
  }
  const config = resolveConfig();
  const processes = processStatus();
  const kafka = createKafka(config.stack.kafka, 'tally-status');
  // On the node path the projections' group reads the row topics too.
  const read = [...Object.values(topicsFor(config.topicPrefix)), ...(config.projectionPath?.kind === 'engine' ? [] : Object.values(rowTopicsFor(config.topicPrefix)))];
  const lag = await consumerLag(kafka, config.projectionsGroup, read).catch(() => []);
  const worker = await withTemporal(async (client) => {
    const d = await client.workflowService.describeTaskQueue({ namespace: config.stack.temporal.namespace, taskQueue: { name: config.taskQueue }, taskQueueType: 1 });
    return { taskQueue: config.taskQueue, pollers: d.pollers?.length ?? 0 };
  }).catch((err: Error) => ({ taskQueue: config.taskQueue, pollers: 0, error: err.message }));
  const drops = await withClickHouse((client) => listDrops(client, { limit: 5 })).catch(() => []);
  const metrics = await metricsStatus(config.metrics, external ? undefined : STACK_DIR);
  const status = { running: true, engines: config.stack, processes, worker, consumerLag: lag, lastDrops: drops, metrics };
  if (opts.json) {
    // Shown without its secrets (passwords, SASL, keys): status output is often pasted.
    console.log(JSON.stringify(redactSecrets(status), null, 2));
    return;
  }
  console.log(`Kafka       ${config.stack.kafka.brokers.join(',')}`);
  console.log(`Temporal    ${config.stack.temporal.address} (${config.stack.temporal.namespace})${config.stack.temporal.uiUrl ? `  UI ${config.stack.temporal.uiUrl}` : ''}`);
  console.log(`ClickHouse  ${redactText(config.stack.clickhouse.url)} (database ${config.stack.clickhouse.database})`);
  if (processes.supervisor) {
    console.log(`\nprocesses (supervisor pid ${processes.supervisor.pid}, ${processes.supervisor.alive ? 'running' : 'not running'})`);
    console.log(
      table(
        ['process', 'status', 'pid', 'restarts', 'last exit'],
        processes.services.map((p) => [p.name, p.status, p.pid === undefined ? '' : String(p.pid), String(p.restarts), p.gaveUp ?? exitText(p.lastExit)]),
      ),
    );
  }
  console.log(`\nworker      Temporal saw ${worker.pollers} poller${worker.pollers === 1 ? '' : 's'} on ${worker.taskQueue} lately`);
  console.log(`projections lag ${lag.reduce((n, t) => n + t.lag, 0)} events (${lag.map((t) => `${t.topic}: ${t.lag}`).join(', ')})`);
  for (const line of metricsStatusLines(metrics)) console.log(line);
  console.log('\nlast drops');
  console.log(table(['drop', 'file', 'source', 'status', 'rows', 'accepted', 'rejected', 'duplicates'], drops.map((d) => [d.dropId.slice(0, 12), d.fileName, d.source, d.status, String(d.rows), String(d.accepted), String(d.rejected), String(d.duplicates)])));
}
