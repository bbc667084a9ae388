/**
 * The bench's command line: `--rows N`, `--json`, `--seed S`, `--repeat K`, `--keep`, `--floors`
 * and `--paths node,engine` (the projection paths to run tally on, in that order; default node).
 */
import { parseArgs } from 'node:util';
import { projectionPathNamed, type ProjectionPath } from '../infra/config.js';

export const PROJECTION_PATHS = ['node', 'engine'] as const;
export type PathName = (typeof PROJECTION_PATHS)[number];

export interface BenchOptions {
  rows: number;
  json: boolean;
  seed: number;
  repeat: number;
  keep: boolean;
  floors: boolean;
  /** The projection paths tally runs on, each with its own replay, in the order given. */
  paths: PathName[];
}

/** A usage error: the bench prints its message and exits with code 2. */
export class BenchUsageError extends Error {}

function positiveInt(name: string, text: string): number {
  const n = Number(text.replace(/_/g, ''));
  if (text.trim() === '' || !Number.isInteger(n) || n < 1) throw new BenchUsageError(`--${name}: expected a positive integer, found "${text}"`);
  return n;
}

/** `node,engine` → ['node', 'engine']: known names, each once, at least one. */
export function parsePaths(text: string): PathName[] {
  const names = text.split(',').map((s) => s.trim());
  const expected = `expected a comma-separated list of ${PROJECTION_PATHS.join(', ')}, each at most once`;
  if (names.some((n) => n === '')) throw new BenchUsageError(`--paths: ${expected}, found "${text}"`);
  const paths: PathName[] = [];
  for (const name of names) {
    if (!(PROJECTION_PATHS as readonly string[]).includes(name)) throw new BenchUsageError(`--paths: ${expected}, found "${name}" in "${text}"`);
    if (paths.includes(name as PathName)) throw new BenchUsageError(`--paths: ${expected}, found "${name}" twice in "${text}"`);
    paths.push(name as PathName);
  }
  return paths;
}

export function parseBenchArgs(args: string[]): BenchOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        rows: { type: 'string', default: '100000' },
        json: { type: 'boolean', default: false },
        seed: { type: 'string', default: '1' },
        repeat: { type: 'string', default: '1' },
        keep: { type: 'boolean', default: false },
        floors: { type: 'boolean', default: false },
        paths: { type: 'string', default: 'node' },
      },
    }));
  } catch (err) {
    throw new BenchUsageError((err as Error).message);
  }
  return {
    rows: positiveInt('rows', values.rows),
    json: values.json,
    seed: positiveInt('seed', values.seed),
    repeat: positiveInt('repeat', values.repeat),
    keep: values.keep,
    floors: values.floors,
    paths: parsePaths(values.paths),
  };
}

/**
 * The configuration of a path for the bench's children. Against external engines the engine path
 * reads the brokers as ClickHouse reaches them from TALLY_ENGINE_KAFKA_BROKERS; the bench's own
 * stack shares the loopback with its ClickHouse, so there they are the brokers the bench dials.
 */
export function projectionPathOf(name: PathName, kafkaBrokers: readonly string[], external: boolean): ProjectionPath {
  return external ? projectionPathNamed(name, kafkaBrokers) : projectionPathNamed(name, kafkaBrokers, {});
}
