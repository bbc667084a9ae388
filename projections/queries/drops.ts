/** The drop ledger: each drop's status and row accounting. */
import type { ClickHouseClient } from '@clickhouse/client';
import { z } from 'zod';
import { DropBreakdown } from '../../domain/events.js';
import { isoFromClickHouse, selectRows, toNumber } from '../../adapters/clickhouse.js';
import { quoteNumber } from '../../adapters/sql.js';
import { LIMIT, parseInput } from './inputs.js';

export interface DropRow {
  dropId: string;
  source: string;
  fileName: string;
  status: 'received' | 'processed' | 'refused';
  reason?: string;
  rows: number;
  accepted: number;
  rejected: number;
  duplicates: number;
  observations: number;
  revisions: number;
  /** Duplicates by reason and rejections by kind (absent for drops processed before it was counted). */
  breakdown?: DropBreakdown;
  receivedAt: string;
  processedAt?: string;
}

export interface RawDropRow {
  drop_id: string; source: string; file_name: string; status: DropRow['status']; reason: string; rows: number; accepted: number;
  rejected: number; duplicates: number; observations: number; revisions: number; received: string; processed: string;
  breakdown?: string;
}

export const DROP_COLUMNS = `drop_id, source, file_name, toString(status) AS status, reason, rows, accepted, rejected, duplicates,
  observations, revisions, breakdown, toString(received_at) AS received, ifNull(toString(processed_at), '') AS processed`;

export function dropRowFrom(r: RawDropRow): DropRow {
  const row: DropRow = {
    dropId: r.drop_id,
    source: r.source,
    fileName: r.file_name,
    status: r.status,
    rows: toNumber(r.rows),
    accepted: toNumber(r.accepted),
    rejected: toNumber(r.rejected),
    duplicates: toNumber(r.duplicates),
    observations: toNumber(r.observations),
    revisions: toNumber(r.revisions),
    receivedAt: isoFromClickHouse(r.received),
  };
  if (r.reason !== '') row.reason = r.reason;
  if (r.processed !== '') row.processedAt = isoFromClickHouse(r.processed);
  const breakdown = r.breakdown ? breakdownFrom(r.breakdown) : undefined;
  if (breakdown) row.breakdown = breakdown;
  return row;
}

/** The drop ledger, newest first. @default limit 100 */
export async function listDrops(client: ClickHouseClient, options: { limit?: number } = {}): Promise<DropRow[]> {
  const o = parseInput(z.object({ limit: LIMIT.optional() }), options, 'options');
  const rows = await selectRows<RawDropRow>(client, `SELECT ${DROP_COLUMNS} FROM drops FINAL ORDER BY received_at DESC, drop_id LIMIT ${quoteNumber(o.limit ?? 100)}`);
  return rows.map(dropRowFrom);
}

/** The breakdown column (JSON, '' when absent); undefined when it does not parse. */
function breakdownFrom(text: string): DropBreakdown | undefined {
  try {
    const parsed = DropBreakdown.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
