import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { floorsAgainst, measureFloorWork, type FloorWork } from '../../../bench/floors.js';
import { generateDrop } from '../../../bench/generate.js';
import { openDrop } from '../../../connectors/open.js';
import { processDrop } from '../../../ingest/process-drop.js';
import { getProfile, loadProfiles, priorityTable } from '../../../connectors/profiles.js';
import type { ObservationRecorded, TallyEvent } from '../../../domain/events.js';
import { reconcile } from '../../../domain/reconcile/index.js';
import { INDICATOR_CODES } from '../../../domain/indicators.js';

const dir = mkdtempSync(join(tmpdir(), 'tally-floors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the bench floor: the work any run needs, measured alone', () => {
  it('does the pipeline work on the bench drop: the same rows, rejections, observations and figures as processDrop and reconcile', async () => {
    const drop = await generateDrop(join(dir, 'floor.csv'), { rows: 6_000, seed: 3 });
    const work = await measureFloorWork(drop.path);

    const events: TallyEvent[] = [];
    const ctx = { dropId: 'd'.repeat(64), source: 'dtm', fileName: 'floor.csv', receivedAt: '2026-01-01T00:00:00Z' };
    const counts = await processDrop(await openDrop(drop.path, { fileName: 'floor.csv' }), getProfile('dtm'), ctx, (e) => void events.push(e));
    const observations = events.filter((e): e is ObservationRecorded => e.type === 'ObservationRecorded');
    const figures = reconcile(observations, { priority: priorityTable(loadProfiles(), INDICATOR_CODES), tolerance: {} }).figures;

    expect(work.counts.rows).toBe(drop.rows);
    expect(work.counts.rows).toBe(counts.rows);
    expect(work.counts.rejected).toBe(counts.rejected);
    expect(work.counts.rejected).toBe(drop.bad.footnote + drop.bad.place + drop.bad.date);
    expect(work.counts.observations).toBe(counts.observations);
    expect(work.counts.events).toBe(figures.length);
    const c = work.cpuSeconds;
    for (const part of [c.parse, c.validate, c.observations, c.reconcile]) expect(part).toBeGreaterThanOrEqual(0);
    expect(c.parse).toBeGreaterThan(0);
    expect(c.total).toBeCloseTo(c.parse + c.validate + c.observations + c.reconcile, 1);
  });

  it('sets the floor against the CPU each target leaves: cores × rows ÷ (ratio × loader rows/s)', () => {
    const work: FloorWork = { cpuSeconds: { parse: 7, validate: 4, observations: 1, reconcile: 4, total: 16 }, counts: { rows: 1e6, rejected: 0, observations: 25e4, events: 25e4 } };
    const floors = floorsAgainst(work, 1_000_000, 2, { naive: 50_000, limit: 500_000 }, { ratioVsNaive: 1, ratioVsLimit: 0.25 });
    // naive: 1M rows at 50k rows/s = 20 s, × 2 cores = 40 CPU-s; limit: 0.25 × 500k = 125k rows/s, 8 s, 16 CPU-s.
    expect(floors.budget).toEqual({ ratioVsNaive: 40, ratioVsLimit: 16 });
    expect(floors.fits).toEqual({ ratioVsNaive: true, ratioVsLimit: true });
    const tighter = floorsAgainst(work, 1_000_000, 2, { naive: 50_000, limit: 600_000 }, { ratioVsNaive: 1, ratioVsLimit: 0.25 });
    expect(tighter.budget.ratioVsLimit).toBeCloseTo(13.33, 2);
    expect(tighter.fits).toEqual({ ratioVsNaive: true, ratioVsLimit: false });
  });
});
