/** Kafka access for activities: one client and producer per worker, events as JSON keyed by series. */
import { CompressionTypes, Kafka, logLevel, type Producer, type SASLOptions } from 'kafkajs';
import { TOPIC_OF, type TallyEvent, type Topics } from '../domain/events.js';
import type { StackSettings } from '../infra/stack/settings.js';
import { ensureTopics } from '../projections/kafka.js';

export function createKafka(settings: StackSettings['kafka'], clientId = 'migration-tally'): Kafka {
  return new Kafka({
    clientId,
    brokers: settings.brokers,
    ssl: settings.ssl || undefined,
    sasl: settings.sasl as SASLOptions | undefined,
    logLevel: logLevel.ERROR,
    retry: { retries: 8, initialRetryTime: 200 },
  });
}

/** The message key: a series group for figures and observations (order holds per series), else the drop. */
export function eventKey(event: TallyEvent): string {
  switch (event.type) {
    case 'ObservationRecorded':
    case 'FigureReconciled':
    case 'DiscrepancyDetected':
    case 'DiscrepancyResolved':
      return event.groupKey;
    case 'DropReceived':
    case 'DropProcessed':
    case 'RowRejected':
    case 'RowDuplicated':
      return event.dropId;
    default: {
      const never: never = event;
      throw new Error(`no key for event ${JSON.stringify(never)}`);
    }
  }
}

export interface EventPublisher {
  publish(events: readonly TallyEvent[]): Promise<void>;
  /** Current end offsets of every topic: a consumer that committed up to them has seen everything published so far. */
  endOffsets(): Promise<Record<string, Record<number, string>>>;
  close(): Promise<void>;
}

/** Sends events in one request per call, grouped by topic, compressed, acknowledged by all replicas. */
export async function createPublisher(kafka: Kafka, topics: Topics): Promise<EventPublisher> {
  const producer: Producer = kafka.producer({ allowAutoTopicCreation: true });
  await producer.connect();
  await ensureTopics(kafka, Object.values(topics));
  return {
    async publish(events) {
      if (events.length === 0) return;
      const byTopic = new Map<string, { key: string; value: string; headers: Record<string, string> }[]>();
      for (const event of events) {
        const topic = topics[TOPIC_OF[event.type]];
        const list = byTopic.get(topic) ?? [];
        list.push({ key: eventKey(event), value: JSON.stringify(event), headers: { type: event.type } });
        byTopic.set(topic, list);
      }
      await producer.sendBatch({
        acks: -1,
        compression: CompressionTypes.GZIP,
        topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
      });
    },
    async endOffsets() {
      const admin = kafka.admin();
      await admin.connect();
      try {
        const result: Record<string, Record<number, string>> = {};
        for (const topic of Object.values(topics)) {
          const offsets = await admin.fetchTopicOffsets(topic);
          result[topic] = Object.fromEntries(offsets.map((o) => [o.partition, o.high]));
        }
        return result;
      } finally {
        await admin.disconnect();
      }
    },
    async close() {
      await producer.disconnect();
    },
  };
}

/** True when the consumer group has committed at least up to `offsets` on every partition. */
export async function groupCaughtUp(kafka: Kafka, groupId: string, offsets: Record<string, Record<number, string>>): Promise<{ caughtUp: boolean; lag: number }> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    let lag = 0;
    for (const [topic, partitions] of Object.entries(offsets)) {
      const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
      const byPartition = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
      for (const [partition, high] of Object.entries(partitions)) {
        const done = Math.max(0, byPartition.get(Number(partition)) ?? 0);
        lag += Math.max(0, Number(high) - done);
      }
    }
    return { caughtUp: lag === 0, lag };
  } finally {
    await admin.disconnect();
  }
}
