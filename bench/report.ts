/** The benchmark's result: medians over repetitions (memory: the highest), ratios against the targets, a text table. */
import { floorsAgainst, type FloorWork, type Floors } from './floors.js';
import type { GeneratedDrop } from './generate.js';
import type { PeerResult } from './peer.js';
import type { ReplayResult } from './replay.js';
import type { TallyResult, TallyStages } from './tally.js';

export interface RepetitionResult {
  drop: GeneratedDrop;
  limitSeconds: number;
  naiveSeconds: number;
  peer: PeerResult;
  tally: TallyResult;
  /** `tally projections rebuild` on the tally run's log, after the run. */
  replay: ReplayResult;
  /** With --floors: the work any run needs, measured alone on the same drop. */
  floors?: FloorWork;
}

/** What the issue asks of tally. */
export const TARGETS = { ratioVsNaive: 1.0, ratioVsPeer: 0.5, ratioVsLimit: 0.25, peakRssMb: 300, replayEventsPerSec: 200_000 } as const;

export interface BenchSummary {
  rows: number;
  repetitions: number;
  machine: { nproc: number; memTotalMb: number; cpu: string };
  drop: { bytes: number; rounds: number; bad: GeneratedDrop['bad'] };
  /** Median seconds per loader. */
  seconds: { limit: number; naive: number; peer: number; tally: number };
  rowsPerSec: { limit: number; naive: number; peer: number; tally: number };
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
  /** Seconds until the peer's last send was acknowledged (median). */
  peerProduceSeconds: number;
  /** Most lines a peer run sent that never reached its MergeTree (the Kafka engine's loss). */
  peerLostRows: number;
  /** Highest peak over the repetitions, per process; worker and projections exclude start-up when `peakExcludesStartup`. */
  peakRssMb: { worker: number; projections: number; replay: number };
  startupRssMb: { worker: number; projections: number };
  readyRssMb: { worker: number; projections: number };
  peakExcludesStartup: boolean;
  /** Median seconds per stage of the tally run. */
  stages: TallyStages;
  counts: { accepted: number; rejected: number; duplicates: number; observations: number; figures: number };
  targets: typeof TARGETS;
  meets: { ratioVsNaive: boolean; ratioVsPeer: boolean; ratioVsLimit: boolean; peakRss: boolean; replayEventsPerSec: boolean };
  /** With --floors: medians of the floor's CPU seconds, and the CPU each target leaves (see floors.ts). */
  floors?: Floors;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const round = (n: number, digits = 3) => Number(n.toFixed(digits));

export function summarise(rows: number, machine: BenchSummary['machine'], results: RepetitionResult[]): BenchSummary {
  const seconds = {
    limit: median(results.map((r) => r.limitSeconds)),
    naive: median(results.map((r) => r.naiveSeconds)),
    peer: median(results.map((r) => r.peer.seconds)),
    tally: median(results.map((r) => r.tally.seconds)),
  };
  const rowsPerSec = {
    limit: Math.round(rows / seconds.limit),
    naive: Math.round(rows / seconds.naive),
    peer: Math.round(rows / seconds.peer),
    tally: Math.round(rows / seconds.tally),
  };
  const stageKeys = Object.keys(results[0]!.tally.stages) as (keyof TallyStages)[];
  const stages = Object.fromEntries(stageKeys.map((k) => [k, round(median(results.map((r) => r.tally.stages[k])))])) as unknown as TallyStages;
  const peak = {
    worker: round(Math.max(...results.map((r) => r.tally.peakRssMb.worker)), 1),
    projections: round(Math.max(...results.map((r) => r.tally.peakRssMb.projections)), 1),
    replay: round(Math.max(...results.map((r) => r.replay.peakRssMb)), 1),
  };
  const replayEventsPerSec = Math.round(median(results.map((r) => r.replay.eventsPerSec)));
  const last = results[results.length - 1]!;
  const floorWork = results.every((r) => r.floors) ? medianFloorWork(results.map((r) => r.floors!)) : undefined;
  const ratioVsNaive = round(rowsPerSec.tally / rowsPerSec.naive);
  const ratioVsPeer = round(rowsPerSec.tally / rowsPerSec.peer);
  const ratioVsLimit = round(rowsPerSec.tally / rowsPerSec.limit);
  return {
    rows,
    repetitions: results.length,
    machine,
    drop: { bytes: last.drop.bytes, rounds: last.drop.rounds, bad: last.drop.bad },
    seconds: { limit: round(seconds.limit), naive: round(seconds.naive), peer: round(seconds.peer), tally: round(seconds.tally) },
    rowsPerSec,
    ratioVsNaive,
    ratioVsPeer,
    ratioVsLimit,
    replayEventsPerSec,
    replay: {
      seconds: round(median(results.map((r) => r.replay.seconds))),
      firstBatchSeconds: round(median(results.map((r) => r.replay.firstBatchSeconds))),
      events: median(results.map((r) => r.replay.events)),
      messages: median(results.map((r) => r.replay.messages)),
    },
    peerProduceSeconds: round(median(results.map((r) => r.peer.produceSeconds))),
    peerLostRows: Math.max(...results.map((r) => r.peer.lost)),
    peakRssMb: peak,
    startupRssMb: {
      worker: round(Math.max(...results.map((r) => r.tally.startupRssMb.worker)), 1),
      projections: round(Math.max(...results.map((r) => r.tally.startupRssMb.projections)), 1),
    },
    readyRssMb: {
      worker: round(Math.max(...results.map((r) => r.tally.readyRssMb.worker)), 1),
      projections: round(Math.max(...results.map((r) => r.tally.readyRssMb.projections)), 1),
    },
    peakExcludesStartup: results.every((r) => r.tally.peakReset),
    stages,
    counts: {
      accepted: last.tally.summary.accepted,
      rejected: last.tally.summary.rejected,
      duplicates: last.tally.summary.duplicates,
      observations: last.tally.observations,
      figures: last.tally.figures,
    },
    targets: TARGETS,
    meets: {
      ratioVsNaive: ratioVsNaive >= TARGETS.ratioVsNaive,
      ratioVsPeer: ratioVsPeer >= TARGETS.ratioVsPeer,
      ratioVsLimit: ratioVsLimit >= TARGETS.ratioVsLimit,
      peakRss: Math.max(peak.worker, peak.projections, peak.replay) <= TARGETS.peakRssMb,
      replayEventsPerSec: replayEventsPerSec >= TARGETS.replayEventsPerSec,
    },
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

export function formatReport(s: BenchSummary): string {
  const ok = (b: boolean) => (b ? 'meets' : 'MISSES');
  const fmt = (n: number) => n.toLocaleString('en');
  const lines = [
    `tally bench: ${fmt(s.rows)} rows (${(s.drop.bytes / 1e6).toFixed(1)} MB, ${s.drop.rounds} rounds), ${s.repetitions} run(s), median; ${s.machine.nproc} cores, ${fmt(s.machine.memTotalMb)} MB`,
    '',
    'loader   seconds     rows/s',
    ...(['limit', 'naive', 'peer', 'tally'] as const).map((k) => `${k.padEnd(7)} ${s.seconds[k].toFixed(2).padStart(8)} ${fmt(s.rowsPerSec[k]).padStart(10)}`),
    '',
    `tally/naive ${s.ratioVsNaive.toFixed(3)}  (target ≥ ${s.targets.ratioVsNaive}: ${ok(s.meets.ratioVsNaive)})`,
    `tally/peer  ${s.ratioVsPeer.toFixed(3)}  (goal ≥ ${s.targets.ratioVsPeer}: ${ok(s.meets.ratioVsPeer)})`,
    `tally/limit ${s.ratioVsLimit.toFixed(3)}  (target ≥ ${s.targets.ratioVsLimit}: ${ok(s.meets.ratioVsLimit)})`,
    `replay      ${fmt(s.replayEventsPerSec)} events/s: ${fmt(s.replay.events)} events (${fmt(s.replay.messages)} messages) in ${s.replay.seconds.toFixed(2)} s, the first batch after ${s.replay.firstBatchSeconds.toFixed(2)} s  (target ≥ ${fmt(s.targets.replayEventsPerSec)}: ${ok(s.meets.replayEventsPerSec)})`,
    '',
    'tally stage                                           seconds',
    ...STAGE_LABELS.map(([k, label]) => `${label.padEnd(52)} ${s.stages[k].toFixed(2).padStart(8)}`),
    '',
    `peak RSS${s.repetitions > 1 ? `, highest of ${s.repetitions} runs` : ''}${s.peakExcludesStartup ? ' (start-up excluded)' : ''}: worker ${s.peakRssMb.worker} MB, projections ${s.peakRssMb.projections} MB, replay ${s.peakRssMb.replay} MB ` +
      `(target ≤ ${s.targets.peakRssMb} MB: ${ok(s.meets.peakRss)}); start-up peak: worker ${s.startupRssMb.worker} MB, projections ${s.startupRssMb.projections} MB; ` +
      `resident when ready: worker ${s.readyRssMb.worker} MB, projections ${s.readyRssMb.projections} MB`,
    ...(s.peerLostRows > 0 ? [`peer: up to ${fmt(s.peerLostRows)} of the lines sent never reached the MergeTree (lost by the Kafka engine)`] : []),
    `rows: ${fmt(s.counts.accepted)} accepted, ${fmt(s.counts.rejected)} rejected, ${fmt(s.counts.duplicates)} duplicates; ` +
      `${fmt(s.counts.observations)} observations, ${fmt(s.counts.figures)} figures in ClickHouse`,
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
