/**
 * The read side's questions, as functions returning plain JSON-able objects. Every input is
 * checked by zod first (codes, P-codes, dates) and then reaches SQL only through sql.ts.
 * Every read goes through FINAL or LIMIT 1 BY, so a redelivered event never shows twice.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { z } from 'zod';
import { DROP_ID_PATTERN, DROP_ID_RULE, PCODE_PATTERN, PCODE_RULE } from '../domain/codes.js';
import type { SourceValue } from '../domain/events.js';
import { isoFromClickHouse, selectRows, toNumber } from '../adapters/clickhouse.js';
import { isCalendarDate, quoteDate, quoteDateTime, quoteNumber, quoteString, toClickHouseDateTime } from '../adapters/sql.js';

/** A query input that fails its rule: bad input, never worth a retry. */
export class QueryInputError extends Error {
  override readonly name = 'QueryInputError';
  readonly type = 'QueryInputError';
  constructor(
    message: string,
    readonly field: string,
    readonly found: unknown,
  ) {
    super(message);
  }
}

const CODE_RE = /^[a-z][a-z0-9_-]*$/;
export const CODE = z.string().max(64).regex(CODE_RE, `expected a code matching ${CODE_RE}`);
export const PCODE = z.string().regex(PCODE_PATTERN, PCODE_RULE);
export const DATE = z.string().refine(isCalendarDate, 'expected a date YYYY-MM-DD');
export const AS_OF = z.string().refine((s) => {
  try {
    toClickHouseDateTime(s);
    return true;
  } catch {
    return false;
  }
}, 'expected an ISO date-time such as 2020-01-31T12:00:00Z, or a date');
export const DROP_ID = z.string().regex(DROP_ID_PATTERN, DROP_ID_RULE);
const DROP_ID_OR_PREFIX = z.string().regex(/^[0-9a-f]{6,64}$/, 'expected a drop id or its first 6+ hex digits');
const LIMIT = z.number().int().min(1).max(1_000_000);
const KEY = z.string().max(2000);

function show(found: unknown): string {
  const text = JSON.stringify(found) ?? String(found);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Parses `value` with `schema`, or throws a QueryInputError naming the field, the rule and what was found. */
export function parseInput<T>(schema: z.ZodType<T>, value: unknown, field: string): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const path = [field, ...issue.path.map(String)].join('.');
  const found = issue.path.reduce<unknown>((v, k) => (v as Record<PropertyKey, unknown> | undefined)?.[k as PropertyKey], value);
  throw new QueryInputError(`${path}: ${issue.message}, found ${show(found)}`, path, found);
}

/** A date given alone means the end of that day: "as known on 2020-01-31" includes what came that day. */
function asOfSql(asOf: string): string {
  return quoteDateTime(/^\d{4}-\d{2}-\d{2}$/.test(asOf) ? `${asOf}T23:59:59Z` : asOf);
}


// ---------------------------------------------------------------------------------------------
// Figures

export const FigureQuery = z.object({
  indicator: CODE,
  area: PCODE.optional(),
  from: DATE.optional(),
  to: DATE.optional(),
  source: CODE.optional(),
  asOf: AS_OF.optional(),
  /** A disaggregation key (`sex=f`, see series.ts); the total series ('') when absent. */
  disaggregation: KEY.optional(),
});
export type FigureQuery = z.input<typeof FigureQuery>;

/** One figure, shaped as `tally query --format json` prints it. */
export interface FigureRow {
  indicator: string;
  area: string;
  /** A stock's reference date. */
  date?: string;
  /** A flow's period (inclusive). */
  periodStart?: string;
  periodEnd?: string;
  value: number;
  /** With `source`: the source the value comes from. */
  source?: string;
  /** Without `source`: each source's value behind the reconciled figure. */
  sources?: Record<string, number>;
  unit: string;
  seriesKey: string;
  disaggregation: string;
  /** When the figure became known (record time). */
  recordedAt: string;
}

interface RawFigure {
  indicator: string;
  area: string;
  kind: 'stock' | 'flow';
  p_start: string;
  p_end: string;
  value: number;
  unit: string;
  series_key: string;
  disaggregation: string;
  recorded: string;
  source?: string;
  sources?: string;
  chosen_source?: string;
  rule?: string;
  spread_min?: number;
  spread_max?: number;
  spread_relative?: number;
}

const FIGURE_COLUMNS = `indicator, area, toString(period_kind) AS kind, toString(period_start) AS p_start,
  toString(period_end) AS p_end, value, unit, series_key, disaggregation, toString(recorded_at) AS recorded`;

function figureFrom(raw: RawFigure): FigureRow {
  const period = raw.kind === 'stock' ? { date: raw.p_end } : { periodStart: raw.p_start, periodEnd: raw.p_end };
  const row: FigureRow = { indicator: raw.indicator, area: raw.area, ...period, value: raw.value, unit: raw.unit, seriesKey: raw.series_key, disaggregation: raw.disaggregation, recordedAt: isoFromClickHouse(raw.recorded) };
  if (raw.source !== undefined) row.source = raw.source;
  if (raw.sources !== undefined) row.sources = Object.fromEntries(sourceValues(raw.sources).map((s) => [s.source, s.value]));
  return row;
}

function sourceValues(json: string): SourceValue[] {
  return JSON.parse(json) as SourceValue[];
}

/** The newest row per series_key among `where`, record time then event id breaking ties. */
function latestPerSeries(table: 'figures' | 'observations', columns: string, where: string[]): string {
  return `SELECT ${columns} FROM (
    SELECT * FROM ${table} FINAL WHERE ${where.join(' AND ')}
    ORDER BY series_key, recorded_at DESC, event_id DESC
    LIMIT 1 BY series_key
  ) ORDER BY area, ref_date, period_start, series_key`;
}

/**
 * Reconciled figures (latest FigureReconciled per series known at `asOf`), or with `source`, that
 * source's own figures (its latest observation per series known at `asOf`: a revision replaces
 * the older value, which stays visible with an earlier `asOf`). Ordered by area and date.
 * A flow is in [from, to] when its end is.
 */
export async function queryFigures(client: ClickHouseClient, query: FigureQuery): Promise<FigureRow[]> {
  const q = parseInput(FigureQuery, query, 'query');
  const where = [`indicator = ${quoteString(q.indicator)}`, `disaggregation = ${quoteString(q.disaggregation ?? '')}`];
  if (q.area) where.push(`area = ${quoteString(q.area)}`);
  if (q.from) where.push(`ref_date >= ${quoteDate(q.from)}`);
  if (q.to) where.push(`ref_date <= ${quoteDate(q.to)}`);
  if (q.asOf) where.push(`recorded_at <= ${asOfSql(q.asOf)}`);
  if (q.source) {
    where.push(`source = ${quoteString(q.source)}`);
    return (await selectRows<RawFigure>(client, latestPerSeries('observations', `${FIGURE_COLUMNS}, source`, where))).map(figureFrom);
  }
  return (await selectRows<RawFigure>(client, latestPerSeries('figures', `${FIGURE_COLUMNS}, sources`, where))).map(figureFrom);
}

// ---------------------------------------------------------------------------------------------
// Provenance

export interface ReconciledFigure extends FigureRow {
  chosenSource: string;
  rule: string;
  spread: { min: number; max: number; relative: number };
  /** The source values the reconciler saw, with their observation and drop ids. */
  inputs: SourceValue[];
}

export interface ProvenanceObservation {
  eventId: string;
  observationId: string;
  source: string;
  dropId: string;
  /** 1-based data rows of the drop that gave this observation. */
  rows: number[];
  value: number;
  unit: string;
  recordedAt: string;
  /** True when the figure's inputs name this observation in this drop. */
  usedInFigure: boolean;
}

export interface Provenance {
  seriesKey: string;
  figure: ReconciledFigure | null;
  observations: ProvenanceObservation[];
}

/** The reconciled figure of one series (as known at `asOf`) and every observation behind it, with drop and rows. */
export async function provenance(client: ClickHouseClient, seriesKey: string, asOf?: string): Promise<Provenance> {
  const key = parseInput(KEY.min(1), seriesKey, 'seriesKey');
  const when = asOf === undefined ? undefined : parseInput(AS_OF, asOf, 'asOf');
  const where = [`series_key = ${quoteString(key)}`];
  if (when) where.push(`recorded_at <= ${asOfSql(when)}`);

  const [raw] = await selectRows<RawFigure>(
    client,
    latestPerSeries('figures', `${FIGURE_COLUMNS}, sources, chosen_source, rule, spread_min, spread_max, spread_relative`, where),
  );
  const figure: ReconciledFigure | null = raw
    ? {
        ...figureFrom(raw),
        chosenSource: raw.chosen_source!,
        rule: raw.rule!,
        spread: { min: raw.spread_min!, max: raw.spread_max!, relative: raw.spread_relative! },
        inputs: sourceValues(raw.sources!),
      }
    : null;
  const used = new Set(figure?.inputs.map((s) => `${s.observationId}@${s.dropId}`) ?? []);

  const observations = await selectRows<{
    event_id: string; observation_id: string; source: string; drop_id: string; rows: number[]; value: number; unit: string; recorded: string;
  }>(
    client,
    `SELECT event_id, observation_id, source, drop_id, rows, value, unit, toString(recorded_at) AS recorded
     FROM observations FINAL WHERE ${where.join(' AND ')} ORDER BY recorded_at, source, event_id`,
  );
  return {
    seriesKey: key,
    figure,
    observations: observations.map((o) => ({
      eventId: o.event_id,
      observationId: o.observation_id,
      source: o.source,
      dropId: o.drop_id,
      rows: o.rows.map(toNumber),
      value: o.value,
      unit: o.unit,
      recordedAt: isoFromClickHouse(o.recorded),
      usedInFigure: used.has(`${o.observation_id}@${o.drop_id}`),
    })),
  };
}

// ---------------------------------------------------------------------------------------------
// Discrepancies

export interface DiscrepancyRow {
  discrepancyId: string;
  status: 'open' | 'resolved';
  groupKey: string;
  indicator: string;
  area: string;
  /** From the latest detection (absent when only a resolution was seen). */
  cause?: string;
  gap?: { absolute: number; relative: number };
  tolerance?: number;
  /** The source values of the latest event. */
  values: SourceValue[];
  explanation: string;
  detectedAt?: string;
  resolvedAt?: string;
  recordedAt: string;
}

/** Every discrepancy with its current status (the latest event decides), or only the open ones. */
export async function listDiscrepancies(client: ClickHouseClient, options: { open?: boolean } = {}): Promise<DiscrepancyRow[]> {
  const { open } = parseInput(z.object({ open: z.boolean().optional() }), options, 'options');
  // At equal record times a resolution wins over the detection it resolves.
  const rows = await selectRows<{
    discrepancy_id: string; current_status: 'open' | 'resolved'; g: string; ind: string; ar: string; c: string; detections: string; resolutions: string;
    ga: number; gr: number; tol: number; vals: string; expl: string; detected: string; resolved: string; last: string;
  }>(
    client,
    `SELECT * FROM (
       SELECT discrepancy_id,
         toString(argMax(status, k)) AS current_status,
         argMax(group_key, k) AS g, argMax(indicator, k) AS ind, argMax(area, k) AS ar,
         countIf(status = 'open') AS detections,
         countIf(status = 'resolved') AS resolutions,
         argMaxIf(cause, k, status = 'open') AS c,
         argMaxIf(gap_absolute, k, status = 'open') AS ga,
         argMaxIf(gap_relative, k, status = 'open') AS gr,
         argMaxIf(tolerance, k, status = 'open') AS tol,
         argMax(\`values\`, k) AS vals, argMax(explanation, k) AS expl,
         toString(maxIf(recorded_at, status = 'open')) AS detected,
         toString(maxIf(recorded_at, status = 'resolved')) AS resolved,
         toString(max(recorded_at)) AS last
       FROM (SELECT *, toUInt64(recorded_at) * 2 + toUInt64(status = 'resolved') AS k FROM discrepancies FINAL)
       GROUP BY discrepancy_id
     ) ${open ? "WHERE current_status = 'open'" : ''}
     ORDER BY ind, ar, discrepancy_id`,
  );
  return rows.map((r) => {
    const detected = toNumber(r.detections) > 0;
    const row: DiscrepancyRow = {
      discrepancyId: r.discrepancy_id,
      status: r.current_status,
      groupKey: r.g,
      indicator: r.ind,
      area: r.ar,
      values: sourceValues(r.vals),
      explanation: r.expl,
      recordedAt: isoFromClickHouse(r.last),
    };
    if (detected) Object.assign(row, { cause: r.c, gap: { absolute: r.ga, relative: r.gr }, tolerance: r.tol, detectedAt: isoFromClickHouse(r.detected) });
    if (toNumber(r.resolutions) > 0) row.resolvedAt = isoFromClickHouse(r.resolved);
    return row;
  });
}

// ---------------------------------------------------------------------------------------------
// Rejections

export interface RejectionRow {
  eventId: string;
  dropId: string;
  source: string;
  fileName: string;
  row: number;
  column?: string;
  expected: string;
  found: string;
  reason: string;
  recordedAt: string;
}

/** Rejected rows, of one drop (by id or its first 6+ hex digits) or of all, oldest first. @default limit 1000 */
export async function listRejections(client: ClickHouseClient, options: { dropId?: string; limit?: number } = {}): Promise<RejectionRow[]> {
  const o = parseInput(z.object({ dropId: DROP_ID_OR_PREFIX.optional(), limit: LIMIT.optional() }), options, 'options');
  const where = o.dropId === undefined ? '' : o.dropId.length === 64 ? `WHERE drop_id = ${quoteString(o.dropId)}` : `WHERE drop_id LIKE ${quoteString(`${o.dropId}%`)}`;
  const rows = await selectRows<{
    event_id: string; drop_id: string; source: string; file_name: string; row: number; column: string; expected: string; found: string; reason: string; recorded: string;
  }>(
    client,
    `SELECT event_id, drop_id, source, file_name, row, \`column\`, expected, found, reason, toString(recorded_at) AS recorded
     FROM rejections FINAL ${where} ORDER BY recorded_at, drop_id, row, event_id LIMIT ${quoteNumber(o.limit ?? 1000)}`,
  );
  return rows.map((r) => {
    const row: RejectionRow = {
      eventId: r.event_id,
      dropId: r.drop_id,
      source: r.source,
      fileName: r.file_name,
      row: toNumber(r.row),
      expected: r.expected,
      found: r.found,
      reason: r.reason,
      recordedAt: isoFromClickHouse(r.recorded),
    };
    if (r.column !== '') row.column = r.column;
    return row;
  });
}

// ---------------------------------------------------------------------------------------------
// Drops

export interface DropRow {
  dropId: string;
  source: string;
  fileName: string;
  status: 'received' | 'processed' | 'refused';
  reason?: string;
  rows: number;
  accepted: number;
  rejected: number;
  duplicates: number;
  observations: number;
  revisions: number;
  receivedAt: string;
  processedAt?: string;
}

export interface RawDropRow {
  drop_id: string; source: string; file_name: string; status: DropRow['status']; reason: string; rows: number; accepted: number;
  rejected: number; duplicates: number; observations: number; revisions: number; received: string; processed: string;
}

export const DROP_COLUMNS = `drop_id, source, file_name, toString(status) AS status, reason, rows, accepted, rejected, duplicates,
  observations, revisions, toString(received_at) AS received, ifNull(toString(processed_at), '') AS processed`;

export function dropRowFrom(r: RawDropRow): DropRow {
  const row: DropRow = {
    dropId: r.drop_id,
    source: r.source,
    fileName: r.file_name,
    status: r.status,
    rows: toNumber(r.rows),
    accepted: toNumber(r.accepted),
    rejected: toNumber(r.rejected),
    duplicates: toNumber(r.duplicates),
    observations: toNumber(r.observations),
    revisions: toNumber(r.revisions),
    receivedAt: isoFromClickHouse(r.received),
  };
  if (r.reason !== '') row.reason = r.reason;
  if (r.processed !== '') row.processedAt = isoFromClickHouse(r.processed);
  return row;
}

/** The drop ledger, newest first. @default limit 100 */
export async function listDrops(client: ClickHouseClient, options: { limit?: number } = {}): Promise<DropRow[]> {
  const o = parseInput(z.object({ limit: LIMIT.optional() }), options, 'options');
  const rows = await selectRows<RawDropRow>(client, `SELECT ${DROP_COLUMNS} FROM drops FINAL ORDER BY received_at DESC, drop_id LIMIT ${quoteNumber(o.limit ?? 100)}`);
  return rows.map(dropRowFrom);
}
