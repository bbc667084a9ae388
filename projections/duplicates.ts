import { dateTime, defineProjection } from './projection.js';

export const duplicatesProjection = defineProjection({
  name: 'duplicates',
  version: 1,
  handles: ['RowDuplicated'],
  table: 'duplicates',
  toRow: (e) => ({
    event_id: e.eventId,
    drop_id: e.dropId,
    source: e.source,
    row: e.row,
    observation_id: e.observationId,
    reason: e.reason,
    detail: e.detail,
    recorded_at: dateTime(e.recordedAt),
  }),
});
