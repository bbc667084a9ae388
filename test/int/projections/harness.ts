/** Shared steps of the projection integration tests: publish events, wait for the projections. */
import type { Kafka } from 'kafkajs';
import { TOPIC_OF, topicsFor, type TallyEvent } from '../../../domain/events.js';
import { consumerLag } from '../../../projections/watermark.js';
import { engineRowRouting, rowTopicsFor } from '../../../projections/engine.js';
import { keyOf } from './fixtures.js';

/**
 * Publishes each event as one message. With `rows`, observations and figures go as the worker
 * sends them, their tables' rows on the row topics; without, as events on the event topics (as a
 * log written before the row topics holds them).
 */
export async function publish(kafka: Kafka, prefix: string, events: readonly TallyEvent[], extra: { topic: string; value: string }[] = [], options: { rows?: boolean } = {}): Promise<void> {
  const topics = topicsFor(prefix);
  const routing = options.rows ? engineRowRouting(prefix) : undefined;
  const producer = kafka.producer();
  await producer.connect();
  try {
    for (const e of events) {
      const rowTopic = routing?.topicOf(e);
      const message = { key: keyOf(e), value: rowTopic ? routing!.encode(e) : JSON.stringify(e), headers: { type: e.type, events: '1' } };
      await producer.send({ topic: rowTopic ?? topics[TOPIC_OF[e.type]], messages: [message] });
    }
    for (const m of extra) await producer.send({ topic: m.topic, messages: [{ key: 'junk', value: m.value }] });
  } finally {
    await producer.disconnect();
  }
}

/** Polls `check` until it returns true, at most `timeoutMs`; fails with `what` otherwise. */
export async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Waits until the group has committed everything on the event and row topics (the watermark for "projected"). */
export async function waitForNoLag(kafka: Kafka, groupId: string, prefix: string): Promise<void> {
  const topics = [...Object.values(topicsFor(prefix)), ...Object.values(rowTopicsFor(prefix))];
  await waitUntil(`consumer group ${groupId} to catch up`, async () => {
    const lags = await consumerLag(kafka, groupId, topics);
    return lags.every((l) => l.lag === 0);
  });
}
