import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import type { ClickHouseSettings } from './settings.js';
import { quoteIdentifier, quoteTable } from './sql.js';

export type { ClickHouseClient } from '@clickhouse/client';
export type { ClickHouseSettings } from './settings.js';

export interface OpenClickHouseOptions {
  /** Overrides `settings.database`. */
  database?: string;
  /**
   * Create the database when it is missing (needs a user that may write).
   * @default true
   */
  createDatabase?: boolean;
  /** Connect as the read-only analyst when the settings name one. @default false */
  asAnalyst?: boolean;
  /** @default the client's (30 s) */
  requestTimeoutMs?: number;
}

/**
 * A client whose default database is the tally one, so queries name tables without a database.
 * The database is created first, by a client that names none (the server refuses a request
 * for a database that does not exist yet).
 */
export async function openClickHouse(settings: ClickHouseSettings, options: OpenClickHouseOptions = {}): Promise<ClickHouseClient> {
  const database = options.database ?? settings.database;
  quoteIdentifier(database);
  // Errors reach callers as exceptions with the server's message; the client's own error log would repeat them.
  const user = options.asAnalyst && settings.analyst ? settings.analyst : { username: settings.username, password: settings.password };
  const base = { url: settings.url, ...user, request_timeout: options.requestTimeoutMs, log: { level: ClickHouseLogLevel.OFF } };
  if (options.createDatabase ?? true) {
    const admin = createClient(base);
    try {
      await admin.command({ query: `CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(database)}` });
    } finally {
      await admin.close();
    }
  }
  return createClient({ ...base, database });
}

/**
 * Inserts rows as JSONEachRow (the client's default, JSONCompactEachRow, fails on 18.16), skipping
 * fields the table does not have, so an older table still takes rows from a newer projection.
 */
export async function insertRows(
  client: ClickHouseClient,
  table: string,
  rows: readonly Record<string, unknown>[],
  database?: string,
): Promise<void> {
  if (rows.length === 0) return;
  await client.insert({
    table: database === undefined ? quoteIdentifier(table) : quoteTable(database, table),
    values: rows as Record<string, unknown>[],
    format: 'JSONEachRow',
    clickhouse_settings: { input_format_skip_unknown_fields: 1 },
  });
}

/** ClickHouse DateTime text ('2019-07-31 00:00:00', UTC) to ISO ('2019-07-31T00:00:00Z'). */
export function isoFromClickHouse(text: string): string {
  return `${text.replace(' ', 'T')}Z`;
}

/** Runs a SELECT and returns its rows as objects. */
export async function selectRows<T>(client: ClickHouseClient, query: string): Promise<T[]> {
  const result = await client.query({ query, format: 'JSONEachRow' });
  return result.json<T>();
}

/**
 * UInt64/Int64 arrive as strings in JSON formats ("6"). One conversion for all of them; a value
 * past 2^53 would lose precision, so it is refused rather than rounded.
 */
export function toNumber(value: string | number | null | undefined): number {
  if (value === null || value === undefined) return 0;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(n)) throw new TypeError(`expected a number from ClickHouse, found ${JSON.stringify(value)}`);
  if (!Number.isSafeInteger(n) && Number.isInteger(n)) throw new RangeError(`ClickHouse integer ${String(value)} is past 2^53`);
  return n;
}

/** The server's error code of a failed request ("Code: 81" on 18.16, `code` on current servers); undefined for other errors. */
export function clickHouseErrorCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^\d+$/.test(code)) return Number(code);
  const match = /\bCode: (\d+)/.exec(error instanceof Error ? error.message : '');
  return match ? Number(match[1]) : undefined;
}

const UNKNOWN_TABLE = 60;
const UNKNOWN_DATABASE = 81;

/**
 * What is missing when a read failed because nothing was written yet (`database tally`, `table
 * tally.figures`); undefined for any other failure.
 */
export function missingData(error: unknown): string | undefined {
  const code = clickHouseErrorCode(error);
  if (code !== UNKNOWN_TABLE && code !== UNKNOWN_DATABASE) return undefined;
  const name = /(?:Database|Table) `?([A-Za-z0-9_.]+?)`? (?:doesn't|does not) exist/i.exec((error as Error).message)?.[1];
  const kind = code === UNKNOWN_DATABASE ? 'database' : 'table';
  return name ? `${kind} ${name}` : kind === 'database' ? 'database' : 'table';
}

/**
 * A client for reading only: it creates nothing (no CREATE DATABASE, no migrations) and connects
 * as the analyst when the settings name one, so a read-only user can run every read.
 */
export function openClickHouseReader(settings: ClickHouseSettings, options: Omit<OpenClickHouseOptions, 'createDatabase' | 'asAnalyst'> = {}): Promise<ClickHouseClient> {
  return openClickHouse(settings, { ...options, createDatabase: false, asAnalyst: true });
}
