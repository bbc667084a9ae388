/**
 * The node path's projection of the row topics: observations and figures arrive as the rows of
 * their tables (JSONEachRow lines, validated and built by the producer: engine.ts
 * `engineRowRouting`), and are inserted as they are, without being parsed again in Node.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { ClickHouseError } from '@clickhouse/client';
import type { KafkaMessage } from 'kafkajs';
import type { Logger } from 'pino';
import { insertRows as insertedRows, insertSeconds } from '../adapters/metrics.js';
import { Readable } from 'node:stream';
import { quoteIdentifier } from '../adapters/sql.js';

/**
 * ClickHouse error codes that say the data itself cannot be stored (a row it cannot parse or
 * convert): retrying cannot help, so the message is passed over. Any other error is thrown.
 */
const REFUSED_DATA = new Set(['6', '26', '27', '32', '38', '41', '53', '69', '70', '72', '117', '131']);

export function refusesData(err: unknown): boolean {
  return err instanceof ClickHouseError && REFUSED_DATA.has(String(err.code));
}

/** Rows a row message carries: its `events` header, else its lines. */
export function rowsOf(message: Pick<KafkaMessage, 'headers' | 'value'>): number {
  const header = message.headers?.events;
  const n = Number(Array.isArray(header) ? header[0]?.toString() : header?.toString());
  if (Number.isInteger(n) && n > 0) return n;
  const text = message.value?.toString('utf8') ?? '';
  return text === '' ? 0 : text.split('\n').filter((l) => l !== '').length;
}

/**
 * Inserts one partition's row messages into `table`. When ClickHouse refuses the batch's data,
 * the messages are inserted one by one and each it refuses is logged and passed over: one bad
 * message never stops the consumer, and the others are all stored.
 */
export async function insertRowBatch(
  client: ClickHouseClient,
  table: string,
  where: { topic: string; partition: number },
  messages: readonly KafkaMessage[],
  log: Logger,
): Promise<{ inserted: Record<string, number>; skipped: number }> {
  const done = insertSeconds.startTimer({ table });
  const count = (ms: readonly KafkaMessage[]) => ms.reduce((n, m) => n + rowsOf(m), 0);
  try {
    await insertRowMessages(client, table, messages.map((m) => m.value));
    const n = count(messages);
    insertedRows.inc({ table }, n);
    return { inserted: { [table]: n }, skipped: 0 };
  } catch (err) {
    if (!refusesData(err)) throw err;
  } finally {
    done();
  }
  let inserted = 0;
  let skipped = 0;
  for (const m of messages) {
    try {
      await insertRowMessages(client, table, [m.value]);
      inserted += rowsOf(m);
    } catch (err) {
      if (!refusesData(err)) throw err;
      log.error({ ...where, offset: m.offset, table, err: (err as Error).message.slice(0, 300) }, 'skipped a row message ClickHouse cannot store');
      skipped++;
    }
  }
  insertedRows.inc({ table }, inserted);
  return { inserted: { [table]: inserted }, skipped };
}

/**
 * Inserts row-topic messages as they are, without parsing them (the rebuild's replay, and any
 * Node reader of the row topics): each message is JSONEachRow lines already.
 */
export async function insertRowMessages(client: ClickHouseClient, table: string, values: ReadonlyArray<Buffer | string | null>): Promise<number> {
  const parts: Array<Buffer | string> = [];
  for (const v of values) {
    if (v === null || v.length === 0) continue;
    parts.push(v, '\n');
  }
  if (parts.length === 0) return 0;
  const result = await client.exec({ query: `INSERT INTO ${quoteIdentifier(table)} FORMAT JSONEachRow`, values: Readable.from(parts) });
  result.stream.destroy();
  return parts.length / 2;
}
