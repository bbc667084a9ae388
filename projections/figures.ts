import { disaggregationKey } from '../domain/series.js';
import { dateTime, defineProjection, periodColumns } from './projection.js';

export const figuresProjection = defineProjection({
  name: 'figures',
  version: 1,
  handles: ['FigureReconciled'],
  table: 'figures',
  toRow: (e) => ({
    event_id: e.eventId,
    series_key: e.seriesKey,
    group_key: e.groupKey,
    indicator: e.indicator,
    area: e.area,
    ...periodColumns(e.period),
    disaggregation: disaggregationKey(e.disaggregation),
    value: e.value,
    unit: e.unit,
    chosen_source: e.chosenSource,
    rule: e.rule,
    sources: JSON.stringify(e.sources),
    spread_min: e.spread.min,
    spread_max: e.spread.max,
    spread_relative: e.spread.relative,
    recorded_at: dateTime(e.recordedAt),
  }),
});
