/**
 * Young generations of parse threads. When the process runs with `--max-semi-space-size` (the
 * worker does, 8 MB, for the activity's thread: smaller semi-spaces there slow publishing), V8
 * sizes every new isolate's semi-spaces from that process-wide flag and ignores a Worker's
 * `resourceLimits.maxYoungGenerationSizeMb`: each parse thread got 17 MB of new space. A thread
 * holds one block of rows at a time, so its threads start with 1 MB semi-spaces and the flag goes
 * back once every thread is online (its isolate exists): reading 1M rows in two threads peaked at
 * 161-163 MB RSS against 182-214 MB (docs/performance.md).
 */
import { setFlagsFromString } from 'node:v8';
import { nodeOptionsFromEnv } from '../infra/config.js';

/** Semi-space of a parse thread, in MB (its young generation is about three of them). */
export const THREAD_SEMI_SPACE_MB = 1;

const SEMI_SPACE_FLAG = /^--max[-_]semi[-_]space[-_]size=(\d+)$/;

/** The process's `--max-semi-space-size` in MB (NODE_OPTIONS, then the command line: the last wins); undefined when not set. */
export function processSemiSpaceMb(execArgv: readonly string[] = process.execArgv, nodeOptions = nodeOptionsFromEnv()): number | undefined {
  let found: number | undefined;
  for (const arg of [...nodeOptions.split(/\s+/), ...execArgv]) {
    const m = SEMI_SPACE_FLAG.exec(arg);
    if (m) found = Number(m[1]);
  }
  return found;
}

/** What `startThreads` needs of a thread: Node's Worker has it. */
export interface StartingThread {
  once(event: 'online' | 'exit', listener: () => void): unknown;
}

/**
 * Runs `start` (which creates the threads) with the semi-space flag at THREAD_SEMI_SPACE_MB, and
 * puts the process's value back when every thread is online or has exited. Without a
 * process-wide value nothing changes: the threads' resourceLimits apply.
 */
export function startThreads<T extends StartingThread>(
  start: () => T[],
  semiSpaceMb: number | undefined = processSemiSpaceMb(),
  setFlags: (flags: string) => void = setFlagsFromString,
): T[] {
  if (semiSpaceMb === undefined || semiSpaceMb <= THREAD_SEMI_SPACE_MB) return start();
  const restore = () => setFlags(`--max-semi-space-size=${semiSpaceMb}`);
  setFlags(`--max-semi-space-size=${THREAD_SEMI_SPACE_MB}`);
  let threads: T[];
  try {
    threads = start();
  } catch (error) {
    restore();
    throw error;
  }
  let pending = threads.length;
  if (pending === 0) restore();
  for (const thread of threads) {
    let counted = false;
    const started = () => {
      if (counted) return;
      counted = true;
      if (--pending === 0) restore();
    };
    thread.once('online', started);
    thread.once('exit', started);
  }
  return threads;
}
