/**
 * Replays a Dockerfile's stages without Docker: each stage gets a directory standing for its
 * root filesystem; WORKDIR, ENV, COPY (from the context, honouring .dockerignore, or from an
 * earlier stage) and RUN (through /bin/sh in the stage's working directory) are carried out,
 * FROM and USER are skipped (no base image, no user switch), metadata is recorded.
 */
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { basename, join, posix, relative } from 'node:path';
import { copyPaths, envPairs, type Dockerfile, type Instruction } from '../../unit/deploy/dockerfile.js';

export interface StageResult {
  /** The directory standing for the stage's `/`. */
  root: string;
  /** The stage's working directory, as the image would have it. */
  workdir: string;
  env: Record<string, string>;
  /** ENTRYPOINT, CMD, HEALTHCHECK, USER…: the last of each, as written. */
  meta: Record<string, Instruction>;
}

export interface ReplayOptions {
  /** The build context (a clean clone). */
  context: string;
  /** Where the stages' roots go. */
  workspace: string;
  /** True for context paths .dockerignore leaves out. */
  ignored: (path: string) => boolean;
  /** Added to every RUN's environment (e.g. npm settings). */
  env?: Record<string, string>;
  log?: (line: string) => void;
}

/** A path of the image, as a path on this machine under the stage's root. */
export function inStage(stage: Pick<StageResult, 'root'>, path: string): string {
  return join(stage.root, path);
}

function run(command: string, cwd: string, env: NodeJS.ProcessEnv, line: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', command], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`Dockerfile line ${line}: RUN ${command} exited ${code}:\n${output.slice(-4000)}`))));
  });
}

function copy(ins: Instruction, stage: StageResult, stages: Map<string, StageResult>, options: ReplayOptions): void {
  const { sources, dest } = copyPaths(ins);
  const from = ins.flags.from?.[0];
  const source = from === undefined ? undefined : stages.get(from);
  if (from !== undefined && !source) throw new Error(`Dockerfile line ${ins.line}: COPY --from=${from} names no earlier stage`);
  const destPath = posix.resolve(stage.workdir, dest);
  const destIsDir = dest.endsWith('/') || dest === '.' || sources.length > 1;
  for (const src of sources) {
    if (/[*?[]/.test(src)) throw new Error(`Dockerfile line ${ins.line}: the step runner does not expand wildcards (${src})`);
    const base = source ? source.root : options.context;
    const srcPath = source ? join(base, src) : join(base, posix.normalize(src));
    const rel = relative(options.context, srcPath);
    if (!source && options.ignored(rel === '' ? '.' : rel)) throw new Error(`Dockerfile line ${ins.line}: ${src} is excluded by .dockerignore`);
    if (!existsSync(srcPath)) throw new Error(`Dockerfile line ${ins.line}: COPY source ${src} not found`);
    const filter = (p: string) => source !== undefined || p === srcPath || !options.ignored(relative(options.context, p));
    const isDir = statSync(srcPath).isDirectory();
    // A directory's contents go into the destination; a file into it (DEST/) or as it.
    const target = inStage(stage, isDir || !destIsDir ? destPath : posix.join(destPath, basename(src)));
    mkdirSync(isDir ? target : join(target, '..'), { recursive: true });
    // Between stages nothing is filtered: cp -a is several times faster than cpSync on node_modules.
    if (source && isDir) execFileSync('cp', ['-a', `${srcPath}/.`, target]);
    else cpSync(srcPath, target, { recursive: true, filter, verbatimSymlinks: true });
  }
}

/** Runs every stage in order and returns each one's result by name. */
export async function replay(dockerfile: Dockerfile, options: ReplayOptions): Promise<Map<string, StageResult>> {
  const stages = new Map<string, StageResult>();
  for (const s of dockerfile.stages) {
    const stage: StageResult = { root: join(options.workspace, s.name), workdir: '/', env: {}, meta: {} };
    mkdirSync(stage.root, { recursive: true });
    for (const ins of s.instructions) {
      const started = Date.now();
      switch (ins.keyword) {
        case 'WORKDIR':
          stage.workdir = posix.resolve(stage.workdir, ins.text);
          mkdirSync(inStage(stage, stage.workdir), { recursive: true });
          break;
        case 'ENV':
          Object.assign(stage.env, envPairs(ins.text));
          break;
        case 'COPY':
          copy(ins, stage, stages, options);
          options.log?.(`[${s.name}] COPY ${ins.text} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
          break;
        case 'RUN': {
          // --mount=type=cache only speeds up a build; the command is the same.
          const env = { PATH: process.env.PATH, HOME: process.env.HOME, ...stage.env, ...options.env };
          const command = ins.json ? ins.json.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ') : ins.text;
          await run(command, inStage(stage, stage.workdir), env, ins.line);
          options.log?.(`[${s.name}] RUN ${ins.text} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
          break;
        }
        case 'ARG':
        case 'USER':
        case 'EXPOSE':
        case 'HEALTHCHECK':
        case 'ENTRYPOINT':
        case 'CMD':
        case 'LABEL':
          stage.meta[ins.keyword] = ins;
          break;
        default:
          throw new Error(`Dockerfile line ${ins.line}: the step runner does not carry out ${ins.keyword}`);
      }
    }
    stages.set(s.name, stage);
  }
  return stages;
}
