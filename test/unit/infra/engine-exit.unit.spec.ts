import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exitedEarly } from '../../../infra/stack/local.js';

describe('an engine that exits before it is healthy', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tally-exit-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is reported with its exit code and the last lines of its log', () => {
    const log = join(dir, 'kafka.out.log');
    writeFileSync(log, Array.from({ length: 12 }, (_, i) => `line ${i + 1}`).join('\n') + '\n');
    const message = exitedEarly(1, log);
    expect(message).toMatch(/^the process exited with code 1; see .*kafka\.out\.log, which ends:\nline 5\n/);
    expect(message.endsWith('line 12')).toBe(true);
    expect(message).not.toContain('line 4\n');
  });

  it('says only where the log would be when there is none', () => {
    expect(exitedEarly(137, join(dir, 'missing.log'))).toBe(`the process exited with code 137; see ${join(dir, 'missing.log')}`);
  });
});
