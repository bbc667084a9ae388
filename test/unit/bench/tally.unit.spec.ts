import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { failOnExit, stageAt, type Child, type TallyStages } from '../../../bench/tally.js';

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

describe('the stage of the highest memory sample', () => {
  const stages: TallyStages = { land: 1, other: 0.5, ingestDrop: 30, parse: 10, publish: 20, consume: 1, reconcile: 20, reconcileIndicators: 19, reconcileProjected: 1, total: 52.5 };
  it('names the stage a moment fell in, the stages taken one after the other', () => {
    const started = 1_000;
    expect(stageAt(stages, started + 500, started)).toBe('land');
    expect(stageAt(stages, started + 5_000, started)).toBe('parse');
    expect(stageAt(stages, started + 11_500, started)).toBe('publish');
    expect(stageAt(stages, started + 31_500, started)).toBe('consume');
    expect(stageAt(stages, started + 40_000, started)).toBe('reconcile');
    expect(stageAt(stages, started + 52_300, started)).toBe('other');
    expect(stageAt(stages, undefined, started)).toBe('unknown');
  });
});
