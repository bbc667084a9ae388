import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { failOnExit, type Child } from '../../../bench/tally.js';

function child(name: string, script: string): Child {
  const process_ = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  process_.stderr!.on('data', (b: Buffer) => output.push(b.toString()));
  return { name, process: process_, output };
}

describe('the bench watching its worker and projections', () => {
  it('fails the run with the exit and the last output of a child that died', async () => {
    const worker = child('worker', 'console.error("FATAL ERROR: Reached heap limit"); process.exit(134)');
    const watch = failOnExit([worker]);
    await expect(watch.failed).rejects.toThrow(/the worker exited during the run \(code 134\):\nFATAL ERROR: Reached heap limit/);
  });

  it('says nothing of children stopped on purpose', async () => {
    const worker = child('worker', 'setTimeout(() => {}, 60_000)');
    const watch = failOnExit([worker]);
    watch.stop();
    worker.process.kill('SIGTERM');
    await once(worker.process, 'exit');
    const outcome = await Promise.race([watch.failed.then(() => 'resolved', () => 'rejected'), new Promise((r) => setTimeout(() => r('pending'), 200))]);
    expect(outcome).toBe('pending');
  });
});
