/** How far the projections have got: per drop in ClickHouse, per topic in Kafka. */
import type { ClickHouseClient } from '@clickhouse/client';
import type { Kafka } from 'kafkajs';
import { selectRows, toNumber } from '../adapters/clickhouse.js';
import { quoteString } from '../adapters/sql.js';
import { DROP_ID, parseInput } from './queries/inputs.js';
import { DROP_COLUMNS, dropRowFrom, type DropRow, type RawDropRow } from './queries/drops.js';

/** Distinct observation events projected for a drop (redeliveries count once). */
export async function projectedObservations(client: ClickHouseClient, dropId: string): Promise<number> {
  const id = parseInput(DROP_ID, dropId, 'dropId');
  const rows = await selectRows<{ n: string }>(client, `SELECT uniqExact(event_id) AS n FROM observations WHERE drop_id = ${quoteString(id)}`);
  return toNumber(rows[0]?.n);
}

/** The drop's ledger row (processed when DropProcessed was projected), or null before DropReceived. */
export async function dropLedger(client: ClickHouseClient, dropId: string): Promise<DropRow | null> {
  const id = parseInput(DROP_ID, dropId, 'dropId');
  const rows = await selectRows<RawDropRow>(client, `SELECT ${DROP_COLUMNS} FROM drops FINAL WHERE drop_id = ${quoteString(id)} LIMIT 1`);
  return rows[0] ? dropRowFrom(rows[0]) : null;
}

export interface TopicLag {
  topic: string;
  /** Sum over partitions of the high watermark. */
  end: number;
  /** Sum over partitions of the committed offset (the low watermark where nothing is committed). */
  committed: number;
  lag: number;
}

/**
 * Per topic: end offset minus the group's committed offset, summed over partitions. A topic that
 * does not exist yet (nothing published under this prefix) has nothing to catch up: 0, without
 * asking the broker for offsets it does not have.
 */
export async function consumerLag(kafka: Kafka, groupId: string, topics: readonly string[]): Promise<TopicLag[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const present = topics.filter((t) => existing.has(t));
    const committed = present.length > 0 ? await admin.fetchOffsets({ groupId, topics: present }) : [];
    const result: TopicLag[] = [];
    for (const topic of topics) {
      if (!existing.has(topic)) {
        result.push({ topic, end: 0, committed: 0, lag: 0 });
        continue;
      }
      const ends = await admin.fetchTopicOffsets(topic);
      const mine = committed.find((c) => c.topic === topic)?.partitions ?? [];
      let end = 0;
      let done = 0;
      for (const p of ends) {
        const high = Number(p.high);
        const at = Number(mine.find((m) => m.partition === p.partition)?.offset ?? '-1');
        end += high;
        done += at >= 0 ? at : Number(p.low);
      }
      result.push({ topic, end, committed: done, lag: end - done });
    }
    return result;
  } finally {
    await admin.disconnect();
  }
}
