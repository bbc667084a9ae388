import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LocalStackState } from '../../../infra/stack/local.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('the local stack manager', () => {
  it('leaves no engine process behind when its owner is killed outright', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tally-reaper-'));
    const child = spawn(process.execPath, ['bin/run-ts.mjs', 'test/support/stack-child.ts', dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
        child.once('exit', (code) => reject(new Error(`the stack process exited early with code ${code}`)));
      });
      const state = JSON.parse(readFileSync(join(dir, 'stack.json'), 'utf8')) as LocalStackState;
      const pids = Object.values(state.pids);
      expect(pids).toHaveLength(3);
      expect(pids.every(alive)).toBe(true);

      child.kill('SIGKILL');
      const deadline = Date.now() + 30_000;
      while (pids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
      expect(pids.filter(alive)).toEqual([]);
    } finally {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
