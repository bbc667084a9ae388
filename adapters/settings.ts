/** Connection settings of each engine, as its adapter takes them: the stack composes them (infra/stack/settings.ts). */
import { z } from 'zod';

export const KafkaSettings = z.object({
  brokers: z.array(z.string().min(1)).min(1),
  ssl: z.boolean().default(false),
  sasl: z.object({ mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']), username: z.string(), password: z.string() }).optional(),
});
export type KafkaSettings = z.infer<typeof KafkaSettings>;

export const TemporalSettings = z.object({
  address: z.string().min(1),
  namespace: z.string().min(1).default('default'),
  tls: z.boolean().default(false),
  uiUrl: z.string().optional(),
});
export type TemporalSettings = z.infer<typeof TemporalSettings>;

export const ClickHouseSettings = z.object({
  url: z.string().url(),
  username: z.string().default('default'),
  password: z.string().default(''),
  database: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).default('tally'),
  analyst: z.object({ username: z.string(), password: z.string() }).optional(),
});
export type ClickHouseSettings = z.infer<typeof ClickHouseSettings>;
