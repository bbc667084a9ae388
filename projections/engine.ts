/**
 * The bulk events travel as flat rows (JSONEachRow, one row per line, several lines per message)
 * on their own topics: observations and figures, and the rows a drop rejects or finds duplicated
 * (one event per input row: a drop sent again is all duplicates). On the node path the projections
 * insert those messages as they are; on the engine path ClickHouse projects them itself.
 * Per table, a Kafka-engine table (`<table>_queue`) reads the row topic under its own consumer
 * group, and a materialized view (`<table>_mv`) writes what it reads into the live
 * ReplacingMergeTree table, by name (so a rebuild's RENAME swaps the target too).
 *
 * The event stays the contract: the producer validates each event with its zod schema and turns
 * it into the row with the projection's own `toRow`, so both paths store the same rows. The Kafka
 * engine of 18.16 has no `kafka_skip_broken_messages`: a row it cannot parse stops it, which is
 * why nothing unvalidated is ever written to a row topic.
 *
 * 18.16's consumer starts a group without committed offsets at the end of the topic
 * (auto.offset.reset=largest): the group's offsets are set to the start of each partition before
 * the Kafka table is created, so rows published before ClickHouse joined are read too.
 *
 * Two more 18.16 facts, measured on the local stack:
 * - a read that its flush timer (`stream_flush_interval_ms`, 7.5 s by default) interrupts in the
 *   middle of a message drops the rest of that message's rows (224 of 200,000 rows lost in one
 *   run; 19.15 reads messages whole). The engine path therefore refuses an 18.x server whose
 *   default profile flushes sooner than `MIN_FLUSH_MS`: reads then end when the topic runs dry.
 * - it commits the offsets before the last block is written, so the watermark also checks that
 *   the last row before the offsets it waits for is in the table (`engineRowsVisible`).
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type { Kafka } from 'kafkajs';
import { TallyEvent, type TallyEventType } from '../domain/events.js';
import type { ProjectionPath } from '../infra/config.js';
import { selectRows } from '../adapters/clickhouse.js';
import { commitGroupOffsets, ensureTopics } from '../adapters/kafka.js';
import type { RowRouting } from '../adapters/publisher.js';
import { quoteIdentifier, quoteString, quoteTable } from '../adapters/sql.js';
import { duplicatesProjection } from './duplicates.js';
import { figuresProjection } from './figures.js';
import { observationsProjection } from './observations.js';
import { rejectionsProjection } from './rejections.js';
import type { AnyProjection, EventMeta } from './projection.js';
import { columnsSql, type TableName } from './schema.js';

/** The tables whose events travel as rows (ClickHouse fills them itself on the engine path), with the event type of each. */
export const ENGINE_TABLES = ['observations', 'figures', 'rejections', 'duplicates'] as const satisfies readonly TableName[];
export type EngineTable = (typeof ENGINE_TABLES)[number];

const PROJECTION_OF: Record<EngineTable, { type: TallyEventType; projection: AnyProjection }> = {
  observations: { type: 'ObservationRecorded', projection: observationsProjection },
  figures: { type: 'FigureReconciled', projection: figuresProjection },
  rejections: { type: 'RowRejected', projection: rejectionsProjection },
  duplicates: { type: 'RowDuplicated', projection: duplicatesProjection },
};

export type RowTopics = Record<EngineTable, string>;

/** The row topics under a prefix: `tally.rows.<table>` for each of ENGINE_TABLES. */
export function rowTopicsFor(prefix = ''): RowTopics {
  return Object.fromEntries(ENGINE_TABLES.map((t) => [t, `${prefix}tally.rows.${t}`])) as RowTopics;
}

/**
 * The consumer group of one of ClickHouse's Kafka tables, beside the Node projections' group: one
 * per table, so that each can be started at the beginning of its topic while the other runs.
 */
export function engineGroupOf(projectionsGroup: string, table: EngineTable): string {
  return `${projectionsGroup}-engine-${table}`;
}

/** The table a row topic fills, or undefined for any other topic. */
export function tableOfRowTopic(topics: RowTopics, topic: string): EngineTable | undefined {
  return ENGINE_TABLES.find((t) => topics[t] === topic);
}

/**
 * Rows built ahead of publishing (`keep`), by event, until the publisher takes them: the ingest
 * activity keeps each observation's row for reconcile, and the publisher does not build it again.
 * A row does not depend on the topic prefix.
 */
const keptRows = new WeakMap<TallyEvent, string>();

/**
 * How the publisher routes observations and figures (both projection paths): validated by the
 * event schema, turned into the table's row by the projection, one JSON line each.
 */
export function engineRowRouting(prefix = ''): RowRouting & { keep(event: TallyEvent): string } {
  const topics = rowTopicsFor(prefix);
  const tableOf = (type: TallyEventType): EngineTable | undefined => ENGINE_TABLES.find((t) => PROJECTION_OF[t].type === type);
  return {
    topics: Object.values(topics),
    topicOf: (event) => {
      const table = tableOf(event.type);
      return table === undefined ? undefined : topics[table];
    },
    encode(event) {
      const kept = keptRows.get(event);
      if (kept !== undefined) {
        keptRows.delete(event);
        return kept;
      }
      return build(event);
    },
    /** Builds the event's row now and keeps it for the publisher. */
    keep(event) {
      const line = build(event);
      keptRows.set(event, line);
      return line;
    },
  };

  function build(event: TallyEvent): string {
    const table = tableOf(event.type);
    if (table === undefined) throw new Error(`engine rows: expected an ObservationRecorded or FigureReconciled event, found ${event.type}`);
    const parsed = TallyEvent.safeParse(event);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = `${event.type} ${String((event as { eventId?: unknown }).eventId)}${issue ? ` at ${issue.path.join('.') || '(root)'}` : ''}`;
      throw new Error(`engine rows: expected a valid ${event.type}, found ${issue?.message ?? 'an invalid event'} (${where})`);
    }
    const meta: EventMeta = { topic: topics[table], partition: -1, offset: '-1', timestamp: 'recordedAt' in parsed.data ? parsed.data.recordedAt : '' };
    return JSON.stringify(PROJECTION_OF[table].projection.toRow(parsed.data, meta));
  }
}

/** Least `stream_flush_interval_ms` the engine path accepts on ClickHouse before 19.15. */
export const MIN_FLUSH_MS = 600_000;

/** Refuses a server whose Kafka engine would drop rows (see above); current ClickHouse passes. */
export async function checkEngineServer(client: ClickHouseClient): Promise<void> {
  const [row] = await selectRows<{ version: string; flush: string }>(
    client,
    "SELECT version() AS version, (SELECT value FROM system.settings WHERE name = 'stream_flush_interval_ms') AS flush",
  );
  const [major = 0, minor = 0] = (row?.version ?? '').split('.').map(Number);
  if (major > 19 || (major === 19 && minor >= 15)) return;
  const flush = Number(row?.flush);
  if (!(flush >= MIN_FLUSH_MS)) {
    throw new Error(
      `engine projection path: expected stream_flush_interval_ms >= ${MIN_FLUSH_MS} in the default profile of ClickHouse ${row?.version ?? '?'} ` +
        `(before 19.15 a timed flush drops the rest of the message it interrupts), found ${row?.flush ?? 'none'}; set it in users.xml or use TALLY_PROJECTION_PATH=node`,
    );
  }
}

export interface EngineSetup {
  database: string;
  topicPrefix: string;
  /** The Node projections' group; the engine's are `engineGroupOf(projectionsGroup, table)`. */
  projectionsGroup: string;
  /** Brokers as ClickHouse reaches them (locally 127.0.0.1:<port>). */
  brokers: readonly string[];
}

/** A Kafka-engine table named `name` that reads `topic` under `group`, with the columns of `table`. */
export function queueSql(database: string, name: string, table: EngineTable, topic: string, group: string, brokers: readonly string[]): string {
  const settings = [
    `kafka_broker_list = ${quoteString(brokers.join(','))}`,
    `kafka_topic_list = ${quoteString(topic)}`,
    `kafka_group_name = ${quoteString(group)}`,
    `kafka_format = 'JSONEachRow'`,
    `kafka_row_delimiter = '\\n'`,
    // One consumer: the machine it was measured on has two cores, and one reader kept up (0.38 CPU-s per 100k rows);
    // a replay with three per table was no faster (200k bench rows: 5.9 s against 5.1 s to replay the row topics).
    'kafka_num_consumers = 1',
  ];
  return `CREATE TABLE IF NOT EXISTS ${quoteTable(database, name)} (${columnsSql(table)}\n) ENGINE = Kafka SETTINGS ${settings.join(', ')}`;
}

async function tablesOf(client: ClickHouseClient, database: string): Promise<Map<string, string>> {
  const rows = await selectRows<{ name: string; create_table_query: string }>(
    client,
    `SELECT name, create_table_query FROM system.tables WHERE database = ${quoteString(database)}`,
  );
  return new Map(rows.map((r) => [r.name, r.create_table_query]));
}

/**
 * Commits the start of every partition for a group that has committed nothing on `topic`. The
 * worker and the projections both set the engine path up when they start: when the other one is
 * committing at the same moment, this one waits and finds its offsets.
 */
export async function startGroupAtBeginning(kafka: Kafka, groupId: string, topic: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    for (let attempt = 1; ; attempt++) {
      const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
      const partitions = committed[0]?.partitions ?? [];
      if (partitions.length > 0 && partitions.some((p) => Number(p.offset) >= 0)) return;
      const lows = await admin.fetchTopicOffsets(topic);
      try {
        await commitGroupOffsets(kafka, groupId, { [topic]: Object.fromEntries(lows.map((p) => [p.partition, p.low])) });
        return;
      } catch (err) {
        if (attempt >= 5) throw err;
        await new Promise((resolve) => setTimeout(resolve, 300 * attempt));
      }
    }
  } finally {
    await admin.disconnect();
  }
}

/**
 * Creates the row topics, the Kafka tables and the materialized views when they are missing, or
 * when the Kafka table reads other brokers or another topic than the settings say. Idempotent;
 * run after `migrate` (the views write into the live tables).
 */
export async function ensureEngineProjections(client: ClickHouseClient, kafka: Kafka, setup: EngineSetup): Promise<void> {
  await checkEngineServer(client);
  const topics = rowTopicsFor(setup.topicPrefix);
  await ensureTopics(kafka, Object.values(topics));
  const existing = await tablesOf(client, setup.database);
  for (const table of ENGINE_TABLES) {
    const queue = `${table}_queue`;
    const view = `${table}_mv`;
    const wanted = queueSql(setup.database, queue, table, topics[table], engineGroupOf(setup.projectionsGroup, table), setup.brokers);
    const current = existing.get(queue);
    const brokers = quoteString(setup.brokers.join(','));
    if (current !== undefined && !(current.includes(brokers) && current.includes(quoteString(topics[table])))) {
      await client.command({ query: `DROP TABLE IF EXISTS ${quoteTable(setup.database, view)}` });
      await client.command({ query: `DROP TABLE IF EXISTS ${quoteTable(setup.database, queue)}` });
      existing.delete(view);
      existing.delete(queue);
    }
    if (!existing.has(queue)) {
      await startGroupAtBeginning(kafka, engineGroupOf(setup.projectionsGroup, table), topics[table]);
      await client.command({ query: wanted });
    }
    if (!existing.has(view)) {
      await client.command({
        query: `CREATE MATERIALIZED VIEW IF NOT EXISTS ${quoteTable(setup.database, view)} TO ${quoteTable(setup.database, table)} AS SELECT * FROM ${quoteTable(setup.database, queue)}`,
      });
    }
  }
}

/** Drops the views and Kafka tables (the node path again): the live tables stay. */
export async function dropEngineProjections(client: ClickHouseClient, database: string): Promise<void> {
  for (const table of ENGINE_TABLES) {
    await client.command({ query: `DROP TABLE IF EXISTS ${quoteTable(database, `${table}_mv`)}` });
    await client.command({ query: `DROP TABLE IF EXISTS ${quoteTable(database, `${table}_queue`)}` });
  }
}

/**
 * Sets up (engine) or tears down (node) ClickHouse's own projections to match the configured path.
 * On the node path a Kafka table left by an earlier engine run would go on writing every row a
 * second time; the projections' group reads the row topics from the beginning, so dropping it
 * loses nothing.
 */
export async function applyProjectionPath(
  client: ClickHouseClient,
  kafka: Kafka,
  path: ProjectionPath | undefined,
  setup: Omit<EngineSetup, 'brokers'>,
): Promise<void> {
  if (path?.kind === 'engine') await ensureEngineProjections(client, kafka, { ...setup, brokers: path.brokers });
  else await dropEngineProjections(client, setup.database);
}


/**
 * True when, for every partition of the row topics in `targets` (topic → partition → end offset),
 * the last row of the message just before the end offset is in its table. 18.16 commits before it
 * writes its last block, and writes a table's rows in offset order, so this row being there means
 * every row before it is too. Reads one message per partition with a short-lived consumer.
 */
export async function engineRowsVisible(
  kafka: Kafka,
  client: ClickHouseClient,
  topics: RowTopics,
  targets: Record<string, Record<number, string>>,
  /** Appended to the table names (`_rebuild` while a rebuild's engine replay fills those). @default '' */
  suffix = '',
): Promise<{ visible: boolean; missing: string[] }> {
  const missing = await missingRows(client, await lastRowIds(kafka, topics, targets), suffix);
  return { visible: missing.length === 0, missing };
}

/** The event id of the last row before each end offset of `targets`, per table. */
export async function lastRowIds(kafka: Kafka, topics: RowTopics, targets: Record<string, Record<number, string>>): Promise<Map<EngineTable, string[]>> {
  const wanted = new Map<string, bigint>();
  for (const [topic, partitions] of Object.entries(targets)) {
    if (tableOfRowTopic(topics, topic) === undefined) continue;
    for (const [partition, end] of Object.entries(partitions)) if (BigInt(end) > 0n) wanted.set(`${topic}\u0000${partition}`, BigInt(end) - 1n);
  }
  const lastIds = new Map<EngineTable, string[]>();
  if (wanted.size === 0) return lastIds;
  const groupId = `tally-watermark-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
  const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000 });
  await consumer.connect();
  try {
    const topicsWanted = [...new Set([...wanted.keys()].map((k) => k.split('\u0000')[0]!))];
    await consumer.subscribe({ topics: topicsWanted, fromBeginning: false });
    const pending = new Set(wanted.keys());
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`engine watermark: expected the last message of ${[...pending].map((k) => k.replace('\u0000', '#')).join(', ')} within 20 s, found none`)), 20_000);
      consumer
        .run({
          autoCommit: false,
          eachMessage: async ({ topic, partition, message }) => {
            const key = `${topic}\u0000${partition}`;
            if (!pending.has(key) || BigInt(message.offset) !== wanted.get(key)) return;
            pending.delete(key);
            const text = message.value?.toString('utf8') ?? '';
            const line = text.slice(text.lastIndexOf('\n') + 1);
            const table = tableOfRowTopic(topics, topic)!;
            lastIds.set(table, [...(lastIds.get(table) ?? []), String((JSON.parse(line) as { event_id?: unknown }).event_id)]);
            if (pending.size === 0) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .then(() => {
          for (const key of wanted.keys()) {
            const [topic, partition] = key.split('\u0000');
            consumer.seek({ topic: topic!, partition: Number(partition), offset: wanted.get(key)!.toString() });
          }
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    await admin.deleteGroups([groupId]).catch(() => undefined);
    await admin.disconnect();
  }
  return lastIds;
}

/** Which of these rows (table → event ids) are not in their tables yet, as `<table> <event id>`. */
export async function missingRows(client: ClickHouseClient, lastIds: ReadonlyMap<EngineTable, readonly string[]>, suffix = ''): Promise<string[]> {
  const missing: string[] = [];
  for (const [table, ids] of lastIds) {
    const rows = await selectRows<{ event_id: string }>(client, `SELECT DISTINCT event_id FROM ${quoteIdentifier(`${table}${suffix}`)} WHERE event_id IN (${ids.map(quoteString).join(', ')})`);
    const found = new Set(rows.map((r) => r.event_id));
    missing.push(...ids.filter((id) => !found.has(id)).map((id) => `${table}${suffix} ${id}`));
  }
  return missing;
}
