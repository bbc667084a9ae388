/** The clients activities share within one worker, built once from the configuration. */
import type { Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import type { ClickHouseClient } from '@clickhouse/client';
import type { Client } from '@temporalio/client';
import { topicsFor } from '../domain/events.js';
import { loadPlaceListFiles } from '../domain/places.js';
import type { SourceProfile } from '../domain/profile.js';
import { LandingStore } from '../connectors/landing.js';
import { loadProfiles } from '../connectors/profiles.js';
import { openClickHouse } from '../adapters/clickhouse.js';
import { temporalClient } from '../adapters/temporal.js';
import { migrate } from '../projections/migrations.js';
import { applyProjectionPath, engineRowRouting } from '../projections/engine.js';
import type { TallyConfig } from '../infra/config.js';
import { createKafka, createPublisher, type EventPublisher } from '../adapters/publisher.js';
import { publishingClient, type RdkafkaProducer } from '../adapters/rdkafka.js';
import { kafkaProducerFromEnv } from '../infra/config/engines.js';
import { activityLogger } from './log.js';

export interface ActivityDeps {
  config: TallyConfig;
  kafka: Kafka;
  publisher: EventPublisher;
  clickhouse: ClickHouseClient;
  landing: LandingStore;
  profiles: Map<string, SourceProfile>;
  /** A Temporal client, connected on first use (the source lock's activities). */
  temporal(): Promise<Client>;
  close(): Promise<void>;
}

export async function createActivityDeps(config: TallyConfig): Promise<ActivityDeps> {
  // The user's P-code lists, before any row is read (parse threads load them again: map-range.ts).
  loadPlaceListFiles(config.pcodesFiles ?? []);
  // Before any engine is dialled: TALLY_KAFKA_PRODUCER=librdkafka without the client fails at once.
  const producer = librdkafkaProducer(config);
  const kafka = createKafka(config.stack.kafka, 'tally-worker');
  const clickhouse = await openClickHouse(config.stack.clickhouse);
  await migrate(clickhouse, config.stack.clickhouse.database);
  // On the engine path ClickHouse must be reading the row topics before the first row is published.
  await applyProjectionPath(clickhouse, kafka, config.projectionPath, { database: config.stack.clickhouse.database, topicPrefix: config.topicPrefix, projectionsGroup: config.projectionsGroup });
  // Observations and figures travel as flat rows on both paths: ClickHouse or the Node projections insert them as they are.
  const publisher = await createPublisher(kafka, topicsFor(config.topicPrefix), { rows: engineRowRouting(config.topicPrefix), producer });
  let temporal: ReturnType<typeof temporalClient> | undefined;
  return {
    config,
    kafka,
    publisher,
    clickhouse,
    landing: new LandingStore(config.landingDir),
    profiles: loadProfiles(),
    async temporal() {
      // A failed connection is not kept: the next call (an activity's retry) dials again.
      temporal ??= temporalClient(config.stack.temporal).catch((err: unknown) => {
        temporal = undefined;
        throw err;
      });
      return (await temporal).client;
    },
    async close() {
      await publisher.close();
      await clickhouse.close();
      await temporal?.then((t) => t.close(), () => undefined);
    },
  };
}

/** The librdkafka producer where it is wanted and built (TALLY_KAFKA_PRODUCER); undefined: kafkajs. */
export function librdkafkaProducer(config: Pick<TallyConfig, 'kafkaProducer' | 'stack'>, log: Pick<Logger, 'info' | 'warn'> = activityLogger({})): RdkafkaProducer | undefined {
  const wanted = config.kafkaProducer ?? kafkaProducerFromEnv();
  const chosen = publishingClient(wanted);
  if (chosen.use === 'librdkafka') {
    log.info({ librdkafka: chosen.client.librdkafka, dir: chosen.client.dir }, 'publishing with librdkafka');
    return chosen.client.producer(config.stack.kafka, 'tally-worker');
  }
  if (wanted.choice === 'kafkajs') log.info(`publishing with kafkajs (${chosen.reason})`);
  else if (wanted.choice === 'librdkafka') throw new Error(`TALLY_KAFKA_PRODUCER=librdkafka: expected the librdkafka client, found that ${chosen.reason}`);
  else log.warn({ reason: chosen.reason }, 'publishing with kafkajs: the librdkafka producer is not available');
  return undefined;
}
