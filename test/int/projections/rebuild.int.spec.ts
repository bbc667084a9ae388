import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kafka } from 'kafkajs';
import { openClickHouse, selectRows, type ClickHouseClient } from '../../../adapters/clickhouse.js';
import { kafkaFrom } from '../../../adapters/kafka.js';
import { listDiscrepancies, listDrops, listRejections, provenance, queryFigures } from '../../../projections/queries.js';
import { rebuildProjections } from '../../../projections/rebuild.js';
import { startProjections, type RunningProjections } from '../../../projections/runner.js';
import { TABLES } from '../../../projections/schema.js';
import { quoteString } from '../../../adapters/sql.js';
import { testScope, type TestScope } from '../../support/isolation.js';
import { figure, observation } from './fixtures.js';
import { publish, waitForNoLag, waitUntil } from './harness.js';
import { scenario } from './scenario.js';

describe('rebuilding the projections from the log (real Kafka and ClickHouse)', () => {
  let scope: TestScope;
  let kafka: Kafka;
  let client: ClickHouseClient;
  let running: RunningProjections | undefined;
  const s = scenario();
  const prefix = () => `${scope.id}.`;

  const answers = async () => ({
    figures: await queryFigures(client, { indicator: 'idps' }),
    asOf: await queryFigures(client, { indicator: 'idps', asOf: '2019-09-01' }),
    dtm: await queryFigures(client, { indicator: 'idps', source: 'dtm' }),
    flows: await queryFigures(client, { indicator: 'returned_migrants' }),
    provenance: await provenance(client, s.figMopti3.seriesKey),
    discrepancies: await listDiscrepancies(client),
    rejections: await listRejections(client),
    drops: await listDrops(client),
  });
  const tables = async () =>
    (await selectRows<{ name: string }>(client, `SELECT name FROM system.tables WHERE database = ${quoteString(scope.database)} ORDER BY name`)).map((r) => r.name);

  beforeAll(async () => {
    scope = testScope('rebuild');
    kafka = kafkaFrom(scope.stack.kafka, scope.id);
    running = await startProjections({ settings: scope.stack, topicPrefix: prefix(), groupId: `${scope.id}-live` });
    await publish(kafka, prefix(), s.events);
    await waitForNoLag(kafka, `${scope.id}-live`, prefix());
    client = await openClickHouse(scope.stack.clickhouse);
  });

  afterAll(async () => {
    await running?.stop();
    await client?.command({ query: `DROP DATABASE IF EXISTS ${scope.database}` });
    await client?.close();
  });

  it('gives the same answers after a rebuild beside the live consumer, which keeps writing to the new tables', async () => {
    const before = await answers();
    expect(before.figures).toHaveLength(3);
    const progress: Array<[number, number]> = [];
    const result = await rebuildProjections({ settings: scope.stack, topicPrefix: prefix(), onProgress: (c, t) => progress.push([c, t]) });
    expect(result.total).toBe(s.events.length);
    expect(result.consumed).toBeGreaterThanOrEqual(s.events.length);
    expect(progress.at(-1)).toEqual([s.events.length, s.events.length]);
    expect(await answers()).toEqual(before);
    expect(await tables()).toEqual([...TABLES, 'schema_migrations'].sort());

    const gao = observation({ source: 'dtm', area: 'ML07', value: 9000, recordedAt: '2020-05-01T00:00:00Z' });
    await publish(kafka, prefix(), [gao, figure(gao)]);
    await waitUntil('the live consumer to project Gao', async () => (await queryFigures(client, { indicator: 'idps', area: 'ML07' })).length === 1);
  });

  it('rebuilds the same answers after every table was dropped', async () => {
    await running!.stop();
    running = undefined;
    const before = await answers();
    for (const t of TABLES) await client.command({ query: `DROP TABLE ${t}` });
    await rebuildProjections({ settings: scope.stack, topicPrefix: prefix() });
    expect(await answers()).toEqual(before);
    expect(await tables()).toEqual([...TABLES, 'schema_migrations'].sort());
  });
});
