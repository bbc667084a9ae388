import { describe, expect, it } from 'vitest';
import { BenchUsageError, parseBenchArgs, parsePaths, projectionPathOf, type PathName } from '../../../bench/options.js';
import { formatReport, summarise, type PathRun, type RepetitionResult } from '../../../bench/report.js';
import { shortfallsOf, type RowCounts } from '../../../bench/check.js';
import { tallyChildEnv, tallyIds, type TallyResult } from '../../../bench/tally.js';
import type { StackSettings } from '../../../infra/stack/settings.js';

describe('the bench options', () => {
  it('run the node path alone by default, and nothing else changes', () => {
    expect(parseBenchArgs([])).toEqual({ rows: 100_000, json: false, seed: 1, repeat: 1, keep: false, floors: false, paths: ['node'] });
    expect(parseBenchArgs(['--rows', '1_000_000', '--json', '--seed', '7', '--repeat', '3', '--keep', '--floors'])).toEqual({
      rows: 1_000_000, json: true, seed: 7, repeat: 3, keep: true, floors: true, paths: ['node'],
    });
  });

  it('take the projection paths in the order given', () => {
    expect(parseBenchArgs(['--paths', 'node,engine']).paths).toEqual(['node', 'engine']);
    expect(parseBenchArgs(['--paths=engine, node']).paths).toEqual(['engine', 'node']);
    expect(parsePaths('engine')).toEqual(['engine']);
  });

  it('refuse unknown, repeated or empty paths, saying what they expected and what they found', () => {
    expect(() => parsePaths('node,kafka')).toThrow(/^--paths: expected a comma-separated list of node, engine, each at most once, found "kafka" in "node,kafka"$/);
    expect(() => parsePaths('node,node')).toThrow(/found "node" twice in "node,node"/);
    expect(() => parsePaths('')).toThrow(/found ""$/);
    expect(() => parsePaths('node,')).toThrow(BenchUsageError);
  });

  it('refuse counts that are not positive integers, and options it does not know', () => {
    expect(() => parseBenchArgs(['--rows', '0'])).toThrow(/^--rows: expected a positive integer, found "0"$/);
    expect(() => parseBenchArgs(['--repeat', '1.5'])).toThrow(/^--repeat: expected a positive integer, found "1.5"$/);
    expect(() => parseBenchArgs(['--rows', ''])).toThrow(BenchUsageError);
    expect(() => parseBenchArgs(['--path', 'engine'])).toThrow(BenchUsageError);
  });

  it('give the engine path the brokers ClickHouse reaches: the bench stack shares its loopback', () => {
    expect(projectionPathOf('node', ['127.0.0.1:9092'], false)).toEqual({ kind: 'node' });
    expect(projectionPathOf('engine', ['127.0.0.1:9092'], false)).toEqual({ kind: 'engine', brokers: ['127.0.0.1:9092'] });
  });
});

describe("a path's run", () => {
  const stack = {
    kafka: { brokers: ['127.0.0.1:9092'] },
    temporal: { address: '127.0.0.1:7233', namespace: 'default' },
    clickhouse: { url: 'http://127.0.0.1:8123', username: 'default', password: '', database: 'tally' },
  } as unknown as StackSettings;

  it('has ids of its own and tells its children its path, whatever the environment says', () => {
    const node = tallyIds(stack, 'r1_node', '/tmp/w', { kind: 'node' });
    const engine = tallyIds(stack, 'r1_engine', '/tmp/w', { kind: 'engine', brokers: ['127.0.0.1:9092'] });
    expect(engine.database).toBe('bench_r1_engine');
    expect([engine.config.topicPrefix, engine.config.projectionsGroup, engine.config.taskQueue]).toEqual(['bench-r1_engine.', 'bench-r1_engine-projections', 'bench-r1_engine']);
    expect(engine.config.landingDir).not.toBe(node.config.landingDir);
    expect(tallyChildEnv(engine.config)).toMatchObject({ TALLY_PROJECTION_PATH: 'engine', TALLY_ENGINE_KAFKA_BROKERS: '127.0.0.1:9092', CLICKHOUSE_DATABASE: 'bench_r1_engine' });
    expect(tallyChildEnv(node.config)).toMatchObject({ TALLY_PROJECTION_PATH: 'node', CLICKHOUSE_DATABASE: 'bench_r1_node' });
  });
});

describe('the row check', () => {
  const expected: RowCounts = { accepted: 990, observations: 250, figures: 250, rejected: 10 };
  it('names every count ClickHouse holds fewer of than the workflow reported', () => {
    expect(shortfallsOf(expected, expected)).toEqual([]);
    expect(shortfallsOf(expected, { ...expected, accepted: 1000, observations: 26 })).toEqual(['observations: expected 250 in ClickHouse, found 26 (224 missing)']);
    expect(shortfallsOf(expected, { accepted: 0, observations: 0, figures: 0, rejected: 0 })).toHaveLength(4);
  });
});

function run(path: PathName, tallySeconds: number, replay: { seconds: number; events: number } | undefined, found: Partial<RowCounts> = {}): PathRun {
  const expected: RowCounts = { accepted: 990, observations: 250, figures: 250, rejected: 10 };
  const foundCounts = { ...expected, ...found };
  const stages = { land: 0.1, other: 0.2, ingestDrop: 3, parse: 1, publish: 2, consume: path === 'engine' ? 4 : 1, reconcile: 5, reconcileIndicators: 4, reconcileProjected: 1, total: tallySeconds };
  const tally = {
    summary: { rows: 1000, accepted: 990, rejected: 10, duplicates: 0 },
    seconds: tallySeconds,
    stages,
    peakRssMb: { worker: 200, projections: path === 'engine' ? 80 : 120 },
    peakStage: { worker: 'parse', projections: 'consume' },
    startupRssMb: { worker: 150, projections: 90 },
    readyRssMb: { worker: 140, projections: 90 },
    peakReset: true,
    figures: foundCounts.figures,
    observations: foundCounts.observations,
    check: { expected, found: foundCounts, shortfalls: shortfallsOf(expected, foundCounts) },
  } as unknown as TallyResult;
  const r = replay ?? { seconds: 1, events: 1000 };
  return { path, tally, replay: { seconds: r.seconds, events: r.events, messages: 10, eventsPerSec: Math.round(r.events / r.seconds), firstBatchSeconds: 0.5, peakRssMb: 150 } };
}

function repetition(runs: PathRun[]): RepetitionResult {
  return {
    drop: { path: 'x.csv', rows: 1000, bad: { footnote: 3, place: 4, date: 3 }, bytes: 66_000, rounds: 3 },
    limitSeconds: 0.01,
    naiveSeconds: 0.1,
    peer: { seconds: 0.2, produceSeconds: 0.1, rows: 1000, lost: 0, inKafka: 1000 },
    runs,
  };
}

describe('the bench summary of two paths', () => {
  const machine = { nproc: 2, memTotalMb: 1000, cpu: 'test' };
  const s = summarise(1000, machine, [
    repetition([run('node', 2, { seconds: 2, events: 1000 }), run('engine', 1, { seconds: 0.5, events: 1000 })]),
    repetition([run('node', 4, { seconds: 4, events: 1000 }), run('engine', 0.5, { seconds: 0.25, events: 1000 }, { observations: 26 })]),
    repetition([run('node', 3, { seconds: 3, events: 1000 }), run('engine', 1.5, { seconds: 1, events: 1000 })]),
  ]);

  it('keeps the first path in the top-level fields and gives every path under paths, in order', () => {
    expect(Object.keys(s.paths)).toEqual(['node', 'engine']);
    expect(s.seconds.tally).toBe(3);
    expect(s.rowsPerSec).toEqual({ limit: 100_000, naive: 10_000, peer: 5000, tally: 333 });
    expect([s.ratioVsNaive, s.ratioVsPeer, s.ratioVsLimit, s.replayEventsPerSec]).toEqual([0.033, 0.067, 0.003, 333]);
    expect(s.stages.consume).toBe(1);
    expect(s.paths.node).toMatchObject({ rowsPerSec: 333, ratioVsNaive: 0.033, shortfalls: [] });
    expect(s.paths.engine).toMatchObject({ seconds: 1, rowsPerSec: 1000, ratioVsNaive: 0.1, ratioVsPeer: 0.2, ratioVsLimit: 0.01, replayEventsPerSec: 2000 });
    expect(s.paths.engine?.stages.consume).toBe(4);
    expect(s.paths.engine?.peakRssMb).toEqual({ worker: 200, projections: 80, replay: 150 });
  });

  it('reports a shortfall in any run, with the run it happened in, never only the last run', () => {
    expect(s.paths.engine?.shortfalls).toEqual(['run 2: observations: expected 250 in ClickHouse, found 26 (224 missing)']);
    expect(s.paths.engine?.rowsInClickHouse.found.observations).toBe(250);
  });

  it('prints the paths as columns, and the shortfall below the table', () => {
    const text = formatReport(s);
    expect(text).toMatch(/^projection path +node +engine$/m);
    expect(text).toMatch(/^tally node +3\.00 +333$/m);
    expect(text).toMatch(/^tally engine +1\.00 +1,000$/m);
    expect(text).toMatch(/^tally\/naive \(target ≥ 1\) +0\.033 MISSES +0\.100 MISSES$/m);
    expect(text).toMatch(/^replay events\/s \(target ≥ 200,000\) +333 MISSES +2,000 MISSES$/m);
    expect(text).toMatch(/^consume\/insert \(projection catch-up\) +1\.00 +4\.00$/m);
    expect(text).toMatch(/^ {2}projections +120\.0 +80\.0$/m);
    expect(text).toMatch(/^ {2}everything the workflow reported +all there +SHORT$/m);
    expect(text).toMatch(/^SHORTFALL: rows the workflow reported that ClickHouse does not hold\n {2}engine path: run 2: observations: expected 250 in ClickHouse, found 26 \(224 missing\)$/m);
  });
});
