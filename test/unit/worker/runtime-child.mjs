// Run by runtime.unit.spec.ts: applies the worker's runtime settings the way `tally worker` does
// (re-executing itself when some are missing), then reports what this process runs with. With
// "wait", it waits for a stop signal and exits 3; otherwise it exits with the code given.
import { getHeapStatistics } from 'node:v8';
import { register } from 'tsx/esm/api';

register();
const { applyWorkerRuntime, untilStopSignal } = await import('../../../worker/runtime.ts');
await applyWorkerRuntime();
// Listening before reporting: the test signals as soon as it reads the report.
const stopped = process.argv[2] === 'wait' ? untilStopSignal() : undefined;
const report = {
  pid: process.pid,
  arena: process.env.MALLOC_ARENA_MAX ?? null,
  mmap: process.env.MALLOC_MMAP_THRESHOLD_ ?? null,
  execArgv: process.execArgv,
  heapMb: Math.round(getHeapStatistics().heap_size_limit / 2 ** 20),
};
console.log(JSON.stringify(report));
if (stopped) {
  setInterval(() => undefined, 1000); // a worker's connections keep it alive; here, a timer
  const signal = await stopped;
  console.log(`stopped by ${signal}`);
  process.exit(3);
}
process.exit(Number(process.argv[2] ?? 0));
