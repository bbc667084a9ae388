import { spawnSync } from 'node:child_process';
import type { TestProject } from 'vitest/node';
import { startStack, type RunningStack, type StackSettings } from '../../infra/stack/index.js';

declare module 'vitest' {
  export interface ProvidedContext {
    stack: StackSettings;
  }
}

/**
 * The int and e2e projects both name this setup, and vitest runs it once per project, in one
 * process: they share one set of engines, stopped when the last project tears down.
 */
interface SharedEngines {
  stack: Promise<RunningStack>;
  users: number;
}
const shared = globalThis as { __tallyEngines?: SharedEngines };

/** Tests run `tally` as a subprocess (bin/tally.mjs runs dist/): build it first when stale, as npm test does. */
function buildIfStale(): void {
  const res = spawnSync(process.execPath, ['bin/build-if-stale.mjs'], { stdio: 'inherit' });
  if (res.status !== 0) throw new Error(`bin/build-if-stale.mjs failed (exit ${res.status ?? res.signal}): the CLI the tests run would not be this checkout's`);
}

async function start(): Promise<RunningStack> {
  buildIfStale();
  const started = Date.now();
  const stack = await startStack({
    dir: process.env.TALLY_TEST_STACK_DIR ?? '.tally/test-stack',
    log: (line) => console.log(`[stack] ${line}`),
  });
  console.log(`[stack] ${stack.settings.provider} engines ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return stack;
}

/** Starts the engines once for the whole run; each test isolates itself by name (see isolation.ts). */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const engines = (shared.__tallyEngines ??= { stack: start(), users: 0 });
  engines.users += 1;
  const stack = await engines.stack;
  project.provide('stack', stack.settings);
  return async () => {
    engines.users -= 1;
    if (engines.users > 0) return;
    shared.__tallyEngines = undefined;
    await stack.stop();
  };
}
