/**
 * Rebuilds every projection table from the Kafka log, beside the live ones, then swaps.
 *
 * 1. `<table>_rebuild` tables are created from the same DDL as the live ones (schema.ts).
 * 2. A new consumer group replays every topic from the beginning into them, until the end
 *    offsets captured at the start are reached.
 * 3. One `RENAME TABLE a TO a_old, a_rebuild TO a, …` swaps all tables (18.16 has no EXCHANGE).
 * 4. The same consumer then catches up to the end offsets captured after the swap, writing into
 *    the (new) live tables: whatever the live consumer wrote into the old tables between steps
 *    2 and 3 is written again, so nothing is lost with the old tables, which are then dropped.
 *
 * On the engine path the row topics are replayed too, their messages inserted as they are
 * (JSONEachRow already). ClickHouse's views write into the live tables by name, so after the
 * swap they fill the rebuilt tables, and the catch-up covers what they wrote into the old ones.
 */
import { randomBytes } from 'node:crypto';
import type { EachBatchPayload, Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { topicsFor } from '../domain/events.js';
import type { StackSettings } from '../infra/stack/settings.js';
import { insertProjected, projectMessages } from './apply.js';
import { openClickHouse, selectRows, type ClickHouseClient } from '../adapters/clickhouse.js';
import { ensureTopics, kafkaFrom } from '../adapters/kafka.js';
import { projectionsLogger } from './log.js';
import { migrate } from './migrations.js';
import { createTableSql, TABLES } from './schema.js';
import { quoteString, quoteTable } from '../adapters/sql.js';
import { insertRowMessages, rowTopicsFor, tableOfRowTopic } from './engine.js';
import type { ProjectionPath } from '../infra/config.js';

export interface RebuildOptions {
  settings: StackSettings;
  /** @default '' */
  topicPrefix?: string;
  /** Overrides `settings.clickhouse.database`. */
  database?: string;
  /** Called after each batch with messages consumed so far and the total captured at the start. */
  onProgress?: (consumed: number, total: number) => void;
  logger?: Logger;
  /** On the engine path the row topics are replayed too. @default node */
  path?: ProjectionPath;
}

export interface RebuildResult {
  /** Messages replayed. */
  consumed: number;
  /** Messages in the log when the rebuild started. */
  total: number;
  /** The consumer group used for the replay (deleted afterwards). */
  groupId: string;
}

type Offsets = Map<string, bigint>;
const at = (topic: string, partition: number) => `${topic}\u0000${partition}`;

async function endOffsets(kafka: Kafka, topics: readonly string[]): Promise<{ ends: Offsets; total: number }> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ends: Offsets = new Map();
    let total = 0;
    for (const topic of topics) {
      for (const p of await admin.fetchTopicOffsets(topic)) {
        ends.set(at(topic, p.partition), BigInt(p.high));
        total += Number(BigInt(p.high) - BigInt(p.low));
      }
    }
    return { ends, total };
  } finally {
    await admin.disconnect();
  }
}

/** True when every partition's next offset has reached its target (an empty partition is done at once). */
function reached(targets: Offsets, positions: Offsets, lows: Offsets): boolean {
  for (const [key, target] of targets) {
    const position = positions.get(key) ?? lows.get(key) ?? 0n;
    if (position < target) return false;
  }
  return true;
}

async function lowOffsets(kafka: Kafka, topics: readonly string[]): Promise<Offsets> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const lows: Offsets = new Map();
    for (const topic of topics) for (const p of await admin.fetchTopicOffsets(topic)) lows.set(at(topic, p.partition), BigInt(p.low));
    return lows;
  } finally {
    await admin.disconnect();
  }
}

/** One RENAME for all tables; a live table dropped meanwhile is simply replaced. */
async function swapTables(client: ClickHouseClient, database: string): Promise<void> {
  for (const t of TABLES) await client.command({ query: `DROP TABLE IF EXISTS ${quoteTable(database, `${t}_old`)}` });
  const live = new Set(
    (await selectRows<{ name: string }>(client, `SELECT name FROM system.tables WHERE database = ${quoteString(database)}`)).map((r) => r.name),
  );
  const renames = TABLES.flatMap((t) => [
    ...(live.has(t) ? [`${quoteTable(database, t)} TO ${quoteTable(database, `${t}_old`)}`] : []),
    `${quoteTable(database, `${t}_rebuild`)} TO ${quoteTable(database, t)}`,
  ]);
  await client.command({ query: `RENAME TABLE ${renames.join(', ')}` });
}

export async function rebuildProjections(opts: RebuildOptions): Promise<RebuildResult> {
  const log = opts.logger ?? projectionsLogger('projections-rebuild');
  const database = opts.database ?? opts.settings.clickhouse.database;
  const rowTopics = rowTopicsFor(opts.topicPrefix ?? '');
  const topics = [...Object.values(topicsFor(opts.topicPrefix ?? '')), ...(opts.path?.kind === 'engine' ? Object.values(rowTopics) : [])];
  const groupId = `tally-rebuild-${Date.now()}-${randomBytes(3).toString('hex')}`;
  const client = await openClickHouse(opts.settings.clickhouse, { database });
  const kafka = kafkaFrom(opts.settings.kafka, groupId);
  try {
    await migrate(client, database);
    await ensureTopics(kafka, topics);
    for (const t of TABLES) {
      await client.command({ query: `DROP TABLE IF EXISTS ${quoteTable(database, `${t}_rebuild`)}` });
      await client.command({ query: createTableSql(database, t, `${t}_rebuild`) });
    }
    const { ends: replayTargets, total } = await endOffsets(kafka, topics);
    const lows = await lowOffsets(kafka, topics);
    const positions: Offsets = new Map();
    let consumed = 0;
    let phase: 'replay' | 'catchup' = 'replay';
    let targets = replayTargets;

    // Swaps once the replay targets are met, then moves on to the catch-up targets; true when all is done.
    const advance = async (): Promise<boolean> => {
      if (phase === 'replay' && reached(targets, positions, lows)) {
        await swapTables(client, database);
        phase = 'catchup';
        targets = (await endOffsets(kafka, topics)).ends;
        log.info({ consumed, total }, 'rebuilt tables swapped in; catching up');
      }
      return phase === 'catchup' && reached(targets, positions, lows);
    };

    if (!(await advance())) {
      const consumer = kafka.consumer({ groupId, sessionTimeout: 30_000, heartbeatInterval: 3000 });
      await consumer.connect();
      try {
        await consumer.subscribe({ topics, fromBeginning: true });
        await new Promise<void>((resolve, reject) => {
          const eachBatch = async ({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload) => {
            if (!isRunning() || isStale() || batch.messages.length === 0) return;
            const suffix = phase === 'replay' ? '_rebuild' : '';
            const rowTable = tableOfRowTopic(rowTopics, batch.topic);
            if (rowTable !== undefined) {
              await insertRowMessages(client, `${rowTable}${suffix}`, batch.messages.map((m) => m.value));
            } else {
              await insertProjected(client, projectMessages(batch.topic, batch.partition, batch.messages, log), suffix);
            }
            const last = batch.messages[batch.messages.length - 1]!;
            resolveOffset(last.offset);
            positions.set(at(batch.topic, batch.partition), BigInt(last.offset) + 1n);
            consumed += batch.messages.length;
            opts.onProgress?.(Math.min(consumed, total), total);
            await heartbeat();
            // A failed swap is not a batch to retry: give up and leave the live tables as they are.
            let done: boolean;
            try {
              done = await advance();
            } catch (err) {
              reject(err as Error);
              return;
            }
            if (done) resolve();
          };
          consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch }).catch(reject);
          consumer.on(consumer.events.CRASH, (e) => {
            if (!e.payload.restart) reject(e.payload.error);
          });
        });
      } finally {
        await consumer.disconnect();
      }
    }
    for (const t of TABLES) await client.command({ query: `DROP TABLE IF EXISTS ${quoteTable(database, `${t}_old`)}` });
    await deleteGroup(kafka, groupId, log);
    opts.onProgress?.(Math.min(consumed, total), total);
    return { consumed, total, groupId };
  } finally {
    await client.close();
  }
}

async function deleteGroup(kafka: Kafka, groupId: string, log: Logger): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.deleteGroups([groupId]);
  } catch (err) {
    log.warn({ groupId, err }, 'could not delete the rebuild consumer group');
  } finally {
    await admin.disconnect();
  }
}
