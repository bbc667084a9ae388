/**
 * The workflow bundle. Compiled (dist/), the worker loads the one `npm run build` wrote next to the
 * code, dist/workflows.bundle.js. From the sources (tests, development), it is built once per
 * version of the workflow code and cached on disk. Bundling (webpack) inside a worker costs about
 * 100 MB of its resident memory for as long as it runs, so the bundle is built by a short-lived
 * child process and the worker loads the finished file.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { bundleDirFromEnv } from '../infra/config.js';
import { CODE_ROOT, COMPILED, PROJECT_ROOT } from '../infra/paths.js';

/** Extension of the running code's modules. */
const EXT = COMPILED ? '.js' : '.ts';
const WORKFLOWS_DIR = join(CODE_ROOT, 'workflows');
/** The module the bundle is built from (the compiled one when running compiled). */
export const WORKFLOWS_PATH = join(WORKFLOWS_DIR, `index${EXT}`);
/** The bundle `npm run build` writes into dist/ (see bin/build.mjs). */
export const PREBUILT_BUNDLE = join(CODE_ROOT, 'workflows.bundle.js');
const BUILDER = join(CODE_ROOT, 'worker', `build-workflow-bundle${EXT}`);

/** A hash of the workflow modules and the SDK version: a new hash means a new bundle. */
export function workflowCodeHash(): string {
  const hash = createHash('sha256');
  const version = (createRequire(import.meta.url)('@temporalio/workflow/package.json') as { version: string }).version;
  hash.update(version);
  for (const name of readdirSync(WORKFLOWS_DIR).filter((f) => f.endsWith(EXT)).sort()) {
    hash.update(name).update(readFileSync(join(WORKFLOWS_DIR, name)));
  }
  return hash.digest('hex').slice(0, 16);
}

/** The flag that makes the builder add the OpenTelemetry workflow interceptors (a traced bundle, worker/tracing.ts). */
export const TRACED_FLAG = '--otel';

/** Builds the bundle of the running workflow code into `out`, in a child process; `traced` adds the OpenTelemetry interceptors. */
export function buildWorkflowBundle(out: string, traced = false): Promise<void> {
  // From the sources the builder needs the TypeScript loader; compiled, it runs as it is.
  const builder = traced ? [BUILDER, out, TRACED_FLAG] : [BUILDER, out];
  const args = COMPILED ? builder : [join(PROJECT_ROOT, 'bin', 'run-ts.mjs'), ...builder];
  return new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`building the workflow bundle failed (exit ${code}): ${stderr.trim().split('\n').slice(-3).join(' ')}`))));
  });
}

/**
 * The path of the bundle for the running workflow code: the prebuilt one when compiled, else the
 * cached one, building it first when missing. A traced bundle (with the OpenTelemetry workflow
 * interceptors) is never prebuilt: a traced worker builds it once into the cache.
 * @param dir where cached bundles are kept. @default TALLY_BUNDLE_DIR or <project>/.tally/bundles
 */
export async function workflowBundlePath(dir = bundleDirFromEnv() ?? join(PROJECT_ROOT, '.tally', 'bundles'), options: { traced?: boolean } = {}): Promise<string> {
  const traced = options.traced === true;
  if (!traced && COMPILED && existsSync(PREBUILT_BUNDLE)) return PREBUILT_BUNDLE;
  const path = join(dir, `workflows-${traced ? 'otel-' : ''}${workflowCodeHash()}.js`);
  if (existsSync(path)) return path;
  mkdirSync(dir, { recursive: true });
  await buildWorkflowBundle(path, traced);
  return path;
}
