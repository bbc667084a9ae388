/** What activities read back from ClickHouse: prior observations, the current reconciliation state. */
import type { ClickHouseClient } from '@clickhouse/client';
import type { DiscrepancyDetected, ObservationRecorded, Period } from '../domain/events.js';
import type { PreviousState } from '../domain/reconcile/index.js';
import { isoFromClickHouse, selectRows } from '../adapters/clickhouse.js';
import { quoteString, quoteStringList } from '../adapters/sql.js';
import type { PriorKnowledge } from '../ingest/look-ups.js';

export function parseDisaggregation(key: string): Record<string, string> {
  if (!key) return {};
  return Object.fromEntries(key.split(',').map((pair) => pair.split('=') as [string, string]));
}

/**
 * `indicator IN (…) AND area IN (…)` for series keys (`indicator|area|…`): the prefix of the
 * observations' sort key, so a look-up reads the granules of those places, not the whole table.
 */
export function sortKeyPrefix(seriesKeys: readonly string[]): string {
  const indicators = new Set<string>();
  const areas = new Set<string>();
  for (const key of seriesKeys) {
    const [indicator, area] = key.split('|', 2);
    if (indicator === undefined || area === undefined) return '1';
    indicators.add(indicator);
    areas.add(area);
  }
  return `indicator IN ${quoteStringList([...indicators])} AND area IN ${quoteStringList([...areas])}`;
}

export function priorKnowledge(client: ClickHouseClient): PriorKnowledge {
  return {
    async recordedElsewhere(ids, dropId, series) {
      if (ids.length === 0) return new Map();
      const narrow = series && series.length > 0 ? `${sortKeyPrefix(series)} AND series_key IN ${quoteStringList([...new Set(series)])} AND ` : '';
      const rows = await selectRows<{ observation_id: string; first_drop: string }>(
        client,
        `SELECT observation_id, min(drop_id) AS first_drop FROM observations
         WHERE ${narrow}observation_id IN ${quoteStringList(ids)} AND drop_id != ${quoteString(dropId)}
         GROUP BY observation_id`,
      );
      return new Map(rows.map((r) => [r.observation_id, r.first_drop]));
    },
    async knownSeries(keys, source, dropId) {
      if (keys.length === 0) return new Set();
      const rows = await selectRows<{ series_key: string }>(
        client,
        `SELECT DISTINCT series_key FROM observations
         WHERE ${sortKeyPrefix(keys)} AND series_key IN ${quoteStringList(keys)} AND source = ${quoteString(source)} AND drop_id != ${quoteString(dropId)}`,
      );
      return new Set(rows.map((r) => r.series_key));
    },
    async sourceHasOtherDrops(source, dropId) {
      const rows = await selectRows<{ n: number }>(
        client,
        `SELECT toUInt8(count() > 0) AS n FROM observations WHERE source = ${quoteString(source)} AND drop_id != ${quoteString(dropId)}`,
      );
      return Number(rows[0]?.n ?? 1) === 1;
    },
  };
}

/** A row of the observations table, as a query reads it (dates as text). */
export interface ObservationRow {
  event_id: string;
  observation_id: string;
  series_key: string;
  group_key: string;
  drop_id: string;
  source: string;
  rows: number[];
  indicator: string;
  area: string;
  area_level: number;
  period_kind: 'stock' | 'flow';
  ref_date: string;
  period_start: string;
  period_end: string;
  value: number;
  unit: 'individuals' | 'households';
  disaggregation: string;
  recorded_at: string;
}

export function observationOfRow(r: ObservationRow): ObservationRecorded {
  const period: Period = r.period_kind === 'stock' ? { kind: 'stock', date: r.ref_date } : { kind: 'flow', start: r.period_start, end: r.period_end };
  return {
    type: 'ObservationRecorded',
    eventId: r.event_id,
    observationId: r.observation_id,
    seriesKey: r.series_key,
    groupKey: r.group_key,
    dropId: r.drop_id,
    source: r.source,
    rows: r.rows.map(Number),
    indicator: r.indicator,
    area: r.area,
    areaLevel: Number(r.area_level) as 0 | 1 | 2,
    period,
    value: Number(r.value),
    unit: r.unit,
    disaggregation: parseDisaggregation(r.disaggregation),
    recordedAt: isoFromClickHouse(r.recorded_at),
  };
}

/** Indicators a drop touched. */
export async function indicatorsOfDrop(client: ClickHouseClient, dropId: string): Promise<string[]> {
  const rows = await selectRows<{ indicator: string }>(client, `SELECT DISTINCT indicator FROM observations WHERE drop_id = ${quoteString(dropId)} ORDER BY indicator`);
  return rows.map((r) => r.indicator);
}

/** A series group as reconciliation pages it: its size and whether a drop touched it. */
export interface GroupInfo {
  indicator: string;
  area: string;
  areaLevel: number;
  disaggregation: string;
  groupKey: string;
  observations: number;
  touched: boolean;
}

/** Every group of these indicators, with its number of observation rows; `touched` when `dropId` recorded one of them. */
export async function groupsOf(client: ClickHouseClient, indicators: string[], dropId?: string): Promise<GroupInfo[]> {
  if (indicators.length === 0) return [];
  const touched = dropId === undefined ? '1' : `max(drop_id = ${quoteString(dropId)})`;
  const rows = await selectRows<{ indicator: string; area: string; level: number; disaggregation: string; group_key: string; n: number; touched: number }>(
    client,
    `SELECT indicator, any(area) AS area, toUInt8(min(area_level)) AS level, disaggregation, group_key,
            toUInt32(count()) AS n, toUInt8(${touched}) AS touched
     FROM observations WHERE indicator IN ${quoteStringList(indicators)}
     GROUP BY indicator, disaggregation, group_key ORDER BY indicator, disaggregation, group_key`,
  );
  return rows.map((r) => ({
    indicator: r.indicator,
    area: r.area,
    areaLevel: Number(r.level),
    disaggregation: r.disaggregation,
    groupKey: r.group_key,
    observations: Number(r.n),
    touched: Number(r.touched) === 1,
  }));
}

/** Group keys per query: they travel in the query text (ClickHouse's max_query_size is 256 KiB). */
export const GROUPS_PER_QUERY = 500;

/** The groups of one page: one indicator, their areas (the table's sort key) and group keys. */
export interface GroupPage {
  indicator: string;
  areas: string[];
  groupKeys: string[];
  /** Observation rows of its groups. */
  observations: number;
}

function pageFilter(page: GroupPage): string {
  return `indicator = ${quoteString(page.indicator)} AND area IN ${quoteStringList(page.areas)} AND group_key IN ${quoteStringList(page.groupKeys)}`;
}

/**
 * Every observation of the page's groups (all sources, drops and revisions), each event once.
 *
 * The page queries below read without FINAL: copies of a redelivered event that are not merged yet
 * are dropped here by event id (they are the same event), and the latest figure and discrepancy
 * state are argMax over events, which copies do not change. FINAL merges every part on read, in
 * one thread on 18.16; while a drop is being projected the tables have many fresh parts (a page
 * of 22,654 observations, 3 parts: 120-203 ms with FINAL, 63-70 ms without).
 */
export async function observationsOfPage(client: ClickHouseClient, page: GroupPage): Promise<ObservationRecorded[]> {
  return observationsWhere(client, pageFilter(page));
}

/**
 * The observations other drops recorded in the groups of one indicator that a drop touched: by
 * group key, and for regions and the country by disaggregation (their partition holds every region).
 */
export async function otherDropsObservations(
  client: ClickHouseClient,
  q: { indicator: string; dropId: string; groupKeys: readonly string[]; wideDisaggregations: readonly string[] },
): Promise<ObservationRecorded[]> {
  const areas = [...new Set(q.groupKeys.map((k) => k.split('|', 2)[1] ?? ''))];
  const parts: string[] = [];
  if (q.groupKeys.length > 0) parts.push(`(area IN ${quoteStringList(areas)} AND group_key IN ${quoteStringList(q.groupKeys)})`);
  if (q.wideDisaggregations.length > 0) parts.push(`(area_level <= 1 AND disaggregation IN ${quoteStringList(q.wideDisaggregations)})`);
  if (parts.length === 0) return [];
  return observationsWhere(client, `indicator = ${quoteString(q.indicator)} AND drop_id != ${quoteString(q.dropId)} AND (${parts.join(' OR ')})`);
}

async function observationsWhere(client: ClickHouseClient, where: string): Promise<ObservationRecorded[]> {
  const rows = await selectRows<ObservationRow>(
    client,
    `SELECT event_id, observation_id, series_key, group_key, drop_id, source, rows, indicator, area,
            area_level, period_kind, toString(ref_date) AS ref_date, toString(period_start) AS period_start,
            toString(period_end) AS period_end, value, unit, disaggregation, toString(recorded_at) AS recorded_at
     FROM observations WHERE ${where}`,
  );
  const seen = new Set<string>();
  const observations: ObservationRecorded[] = [];
  for (const row of rows) {
    if (seen.has(row.event_id)) continue;
    seen.add(row.event_id);
    observations.push(observationOfRow(row));
  }
  return observations;
}

/** The latest figure per series and the open discrepancies of the page's groups. */
export async function previousStateOfPage(client: ClickHouseClient, page: GroupPage): Promise<PreviousState> {
  const state: PreviousState = { figures: new Map(), openDiscrepancies: new Map() };
  // Aliases differ from column names: 18.16 resolves an alias inside the aggregate that defines it.
  const figures = await selectRows<{ series_key: string; last_event: string }>(
    client,
    `SELECT series_key, argMax(event_id, recorded_at) AS last_event FROM figures
     WHERE ${pageFilter(page)} GROUP BY series_key`,
  );
  for (const f of figures) state.figures.set(f.series_key, { eventId: f.last_event });
  const open = await selectRows<{ discrepancy_id: string; last_event: string; last_status: string }>(
    client,
    `SELECT discrepancy_id, argMax(event_id, (recorded_at, status)) AS last_event, argMax(toString(status), (recorded_at, status)) AS last_status
     FROM discrepancies WHERE indicator = ${quoteString(page.indicator)} AND group_key IN ${quoteStringList(page.groupKeys)}
     GROUP BY discrepancy_id`,
  );
  for (const d of open) if (d.last_status === 'open') state.openDiscrepancies.set(d.discrepancy_id, { eventId: d.last_event });
  return state;
}

/** A detected discrepancy as it was projected, for alert delivery. */
export async function discrepancyEvent(client: ClickHouseClient, eventId: string): Promise<DiscrepancyDetected | undefined> {
  const rows = await selectRows<{
    event_id: string; discrepancy_id: string; group_key: string; indicator: string; area: string; cause: DiscrepancyDetected['cause'];
    gap_absolute: number; gap_relative: number; tolerance: number; values: string; explanation: string; recorded_at: string;
  }>(
    client,
    `SELECT event_id, discrepancy_id, group_key, indicator, area, cause, gap_absolute, gap_relative, tolerance,
            \`values\`, explanation, toString(recorded_at) AS recorded_at
     FROM discrepancies FINAL WHERE event_id = ${quoteString(eventId)} AND status = 'open' LIMIT 1`,
  );
  const r = rows[0];
  if (!r) return undefined;
  return {
    type: 'DiscrepancyDetected',
    eventId: r.event_id,
    discrepancyId: r.discrepancy_id,
    groupKey: r.group_key,
    indicator: r.indicator,
    area: r.area,
    values: JSON.parse(r.values),
    gap: { absolute: Number(r.gap_absolute), relative: Number(r.gap_relative) },
    tolerance: Number(r.tolerance),
    cause: r.cause,
    explanation: r.explanation,
    recordedAt: isoFromClickHouse(r.recorded_at),
  };
}
