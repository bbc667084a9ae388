/**
 * The Dockerfile and .dockerignore, checked without Docker (no engine runs here): a small lint of
 * the rules the image keeps, and its HEALTHCHECK run against a server on loopback.
 * dockerfile.int.spec.ts replays the steps themselves.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, copyPaths, dockerignore, envPairs, readDockerfile, readDockerignore, type Instruction } from './dockerfile.js';

const dockerfile = readDockerfile();
const ignored = readDockerignore();
const stage = (name: string) => dockerfile.stages.find((s) => s.name === name)!;
const of = (name: string, keyword: string) => stage(name).instructions.filter((i) => i.keyword === keyword);
const tracked = execFileSync('git', ['ls-files'], { cwd: ROOT, encoding: 'utf8' }).split('\n').filter(Boolean);

/** The instructions the step runner replays or records; anything else would be skipped silently by it. */
const KNOWN = ['WORKDIR', 'COPY', 'RUN', 'ENV', 'ARG', 'USER', 'EXPOSE', 'HEALTHCHECK', 'ENTRYPOINT', 'CMD', 'LABEL'];

describe('Dockerfile', () => {
  it('has a build stage and a runtime stage on one pinned Node base', () => {
    expect(dockerfile.stages.map((s) => s.name)).toEqual(['build', 'runtime']);
    const bases = new Set(dockerfile.stages.map((s) => s.base));
    expect(bases.size).toBe(1);
    expect([...bases][0]).toMatch(/^node:20(\.\d+)*-[a-z]+-slim$/);
  });

  it('uses only instructions the step runner replays', () => {
    for (const s of dockerfile.stages) {
      for (const i of s.instructions) expect(KNOWN, `line ${i.line}`).toContain(i.keyword);
    }
  });

  it('installs from the lockfile, builds, and keeps only the production packages', () => {
    const runs = of('build', 'RUN').map((i) => i.text);
    expect(runs.some((r) => /^npm ci\b/.test(r))).toBe(true);
    expect(runs.some((r) => /^npm run build\b/.test(r))).toBe(true);
    expect(runs.some((r) => /^npm prune --omit=dev\b/.test(r))).toBe(true);
    expect([...runs, ...of('runtime', 'RUN').map((i) => i.text)].join('\n')).not.toMatch(/npm (install|i)\b/);
  });

  it('writes RUN steps with relative paths only, so that they replay outside a container', () => {
    for (const s of dockerfile.stages) {
      for (const run of s.instructions.filter((i) => i.keyword === 'RUN')) expect(run.text, `line ${run.line}`).not.toMatch(/(^|[\s=>'"])\/[A-Za-z]/);
    }
  });

  it('runs as a non-root user, with the entrypoint of the command line', () => {
    const users = of('runtime', 'USER').map((u) => u.text);
    expect(users.at(-1)).toBeDefined();
    expect(users.at(-1)).not.toMatch(/^(root|0)(:|$)/);
    const runtime = stage('runtime').instructions;
    const lastUser = runtime.findLastIndex((i) => i.keyword === 'USER');
    expect(runtime.slice(lastUser).some((i) => ['RUN', 'COPY'].includes(i.keyword)), 'nothing is installed after USER').toBe(false);
    expect(of('runtime', 'ENTRYPOINT').at(-1)?.json).toEqual(['node', 'bin/tally.mjs']);
    for (const copy of of('runtime', 'COPY').filter((c) => c.flags.chown)) expect(copy.flags.chown![0]!.split(':')[0]).toBe(users.at(-1));
  });

  it('copies the compiled code, its packages, and the data files where the compiled modules read them', () => {
    const copies = of('runtime', 'COPY').map(copyPaths);
    const fromBuild = of('runtime', 'COPY').filter((c) => c.flags.from?.[0] === 'build').flatMap((c) => copyPaths(c).sources);
    expect(fromBuild).toEqual(expect.arrayContaining(['/app/package.json', '/app/node_modules/', '/app/dist/', '/app/bin/']));
    for (const [src, dest] of [['connectors/profiles/', 'dist/connectors/profiles/'], ['domain/data/', 'dist/domain/data/'], ['web/static/', 'dist/web/static/']]) {
      expect(copies, src).toContainEqual({ sources: [src], dest });
    }
  });

  it('copies from the context only files that are committed and not ignored', () => {
    for (const s of dockerfile.stages) {
      for (const copy of s.instructions.filter((i) => i.keyword === 'COPY' && !i.flags.from)) {
        for (const src of copyPaths(copy).sources) {
          if (src === '.') continue;
          const path = src.replace(/\/$/, '');
          expect(tracked.some((f) => f === path || f.startsWith(`${path}/`)), `line ${copy.line}: ${src} is committed`).toBe(true);
          expect(ignored(path), `line ${copy.line}: ${src} is not in .dockerignore`).toBe(false);
        }
      }
    }
  });

  it('puts no secret in the image', () => {
    for (const s of dockerfile.stages) {
      for (const env of s.instructions.filter((i) => i.keyword === 'ENV' || i.keyword === 'ARG')) {
        for (const name of Object.keys(env.keyword === 'ENV' ? envPairs(env.text) : { [env.text.split('=')[0]!]: '' })) expect(name).not.toMatch(/PASSWORD|SECRET|TOKEN|KEY/);
      }
    }
    expect(of('runtime', 'ENV').map((e) => envPairs(e.text).TALLY_STACK)).toContain('external');
  });

  describe('HEALTHCHECK', () => {
    const check: Instruction = of('runtime', 'HEALTHCHECK')[0]!;
    let server: Server;
    let port = 0;
    const seen: string[] = [];

    beforeAll(async () => {
      server = createServer((req, res) => {
        seen.push(req.url ?? '');
        res.writeHead(req.url === '/sick' ? 503 : 200).end('ok');
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      port = (server.address() as AddressInfo).port;
    });
    afterAll(() => new Promise<void>((r) => server.close(() => r())));

    const run = (env: Record<string, string>) =>
      new Promise<number>((resolve) => {
        const [cmd, ...args] = check.json!;
        expect(cmd).toBe('node');
        execFile(process.execPath, args, { env: { PATH: process.env.PATH, ...env }, timeout: 10_000 }, (err) => resolve(err ? Number((err as { code?: number }).code ?? 1) : 0));
      });

    it('is in exec form, with a timeout above the request timeout', () => {
      expect(check.json?.[0]).toBe('node');
      expect(check.flags.timeout?.[0]).toBe('5s');
    });

    it("is healthy when the process's metrics endpoint answers 2xx", async () => {
      expect(await run({ TALLY_METRICS_PORT: String(port) })).toBe(0);
      expect(seen.at(-1)).toBe('/metrics');
    });

    it('follows TALLY_HEALTH_URL, and is unhealthy on an error status or nothing listening', async () => {
      expect(await run({ TALLY_HEALTH_URL: `http://127.0.0.1:${port}/` })).toBe(0);
      expect(await run({ TALLY_HEALTH_URL: `http://127.0.0.1:${port}/sick` })).toBe(1);
      const closed = createServer();
      await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
      const free = (closed.address() as AddressInfo).port;
      await new Promise<void>((r) => closed.close(() => r()));
      expect(await run({ TALLY_METRICS_PORT: String(free) })).toBe(1);
    });
  });
});

describe('.dockerignore', () => {
  it('keeps out what is local, built or secret', () => {
    for (const path of ['.git/config', '.ci/run', 'node_modules/zod/package.json', 'web/node_modules/x', 'dist/cli/tally.js', '.tally/landing/ab', '.env', 'infra/.env.local', 'test/fixtures/empty.csv', 'a/b.log']) {
      expect(ignored(path), path).toBe(true);
    }
  });

  it('lets in everything the build compiles and the runtime reads', () => {
    const tsconfig = JSON.parse(readFileSync(join(ROOT, 'tsconfig.json'), 'utf8')) as { include: string[] };
    const build = JSON.parse(readFileSync(join(ROOT, 'tsconfig.build.json'), 'utf8')) as { exclude: string[] };
    const compiled = tsconfig.include.filter((p) => !build.exclude.includes(p) && existsSync(join(ROOT, p)));
    expect(compiled.length).toBeGreaterThan(5);
    for (const path of [...compiled, 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'bin/tally.mjs', 'infra/deploy/state/README']) {
      expect(ignored(path), path).toBe(false);
    }
    const code = tracked.filter((f) => compiled.some((c) => f.startsWith(`${c}/`)) && /\.(ts|mjs)$/.test(f));
    for (const file of code) expect(ignored(file), file).toBe(false);
  });

  it('reads patterns the way Docker does', () => {
    const match = dockerignore('# comment\n/build\n**/*.tmp\ndocs\n!docs/keep.md\nsrc/*.gen.ts\n');
    expect(match('build/x')).toBe(true);
    expect(match('sub/build')).toBe(false);
    expect(match('a/b/c.tmp')).toBe(true);
    expect(match('c.tmp')).toBe(true);
    expect(match('docs/a.md')).toBe(true);
    expect(match('docs/keep.md')).toBe(false);
    expect(match('src/a.gen.ts')).toBe(true);
    expect(match('src/deep/a.gen.ts')).toBe(false);
  });
});
