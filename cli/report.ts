/** The main job's report: figures per indicator and place with their sources, discrepancies, rejections. */
import type { ClickHouseClient } from '@clickhouse/client';
import { selectRows } from '../adapters/clickhouse.js';
import { listDiscrepancies, listRejections, queryFigures, type FigureRow } from '../projections/queries.js';
import { placeByPcode } from '../domain/places.js';
import type { IngestSummary } from './ingest.js';

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

function when(f: FigureRow): string {
  return f.date ?? `${f.periodStart}..${f.periodEnd}`;
}

export function placeLabel(pcode: string): string {
  const place = placeByPcode(pcode);
  return place ? `${place.name} (${pcode})` : pcode;
}

export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** Where this run's alerts went, for the report's last part. */
export interface AlertSinks {
  /** The log file the alert lines were written to (the log sink), when it is on. */
  logFile?: string;
  /** The webhook URL, when one is configured (only its origin is shown: Slack's URLs carry a token). */
  webhook?: string;
  /** Deliveries this process made per sink, when known. */
  delivered?: { log: number; webhook: number };
  /** True when the engines of `tally up` were used: its worker may have delivered some alerts, to its own log. */
  sharedWorker?: boolean;
}

function origin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'a webhook';
  }
}

/** ALERTS: how many new discrepancies were alerted, and where. */
export function alertsSection(drops: readonly IngestSummary[], sinks: AlertSinks): string[] {
  const count = drops.reduce((n, d) => n + d.discrepancies, 0);
  const how = (sink: 'log' | 'webhook') => {
    const n = sinks.delivered?.[sink];
    if (n === undefined || n >= count) return `${count}`;
    return `${n} of ${count} (the others are still being retried by their alert workflows)`;
  };
  const where = [
    sinks.logFile ? `${how('log')} to the log file ${sinks.logFile}, one JSON line each ("alert":"DiscrepancyDetected")` : undefined,
    sinks.webhook ? `${how('webhook')} to the webhook ${origin(sinks.webhook)}` : undefined,
  ].filter((w) => w !== undefined);
  const lines = [`ALERTS (${count} new discrepancies)`];
  if (count === 0) lines.push('- none to deliver');
  else if (where.length === 0) lines.push('- not delivered: no alert sink is configured (TALLY_ALERT_LOG=0 and no TALLY_ALERT_WEBHOOK_URL)');
  else for (const w of where) lines.push(`- ${w}`);
  if (count > 0 && sinks.sharedWorker) lines.push("- the worker of 'tally up' shares the task queue: it may have delivered some of them, to its own log");
  return lines;
}

/** A series the figures table holds: an indicator and a disaggregation key ('' for the total). */
export interface ReportSeries {
  indicator: string;
  disaggregation: string;
}

/** The operation a disaggregation key names when it names nothing else (`operation=lake chad basin crisis`). */
export function operationOf(disaggregation: string): string | undefined {
  const parts = disaggregation.split(/,(?=[a-z_]+=)/);
  return parts.length === 1 && parts[0]!.startsWith('operation=') ? parts[0]!.slice('operation='.length) : undefined;
}

/**
 * The series the report lists: every total, and every operation's own series. A DTM operation is
 * a series of its own and a part of DTM's total for its place and date (Haiti's earthquake and
 * Hurricane Matthew operations both report the country on 2016-12-31: the total is their sum; a
 * country with one operation has totals equal to that operation's figures). Other
 * disaggregations (sex, origin…) stay out of the report; `tally query --disaggregation` lists them.
 */
export function headlineSeries(series: readonly ReportSeries[]): Array<ReportSeries & { operation?: string }> {
  return series.flatMap((s) => {
    if (s.disaggregation === '') return [s];
    const operation = operationOf(s.disaggregation);
    return operation === undefined ? [] : [{ ...s, operation }];
  });
}

/** What the operation column says of a total's figure, in a table that also lists operations. */
export const TOTAL_LABEL = '(total)';

/** The RECONCILED FIGURES table; the operation column only when a figure is an operation's. */
export function figuresTable(figures: ReadonlyArray<{ operation?: string; figure: FigureRow }>): string {
  const withOperation = figures.some((f) => f.operation !== undefined);
  const rows = figures.map(({ operation, figure: f }) => {
    const sources = Object.entries(f.sources ?? {})
      .map(([s, v]) => `${s}=${fmt(v)}`)
      .join(' ');
    const cells = [f.indicator, placeLabel(f.area), when(f), fmt(f.value), sources];
    return withOperation ? [...cells.slice(0, 2), operation ?? TOTAL_LABEL, ...cells.slice(2)] : cells;
  });
  const headers = ['indicator', 'place', 'date/period', 'value', 'sources'];
  return table(withOperation ? [...headers.slice(0, 2), 'operation', ...headers.slice(2)] : headers, rows);
}

export async function buildReport(client: ClickHouseClient, drops: IngestSummary[], sinks?: AlertSinks): Promise<string> {
  const out: string[] = [];
  out.push('DROPS');
  out.push(
    table(
      ['file', 'source', 'rows', 'accepted', 'rejected', 'duplicates', 'revisions', 'discrepancies'],
      drops.map((d) => [d.fileName, d.source, String(d.rows), String(d.accepted), String(d.rejected), String(d.duplicates), String(d.revisions), String(d.discrepancies)]),
    ),
  );
  const series = await selectRows<ReportSeries>(client, 'SELECT DISTINCT indicator, disaggregation FROM figures ORDER BY indicator, disaggregation');
  out.push('', 'RECONCILED FIGURES (latest per place and date; sources beside)');
  const figures: Array<{ operation?: string; figure: FigureRow }> = [];
  for (const s of headlineSeries(series)) {
    for (const figure of await queryFigures(client, { indicator: s.indicator, disaggregation: s.disaggregation })) figures.push({ operation: s.operation, figure });
  }
  out.push(figuresTable(figures));
  const discrepancies = await listDiscrepancies(client, {});
  out.push('', `DISCREPANCIES (${discrepancies.filter((d) => d.status === 'open').length} open)`);
  out.push(
    table(
      ['status', 'indicator', 'place', 'gap', 'cause', 'explanation'],
      discrepancies.map((d) => [d.status, d.indicator, placeLabel(d.area), d.gap ? `${(d.gap.relative * 100).toFixed(1)}%` : '', d.cause ?? '', d.explanation]),
    ),
  );
  const rejections = await listRejections(client, { limit: 200 });
  out.push('', `REJECTED ROWS (${rejections.length})`);
  for (const r of rejections) out.push(`- ${r.reason}`);
  if (sinks) out.push('', ...alertsSection(drops, sinks));
  return out.join('\n');
}
