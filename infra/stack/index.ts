/**
 * The stack manager: starts or finds Kafka, Temporal and ClickHouse and hands out their settings.
 *
 * Providers, chosen by TALLY_STACK (or automatically):
 * - `external`: existing clusters, from KAFKA_BROKERS, TEMPORAL_ADDRESS, CLICKHOUSE_URL… (settingsFromEnv in infra/config.ts);
 * - `containers`: testcontainers, when a container runtime answers;
 * - `local`: the engines installed by infra/install.sh, as child processes (the default here).
 */
import { LocalStack, type LocalStackOptions } from './local.js';
import type { StackSettings } from './settings.js';
import { settingsFromEnv, stackProviderFromEnv, type StackProvider } from '../config.js';

export { StackSettings } from './settings.js';
export { LocalStack, readStackState, restartLocalEngine, signalLocalEngine, stopStackInDir, type LocalEngine, type RestartOptions } from './local.js';
export { readEngineManifest, tallyHome } from './engines.js';
export { kafkaHealthy, temporalHealthy, clickhouseHealthy } from './health.js';

export interface RunningStack {
  settings: StackSettings;
  stop(): Promise<void>;
}

export type { StackProvider } from '../config.js';

/** Picks the provider: `wanted` (TALLY_STACK) when set, else containers when a runtime answers, else local. */
export async function chooseProvider(wanted: StackProvider | undefined = stackProviderFromEnv()): Promise<StackProvider> {
  if (wanted) return wanted;
  // testcontainers is loaded only when it may be used: it is slow to import.
  const { containerRuntimeAnswers } = await import('./containers.js');
  return (await containerRuntimeAnswers()) ? 'containers' : 'local';
}

export async function startStack(options: LocalStackOptions & { provider?: StackProvider }): Promise<RunningStack> {
  const provider = options.provider ?? (await chooseProvider());
  switch (provider) {
    case 'external':
      return { settings: settingsFromEnv(), stop: async () => undefined };
    case 'containers': {
      const { ContainerStack } = await import('./containers.js');
      return ContainerStack.start();
    }
    case 'local':
      return LocalStack.start(options);
    default: {
      const never: never = provider;
      throw new Error(`unknown provider ${String(never)}`);
    }
  }
}
