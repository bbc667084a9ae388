import { disaggregationKey } from '../domain/series.js';
import { dateTime, defineProjection, periodColumns } from './projection.js';

export const observationsProjection = defineProjection({
  name: 'observations',
  version: 1,
  handles: ['ObservationRecorded'],
  table: 'observations',
  toRow: (e) => ({
    event_id: e.eventId,
    observation_id: e.observationId,
    series_key: e.seriesKey,
    group_key: e.groupKey,
    drop_id: e.dropId,
    source: e.source,
    rows: e.rows,
    indicator: e.indicator,
    area: e.area,
    area_level: e.areaLevel,
    ...periodColumns(e.period),
    value: e.value,
    unit: e.unit,
    disaggregation: disaggregationKey(e.disaggregation),
    recorded_at: dateTime(e.recordedAt),
  }),
});
