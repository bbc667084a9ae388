/**
 * A small supervisor: runs each service (the worker, the projections, the explorer) as a process
 * of its own, restarts the one that exits with exponential backoff, gives up on a service after
 * several quick failures in a row (and says so), and writes what it sees to a state file that
 * `tally status` reads: pid, state, restarts, last exit.
 *
 * ```ts
 * const supervisor = new Supervisor([{ name: 'worker', command: process.execPath, args: ['bin/tally.mjs', 'worker'] }], { stateFile });
 * supervisor.start();
 * await supervisor.stop();
 * ```
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface ServiceSpec {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
}

export interface SupervisorOptions {
  /** Where the state is written (JSON), after every change. */
  stateFile: string;
  /** Each service's output goes to `<logDir>/<name>.log`. @default the state file's directory */
  logDir?: string;
  /** The first restart's delay; each quick failure in a row doubles it. @default 1000 */
  initialDelayMs?: number;
  /** @default 30000 */
  maxDelayMs?: number;
  /** A process that ran at least this long before exiting had not failed quickly: the count starts again. @default 60000 */
  stableMs?: number;
  /** Quick failures in a row after which the supervisor stops restarting a service. @default 5 */
  maxQuickFailures?: number;
  /** One line per event (started, exited, restarting, giving up). @default console.error */
  log?: (line: string) => void;
}

export type ServiceStatus = 'running' | 'restarting' | 'failed' | 'stopped';

export interface ServiceExit {
  code: number | null;
  signal: string | null;
  at: string;
  /** How long the process had run. */
  ranMs: number;
}

export interface ServiceState {
  name: string;
  status: ServiceStatus;
  pid?: number;
  startedAt?: string;
  restarts: number;
  /** Failures in a row that came quickly (before stableMs). */
  quickFailures: number;
  lastExit?: ServiceExit;
  /** When a restarting service starts again. */
  nextStartAt?: string;
  /** Why the supervisor gave up on it. */
  gaveUp?: string;
}

export interface SupervisorState {
  pid: number;
  startedAt: string;
  updatedAt: string;
  services: ServiceState[];
}

/** The delay before restarting after `quickFailures` quick failures in a row (0 after a stable run). */
export function restartDelay(quickFailures: number, initialMs: number, maxMs: number): number {
  return Math.min(maxMs, initialMs * 2 ** Math.max(0, quickFailures - 1));
}

/** Reads a supervisor's state file; undefined when there is none or it cannot be read. */
export function readSupervisorState(file: string): SupervisorState | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as SupervisorState;
  } catch {
    return undefined;
  }
}

export function isAlive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

interface Running {
  spec: ServiceSpec;
  state: ServiceState;
  child?: ChildProcess;
  timer?: NodeJS.Timeout;
  started: number;
}

export class Supervisor {
  private readonly services: Running[];
  private readonly options: Required<SupervisorOptions>;
  private readonly startedAt = new Date().toISOString();
  private stopping = false;

  constructor(specs: ServiceSpec[], options: SupervisorOptions) {
    this.options = {
      logDir: dirname(options.stateFile),
      initialDelayMs: 1000,
      maxDelayMs: 30_000,
      stableMs: 60_000,
      maxQuickFailures: 5,
      log: (line) => console.error(line),
      ...options,
    };
    this.services = specs.map((spec) => ({ spec, state: { name: spec.name, status: 'stopped', restarts: 0, quickFailures: 0 }, started: 0 }));
  }

  start(): void {
    mkdirSync(this.options.logDir, { recursive: true });
    for (const service of this.services) this.launch(service);
    this.write();
  }

  state(): SupervisorState {
    return { pid: process.pid, startedAt: this.startedAt, updatedAt: new Date().toISOString(), services: this.services.map((s) => ({ ...s.state })) };
  }

  /** Stops every service: SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 20_000): Promise<void> {
    this.stopping = true;
    const exits = this.services.map(async (service) => {
      clearTimeout(service.timer);
      const child = service.child;
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    });
    await Promise.all(exits);
    for (const service of this.services) {
      service.state.status = 'stopped';
      service.state.pid = undefined;
      service.state.nextStartAt = undefined;
    }
    this.write();
  }

  private launch(service: Running): void {
    const log = join(this.options.logDir, `${service.spec.name}.log`);
    const fd = openSync(log, 'a');
    const child = spawn(service.spec.command, service.spec.args, { stdio: ['ignore', fd, fd], env: service.spec.env });
    closeSync(fd);
    service.child = child;
    service.started = Date.now();
    Object.assign(service.state, { status: 'running', pid: child.pid, startedAt: new Date().toISOString(), nextStartAt: undefined });
    child.once('error', (err) => this.options.log(`supervisor: ${service.spec.name} could not start (${err.message})`));
    child.once('exit', (code, signal) => this.exited(service, code, signal));
    this.options.log(`supervisor: ${service.spec.name} started (pid ${child.pid}; log ${log})`);
  }

  private exited(service: Running, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.stopping) return;
    const ranMs = Date.now() - service.started;
    const state = service.state;
    state.lastExit = { code, signal, at: new Date().toISOString(), ranMs };
    state.pid = undefined;
    state.quickFailures = ranMs < this.options.stableMs ? state.quickFailures + 1 : 1;
    const how = signal ? `killed by ${signal}` : `exited with code ${code}`;
    if (state.quickFailures >= this.options.maxQuickFailures) {
      state.status = 'failed';
      state.gaveUp = `${service.spec.name} ${how}: ${state.quickFailures} failures in a row, each within ${Math.round(this.options.stableMs / 1000)} s of starting; not restarted (see ${join(this.options.logDir, `${service.spec.name}.log`)})`;
      this.options.log(`supervisor: giving up: ${state.gaveUp}`);
      this.write();
      return;
    }
    const delay = restartDelay(state.quickFailures, this.options.initialDelayMs, this.options.maxDelayMs);
    state.status = 'restarting';
    state.nextStartAt = new Date(Date.now() + delay).toISOString();
    this.options.log(`supervisor: ${service.spec.name} ${how} after ${(ranMs / 1000).toFixed(1)} s; restarting in ${(delay / 1000).toFixed(1)} s`);
    this.write();
    service.timer = setTimeout(() => {
      if (this.stopping) return;
      state.restarts++;
      this.launch(service);
      this.write();
    }, delay);
  }

  private write(): void {
    const temp = `${this.options.stateFile}.${process.pid}.tmp`;
    writeFileSync(temp, `${JSON.stringify(this.state(), null, 2)}\n`);
    renameSync(temp, this.options.stateFile);
  }
}
