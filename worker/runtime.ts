/**
 * The runtime settings of a worker process, applied by `tally worker` itself so that a deployed
 * worker behaves like the benchmarked one (docs/performance.md) without anything in its command
 * line. glibc and V8 read them once, at process start, so `tally worker` re-executes itself once
 * with what is missing (relaunchWorker) and the re-executed process runs the worker. Values the
 * user set (in the environment, NODE_OPTIONS or node's own flags) are never overridden;
 * TALLY_WORKER_RUNTIME=off runs the worker exactly as started.
 *
 * This module is loaded before the rest of the CLI: the process that only waits for the worker
 * stays small.
 */
import { spawn } from 'node:child_process';
import { childEnv, parentPidFromEnv, workerProcessFromEnv, type WorkerProcessEnv } from '../infra/config.js';

/**
 * Node flags of the worker (and of the benchmark's services): a capped old generation makes V8
 * collect instead of growing the heap, so the resident size follows the live set; semi-spaces of
 * 8 MB (16 by default) keep the young generation small without slowing the drop.
 */
export const WORKER_NODE_FLAGS: readonly string[] = ['--max-old-space-size=192', '--max-semi-space-size=8'];

/**
 * And the environment it runs with: glibc keeps up to 8 malloc arenas per core, one per thread
 * that allocates, each holding on to memory it freed; two arenas cut the worker's peak by 20-30 MB.
 * glibc also raises its mmap threshold (up to 32 MB) each time a large block is freed, after which
 * kafkajs' and the HTTP client's buffers of 128 KiB-1 MB come from the arenas and stay there; a
 * fixed threshold of 128 KiB gives them back when freed: at 5M rows the worker's samples during
 * reconcile went from 255-310 MB to 231-257 MB (docs/performance.md).
 */
export const WORKER_ENV: Readonly<Required<WorkerProcessEnv['malloc']>> = { MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '131072' };

/** Set in the re-executed process, so that it runs the worker instead of re-executing again. */
export const RELAUNCH_MARKER = { TALLY_WORKER_RUNTIME: 'applied' } as const;

export interface RelaunchPlan {
  /** Variables to add to the environment (WORKER_ENV's missing ones and the marker). */
  env: Record<string, string>;
  /** Node flags to add before the script. */
  nodeFlags: string[];
}

/** `--max_old_space_size=1` → `max-old-space-size`: node and V8 accept both spellings. */
function flagName(arg: string): string | undefined {
  if (!arg.startsWith('--')) return undefined;
  return arg.slice(2).split('=')[0]!.replace(/_/g, '-');
}

/**
 * What `tally worker` adds to its own start: undefined when nothing (all set already, by the user
 * or by a previous re-execution, or TALLY_WORKER_RUNTIME=off), else the variables and node flags
 * missing. A flag counts as set when NODE_OPTIONS or the process's own node flags name it, with
 * any value.
 */
export function workerRelaunch(current: WorkerProcessEnv, execArgv: readonly string[]): RelaunchPlan | undefined {
  if (current.runtime) return undefined;
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(WORKER_ENV) as Array<[keyof typeof WORKER_ENV, string]>) {
    if (current.malloc[name] === undefined) env[name] = value;
  }
  const given = new Set([...current.nodeOptions.split(/\s+/), ...execArgv].map(flagName).filter((n) => n !== undefined));
  const nodeFlags = WORKER_NODE_FLAGS.filter((flag) => !given.has(flagName(flag)!));
  if (Object.keys(env).length === 0 && nodeFlags.length === 0) return undefined;
  return { env: { ...env, ...RELAUNCH_MARKER }, nodeFlags };
}

const FORWARDED: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR2'];

/**
 * Runs this command again in a child with the plan's settings, forwarding signals to it, and exits
 * as it exits (same code, or same signal). Never resolves.
 */
export function relaunchWorker(plan: RelaunchPlan, argv: readonly string[] = process.argv, execArgv: readonly string[] = process.execArgv): Promise<never> {
  const child = spawn(process.execPath, [...execArgv, ...plan.nodeFlags, ...argv.slice(1)], { stdio: 'inherit', env: childEnv({ ...plan.env, TALLY_PARENT_PID: String(process.pid) }) });
  const forward = (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  for (const signal of FORWARDED) process.on(signal, forward);
  child.once('error', (error) => {
    console.error(`tally: could not start the worker process (${error.message})`);
    process.exit(1);
  });
  child.once('exit', (code, signal) => {
    for (const s of FORWARDED) process.off(s, forward);
    if (signal) process.kill(process.pid, signal);
    else process.exit(code ?? 1);
  });
  return new Promise<never>(() => undefined);
}

/**
 * In the re-executed worker (and each process `tally up` supervises): exits when the process that
 * started it is gone (however it died, `kill -9` included), so that no worker outlives the
 * `tally worker` or the supervisor its operator sees. That process is TALLY_PARENT_PID when its
 * starter set it (then a parent gone before this check began is seen too), else the parent now.
 */
export function exitWithParent(intervalMs = 1000, parent = parentPidFromEnv() ?? process.ppid): void {
  const check = () => {
    if (process.ppid !== parent) {
      console.error(`tally: the process that started this one (pid ${parent}) is gone: exiting`);
      process.exit(1);
    }
  };
  check();
  const timer = setInterval(check, intervalMs);
  timer.unref();
}

/**
 * Applies the worker's runtime settings to this process: re-executes it with them when some are
 * missing (and then never returns), or, in the re-executed process, watches its parent.
 */
export async function applyWorkerRuntime(current: WorkerProcessEnv = workerProcessFromEnv()): Promise<void> {
  if (current.runtime === 'applied') {
    exitWithParent();
    return;
  }
  const plan = workerRelaunch(current, process.execArgv);
  if (plan) await relaunchWorker(plan);
}

/**
 * Resolves on the first SIGINT or SIGTERM. The re-executed worker may receive the same signal
 * twice (a terminal's Ctrl-C reaches the whole process group, and the parent forwards it too):
 * a repeat within `repeatMs` is taken for that and ignored; a later one exits at once (code 130).
 */
export function untilStopSignal(repeatMs = 1000): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let first: number | undefined;
    const onSignal = (signal: NodeJS.Signals) => {
      if (first === undefined) {
        first = Date.now();
        resolve(signal);
        return;
      }
      if (Date.now() - first < repeatMs) return;
      console.error(`tally: ${signal} again: stopping at once`);
      process.exit(130);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
