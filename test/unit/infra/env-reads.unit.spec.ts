import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** Not the project's code, or allowed to read the environment: the tests, and the one module that reads it. */
const SKIPPED_DIRS = new Set(['node_modules', 'dist', 'test', '.git', '.tally', 'test-results', 'coverage', 'bench-results']);
/** infra/config.ts and its parts in infra/config/, one file a subject. */
const allowed = (path: string) => path === 'infra/config.ts' || /^infra\/config\/[^/]+\.ts$/.test(path);

function sources(dir = ''): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = dir ? `${dir}/${entry.name}` : entry.name;
    if (entry.isDirectory()) return SKIPPED_DIRS.has(entry.name) ? [] : sources(path);
    return /\.(ts|mts|js|mjs)$/.test(entry.name) && !allowed(path) ? [path] : [];
  });
}

describe('the environment', () => {
  it('is read in infra/config.ts and infra/config/, nowhere else outside test/', () => {
    const files = sources();
    expect(files).toContain('cli/commands.ts');
    const reads = files.flatMap((file) =>
      readFileSync(join(ROOT, file), 'utf8')
        .split('\n')
        .flatMap((line, i) => (/process\.env\b/.test(line) ? [`${file}:${i + 1}: ${line.trim()}`] : [])),
    );
    expect(reads, 'read the variable in infra/config.ts or infra/config/ (a function taking env = process.env) and pass the value down').toEqual([]);
  });
});
