/**
 * Development only (excluded from dist/): bundles the parse thread's TypeScript with esbuild into
 * `.tally/bundles/`, where the project's node_modules resolve its packages, once per process.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { PROJECT_ROOT } from '../infra/paths.js';

export async function bundleMapThread(): Promise<URL> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL('./map-thread.ts', import.meta.url))],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    write: false,
    logLevel: 'silent',
    // The one module of the thread that reads a file next to itself: the P-code list.
    define: { 'import.meta.url': JSON.stringify(new URL('../domain/places.ts', import.meta.url).href) },
  });
  const text = result.outputFiles[0]!.text;
  const dir = join(PROJECT_ROOT, '.tally', 'bundles');
  const path = join(dir, `map-thread-${createHash('sha256').update(text).digest('hex').slice(0, 16)}.mjs`);
  if (!existsSync(path)) {
    mkdirSync(dir, { recursive: true });
    const temp = `${path}.${process.pid}.tmp`;
    writeFileSync(temp, text);
    renameSync(temp, path);
  }
  return pathToFileURL(path);
}
