/** The events a drop's rows turn into, built the same way wherever a row is read. */
import type { ObservationRecorded, RowDuplicated, RowRejected } from '../domain/events.js';
import { groupKey, shortHash } from '../domain/series.js';
import { rejectionReason, type RowFigure } from './normalise.js';

export interface DropContext {
  dropId: string;
  source: string;
  fileName: string;
  receivedAt: string;
  /** `tally ingest --country` (ISO 3166 alpha-3), when given: see normalise.ts `RowPlaces`. */
  country?: string;
}

export function observationRecorded(ctx: DropContext, figure: RowFigure, series: string, value: number, rows: number[], id: string): ObservationRecorded {
  return {
    type: 'ObservationRecorded',
    eventId: `${id}@${ctx.dropId}`,
    observationId: id,
    seriesKey: series,
    groupKey: groupKey(figure.indicator, figure.area.pcode, figure.disaggregation),
    dropId: ctx.dropId,
    source: ctx.source,
    rows: [...rows].sort((a, b) => a - b),
    indicator: figure.indicator,
    area: figure.area.pcode,
    areaLevel: figure.area.level,
    period: figure.period,
    value,
    unit: figure.unit,
    disaggregation: figure.disaggregation,
    recordedAt: ctx.receivedAt,
  };
}

export function rowRejected(ctx: DropContext, row: number, r: { column?: string; expected: string; found: string; hint?: string }): RowRejected {
  return {
    type: 'RowRejected',
    eventId: shortHash('rejected', ctx.dropId, row),
    dropId: ctx.dropId,
    source: ctx.source,
    fileName: ctx.fileName,
    row,
    column: r.column,
    expected: r.expected,
    found: r.found,
    reason: rejectionReason(ctx.fileName, row, r),
    recordedAt: ctx.receivedAt,
  };
}

export function rowDuplicated(ctx: DropContext, row: number, obsId: string, reason: RowDuplicated['reason'], detail: string): RowDuplicated {
  return {
    type: 'RowDuplicated',
    eventId: shortHash('duplicate', ctx.dropId, row),
    dropId: ctx.dropId,
    source: ctx.source,
    row,
    observationId: obsId,
    reason,
    detail,
    recordedAt: ctx.receivedAt,
  };
}
