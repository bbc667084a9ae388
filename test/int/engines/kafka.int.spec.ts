import { describe, expect, it } from 'vitest';
import { Kafka, logLevel, type EachMessagePayload } from 'kafkajs';
import { testScope } from '../../support/isolation.js';
import { commitGroupOffsets } from '../../../adapters/kafka.js';

async function consumeUntil(kafka: Kafka, groupId: string, topic: string, count: number): Promise<string[]> {
  const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1000 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const seen: string[] = [];
  await new Promise<void>((resolve, reject) => {
    consumer
      .run({
        eachMessage: async ({ message }: EachMessagePayload) => {
          seen.push(message.value!.toString());
          if (seen.length >= count) resolve();
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  return seen;
}

describe('Kafka (real broker)', () => {
  it('delivers to a consumer group, and a restarted consumer resumes from its committed offset', async () => {
    const scope = testScope('kafka');
    const kafka = new Kafka({ clientId: scope.id, brokers: scope.stack.kafka.brokers, logLevel: logLevel.ERROR });
    const topic = scope.topic('smoke');
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    await admin.disconnect();

    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: ['a', 'b', 'c'].map((v) => ({ key: 'k', value: v })) });

    const group = `${scope.id}-group`;
    expect(await consumeUntil(kafka, group, topic, 3)).toEqual(['a', 'b', 'c']);

    await producer.send({ topic, messages: ['d', 'e'].map((v) => ({ key: 'k', value: v })) });
    await producer.disconnect();

    // Same group again: only what came after the committed offset.
    expect(await consumeUntil(kafka, group, topic, 2)).toEqual(['d', 'e']);

    const admin2 = kafka.admin();
    await admin2.connect();
    const offsets = await admin2.fetchOffsets({ groupId: group, topics: [topic] });
    await admin2.disconnect();
    expect(offsets[0]!.partitions[0]!.offset).toBe('5');
  });

  it('starts a new group where commitGroupOffsets put it, on every topic at once, and refuses a group with a running member', async () => {
    const scope = testScope('kafka-commit');
    const kafka = new Kafka({ clientId: scope.id, brokers: scope.stack.kafka.brokers, logLevel: logLevel.ERROR });
    const [one, two] = [scope.topic('commit-one'), scope.topic('commit-two')];
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: one, numPartitions: 2 }, { topic: two, numPartitions: 1 }], waitForLeaders: true });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: one, messages: ['a', 'b', 'c', 'd'].map((v) => ({ value: v, partition: 0 })) });
    await producer.send({ topic: two, messages: ['x', 'y', 'z'].map((v) => ({ value: v, partition: 0 })) });
    await producer.disconnect();

    const group = `${scope.id}-group`;
    await commitGroupOffsets(kafka, group, { [one]: { 0: '3', 1: '0' }, [two]: { 0: '1' } });
    const committed = async (topic: string) => (await admin.fetchOffsets({ groupId: group, topics: [topic] }))[0]!.partitions.map((p) => [p.partition, p.offset]).sort();
    expect(await committed(one)).toEqual([[0, '3'], [1, '0']]);
    expect(await committed(two)).toEqual([[0, '1']]);
    // The group's consumer reads from there: d on the first topic, y and z on the second.
    const consumer = kafka.consumer({ groupId: group, sessionTimeout: 10_000, heartbeatInterval: 1000 });
    await consumer.connect();
    await consumer.subscribe({ topics: [one, two], fromBeginning: true });
    const seen: string[] = [];
    await new Promise<void>((resolve, reject) => {
      consumer.run({ eachMessage: async ({ message }) => void (seen.push(message.value!.toString()), seen.length >= 3 && resolve()) }).catch(reject);
    });
    expect(seen.sort()).toEqual(['d', 'y', 'z']);
    // While it runs, the group is not free to move.
    await expect(commitGroupOffsets(kafka, group, { [one]: { 0: '0' } })).rejects.toThrow(/expected consumer group .* to have no running member, found 1/);
    await consumer.disconnect();
    await admin.disconnect();
  });
});
