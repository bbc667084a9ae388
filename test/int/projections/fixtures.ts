/** Valid events for projection tests, built the way the pipeline builds them (domain/series.ts keys). */
import { createHash } from 'node:crypto';
import type {
  DiscrepancyDetected,
  DiscrepancyResolved,
  Disaggregation,
  DropProcessed,
  DropReceived,
  FigureReconciled,
  ObservationRecorded,
  Period,
  RowDuplicated,
  RowRejected,
  SourceValue,
  TallyEvent,
} from '../../../domain/events.js';
import { groupKey, observationId, seriesKey, shortHash } from '../../../domain/series.js';

export const dropIdOf = (name: string) => createHash('sha256').update(name).digest('hex');

export interface ObsInput {
  source: string;
  area: string;
  value: number;
  recordedAt: string;
  indicator?: string;
  period?: Period;
  drop?: string;
  rows?: number[];
  disaggregation?: Disaggregation;
}

const stock = (date: string): Period => ({ kind: 'stock', date });

export function observation(o: ObsInput): ObservationRecorded {
  const indicator = o.indicator ?? 'idps';
  const period = o.period ?? stock('2019-07-31');
  const d = o.disaggregation ?? {};
  const series = seriesKey(indicator, o.area, period, d);
  const obsId = observationId(o.source, series, o.value, 'individuals');
  const dropId = dropIdOf(o.drop ?? `${o.source}-${o.recordedAt}`);
  return {
    type: 'ObservationRecorded',
    eventId: `${obsId}@${dropId}`,
    observationId: obsId,
    seriesKey: series,
    groupKey: groupKey(indicator, o.area, d),
    dropId,
    source: o.source,
    rows: o.rows ?? [1],
    indicator,
    area: o.area,
    areaLevel: o.area === 'MLI' ? 0 : o.area.length === 4 ? 1 : 2,
    period,
    value: o.value,
    unit: 'individuals',
    disaggregation: d,
    recordedAt: o.recordedAt,
  };
}

export function sourceValue(o: ObservationRecorded): SourceValue {
  return { source: o.source, value: o.value, observationId: o.observationId, dropId: o.dropId, period: o.period, unit: o.unit, recordedAt: o.recordedAt };
}

/** The reconciled figure of some observations of one series: the first is the chosen one. */
export function figure(chosen: ObservationRecorded, others: ObservationRecorded[] = []): FigureReconciled {
  const all = [chosen, ...others];
  const values = all.map((o) => o.value);
  const [min, max] = [Math.min(...values), Math.max(...values)];
  const recordedAt = all.map((o) => o.recordedAt).sort().at(-1)!;
  return {
    type: 'FigureReconciled',
    eventId: shortHash('fig', chosen.seriesKey, chosen.value, ...all.map((o) => o.eventId)),
    seriesKey: chosen.seriesKey,
    groupKey: chosen.groupKey,
    indicator: chosen.indicator,
    area: chosen.area,
    period: chosen.period,
    disaggregation: chosen.disaggregation,
    value: chosen.value,
    unit: chosen.unit,
    chosenSource: chosen.source,
    rule: 'priority(cmp>dtm) then recency',
    sources: all.map(sourceValue),
    spread: { min, max, relative: max === 0 ? 0 : (max - min) / max },
    recordedAt,
  };
}

export function discrepancyDetected(a: ObservationRecorded, b: ObservationRecorded, recordedAt: string): DiscrepancyDetected {
  const discrepancyId = shortHash('disc', a.groupKey, a.source, b.source);
  const gap = Math.abs(a.value - b.value);
  return {
    type: 'DiscrepancyDetected',
    eventId: shortHash('dd', discrepancyId, recordedAt),
    discrepancyId,
    groupKey: a.groupKey,
    indicator: a.indicator,
    area: a.area,
    values: [sourceValue(a), sourceValue(b)],
    gap: { absolute: gap, relative: gap / Math.max(a.value, b.value) },
    tolerance: 0.05,
    cause: 'different_reference_dates',
    explanation: `${a.source} says ${a.value}, ${b.source} says ${b.value}: different reference dates`,
    recordedAt,
  };
}

export function discrepancyResolved(d: DiscrepancyDetected, recordedAt: string): DiscrepancyResolved {
  return {
    type: 'DiscrepancyResolved',
    eventId: shortHash('dr', d.discrepancyId, recordedAt),
    discrepancyId: d.discrepancyId,
    groupKey: d.groupKey,
    indicator: d.indicator,
    area: d.area,
    values: d.values,
    explanation: 'a revision brought the sources within tolerance',
    recordedAt,
  };
}

export function dropReceived(name: string, source: string, receivedAt: string): DropReceived {
  const dropId = dropIdOf(name);
  return { type: 'DropReceived', eventId: `recv@${dropId}`, dropId, source, fileName: name, bytes: 1234, format: 'csv', receivedAt };
}

export function dropProcessed(r: DropReceived, counts: Pick<DropProcessed, 'rows' | 'accepted' | 'rejected' | 'duplicates' | 'observations' | 'revisions'>): DropProcessed {
  return { type: 'DropProcessed', eventId: `done@${r.dropId}`, dropId: r.dropId, source: r.source, fileName: r.fileName, status: 'processed', ...counts, receivedAt: r.receivedAt };
}

export function rowRejected(r: DropReceived, row: number, found: string, column = 'Nombre de PDI'): RowRejected {
  return {
    type: 'RowRejected',
    eventId: shortHash('rej', r.dropId, row),
    dropId: r.dropId,
    source: r.source,
    fileName: r.fileName,
    row,
    column,
    expected: 'a count',
    found,
    reason: `${r.fileName} row ${row}, column "${column}": expected a count, found ${JSON.stringify(found)}`,
    recordedAt: r.receivedAt,
  };
}

export function rowDuplicated(r: DropReceived, row: number, of: ObservationRecorded): RowDuplicated {
  return {
    type: 'RowDuplicated',
    eventId: shortHash('dup', r.dropId, row),
    dropId: r.dropId,
    source: r.source,
    row,
    observationId: of.observationId,
    reason: 'repeated_row',
    detail: `row ${row} repeats row ${of.rows[0]}`,
    recordedAt: r.receivedAt,
  };
}

/** The Kafka key the pipeline uses: the group for figures and observations, else the drop. */
export function keyOf(e: TallyEvent): string {
  return 'groupKey' in e ? e.groupKey : e.dropId;
}
