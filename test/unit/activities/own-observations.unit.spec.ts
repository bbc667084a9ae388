import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  bucketOf,
  LEFT_OVER_MS,
  ownObservationsHere,
  ownObservationsWriter,
  ownPartitionOf,
  readBucket,
  bucketPartitions,
  removeOwnObservations,
  sweepLeftOvers,
} from '../../../activities/own-observations.js';
import { groupBy } from '../../../domain/collections.js';
import { reconcile } from '../../../domain/reconcile/index.js';
import type { ObservationRecorded } from '../../../domain/events.js';
import { obs, policy } from '../reconcile/fixtures.js';

/** Two indicators; the nation, two regions and three cercles; totals and by sex; two sources; several dates and a revision. */
function mixedObservations(): ObservationRecorded[] {
  const out: ObservationRecorded[] = [];
  const areas = ['MLI', 'ML05', 'ML06', 'ML0501', 'ML0502', 'ML0601'];
  let value = 1000;
  for (const indicator of ['idps', 'returnees'])
    for (const area of areas)
      for (const disaggregation of [{}, { sex: 'f' }, { sex: 'm' }] as Array<Record<string, string>>)
        for (const date of ['2019-07-31', '2020-03-31'])
          for (const source of ['dtm', 'cmp']) {
            value += 37;
            // Regions that do not add up to the nation, and sources that disagree: discrepancies of both kinds.
            out.push(obs({ indicator, area, disaggregation, date, source, value: source === 'cmp' ? value * 1.2 : value, recordedAt: '2020-05-01T00:00:00Z' }));
          }
  out.push(obs({ source: 'cmp', area: 'ML0501', value: 5, date: '2019-07-31', dropId: 'cmp-revision', recordedAt: '2020-06-01T00:00:00Z' }));
  return out;
}

const roots: string[] = [];
const root = () => {
  const dir = mkdtempSync(join(tmpdir(), 'tally-own-test-'));
  roots.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of roots) rmSync(dir, { recursive: true, force: true });
});

describe("a drop's own observations, kept for its reconcile", () => {
  it('keeps a partition in one bucket: the nation with its regions per indicator and disaggregation, a cercle alone', () => {
    const all = mixedObservations();
    for (const buckets of [1, 3, 7])
      for (const members of groupBy(all, ownPartitionOf).values()) expect(new Set(members.map((o) => bucketOf(o, buckets))).size).toBe(1);
    const nation = all.find((o) => o.area === 'MLI' && o.indicator === 'idps' && o.disaggregation.sex === 'f')!;
    const region = all.find((o) => o.area === 'ML05' && o.indicator === 'idps' && o.disaggregation.sex === 'f')!;
    const cercles = all.filter((o) => o.areaLevel === 2 && o.indicator === 'idps' && o.disaggregation.sex === undefined);
    expect(ownPartitionOf(nation)).toBe(ownPartitionOf(region));
    expect(new Set(cercles.map(ownPartitionOf)).size).toBe(3);
  });

  it('gives, bucket by bucket and indicator by indicator, the figures and discrepancies of reconciling everything at once', () => {
    const all = mixedObservations();
    const whole = reconcile(all, policy);
    expect(whole.discrepancies.length).toBeGreaterThan(10);
    const writer = ownObservationsWriter(5, root());
    for (const o of all) writer.add(o);
    const own = writer.finish();
    expect(own).toMatchObject({ buckets: 5, observations: all.length });
    const figures: string[] = [];
    const discrepancies: string[] = [];
    const partitions = new Set<string>();
    for (let b = 0; b < own.buckets; b++)
      for (const part of bucketPartitions(own, b)) {
        // One partition at a time, each whole: never seen in another bucket or another part.
        const keys = new Set(part.map(ownPartitionOf));
        expect(keys.size).toBe(1);
        expect(partitions.has([...keys][0]!)).toBe(false);
        partitions.add([...keys][0]!);
        const result = reconcile(part, policy);
        figures.push(...result.figures.map((f) => f.eventId));
        discrepancies.push(...result.discrepancies.map((d) => d.eventId));
      }
    expect(partitions.size).toBe(new Set(all.map(ownPartitionOf)).size);
    expect(figures.sort()).toEqual(whole.figures.map((f) => f.eventId).sort());
    expect(discrepancies.sort()).toEqual(whole.discrepancies.map((d) => d.eventId).sort());
    removeOwnObservations(own);
    expect(existsSync(own.dir)).toBe(false);
  });

  it('reads back each observation as written, through its row in the observations table', () => {
    const writer = ownObservationsWriter(2, root());
    const written = mixedObservations().slice(0, 40);
    for (const o of written) writer.add(o);
    const own = writer.finish();
    const read = [readBucket(own, 0), readBucket(own, 1)].flat();
    expect(read).toHaveLength(written.length);
    const byId = new Map(read.map((o) => [o.eventId, o]));
    for (const o of written) expect(byId.get(o.eventId)).toEqual(o);
  });

  it('hands on only a complete set: a discarded one is gone, an unfinished one is not here', () => {
    const dir = root();
    const discarded = ownObservationsWriter(2, dir);
    discarded.add(mixedObservations()[0]!);
    discarded.discard();
    expect(readdirSync(dir)).toEqual([]);
    const unfinished = ownObservationsWriter(2, dir);
    expect(ownObservationsHere({ dir: unfinished.dir, buckets: 2, observations: 0 })).toBe(false);
    expect(ownObservationsHere({ dir: join(dir, 'elsewhere'), buckets: 2, observations: 0 })).toBe(false);
    expect(ownObservationsHere(unfinished.finish())).toBe(true);
  });

  it('sweeps sets a dead worker left behind, and only old ones', () => {
    const dir = root();
    const old = ownObservationsWriter(1, dir).finish();
    const fresh = ownObservationsWriter(1, dir).finish();
    mkdirSync(join(dir, 'not-ours'));
    const past = (Date.now() - LEFT_OVER_MS - 60_000) / 1000;
    utimesSync(old.dir, past, past);
    expect(sweepLeftOvers(dir)).toBe(1);
    expect(existsSync(old.dir)).toBe(false);
    expect(existsSync(fresh.dir)).toBe(true);
    expect(existsSync(join(dir, 'not-ours'))).toBe(true);
  });

  it('says which file and line it cannot read', () => {
    const writer = ownObservationsWriter(1, root());
    writer.add(mixedObservations()[0]!);
    const own = writer.finish();
    writeFileSync(join(own.dir, 'b0.jsonl'), '{"event_id":"x"}\n');
    expect(() => readBucket(own, 0)).toThrow(`${join(own.dir, 'b0.jsonl')}: expected "<partition>\\t<row>" lines, found "{"event_id":"x"}"`);
  });
});
