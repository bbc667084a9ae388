/** Figures: reconciled ones, or one source's own, as known at a date. */
import type { ClickHouseClient } from '@clickhouse/client';
import { z } from 'zod';
import type { SourceValue } from '../../domain/events.js';
import { isoFromClickHouse, selectRows } from '../../adapters/clickhouse.js';
import { quoteDate, quoteString, quoteStringList } from '../../adapters/sql.js';
import { placesOf } from '../../domain/places.js';
import { AS_OF, asOfSql, CODE, COUNTRY, DATE, INDICATOR, KEY, parseInput, PCODE } from './inputs.js';

export const FigureQuery = z.object({
  indicator: INDICATOR,
  area: PCODE.optional(),
  /** Only the country's own figures and its areas' (ISO 3166 alpha-3). */
  country: COUNTRY.optional(),
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

export interface RawFigure {
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

export const FIGURE_COLUMNS = `indicator, area, toString(period_kind) AS kind, toString(period_start) AS p_start,
  toString(period_end) AS p_end, value, unit, series_key, disaggregation, toString(recorded_at) AS recorded`;

export function figureFrom(raw: RawFigure): FigureRow {
  const period = raw.kind === 'stock' ? { date: raw.p_end } : { periodStart: raw.p_start, periodEnd: raw.p_end };
  const row: FigureRow = { indicator: raw.indicator, area: raw.area, ...period, value: raw.value, unit: raw.unit, seriesKey: raw.series_key, disaggregation: raw.disaggregation, recordedAt: isoFromClickHouse(raw.recorded) };
  if (raw.source !== undefined) row.source = raw.source;
  if (raw.sources !== undefined) row.sources = Object.fromEntries(sourceValues(raw.sources).map((s) => [s.source, s.value]));
  return row;
}

/** The `values`/`sources` column: the source values behind a figure or a discrepancy. */
export function sourceValues(json: string): SourceValue[] {
  return JSON.parse(json) as SourceValue[];
}

/** The newest row per series_key among `where`, record time then event id breaking ties. */
export function latestPerSeries(table: 'figures' | 'observations', columns: string, where: string[]): string {
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
  if (q.country) {
    const areas = await countryAreas(client, q.source ? 'observations' : 'figures', q.country);
    if (areas.length === 0) return [];
    where.push(`area IN ${quoteStringList(areas)}`);
  }
  if (q.from) where.push(`ref_date >= ${quoteDate(q.from)}`);
  if (q.to) where.push(`ref_date <= ${quoteDate(q.to)}`);
  if (q.asOf) where.push(`recorded_at <= ${asOfSql(q.asOf)}`);
  if (q.source) {
    where.push(`source = ${quoteString(q.source)}`);
    return (await selectRows<RawFigure>(client, latestPerSeries('observations', `${FIGURE_COLUMNS}, source`, where))).map(figureFrom);
  }
  return (await selectRows<RawFigure>(client, latestPerSeries('figures', `${FIGURE_COLUMNS}, sources`, where))).map(figureFrom);
}

/** Lists longer than this are first narrowed to the areas the table holds (a query is at most 256 KiB on ClickHouse's defaults). */
const LONG_LIST = 5000;

/**
 * The P-codes of a country (itself first, then its areas at every level its lists have). A long
 * list (Brazil's admin 2 has 5,599 codes; a user's admin-3 list more) is narrowed to the areas
 * the table holds.
 */
export async function countryAreas(client: ClickHouseClient, table: 'figures' | 'observations', country: string): Promise<string[]> {
  const codes = (placesOf(country) ?? []).map((p) => p.pcode);
  if (codes.length <= LONG_LIST) return codes;
  const own = new Set(codes);
  const held = await selectRows<{ area: string }>(client, `SELECT DISTINCT area FROM ${table}`);
  return held.map((r) => r.area).filter((a) => own.has(a));
}
