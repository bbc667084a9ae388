import { describe, expect, it } from 'vitest';
import { DiscrepancyDetected } from '../../../domain/events.js';
import { reconcile } from '../../../domain/reconcile/index.js';
import { dtm2019, obs, policy } from './fixtures.js';

const REGIONS = ['ML01', 'ML02', 'ML03', 'ML04', 'ML05', 'ML06', 'ML07', 'ML08', 'ML09', 'ML10'];

describe('reconcile: causes of discrepancies', () => {
  it('calls households against individuals a definition mismatch', () => {
    const households = obs({ source: 'cmp', value: 30_000, date: '2019-07-31', unit: 'households' });
    const { discrepancies } = reconcile([dtm2019, households], policy);
    expect(discrepancies).toHaveLength(1);
    expect(discrepancies[0]?.cause).toBe('definition_mismatch');
    expect(discrepancies[0]?.explanation).toBe(
      'cmp 30,000 households vs dtm 160,000 individuals on 2019-07-31: 81.3% apart; households and individuals are different units',
    );
  });

  it('calls households against individuals on different dates a definition mismatch too', () => {
    const households = obs({ source: 'cmp', value: 30_000, date: '2020-03-31', unit: 'households' });
    const [d] = reconcile([dtm2019, households], policy).discrepancies;
    expect(d?.cause).toBe('definition_mismatch');
    expect(d?.explanation).toContain('households and individuals are different units, and the reference dates differ by 244 days');
  });

  it('compares a stock with a flow only to report a definition mismatch', () => {
    const flow = obs({ source: 'iom-avr', value: 45_000, flow: ['2019-01-01', '2019-12-31'] });
    const [d, ...rest] = reconcile([dtm2019, flow], policy).discrepancies;
    expect(rest).toEqual([]);
    expect(d?.cause).toBe('definition_mismatch');
    expect(d?.explanation).toContain('dtm stock 160,000 on 2019-07-31 vs iom-avr flow 45,000 over 2019-01-01 to 2019-12-31');
    expect(d?.explanation).toContain('a stock (people present on a date) is not comparable with a flow');
  });

  it('never adds flows of overlapping periods, and reports them as a definition mismatch', () => {
    const iom = obs({ source: 'dtm', indicator: 'returned_migrants', value: 12_166, flow: ['2018-01-01', '2019-08-15'] });
    const ministry = obs({ source: 'mmeia', indicator: 'returned_migrants', value: 15_000, flow: ['2018-01-01', '2019-12-31'] });
    const { figures, discrepancies } = reconcile([iom, ministry], policy);
    expect(figures.map((f) => f.value)).toEqual([12_166, 15_000]);
    expect(discrepancies.map((d) => d.cause)).toEqual(['definition_mismatch']);
    expect(discrepancies[0]?.explanation).toContain('the periods overlap but differ');
  });

  it('leaves flows of disjoint periods alone, and compares flows of one period', () => {
    const y2018 = obs({ source: 'dtm', indicator: 'returned_migrants', value: 10_000, flow: ['2018-01-01', '2018-12-31'] });
    const y2019 = obs({ source: 'mmeia', indicator: 'returned_migrants', value: 20_000, flow: ['2019-01-01', '2019-12-31'] });
    expect(reconcile([y2018, y2019], policy).discrepancies).toEqual([]);
    const same = obs({ source: 'mmeia', indicator: 'returned_migrants', value: 20_000, flow: ['2018-01-01', '2018-12-31'] });
    const [d] = reconcile([y2018, same], policy).discrepancies;
    expect(d?.cause).toBe('unexplained');
    expect(d?.explanation).toContain('for the same period and unit');
  });

  it('does not compare different disaggregations', () => {
    const women = obs({ source: 'cmp', value: 90_000, disaggregation: { sex: 'f' } });
    expect(reconcile([dtm2019, women], policy).discrepancies).toEqual([]);
  });

  it('explains a national figure against 7 of 10 regions by partial coverage, naming the missing regions', () => {
    const national = obs({ source: 'cmp', value: 171_000, date: '2020-03-31' });
    const regions = REGIONS.slice(0, 7).map((area) => obs({ source: 'dtm', area, value: 17_000, date: '2020-03-31' }));
    const { discrepancies } = reconcile([national, ...regions], policy);
    expect(discrepancies).toHaveLength(1);
    const [d] = discrepancies;
    expect(d?.cause).toBe('partial_coverage');
    expect(d?.area).toBe('MLI');
    expect(d?.groupKey).toBe(national.groupKey);
    expect(d?.values.map((v) => [v.source, v.value])).toEqual([
      ['cmp', 171_000],
      ['dtm:sum-of-regions', 119_000],
    ]);
    expect(d?.explanation).toBe(
      'cmp 171,000 on 2020-03-31 vs the sum of 7 regions (dtm:sum-of-regions) 119,000: 30.4% apart; missing regions: ML08 Kidal, ML09 Bamako, ML10 Ménaka',
    );
    expect(() => DiscrepancyDetected.parse(d)).not.toThrow();
  });

  it('calls a gap with all 10 regions present unexplained, and a sum that matches nothing', () => {
    const national = obs({ source: 'cmp', value: 171_000, date: '2020-03-31' });
    const all = REGIONS.map((area) => obs({ source: 'dtm', area, value: 15_000, date: '2020-03-31' }));
    const [d] = reconcile([national, ...all], policy).discrepancies;
    expect(d?.cause).toBe('unexplained');
    expect(d?.explanation).toContain('all 10 regions are present');
    const matching = REGIONS.map((area) => obs({ source: 'dtm', area, value: 17_100, date: '2020-03-31' }));
    expect(reconcile([national, ...matching], policy).discrepancies).toEqual([]);
  });

  it('does not blame missing regions when the regions present already exceed the national figure', () => {
    const national = obs({ source: 'cmp', value: 100_000, date: '2020-03-31' });
    const regions = REGIONS.slice(0, 7).map((area) => obs({ source: 'dtm', area, value: 20_000, date: '2020-03-31' }));
    const [d] = reconcile([national, ...regions], policy).discrepancies;
    expect(d?.cause).toBe('unexplained');
    expect(d?.explanation).toContain('do not explain the gap');
  });

  it('sums the reconciled regional figures, whichever source each comes from', () => {
    const national = obs({ source: 'dtm', value: 200_000, date: '2020-03-31' });
    const regions = [
      obs({ source: 'cmp', area: 'ML01', value: 60_000, date: '2020-03-31' }),
      obs({ source: 'dtm', area: 'ML01', value: 1, date: '2020-03-31' }),
      obs({ source: 'dtm', area: 'ML02', value: 40_000, date: '2020-03-31' }),
    ];
    const coverage = reconcile([national, ...regions], policy).discrepancies.filter((d) => d.area === 'MLI');
    expect(coverage.map((d) => d.values[1]?.source)).toEqual(['cmp+dtm:sum-of-regions']);
    expect(coverage[0]?.values[1]?.value).toBe(100_000);
  });
});
