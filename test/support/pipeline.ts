/** A whole pipeline for one integration test: its own topics, database, task queue and landing store. */
import { rmSync } from 'node:fs';
import type { Client } from '@temporalio/client';
import type { ClickHouseClient } from '@clickhouse/client';
import { configFromEnv, projectionPathFromEnv, type TallyConfig } from '../../infra/config.js';
import { startServices, type RunningServices } from '../../worker/services.js';
import { temporalClient } from '../../cli/context.js';
import { ingestOne, type IngestSummary } from '../../cli/ingest.js';
import { openClickHouse } from '../../adapters/clickhouse.js';
import { testScope, type TestScope } from './isolation.js';

export interface TestPipeline {
  scope: TestScope;
  config: TallyConfig;
  services?: RunningServices;
  client: Client;
  clickhouse: ClickHouseClient;
  ingest(file: string, source: string): Promise<IngestSummary>;
  stop(): Promise<void>;
}

/**
 * The tests' projection path: node unless TALLY_TEST_PROJECTION_PATH says engine (so the whole
 * integration tier can run on either: `TALLY_TEST_PROJECTION_PATH=engine npm run test:int`).
 */
function testProjectionPath(scope: TestScope): TallyConfig['projectionPath'] {
  return projectionPathFromEnv({ TALLY_PROJECTION_PATH: process.env.TALLY_TEST_PROJECTION_PATH }, scope.stack.kafka.brokers);
}

export function pipelineConfig(scope: TestScope, overrides: Partial<TallyConfig> = {}): TallyConfig {
  return configFromEnv(scope.stack, {}, {
    projectionPath: testProjectionPath(scope),
    topicPrefix: `${scope.id}.`,
    projectionsGroup: `${scope.id}-projections`,
    taskQueue: scope.taskQueue,
    workflowIdPrefix: `${scope.id}-`,
    landingDir: `.tally/test-landing/${scope.id}`,
    alerts: { log: false },
    // Free ports: tests run side by side (and Temporal's runtime is one per process).
    metrics: { host: '127.0.0.1', worker: 0, projections: 0, temporal: 'off' },
    ...overrides,
  });
}

export async function startPipeline(label: string, options: { worker?: boolean; config?: Partial<TallyConfig> } = {}): Promise<TestPipeline> {
  const scope = testScope(label);
  const config = pipelineConfig(scope, options.config);
  const services = options.worker === false ? undefined : await startServices(config);
  const temporal = await temporalClient(config);
  const clickhouse = await openClickHouse(config.stack.clickhouse);
  return {
    scope,
    config,
    services,
    client: temporal.client,
    clickhouse,
    ingest: async (file, source) => (await ingestOne(temporal.client, config, { file }, source, true)) as IngestSummary,
    async stop() {
      await services?.stop();
      await temporal.close();
      await clickhouse.command({ query: `DROP DATABASE IF EXISTS ${config.stack.clickhouse.database}` }).catch(() => undefined);
      await clickhouse.close();
      rmSync(config.landingDir, { recursive: true, force: true });
    },
  };
}
