import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lineBatches } from '../../../bench/peer.js';
import { summarise, formatReport, type RepetitionResult } from '../../../bench/report.js';
import type { TallyResult } from '../../../bench/tally.js';

const dir = mkdtempSync(join(tmpdir(), 'tally-bench-peer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function batchesOf(text: string, batch: number): Promise<string[][]> {
  const path = join(dir, `f${Math.random().toString(36).slice(2)}.csv`);
  writeFileSync(path, text);
  const out: string[][] = [];
  for await (const lines of lineBatches(path, batch)) out.push(lines);
  return out;
}

describe("the peer's messages", () => {
  it('are the lines after the header, without line ends or empty lines, in batches', async () => {
    expect(await batchesOf('h1,h2\na,1\r\n\nb,2\nc,3', 2)).toEqual([['a,1', 'b,2'], ['c,3']]);
    expect(await batchesOf('h1,h2\r\na,1\r\nb,2\r', 5)).toEqual([['a,1', 'b,2']]);
    expect(await batchesOf('h1,h2\n', 2)).toEqual([]);
    expect(await batchesOf('', 2)).toEqual([]);
  });
});

function repetition(seconds: { limit: number; naive: number; peer: number; tally: number }, replay: { seconds: number; events: number }): RepetitionResult {
  const stages = { land: 0, other: 0, ingestDrop: 0, parse: 0, publish: 0, consume: 0, reconcile: 0, reconcileIndicators: 0, reconcileProjected: 0, total: seconds.tally };
  const counts = { accepted: 990, observations: 250, figures: 250, rejected: 10 };
  const tally = {
    summary: { rows: 1000, accepted: 990, rejected: 10, duplicates: 0 },
    seconds: seconds.tally,
    stages,
    peakRssMb: { worker: 200, projections: 100 },
    peakStage: { worker: 'parse', projections: 'consume' },
    startupRssMb: { worker: 150, projections: 90 },
    readyRssMb: { worker: 140, projections: 90 },
    peakReset: true,
    figures: 250,
    observations: 250,
    check: { expected: counts, found: counts, shortfalls: [] },
  } as unknown as TallyResult;
  return {
    drop: { path: 'x.csv', rows: 1000, bad: { footnote: 3, place: 4, date: 3 }, bytes: 66_000, rounds: 3 },
    limitSeconds: seconds.limit,
    naiveSeconds: seconds.naive,
    peer: { seconds: seconds.peer, produceSeconds: seconds.peer / 2, rows: 1000, lost: 0, inKafka: 1000 },
    runs: [{ path: 'node', tally, replay: { seconds: replay.seconds, events: replay.events, messages: 10, eventsPerSec: Math.round(replay.events / replay.seconds), firstBatchSeconds: 1, peakRssMb: 310 } }],
  };
}

describe('the bench summary', () => {
  it('gives tally/peer, the replay rate and every process peak, medians over runs', () => {
    const machine = { nproc: 2, memTotalMb: 1000, cpu: 'test' };
    const s = summarise(1000, machine, [
      repetition({ limit: 0.01, naive: 0.1, peer: 0.2, tally: 1 }, { seconds: 2, events: 500 }),
      repetition({ limit: 0.01, naive: 0.1, peer: 0.4, tally: 1 }, { seconds: 1, events: 500 }),
      repetition({ limit: 0.01, naive: 0.1, peer: 0.3, tally: 1 }, { seconds: 4, events: 500 }),
    ]);
    expect(s.rowsPerSec).toEqual({ limit: 100_000, naive: 10_000, peer: 3333, tally: 1000 });
    expect(s.ratioVsNaive).toBe(0.1);
    expect(s.ratioVsPeer).toBe(0.3);
    expect(s.ratioVsLimit).toBe(0.01);
    expect(s.replayEventsPerSec).toBe(250);
    expect(s.peakRssMb).toEqual({ worker: 200, projections: 100, replay: 310 });
    expect(s.meets).toEqual({ ratioVsNaive: false, ratioVsPeer: false, ratioVsLimit: false, peakRss: false, replayEventsPerSec: false });
    expect(s.paths.node?.ratioVsPeer).toBe(0.3);
    expect(formatReport(s)).toMatch(/^tally\/peer \(goal ≥ 0\.5\) +0\.300 MISSES$/m);
    expect(formatReport(s)).toMatch(/^replay events\/s \(target ≥ 200,000\) +250 MISSES$/m);
  });
});
