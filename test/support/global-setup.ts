import type { TestProject } from 'vitest/node';
import { startStack, type StackSettings } from '../../infra/stack/index.js';

declare module 'vitest' {
  export interface ProvidedContext {
    stack: StackSettings;
  }
}

/** Starts the engines once for the whole integration run; each test isolates itself by name (see isolation.ts). */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
  const stack = await startStack({
    dir: process.env.TALLY_TEST_STACK_DIR ?? '.tally/test-stack',
    log: (line) => console.log(`[stack] ${line}`),
  });
  console.log(`[stack] ${stack.settings.provider} engines ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  project.provide('stack', stack.settings);
  return async () => {
    await stack.stop();
  };
}
