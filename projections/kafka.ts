import { Kafka, logLevel, type SASLOptions } from 'kafkajs';
import type { StackSettings } from '../infra/stack/settings.js';

/** A kafkajs client from the stack settings (brokers, TLS, SASL). */
export function kafkaFrom(settings: StackSettings['kafka'], clientId: string): Kafka {
  const sasl = settings.sasl
    ? ({ mechanism: settings.sasl.mechanism, username: settings.sasl.username, password: settings.sasl.password } as SASLOptions)
    : undefined;
  return new Kafka({ clientId, brokers: settings.brokers, ssl: settings.ssl, sasl, logLevel: logLevel.ERROR });
}

/** Creates the topics that do not exist yet (broker defaults for partitions and replication). */
export async function ensureTopics(kafka: Kafka, topics: readonly string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t));
    if (missing.length > 0) {
      await admin.createTopics({ topics: missing.map((topic) => ({ topic })), waitForLeaders: true });
    }
  } finally {
    await admin.disconnect();
  }
}
