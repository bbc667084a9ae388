/** The events a drop's rows turn into, built the same way wherever a row is read. */
import type { ObservationRecorded, RejectionKind, RowDuplicated, RowRejected } from '../domain/events.js';
import { groupKey, shortHash } from '../domain/series.js';
import { capText } from '../domain/errors.js';
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
    // A row with two parts of one figure (IDMC's conflict and disaster stocks) is listed once.
    rows: [...new Set(rows)].sort((a, b) => a - b),
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

/** A rejected row; `rejection` is its kind (RowRejected.kind). Long texts are capped to one short line. */
export function rowRejected(ctx: DropContext, row: number, given: { column?: string; expected: string; found: string; hint?: string; rejection?: RejectionKind }): RowRejected {
  const r = { ...capped(given), rejection: given.rejection };
  const event: RowRejected = {
    type: 'RowRejected',
    eventId: shortHash('rejected', ctx.dropId, row),
    dropId: ctx.dropId,
    source: ctx.source,
    fileName: ctx.fileName,
    row,
    column: r.column,
    expected: r.expected,
    found: r.found,
    // One line, whatever the cell held (a quoted CSV field may span lines).
    reason: rejectionReason(ctx.fileName, row, r).replace(/\s*[\r\n]+\s*/g, ' '),
    recordedAt: ctx.receivedAt,
  };
  if (r.rejection) event.kind = r.rejection;
  return event;
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

/** Longest found value, hint and column a rejection keeps: a 20 MB cell must not make a 20 MB event (or message). */
const MAX_FOUND_CHARS = 200;

function capped<T extends { column?: string; found: string; hint?: string }>(r: T): T {
  const cap = (text: string | undefined) => (text === undefined ? undefined : capText(text, MAX_FOUND_CHARS));
  return { ...r, found: capText(r.found, MAX_FOUND_CHARS), column: cap(r.column), hint: cap(r.hint) };
}
