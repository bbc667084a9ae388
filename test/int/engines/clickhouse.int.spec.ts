import { describe, expect, it } from 'vitest';
import { createClient } from '@clickhouse/client';
import { testScope } from '../../support/isolation.js';

describe('ClickHouse (real server)', () => {
  it('keeps the latest version of a row in a ReplacingMergeTree, read with FINAL', async () => {
    const scope = testScope('ch');
    const { url, username, password } = scope.stack.clickhouse;
    const client = createClient({ url, username, password });
    try {
      await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${scope.database}` });
      await client.command({
        query: `CREATE TABLE ${scope.database}.figures (series String, value Float64, ver UInt64)
                ENGINE = ReplacingMergeTree(ver) ORDER BY series`,
      });
      await client.insert({ table: `${scope.database}.figures`, values: [{ series: 'idps/ML05', value: 160000, ver: 1 }], format: 'JSONEachRow' });
      await client.insert({ table: `${scope.database}.figures`, values: [{ series: 'idps/ML05', value: 171000, ver: 2 }], format: 'JSONEachRow' });

      const raw = await (await client.query({ query: `SELECT count() AS n FROM ${scope.database}.figures`, format: 'JSONEachRow' })).json<{ n: string }>();
      expect(Number(raw[0]!.n)).toBe(2);
      const final = await (
        await client.query({ query: `SELECT series, value, toUInt32(ver) AS ver FROM ${scope.database}.figures FINAL`, format: 'JSONEachRow' })
      ).json<{ series: string; value: number; ver: number }>();
      expect(final).toEqual([{ series: 'idps/ML05', value: 171000, ver: 2 }]);
    } finally {
      await client.command({ query: `DROP DATABASE IF EXISTS ${scope.database}` });
      await client.close();
    }
  });
});
