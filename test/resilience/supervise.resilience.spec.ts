/**
 * `tally up --detach` supervises the worker, the projections and the explorer as processes of
 * their own: after a SIGKILL of the worker, the supervisor restarts it, `tally status` shows the
 * truth (the new pid, one restart, the last exit), and the restarted worker ingests a drop, whose
 * rows the supervised projections' metrics count as its summary does. This
 * runs the real command on engines of its own (its own TALLY_STACK_DIR), not the shared ones.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { processStatus, type ProcessStatus } from '../../cli/stack-commands.js';
import { total, type MetricsStatus } from '../../cli/metrics-status.js';
import { isAlive } from '../../cli/supervise.js';
import { freePort } from '../../infra/stack/ports.js';
import { ROOT, until } from './support/runs.js';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe('tally up supervises its processes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tally-up-'));
  const stack = join(dir, 'stack');
  // Only what the command needs: no TALLY_STACK=external or engine URLs from the test's environment.
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? dir, TALLY_STACK_DIR: stack, TALLY_LANDING_DIR: join(dir, 'landing'), TALLY_STACK: 'local', TALLY_METRICS_PORT: '0' };
  const tally = (...args: string[]) =>
    new Promise<Run>((resolve, reject) => {
      const child = spawn(process.execPath, ['bin/tally.mjs', ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.once('error', reject);
      child.once('close', (code) => resolve({ code, stdout, stderr }));
    });
  const timings: Record<string, number> = {};

  afterAll(async () => {
    await tally('down');
    rmSync(dir, { recursive: true, force: true });
    console.log(`[resilience:supervise] ${JSON.stringify(timings)}`);
  }, 120_000);

  it('restarts the worker after a SIGKILL, and status shows it', async () => {
    const port = String(await freePort());
    let t = Date.now();
    const up = await tally('up', '--detach', '--port', port);
    expect(up.code, up.stderr).toBe(0);
    const file = join(stack, 'supervisor.json');
    const running = await until('the three processes running', () => {
      const s = processStatus(file).services;
      return s.length === 3 && s.every((p) => p.status === 'running' && p.alive) ? s : undefined;
    }, 60_000);
    timings.upMs = Date.now() - t;
    const worker = running.find((p) => p.name === 'worker')!;
    const others = running.filter((p) => p.name !== 'worker').map((p) => p.pid);

    t = Date.now();
    process.kill(worker.pid!, 'SIGKILL');
    const seen = new Set<string>();
    const restarted = await until('the worker restarted', () => {
      const w = processStatus(file).services.find((p) => p.name === 'worker')!;
      seen.add(w.status);
      return w.status === 'running' && w.alive && w.pid !== worker.pid ? w : undefined;
    }, 60_000, 20);
    timings.restartMs = Date.now() - t;
    expect(seen.has('restarting')).toBe(true);
    expect(isAlive(worker.pid)).toBe(false);

    const status = await tally('status', '--json');
    expect(status.code, status.stderr).toBe(0);
    const shown = (JSON.parse(status.stdout) as { processes: { supervisor: { alive: boolean }; services: ProcessStatus[] } }).processes;
    expect(shown.supervisor.alive).toBe(true);
    expect(shown.services.find((p) => p.name === 'worker')).toMatchObject({ status: 'running', alive: true, pid: restarted.pid, restarts: 1, lastExit: { code: null, signal: 'SIGKILL' } });
    expect(shown.services.filter((p) => p.name !== 'worker').map((p) => [p.pid, p.restarts, p.status])).toEqual(others.map((pid) => [pid, 0, 'running']));
    const text = await tally('status');
    expect(text.stdout).toMatch(/worker\s+running\s+\d+\s+1\s+SIGKILL at/);

    // The restarted worker does the work, and the explorer answers.
    t = Date.now();
    const ingest = await tally('ingest', join(ROOT, 'examples/mali/dtm-mali-r47-2019-07-31.csv'), '--source', 'dtm', '--wait', '--json');
    expect(ingest.code, ingest.stderr).toBe(0);
    const summary = JSON.parse(ingest.stdout) as { accepted: number; rejected: number; duplicates: number };
    expect(summary).toMatchObject({ source: 'dtm', status: 'processed' });
    timings.ingestMs = Date.now() - t;

    // Each supervised process serves its metrics on a free port and records it for status.
    const after = await tally('status', '--json');
    const metrics = (JSON.parse(after.stdout) as { metrics: MetricsStatus }).metrics;
    expect(Object.fromEntries(Object.entries(metrics).map(([part, m]) => [part, m.up]))).toEqual({ worker: true, projections: true, temporal: true });
    for (const [outcome, n] of [['accepted', summary.accepted], ['rejected', summary.rejected], ['duplicate', summary.duplicates]] as const) {
      expect(total(metrics.projections!.values, 'tally_rows_total', `outcome=${outcome}`), outcome).toBe(n);
    }
    const served = await fetch(`http://127.0.0.1:${port}/api/indicators`);
    expect(served.status).toBe(200);

    t = Date.now();
    const down = await tally('down');
    expect(down.code, down.stderr).toBe(0);
    timings.downMs = Date.now() - t;
    const pids = processStatus(file).services.map((p) => p.pid);
    expect(pids).toEqual([undefined, undefined, undefined]);
    expect([restarted.pid, ...others].map(isAlive)).toEqual([false, false, false]);
    expect(readFileSync(join(stack, 'serve.log'), 'utf8')).toMatch(/worker killed by SIGKILL after [\d.]+ s; restarting in 1\.0 s/);
  }, 300_000);
});
