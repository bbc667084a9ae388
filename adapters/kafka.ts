import { Kafka, logLevel, type logCreator, type RetryOptions, type SASLOptions } from 'kafkajs';
import type { KafkaSettings } from './settings.js';
import { useNativeCrc32c } from './kafka-crc.js';
import { logLine } from './log.js';

/** A kafkajs client from the stack settings (brokers, TLS, SASL): the one factory every Kafka user calls. */
export function kafkaFrom(settings: KafkaSettings, clientId: string, options: { retry?: RetryOptions; silent?: boolean } = {}): Kafka {
  useNativeCrc32c();
  const sasl = settings.sasl
    ? ({ mechanism: settings.sasl.mechanism, username: settings.sasl.username, password: settings.sasl.password } as SASLOptions)
    : undefined;
  return new Kafka({ clientId, brokers: settings.brokers, ssl: settings.ssl, sasl, logLevel: options.silent ? logLevel.NOTHING : logLevel.ERROR, logCreator: quietLogCreator, retry: options.retry });
}

/** Errors a fresh consumer group meets while the broker loads its coordinator, and a socket closed under a request at shutdown: kafkajs recovers from both. */
const TRANSIENT = /coordinator is (not available|loading)|Restarting the consumer|write after end/i;

/** kafkajs' JSON log lines on the log destination (adapters/log.ts), without the transient start-up errors it recovers from itself. */
export const quietLogCreator: logCreator = () => ({ namespace, level, label, log }) => {
  const text = `${log.message ?? ''} ${String(log.error ?? '')}`;
  if (TRANSIENT.test(text)) return;
  logLine(JSON.stringify({ level: label, logger: 'kafkajs', namespace, ...log, levelNumber: level }));
};

/** Creates the topics that do not exist yet (broker defaults for partitions and replication). */
export async function ensureTopics(kafka: Kafka, topics: readonly string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t));
    if (missing.length === 0) return;
    // kafkajs' own waitForLeaders gives up on UNKNOWN_TOPIC_OR_PARTITION, which a KRaft broker
    // answers for a moment after creating a topic: wait here instead, bounded.
    try {
      await admin.createTopics({ topics: missing.map((topic) => ({ topic })), waitForLeaders: false });
    } catch (err) {
      // Another process (a worker, the projections) may have created them a moment ago.
      if (!/already exists/i.test(String((err as Error).message) + JSON.stringify((err as { errors?: unknown }).errors ?? ''))) throw err;
    }
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        const { topics: meta } = await admin.fetchTopicMetadata({ topics: missing });
        if (meta.length === missing.length && meta.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) return;
      } catch (err) {
        if (Date.now() > deadline) throw err;
      }
      if (Date.now() > deadline) throw new Error(`topics ${missing.join(', ')} have no leaders after 30 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await admin.disconnect();
  }
}

/**
 * Commits `offsets` (topic → partition → offset) for a group that has no running member, so that
 * its next consumer (ClickHouse's, or a rebuild's) starts there. kafkajs' `admin.setOffsets` does
 * this one topic at a time and waits out a 5 s fetch each time; this joins once for all topics,
 * commits as soon as the group is joined and leaves (what it fetched meanwhile is ignored).
 */
export async function commitGroupOffsets(kafka: Kafka, groupId: string, offsets: Record<string, Record<number, string>>): Promise<void> {
  const topics = Object.keys(offsets).filter((t) => Object.keys(offsets[t]!).length > 0);
  if (topics.length === 0) return;
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100, maxBytesPerPartition: 1024, sessionTimeout: 10_000, rebalanceTimeout: 10_000 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics, fromBeginning: true });
    const group = await consumer.describeGroup();
    if (group.members.length > 0) {
      throw new Error(`commit offsets: expected consumer group ${groupId} to have no running member, found ${group.members.length} (state ${group.state})`);
    }
    await new Promise<void>((resolve, reject) => {
      let committing = false;
      consumer.on(consumer.events.GROUP_JOIN, () => {
        if (committing) return;
        committing = true;
        // kafkajs drops a commit made before its runner counts as running, which it does just after this event.
        setTimeout(() => {
          consumer
            .commitOffsets(topics.flatMap((topic) => Object.entries(offsets[topic]!).map(([partition, offset]) => ({ topic, partition: Number(partition), offset }))))
            .then(resolve, reject);
        }, 0);
      });
      consumer.on(consumer.events.CRASH, ({ payload }) => reject(payload.error));
      consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: async () => undefined }).catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  const admin = kafka.admin();
  await admin.connect();
  try {
    for (const topic of topics) {
      const committed = new Map(((await admin.fetchOffsets({ groupId, topics: [topic] }))[0]?.partitions ?? []).map((p) => [p.partition, p.offset]));
      for (const [partition, offset] of Object.entries(offsets[topic]!)) {
        const found = committed.get(Number(partition));
        if (found !== offset) throw new Error(`commit offsets: expected group ${groupId} at offset ${offset} of ${topic}#${partition}, found ${found ?? 'none'}`);
      }
    }
  } finally {
    await admin.disconnect();
  }
}
