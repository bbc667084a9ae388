import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { workerProcessFromEnv } from '../../../infra/config.js';
import { RELAUNCH_MARKER, WORKER_ENV, WORKER_NODE_FLAGS, workerRelaunch } from '../../../worker/runtime.js';

const bare = workerProcessFromEnv({});

describe("tally worker's runtime settings", () => {
  it('adds every variable and flag to a bare process, with the marker that stops a second re-execution', () => {
    expect(workerRelaunch(bare, [])).toEqual({
      env: { MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '131072', ...RELAUNCH_MARKER },
      nodeFlags: ['--max-old-space-size=192', '--max-semi-space-size=8'],
    });
    expect(WORKER_NODE_FLAGS).toEqual(['--max-old-space-size=192', '--max-semi-space-size=8']);
    expect(WORKER_ENV).toEqual({ MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '131072' });
  });

  it('never overrides a variable the user set, even to an empty value', () => {
    const plan = workerRelaunch(workerProcessFromEnv({ MALLOC_ARENA_MAX: '4', MALLOC_MMAP_THRESHOLD_: '' }), []);
    expect(plan?.env).toEqual(RELAUNCH_MARKER);
    expect(plan?.nodeFlags).toEqual(WORKER_NODE_FLAGS);
  });

  it('never overrides a flag set in NODE_OPTIONS or on the command line, in either spelling', () => {
    const plan = workerRelaunch(workerProcessFromEnv({ NODE_OPTIONS: '--enable-source-maps --max-old-space-size=512' }), ['--max_semi_space_size=16']);
    expect(plan?.nodeFlags).toEqual([]);
    expect(plan?.env).toEqual({ ...WORKER_ENV, ...RELAUNCH_MARKER });
    expect(workerRelaunch(bare, ['--max-semi-space-size=4'])?.nodeFlags).toEqual(['--max-old-space-size=192']);
  });

  it('does nothing when everything is set already (the benchmark passes it all)', () => {
    expect(workerRelaunch(workerProcessFromEnv({ ...WORKER_ENV }), [...WORKER_NODE_FLAGS])).toBeUndefined();
    expect(workerRelaunch(workerProcessFromEnv({ ...WORKER_ENV, NODE_OPTIONS: WORKER_NODE_FLAGS.join(' ') }), [])).toBeUndefined();
  });

  it('does nothing in the re-executed process, nor with TALLY_WORKER_RUNTIME=off', () => {
    expect(workerRelaunch(workerProcessFromEnv({ ...RELAUNCH_MARKER }), [])).toBeUndefined();
    expect(workerRelaunch(workerProcessFromEnv({ TALLY_WORKER_RUNTIME: 'off' }), [])).toBeUndefined();
    expect(() => workerProcessFromEnv({ TALLY_WORKER_RUNTIME: 'yes' })).toThrow(/TALLY_WORKER_RUNTIME: expected "off" .* found "yes"/);
  });

});

const CHILD = fileURLToPath(new URL('./runtime-child.mjs', import.meta.url));

interface ChildRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  pid: number;
  lines: string[];
}

/** Runs runtime-child.mjs with this environment (less the worker's settings) plus `extra`; `onLine` sees each line of its output. */
function runChild(args: string[], extra: NodeJS.ProcessEnv = {}, execArgv: string[] = [], onLine: (line: string, pid: number) => void = () => undefined): Promise<ChildRun> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ['MALLOC_ARENA_MAX', 'MALLOC_MMAP_THRESHOLD_', 'NODE_OPTIONS', 'TALLY_WORKER_RUNTIME']) delete env[name];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...execArgv, CHILD, ...args], { env: { ...env, ...extra }, stdio: ['ignore', 'pipe', 'inherit'] });
    const lines: string[] = [];
    let pending = '';
    child.stdout.on('data', (b: Buffer) => {
      const parts = (pending + b.toString()).split('\n');
      pending = parts.pop()!;
      for (const line of parts) {
        lines.push(line);
        onLine(line, child.pid!);
      }
    });
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, pid: child.pid!, lines }));
  });
}

describe('tally worker re-executing itself', () => {
  it('runs once more with the settings, and exits with the exit code of the re-executed process', async () => {
    const run = await runChild(['7']);
    expect(run.code).toBe(7);
    expect(run.lines).toHaveLength(1);
    const report = JSON.parse(run.lines[0]!) as { pid: number; arena: string; mmap: string; execArgv: string[]; heapMb: number };
    expect(report.pid).not.toBe(run.pid);
    expect(report).toMatchObject({ arena: '2', mmap: '131072' });
    expect(report.execArgv).toEqual(expect.arrayContaining([...WORKER_NODE_FLAGS]));
    expect(report.heapMb).toBeLessThan(300);
  }, 30_000);

  it("keeps the user's values", async () => {
    const run = await runChild(['0'], { MALLOC_ARENA_MAX: '4', NODE_OPTIONS: '--max-old-space-size=512' });
    const report = JSON.parse(run.lines[0]!) as { pid: number; arena: string; mmap: string; execArgv: string[]; heapMb: number };
    expect(report.pid).not.toBe(run.pid);
    expect(report).toMatchObject({ arena: '4', mmap: '131072', execArgv: ['--max-semi-space-size=8'] });
    expect(report.heapMb).toBeGreaterThan(500);
  }, 30_000);

  it('does not re-execute when everything is set already', async () => {
    const run = await runChild(['0'], { ...WORKER_ENV }, [...WORKER_NODE_FLAGS]);
    expect(run.code).toBe(0);
    expect((JSON.parse(run.lines[0]!) as { pid: number }).pid).toBe(run.pid);
  }, 30_000);

  it('forwards a stop signal to the re-executed process and exits as it does', async () => {
    const run = await runChild(['wait'], {}, [], (line, pid) => {
      if (line.startsWith('{')) process.kill(pid, 'SIGTERM');
    });
    expect(run.lines.at(-1)).toBe('stopped by SIGTERM');
    expect(run.code).toBe(3);
  }, 30_000);
});
