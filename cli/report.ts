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

export async function buildReport(client: ClickHouseClient, drops: IngestSummary[]): Promise<string> {
  const out: string[] = [];
  out.push('DROPS');
  out.push(
    table(
      ['file', 'source', 'rows', 'accepted', 'rejected', 'duplicates', 'revisions', 'discrepancies'],
      drops.map((d) => [d.fileName, d.source, String(d.rows), String(d.accepted), String(d.rejected), String(d.duplicates), String(d.revisions), String(d.discrepancies)]),
    ),
  );
  const indicators = (await selectRows<{ indicator: string }>(client, 'SELECT DISTINCT indicator FROM figures ORDER BY indicator')).map((r) => r.indicator);
  out.push('', 'RECONCILED FIGURES (latest per place and date; sources beside)');
  const rows: string[][] = [];
  for (const indicator of indicators) {
    for (const f of await queryFigures(client, { indicator })) {
      const sources = Object.entries(f.sources ?? {})
        .map(([s, v]) => `${s}=${fmt(v)}`)
        .join(' ');
      rows.push([indicator, placeLabel(f.area), when(f), fmt(f.value), sources]);
    }
  }
  out.push(table(['indicator', 'place', 'date/period', 'value', 'sources'], rows));
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
  return out.join('\n');
}
