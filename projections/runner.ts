/**
 * The live projections: one kafkajs consumer group over the four topics, writing batches to
 * ClickHouse. Offsets are committed only after ClickHouse accepted the rows, so a crash between
 * the two redelivers the batch, and the ReplacingMergeTree tables absorb the copies.
 */
import type { Consumer, EachBatchPayload } from 'kafkajs';
import type { Logger } from 'pino';
import { topicsFor } from '../domain/events.js';
import type { StackSettings } from '../infra/stack/settings.js';
import { insertProjected, projectMessages } from './apply.js';
import { openClickHouse } from '../adapters/clickhouse.js';
import { ensureTopics, kafkaFrom } from '../adapters/kafka.js';
import { countEndedDrop, projectionLag } from '../adapters/metrics.js';
import { projectionsLogger } from './log.js';
import { migrate } from './migrations.js';
import { applyProjectionPath } from './engine.js';
import type { ProjectionPath } from '../infra/config.js';

/** How long a consumer may go without fetching, joining or beating before it is replaced. */
const QUIET_MS = 45_000;

export interface BatchInfo {
  topic: string;
  partition: number;
  /** Messages consumed, including skipped ones. */
  messages: number;
  skipped: number;
  /** Rows inserted per table. */
  inserted: Record<string, number>;
  /** Offset of the last message of the chunk (the committed offset is this plus one). */
  lastOffset: string;
}

export interface StartProjectionsOptions {
  settings: StackSettings;
  /** Prefix of the topic names (see `topicsFor`). @default '' */
  topicPrefix?: string;
  /** @default 'tally-projections' */
  groupId?: string;
  /** Overrides `settings.clickhouse.database`. */
  database?: string;
  /** Most messages per ClickHouse insert round (a Kafka batch larger than this is split). @default 5000 */
  batchSize?: number;
  onBatch?: (info: BatchInfo) => void;
  logger?: Logger;
  /**
   * Who projects observations and figures (config `projectionPath`). On the engine path this
   * process sets up ClickHouse's Kafka tables and views and projects the other events. @default node
   */
  path?: ProjectionPath;
}

export interface RunningProjections {
  stop(): Promise<void>;
}

export const DEFAULT_GROUP_ID = 'tally-projections';

export async function startProjections(opts: StartProjectionsOptions): Promise<RunningProjections> {
  const log = opts.logger ?? projectionsLogger();
  const groupId = opts.groupId ?? DEFAULT_GROUP_ID;
  const batchSize = opts.batchSize ?? 5000;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, found ${batchSize}`);
  const database = opts.database ?? opts.settings.clickhouse.database;
  const topics = Object.values(topicsFor(opts.topicPrefix ?? ''));

  const client = await openClickHouse(opts.settings.clickhouse, { database });
  await migrate(client, database);
  const kafka = kafkaFrom(opts.settings.kafka, `${groupId}-consumer`);
  await ensureTopics(kafka, topics);
  await applyProjectionPath(client, kafka, opts.path, { database, topicPrefix: opts.topicPrefix ?? '', projectionsGroup: groupId });

  const eachBatch = async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale }: EachBatchPayload) => {
    for (let i = 0; i < batch.messages.length; i += batchSize) {
      if (!isRunning() || isStale()) return;
      const chunk = batch.messages.slice(i, i + batchSize);
      const projected = projectMessages(batch.topic, batch.partition, chunk, log);
      const inserted = await insertProjected(client, projected);
      const last = chunk[chunk.length - 1]!;
      resolveOffset(last.offset);
      // With autoCommit off, kafkajs commits only offsets passed explicitly.
      const next = (BigInt(last.offset) + 1n).toString();
      await commitOffsetsIfNecessary({ topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: next }] }] });
      // Counted once committed: a committed message is never redelivered to the group, and
      // countEndedDrop passes over a drop's DropProcessed seen again (the same drop published twice).
      for (const drop of projected.ended) {
        if (countEndedDrop(drop)) log.info({ dropId: drop.dropId, source: drop.source, status: drop.status, rows: drop.rows, accepted: drop.accepted, rejected: drop.rejected, duplicates: drop.duplicates }, 'drop projected');
      }
      projectionLag.set({ topic: batch.topic, partition: String(batch.partition) }, Math.max(0, Number(BigInt(batch.highWatermark) - BigInt(next))));
      log.debug({ topic: batch.topic, partition: batch.partition, messages: chunk.length, inserted, dropIds: [...projected.dropIds].slice(0, 20) }, 'batch projected');
      await heartbeat();
      opts.onBatch?.({ topic: batch.topic, partition: batch.partition, messages: chunk.length, skipped: projected.skipped, inserted, lastOffset: last.offset });
    }
  };

  let stopped = false;
  let replacing = false;
  /** Replaces a consumer that stopped or went quiet with a new one of the same group. */
  const replace = (c: Consumer, why: string) => {
    if (stopped || replacing || c !== consumer) return;
    replacing = true;
    log.warn({ groupId, why }, 'projections consumer replaced');
    void (async () => {
      // A stuck consumer may never finish disconnecting: wait for it a while, not forever.
      await Promise.race([c.disconnect().catch(() => undefined), new Promise((r) => setTimeout(r, 10_000))]);
      for (let attempt = 1; !stopped; attempt++) {
        try {
          consumer = await startConsumer();
          break;
        } catch (err) {
          log.warn({ groupId, attempt, err: (err as Error).message }, 'projections consumer did not start; trying again');
          await new Promise((r) => setTimeout(r, Math.min(30_000, 1000 * attempt)));
        }
      }
      replacing = false;
    })();
  };
  let alive = Date.now();
  let busy = 0;
  /**
   * A consumer, subscribed and running. kafkajs restarts a consumer that crashed on a retriable
   * error itself; one that crashed for good (after a broker restart it can give up finding the
   * group's coordinator) would stop the projections without a word, so it is replaced.
   * Fetches of up to 2 MB per partition (a message may carry an array of events), several
   * partitions at once: each commits its own offsets after its own inserts.
   */
  const startConsumer = async (): Promise<Consumer> => {
    const c: Consumer = kafka.consumer({ groupId, sessionTimeout: 30_000, heartbeatInterval: 3000, maxBytesPerPartition: 2 * 1024 * 1024 });
    c.on(c.events.CRASH, ({ payload }) => {
      if (!payload.restart) replace(c, `kafkajs stopped it: ${payload.error.message}`);
    });
    // A running consumer fetches every few seconds (maxWaitTime 5 s), even with nothing to read.
    for (const event of [c.events.FETCH_START, c.events.GROUP_JOIN, c.events.HEARTBEAT]) c.on(event, () => (alive = Date.now()));
    alive = Date.now();
    await c.connect();
    await c.subscribe({ topics, fromBeginning: true });
    await c.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 3,
      // A batch in progress waits on ClickHouse (which has its own timeouts), not on the consumer.
      eachBatch: async (payload) => {
        busy++;
        try {
          await eachBatch(payload);
        } finally {
          busy--;
          alive = Date.now();
        }
      },
    });
    return c;
  };
  let consumer: Consumer | undefined = await startConsumer();
  // After a broker restart kafkajs has been seen to rejoin the group and then fetch nothing, without
  // an error: a consumer that has neither fetched, joined nor beaten for QUIET_MS is replaced.
  const watchdog = setInterval(() => {
    if (consumer && busy === 0 && Date.now() - alive > QUIET_MS) replace(consumer, `no fetch, join or heartbeat for ${Math.round((Date.now() - alive) / 1000)} s`);
  }, 5000);
  watchdog.unref();
  log.info({ groupId, topics, database, path: opts.path?.kind ?? 'node' }, 'projections started');

  return {
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(watchdog);
      try {
        await consumer?.disconnect();
      } finally {
        await client.close();
      }
    },
  };
}
