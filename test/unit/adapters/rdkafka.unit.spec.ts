/** Choosing the worker's Kafka producer: the setting, the client's location, and the fallback to kafkajs. */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadRdkafka, RDKAFKA_CLIENT_VERSION } from '../../../adapters/rdkafka.js';
import { librdkafkaProducer } from '../../../activities/deps.js';
import { configFromEnv, configToEnv, kafkaProducerFromEnv } from '../../../infra/config.js';
import type { StackSettings } from '../../../infra/stack/settings.js';

const stack = { provider: 'external', kafka: { brokers: ['127.0.0.1:1'], ssl: false }, temporal: { address: '127.0.0.1:2', namespace: 'default', tls: false }, clickhouse: { url: 'http://127.0.0.1:3', username: 'default', password: '', database: 'tally' } } as StackSettings;

function recorder() {
  const lines: Array<{ level: string; fields: unknown; message: string }> = [];
  const log = {
    info: (fields: unknown, message?: string) => void lines.push({ level: 'info', fields, message: message ?? String(fields) }),
    warn: (fields: unknown, message?: string) => void lines.push({ level: 'warn', fields, message: message ?? String(fields) }),
  };
  return { lines, log: log as never };
}

describe('the Kafka producer setting', () => {
  it('defaults to auto, with the client built under TALLY_HOME, and refuses an unknown name', () => {
    expect(kafkaProducerFromEnv({ TALLY_HOME: '/opt/tally' })).toEqual({ choice: 'auto', dir: `/opt/tally/kafka-javascript-${RDKAFKA_CLIENT_VERSION}` });
    expect(kafkaProducerFromEnv({ TALLY_KAFKA_PRODUCER: 'kafkajs', TALLY_KAFKA_CLIENT_DIR: '/srv/client' })).toEqual({ choice: 'kafkajs', dir: '/srv/client' });
    expect(() => kafkaProducerFromEnv({ TALLY_KAFKA_PRODUCER: 'rdkafka' })).toThrow('TALLY_KAFKA_PRODUCER: expected one of auto, librdkafka, kafkajs, found "rdkafka"');
  });

  it('travels to the processes a configuration starts', () => {
    const config = configFromEnv(stack, { TALLY_KAFKA_PRODUCER: 'librdkafka', TALLY_KAFKA_CLIENT_DIR: '/srv/client' });
    const env = configToEnv(config);
    expect([env.TALLY_KAFKA_PRODUCER, env.TALLY_KAFKA_CLIENT_DIR]).toEqual(['librdkafka', '/srv/client']);
    expect(configFromEnv(stack, env).kafkaProducer).toEqual(config.kafkaProducer);
  });

  it('is the version infra/install.sh builds', () => {
    const script = readFileSync(join(import.meta.dirname, '../../../infra/install.sh'), 'utf8');
    expect(/^KAFKA_JS_CLIENT_VERSION="([^"]+)"$/m.exec(script)?.[1]).toBe(RDKAFKA_CLIENT_VERSION);
  });
});

describe('the worker without the librdkafka client', () => {
  const missing = join(mkdtempSync(join(tmpdir(), 'tally-rdkafka-')), 'kafka-javascript');

  it('says where it looked and what builds it', () => {
    const client = loadRdkafka(missing);
    expect(client.loaded).toBe(false);
    expect(client.loaded ? '' : client.reason).toBe(`@confluentinc/kafka-javascript ${RDKAFKA_CLIENT_VERSION} is not built in ${missing} (npm run engines:install builds it)`);
  });

  it('publishes with kafkajs and says so when the choice is auto', () => {
    const { lines, log } = recorder();
    expect(librdkafkaProducer({ stack, kafkaProducer: { choice: 'auto', dir: missing } }, log)).toBeUndefined();
    expect(lines).toEqual([{ level: 'warn', fields: { reason: expect.stringContaining(missing) }, message: 'publishing with kafkajs: the librdkafka producer is not available' }]);
  });

  it('publishes with kafkajs when told to, without looking for the client', () => {
    const { lines, log } = recorder();
    expect(librdkafkaProducer({ stack, kafkaProducer: { choice: 'kafkajs', dir: missing } }, log)).toBeUndefined();
    expect(lines.map((l) => l.message)).toEqual(['publishing with kafkajs (TALLY_KAFKA_PRODUCER=kafkajs)']);
  });

  it('refuses to start when librdkafka is required, naming the folder', () => {
    const { log } = recorder();
    expect(() => librdkafkaProducer({ stack, kafkaProducer: { choice: 'librdkafka', dir: missing } }, log)).toThrow(
      `TALLY_KAFKA_PRODUCER=librdkafka: expected the librdkafka client, found that @confluentinc/kafka-javascript ${RDKAFKA_CLIENT_VERSION} is not built in ${missing}`,
    );
  });
});
