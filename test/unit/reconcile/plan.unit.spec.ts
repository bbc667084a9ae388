import { describe, expect, it } from 'vitest';
import { DiscrepancyResolved } from '../../../domain/events.js';
import { planEvents, publishedBefore, reconcile, type PreviousState, type ReconcileResult } from '../../../domain/reconcile/index.js';
import { cmp2020, dtm2019, obs, policy } from './fixtures.js';

/** The state the published events lead to: what a projection of tally.figures holds. */
function stateAfter(result: ReconcileResult): PreviousState {
  return {
    figures: new Map(result.figures.map((f) => [f.seriesKey, { eventId: f.eventId }])),
    openDiscrepancies: new Map(result.discrepancies.map((d) => [d.discrepancyId, { eventId: d.eventId }])),
  };
}

const empty: PreviousState = { figures: new Map(), openDiscrepancies: new Map() };
const revision = obs({ source: 'cmp', value: 162_000, date: '2020-03-31', dropId: 'cmp-revised', recordedAt: '2020-06-01T00:00:00Z' });

describe('planEvents', () => {
  it('publishes every figure and discrepancy the first time', () => {
    const result = reconcile([dtm2019, cmp2020], policy);
    const events = planEvents(empty, result);
    expect(events.map((e) => e.type)).toEqual(['FigureReconciled', 'FigureReconciled', 'DiscrepancyDetected']);
  });

  it('publishes nothing when reconciling the same inputs again', () => {
    const first = reconcile([dtm2019, cmp2020], policy);
    const again = reconcile([cmp2020, dtm2019, dtm2019], policy);
    expect(again).toEqual(first);
    expect(planEvents(stateAfter(first), again)).toEqual([]);
  });

  it('resolves the seeds\' discrepancy when a revision brings the sources back within tolerance', () => {
    const before = reconcile([dtm2019, cmp2020], policy);
    const after = reconcile([dtm2019, cmp2020, revision], policy);
    expect(after.discrepancies).toEqual([]);
    const events = planEvents(stateAfter(before), after);
    expect(events.map((e) => e.type)).toEqual(['FigureReconciled', 'DiscrepancyResolved']);
    const [figure, resolved] = events;
    expect(figure?.type === 'FigureReconciled' && figure.value).toBe(162_000);
    if (resolved?.type !== 'DiscrepancyResolved') throw new Error('expected a DiscrepancyResolved');
    expect(resolved.discrepancyId).toBe(before.discrepancies[0]?.discrepancyId);
    expect(resolved.values.map((v) => [v.source, v.value])).toEqual([
      ['cmp', 162_000],
      ['dtm', 160_000],
    ]);
    expect(resolved.explanation).toBe('cmp and dtm are back within tolerance for idps in MLI: cmp 162,000 on 2020-03-31; dtm 160,000 on 2019-07-31');
    expect(resolved.recordedAt).toBe('2020-06-01T00:00:00Z');
    expect(() => DiscrepancyResolved.parse(resolved)).not.toThrow();
    expect(planEvents(stateAfter(after), reconcile([revision, cmp2020, dtm2019], policy))).toEqual([]);
  });

  it('keeps the discrepancy id when a revision changes the gap, and publishes the new detection', () => {
    const wider = obs({ source: 'cmp', value: 190_000, date: '2020-03-31', dropId: 'cmp-revised', recordedAt: '2020-06-01T00:00:00Z' });
    const before = reconcile([dtm2019, cmp2020], policy);
    const after = reconcile([dtm2019, cmp2020, wider], policy);
    expect(after.discrepancies[0]?.discrepancyId).toBe(before.discrepancies[0]?.discrepancyId);
    expect(after.discrepancies[0]?.eventId).not.toBe(before.discrepancies[0]?.eventId);
    expect(planEvents(stateAfter(before), after).map((e) => e.type)).toEqual(['FigureReconciled', 'DiscrepancyDetected']);
  });

  it('leaves open discrepancies of groups that this reconciliation does not cover', () => {
    const before = reconcile([dtm2019, cmp2020], policy);
    const otherGroup = reconcile([obs({ source: 'unhcr', indicator: 'refugees', value: 25_000 })], policy);
    const previous = { ...stateAfter(before), figures: new Map() };
    expect(planEvents(previous, otherGroup).map((e) => e.type)).toEqual(['FigureReconciled']);
  });

  it('resolves a partial-coverage discrepancy once the missing regions arrive', () => {
    const national = obs({ source: 'cmp', value: 171_000, date: '2020-03-31' });
    const regions = ['ML01', 'ML02', 'ML03', 'ML04', 'ML05', 'ML06', 'ML07', 'ML08', 'ML09', 'ML10'].map((area) =>
      obs({ source: 'dtm', area, value: 17_100, date: '2020-03-31' }),
    );
    const before = reconcile([national, ...regions.slice(0, 7)], policy);
    const after = reconcile([national, ...regions], policy);
    const events = planEvents(stateAfter(before), after);
    const resolved = events.filter((e) => e.type === 'DiscrepancyResolved');
    expect(resolved.map((e) => e.discrepancyId)).toEqual([before.discrepancies[0]?.discrepancyId]);
    expect(resolved[0]?.explanation).toContain('cmp and the sum of the regions are back within tolerance');
    expect(events.filter((e) => e.type === 'FigureReconciled')).toHaveLength(3);
  });
});

describe('publishedBefore: what a retried reconcile of a drop counts without publishing it again', () => {
  const result = reconcile([dtm2019, cmp2020], policy);
  const cmpDrop = cmp2020.dropId;

  it('is nothing for the drop\'s first reconcile', () => {
    expect(publishedBefore(empty, result, cmpDrop)).toEqual({ figures: 0, detected: [] });
  });

  it('is what an earlier attempt published with one of the drop\'s observations, and only that', () => {
    // The earlier attempt published everything before its worker died: planning again publishes nothing.
    const after = stateAfter(result);
    expect(planEvents(after, result)).toEqual([]);
    const before = publishedBefore(after, result, cmpDrop);
    // The cmp figure and the discrepancy hold the cmp observation; the dtm figure does not.
    expect(before.figures).toBe(1);
    expect(before.detected.map((d) => d.eventId)).toEqual(result.discrepancies.map((d) => d.eventId));
    expect(publishedBefore(after, result, 'another-drop')).toEqual({ figures: 0, detected: [] });
    // Planned and published before, together, are the first attempt's whole output for the drop.
    const planned = planEvents(empty, result).filter((e) => e.type === 'FigureReconciled' && e.sources.some((v) => v.dropId === cmpDrop));
    expect(planned).toHaveLength(before.figures);
  });
});
