/** Rejected rows, each with its reason (row, column, expected, found). */
import type { ClickHouseClient } from '@clickhouse/client';
import { z } from 'zod';
import { RejectionKind } from '../../domain/events.js';
import { isoFromClickHouse, selectRows, toNumber } from '../../adapters/clickhouse.js';
import { quoteNumber, quoteString } from '../../adapters/sql.js';
import { DROP_ID_OR_PREFIX, LIMIT, parseInput } from './inputs.js';

export interface RejectionRow {
  eventId: string;
  dropId: string;
  source: string;
  fileName: string;
  row: number;
  column?: string;
  expected: string;
  found: string;
  reason: string;
  /** The reason in one word (absent for rejections recorded before kinds). */
  kind?: RejectionKind;
  recordedAt: string;
}

/** Rejected rows, of one drop (by id or its first 6+ hex digits) or of all, oldest first. @default limit 1000 */
export async function listRejections(client: ClickHouseClient, options: { dropId?: string; limit?: number } = {}): Promise<RejectionRow[]> {
  const o = parseInput(z.object({ dropId: DROP_ID_OR_PREFIX.optional(), limit: LIMIT.optional() }), options, 'options');
  const where = o.dropId === undefined ? '' : o.dropId.length === 64 ? `WHERE drop_id = ${quoteString(o.dropId)}` : `WHERE drop_id LIKE ${quoteString(`${o.dropId}%`)}`;
  const rows = await selectRows<{
    event_id: string; drop_id: string; source: string; file_name: string; row: number; column: string; expected: string; found: string; reason: string; kind: string; recorded: string;
  }>(
    client,
    `SELECT event_id, drop_id, source, file_name, row, \`column\`, expected, found, reason, kind, toString(recorded_at) AS recorded
     FROM rejections FINAL ${where} ORDER BY recorded_at, drop_id, row, event_id LIMIT ${quoteNumber(o.limit ?? 1000)}`,
  );
  return rows.map((r) => {
    const row: RejectionRow = {
      eventId: r.event_id,
      dropId: r.drop_id,
      source: r.source,
      fileName: r.file_name,
      row: toNumber(r.row),
      expected: r.expected,
      found: r.found,
      reason: r.reason,
      recordedAt: isoFromClickHouse(r.recorded),
    };
    if (r.column !== '') row.column = r.column;
    const kind = RejectionKind.safeParse(r.kind);
    if (kind.success) row.kind = kind.data;
    return row;
  });
}
