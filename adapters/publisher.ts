/** Kafka access for activities: one client and producer per worker, events as JSON keyed by series. */
import { CompressionTypes, Kafka, type Producer } from 'kafkajs';
import { TOPIC_OF, type TallyEvent, type Topics } from '../domain/events.js';
import type { KafkaSettings } from './settings.js';
import { ensureTopics, kafkaFrom } from './kafka.js';
import { eventsPublished } from './metrics.js';
import type { RdkafkaProducer } from './rdkafka.js';

/** The worker's client: the shared factory, with more patient retries for publishing. */
export function createKafka(settings: KafkaSettings, clientId = 'migration-tally'): Kafka {
  return kafkaFrom(settings, clientId, { retry: { retries: 8, initialRetryTime: 200 } });
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
  /**
   * Sends the events; resolves once the broker acknowledged all of them and every call still in
   * flight when this one was made (it fails when one of those failed). Calls may overlap: the
   * requests leave in call order, so the order per key is the order of the calls (a caller can
   * encode its next batch while the previous one is on the wire).
   */
  publish(events: readonly TallyEvent[]): Promise<void>;
  /** Current end offsets of every topic: a consumer that committed up to them has seen everything published so far. */
  endOffsets(): Promise<Record<string, Record<number, string>>>;
  close(): Promise<void>;
  /** The client the events leave through. */
  readonly client: 'kafkajs' | 'librdkafka';
}

/**
 * Most bytes of one Kafka message: consecutive events of one topic, key and type are carried as a
 * JSON array in one message (a single event stays a plain JSON object). Consumers accept both.
 */
export const MESSAGE_BYTES = 128 * 1024;
/** Most bytes of one produce request: below the broker's default message.max.bytes (1 MB) per partition. */
export const REQUEST_BYTES = 900 * 1024;

/**
 * Events that travel as flat rows instead of as themselves (the engine projection path): ClickHouse
 * reads them from their own topics in JSONEachRow, one row per line, several lines per message.
 */
export interface RowRouting {
  /** The row topic of the event, or undefined when the event travels as itself. */
  topicOf(event: TallyEvent): string | undefined;
  /** The event's row as one line of JSON; throws (expected/found/where) when the event is not valid. */
  encode(event: TallyEvent): string;
  /** Every row topic (created with the others, and in `endOffsets`). */
  readonly topics: readonly string[];
}

interface Outgoing {
  key: string;
  value: string;
  headers: Record<string, string>;
}

/** Requests of at most REQUEST_BYTES, each message an event or an array of events of one topic, key and type. */
export function encodeEvents(events: readonly TallyEvent[], topics: Topics, rows?: RowRouting): Array<Array<{ topic: string; messages: Outgoing[] }>> {
  // One open message per topic and key; an event of another type closes it, so the order of
  // events per topic and key is the order of the messages.
  const open = new Map<string, { topic: string; key: string; type: string; parts: string[]; bytes: number; flat: boolean }>();
  const done: Array<{ topic: string; message: Outgoing; bytes: number }> = [];
  const close = (id: string) => {
    const m = open.get(id);
    if (!m) return;
    open.delete(id);
    // Flat rows: JSONEachRow lines; events: one object, or an array of them.
    const value = m.flat ? m.parts.join('\n') : m.parts.length === 1 ? m.parts[0]! : `[${m.parts.join(',')}]`;
    done.push({ topic: m.topic, bytes: m.bytes, message: { key: m.key, value, headers: { type: m.type, events: String(m.parts.length), ...(m.flat ? { format: 'JSONEachRow' } : {}) } } });
  };
  for (const event of events) {
    const rowTopic = rows?.topicOf(event);
    const flat = rowTopic !== undefined;
    const topic = rowTopic ?? topics[TOPIC_OF[event.type]];
    const key = eventKey(event);
    const id = `${topic}\u0000${key}`;
    const json = flat ? rows!.encode(event) : JSON.stringify(event);
    const bytes = Buffer.byteLength(json);
    const current = open.get(id);
    if (current && (current.type !== event.type || current.bytes + bytes + 1 > MESSAGE_BYTES)) close(id);
    const m = open.get(id);
    if (m) {
      m.parts.push(json);
      m.bytes += bytes + 1;
    } else {
      open.set(id, { topic, key, type: event.type, parts: [json], bytes: bytes + 2, flat });
    }
  }
  for (const id of [...open.keys()]) close(id);
  const requests: Array<Array<{ topic: string; messages: Outgoing[] }>> = [];
  let request = new Map<string, Outgoing[]>();
  let size = 0;
  const push = () => {
    if (request.size > 0) requests.push([...request].map(([topic, messages]) => ({ topic, messages })));
    request = new Map();
    size = 0;
  };
  for (const { topic, message, bytes } of done) {
    if (size > 0 && size + bytes > REQUEST_BYTES) push();
    const list = request.get(topic);
    if (list) list.push(message);
    else request.set(topic, [message]);
    size += bytes;
  }
  push();
  return requests;
}

/**
 * Sends events acknowledged by all replicas, uncompressed (gzip in the JS thread cost more than
 * the bytes it saved on the wire), several events of one key per message. With `producer` (the
 * librdkafka one, rdkafka.ts) the requests are handed to librdkafka as soon as they are encoded,
 * in call order, and it batches and sends them from its own threads; with kafkajs they leave one
 * request at a time.
 */
export async function createPublisher(kafka: Kafka, topics: Topics, options: { rows?: RowRouting; producer?: RdkafkaProducer } = {}): Promise<EventPublisher> {
  const all = [...Object.values(topics), ...(options.rows?.topics ?? [])];
  await ensureTopics(kafka, all);
  const send = await sender(kafka, options.producer);
  // Every publish call not yet acknowledged; a failed call does not stop the next.
  let tail: Promise<void> = Promise.resolve();
  // The last call, and how many are not settled yet.
  let ordered: Promise<void> = Promise.resolve();
  let inFlight = 0;
  return {
    client: options.producer ? 'librdkafka' : 'kafkajs',
    publish(events) {
      if (events.length === 0) return Promise.resolve();
      // Encoded (and, for flat rows, validated) before anything is sent: a bad event fails the call.
      let requests: ReturnType<typeof encodeEvents>;
      try {
        requests = encodeEvents(events, topics, options.rows);
      } catch (err) {
        return Promise.reject(err as Error);
      }
      // librdkafka acknowledges partitions in any order: a call resolves only once the calls still
      // in flight when it was made have resolved too, and fails if one of them failed, so that
      // callers counting acknowledged calls in order never count past a failed one.
      const earlier = inFlight > 0 ? ordered : Promise.resolve();
      const own = send.pipelined
        ? Promise.all(
            requests.map((r) => {
              const counted = countPublished(r);
              return send.request(r).then(counted);
            }),
          ).then(() => undefined)
        : tail.then(async () => {
            for (const r of requests) {
              const counted = countPublished(r);
              await send.request(r);
              counted();
            }
          });
      const sent = Promise.all([earlier, own]).then(() => undefined);
      // `tail` waits for this call's own requests, whatever became of the earlier calls.
      const ownSettled = own.catch(() => undefined);
      tail = send.pipelined ? Promise.all([tail, ownSettled]).then(() => undefined) : ownSettled;
      ordered = sent;
      inFlight++;
      void Promise.all([ownSettled, sent.catch(() => undefined)]).then(() => inFlight--);
      return sent;
    },
    async endOffsets() {
      await tail;
      const admin = kafka.admin();
      await admin.connect();
      try {
        const result: Record<string, Record<number, string>> = {};
        for (const topic of all) {
          const offsets = await admin.fetchTopicOffsets(topic);
          result[topic] = Object.fromEntries(offsets.map((o) => [o.partition, o.high]));
        }
        return result;
      } finally {
        await admin.disconnect();
      }
    },
    async close() {
      await tail;
      await send.close();
    },
  };
}

type Request = ReturnType<typeof encodeEvents>[number];

/** How requests leave: kafkajs one after the other, or librdkafka as they come (it keeps each partition's order). */
async function sender(kafka: Kafka, rdkafka: RdkafkaProducer | undefined): Promise<{ pipelined: boolean; request(r: Request): Promise<void>; close(): Promise<void> }> {
  if (rdkafka) {
    await rdkafka.connect();
    return {
      pipelined: true,
      request: async (topicMessages) => {
        await rdkafka.sendBatch({ topicMessages });
      },
      close: () => rdkafka.disconnect(),
    };
  }
  const producer: Producer = kafka.producer({ allowAutoTopicCreation: true });
  await producer.connect();
  return {
    pipelined: false,
    request: async (topicMessages) => {
      await producer.sendBatch({ acks: -1, compression: CompressionTypes.None, topicMessages });
    },
    close: () => producer.disconnect(),
  };
}

/**
 * Counts a request's events per topic (each message says how many it carries), before it is
 * sent (librdkafka's client rewrites the headers it is given); the returned call adds them to
 * the metric once the request is acknowledged.
 */
function countPublished(topicMessages: Request): () => void {
  const counts = topicMessages.map(({ topic, messages }) => [topic, messages.reduce((n, m) => n + Number(m.headers.events), 0)] as const);
  return () => {
    for (const [topic, n] of counts) eventsPublished.inc({ topic }, n);
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
