import { describe, expect, it } from 'vitest';
import * as domain from '../../../domain/index.js';

describe('the domain barrel', () => {
  it('reads the seed figures through one import', () => {
    expect(domain.parseCount('160 000')).toEqual({ ok: true, value: 160000 });
    expect(domain.parsePeriod('31/07/2019', 'stock')).toEqual({ ok: true, value: { kind: 'stock', date: '2019-07-31' } });
    expect(domain.flowBetween('01/01/2018', '15/08/2019')).toEqual({ ok: true, value: { kind: 'flow', start: '2018-01-01', end: '2019-08-15' } });
    expect(domain.matchPlace('Mali', 0)).toMatchObject({ ok: true, value: { pcode: 'MLI' } });
    expect(domain.getIndicator('returned_migrants').kind).toBe('flow');
  });
});
