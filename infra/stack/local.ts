import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, closeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readEngineManifest, type EngineManifest } from './engines.js';
import { clickhouseHealthy, kafkaHealthy, temporalHealthy } from './health.js';
import { freePort, freePorts } from './ports.js';
import type { StackSettings } from './settings.js';
import { clickhouseConfig, clickhouseUsers, KAFKA_JVM_OPTIONS, kafkaLog4j, kafkaServerProperties } from './configs.js';

/** Why an engine did not start: its exit code and the end of its log (the log may be gone with a scratch directory by the time it is read). */
export function exitedEarly(code: number, log: string): string {
  let tail = '';
  try {
    tail = readFileSync(log, 'utf8').trimEnd().split('\n').slice(-8).join('\n').slice(-1500);
  } catch {
    // no log written
  }
  return `the process exited with code ${code}; see ${log}${tail ? `, which ends:\n${tail}` : ''}`;
}

export interface LocalStackOptions {
  /** Directory for the engines' data, configs and logs. */
  dir: string;
  /**
   * Keep data between starts (tally up). When false the directory is wiped first (tests).
   * @default false
   */
  persistent?: boolean;
  /** Leave the engines running after this process exits (tally up --detach). @default false */
  detach?: boolean;
  /** Serve the Temporal web UI. @default false */
  temporalUi?: boolean;
  /** Progress lines (engine starting, healthy…). */
  log?: (line: string) => void;
}

interface EngineProcess {
  name: string;
  pid: number;
  child?: ChildProcess;
  log: string;
}

interface PortPlan {
  kafka: number;
  controller: number;
  temporal: number;
  temporalUi: number;
  clickhouseHttp: number;
  clickhouseTcp: number;
}

/** What a running local stack leaves on disk, so that another process can stop it. */
export interface LocalStackState {
  settings: StackSettings;
  pids: Record<string, number>;
  reaperPid?: number;
  /** The process whose death the reapers watch (absent for a detached stack). */
  ownerPid?: number;
  startedAt: string;
}

const REAPER = fileURLToPath(new URL('./reaper.mjs', import.meta.url));

export class LocalStack {
  readonly settings: StackSettings;
  private readonly engines: EngineProcess[];
  private readonly dir: string;
  private reaperPid?: number;
  private stopped = false;

  private constructor(dir: string, settings: StackSettings, engines: EngineProcess[]) {
    this.dir = dir;
    this.settings = settings;
    this.engines = engines;
  }

  /** Starts Kafka, Temporal and ClickHouse as child processes on free loopback ports and waits until each is healthy. */
  static async start(options: LocalStackOptions): Promise<LocalStack> {
    const log = options.log ?? (() => undefined);
    const dir = resolve(options.dir);
    const manifest = readEngineManifest();
    if (!options.persistent) rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const ports = await planPorts(dir, Boolean(options.persistent));
    const settings = localSettings(ports, Boolean(options.temporalUi), writerPassword(dir));
    const engines: EngineProcess[] = [];
    const stack = new LocalStack(dir, settings, engines);
    const exitHandler = () => stack.killNow();
    if (!options.detach) {
      process.once('exit', exitHandler);
    }
    try {
      engines.push(await startKafka(manifest, dir, ports, log));
      engines.push(startTemporal(manifest, dir, ports, Boolean(options.temporalUi), log));
      engines.push(startClickHouse(manifest, dir, ports, log));
      if (!options.detach) stack.reaperPid = startReaper(engines.map((e) => e.pid));
      const abortIf = (name: string) => () => {
        const e = engines.find((x) => x.name === name);
        if (e?.child && e.child.exitCode !== null) return exitedEarly(e.child.exitCode, e.log);
        return undefined;
      };
      await Promise.all([
        kafkaHealthy(settings.kafka, { abortIf: abortIf('kafka') }).then(() => log(`Kafka ready on ${settings.kafka.brokers[0]}`)),
        temporalHealthy(settings.temporal, { abortIf: abortIf('temporal') }).then(() => log(`Temporal ready on ${settings.temporal.address}`)),
        clickhouseHealthy(settings.clickhouse, { abortIf: abortIf('clickhouse') }).then(() => log(`ClickHouse ready on ${settings.clickhouse.url}`)),
      ]);
    } catch (err) {
      stack.killNow();
      throw err;
    }
    stack.writeState();
    if (options.detach) {
      for (const e of engines) e.child?.unref();
    }
    return stack;
  }

  /** Stops every engine: SIGTERM to its process group, SIGKILL after a grace period. */
  async stop(graceMs = 15_000): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    // An engine restarted by restartLocalEngine has a new pid, recorded in the state file.
    const restarted = Object.values(readStateFile(this.dir)?.pids ?? {});
    await stopPids([...new Set([...this.engines.map((e) => e.pid), ...restarted])], graceMs);
    if (this.reaperPid) signalGroup(this.reaperPid, 'SIGKILL');
    rmSync(join(this.dir, 'stack.json'), { force: true });
  }

  private killNow(): void {
    if (this.stopped) return;
    this.stopped = true;
    for (const e of this.engines) signalGroup(e.pid, 'SIGKILL');
    if (this.reaperPid) signalGroup(this.reaperPid, 'SIGKILL');
  }

  private writeState(): void {
    const state: LocalStackState = {
      settings: this.settings,
      pids: Object.fromEntries(this.engines.map((e) => [e.name, e.pid])),
      reaperPid: this.reaperPid,
      ownerPid: this.reaperPid === undefined ? undefined : process.pid,
      startedAt: new Date().toISOString(),
    };
    // It holds the writer's password: readable by its owner only.
    writeFileSync(join(this.dir, 'stack.json'), JSON.stringify(state, null, 2), { mode: 0o600 });
  }
}

/** Reads the state a running stack left in DIR, or undefined when none runs there. */
export function readStackState(dir: string): LocalStackState | undefined {
  const file = join(resolve(dir), 'stack.json');
  if (!existsSync(file)) return undefined;
  const state = JSON.parse(readFileSync(file, 'utf8')) as LocalStackState;
  const alive = Object.values(state.pids).some(isAlive);
  return alive ? state : undefined;
}

/** Stops a stack started with detach, from its state file. Returns false when none was running. */
export async function stopStackInDir(dir: string, graceMs = 15_000): Promise<boolean> {
  const file = join(resolve(dir), 'stack.json');
  if (!existsSync(file)) return false;
  const state = JSON.parse(readFileSync(file, 'utf8')) as LocalStackState;
  const pids = Object.values(state.pids);
  const wasRunning = pids.some(isAlive);
  await stopPids(pids, graceMs);
  rmSync(file, { force: true });
  return wasRunning;
}

/**
 * The ClickHouse writer's password, kept in the stack's directory (`secrets.json`, owner-only):
 * generated when the directory has none (a throw-away stack wipes its directory first, so each
 * gets its own), the same for every later start or restart of a persistent one.
 */
export function writerPassword(dir: string): string {
  const file = join(dir, 'secrets.json');
  if (existsSync(file)) {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { clickhouseWriterPassword?: unknown };
    if (typeof saved.clickhouseWriterPassword === 'string' && saved.clickhouseWriterPassword.length >= 16) return saved.clickhouseWriterPassword;
  }
  const password = randomBytes(24).toString('base64url');
  writeFileSync(file, `${JSON.stringify({ clickhouseWriterPassword: password }, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return password;
}

export function localSettings(ports: PortPlan, ui: boolean, password: string): StackSettings {
  return {
    provider: 'local',
    kafka: { brokers: [`127.0.0.1:${ports.kafka}`], ssl: false },
    temporal: {
      address: `127.0.0.1:${ports.temporal}`,
      namespace: 'default',
      tls: false,
      uiUrl: ui ? `http://127.0.0.1:${ports.temporalUi}` : undefined,
    },
    clickhouse: {
      url: `http://127.0.0.1:${ports.clickhouseHttp}`,
      username: 'default',
      password,
      database: 'tally',
      analyst: { username: 'analyst', password: 'analyst' },
    },
  };
}

async function planPorts(dir: string, persistent: boolean): Promise<PortPlan> {
  const file = join(dir, 'ports.json');
  // A KRaft node formatted with --standalone records its controller endpoint, so a persistent
  // stack keeps the ports it was formatted with.
  if (persistent && existsSync(file)) {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as PortPlan;
    return saved;
  }
  const [kafka, controller, temporal, temporalUi, clickhouseHttp, clickhouseTcp] = await freePorts(6);
  const plan: PortPlan = { kafka: kafka!, controller: controller!, temporal: temporal!, temporalUi: temporalUi!, clickhouseHttp: clickhouseHttp!, clickhouseTcp: clickhouseTcp! };
  writeFileSync(file, JSON.stringify(plan, null, 2));
  return plan;
}

/** `env`: the engine's environment. @default this process's */
function spawnEngine(name: string, command: string, args: string[], dir: string, env?: NodeJS.ProcessEnv): EngineProcess {
  const log = join(dir, `${name}.out.log`);
  const fd = openSync(log, 'a');
  // detached: each engine leads its own process group, so it can be stopped as a whole
  // and does not receive the terminal's Ctrl-C before we have stopped it in order.
  const child = spawn(command, args, { cwd: dir, detached: true, stdio: ['ignore', fd, fd], env });
  closeSync(fd);
  if (child.pid === undefined) throw new Error(`could not start ${name} (${command}); see ${log}`);
  child.on('error', () => undefined);
  return { name, pid: child.pid, child, log };
}

async function startKafka(manifest: EngineManifest, root: string, ports: PortPlan, log: (l: string) => void): Promise<EngineProcess> {
  const dir = join(root, 'kafka');
  const dataDir = join(dir, 'data');
  mkdirSync(dir, { recursive: true });
  const props = join(dir, 'server.properties');
  writeFileSync(props, kafkaServerProperties(dataDir, ports.kafka, ports.controller));
  writeFileSync(join(dir, 'log4j2.properties'), kafkaLog4j(join(dir, 'kafka.log')));
  const classpath = `${manifest.kafka.libs}/*`;
  const jvm = [...KAFKA_JVM_OPTIONS, `-Dlog4j2.configurationFile=${join(dir, 'log4j2.properties')}`, '-cp', classpath];
  if (!existsSync(join(dataDir, 'meta.properties'))) {
    log('Kafka: formatting KRaft storage');
    const clusterId = kafkaClusterId();
    const res = spawnSync(manifest.kafka.java, [...jvm, 'kafka.tools.StorageTool', 'format', '--standalone', '-t', clusterId, '-c', props], { encoding: 'utf8' });
    if (res.status !== 0) {
      throw new Error(`Kafka storage format failed (exit ${res.status}): ${(res.stderr || res.stdout).trim().split('\n').slice(-3).join(' ')}`);
    }
  }
  log(`Kafka: starting broker on 127.0.0.1:${ports.kafka}`);
  return spawnEngine('kafka', manifest.kafka.java, [...jvm, 'kafka.Kafka', props], dir);
}

/** A random Kafka cluster id (16 bytes, base64url) that does not start with '-', which the storage tool would read as an option. */
export function kafkaClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

function startTemporal(manifest: EngineManifest, root: string, ports: PortPlan, ui: boolean, log: (l: string) => void): EngineProcess {
  const dir = join(root, 'temporal');
  mkdirSync(dir, { recursive: true });
  log(`Temporal: starting dev server on 127.0.0.1:${ports.temporal}`);
  const args = [
    'server', 'start-dev',
    '--ip', '127.0.0.1',
    '--port', String(ports.temporal),
    '--ui-port', String(ports.temporalUi),
    '--db-filename', join(dir, 'temporal.db'),
    '--log-level', 'warn',
    '--log-format', 'json',
  ];
  if (!ui) args.push('--headless');
  return spawnEngine('temporal', manifest.temporal.bin, args, dir);
}

function startClickHouse(manifest: EngineManifest, root: string, ports: PortPlan, log: (l: string) => void): EngineProcess {
  const dir = join(root, 'clickhouse');
  mkdirSync(join(dir, 'data'), { recursive: true });
  const config = join(dir, 'config.xml');
  writeFileSync(join(dir, 'users.xml'), clickhouseUsers(writerPassword(root)), { mode: 0o600 });
  writeFileSync(config, clickhouseConfig(dir, ports.clickhouseHttp, ports.clickhouseTcp));
  log(`ClickHouse: starting server on 127.0.0.1:${ports.clickhouseHttp}`);
  const bin = manifest.clickhouse.bin;
  const args = bin.endsWith('/clickhouse') ? ['server', `--config-file=${config}`] : [`--config-file=${config}`];
  return spawnEngine('clickhouse', bin, args, dir);
}

function startReaper(pids: number[], owner = process.pid): number | undefined {
  const child = spawn(process.execPath, [REAPER, String(owner), ...pids.map(String)], { detached: true, stdio: 'ignore' });
  child.unref();
  return child.pid;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

async function stopPids(pids: number[], graceMs: number): Promise<void> {
  for (const pid of pids) signalGroup(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (pids.some(isAlive) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
  }
  for (const pid of pids) if (isAlive(pid)) signalGroup(pid, 'SIGKILL');
}

export { freePort };

function readStateFile(dir: string): LocalStackState | undefined {
  const file = join(resolve(dir), 'stack.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as LocalStackState) : undefined;
}

export type LocalEngine = 'kafka' | 'temporal' | 'clickhouse';

export interface RestartOptions {
  /** How long the engine stays down before it starts again. @default 0 */
  downMs?: number;
  /** SIGTERM (a clean stop, SIGKILL after graceMs) or SIGKILL (a crash). @default 'SIGTERM' */
  signal?: 'SIGTERM' | 'SIGKILL';
  /** @default 15000 */
  graceMs?: number;
  log?: (line: string) => void;
}

/**
 * Stops one engine of the local stack running in DIR and starts it again on the same ports with
 * the same data (Kafka's log and offsets, ClickHouse's tables, Temporal's database), waits until
 * it is healthy, and records its new pid in the state file (which LocalStack.stop reads). For
 * fault tests: a broker restarted under a running pipeline.
 */
export async function restartLocalEngine(dir: string, name: LocalEngine, options: RestartOptions = {}): Promise<{ pid: number; downMs: number }> {
  const root = resolve(dir);
  const state = readStateFile(root);
  const old = state?.pids[name];
  if (!state || old === undefined) throw new Error(`no local stack with ${name} runs in ${root}`);
  const log = options.log ?? (() => undefined);
  const ports = JSON.parse(readFileSync(join(root, 'ports.json'), 'utf8')) as PortPlan;
  const stoppedAt = Date.now();
  if (options.signal === 'SIGKILL') {
    signalGroup(old, 'SIGKILL');
    while (isAlive(old)) await new Promise((r) => setTimeout(r, 50));
  } else {
    await stopPids([old], options.graceMs ?? 15_000);
  }
  log(`${name}: stopped (pid ${old})`);
  if (options.downMs) await new Promise((r) => setTimeout(r, options.downMs));
  const manifest = readEngineManifest();
  const engine =
    name === 'kafka'
      ? await startKafka(manifest, root, ports, log)
      : name === 'temporal'
        ? startTemporal(manifest, root, ports, state.settings.temporal.uiUrl !== undefined, log)
        : startClickHouse(manifest, root, ports, log);
  engine.child?.unref();
  const abortIf = () => (engine.child && engine.child.exitCode !== null ? exitedEarly(engine.child.exitCode, engine.log) : undefined);
  if (name === 'kafka') await kafkaHealthy(state.settings.kafka, { abortIf });
  else if (name === 'temporal') await temporalHealthy(state.settings.temporal, { abortIf });
  else await clickhouseHealthy(state.settings.clickhouse, { abortIf });
  const downMs = Date.now() - stoppedAt;
  log(`${name}: healthy again after ${downMs} ms (pid ${engine.pid})`);
  if (state.ownerPid !== undefined) startReaper([engine.pid], state.ownerPid);
  const current = readStateFile(root) ?? state;
  writeFileSync(join(root, 'stack.json'), JSON.stringify({ ...current, pids: { ...current.pids, [name]: engine.pid } }, null, 2));
  return { pid: engine.pid, downMs };
}

/** Freezes (SIGSTOP) or thaws (SIGCONT) one engine of the local stack running in DIR: an engine that hangs. */
export function signalLocalEngine(dir: string, name: LocalEngine, signal: 'SIGSTOP' | 'SIGCONT'): void {
  const pid = readStateFile(dir)?.pids[name];
  if (pid === undefined) throw new Error(`no local stack with ${name} runs in ${resolve(dir)}`);
  signalGroup(pid, signal);
}
