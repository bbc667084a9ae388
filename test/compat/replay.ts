/** Replays a recording on chdb (ClickHouse 26.x in-process) through test/compat/run_chdb.py. */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RecordedStatement } from './recording.js';

export const RUNNER = fileURLToPath(new URL('./run_chdb.py', import.meta.url));
/** The Python that runs chdb: python3 on PATH, or TALLY_PYTHON. */
export const PYTHON = process.env.TALLY_PYTHON || 'python3';
export const CHDB_PACKAGE = 'chdb-core==26.9.0';
export const CHDB_MISSING = `chdb is not installed for ${process.env.TALLY_PYTHON || 'python3'}: run \`bash infra/install.sh\` (it installs ${CHDB_PACKAGE}), or \`python3 -m pip install ${CHDB_PACKAGE}\``;

export interface ReplayResult {
  seq: number;
  ok: boolean;
  text?: string;
  error?: string;
  seconds: number;
}

export interface Replay {
  /** The server version chdb reports, e.g. 26.9.2.1. */
  version: string;
  chdb: string;
  /** Defaults of the settings worth watching (see run_chdb.py). */
  settings: Record<string, string>;
  results: ReplayResult[];
  seconds: number;
}

/** The JSONEachRow body of an insert: one JSON object a line, as the client sends it. */
function bodyOf(s: RecordedStatement): string | undefined {
  if (s.kind === 'exec') return s.body;
  if (s.kind !== 'insert') return undefined;
  if (s.format !== 'JSONEachRow') throw new Error(`statement ${s.seq}: the replay takes JSONEachRow inserts, found ${s.format}`);
  return (s.rows ?? []).map((r) => JSON.stringify(r)).join('\n');
}

function run(command: string, args: string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`could not start ${command}: ${e.message}`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}

/** Replays `statements` in order in a fresh chdb session; throws CHDB_MISSING when chdb cannot be imported. */
export async function replayOnChdb(statements: readonly RecordedStatement[], options: { python?: string; timeoutMs?: number } = {}): Promise<Replay> {
  const dir = mkdtempSync(join(tmpdir(), 'tally-chdb-'));
  const started = Date.now();
  try {
    const input = join(dir, 'statements.json');
    const payload = statements.map((s) => ({ seq: s.seq, kind: s.kind, database: s.database, sql: s.sql, settings: s.settings, format: s.format, body: bodyOf(s) }));
    writeFileSync(input, JSON.stringify({ statements: payload }));
    const { code, stdout, stderr } = await run(options.python ?? PYTHON, [RUNNER, input, join(dir, 'session')], options.timeoutMs ?? 60_000);
    if (code === 3) throw new Error(`${CHDB_MISSING} (${stdout.trim()})`);
    if (code !== 0) throw new Error(`run_chdb.py exited with ${code}: ${stderr.trim().slice(-2000)}`);
    return { ...(JSON.parse(stdout) as Omit<Replay, 'seconds'>), seconds: (Date.now() - started) / 1000 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** True when python3 can import chdb (for a clear failure before the scenario runs). */
export async function chdbAvailable(python = PYTHON): Promise<{ ok: boolean; detail: string }> {
  try {
    const { code, stdout, stderr } = await run(python, ['-c', 'import chdb, sys; sys.stdout.write(chdb.__version__)'], 30_000);
    return { ok: code === 0, detail: code === 0 ? stdout.trim() : stderr.trim().split('\n').at(-1) ?? '' };
  } catch (e) {
    return { ok: false, detail: (e as Error).message };
  }
}
