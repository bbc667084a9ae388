/** One small history of Mopti, Tombouctou and Mali, with a revision, two sources, a flow and a resolved discrepancy. */
import type { TallyEvent } from '../../../domain/events.js';
import {
  discrepancyDetected,
  discrepancyResolved,
  dropProcessed,
  dropReceived,
  figure,
  observation,
  rowDuplicated,
  rowRejected,
} from './fixtures.js';

export const NASTY = "'; DROP TABLE rejections; -- \\ /* x */";

export function scenario() {
  const dropA = dropReceived('dtm-r47.csv', 'dtm', '2019-08-10T08:00:00Z');
  const dropB = dropReceived('cmp-2020.csv', 'cmp', '2020-03-01T09:30:00Z');
  const dropC = dropReceived('dtm-r47-rev.csv', 'dtm', '2019-09-15T10:00:00Z');
  const at = (d: typeof dropA) => ({ recordedAt: d.receivedAt, drop: d.fileName });

  const dtmMopti = observation({ source: 'dtm', area: 'ML05', value: 70512, rows: [2, 3], ...at(dropA) });
  const dtmTombouctou = observation({ source: 'dtm', area: 'ML06', value: 20000, rows: [4], ...at(dropA) });
  const dtmMoptiWomen = observation({ source: 'dtm', area: 'ML05', value: 36000, rows: [5], disaggregation: { sex: 'f' }, ...at(dropA) });
  const dtmMoptiRevised = observation({ source: 'dtm', area: 'ML05', value: 71000, rows: [2], ...at(dropC) });
  const cmpMopti = observation({ source: 'cmp', area: 'ML05', value: 75000, rows: [1], ...at(dropB) });
  const cmpMali = observation({ source: 'cmp', area: 'MLI', value: 171000, rows: [2], period: { kind: 'stock', date: '2020-02-29' }, ...at(dropB) });
  const returns = observation({
    source: 'iom-avr',
    indicator: 'returned_migrants',
    area: 'MLI',
    value: 12166,
    period: { kind: 'flow', start: '2018-01-01', end: '2019-08-15' },
    ...at(dropA),
  });

  const figMopti1 = figure(dtmMopti);
  const figMopti2 = figure(dtmMoptiRevised);
  const figMopti3 = figure(cmpMopti, [dtmMoptiRevised]);
  const figTombouctou = figure(dtmTombouctou);
  const figMali = figure(cmpMali);
  const figReturns = figure(returns);
  const figMoptiWomen = figure(dtmMoptiWomen);

  const openGap = discrepancyDetected(cmpMopti, dtmMoptiRevised, '2020-03-01T09:30:00Z');
  const closedGap = discrepancyDetected(dtmMopti, dtmTombouctou, '2019-08-10T08:00:00Z');
  const closed = discrepancyResolved(closedGap, '2019-09-15T10:00:00Z');

  const events: TallyEvent[] = [
    dropA,
    dtmMopti,
    dtmTombouctou,
    dtmMoptiWomen,
    returns,
    rowDuplicated(dropA, 6, dtmMopti),
    rowRejected(dropA, 7, '140 8001'),
    rowRejected(dropA, 9, NASTY, "Région'--"),
    dropProcessed(dropA, { rows: 9, accepted: 6, rejected: 2, duplicates: 1, observations: 4, revisions: 0 }),
    figMopti1,
    figTombouctou,
    figReturns,
    figMoptiWomen,
    closedGap,
    dropC,
    dtmMoptiRevised,
    figMopti2,
    closed,
    dropB,
    cmpMopti,
    cmpMali,
    dropProcessed(dropB, { rows: 2, accepted: 2, rejected: 0, duplicates: 0, observations: 2, revisions: 0 }),
    figMopti3,
    figMali,
    openGap,
  ];
  return { events, dropA, dropB, dropC, dtmMopti, dtmMoptiRevised, cmpMopti, figMopti3, openGap, closedGap };
}
