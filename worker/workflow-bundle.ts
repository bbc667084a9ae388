/**
 * The workflow bundle, built once per version of the workflow code and cached on disk. Bundling
 * (webpack) inside a worker costs about 100 MB of its resident memory for as long as it runs, so
 * the bundle is built by a short-lived child process and the worker loads the finished file.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WORKFLOWS_DIR = join(ROOT, 'workflows');
/** The module the bundle is built from. */
export const WORKFLOWS_PATH = join(WORKFLOWS_DIR, 'index.ts');
const BUILDER = join(ROOT, 'worker', 'build-workflow-bundle.ts');

/** A hash of the workflow sources and the SDK version: a new hash means a new bundle. */
export function workflowCodeHash(): string {
  const hash = createHash('sha256');
  const version = (createRequire(import.meta.url)('@temporalio/workflow/package.json') as { version: string }).version;
  hash.update(version);
  for (const name of readdirSync(WORKFLOWS_DIR).filter((f) => f.endsWith('.ts')).sort()) {
    hash.update(name).update(readFileSync(join(WORKFLOWS_DIR, name)));
  }
  return hash.digest('hex').slice(0, 16);
}

/**
 * The path of the bundle for the current workflow code, building it first when missing.
 * @param dir where bundles are kept. @default TALLY_BUNDLE_DIR or <project>/.tally/bundles
 */
export async function workflowBundlePath(dir = process.env.TALLY_BUNDLE_DIR ?? join(ROOT, '.tally', 'bundles')): Promise<string> {
  const path = join(dir, `workflows-${workflowCodeHash()}.js`);
  if (existsSync(path)) return path;
  mkdirSync(dir, { recursive: true });
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'run-ts.mjs'), BUILDER, path], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`building the workflow bundle failed (exit ${code}): ${stderr.trim().split('\n').slice(-3).join(' ')}`))));
  });
  return path;
}
