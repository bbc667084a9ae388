import { z } from 'zod';

/** Connection settings of the three engines, whatever provider started them. */
export const StackSettings = z.object({
  provider: z.enum(['local', 'containers', 'external']),
  kafka: z.object({
    brokers: z.array(z.string().min(1)).min(1),
    ssl: z.boolean().default(false),
    sasl: z
      .object({ mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']), username: z.string(), password: z.string() })
      .optional(),
  }),
  temporal: z.object({
    address: z.string().min(1),
    namespace: z.string().min(1).default('default'),
    tls: z.boolean().default(false),
    uiUrl: z.string().optional(),
  }),
  clickhouse: z.object({
    url: z.string().url(),
    username: z.string().default('default'),
    password: z.string().default(''),
    database: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).default('tally'),
    analyst: z.object({ username: z.string(), password: z.string() }).optional(),
  }),
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
