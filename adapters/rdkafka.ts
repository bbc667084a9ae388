/**
 * The librdkafka producer (@confluentinc/kafka-javascript, its KafkaJS-compatible API): the
 * worker's events leave through librdkafka's own threads, so the record batches are built,
 * checksummed and written off the worker's JavaScript thread, which is the pipeline's busiest.
 *
 * It is a native module, built from its bundled librdkafka source by infra/install.sh into
 * $TALLY_HOME (not a package.json dependency: without a prebuilt binary for the platform, npm
 * would have to compile it on every `npm ci`). Where it is not built, or cannot load, the worker
 * publishes with kafkajs and says so (activities/deps.ts).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { KafkaSettings } from './settings.js';
import { logLine } from './log.js';

/** The version infra/install.sh builds (KAFKA_JS_CLIENT_VERSION there; a unit test keeps them equal). */
export const RDKAFKA_CLIENT_VERSION = '1.10.1';
const PACKAGE = '@confluentinc/kafka-javascript';

export interface RdkafkaMessage {
  key: string;
  value: string;
  headers: Record<string, string>;
}

/** The part of the compatible producer the publisher uses. */
export interface RdkafkaProducer {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  sendBatch(batch: { topicMessages: Array<{ topic: string; messages: RdkafkaMessage[] }> }): Promise<unknown>;
}

interface RdkafkaModule {
  librdkafkaVersion: string;
  KafkaJS: { Kafka: new (config: Record<string, unknown>) => { producer(config: Record<string, unknown>): RdkafkaProducer } };
}

export type RdkafkaClient =
  | { loaded: true; librdkafka: string; dir: string; producer(settings: KafkaSettings, clientId: string): RdkafkaProducer }
  | { loaded: false; reason: string };

/** The client built in `dir` (infra/install.sh's `kafka-javascript-<version>`), or why it cannot be used. */
export function loadRdkafka(dir: string): RdkafkaClient {
  const manifest = join(dir, 'package.json');
  if (!existsSync(join(dir, 'node_modules', PACKAGE, 'package.json'))) {
    return { loaded: false, reason: `${PACKAGE} ${RDKAFKA_CLIENT_VERSION} is not built in ${dir} (npm run engines:install builds it)` };
  }
  let module: RdkafkaModule;
  try {
    module = createRequire(manifest)(PACKAGE) as RdkafkaModule;
  } catch (err) {
    return { loaded: false, reason: `${PACKAGE} in ${dir} does not load: ${(err as Error).message.split('\n')[0]}` };
  }
  return { loaded: true, librdkafka: module.librdkafkaVersion, dir, producer: (settings, clientId) => producerOf(module, settings, clientId) };
}

/**
 * The client the worker publishes with, from the setting (`choice`, and `dir` where install.sh
 * builds librdkafka's): kafkajs when the setting says so or the client cannot be used (`reason`).
 */
export function publishingClient(wanted: { choice: 'auto' | 'librdkafka' | 'kafkajs'; dir: string }):
  | { use: 'librdkafka'; client: Extract<RdkafkaClient, { loaded: true }> }
  | { use: 'kafkajs'; reason: string } {
  if (wanted.choice === 'kafkajs') return { use: 'kafkajs', reason: 'TALLY_KAFKA_PRODUCER=kafkajs' };
  const client = loadRdkafka(wanted.dir);
  return client.loaded ? { use: 'librdkafka', client } : { use: 'kafkajs', reason: client.reason };
}

/**
 * Acknowledged by all in-sync replicas, uncompressed, idempotent (librdkafka keeps the order of
 * each partition's messages across its retries), with the Java client's murmur2 partitioner,
 * which kafkajs' default partitioner also is: a key lands on the same partition whichever
 * client sent it.
 */
function producerOf(module: RdkafkaModule, settings: KafkaSettings, clientId: string): RdkafkaProducer {
  // The client tells a key that is present from one that is absent: no `sasl: undefined`.
  const sasl = settings.sasl ? { sasl: { mechanism: settings.sasl.mechanism, username: settings.sasl.username, password: settings.sasl.password } } : {};
  const kafka = new module.KafkaJS.Kafka({ kafkaJS: { clientId, brokers: settings.brokers, ssl: settings.ssl, ...sasl, logger: new JsonLogger() } });
  return kafka.producer({
    kafkaJS: { acks: -1, idempotent: true, compression: 'none', allowAutoTopicCreation: true, retry: { retries: 8 }, logger: new JsonLogger() },
    'linger.ms': 5,
  });
}

const LEVELS = { error: 1, warn: 2, info: 3, debug: 4 } as const;
/** What a new broker answers for a moment after it starts; librdkafka retries it itself. */
const TRANSIENT = /Coordinator load in progress|Coordinator not available/i;

/** The client's log lines as JSON on the log destination (adapters/log.ts): warnings and errors, less the transient ones. */
class JsonLogger {
  private level = LEVELS.warn as number;
  setLogLevel(level: number) {
    this.level = Math.min(level, LEVELS.warn);
  }
  namespace() {
    return this;
  }
  error(message: string, extra?: object) {
    this.line('error', message, extra);
  }
  warn(message: string, extra?: object) {
    this.line('warn', message, extra);
  }
  info(message: string, extra?: object) {
    this.line('info', message, extra);
  }
  debug(message: string, extra?: object) {
    this.line('debug', message, extra);
  }
  private line(label: keyof typeof LEVELS, message: string, extra?: object) {
    if (LEVELS[label] > this.level || (label !== 'error' && TRANSIENT.test(message))) return;
    logLine(JSON.stringify({ level: label, logger: 'librdkafka', ...extra, message }));
  }
}
