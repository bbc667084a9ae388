/** Provenance: a series' reconciled figure and every observation behind it, with drop and rows. */
import type { ClickHouseClient } from '@clickhouse/client';
import type { SourceValue } from '../../domain/events.js';
import { isoFromClickHouse, selectRows, toNumber } from '../../adapters/clickhouse.js';
import { quoteString } from '../../adapters/sql.js';
import { FIGURE_COLUMNS, figureFrom, latestPerSeries, sourceValues, type FigureRow, type RawFigure } from './figures.js';
import { AS_OF, asOfSql, KEY, parseInput } from './inputs.js';

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
