/**
 * The live projections: one kafkajs consumer group over the four event topics and, on the node
 * path, the two row topics (inserted as they are, rows.ts), writing batches to ClickHouse. Offsets are committed only after ClickHouse accepted the rows, so a crash between
 * the two redelivers the batch, and the ReplacingMergeTree tables absorb the copies.
 */
import type { Admin, Consumer, EachBatchPayload } from 'kafkajs';
import type { Logger } from 'pino';
import { topicsFor } from '../domain/events.js';
import type { StackSettings } from '../infra/stack/settings.js';
import { insertProjected, projectMessages, type ProjectedBatch } from './apply.js';
import { openClickHouse } from '../adapters/clickhouse.js';
import { ensureTopics, kafkaFrom } from '../adapters/kafka.js';
import { countEndedDrop, projectionLag } from '../adapters/metrics.js';
import { projectionsLogger } from './log.js';
import { migrate } from './migrations.js';
import { applyProjectionPath, rowTopicsFor, tableOfRowTopic } from './engine.js';
import { insertRowBatch } from './rows.js';
import type { ProjectionPath } from '../infra/config.js';

/** How long a consumer may consume nothing while its partitions hold messages before it is replaced. */
const STALLED_MS = 30_000;
/** How often a consumer that has consumed nothing for STALLED_MS is checked against the log. */
const CHECK_MS = 10_000;

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
  const rowTopics = rowTopicsFor(opts.topicPrefix ?? '');
  // On the node path this group also inserts the row topics' messages, as they are.
  const nodeRows = opts.path?.kind !== 'engine';
  const topics = [...Object.values(topicsFor(opts.topicPrefix ?? '')), ...(nodeRows ? Object.values(rowTopics) : [])];

  const client = await openClickHouse(opts.settings.clickhouse, { database });
  await migrate(client, database);
  const kafka = kafkaFrom(opts.settings.kafka, `${groupId}-consumer`);
  await ensureTopics(kafka, topics);
  await applyProjectionPath(client, kafka, opts.path, { database, topicPrefix: opts.topicPrefix ?? '', projectionsGroup: groupId });

  const eachBatch = async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale }: EachBatchPayload) => {
    for (let i = 0; i < batch.messages.length; i += batchSize) {
      if (!isRunning() || isStale()) return;
      const chunk = batch.messages.slice(i, i + batchSize);
      const rowTable = nodeRows ? tableOfRowTopic(rowTopics, batch.topic) : undefined;
      let projected: Pick<ProjectedBatch, 'skipped' | 'ended' | 'dropIds'>;
      let inserted: Record<string, number>;
      if (rowTable === undefined) {
        const events = projectMessages(batch.topic, batch.partition, chunk, log);
        inserted = await insertProjected(client, events);
        projected = events;
      } else {
        const rows = await insertRowBatch(client, rowTable, { topic: batch.topic, partition: batch.partition }, chunk, log);
        inserted = rows.inserted;
        projected = { skipped: rows.skipped, ended: [], dropIds: new Set() };
      }
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
          // Stopped while this one was starting: stop() disconnected the one before.
          if (stopped) await consumer.disconnect();
          break;
        } catch (err) {
          log.warn({ groupId, attempt, err: (err as Error).message }, 'projections consumer did not start; trying again');
          await new Promise((r) => setTimeout(r, Math.min(30_000, 1000 * attempt)));
        }
      }
      replacing = false;
    })();
  };
  /** When a batch last ended (or the consumer started), and what the group gave it. */
  let progressAt = Date.now();
  let joinedAt: number | undefined;
  let assigned: Record<string, number[]> = {};
  let busy = 0;
  let latest: Consumer | undefined;
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
    latest = c;
    c.on(c.events.GROUP_JOIN, ({ payload }) => {
      if (c !== latest) return;
      joinedAt = Date.now();
      assigned = payload.memberAssignment;
    });
    progressAt = Date.now();
    joinedAt = undefined;
    assigned = {};
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
          progressAt = Date.now();
        }
      },
    });
    return c;
  };
  let consumer: Consumer | undefined = await startConsumer();
  // After a broker restart kafkajs has been seen to rejoin the group, or to keep fetching, and
  // consume nothing, without an error. So progress is judged against the log itself: a consumer
  // that has consumed nothing for STALLED_MS while its partitions hold messages past the group's
  // committed offsets (or that has not joined the group in that time) is replaced.
  let checking = false;
  const watchdog = setInterval(() => {
    if (!consumer || checking || replacing || busy > 0 || Date.now() - progressAt < STALLED_MS) return;
    checking = true;
    const c = consumer;
    void stalled()
      .then((why) => {
        if (why && c === consumer && busy === 0 && Date.now() - progressAt >= STALLED_MS) replace(c, why);
      })
      .catch((err: unknown) => log.debug({ groupId, err: (err as Error).message }, 'projections progress check failed'))
      .finally(() => (checking = false));
  }, CHECK_MS);
  watchdog.unref();
  /** Why the consumer looks stalled, or undefined when it has nothing to consume. */
  const stalled = async (): Promise<string | undefined> => {
    const quietFor = `${Math.round((Date.now() - progressAt) / 1000)} s`;
    if (joinedAt === undefined) return `not in the group after ${quietFor}`;
    const partitions = Object.entries(assigned).filter(([, ps]) => ps.length > 0);
    if (partitions.length === 0) return undefined;
    const admin = kafka.admin();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('the progress check timed out')), CHECK_MS)));
    try {
      const lag = await Promise.race([assignedLag(admin, groupId, partitions), timeout]);
      return lag > 0 ? `${lag} messages waiting on its partitions and nothing consumed for ${quietFor}` : undefined;
    } finally {
      clearTimeout(timer);
      await admin.disconnect().catch(() => undefined);
    }
  };
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

/** Messages on the given partitions past the group's committed offsets. */
async function assignedLag(admin: Admin, groupId: string, partitions: Array<[string, number[]]>): Promise<number> {
  await admin.connect();
  let lag = 0;
  for (const [topic, ps] of partitions) {
    const [ends, committed] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId, topics: [topic] })]);
    const done = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, Math.max(0, Number(p.offset))]));
    for (const end of ends) if (ps.includes(end.partition)) lag += Math.max(0, Number(end.high) - (done.get(end.partition) ?? 0));
  }
  return lag;
}
