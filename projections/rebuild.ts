/**
 * Rebuilds every projection table from the Kafka log, beside the live ones, then swaps.
 *
 * 1. `<table>_rebuild` tables are created from the same DDL as the live ones (schema.ts).
 * 2. A new consumer group replays every topic from the beginning into them, until the end
 *    offsets captured at the start are reached: large fetches (FETCH), each partition's batches
 *    inserted in order, several partitions side by side, the next fetch not waiting for them.
 * 3. One `RENAME TABLE a TO a_old, a_rebuild TO a, …` swaps all tables (18.16 has no EXCHANGE).
 * 4. The same consumer then catches up to the end offsets captured after the swap, writing into
 *    the (new) live tables: whatever the live consumer wrote into the old tables between steps
 *    2 and 3 is written again, so nothing is lost with the old tables, which are then dropped.
 *
 * The row topics (observations and figures as the rows of their tables) are inserted as they
 * are, on both paths. With `replay: 'clickhouse'` on the engine path ClickHouse replays them
 * itself, the rows never crossing Node: a
 * Kafka table per row topic under a new group started at the beginning, and a view into
 * `<table>_rebuild` (engine-replay.ts), dropped once their groups have committed the
 * replay's end offsets and the last rows are in. ClickHouse's live views write into the live
 * tables by name, so after the swap they fill the rebuilt tables; the catch-up reads the row
 * topics from the replay's end offsets and inserts their messages as they are (JSONEachRow).
 */
import { randomBytes } from 'node:crypto';
import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import { topicsFor } from '../domain/events.js';
import type { StackSettings } from '../infra/stack/settings.js';
import { insertProjected, projectMessages } from './apply.js';
import { openClickHouse, selectRows, type ClickHouseClient } from '../adapters/clickhouse.js';
import { commitGroupOffsets, ensureTopics, kafkaFrom } from '../adapters/kafka.js';
import { projectionsLogger } from './log.js';
import { migrate } from './migrations.js';
import { createTableSql, TABLES } from './schema.js';
import { quoteString, quoteTable } from '../adapters/sql.js';
import { rowTopicsFor, tableOfRowTopic } from './engine.js';
import { insertRowBatch } from './rows.js';
import { startEngineReplay, type EngineReplay } from './engine-replay.js';
import type { ProjectionPath, RebuildReplay } from '../infra/config.js';

export interface RebuildOptions {
  settings: StackSettings;
  /** @default '' */
  topicPrefix?: string;
  /** Overrides `settings.clickhouse.database`. */
  database?: string;
  /** Called after each batch with messages consumed so far and the total captured at the start. */
  onProgress?: (consumed: number, total: number) => void;
  logger?: Logger;
  /** The projection path: on the engine path ClickHouse's views write into the live tables by name. @default node */
  path?: ProjectionPath;
  /**
   * Who replays the row topics on the engine path: this process, inserting their messages as
   * they are (as on the node path), or ClickHouse's Kafka engine (engine-replay.ts), the rows
   * never crossing Node but with about 12 s of set-up and tear-down on 18.16. @default node
   */
  replay?: RebuildReplay;
  /** How long ClickHouse's replay may go without progress before the rebuild fails. @default 120000 */
  engineStallMs?: number;
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

/** Each partition's end and first offsets, read once for all topics at once, and the messages between them. */
async function logOffsets(kafka: Kafka, topics: readonly string[]): Promise<{ ends: Offsets; lows: Offsets; total: number }> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ends: Offsets = new Map();
    const lows: Offsets = new Map();
    let total = 0;
    const fetched = await Promise.all(topics.map(async (topic) => [topic, await admin.fetchTopicOffsets(topic)] as const));
    for (const [topic, partitions] of fetched) {
      for (const p of partitions) {
        ends.set(at(topic, p.partition), BigInt(p.high));
        lows.set(at(topic, p.partition), BigInt(p.low));
        total += Number(BigInt(p.high) - BigInt(p.low));
      }
    }
    return { ends, lows, total };
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

/**
 * Batches of different partitions insert side by side (`shared`); the swap (`exclusive`) waits
 * for the inserts in hand and holds later ones back until it is done, so an insert never meets
 * the swap halfway and each lands wholly in the rebuilt or wholly in the live tables.
 */
export function swapGate() {
  let closed: Promise<void> | undefined;
  const running = new Set<Promise<unknown>>();
  return {
    async shared<T>(fn: () => Promise<T>): Promise<T> {
      while (closed) await closed;
      const run = fn();
      running.add(run);
      try {
        return await run;
      } finally {
        running.delete(run);
      }
    },
    async exclusive<T>(fn: () => Promise<T>): Promise<T> {
      while (closed) await closed;
      let open!: () => void;
      closed = new Promise((resolve) => (open = resolve));
      try {
        await Promise.allSettled([...running]);
        return await fn();
      } finally {
        closed = undefined;
        open();
      }
    },
  };
}

/**
 * Fetches of up to 8 MB a partition, 16 MB in all, three partitions at once: ClickHouse parses
 * each insert on one thread, so a few large inserts side by side replay fastest. Measured on the
 * log of 1M rows (510,125 events): kafkajs' defaults (1 MB, one batch at a time) 7.0 s and 200 MB;
 * these 3.6 s and 256 MB; 16 MB, 64 MB and 64 MB in flight 3.1 s but 420 MB (kafkajs holds a
 * fetch's chunks and their concatenation at once).
 */
const FETCH = { maxBytesPerPartition: 8 * 1024 * 1024, maxBytes: 16 * 1024 * 1024 };
const PARTITIONS_AT_ONCE = 3;
/** Most bytes of fetched messages waiting for their inserts while the next fetch runs. */
const IN_FLIGHT_BYTES = 16 * 1024 * 1024;

const POLL_MS = 250;
/** How long the engine replay may go without progress before the rebuild gives up. */
const ENGINE_STALL_MS = 120_000;

function asRecord(offsets: Offsets, topics: readonly string[]): Record<string, Record<number, string>> {
  const out: Record<string, Record<number, string>> = {};
  for (const [key, offset] of offsets) {
    const [topic, partition] = key.split('\u0000') as [string, string];
    if (topics.includes(topic)) (out[topic] ??= {})[Number(partition)] = offset.toString();
  }
  return out;
}

export async function rebuildProjections(opts: RebuildOptions): Promise<RebuildResult> {
  const log = opts.logger ?? projectionsLogger('projections-rebuild');
  const database = opts.database ?? opts.settings.clickhouse.database;
  const prefix = opts.topicPrefix ?? '';
  const engine = opts.path?.kind === 'engine' && opts.replay === 'clickhouse' ? opts.path : undefined;
  const rowTopics = rowTopicsFor(prefix);
  const rowTopicList = Object.values(rowTopics);
  const topics = [...Object.values(topicsFor(prefix)), ...rowTopicList];
  const groupId = `tally-rebuild-${Date.now()}-${randomBytes(3).toString('hex')}`;
  const client = await openClickHouse(opts.settings.clickhouse, { database });
  const kafka = kafkaFrom(opts.settings.kafka, groupId);
  let replay: EngineReplay | undefined;
  let consumer: Consumer | undefined;
  try {
    await Promise.all([migrate(client, database), ensureTopics(kafka, topics)]);
    // The rebuild's tables and the log's offsets side by side: the set-up is round trips, not work.
    const [{ ends: replayTargets, lows, total }] = await Promise.all([
      logOffsets(kafka, topics),
      Promise.all(
        TABLES.map(async (t) => {
          await client.command({ query: `DROP TABLE IF EXISTS ${quoteTable(database, `${t}_rebuild`)}` });
          await client.command({ query: createTableSql(database, t, `${t}_rebuild`) });
        }),
      ),
    ]);
    const positions: Offsets = new Map();
    /** Row-topic messages ClickHouse replays (engine path); what its groups have not committed yet is the rest. */
    let rowMessages = 0;
    if (engine) {
      // ClickHouse replays the row topics itself; this group reads them only for the catch-up, from where that replay ends.
      const rowTargets = asRecord(replayTargets, rowTopicList);
      replay = await startEngineReplay(client, kafka, { database, topicPrefix: prefix, brokers: engine.brokers, groupBase: groupId }, rowTargets);
      await commitGroupOffsets(kafka, groupId, rowTargets);
      for (const [key, target] of replayTargets) {
        if (!rowTopicList.includes(key.split('\u0000')[0]!)) continue;
        positions.set(key, target);
        rowMessages += Number(target - (lows.get(key) ?? 0n));
      }
      log.info({ groups: replay.groups }, 'ClickHouse replays the row topics');
    }
    let consumed = 0;
    let replayed = 0;
    let phase: 'replay' | 'catchup' | 'done' = 'replay';
    let failure: Error | undefined;
    const gate = swapGate();
    const progress = () => opts.onProgress?.(Math.min(consumed + replayed, total), total);

    /** Each partition's inserts, one after the other; and the bytes of those not done yet. */
    const chains = new Map<string, Promise<void>>();
    const inFlight = new Set<Promise<void>>();
    let inFlightBytes = 0;
    const insertBatch = async (batch: EachBatchPayload['batch']) => {
      if (phase === 'done' || failure) return;
      const suffix = phase === 'replay' ? '_rebuild' : '';
      const rowTable = tableOfRowTopic(rowTopics, batch.topic);
      if (rowTable !== undefined) {
        await insertRowBatch(client, `${rowTable}${suffix}`, { topic: batch.topic, partition: batch.partition }, batch.messages, log);
      } else {
        await insertProjected(client, projectMessages(batch.topic, batch.partition, batch.messages, log), suffix);
      }
      positions.set(at(batch.topic, batch.partition), BigInt(batch.messages[batch.messages.length - 1]!.offset) + 1n);
      consumed += batch.messages.length;
    };
    // The next fetch does not wait for ClickHouse: a batch is handed to its partition's chain and
    // its offset resolved for kafkajs at once (this group commits nothing; `positions` moves only
    // once the rows are in), as long as less than IN_FLIGHT_BYTES wait to be inserted.
    const eachBatch = async ({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload) => {
      if (batch.messages.length === 0 || !isRunning() || isStale() || phase === 'done') return;
      const key = at(batch.topic, batch.partition);
      const bytes = batch.messages.reduce((n, m) => n + (m.value?.length ?? 0), 0);
      const run = (chains.get(key) ?? Promise.resolve()).then(() => gate.shared(() => insertBatch(batch)));
      const settled = run.catch((err: Error) => {
        failure ??= err;
      });
      chains.set(key, settled);
      inFlight.add(settled);
      inFlightBytes += bytes;
      void settled.then(() => {
        inFlight.delete(settled);
        inFlightBytes -= bytes;
        progress();
      });
      resolveOffset(batch.messages[batch.messages.length - 1]!.offset);
      while (inFlightBytes > IN_FLIGHT_BYTES && inFlight.size > 0) await Promise.race(inFlight);
      await heartbeat();
    };
    const startConsumer = async () => {
      if (consumer) return;
      // A short fetch wait: at the end of the log, disconnecting waits for the fetch in flight.
      consumer = kafka.consumer({ groupId, sessionTimeout: 30_000, heartbeatInterval: 3000, maxWaitTimeInMs: 100, ...FETCH });
      consumer.on(consumer.events.CRASH, (e) => {
        if (!e.payload.restart) failure = e.payload.error;
      });
      await consumer.connect();
      await consumer.subscribe({ topics, fromBeginning: true });
      consumer.run({ autoCommit: false, eachBatchAutoResolve: false, partitionsConsumedConcurrently: PARTITIONS_AT_ONCE, eachBatch }).catch((err: Error) => {
        failure = err;
      });
    };
    const until = async (done: () => boolean | Promise<boolean>) => {
      for (;;) {
        if (failure) throw failure;
        if (await done()) return;
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
    };

    // 1. Replay: the event topics by this group, and the row topics too (on the engine path by ClickHouse).
    if (!reached(replayTargets, positions, lows)) await startConsumer();
    await until(() => reached(replayTargets, positions, lows));
    log.info({ consumed }, 'event topics replayed');
    if (replay) {
      const engineReplay = replay;
      const stallMs = opts.engineStallMs ?? ENGINE_STALL_MS;
      let lastMoved = Date.now();
      let lastLag = Number.POSITIVE_INFINITY;
      await until(async () => {
        const { done, behind, missing } = await engineReplay.reached();
        const lag = behind + missing;
        replayed = Math.max(0, rowMessages - behind);
        progress();
        if (done) return true;
        if (lag < lastLag) [lastLag, lastMoved] = [lag, Date.now()];
        if (Date.now() - lastMoved > stallMs) {
          throw new Error(
            `projections rebuild: expected ClickHouse's Kafka tables (groups ${Object.values(engineReplay.groups).join(', ')}) to replay the row topics, ` +
              `found ${lag} message(s) or row(s) still missing after ${stallMs / 1000} s without progress; can ClickHouse reach ${engine!.brokers.join(',')}?`,
          );
        }
        return false;
      });
      log.info({ replayed }, 'ClickHouse replayed the row topics');
      await engineReplay.detach();
    }
    // 2. Swap, between two batches; 3. catch up, into the live tables, to the end offsets after the swap.
    const catchUpTargets = await gate.exclusive(async () => {
      await swapTables(client, database);
      phase = 'catchup';
      log.info({ consumed: consumed + replayed, total }, 'rebuilt tables swapped in; catching up');
      return (await logOffsets(kafka, topics)).ends;
    });
    if (!reached(catchUpTargets, positions, lows)) await startConsumer();
    // ClickHouse's replay consumers close (about 3 s each on 18.16) while the catch-up runs.
    const closing = replay?.stop();
    closing?.catch(() => undefined);
    await until(() => reached(catchUpTargets, positions, lows));
    // Later batches are left alone (disconnecting waits for the batch in hand, which would wait for this).
    await gate.exclusive(async () => {
      phase = 'done';
    });
    // The group leaves while the swapped-out tables go.
    await Promise.all([consumer?.disconnect(), ...TABLES.map((t) => client.command({ query: `DROP TABLE IF EXISTS ${quoteTable(database, `${t}_old`)}` }))]);
    consumer = undefined;
    await closing;
    await deleteGroups(kafka, [groupId, ...Object.values(replay?.groups ?? {})], log);
    progress();
    return { consumed: consumed + replayed, total, groupId };
  } finally {
    await consumer?.disconnect().catch(() => undefined);
    await replay?.stop().catch((err: unknown) => log.warn({ err }, 'could not drop the engine replay tables'));
    await client.close();
  }
}

async function deleteGroups(kafka: Kafka, groupIds: string[], log: Logger): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.deleteGroups(groupIds);
  } catch (err) {
    log.warn({ groupIds, err }, 'could not delete the rebuild consumer groups');
  } finally {
    await admin.disconnect();
  }
}
