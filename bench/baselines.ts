/**
 * The two reference loaders, into an equivalent raw table (one String column per CSV column, no
 * validation): `limit` is ClickHouse's own CSV parser fed the file over HTTP, `naive` is csv-parse
 * into @clickhouse/client JSONEachRow inserts.
 */
import { createReadStream, statSync } from 'node:fs';
import { request } from 'node:http';
import { parse } from 'csv-parse';
import type { ClickHouseClient } from '@clickhouse/client';
import type { StackSettings } from '../infra/stack/settings.js';
import { quoteTable } from '../adapters/sql.js';
import { HEADER } from './generate.js';

export interface LoadResult {
  rows: number;
  seconds: number;
}

export async function createRawTable(client: ClickHouseClient, database: string, table: string): Promise<void> {
  const columns = HEADER.map((h) => `${h} String`).join(', ');
  await client.command({ query: `DROP TABLE IF EXISTS ${quoteTable(database, table)}` });
  await client.command({ query: `CREATE TABLE ${quoteTable(database, table)} (${columns}) ENGINE = MergeTree() ORDER BY (admin2Pcode, reportingDate)` });
}

export async function countRows(client: ClickHouseClient, database: string, table: string): Promise<number> {
  const result = await client.query({ query: `SELECT toUInt64(count()) AS n FROM ${quoteTable(database, table)}`, format: 'JSONEachRow' });
  const [row] = await result.json<{ n: string }>();
  return Number(row?.n ?? 0);
}

/** `INSERT … FORMAT CSVWithNames`, the file streamed as the request body. */
export async function loadLimit(settings: StackSettings['clickhouse'], database: string, table: string, file: string): Promise<number> {
  const url = new URL(settings.url);
  url.searchParams.set('database', database);
  url.searchParams.set('query', `INSERT INTO ${quoteTable(database, table)} FORMAT CSVWithNames`);
  const started = performance.now();
  await new Promise<void>((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        headers: {
          'content-type': 'text/csv',
          'content-length': String(statSync(file).size),
          'x-clickhouse-user': settings.username,
          'x-clickhouse-key': settings.password,
        },
      },
      (res) => {
        const body: Buffer[] = [];
        res.on('data', (b: Buffer) => body.push(b));
        res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`ClickHouse CSV insert: HTTP ${res.statusCode}: ${Buffer.concat(body).toString().slice(0, 300)}`))));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    const file$ = createReadStream(file);
    file$.on('error', reject);
    file$.pipe(req);
  });
  return (performance.now() - started) / 1000;
}

/** csv-parse records into JSONEachRow inserts of `batch` rows, one at a time, nothing validated. */
export async function loadNaive(client: ClickHouseClient, database: string, table: string, file: string, batch = 10_000): Promise<number> {
  const started = performance.now();
  const parser = createReadStream(file).pipe(parse({ columns: true }));
  let rows: Record<string, string>[] = [];
  const flush = async () => {
    if (rows.length === 0) return;
    await client.insert({ table: quoteTable(database, table), values: rows, format: 'JSONEachRow' });
    rows = [];
  };
  for await (const record of parser as AsyncIterable<Record<string, string>>) {
    rows.push(record);
    if (rows.length >= batch) await flush();
  }
  await flush();
  return (performance.now() - started) / 1000;
}
