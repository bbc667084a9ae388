/**
 * The librdkafka producer against the real broker: the same events published through it and
 * through kafkajs land as the same messages, on the same partitions, in the same order, so that
 * either client can publish beside the other and every consumer reads both alike.
 */
import { describe, expect, it } from 'vitest';
import type { Kafka } from 'kafkajs';
import { kafkaFrom } from '../../../adapters/kafka.js';
import { createPublisher } from '../../../adapters/publisher.js';
import { loadRdkafka, type RdkafkaProducer } from '../../../adapters/rdkafka.js';
import { topicsFor, type TallyEvent } from '../../../domain/events.js';
import { kafkaProducerFromEnv } from '../../../infra/config/engines.js';
import { engineRowRouting, rowTopicsFor } from '../../../projections/engine.js';
import { testScope } from '../../support/isolation.js';
import { observation } from '../projections/fixtures.js';

interface Seen {
  partition: number;
  offset: string;
  key: string;
  value: string;
  headers: Record<string, string>;
}

/** Every message of `topics` from the beginning, until `count` have arrived. */
async function readAll(kafka: Kafka, groupId: string, topics: string[], count: number): Promise<Map<string, Seen[]>> {
  const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1000 });
  const seen = new Map<string, Seen[]>(topics.map((t) => [t, []]));
  let n = 0;
  await consumer.connect();
  try {
    await consumer.subscribe({ topics, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`expected ${count} messages on ${topics.join(', ')}, found ${n} after 60 s`)), 60_000);
      consumer
        .run({
          eachMessage: async ({ topic, partition, message }) => {
            const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));
            seen.get(topic)!.push({ partition, offset: message.offset, key: message.key!.toString(), value: message.value!.toString(), headers });
            if (++n >= count) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  for (const list of seen.values()) list.sort((a, b) => a.partition - b.partition || Number(a.offset) - Number(b.offset));
  return seen;
}

describe('the librdkafka producer (real broker)', () => {
  it('publishes the messages kafkajs publishes, on the same partitions and in the same order', async () => {
    const client = loadRdkafka(kafkaProducerFromEnv().dir);
    // infra/install.sh builds it; where it could not, this says why (the worker falls back to kafkajs).
    expect(client.loaded ? 'loaded' : client.reason).toBe('loaded');
    if (!client.loaded) return;
    const scope = testScope('rdkafka');
    const kafka = kafkaFrom(scope.stack.kafka, scope.id);
    // 40 series of 30 observations, two calls overlapping, and a drop's events between them.
    const events: TallyEvent[] = [];
    for (let i = 0; i < 1200; i++) {
      events.push(observation({ source: 'dtm', area: `ML${String(1 + (i % 10)).padStart(2, '0')}0${1 + (i % 4)}`, value: i, recordedAt: '2020-05-01T00:00:00Z', rows: [i + 1] }));
    }
    const published: Record<'kafkajs' | 'librdkafka', { topics: string[]; offsets: Record<string, Record<number, string>> }> = {} as never;
    for (const name of ['kafkajs', 'librdkafka'] as const) {
      const prefix = `${scope.id}.${name}.`;
      const producer = name === 'librdkafka' ? client.producer(scope.stack.kafka, scope.id) : undefined;
      const publisher = await createPublisher(kafka, topicsFor(prefix), { rows: engineRowRouting(prefix), producer });
      expect(publisher.client).toBe(name);
      try {
        await Promise.all([publisher.publish(events.slice(0, 700)), publisher.publish(events.slice(700))]);
        published[name] = { topics: [rowTopicsFor(prefix).observations], offsets: await publisher.endOffsets() };
      } finally {
        await publisher.close();
      }
    }
    const [viaKafkajs, viaRdkafka] = await Promise.all(
      (['kafkajs', 'librdkafka'] as const).map((name) => readAll(kafka, `${scope.id}-${name}`, published[name].topics, Object.values(published[name].offsets[published[name].topics[0]!]!).reduce((n, o) => n + Number(o), 0))),
    );
    // kafkajs' producer is not idempotent: a request it retries after a timeout (on a loaded
    // machine) is written twice. Its messages are compared as they were first written.
    const firstWritten = (seen: Seen[]) => {
      const written = new Set<string>();
      return seen
        .map(({ partition, key, value, headers }) => ({ partition, key, value, headers }))
        .filter((m) => {
          const id = JSON.stringify(m);
          return !written.has(id) && written.add(id) !== undefined;
        });
    };
    const rdkafkaSeen = viaRdkafka!.get(published.librdkafka.topics[0]!)!;
    const a = firstWritten(viaKafkajs!.get(published.kafkajs.topics[0]!)!);
    const b = firstWritten(rdkafkaSeen);
    expect(a.length).toBeGreaterThan(1);
    expect(b).toEqual(a);
    // librdkafka's producer is idempotent: each message once, at consecutive offsets from 0 on each partition.
    expect(rdkafkaSeen).toHaveLength(b.length);
    for (const m of rdkafkaSeen) expect(Number(m.offset)).toBe(rdkafkaSeen.filter((n) => n.partition === m.partition).indexOf(m));
    // Every observation is in one of them, once, with its key's partition.
    const rows = b.flatMap((m) => m.value.split('\n').map((line) => (JSON.parse(line) as { event_id: string }).event_id));
    expect(rows).toHaveLength(events.length);
    expect(new Set(rows).size).toBe(events.length);
  }, 180_000);

  it('acknowledges calls in order: one resolves after the calls in flight before it, and fails with them', async () => {
    const scope = testScope('rdkafka-order');
    const kafka = kafkaFrom(scope.stack.kafka, scope.id);
    // librdkafka acknowledges partitions in any order: a producer whose acknowledgements are held here.
    const held: Array<{ resolve: () => void; reject: (err: Error) => void }> = [];
    const producer: RdkafkaProducer = {
      connect: async () => undefined,
      disconnect: async () => undefined,
      sendBatch: () => new Promise<void>((resolve, reject) => held.push({ resolve, reject })),
    };
    const prefix = `${scope.id}.`;
    const publisher = await createPublisher(kafka, topicsFor(prefix), { rows: engineRowRouting(prefix), producer });
    const event = (i: number) => observation({ source: 'dtm', area: 'ML0101', value: i, recordedAt: '2020-05-01T00:00:00Z', rows: [i] });
    const seen: string[] = [];
    const first = publisher.publish([event(1)]).then(() => seen.push('first'), (err: Error) => seen.push(`first: ${err.message}`));
    const second = publisher.publish([event(2)]).then(() => seen.push('second'), (err: Error) => seen.push(`second: ${err.message}`));
    expect(held).toHaveLength(2);
    held[1]!.resolve();
    await new Promise((r) => setTimeout(r, 50));
    expect(seen).toEqual([]);
    held[0]!.reject(new Error('broker down'));
    await Promise.all([first, second]);
    expect(seen).toEqual(['first: broker down', 'second: broker down']);
    // A call made once those settled starts afresh.
    const third = publisher.publish([event(3)]);
    held[2]!.resolve();
    await expect(third).resolves.toBeUndefined();
    await publisher.close();
  });
});
