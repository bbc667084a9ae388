/**
 * Versioned migrations, run at start by the projection runner and by rebuild. Each one is
 * idempotent (CREATE … IF NOT EXISTS, columns checked in system.columns before ALTER … ADD,
 * since 18.16 has no ADD COLUMN IF NOT EXISTS), so two processes starting together are harmless.
 * Applied versions are recorded in `schema_migrations`.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { insertRows, selectRows, toNumber } from '../adapters/clickhouse.js';
import { createTableSql, TABLES } from './schema.js';
import { quoteIdentifier, quoteString, quoteTable, toClickHouseDateTime } from '../adapters/sql.js';

export interface Migration {
  version: number;
  name: string;
  up(client: ClickHouseClient, database: string): Promise<void>;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'projection tables',
    async up(client, database) {
      for (const table of TABLES) await client.command({ query: createTableSql(database, table) });
    },
  },
  {
    version: 2,
    name: 'drop notices',
    async up(client, database) {
      await addColumnIfMissing(client, database, 'drops', 'notices', 'Array(String) AFTER revisions');
    },
  },
  {
    version: 3,
    name: 'duplicates and rejections by kind',
    async up(client, database) {
      await addColumnIfMissing(client, database, 'drops', 'breakdown', 'String AFTER notices');
      await addColumnIfMissing(client, database, 'rejections', 'kind', 'String AFTER reason');
    },
  },
];

/** True when `table` has `column` (the check 18.16 needs before ALTER TABLE … ADD COLUMN). */
export async function columnExists(client: ClickHouseClient, database: string, table: string, column: string): Promise<boolean> {
  const rows = await selectRows<{ n: string }>(
    client,
    `SELECT count() AS n FROM system.columns WHERE database = ${quoteString(database)} AND table = ${quoteString(table)} AND name = ${quoteString(column)}`,
  );
  return toNumber(rows[0]?.n) > 0;
}

/** Adds a column unless it is there already; `type` is trusted DDL from the code, never user input. */
export async function addColumnIfMissing(client: ClickHouseClient, database: string, table: string, column: string, type: string): Promise<void> {
  if (await columnExists(client, database, table, column)) return;
  await client.command({ query: `ALTER TABLE ${quoteTable(database, table)} ADD COLUMN ${quoteIdentifier(column)} ${type}` });
}

/**
 * Runs the migrations not yet recorded, in order, and returns the versions it applied. Tables
 * dropped by hand since (to replay the log into them) are created again from the current DDL.
 */
export async function migrate(client: ClickHouseClient, database: string, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  const ledger = quoteTable(database, 'schema_migrations');
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS ${ledger} (version UInt32, name String, applied_at DateTime('UTC'))
            ENGINE = ReplacingMergeTree() ORDER BY version`,
  });
  const done = new Set(
    (await selectRows<{ version: number }>(client, `SELECT DISTINCT version FROM ${ledger}`)).map((r) => toNumber(r.version)),
  );
  const applied: number[] = [];
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (done.has(m.version)) continue;
    await m.up(client, database);
    await insertRows(
      client,
      'schema_migrations',
      [{ version: m.version, name: m.name, applied_at: toClickHouseDateTime(new Date().toISOString()) }],
      database,
    );
    applied.push(m.version);
  }
  for (const table of TABLES) await client.command({ query: createTableSql(database, table) });
  return applied;
}
