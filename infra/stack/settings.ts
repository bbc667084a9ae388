import { z } from 'zod';
import { ClickHouseSettings, KafkaSettings, TemporalSettings } from '../../adapters/settings.js';

/**
 * Connection settings of the three engines, whatever provider started them. For existing
 * clusters they come from the environment: settingsFromEnv in infra/config.ts.
 */
export const StackSettings = z.object({
  provider: z.enum(['local', 'containers', 'external']),
  kafka: KafkaSettings,
  temporal: TemporalSettings,
  clickhouse: ClickHouseSettings,
});
export type StackSettings = z.infer<typeof StackSettings>;
