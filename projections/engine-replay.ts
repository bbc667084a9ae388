/**
 * A rebuild's replay of the row topics by ClickHouse itself (engine path): per table, a Kafka
 * table `<table>_rebuild_queue` under its own new group, started at the beginning of the topic,
 * and a view `<table>_rebuild_mv` into `<table>_rebuild`. The rows never cross Node.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import type { Kafka } from 'kafkajs';
import { groupCaughtUp } from '../adapters/publisher.js';
import { quoteTable } from '../adapters/sql.js';
import { checkEngineServer, engineGroupOf, ENGINE_TABLES, lastRowIds, missingRows, queueSql, rowTopicsFor, startGroupAtBeginning, type EngineTable } from './engine.js';

export interface EngineReplay {
  /** The replay's group per table. */
  readonly groups: Record<EngineTable, string>;
  /**
   * Where the replay stands: messages of the targets the groups have not committed yet, then, once
   * none, the last rows not yet in the `_rebuild` tables; done when both are zero.
   */
  reached(): Promise<{ done: boolean; behind: number; missing: number }>;
  /** Drops the views: nothing more is written into the `_rebuild` tables (ClickHouse stops reading). */
  detach(): Promise<void>;
  /** Drops the views and the Kafka tables (the groups stay, for the caller to delete). Idempotent. */
  stop(): Promise<void>;
}

export async function startEngineReplay(
  client: ClickHouseClient,
  kafka: Kafka,
  setup: { database: string; topicPrefix: string; brokers: readonly string[]; groupBase: string },
  /** Where the replay ends: topic → partition → end offset, for the row topics (others are ignored). */
  targets: Record<string, Record<number, string>>,
): Promise<EngineReplay> {
  await checkEngineServer(client);
  const topics = rowTopicsFor(setup.topicPrefix);
  const groups = Object.fromEntries(ENGINE_TABLES.map((t) => [t, engineGroupOf(setup.groupBase, t)])) as Record<EngineTable, string>;
  const names = (t: EngineTable) => ({ queue: quoteTable(setup.database, `${t}_rebuild_queue`), view: quoteTable(setup.database, `${t}_rebuild_mv`) });
  // In parallel: 18.16 takes about 3 s to close a Kafka table's consumer.
  const drop = () =>
    Promise.all(
      ENGINE_TABLES.map(async (t) => {
        await client.command({ query: `DROP TABLE IF EXISTS ${names(t).view}` });
        await client.command({ query: `DROP TABLE IF EXISTS ${names(t).queue}` });
      }),
    );
  await drop();
  await Promise.all(ENGINE_TABLES.map((t) => startGroupAtBeginning(kafka, groups[t], topics[t])));
  for (const t of ENGINE_TABLES) {
    await client.command({ query: queueSql(setup.database, `${t}_rebuild_queue`, t, topics[t], groups[t], setup.brokers) });
    await client.command({
      query: `CREATE MATERIALIZED VIEW IF NOT EXISTS ${names(t).view} TO ${quoteTable(setup.database, `${t}_rebuild`)} AS SELECT * FROM ${names(t).queue}`,
    });
  }
  // The rows that end the replay, read while ClickHouse replays.
  const lastIds = lastRowIds(kafka, topics, targets);
  lastIds.catch(() => undefined);
  let stopped = false;
  return {
    groups,
    async reached() {
      let behind = 0;
      for (const t of ENGINE_TABLES) {
        const wanted = targets[topics[t]];
        if (wanted !== undefined) behind += (await groupCaughtUp(kafka, groups[t], { [topics[t]]: wanted })).lag;
      }
      if (behind > 0) return { done: false, behind, missing: 0 };
      const missing = (await missingRows(client, await lastIds, '_rebuild')).length;
      return { done: missing === 0, behind, missing };
    },
    async detach() {
      await Promise.all(ENGINE_TABLES.map((t) => client.command({ query: `DROP TABLE IF EXISTS ${names(t).view}` })));
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await drop();
    },
  };
}
