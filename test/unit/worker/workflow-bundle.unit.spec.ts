import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { workflowBundlePath, workflowCodeHash } from '../../../worker/workflow-bundle.js';

describe('the cached workflow bundle', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tally-bundle-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is built once per version of the workflow code, in a child process, and reused', async () => {
    const first = await workflowBundlePath(dir);
    expect(first).toBe(join(dir, `workflows-${workflowCodeHash()}.js`));
    expect(readFileSync(first, 'utf8')).toContain('ingestDropWorkflow');
    const built = statSync(first).mtimeMs;
    expect(await workflowBundlePath(dir)).toBe(first);
    expect(statSync(first).mtimeMs).toBe(built);
    expect(workflowCodeHash()).toMatch(/^[0-9a-f]{16}$/);
  }, 60_000);
});
