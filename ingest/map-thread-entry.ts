/**
 * The script parse threads run. Compiled (dist/, `npm run build`), that is `map-thread.js` beside
 * this module, built with the rest. From the sources (tests, development) a thread does not
 * inherit the TypeScript loader, and loading it in every thread costs a second of start-up and
 * tens of MB each, so the thread's code is bundled once per process with esbuild (about 30 ms, a
 * development dependency) into `.tally/bundles/`, where the project's node_modules resolve its
 * packages; if bundling fails, threads fall back to registering the loader themselves
 * (`map-thread.mjs`).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

let entry: Promise<URL> | undefined;

export function mapThreadEntry(): Promise<URL> {
  entry ??= bundled();
  return entry;
}

async function bundled(): Promise<URL> {
  const compiled = new URL('./map-thread.js', import.meta.url);
  if (existsSync(fileURLToPath(compiled))) return compiled;
  try {
    // Development only: the bundler (esbuild, a development dependency) is not in dist/.
    const dev = (await import(new URL('./map-thread-bundle.ts', import.meta.url).href)) as { bundleMapThread(): Promise<URL> };
    return await dev.bundleMapThread();
  } catch {
    return new URL('./map-thread.mjs', import.meta.url);
  }
}
