/** The supervisor of `tally up` (cli/supervise.ts), on real child processes (plain node scripts). */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isAlive, readSupervisorState, restartDelay, Supervisor, type ServiceSpec, type SupervisorState } from '../../../cli/supervise.js';

const node = (script: string, name = 'svc'): ServiceSpec => ({ name, command: process.execPath, args: ['-e', script] });
const FOREVER = 'setInterval(() => {}, 1000)';

async function until<T>(what: string, probe: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('the supervisor', () => {
  const dirs: string[] = [];
  const supervisors: Supervisor[] = [];
  const setup = (specs: ServiceSpec[], options: Partial<ConstructorParameters<typeof Supervisor>[1]> = {}) => {
    const dir = mkdtempSync(join(tmpdir(), 'tally-supervise-'));
    dirs.push(dir);
    const lines: string[] = [];
    const stateFile = join(dir, 'supervisor.json');
    const supervisor = new Supervisor(specs, { stateFile, initialDelayMs: 20, maxDelayMs: 200, log: (l) => lines.push(l), ...options });
    supervisors.push(supervisor);
    supervisor.start();
    const state = () => readSupervisorState(stateFile) as SupervisorState;
    return { supervisor, state, lines, dir };
  };

  afterEach(async () => {
    for (const s of supervisors.splice(0)) await s.stop(1000);
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('doubles the delay after each quick failure in a row, up to the maximum', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => restartDelay(n, 1000, 30_000))).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);
    expect(restartDelay(0, 1000, 30_000)).toBe(1000);
  });

  it('restarts a process killed with SIGKILL, and its state file says so', async () => {
    const { state, dir } = setup([node(`console.log('worker up'); ${FOREVER}`, 'worker'), node(FOREVER, 'explorer')]);
    const first = await until('the worker running', () => state().services[0]!.pid);
    expect(isAlive(first)).toBe(true);
    const log = () => (existsSync(join(dir, 'worker.log')) ? readFileSync(join(dir, 'worker.log'), 'utf8') : '');
    await until('the worker up', () => log() === 'worker up\n');
    process.kill(first, 'SIGKILL');
    const restarted = await until('the worker restarted', () => {
      const s = state().services[0]!;
      return s.status === 'running' && s.pid !== first ? s : undefined;
    });
    expect(restarted).toMatchObject({ name: 'worker', status: 'running', restarts: 1, quickFailures: 1, lastExit: { code: null, signal: 'SIGKILL' } });
    expect(isAlive(restarted.pid)).toBe(true);
    expect(isAlive(first)).toBe(false);
    // The other process was left alone.
    expect(state().services[1]).toMatchObject({ name: 'explorer', status: 'running', restarts: 0 });
    expect(state().pid).toBe(process.pid);
    // Each process writes to its own log, appended across restarts.
    await until('both starts logged', () => log() === 'worker up\nworker up\n');
  });

  it('gives up on a process after N quick failures in a row, says why, and keeps the others running', async () => {
    const { state, lines } = setup([node('process.exit(3)', 'projections'), node(FOREVER, 'worker')], { maxQuickFailures: 3 });
    const failed = await until('giving up', () => (state().services[0]!.status === 'failed' ? state().services[0]! : undefined));
    expect(failed).toMatchObject({ restarts: 2, quickFailures: 3, lastExit: { code: 3, signal: null } });
    expect(failed.gaveUp).toMatch(/^projections exited with code 3: 3 failures in a row, each within 60 s of starting; not restarted \(see .*projections\.log\)$/);
    expect(lines.filter((l) => l.includes('restarting in'))).toHaveLength(2);
    expect(lines.some((l) => l.startsWith('supervisor: giving up: projections exited with code 3'))).toBe(true);
    expect(state().services[1]).toMatchObject({ status: 'running' });
  });

  it('starts counting again after a run that lasted', async () => {
    const { state } = setup([node('setTimeout(() => process.exit(1), 150)')], { maxQuickFailures: 2, stableMs: 100 });
    await until('four restarts', () => state().services[0]!.restarts >= 4, 15_000);
    expect(state().services[0]).toMatchObject({ quickFailures: 1 });
    expect(state().services[0]!.status).not.toBe('failed');
  });

  it('stops every process on stop(), SIGKILL after the grace period for one that ignores SIGTERM', async () => {
    const { supervisor, state, dir } = setup([node(FOREVER, 'a'), node(`process.on('SIGTERM', () => {}); console.log('ready'); ${FOREVER}`, 'stubborn')]);
    const pids = await until('both running', () => {
      const p = state().services.map((s) => s.pid);
      return p.every((x) => x !== undefined) ? (p as number[]) : undefined;
    });
    await until('the stubborn one ignoring SIGTERM', () => existsSync(join(dir, 'stubborn.log')) && readFileSync(join(dir, 'stubborn.log'), 'utf8').includes('ready'));
    const started = Date.now();
    await supervisor.stop(500);
    expect(Date.now() - started).toBeGreaterThanOrEqual(450);
    expect(pids.map(isAlive)).toEqual([false, false]);
    expect(state().services.map((s) => s.status)).toEqual(['stopped', 'stopped']);
  });
});
