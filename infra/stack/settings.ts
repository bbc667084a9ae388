import { z } from 'zod';
import { ClickHouseSettings, KafkaSettings, TemporalSettings } from '../../adapters/settings.js';

/** Connection settings of the three engines, whatever provider started them. */
export const StackSettings = z.object({
  provider: z.enum(['local', 'containers', 'external']),
  kafka: KafkaSettings,
  temporal: TemporalSettings,
  clickhouse: ClickHouseSettings,
});
export type StackSettings = z.infer<typeof StackSettings>;

/**
 * Reads settings for existing clusters from the environment:
 * KAFKA_BROKERS (comma-separated), KAFKA_SSL, KAFKA_SASL_MECHANISM/USERNAME/PASSWORD,
 * TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_TLS, CLICKHOUSE_URL, CLICKHOUSE_USER,
 * CLICKHOUSE_PASSWORD, CLICKHOUSE_DATABASE.
 */
export function settingsFromEnv(env: NodeJS.ProcessEnv = process.env): StackSettings {
  const missing = ['KAFKA_BROKERS', 'TEMPORAL_ADDRESS', 'CLICKHOUSE_URL'].filter((k) => !env[k]);
  if (missing.length > 0) {
    throw new Error(`TALLY_STACK=external needs ${missing.join(', ')} in the environment; found none for ${missing.join(', ')}`);
  }
  const mechanism = env.KAFKA_SASL_MECHANISM?.toLowerCase();
  return StackSettings.parse({
    provider: 'external',
    kafka: {
      brokers: env.KAFKA_BROKERS!.split(',').map((b) => b.trim()).filter(Boolean),
      ssl: env.KAFKA_SSL === 'true' || env.KAFKA_SSL === '1',
      sasl: mechanism
        ? { mechanism, username: env.KAFKA_SASL_USERNAME ?? '', password: env.KAFKA_SASL_PASSWORD ?? '' }
        : undefined,
    },
    temporal: {
      address: env.TEMPORAL_ADDRESS,
      namespace: env.TEMPORAL_NAMESPACE ?? 'default',
      tls: env.TEMPORAL_TLS === 'true' || env.TEMPORAL_TLS === '1',
    },
    clickhouse: {
      url: env.CLICKHOUSE_URL,
      username: env.CLICKHOUSE_USER ?? 'default',
      password: env.CLICKHOUSE_PASSWORD ?? '',
      database: env.CLICKHOUSE_DATABASE ?? 'tally',
    },
  });
}
