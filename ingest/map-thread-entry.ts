/**
 * The script parse threads run. Compiled (dist/, `npm run build`), that is `map-thread.js` beside
 * this module, built with the rest. From the sources (tests, development) a thread does not
 * inherit the TypeScript loader, and loading it in every thread costs a second of start-up and
 * tens of MB each, so the thread's code is bundled once per process with esbuild (about 30 ms, a
 * development dependency) into `.tally/bundles/`, where the project's node_modules resolve its
 * packages; if bundling fails, threads fall back to registering the loader themselves
 * (`map-thread.mjs`).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { PROJECT_ROOT } from '../infra/paths.js';

let entry: Promise<URL> | undefined;

export function mapThreadEntry(): Promise<URL> {
  entry ??= bundled();
  return entry;
}

async function bundled(): Promise<URL> {
  const compiled = new URL('./map-thread.js', import.meta.url);
  if (existsSync(fileURLToPath(compiled))) return compiled;
  try {
    const { build } = await import('esbuild');
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
  } catch {
    return new URL('./map-thread.mjs', import.meta.url);
  }
}
