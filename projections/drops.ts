import { noticeText } from '../domain/notices.js';
import { dateTime, defineProjection } from './projection.js';

/**
 * The drop ledger: one row per drop. DropProcessed carries no processing time, so the broker's
 * timestamp of its message stands in (stable on replay).
 */
export const dropsProjection = defineProjection({
  name: 'drops',
  version: 1,
  handles: ['DropReceived', 'DropProcessed'],
  table: 'drops',
  toRow: (e, meta) =>
    e.type === 'DropReceived'
      ? {
          drop_id: e.dropId,
          source: e.source,
          file_name: e.fileName,
          status: 'received',
          reason: '',
          rows: 0,
          accepted: 0,
          rejected: 0,
          duplicates: 0,
          observations: 0,
          revisions: 0,
          notices: [],
          breakdown: '',
          received_at: dateTime(e.receivedAt),
          processed_at: null,
          stage: 1,
        }
      : {
          drop_id: e.dropId,
          source: e.source,
          file_name: e.fileName,
          status: e.status,
          reason: e.reason ?? '',
          rows: e.rows,
          accepted: e.accepted,
          rejected: e.rejected,
          duplicates: e.duplicates,
          observations: e.observations,
          revisions: e.revisions,
          notices: (e.notices ?? []).map(noticeText),
          breakdown: e.breakdown ? JSON.stringify(e.breakdown) : '',
          received_at: dateTime(e.receivedAt),
          processed_at: dateTime(meta.timestamp),
          stage: 2,
        },
});
