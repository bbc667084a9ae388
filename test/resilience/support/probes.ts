/** Probes of the faults spec: raw HTTP requests, and what Kafka and Temporal hold. */
import { connect } from 'node:net';
import type { Client } from '@temporalio/client';
import type { IHeaders } from 'kafkajs';
import type { createKafka } from '../../../adapters/publisher.js';

/** Requests the issue found to kill the server, and other malformed ones. */
export const MALFORMED = [
  'GET //[::1 HTTP/1.1\r\nHost: x\r\n\r\n',
  'GET http://%zz/ HTTP/1.1\r\nHost: x\r\n\r\n',
  'GET http://a:99999/ HTTP/1.1\r\nHost: x\r\n\r\n',
  'GET /api/figures?indicator=%ZZ HTTP/1.1\r\nHost: x\r\n\r\n',
  "GET /api/figures?indicator=idps&area=%27%20OR%201%3D1%20-- HTTP/1.1\r\nHost: x\r\n\r\n",
  'GET /../../../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n',
  'POST /api/figures HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello',
  'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n',
  '\u0000\u0001\u0002\u0003 garbage\r\n\r\n',
  `GET /api/figures?${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
];

/** Sends raw bytes, returns the status line of the answer, or 'closed' when the server closed without one. */
export function rawRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    socket.setTimeout(10_000, () => socket.destroy());
    socket.on('data', (d: Buffer) => {
      data += d.toString('latin1');
      if (data.includes('\r\n')) socket.end();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(data.includes('\r\n') ? data.slice(0, data.indexOf('\r\n')) : 'closed'));
    socket.write(text, 'latin1');
  });
}

type KafkaClient = ReturnType<typeof createKafka>;

/** The first `n` messages of each topic (raw: key, value, headers, partition), read by a consumer group of their own. */
export async function firstMessages(kafka: KafkaClient, topics: string[], n: number) {
  const admin = kafka.admin();
  await admin.connect();
  const wanted = new Map<string, number>();
  for (const topic of topics) wanted.set(topic, Math.min(n, (await admin.fetchTopicOffsets(topic)).reduce((sum, o) => sum + Number(o.high), 0)));
  await admin.disconnect();
  const got = new Map<string, Array<{ key: Buffer | null; value: Buffer | null; headers?: IHeaders; partition: number }>>(topics.map((t) => [t, []]));
  const consumer = kafka.consumer({ groupId: `redeliver-${Date.now()}` });
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  let bytes = 0;
  let events = 0;
  await new Promise<void>((resolve) => {
    void consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        const list = got.get(topic)!;
        if (list.length < wanted.get(topic)!) {
          list.push({ key: message.key, value: message.value, headers: message.headers, partition });
          bytes += (message.value?.length ?? 0) + (message.key?.length ?? 0);
          const value = JSON.parse(message.value?.toString() ?? 'null') as unknown;
          events += Array.isArray(value) ? value.length : 1;
        }
        if (topics.every((t) => got.get(t)!.length >= wanted.get(t)!)) resolve();
      },
    });
  });
  await consumer.disconnect();
  const topicMessages = [...got].map(([topic, messages]) => ({ topic, messages }));
  return { topicMessages, messages: topicMessages.reduce((sum, t) => sum + t.messages.length, 0), events, bytes };
}

export async function topicPartitions(kafka: KafkaClient, topics: string[]): Promise<Record<string, number>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { topics: meta } = await admin.fetchTopicMetadata({ topics });
    return Object.fromEntries(meta.map((t) => [t.name, t.partitions.length]));
  } finally {
    await admin.disconnect();
  }
}

/** The workers (identity pid@host) that ran each workflow's activities, from the histories. */
export async function workerIdentities(handles: Array<ReturnType<Client['workflow']['getHandle']>>): Promise<string[]> {
  const identities = new Set<string>();
  for (const h of handles) {
    for (const e of (await h.fetchHistory()).events ?? []) {
      const identity = e.activityTaskStartedEventAttributes?.identity ?? e.workflowTaskStartedEventAttributes?.identity;
      if (identity) identities.add(identity);
    }
  }
  return [...identities].sort();
}
