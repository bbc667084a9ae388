import { dateTime, defineProjection } from './projection.js';

export const rejectionsProjection = defineProjection({
  name: 'rejections',
  version: 1,
  handles: ['RowRejected'],
  table: 'rejections',
  toRow: (e) => ({
    event_id: e.eventId,
    drop_id: e.dropId,
    source: e.source,
    file_name: e.fileName,
    row: e.row,
    column: e.column ?? '',
    expected: e.expected,
    found: e.found,
    reason: e.reason,
    kind: e.kind ?? '',
    recorded_at: dateTime(e.recordedAt),
  }),
});
