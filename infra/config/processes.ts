/**
 * What a process hands on to the processes it starts, and what they read of it.
 * Part of infra/config.ts, the one place that reads the environment.
 */
type Env = NodeJS.ProcessEnv;

/** NODE_OPTIONS, '' when unset: the flags every Node process started with this environment gets. */
export function nodeOptionsFromEnv(env: Env = process.env): string {
  return env.NODE_OPTIONS ?? '';
}

/** What `tally worker` needs to decide whether to re-execute itself with its runtime settings (worker/runtime.ts). */
export interface WorkerProcessEnv {
  /** glibc's malloc tunables as the user set them (absent when unset: glibc reads them at start). */
  malloc: { MALLOC_ARENA_MAX?: string; MALLOC_MMAP_THRESHOLD_?: string };
  /** NODE_OPTIONS, '' when unset. */
  nodeOptions: string;
  /**
   * TALLY_WORKER_RUNTIME: 'applied' in the process `tally worker` re-executed with its settings,
   * 'off' to run the worker exactly as started; undefined when unset.
   */
  runtime?: 'applied' | 'off';
}

export function workerProcessFromEnv(env: Env = process.env): WorkerProcessEnv {
  const malloc: WorkerProcessEnv['malloc'] = {};
  if (env.MALLOC_ARENA_MAX !== undefined) malloc.MALLOC_ARENA_MAX = env.MALLOC_ARENA_MAX;
  if (env.MALLOC_MMAP_THRESHOLD_ !== undefined) malloc.MALLOC_MMAP_THRESHOLD_ = env.MALLOC_MMAP_THRESHOLD_;
  const text = env.TALLY_WORKER_RUNTIME;
  let runtime: WorkerProcessEnv['runtime'];
  if (text === 'applied') runtime = 'applied';
  else if (text === 'off' || text === '0') runtime = 'off';
  else if (text !== undefined && text !== '') throw new Error(`TALLY_WORKER_RUNTIME: expected "off" (or "applied", set by tally itself), found "${text}"`);
  return { malloc, nodeOptions: nodeOptionsFromEnv(env), ...(runtime ? { runtime } : {}) };
}

/** TALLY_BENCH_NODE_FLAGS: extra node flags for the benchmark's worker and projections, e.g. "--cpu-prof --cpu-prof-dir=prof". */
export function benchNodeFlagsFromEnv(env: Env = process.env): string[] {
  return (env.TALLY_BENCH_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);
}

/**
 * The environment of a child process: `defaults` (where this environment has no value), this
 * environment, then `overrides`. The one way code here hands the environment on.
 */
export function childEnv(overrides: Record<string, string> = {}, defaults: Record<string, string> = {}, env: Env = process.env): NodeJS.ProcessEnv {
  return { ...defaults, ...env, ...overrides };
}

/**
 * TALLY_PARENT_PID: set by the process that starts a worker, projections or explorer process it
 * supervises (`tally up`'s supervisor, `tally worker` re-executing itself), so that the child exits
 * when that process is gone, even if it was gone before the child got as far as looking.
 * Undefined when unset.
 */
export function parentPidFromEnv(env: Env = process.env): number | undefined {
  const text = env.TALLY_PARENT_PID;
  if (text === undefined || text === '') return undefined;
  const pid = Number(text);
  if (!Number.isInteger(pid) || pid < 1) throw new Error(`TALLY_PARENT_PID: expected a process id, found "${text}"`);
  return pid;
}
