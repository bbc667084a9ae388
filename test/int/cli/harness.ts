/**
 * Runs the real `tally` command as a subprocess against the engines of the vitest global setup,
 * with this test's own topics, database, task queue, workflow ids and landing store. The worker
 * and the projections run in the test's process (startPipeline) with the same configuration.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configToEnv, type TallyConfig } from '../../../infra/config.js';
import type { DropBreakdown } from '../../../domain/events.js';
import type { ContractRow } from '../../../cli/formats.js';
import { startPipeline, type TestPipeline } from '../../support/pipeline.js';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const MALI = join(ROOT, 'examples/mali');

export interface TallyRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The environment that points `tally` at exactly this test's slice of the engines. */
export function tallyEnv(config: TallyConfig): Record<string, string> {
  return configToEnv(config);
}

/** `node bin/tally.mjs ARGS…` from the repository root; never rejects, so tests assert on the exit. */
export function runTally(args: string[], env: Record<string, string>, timeoutMs = 90_000): Promise<TallyRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/tally.mjs', ...args], {
      cwd: ROOT,
      env: { ...process.env, TALLY_STACK_DIR: join(ROOT, '.tally/no-such-stack'), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** The non-empty lines of an output stream. */
export function lines(text: string): string[] {
  return text.split('\n').filter((l) => l.trim() !== '');
}

/** A drop id as the contract defines it: the sha256 of the file's bytes. */
export function sha256Of(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

export interface CliPipeline extends TestPipeline {
  env: Record<string, string>;
  tally(...args: string[]): Promise<TallyRun>;
}

/** A pipeline (worker + projections in this process) and the CLI environment that targets it. */
export async function startCliPipeline(label: string): Promise<CliPipeline> {
  const landingDir = mkdtempSync(join(tmpdir(), `tally-cli-${label}-`));
  const pipeline = await startPipeline(label, { config: { landingDir } });
  const env = tallyEnv(pipeline.config);
  return Object.assign(pipeline, { env, tally: (...args: string[]) => runTally(args, env) });
}

/** Parses stdout as JSON, failing with the output when it is not. */
export function json<T>(run: TallyRun): T {
  try {
    return JSON.parse(run.stdout) as T;
  } catch {
    throw new Error(`expected JSON on stdout (exit ${run.code}), found:\n${run.stdout}\nstderr:\n${run.stderr}`);
  }
}

/** What `tally ingest --json` prints for one drop (docs/cli.md). */
export interface IngestJson {
  dropId: string;
  source: string;
  rows: number;
  accepted: number;
  rejected: number;
  duplicates: number;
  revisions: number;
  discrepancies: number;
  status: 'processed' | 'refused';
  reason?: string;
  breakdown?: DropBreakdown;
  notices?: string[];
}

/** An item of `tally query --format json`. */
export type FigureJson = ContractRow;
