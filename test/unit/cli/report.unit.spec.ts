/**
 * The report's RECONCILED FIGURES: totals, and each DTM operation's own series (each DTM API v3
 * row is its operation's figure and a part of the total for its place and date).
 */
import { describe, expect, it } from 'vitest';
import { figuresTable, headlineSeries, operationOf } from '../../../cli/report.js';
import type { FigureRow } from '../../../projections/queries.js';

const figure = (area: string, date: string, value: number, disaggregation = ''): FigureRow => ({
  indicator: 'idps',
  area,
  date,
  value,
  sources: { dtm: value },
  unit: 'individuals',
  seriesKey: `idps|${area}|${disaggregation}|${date}`,
  disaggregation,
  recordedAt: '2026-12-01T00:00:00Z',
});

describe('report series', () => {
  it('reads the operation of a key that names only an operation', () => {
    expect(operationOf('operation=lake chad basin crisis')).toBe('lake chad basin crisis');
    expect(operationOf('operation=earthquake (august-2021)')).toBe('earthquake (august-2021)');
    expect(operationOf('operation=mali conflict,sex=f')).toBeUndefined();
    expect(operationOf('origin=bfa')).toBeUndefined();
    expect(operationOf('')).toBeUndefined();
  });

  it('lists the totals and the operations, not the other disaggregations', () => {
    const series = [
      { indicator: 'idps', disaggregation: '' },
      { indicator: 'idps', disaggregation: 'operation=haiti earthquake' },
      { indicator: 'idps', disaggregation: 'operation=hurricane matthew' },
      { indicator: 'idps', disaggregation: 'operation=hurricane matthew,sex=f' },
      { indicator: 'refugees', disaggregation: 'origin=bfa' },
    ];
    expect(headlineSeries(series)).toEqual([
      { indicator: 'idps', disaggregation: '' },
      { indicator: 'idps', disaggregation: 'operation=haiti earthquake', operation: 'haiti earthquake' },
      { indicator: 'idps', disaggregation: 'operation=hurricane matthew', operation: 'hurricane matthew' },
    ]);
  });

  it("keeps two operations' figures for one place and date apart, each on its own line", () => {
    // Haiti, 2016-12-31, at admin 0: both operations report (rounds 28 and 2 in the real v3 answer;
    // the values are expected.json's, which expected.py computes from it).
    const text = figuresTable([
      { operation: 'haiti earthquake', figure: figure('HTI', '2016-12-31', 46_691, 'operation=haiti earthquake') },
      { operation: 'hurricane matthew', figure: figure('HTI', '2016-12-31', 42_553, 'operation=hurricane matthew') },
    ]);
    expect(text.split('\n')).toEqual([
      'indicator  place        operation          date/period  value   sources',
      '---------  -----------  -----------------  -----------  ------  ----------',
      'idps       Haiti (HTI)  haiti earthquake   2016-12-31   46,691  dtm=46,691',
      'idps       Haiti (HTI)  hurricane matthew  2016-12-31   42,553  dtm=42,553',
    ]);
  });

  it('marks the total of a place and date beside the operations it sums', () => {
    // 89,244 = 46,691 + 42,553: expected.json totals_over_operations, HTI 2016-12-31.
    const text = figuresTable([
      { figure: figure('HTI', '2016-12-31', 89_244) },
      { operation: 'haiti earthquake', figure: figure('HTI', '2016-12-31', 46_691, 'operation=haiti earthquake') },
    ]);
    expect(text.split('\n').slice(2)).toEqual([
      'idps       Haiti (HTI)  (total)           2016-12-31   89,244  dtm=89,244',
      'idps       Haiti (HTI)  haiti earthquake  2016-12-31   46,691  dtm=46,691',
    ]);
  });

  it('has no operation column when no figure is an operation\'s (the Mali example)', () => {
    const text = figuresTable([{ figure: figure('ML05', '2019-07-31', 1234) }]);
    expect(text.split('\n')[0]).toBe('indicator  place         date/period  value  sources');
  });
});
