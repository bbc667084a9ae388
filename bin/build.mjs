#!/usr/bin/env node
/**
 * `npm run build`: the production build in dist/, which bin/tally.mjs runs.
 *   1. tsc -p tsconfig.build.json (incremental, dist/.tsbuildinfo); compiled files whose source
 *      is gone are removed;
 *   2. the files the code reads next to itself (ASSETS) are copied beside it;
 *   3. the workflow bundle is built from the compiled workflows into dist/workflows.bundle.js
 *      (skipped when their hash has not changed);
 *   4. dist/.build-stamp is written last, dated when the build started.
 * buildIfStale (bin/build-if-stale.mjs) builds only when dist/ is missing, incomplete, or older
 * than the newest of the files tsconfig.build.json compiles, the assets and the build's own
 * inputs (a folder's date counts too, so a deleted file does as well).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const DIST = join(ROOT, 'dist');
export const STAMP = join(DIST, '.build-stamp');
const TSBUILDINFO = join(DIST, '.tsbuildinfo');
const BUNDLE = join(DIST, 'workflows.bundle.js');
const BUNDLE_HASH = `${BUNDLE}.hash`;
const LOCK = join(ROOT, '.tally', 'build.lock');

/** Read at run time next to the code (`new URL(…, import.meta.url)`): copied into dist/ as they are. */
export const ASSETS = ['connectors/profiles', 'domain/data', 'web/static', 'infra/stack/reaper.mjs'];
/** What a build needs to exist to be complete. */
const OUTPUTS = ['cli/tally.js', 'ingest/map-thread.js', 'workflows.bundle.js', ...ASSETS];
/** Besides the compiled folders: the build's own inputs (the lockfile stands for the SDK the bundle includes). */
const BUILD_FILES = ['tsconfig.json', 'tsconfig.build.json', 'package-lock.json', 'node_modules/.package-lock.json', 'bin/build.mjs'];

function readJson(file) {
  return JSON.parse(readFileSync(join(ROOT, file), 'utf8'));
}

/** The folders and files tsconfig.build.json compiles: its include less its plain excludes, and the file suffixes it excludes (**\/*.spec.ts). */
export function buildScope() {
  const base = readJson('tsconfig.json');
  const build = readJson('tsconfig.build.json');
  const include = build.include ?? base.include ?? [];
  const exclude = build.exclude ?? base.exclude ?? [];
  const plain = exclude.filter((e) => !e.includes('*'));
  const suffixes = exclude.filter((e) => e.startsWith('**/*')).map((e) => e.slice(4));
  return { roots: include.filter((i) => !plain.includes(i)), skip: new Set(plain), suffixes };
}

/** The newest mtime under `path` (folders included), skipping node_modules, dist and `skip`. */
function newestUnder(path, scope, best) {
  let stat;
  try {
    stat = statSync(join(ROOT, path));
  } catch {
    return best;
  }
  if (stat.mtimeMs > best.mtimeMs) best = { path, mtimeMs: stat.mtimeMs };
  if (!stat.isDirectory()) return best;
  for (const entry of readdirSync(join(ROOT, path), { withFileTypes: true })) {
    const child = path === '.' ? entry.name : `${path}/${entry.name}`;
    if (entry.name === 'node_modules' || entry.name === 'dist' || scope.skip.has(child)) continue;
    if (entry.isFile() && scope.suffixes.some((s) => entry.name.endsWith(s))) continue;
    best = newestUnder(child, scope, best);
  }
  return best;
}

/** The newest input of the build: { path, mtimeMs }. */
export function newestInput() {
  const scope = buildScope();
  let best = { path: '', mtimeMs: 0 };
  for (const path of [...scope.roots, ...BUILD_FILES]) best = newestUnder(path, scope, best);
  // The assets lie under the roots but may be excluded from compilation (web/static): walk them regardless.
  for (const path of ASSETS) best = newestUnder(path, { skip: new Set(), suffixes: [] }, best);
  return best;
}

/** Why dist/ needs a build, or undefined when it is up to date. */
export function staleness() {
  if (!existsSync(STAMP)) return existsSync(DIST) ? 'the last build did not finish' : 'no build yet';
  for (const out of OUTPUTS) if (!existsSync(join(DIST, out))) return `dist/${out} is missing`;
  const newest = newestInput();
  if (newest.mtimeMs > statSync(STAMP).mtimeMs) return `${newest.path} changed`;
  return undefined;
}

function run(label, args) {
  const res = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (res.status !== 0) {
    const output = `${res.stdout ?? ''}${res.stderr ?? ''}`.trim();
    throw new Error(`${label} failed (exit ${res.status ?? res.signal})${output ? `:\n${output}` : ''}`);
  }
}

/** Removes compiled files (and their maps) whose TypeScript source no longer exists. */
function prune(dir = DIST) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    const rel = relative(DIST, path).split(sep).join('/');
    if (ASSETS.includes(rel)) continue;
    if (entry.isDirectory()) {
      prune(path);
      if (readdirSync(path).length === 0) rmSync(path, { recursive: true });
      continue;
    }
    const m = /^(.*)\.(m?)js(\.map)?$/.exec(rel);
    if (!m || !rel.includes('/')) continue; // top-level files: the bundle, the stamp, the build info
    if (!existsSync(join(ROOT, `${m[1]}.${m[2]}ts`))) rmSync(path);
  }
}

function copyAssets() {
  for (const asset of ASSETS) {
    const to = join(DIST, asset);
    rmSync(to, { recursive: true, force: true });
    cpSync(join(ROOT, asset), to, { recursive: true });
  }
}

/** Builds dist/workflows.bundle.js from the compiled workflows, unless their hash is the one it was built from. */
async function bundleWorkflows() {
  const { workflowCodeHash } = await import(pathToFileURL(join(DIST, 'worker', 'workflow-bundle.js')).href);
  const hash = workflowCodeHash();
  if (existsSync(BUNDLE) && existsSync(BUNDLE_HASH) && readFileSync(BUNDLE_HASH, 'utf8').trim() === hash) return false;
  run('the workflow bundle', [join(DIST, 'worker', 'build-workflow-bundle.js'), BUNDLE]);
  writeFileSync(BUNDLE_HASH, `${hash}\n`);
  return true;
}

/** The full build; `log` receives a line per step. */
export async function build({ log = () => undefined } = {}) {
  const started = Date.now();
  rmSync(STAMP, { force: true });
  // Incremental tsc trusts its build info: without the entry point the outputs cannot be trusted either.
  if (!existsSync(join(DIST, 'cli', 'tally.js'))) rmSync(TSBUILDINFO, { force: true });
  log('tsc -p tsconfig.build.json');
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  run('tsc -p tsconfig.build.json', [tsc, '-p', 'tsconfig.build.json', '--incremental', '--tsBuildInfoFile', TSBUILDINFO]);
  prune();
  log(`copying ${ASSETS.join(', ')}`);
  copyAssets();
  log('workflow bundle (dist/workflows.bundle.js)');
  log((await bundleWorkflows()) ? 'workflow bundle built' : 'workflow bundle unchanged');
  writeFileSync(STAMP, `${new Date(started).toISOString()}\n`);
  // Dated when the build started: a source saved during the build makes the next check build again.
  utimesSync(STAMP, started / 1000, started / 1000);
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

/** Runs `fn` holding .tally/build.lock, so that two builds never write dist/ at once. */
async function withLock(fn) {
  mkdirSync(join(ROOT, '.tally'), { recursive: true });
  for (;;) {
    try {
      mkdirSync(LOCK);
      writeFileSync(join(LOCK, 'pid'), String(process.pid));
      break;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
      let owner = NaN;
      try {
        owner = Number(readFileSync(join(LOCK, 'pid'), 'utf8'));
      } catch {
        // being written or removed
      }
      if (Number.isInteger(owner) && owner > 0 && !alive(owner)) rmSync(LOCK, { recursive: true, force: true });
      else await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

/** Builds when dist/ is stale, writing one line (`write`) when it does; resolves to whether it built. */
export async function buildIfStale({ write = (text) => process.stderr.write(text) } = {}) {
  if (!staleness()) return false;
  return withLock(async () => {
    const reason = staleness(); // another process may have built while this one waited
    if (!reason) return false;
    const started = Date.now();
    write(`[build] dist/ is out of date (${reason}): compiling with tsc and bundling the workflows… `);
    try {
      await build();
    } catch (error) {
      write('failed\n');
      throw error;
    }
    write(`done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    return true;
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const started = Date.now();
  try {
    await withLock(() => build({ log: (line) => console.error(`[build] ${line}`) }));
    console.error(`[build] dist/ built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } catch (error) {
    console.error(`[build] ${error.message}`);
    process.exit(1);
  }
}
