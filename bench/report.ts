/** The benchmark's result: medians over repetitions (memory: the highest), ratios against the targets, a text table. */
import { floorsAgainst, type FloorWork, type Floors } from './floors.js';
import type { GeneratedDrop } from './generate.js';
import type { PeerResult } from './peer.js';
import type { ReplayResult } from './replay.js';
import type { TallyResult, TallyStages } from './tally.js';
import type { RowCounts } from './check.js';
import type { PathName } from './options.js';

/** One projection path's tally run on the repetition's drop, and the replay of its log. */
export interface PathRun {
  path: PathName;
  tally: TallyResult;
  /** `tally projections rebuild` on the tally run's log, after the run. */
  replay: ReplayResult;
}

export interface RepetitionResult {
  drop: GeneratedDrop;
  limitSeconds: number;
  naiveSeconds: number;
  peer: PeerResult;
  /** One per path of --paths, in that order. */
  runs: PathRun[];
  /** With --floors: the work any run needs, measured alone on the same drop. */
  floors?: FloorWork;
}

/** What the issue asks of tally. */
export const TARGETS = { ratioVsNaive: 1.0, ratioVsPeer: 0.5, ratioVsLimit: 0.25, peakRssMb: 300, replayEventsPerSec: 200_000 } as const;

/** One path's figures: medians over repetitions (memory: the highest). */
export interface PathSummary {
  /** Median seconds of the tally run. */
  seconds: number;
  rowsPerSec: number;
  /** tally rows/s ÷ naive rows/s. */
  ratioVsNaive: number;
  /** tally rows/s ÷ peer rows/s. */
  ratioVsPeer: number;
  /** tally rows/s ÷ limit rows/s. */
  ratioVsLimit: number;
  /** Median events/s of `tally projections rebuild` on the run's log. */
  replayEventsPerSec: number;
  /** Medians of the replay: command seconds (start-up included), events (rows rebuilt), Kafka messages. */
  replay: { seconds: number; firstBatchSeconds: number; events: number; messages: number };
  /** Highest peak over the repetitions, per process; worker and projections exclude start-up when `peakExcludesStartup`. */
  peakRssMb: { worker: number; projections: number; replay: number };
  startupRssMb: { worker: number; projections: number };
  readyRssMb: { worker: number; projections: number };
  peakExcludesStartup: boolean;
  /** Median seconds per stage of the tally run. */
  stages: TallyStages;
  counts: { accepted: number; rejected: number; duplicates: number; observations: number; figures: number };
  /** The last run's counts as the workflow reported them and as ClickHouse holds them. */
  rowsInClickHouse: { expected: RowCounts; found: RowCounts };
  /** Every count that fell short in ClickHouse, in any run (`run 2: …` when there are several). */
  shortfalls: string[];
  meets: { ratioVsNaive: boolean; ratioVsPeer: boolean; ratioVsLimit: boolean; peakRss: boolean; replayEventsPerSec: boolean };
}

export interface BenchSummary {
  rows: number;
  repetitions: number;
  machine: { nproc: number; memTotalMb: number; cpu: string; kafkaProducer?: string };
  drop: { bytes: number; rounds: number; bad: GeneratedDrop['bad'] };
  /** Median seconds per loader; tally: the first path's. */
  seconds: { limit: number; naive: number; peer: number; tally: number };
  rowsPerSec: { limit: number; naive: number; peer: number; tally: number };
  /** The first path's ratios, replay, memory, stages and counts (the fields of PathSummary, as before paths). */
  ratioVsNaive: number;
  ratioVsPeer: number;
  ratioVsLimit: number;
  replayEventsPerSec: number;
  replay: PathSummary['replay'];
  /** Seconds until the peer's last send was acknowledged (median). */
  peerProduceSeconds: number;
  /** Most lines a peer run sent that never reached its MergeTree (the Kafka engine's loss). */
  peerLostRows: number;
  peakRssMb: PathSummary['peakRssMb'];
  startupRssMb: PathSummary['startupRssMb'];
  readyRssMb: PathSummary['readyRssMb'];
  peakExcludesStartup: boolean;
  stages: TallyStages;
  counts: PathSummary['counts'];
  targets: typeof TARGETS;
  meets: PathSummary['meets'];
  /** Every path run, keyed by its name, in the order of --paths. */
  paths: Partial<Record<PathName, PathSummary>>;
  /** With --floors: medians of the floor's CPU seconds, and the CPU each target leaves (see floors.ts). */
  floors?: Floors;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const round = (n: number, digits = 3) => Number(n.toFixed(digits));
const highest = (xs: number[]) => round(Math.max(...xs), 1);

function summarisePath(rows: number, runs: PathRun[], loaders: { limit: number; naive: number; peer: number }): PathSummary {
  const seconds = median(runs.map((r) => r.tally.seconds));
  const rowsPerSec = Math.round(rows / seconds);
  const stageKeys = Object.keys(runs[0]!.tally.stages) as (keyof TallyStages)[];
  const stages = Object.fromEntries(stageKeys.map((k) => [k, round(median(runs.map((r) => r.tally.stages[k])))])) as unknown as TallyStages;
  const peakRssMb = {
    worker: highest(runs.map((r) => r.tally.peakRssMb.worker)),
    projections: highest(runs.map((r) => r.tally.peakRssMb.projections)),
    replay: highest(runs.map((r) => r.replay.peakRssMb)),
  };
  const replayEventsPerSec = Math.round(median(runs.map((r) => r.replay.eventsPerSec)));
  const last = runs[runs.length - 1]!.tally;
  const ratioVsNaive = round(rowsPerSec / loaders.naive);
  const ratioVsPeer = round(rowsPerSec / loaders.peer);
  const ratioVsLimit = round(rowsPerSec / loaders.limit);
  return {
    seconds: round(seconds),
    rowsPerSec,
    ratioVsNaive,
    ratioVsPeer,
    ratioVsLimit,
    replayEventsPerSec,
    replay: {
      seconds: round(median(runs.map((r) => r.replay.seconds))),
      firstBatchSeconds: round(median(runs.map((r) => r.replay.firstBatchSeconds))),
      events: median(runs.map((r) => r.replay.events)),
      messages: median(runs.map((r) => r.replay.messages)),
    },
    peakRssMb,
    startupRssMb: { worker: highest(runs.map((r) => r.tally.startupRssMb.worker)), projections: highest(runs.map((r) => r.tally.startupRssMb.projections)) },
    readyRssMb: { worker: highest(runs.map((r) => r.tally.readyRssMb.worker)), projections: highest(runs.map((r) => r.tally.readyRssMb.projections)) },
    peakExcludesStartup: runs.every((r) => r.tally.peakReset),
    stages,
    counts: { accepted: last.summary.accepted, rejected: last.summary.rejected, duplicates: last.summary.duplicates, observations: last.observations, figures: last.figures },
    rowsInClickHouse: { expected: last.check.expected, found: last.check.found },
    shortfalls: runs.flatMap((r, i) => r.tally.check.shortfalls.map((line) => (runs.length > 1 ? `run ${i + 1}: ${line}` : line))),
    meets: {
      ratioVsNaive: ratioVsNaive >= TARGETS.ratioVsNaive,
      ratioVsPeer: ratioVsPeer >= TARGETS.ratioVsPeer,
      ratioVsLimit: ratioVsLimit >= TARGETS.ratioVsLimit,
      peakRss: Math.max(peakRssMb.worker, peakRssMb.projections, peakRssMb.replay) <= TARGETS.peakRssMb,
      replayEventsPerSec: replayEventsPerSec >= TARGETS.replayEventsPerSec,
    },
  };
}

export function summarise(rows: number, machine: BenchSummary['machine'], results: RepetitionResult[]): BenchSummary {
  const seconds = {
    limit: median(results.map((r) => r.limitSeconds)),
    naive: median(results.map((r) => r.naiveSeconds)),
    peer: median(results.map((r) => r.peer.seconds)),
  };
  const loaders = { limit: Math.round(rows / seconds.limit), naive: Math.round(rows / seconds.naive), peer: Math.round(rows / seconds.peer) };
  const names = results[0]!.runs.map((r) => r.path);
  const paths: Partial<Record<PathName, PathSummary>> = {};
  for (const name of names) {
    const runs = results.map((r, i) => {
      const run = r.runs.find((x) => x.path === name);
      if (!run) throw new Error(`bench summary: expected a ${name} run in repetition ${i + 1}, found ${r.runs.map((x) => x.path).join(', ') || 'none'}`);
      return run;
    });
    paths[name] = summarisePath(rows, runs, loaders);
  }
  const first = paths[names[0]!]!;
  const last = results[results.length - 1]!;
  const floorWork = results.every((r) => r.floors) ? medianFloorWork(results.map((r) => r.floors!)) : undefined;
  const rowsPerSec = { ...loaders, tally: first.rowsPerSec };
  return {
    rows,
    repetitions: results.length,
    machine,
    drop: { bytes: last.drop.bytes, rounds: last.drop.rounds, bad: last.drop.bad },
    seconds: { limit: round(seconds.limit), naive: round(seconds.naive), peer: round(seconds.peer), tally: first.seconds },
    rowsPerSec,
    ratioVsNaive: first.ratioVsNaive,
    ratioVsPeer: first.ratioVsPeer,
    ratioVsLimit: first.ratioVsLimit,
    replayEventsPerSec: first.replayEventsPerSec,
    replay: first.replay,
    peerProduceSeconds: round(median(results.map((r) => r.peer.produceSeconds))),
    peerLostRows: Math.max(...results.map((r) => r.peer.lost)),
    peakRssMb: first.peakRssMb,
    startupRssMb: first.startupRssMb,
    readyRssMb: first.readyRssMb,
    peakExcludesStartup: first.peakExcludesStartup,
    stages: first.stages,
    counts: first.counts,
    targets: TARGETS,
    meets: first.meets,
    paths,
    ...(floorWork ? { floors: floorsAgainst(floorWork, rows, machine.nproc, rowsPerSec, TARGETS) } : {}),
  };
}

function medianFloorWork(works: FloorWork[]): FloorWork {
  const keys = Object.keys(works[0]!.cpuSeconds) as (keyof FloorWork['cpuSeconds'])[];
  return {
    cpuSeconds: Object.fromEntries(keys.map((k) => [k, round(median(works.map((w) => w.cpuSeconds[k] ?? 0)), 2)])) as FloorWork['cpuSeconds'],
    counts: works[works.length - 1]!.counts,
  };
}

const STAGE_LABELS: Array<[keyof TallyStages, string]> = [
  ['land', 'land (hash + copy into the landing store)'],
  ['ingestDrop', 'ingestDrop activity (parse + normalise + publish)'],
  ['parse', '  parse + normalise (measured alone)'],
  ['publish', '  publish (ingestDrop − parse)'],
  ['consume', 'consume/insert (projection catch-up)'],
  ['reconcile', 'reconcile (child workflow)'],
  ['reconcileIndicators', '  reconcileIndicators'],
  ['reconcileProjected', '  figures projected'],
  ['other', 'other (scheduling, queries, gaps)'],
  ['total', 'total'],
];

const LABEL = 52;
const COLUMN = 18;

/** One row of the per-path table: the label, then one cell per path. */
function row(label: string, cells: string[]): string {
  return `${label.padEnd(LABEL)}${cells.map((c) => c.padStart(COLUMN)).join('')}`;
}

export function formatReport(s: BenchSummary): string {
  const ok = (b: boolean) => (b ? 'meets' : 'MISSES');
  const fmt = (n: number) => n.toLocaleString('en');
  const names = Object.keys(s.paths) as PathName[];
  const paths = names.map((n) => s.paths[n]!);
  const each = (cell: (p: PathSummary) => string) => paths.map(cell);
  const ratio = (r: number, meets: boolean) => `${r.toFixed(3)} ${ok(meets)}`;
  const shortfalls = names.flatMap((n) => s.paths[n]!.shortfalls.map((line) => `${n} path: ${line}`));
  const lines = [
    `tally bench: ${fmt(s.rows)} rows (${(s.drop.bytes / 1e6).toFixed(1)} MB, ${s.drop.rounds} rounds), ${s.repetitions} run(s), median; ${s.machine.nproc} cores, ${fmt(s.machine.memTotalMb)} MB${s.machine.kafkaProducer ? `; worker publishes with ${s.machine.kafkaProducer}` : ''}`,
    '',
    'loader          seconds     rows/s',
    ...(['limit', 'naive', 'peer'] as const).map((k) => `${k.padEnd(14)} ${s.seconds[k].toFixed(2).padStart(8)} ${fmt(s.rowsPerSec[k]).padStart(10)}`),
    ...names.map((n) => `${`tally ${n}`.padEnd(14)} ${s.paths[n]!.seconds.toFixed(2).padStart(8)} ${fmt(s.paths[n]!.rowsPerSec).padStart(10)}`),
    '',
    row('projection path', names),
    row(`tally/naive (target ≥ ${s.targets.ratioVsNaive})`, each((p) => ratio(p.ratioVsNaive, p.meets.ratioVsNaive))),
    row(`tally/peer (goal ≥ ${s.targets.ratioVsPeer})`, each((p) => ratio(p.ratioVsPeer, p.meets.ratioVsPeer))),
    row(`tally/limit (target ≥ ${s.targets.ratioVsLimit})`, each((p) => ratio(p.ratioVsLimit, p.meets.ratioVsLimit))),
    row(`replay events/s (target ≥ ${fmt(s.targets.replayEventsPerSec)})`, each((p) => `${fmt(p.replayEventsPerSec)} ${ok(p.meets.replayEventsPerSec)}`)),
    row('  events (messages)', each((p) => `${fmt(p.replay.events)} (${fmt(p.replay.messages)})`)),
    row('  seconds, first batch after', each((p) => `${p.replay.seconds.toFixed(2)}, ${p.replay.firstBatchSeconds.toFixed(2)}`)),
    '',
    row('tally stage (seconds)', names),
    ...STAGE_LABELS.map(([k, label]) => row(label, each((p) => p.stages[k].toFixed(2)))),
    '',
    row(`peak RSS, MB${s.repetitions > 1 ? `, highest of ${s.repetitions} runs` : ''}${paths.every((p) => p.peakExcludesStartup) ? ' (start-up excluded)' : ''}`, names),
    row('  worker', each((p) => p.peakRssMb.worker.toFixed(1))),
    row('  projections', each((p) => p.peakRssMb.projections.toFixed(1))),
    row('  replay', each((p) => p.peakRssMb.replay.toFixed(1))),
    row(`  every process ≤ ${s.targets.peakRssMb} MB (target)`, each((p) => ok(p.meets.peakRss))),
    row('  start-up peak: worker, projections', each((p) => `${p.startupRssMb.worker.toFixed(0)}, ${p.startupRssMb.projections.toFixed(0)}`)),
    row('  resident when ready: worker, projections', each((p) => `${p.readyRssMb.worker.toFixed(0)}, ${p.readyRssMb.projections.toFixed(0)}`)),
    '',
    row('rows (the workflow)', names),
    row('  accepted', each((p) => fmt(p.counts.accepted))),
    row('  rejected', each((p) => fmt(p.counts.rejected))),
    row('  duplicates', each((p) => fmt(p.counts.duplicates))),
    row('in ClickHouse', names),
    row('  accepted rows in observations', each((p) => fmt(p.rowsInClickHouse.found.accepted))),
    row('  observations', each((p) => fmt(p.rowsInClickHouse.found.observations))),
    row('  figures', each((p) => fmt(p.rowsInClickHouse.found.figures))),
    row('  rejected rows in rejections', each((p) => fmt(p.rowsInClickHouse.found.rejected))),
    row('  everything the workflow reported', each((p) => (p.shortfalls.length === 0 ? 'all there' : 'SHORT'))),
    ...(shortfalls.length > 0 ? ['', 'SHORTFALL: rows the workflow reported that ClickHouse does not hold', ...shortfalls.map((l) => `  ${l}`)] : []),
    ...(s.peerLostRows > 0 ? ['', `peer: up to ${fmt(s.peerLostRows)} of the lines sent never reached the MergeTree (lost by the Kafka engine)`] : []),
    ...(s.floors ? ['', ...formatFloors(s.floors)] : []),
  ];
  return lines.join('\n');
}

function formatFloors(f: Floors): string[] {
  const c = f.cpuSeconds;
  const verdict = (fits: boolean) => (fits ? 'fits' : 'DOES NOT FIT: no design meets this target on this machine');
  return [
    `floor (the work any run needs, measured alone, one thread): ${c.total.toFixed(2)} CPU-s = parse ${c.parse.toFixed(2)}${c.parseWithCsvParse !== undefined ? ` (csv-parse alone on the same blocks: ${c.parseWithCsvParse.toFixed(2)})` : ''} + validate ${c.validate.toFixed(2)} + observations ${c.observations.toFixed(2)} + reconcile ${c.reconcile.toFixed(2)}; Kafka, ClickHouse and Temporal come on top`,
    `CPU the tally/naive target leaves on ${f.cores} cores: ${f.budget.ratioVsNaive.toFixed(2)} CPU-s (${verdict(f.fits.ratioVsNaive)})`,
    `CPU the tally/limit target leaves on ${f.cores} cores: ${f.budget.ratioVsLimit.toFixed(2)} CPU-s (${verdict(f.fits.ratioVsLimit)})`,
  ];
}
