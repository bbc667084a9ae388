/**
 * The house's floors: each top-level folder may import only from the folders listed for it, so
 * no import runs upward (domain/ imports only itself; infra/ nothing above it).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** Floors from the bottom up; a folder may import from itself and the floors named here. */
export const MAY_IMPORT: Record<string, readonly string[]> = {
  domain: [],
  adapters: ['domain'],
  infra: ['domain', 'adapters'],
  connectors: ['domain', 'adapters', 'infra'],
  ingest: ['domain', 'adapters', 'infra', 'connectors'],
  projections: ['domain', 'adapters', 'infra'],
  activities: ['domain', 'adapters', 'infra', 'connectors', 'ingest', 'projections'],
  workflows: ['domain', 'activities', 'ingest'],
  worker: ['domain', 'adapters', 'infra', 'activities', 'projections', 'workflows'],
  web: ['domain', 'adapters', 'infra', 'projections'],
  cli: ['domain', 'adapters', 'infra', 'connectors', 'ingest', 'projections', 'activities', 'workflows', 'worker', 'web'],
  bench: ['domain', 'adapters', 'infra', 'connectors', 'ingest', 'projections', 'activities', 'workflows', 'worker', 'cli'],
  examples: ['domain'],
};

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' || e.name === 'static' || e.name === 'profiles' || e.name === 'data' ? [] : sources(path);
    return /\.(ts|mjs)$/.test(e.name) && !e.name.endsWith('.spec.ts') ? [path] : [];
  });
}

/** Every relative import of the file, as the top-level folder it lands in. */
export function importedFloors(file: string, text: string): Array<{ spec: string; floor: string; typeOnly: boolean }> {
  const found: Array<{ spec: string; floor: string; typeOnly: boolean }> = [];
  const re = /(?:^|\n)\s*(import|export)\s+(type\s+)?[^'";]*?from\s+['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;
  for (const m of text.matchAll(re)) {
    const spec = m[3] ?? m[4]!;
    const floor = relative(ROOT, resolve(dirname(file), spec)).split('/')[0]!;
    found.push({ spec, floor, typeOnly: m[2] !== undefined });
  }
  return found;
}

describe('the house', () => {
  it('has no import that runs upward', () => {
    const upward: string[] = [];
    for (const floor of Object.keys(MAY_IMPORT)) {
      for (const file of sources(join(ROOT, floor))) {
        for (const imp of importedFloors(file, readFileSync(file, 'utf8'))) {
          if (imp.floor === floor || MAY_IMPORT[floor]!.includes(imp.floor)) continue;
          upward.push(`${relative(ROOT, file)} imports ${imp.spec} (${imp.floor}/ is not below ${floor}/)`);
        }
      }
    }
    expect(upward).toEqual([]);
  });

  it('sees an upward import when there is one', () => {
    const file = join(ROOT, 'domain', 'x.ts');
    expect(importedFloors(file, "import { a } from '../ingest/b.js';\nimport type { C } from './c.js';")).toEqual([
      { spec: '../ingest/b.js', floor: 'ingest', typeOnly: false },
      { spec: './c.js', floor: 'domain', typeOnly: true },
    ]);
  });

  it('lists every top-level folder of code', () => {
    const folders = readdirSync(ROOT, { withFileTypes: true })
      .filter((e) => e.isDirectory() && !e.name.startsWith('.') && !['node_modules', 'dist', 'test', 'docs', 'bin', 'test-results', 'bench-results', 'coverage'].includes(e.name))
      .map((e) => e.name)
      .sort();
    expect(folders).toEqual(Object.keys(MAY_IMPORT).sort());
  });
});
