import { describe, expect, it } from 'vitest';
import { DiscrepancyDetected, FigureReconciled } from '../../../domain/events.js';
import { describeRule, reconcile } from '../../../domain/reconcile/index.js';
import { cmp2020, dtm2019, obs, policy, shuffled } from './fixtures.js';

describe('reconcile: the seeds\' IDP figures', () => {
  it('raises one discrepancy caused by different reference dates, with both dates and values', () => {
    const { figures, discrepancies } = reconcile([dtm2019, cmp2020], policy);
    expect(figures).toHaveLength(2);
    expect(discrepancies).toHaveLength(1);
    const [d] = discrepancies;
    expect(d?.cause).toBe('different_reference_dates');
    expect(d?.gap.absolute).toBe(11_000);
    expect(d?.gap.relative).toBeCloseTo(11_000 / 171_000, 10);
    expect(d?.tolerance).toBe(0.05);
    expect(d?.explanation).toBe('dtm 160,000 on 2019-07-31 vs cmp 171,000 on 2020-03-31: 6.4% apart; the reference dates differ by 244 days');
    expect(d?.values.map((v) => v.source)).toEqual(['cmp', 'dtm']);
    expect(d?.recordedAt).toBe('2020-04-15T09:00:00Z');
    expect(() => DiscrepancyDetected.parse(d)).not.toThrow();
    for (const f of figures) expect(() => FigureReconciled.parse(f)).not.toThrow();
  });

  it('calls the same gap on the same date unexplained', () => {
    const cmpSameDate = obs({ source: 'cmp', value: 171_000, date: '2019-07-31' });
    const { figures, discrepancies } = reconcile([dtm2019, cmpSameDate], policy);
    expect(figures).toHaveLength(1);
    expect(discrepancies.map((d) => d.cause)).toEqual(['unexplained']);
    expect(discrepancies[0]?.explanation).toContain('beyond the 5% tolerance');
  });

  it('raises nothing within the tolerance', () => {
    const close = obs({ source: 'cmp', value: 167_000, date: '2020-03-31' });
    expect(reconcile([dtm2019, close], policy).discrepancies).toEqual([]);
    const sameDate = obs({ source: 'cmp', value: 167_000, date: '2019-07-31' });
    expect(reconcile([dtm2019, sameDate], policy).discrepancies).toEqual([]);
  });

  it('honours a per-indicator tolerance', () => {
    const loose = { ...policy, tolerance: { idps: 0.1 } };
    expect(reconcile([dtm2019, cmp2020], loose).discrepancies).toEqual([]);
  });

  it('does not compare stocks further apart than the comparison window', () => {
    const narrow = { ...policy, comparisonWindowDays: 200 };
    expect(reconcile([dtm2019, cmp2020], narrow).discrepancies).toEqual([]);
  });
});

describe('reconcile: figures', () => {
  it('chooses by priority, then by the most recent record', () => {
    const older = obs({ source: 'cmp', value: 171_000, recordedAt: '2020-01-01T00:00:00Z' });
    const newer = obs({ source: 'dtm', value: 172_000, recordedAt: '2020-05-01T00:00:00Z' });
    const newest = obs({ source: 'unhcr', value: 173_000, recordedAt: '2020-06-01T00:00:00Z' });
    const [byPriority] = reconcile([older, newer, newest], policy).figures;
    expect(byPriority?.chosenSource).toBe('cmp');
    expect(byPriority?.value).toBe(171_000);
    expect(byPriority?.rule).toBe('priority cmp > dtm, then most recent record');
    expect(byPriority?.sources.map((s) => s.source)).toEqual(['cmp', 'dtm', 'unhcr']);
    expect(byPriority?.spread).toEqual({ min: 171_000, max: 173_000, relative: 2_000 / 173_000 });
    expect(byPriority?.recordedAt).toBe('2020-06-01T00:00:00Z');

    const unlisted = [obs({ source: 'unhcr', value: 1, recordedAt: '2020-06-01T00:00:00Z' }), obs({ source: 'iom', value: 2, recordedAt: '2020-02-01T00:00:00Z' })];
    const [byRecency] = reconcile(unlisted, policy).figures;
    expect(byRecency?.chosenSource).toBe('unhcr');
  });

  it('describes the rule with and without a priority', () => {
    expect(describeRule(policy, 'idps')).toBe('priority cmp > dtm, then most recent record');
    expect(describeRule(policy, 'refugees')).toBe('most recent record');
  });

  it('counts a figure re-sent in another drop once, at its earliest record', () => {
    const again = { ...dtm2019, dropId: 'dtm-drop-2', eventId: `${dtm2019.observationId}@dtm-drop-2`, recordedAt: '2021-01-01T00:00:00Z' };
    const { figures } = reconcile([again, dtm2019, again], policy);
    expect(figures).toHaveLength(1);
    expect(figures[0]?.sources).toHaveLength(1);
    expect(figures[0]?.sources[0]?.dropId).toBe('dtm-drop');
    expect(figures[0]?.recordedAt).toBe(dtm2019.recordedAt);
  });

  it('keeps the latest revision of a source, ties broken by drop id', () => {
    const first = obs({ source: 'cmp', value: 171_000, date: '2020-03-31', dropId: 'a', recordedAt: '2020-04-15T09:00:00Z' });
    const revised = obs({ source: 'cmp', value: 162_000, date: '2020-03-31', dropId: 'b', recordedAt: '2020-06-01T00:00:00Z' });
    expect(reconcile([revised, first], policy).figures[0]?.value).toBe(162_000);
    const tie = obs({ source: 'cmp', value: 150_000, date: '2020-03-31', dropId: 'c', recordedAt: '2020-06-01T02:00:00+02:00' });
    expect(reconcile([tie, revised, first], policy).figures[0]?.value).toBe(150_000);
    expect(reconcile([first, revised, tie], policy).figures[0]?.value).toBe(150_000);
  });

  it('ignores what was recorded after asOf', () => {
    const first = obs({ source: 'cmp', value: 171_000, date: '2020-03-31', dropId: 'a', recordedAt: '2020-04-15T09:00:00Z' });
    const revised = obs({ source: 'cmp', value: 162_000, date: '2020-03-31', dropId: 'b', recordedAt: '2020-06-01T00:00:00Z' });
    const all = [dtm2019, first, revised];
    expect(reconcile(all, policy, { asOf: '2020-05-01T00:00:00Z' }).figures.find((f) => f.area === 'MLI' && f.chosenSource === 'cmp')?.value).toBe(171_000);
    expect(reconcile(all, policy, { asOf: '2020-05-01T00:00:00Z' }).discrepancies).toHaveLength(1);
    expect(reconcile(all, policy, { asOf: '2020-04-15' }).figures).toHaveLength(2);
    expect(reconcile(all, policy, { asOf: '2019-12-31T23:59:59Z' }).figures.map((f) => f.chosenSource)).toEqual(['dtm']);
    expect(reconcile(all, policy, { asOf: '2020-07-01T00:00:00Z' }).discrepancies).toEqual([]);
  });

  it('gives the same result, event ids included, whatever the input order', () => {
    const regions = ['ML01', 'ML02', 'ML03'].map((area, i) => obs({ source: 'dtm', area, value: 10_000 * (i + 1), date: '2019-07-31' }));
    const input = [
      dtm2019,
      cmp2020,
      obs({ source: 'cmp', value: 171_000, date: '2019-07-31' }),
      obs({ source: 'unhcr', value: 12_166, flow: ['2018-01-01', '2019-08-15'], indicator: 'returned_migrants' }),
      obs({ source: 'mmeia', value: 15_000, flow: ['2018-01-01', '2019-12-31'], indicator: 'returned_migrants' }),
      ...regions,
      { ...dtm2019, dropId: 'resent', eventId: `${dtm2019.observationId}@resent`, recordedAt: '2021-01-01T00:00:00Z' },
    ];
    const expected = reconcile(input, policy);
    expect(expected.discrepancies.length).toBeGreaterThan(2);
    for (const seed of [1, 2, 3, 42, 1234]) expect(reconcile(shuffled(input, seed), policy)).toEqual(expected);
    expect(reconcile([...input].reverse(), policy)).toEqual(expected);
  });

  it('rejects a policy it cannot apply, naming the field', () => {
    expect(() => reconcile([dtm2019], { priority: {}, tolerance: { idps: 5 } })).toThrow('ReconcilePolicy.tolerance.idps must be a fraction between 0 and 1, found 5');
    expect(() => reconcile([dtm2019], { priority: {}, comparisonWindowDays: -1 })).toThrow('ReconcilePolicy.comparisonWindowDays');
    expect(() => reconcile([dtm2019], policy, { asOf: 'yesterday' })).toThrow('reconcile opts.asOf must be an ISO date-time, found "yesterday"');
  });
});
