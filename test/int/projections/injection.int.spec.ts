import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kafka } from 'kafkajs';
import { openClickHouse, selectRows, toNumber, type ClickHouseClient } from '../../../adapters/clickhouse.js';
import { kafkaFrom } from '../../../adapters/kafka.js';
import { listRejections, provenance, QueryInputError, queryFigures, type FigureQuery } from '../../../projections/queries.js';
import { startProjections, type RunningProjections } from '../../../projections/runner.js';
import { TABLES } from '../../../projections/schema.js';
import { quoteString, quoteStringList } from '../../../adapters/sql.js';
import { testScope, type TestScope } from '../../support/isolation.js';
import { publish, waitForNoLag } from './harness.js';
import { scenario } from './scenario.js';

const EVIL = [
  "ML05' OR 1=1 --",
  "ML05'; DROP TABLE figures; --",
  'ML05\\',
  "ML05\\' OR 1=1 --",
  'ML05 /* comment */',
  "idps' UNION SELECT * FROM system.users --",
  'ML05\u0000',
  'Ségou',
];

describe('queries with SQL metacharacters (real ClickHouse)', () => {
  let scope: TestScope;
  let kafka: Kafka;
  let client: ClickHouseClient;
  let running: RunningProjections;

  const inventory = async () => ({
    tables: (await selectRows<{ name: string }>(client, `SELECT name FROM system.tables WHERE database = ${quoteString(scope.database)} ORDER BY name`)).map((r) => r.name),
    counts: await Promise.all(TABLES.map(async (t) => toNumber((await selectRows<{ n: string }>(client, `SELECT count() AS n FROM ${t} FINAL`))[0]!.n))),
  });

  beforeAll(async () => {
    scope = testScope('inject');
    kafka = kafkaFrom(scope.stack.kafka, scope.id);
    running = await startProjections({ settings: scope.stack, topicPrefix: `${scope.id}.`, groupId: `${scope.id}-g` });
    await publish(kafka, `${scope.id}.`, scenario().events);
    await waitForNoLag(kafka, `${scope.id}-g`, `${scope.id}.`);
    client = await openClickHouse(scope.stack.clickhouse);
  });

  afterAll(async () => {
    await running?.stop();
    await client?.command({ query: `DROP DATABASE IF EXISTS ${scope.database}` });
    await client?.close();
  });

  it('quotes strings exactly as the server reads them back', async () => {
    const nasty = [...EVIL.filter((s) => !s.includes('\u0000')), "'; DROP TABLE x; --", '\\\\', "\\'", '--', '/*', '*/', 'line\nbreak', '🇲🇱 Tombouctou'];
    const rows = await selectRows<{ s: string }>(client, nasty.map((s) => `SELECT ${quoteString(s)} AS s`).join(' UNION ALL '));
    expect(rows.map((r) => r.s).sort()).toEqual([...nasty].sort());
    const inList = await selectRows<{ n: number }>(client, `SELECT toUInt8(${quoteString(nasty[0]!)} IN ${quoteStringList(nasty)}) AS n`);
    expect(inList).toEqual([{ n: 1 }]);
  });

  it.each(EVIL)('refuses area %j with an error naming the field', async (area) => {
    const before = await inventory();
    const err = await queryFigures(client, { indicator: 'idps', area }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(QueryInputError);
    expect((err as QueryInputError).message).toMatch(/^query\.area: expected a P-code/);
    expect(await inventory()).toEqual(before);
  });

  it.each<[string, FigureQuery, RegExp]>([
    ['indicator', { indicator: "idps' OR 1=1 --" }, /^query\.indicator: expected a code/],
    ['indicator', { indicator: 'idps/**/' }, /^query\.indicator/],
    ['source', { indicator: 'idps', source: "dtm' --" }, /^query\.source/],
    ['from', { indicator: 'idps', from: "2019-01-01' OR '1'='1" }, /^query\.from: expected a date/],
    ['to', { indicator: 'idps', to: '2019-02-30' }, /^query\.to/],
    ['asOf', { indicator: 'idps', asOf: "2020-01-01T00:00:00Z') OR 1=1 --" }, /^query\.asOf: expected an ISO date-time/],
  ])('refuses a bad %s', async (_field, q, message) => {
    await expect(queryFigures(client, q)).rejects.toThrow(message);
  });

  it('answers free-text keys safely: nothing matches, nothing breaks', async () => {
    const before = await inventory();
    for (const evil of EVIL.filter((s) => !s.includes('\u0000'))) {
      expect(await queryFigures(client, { indicator: 'idps', disaggregation: evil })).toEqual([]);
      expect(await provenance(client, evil)).toEqual({ seriesKey: evil, figure: null, observations: [] });
    }
    await expect(provenance(client, 'idps|ML05||\u0000')).rejects.toThrow(/NUL/);
    await expect(listRejections(client, { dropId: "abc' OR 1=1 --" })).rejects.toThrow(/options\.dropId: expected a drop id/);
    await expect(listRejections(client, { limit: 0 })).rejects.toThrow(/options\.limit/);
    expect(await inventory()).toEqual(before);
    expect(before.tables).toEqual([...TABLES, 'schema_migrations'].sort());
    expect(before.counts.every((n) => n > 0)).toBe(true);
  });
});
