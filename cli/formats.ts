/** Output formats of `tally query`: CSV and SDMX-CSV, the exchange format of statistics offices. */
import { DEFAULT_COUNTRY } from '../domain/countries.js';
import { countryOfPcode } from '../domain/places.js';
import type { FigureRow } from '../projections/queries.js';

function csvCell(v: unknown): string {
  const s = v === undefined || v === null ? '' : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function csvLines(rows: unknown[][]): string {
  return rows.map((r) => r.map(csvCell).join(',')).join('\n') + '\n';
}

export function toCsv(figures: FigureRow[]): string {
  const header = ['indicator', 'area', 'date', 'period_start', 'period_end', 'value', 'unit', 'source', 'sources'];
  return csvLines([
    header,
    ...figures.map((f) => [
      f.indicator,
      f.area,
      f.date ?? '',
      f.periodStart ?? '',
      f.periodEnd ?? '',
      f.value,
      f.unit,
      f.source ?? '',
      f.sources ? Object.entries(f.sources).map(([s, v]) => `${s}=${v}`).join(';') : '',
    ]),
  ]);
}

/** The dataflow of a figure's country (the country its P-code names): TALLY:MIGRATION_MLI(1.0) for Mali's. */
function dataflowOf(area: string): string {
  return `TALLY:MIGRATION_${countryOfPcode(area)?.iso3 ?? DEFAULT_COUNTRY}(1.0)`;
}

/**
 * SDMX-CSV: DATAFLOW, the dimensions (FREQ, REF_AREA, INDICATOR, TIME_PERIOD), OBS_VALUE and
 * attributes. REF_AREA is the figure's P-code, of any country; DATAFLOW is its country's. A
 * stock's TIME_PERIOD is its date; a flow's is an ISO 8601 interval start/end.
 */
export function toSdmxCsv(figures: FigureRow[]): string {
  const header = ['DATAFLOW', 'FREQ', 'REF_AREA', 'INDICATOR', 'TIME_PERIOD', 'OBS_VALUE', 'UNIT_MEASURE', 'OBS_STATUS', 'DATA_SOURCE'];
  return csvLines([
    header,
    ...figures.map((f) => [
      dataflowOf(f.area),
      f.date !== undefined ? 'D' : 'A',
      f.area,
      f.indicator.toUpperCase(),
      f.date ?? `${f.periodStart}/${f.periodEnd}`,
      f.value,
      f.unit === 'households' ? 'HH' : 'PS',
      'A',
      f.source ?? Object.keys(f.sources ?? {}).join('+'),
    ]),
  ]);
}

/** One item of `tally query --format json`: the contract's fields of a figure (docs/cli.md). */
export type ContractRow = Pick<FigureRow, 'indicator' | 'area' | 'date' | 'periodStart' | 'periodEnd' | 'value' | 'source' | 'sources'> & { disaggregation?: string };

export function contractRow(f: FigureRow): ContractRow {
  const when = f.date !== undefined ? { date: f.date } : { periodStart: f.periodStart, periodEnd: f.periodEnd };
  const disaggregation = f.disaggregation ? { disaggregation: f.disaggregation } : {};
  return { indicator: f.indicator, area: f.area, ...when, value: f.value, ...(f.source !== undefined ? { source: f.source } : { sources: f.sources }), ...disaggregation };
}
