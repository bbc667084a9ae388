import type { Disaggregation, ObservationRecorded, Period, Unit } from '../../../domain/events.js';
import { groupKey, observationId, seriesKey } from '../../../domain/series.js';
import type { ReconcilePolicy } from '../../../domain/reconcile/index.js';

export interface ObsInput {
  source: string;
  value: number;
  date?: string;
  flow?: [start: string, end: string];
  indicator?: string;
  area?: string;
  unit?: Unit;
  disaggregation?: Disaggregation;
  dropId?: string;
  recordedAt?: string;
}

/** An ObservationRecorded with the keys built the way the pipeline builds them. */
export function obs(input: ObsInput): ObservationRecorded {
  const indicator = input.indicator ?? 'idps';
  const area = input.area ?? 'MLI';
  const d = input.disaggregation ?? {};
  const period: Period = input.flow ? { kind: 'flow', start: input.flow[0], end: input.flow[1] } : { kind: 'stock', date: input.date ?? '2019-07-31' };
  const unit = input.unit ?? 'individuals';
  const series = seriesKey(indicator, area, period, d);
  const id = observationId(input.source, series, input.value, unit);
  const dropId = input.dropId ?? `${input.source}-drop`;
  return {
    type: 'ObservationRecorded',
    eventId: `${id}@${dropId}`,
    observationId: id,
    seriesKey: series,
    groupKey: groupKey(indicator, area, d),
    dropId,
    source: input.source,
    rows: [1],
    indicator,
    area: area as ObservationRecorded['area'],
    areaLevel: area === 'MLI' ? 0 : area.length === 4 ? 1 : 2,
    period,
    value: input.value,
    unit,
    disaggregation: d,
    recordedAt: input.recordedAt ?? '2020-06-01T00:00:00Z',
  };
}

export const policy: ReconcilePolicy = { priority: { idps: ['cmp', 'dtm'] } };

/** The seeds' case: IOM's 160,000 IDPs on 31 July 2019 and the CMP's 171,000 in 2020. */
export const dtm2019 = obs({ source: 'dtm', value: 160_000, date: '2019-07-31', recordedAt: '2019-08-20T09:00:00Z' });
export const cmp2020 = obs({ source: 'cmp', value: 171_000, date: '2020-03-31', recordedAt: '2020-04-15T09:00:00Z' });

/** A deterministic shuffle (no Math.random: a failing order must be reproducible). */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let state = seed;
  for (let i = out.length - 1; i > 0; i--) {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}
