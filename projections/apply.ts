import type { ClickHouseClient } from '@clickhouse/client';
import type { KafkaMessage } from 'kafkajs';
import type { Logger } from 'pino';
import { TallyEvent, type DropProcessed } from '../domain/events.js';
import { projectionOf } from './all.js';
import { insertRows } from '../adapters/clickhouse.js';
import { insertRows as insertedRows, insertSeconds } from '../adapters/metrics.js';
import type { EventMeta, Row } from './projection.js';
import type { TableName } from './schema.js';

export interface ProjectedBatch {
  /** Rows per table, ready to insert. */
  rows: Map<TableName, Row[]>;
  /** Messages that could not be projected (logged, then passed over). */
  skipped: number;
  /** The drops whose DropProcessed event is in the batch (counted once projected, runner.ts). */
  ended: DropProcessed[];
  /** The drops the batch's events concern, for its log lines. */
  dropIds: Set<string>;
}

/**
 * The events a message carries: one event as a JSON object, or several events of one key as a
 * JSON array (the publisher batches them). Throws when the value is not JSON.
 */
export function eventsOfMessage(value: Buffer | string | null | undefined): unknown[] {
  const json: unknown = JSON.parse(typeof value === 'string' ? value : (value?.toString('utf8') ?? ''));
  return Array.isArray(json) ? json : [json];
}

/**
 * Turns messages into rows, per table. A message that is not JSON, an event that is not a valid
 * TallyEvent, or an event that cannot be stored (a date outside ClickHouse's range), is logged and
 * passed over: one bad message must never stop the consumer.
 */
export function projectMessages(topic: string, partition: number, messages: readonly KafkaMessage[], log: Logger): ProjectedBatch {
  const rows = new Map<TableName, Row[]>();
  const ended: DropProcessed[] = [];
  const dropIds = new Set<string>();
  let skipped = 0;
  for (const message of messages) {
    const where = { topic, partition, offset: message.offset };
    let events: unknown[];
    try {
      events = eventsOfMessage(message.value);
    } catch {
      log.error(where, 'skipped a message that is not JSON');
      skipped++;
      continue;
    }
    const meta: EventMeta = { topic, partition, offset: message.offset, timestamp: new Date(Number(message.timestamp)).toISOString() };
    for (const json of events) {
      const parsed = TallyEvent.safeParse(json);
      if (!parsed.success) {
        const dropId = (json as { dropId?: unknown } | null)?.dropId;
        log.error({ ...where, ...(typeof dropId === 'string' ? { dropId } : {}), issues: parsed.error.issues.slice(0, 5) }, 'skipped a message that is not a TallyEvent');
        skipped++;
        continue;
      }
      const event = parsed.data;
      if ('dropId' in event) dropIds.add(event.dropId);
      if (event.type === 'DropProcessed') ended.push(event);
      const projection = projectionOf(event.type);
      try {
        const row = projection.toRow(parsed.data, meta);
        const list = rows.get(projection.table);
        if (list) list.push(row);
        else rows.set(projection.table, [row]);
      } catch (err) {
        log.error({ ...where, type: parsed.data.type, ...('dropId' in event ? { dropId: event.dropId } : {}), err }, 'skipped an event that cannot be stored');
        skipped++;
      }
    }
  }
  return { rows, skipped, ended, dropIds };
}

/**
 * Inserts every table's rows, the tables concurrently; `suffix` targets the rebuild copies
 * (`observations_rebuild`). Each insert is counted (tally_insert_rows_total, tally_insert_seconds).
 */
export async function insertProjected(client: ClickHouseClient, batch: Pick<ProjectedBatch, 'rows'>, suffix = ''): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  await Promise.all(
    [...batch.rows].map(async ([table, rows]) => {
      const done = insertSeconds.startTimer({ table });
      await insertRows(client, `${table}${suffix}`, rows);
      done();
      insertedRows.inc({ table }, rows.length);
      counts[table] = rows.length;
    }),
  );
  return counts;
}
