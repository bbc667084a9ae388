/**
 * Which engines, and the settings of existing clusters (TALLY_STACK=external).
 * Part of infra/config.ts, the one place that reads the environment.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { StackSettings } from '../stack/settings.js';
import { RDKAFKA_CLIENT_VERSION } from '../../adapters/rdkafka.js';

type Env = NodeJS.ProcessEnv;

export type StackProvider = StackSettings['provider'];
const PROVIDERS: readonly StackProvider[] = ['local', 'containers', 'external'];

/** TALLY_STACK: which engines to use; undefined when unset (the stack manager then picks one). */
export function stackProviderFromEnv(env: Env = process.env): StackProvider | undefined {
  const wanted = env.TALLY_STACK;
  if (wanted === undefined || wanted === '') return undefined;
  if ((PROVIDERS as readonly string[]).includes(wanted)) return wanted as StackProvider;
  throw new Error(`TALLY_STACK: expected one of ${PROVIDERS.join(', ')}, found "${wanted}"`);
}

/** True when TALLY_STACK=external: existing clusters, never local engines. */
export function isExternalStack(env: Env = process.env): boolean {
  return stackProviderFromEnv(env) === 'external';
}

/** TALLY_STACK_DIR: where `tally up` keeps the engines' state. @default '.tally/stack' */
export function stackDirFromEnv(env: Env = process.env): string {
  return env.TALLY_STACK_DIR || '.tally/stack';
}

/** TALLY_HOME: where infra/install.sh keeps the engines and their manifest. @default ~/.cache/migration-tally */
export function tallyHomeFromEnv(env: Env = process.env): string {
  return env.TALLY_HOME || join(homedir(), '.cache', 'migration-tally');
}

/**
 * Which client the worker publishes with (TALLY_KAFKA_PRODUCER): `librdkafka`
 * (@confluentinc/kafka-javascript, built by infra/install.sh into TALLY_KAFKA_CLIENT_DIR, default
 * $TALLY_HOME/kafka-javascript-<version>; the worker fails to start without it), `kafkajs`, or
 * `auto`: librdkafka where it is built, else kafkajs, and the worker's log says which. @default auto
 */
export type KafkaProducerChoice = 'auto' | 'librdkafka' | 'kafkajs';
const PRODUCERS: readonly KafkaProducerChoice[] = ['auto', 'librdkafka', 'kafkajs'];

export function kafkaProducerFromEnv(env: Env = process.env): { choice: KafkaProducerChoice; dir: string } {
  const text = (env.TALLY_KAFKA_PRODUCER ?? '').trim() || 'auto';
  if (!(PRODUCERS as readonly string[]).includes(text)) throw new Error(`TALLY_KAFKA_PRODUCER: expected one of ${PRODUCERS.join(', ')}, found "${text}"`);
  const dir = env.TALLY_KAFKA_CLIENT_DIR || join(tallyHomeFromEnv(env), `kafka-javascript-${RDKAFKA_CLIENT_VERSION}`);
  return { choice: text as KafkaProducerChoice, dir };
}

function flag(env: Env, name: string): boolean {
  const value = env[name];
  if (value === undefined || value === '' || value === '0' || value === 'false') return false;
  if (value === '1' || value === 'true') return true;
  throw new Error(`${name}: expected 1 or 0 (true or false), found "${value}"`);
}

/**
 * Settings for existing clusters (TALLY_STACK=external): KAFKA_BROKERS (comma-separated),
 * KAFKA_SSL, KAFKA_SASL_MECHANISM/USERNAME/PASSWORD, TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
 * TEMPORAL_TLS, CLICKHOUSE_URL, CLICKHOUSE_USER, CLICKHOUSE_PASSWORD, CLICKHOUSE_DATABASE.
 */
export function settingsFromEnv(env: Env = process.env): StackSettings {
  const missing = ['KAFKA_BROKERS', 'TEMPORAL_ADDRESS', 'CLICKHOUSE_URL'].filter((k) => !env[k]);
  if (missing.length > 0) {
    throw new Error(`TALLY_STACK=external: expected ${missing.join(', ')} in the environment, found ${missing.length === 1 ? 'it' : 'them'} unset`);
  }
  const mechanism = env.KAFKA_SASL_MECHANISM?.toLowerCase();
  const parsed = StackSettings.safeParse({
    provider: 'external',
    kafka: {
      brokers: env.KAFKA_BROKERS!.split(',').map((b) => b.trim()).filter(Boolean),
      ssl: flag(env, 'KAFKA_SSL'),
      sasl: mechanism ? { mechanism, username: env.KAFKA_SASL_USERNAME ?? '', password: env.KAFKA_SASL_PASSWORD ?? '' } : undefined,
    },
    temporal: {
      address: env.TEMPORAL_ADDRESS,
      namespace: env.TEMPORAL_NAMESPACE || 'default',
      tls: flag(env, 'TEMPORAL_TLS'),
    },
    clickhouse: {
      url: env.CLICKHOUSE_URL,
      username: env.CLICKHOUSE_USER || 'default',
      password: env.CLICKHOUSE_PASSWORD ?? '',
      database: env.CLICKHOUSE_DATABASE || 'tally',
    },
  });
  if (!parsed.success) {
    const names: Record<string, string> = {
      'kafka.brokers': 'KAFKA_BROKERS',
      'kafka.sasl.mechanism': 'KAFKA_SASL_MECHANISM',
      'temporal.address': 'TEMPORAL_ADDRESS',
      'temporal.namespace': 'TEMPORAL_NAMESPACE',
      'clickhouse.url': 'CLICKHOUSE_URL',
      'clickhouse.database': 'CLICKHOUSE_DATABASE',
    };
    const issues = parsed.error.issues.map((i) => {
      const path = i.path.join('.');
      const name = names[path] ?? names[i.path.slice(0, 2).join('.')] ?? path;
      return `${name}: ${i.message}`;
    });
    throw new Error(`TALLY_STACK=external: ${issues.join('; ')}`);
  }
  return parsed.data;
}
