/**
 * The Dockerfile's steps, replayed without Docker (no engine runs here) in a clean clone of the
 * repository: the build stage (npm ci, npm run build, npm prune) and the runtime stage's copies,
 * each stage in a directory of its own, skipping only FROM and USER. Then the runtime layout must
 * run the command line on its own: no TypeScript sources, no dev packages, every package that the
 * compiled code imports present, and (once bin/tally.mjs runs the compiled CLI) `tally worker`
 * against the test engines. npm reuses this machine's cache (prefer-offline).
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, dockerignore, readDockerfile } from '../../unit/deploy/dockerfile.js';
import { configToEnv } from '../../../infra/config.js';
import { testScope } from '../../support/isolation.js';
import { pipelineConfig } from '../../support/pipeline.js';
import { inStage, replay, type StageResult } from './steps.js';

const MINUTES = 60_000;
/** True once bin/tally.mjs runs the compiled CLI (dist/cli/tally.js) rather than the sources. */

let workspace: string;
let runtime: StageResult;
let app: string;

function files(dir: string, skip: (name: string) => boolean): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (skip(e.name)) return [];
    const path = join(dir, e.name);
    return e.isDirectory() ? files(path, skip) : [path];
  });
}

/** The image's environment only, nothing of this checkout; its absolute paths inside the stage. */
function imageEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(runtime.env).map(([k, v]) => [k, v.startsWith('/') ? inStage(runtime, v) : v]));
  return { PATH: process.env.PATH, HOME: workspace, ...env, ...extra };
}

function tally(args: string[], entry = 'bin/tally.mjs') {
  return spawnSync(process.execPath, [entry, ...args], { cwd: app, env: imageEnv(), encoding: 'utf8', timeout: 60_000 });
}

beforeAll(async () => {
  workspace = mkdtempSync(join(tmpdir(), 'tally-dockerfile-'));
  const context = join(workspace, 'context');
  execFileSync('git', ['clone', '--quiet', '--no-hardlinks', ROOT, context]);
  const started = Date.now();
  const stages = await replay(readDockerfile(), {
    context,
    workspace: join(workspace, 'stages'),
    ignored: dockerignore(readFileSync(join(context, '.dockerignore'), 'utf8')),
    env: { npm_config_prefer_offline: 'true', npm_config_update_notifier: 'false', npm_config_loglevel: 'error' },
    log: (line) => console.log(`[dockerfile] ${line}`),
  });
  console.log(`[dockerfile] replayed in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  runtime = stages.get('runtime')!;
  app = inStage(runtime, runtime.workdir);
}, 6 * MINUTES);

afterAll(() => {
  if (workspace) rmSync(workspace, { recursive: true, force: true });
});

describe('the Dockerfile, replayed in a clean clone', () => {
  it('lays out the runtime stage: compiled code, data files, production packages', () => {
    expect(runtime.workdir).toBe('/app');
    for (const path of ['package.json', 'dist/cli/tally.js', 'bin/tally.mjs', 'dist/connectors/profiles/dtm.json', 'dist/domain/data/mli-pcodes.csv', 'dist/web/static/index.html', 'node_modules/@temporalio/worker/package.json']) {
      expect(existsSync(join(app, path)), path).toBe(true);
    }
    expect(existsSync(inStage(runtime, '/var/lib/tally/README')), 'the writable state directory').toBe(true);
  });

  it('holds no TypeScript source outside node_modules', () => {
    const sources = files(app, (n) => n === 'node_modules').filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));
    expect(sources.map((f) => relative(app, f))).toEqual([]);
  });

  it('holds no package the lockfile marks as dev-only', () => {
    const lock = JSON.parse(readFileSync(join(app, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
    const dev = Object.entries(lock.packages).filter(([path, p]) => path !== '' && p.dev).map(([path]) => path);
    expect(dev.length).toBeGreaterThan(0);
    expect(dev.filter((path) => existsSync(join(app, path)))).toEqual([]);
  });

  it('finds every package the compiled code imports', () => {
    const specs = new Set<string>();
    for (const file of files(join(app, 'dist'), () => false).filter((f) => f.endsWith('.js'))) {
      const text = readFileSync(file, 'utf8');
      // `from 'x'`, `import('x')`, `require('x')`, `createRequire(…)('x')`, with x a package name.
      for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\b\w*[Rr]equire\([^)]*\)\s*\(\s*|\brequire\s*\(\s*)(['"])(@?[a-z0-9][a-z0-9._\-/@]*)\1/g)) {
        if (!m[2]!.startsWith('node:')) specs.add(m[2]!);
      }
    }
    expect(specs.size).toBeGreaterThan(10);
    const probe = join(app, 'resolve-probe.mjs');
    writeFileSync(
      probe,
      `import { builtinModules, createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const missing = [];
for (const spec of ${JSON.stringify([...specs])}) {
  if (builtinModules.includes(spec)) continue;
  try { import.meta.resolve(spec); } catch { try { require.resolve(spec); } catch { missing.push(spec); } }
}
console.log(JSON.stringify(missing));
`,
    );
    const out = spawnSync(process.execPath, [probe], { cwd: app, encoding: 'utf8' });
    rmSync(probe);
    expect(out.status, out.stderr).toBe(0);
    expect(JSON.parse(out.stdout) as string[]).toEqual([]);
  });

  it('runs the compiled command line from the runtime layout', () => {
    const out = tally(['--help'], 'dist/cli/tally.js');
    expect(out.status, out.stderr).toBe(0);
    expect(out.stdout).toMatch(/Usage: tally/);
    expect(out.stdout).toMatch(/\bworker\b/);
  });

  // The image's ENTRYPOINT: bin/tally.mjs runs the compiled dist/cli/tally.js.
  it('runs `node bin/tally.mjs --help`, the ENTRYPOINT, from the runtime layout', () => {
    expect(runtime.meta.ENTRYPOINT?.json).toEqual(['node', 'bin/tally.mjs']);
    const out = tally(['--help']);
    expect(out.status, out.stderr).toBe(0);
    expect(out.stdout).toMatch(/Usage: tally/);
  });

  it('starts `tally worker` from the runtime layout against the engines, and stops it on SIGTERM', async () => {
    const scope = testScope('deploy');
    const env = imageEnv({ ...configToEnv(pipelineConfig(scope)), TALLY_LANDING_DIR: inStage(runtime, '/var/lib/tally/landing') });
    const child = spawn(process.execPath, ['bin/tally.mjs', 'worker', '--no-projections'], { cwd: app, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      await new Promise<void>((ready, fail) => {
        const timer = setTimeout(() => fail(new Error(`worker not ready after 120 s:\n${output}`)), 120_000);
        const onData = (b: Buffer) => {
          output += b.toString();
          if (/worker running on task queue/.test(output)) {
            clearTimeout(timer);
            ready();
          }
        };
        child.stdout.on('data', onData);
        child.stderr.on('data', onData);
        void exited.then((code) => {
          clearTimeout(timer);
          fail(new Error(`worker exited (${code}) before it was ready:\n${output}`));
        });
      });
    } finally {
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    const stopped = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 60_000))]);
    if (stopped === 'hung') process.kill(-child.pid!, 'SIGKILL');
    expect(stopped, `the worker's exit on SIGTERM:\n${output}`).toBe(0);
  }, 4 * MINUTES);
});
