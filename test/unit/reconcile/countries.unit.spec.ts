/** Sum-of-regions checks per country: a national figure meets its own country's admin-1 areas only. */
import { describe, expect, it } from 'vitest';
import type { ObservationRecorded } from '../../../domain/events.js';
import { reconcile } from '../../../domain/reconcile/index.js';
import { regions } from '../../../domain/places.js';
import { obs, policy, type ObsInput } from './fixtures.js';

/** An observation of any country's place, with the level its P-code has. */
function at(input: ObsInput & { area: string; level: 0 | 1 }): ObservationRecorded {
  return { ...obs(input), areaLevel: input.level };
}

describe("Chad's national figure", () => {
  const date = '2020-03-31';
  const chad = at({ source: 'dtm', area: 'TCD', level: 0, value: 100_000, date });
  const lac = at({ source: 'dtm', area: 'TD07', level: 1, value: 40_000, date });
  const batha = at({ source: 'dtm', area: 'TD01', level: 1, value: 30_000, date });
  const mopti = at({ source: 'dtm', area: 'ML05', level: 1, value: 500_000, date });
  const mali = at({ source: 'cmp', area: 'MLI', level: 0, value: 520_000, date });

  it("is compared with the sum of Chad's provinces only, never with Mali's regions", () => {
    const coverage = reconcile([chad, lac, batha, mopti, mali], policy).discrepancies.filter((d) => d.values[1]?.source.endsWith('sum-of-regions'));
    const forChad = coverage.filter((d) => d.area === 'TCD');
    expect(forChad).toHaveLength(1);
    const [d] = forChad;
    expect(d!.values.map((v) => [v.source, v.value])).toEqual([
      ['dtm', 100_000],
      ['dtm:sum-of-regions', 70_000],
    ]);
    expect(d!.cause).toBe('partial_coverage');
    const missing = regions('TCD')
      .filter((r) => r.pcode !== 'TD01' && r.pcode !== 'TD07')
      .map((r) => `${r.pcode} ${r.name}`);
    expect(missing).toHaveLength(21);
    expect(d!.explanation).toBe(`dtm 100,000 on ${date} vs the sum of 2 regions (dtm:sum-of-regions) 70,000: 30% apart; missing regions: ${missing.join(', ')}`);
    expect(d!.explanation).not.toMatch(/ML\d/);
  });

  it("leaves Mali's national figure to Mali's regions", () => {
    const coverage = reconcile([chad, lac, batha, mopti, mali], policy).discrepancies.filter((d) => d.area === 'MLI');
    // Mopti's 500,000 is within 5% of Mali's 520,000; with Chad's 70,000 added it would be 8.8% over.
    expect(coverage).toEqual([]);
    const alone = reconcile([mali, lac, batha], policy).discrepancies;
    expect(alone.filter((d) => d.area === 'MLI')).toEqual([]);
  });
});
