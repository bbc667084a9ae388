/**
 * The peer loader: the event pipeline a ClickHouse user assembles without Tally. Each line of the
 * CSV (header skipped) is one Kafka message, sent with kafkajs in batches of 10,000 awaited one by
 * one; ClickHouse reads the topic itself through a Kafka-engine table (`kafka_format = 'CSV'`, one
 * consumer), and a materialized view writes the rows into a MergeTree with the same String columns
 * as the other loaders. Nothing is validated. The time runs from the first send until every row is
 * in the MergeTree.
 *
 * ClickHouse 18.16's Kafka engine takes `kafka_broker_list`, `kafka_topic_list`,
 * `kafka_group_name`, `kafka_format`, `kafka_row_delimiter`, `kafka_schema`, `kafka_num_consumers`
 * and `kafka_skip_broken_messages`; a block goes to the view when it holds `max_block_size` rows,
 * when no message came for 500 ms, or after `stream_flush_interval_ms` (server settings).
 */
import { createReadStream } from 'node:fs';
import type { ClickHouseClient } from '@clickhouse/client';
import type { StackSettings } from '../infra/stack/settings.js';
import { ensureTopics, kafkaFrom } from '../adapters/kafka.js';
import { quoteString, quoteTable } from '../adapters/sql.js';
import { countRows, createRawTable } from './baselines.js';
import { HEADER } from './generate.js';

export interface PeerOptions {
  client: ClickHouseClient;
  settings: StackSettings;
  database: string;
  topic: string;
  group: string;
  file: string;
  rows: number;
  /** Lines per producer send. @default 10000 */
  batch?: number;
  log?: (line: string) => void;
}

export interface PeerResult {
  seconds: number;
  /** Until the last send was acknowledged. */
  produceSeconds: number;
  /** Rows in the MergeTree at the end. */
  rows: number;
  /** Lines sent that never reached the MergeTree. */
  lost: number;
  /** Messages in the topic at the end (every line sent, acknowledged by the broker). */
  inKafka: number;
}

/** No new row for this long, the engine is taken to be done. */
const SETTLE_MS = 15_000;

/** The lines of a file after its first, without their line ends (LF or CRLF), in arrays of `batch`. */
export async function* lineBatches(file: string, batch: number): AsyncGenerator<string[]> {
  let carry = '';
  let header = true;
  let lines: string[] = [];
  for await (const chunk of createReadStream(file, { encoding: 'utf8', highWaterMark: 1024 * 1024 }) as AsyncIterable<string>) {
    const parts = (carry + chunk).split('\n');
    carry = parts.pop()!;
    for (const part of parts) {
      if (header) {
        header = false;
        continue;
      }
      const line = part.endsWith('\r') ? part.slice(0, -1) : part;
      if (line === '') continue;
      lines.push(line);
      if (lines.length >= batch) {
        yield lines;
        lines = [];
      }
    }
  }
  const last = carry.endsWith('\r') ? carry.slice(0, -1) : carry;
  if (last !== '' && !header) lines.push(last);
  if (lines.length > 0) yield lines;
}

export async function loadPeer(opts: PeerOptions): Promise<PeerResult> {
  const { client, database } = opts;
  const batch = opts.batch ?? 10_000;
  const rowsTable = 'peer_rows';
  const queue = quoteTable(database, 'peer_queue');
  const kafka = kafkaFrom(opts.settings.kafka, 'tally-bench-peer');
  await ensureTopics(kafka, [opts.topic]);
  // The engine's consumer starts a new group at the end of the log (librdkafka's default), so the
  // group's offsets are set to the beginning before the table exists: no line sent is skipped.
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [meta] = (await admin.fetchTopicMetadata({ topics: [opts.topic] })).topics;
    const partitions = (meta?.partitions ?? []).map((p) => ({ partition: p.partitionId, offset: '0' }));
    // A topic created a moment ago may answer "not the leader" or "coordinator loading" for a while.
    for (let attempt = 1; ; attempt++) {
      try {
        await admin.setOffsets({ groupId: opts.group, topic: opts.topic, partitions });
        break;
      } catch (err) {
        if (attempt >= 20) throw err;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  } finally {
    await admin.disconnect();
  }
  await createRawTable(client, database, rowsTable);
  const columns = HEADER.map((h) => `${h} String`).join(', ');
  await client.command({
    query:
      `CREATE TABLE ${queue} (${columns}) ENGINE = Kafka SETTINGS ` +
      `kafka_broker_list = ${quoteString(opts.settings.kafka.brokers.join(','))}, kafka_topic_list = ${quoteString(opts.topic)}, ` +
      `kafka_group_name = ${quoteString(opts.group)}, kafka_format = 'CSV', kafka_row_delimiter = '\\n', kafka_num_consumers = 1`,
  });
  await client.command({ query: `CREATE MATERIALIZED VIEW ${quoteTable(database, 'peer_mv')} TO ${quoteTable(database, rowsTable)} AS SELECT * FROM ${queue}` });

  await untilConsuming(kafka, opts.group);
  const producer = kafka.producer();
  await producer.connect();
  let produceSeconds: number;
  const started = performance.now();
  try {
    for await (const lines of lineBatches(opts.file, batch)) {
      await producer.send({ topic: opts.topic, messages: lines.map((value) => ({ value })) });
    }
    produceSeconds = (performance.now() - started) / 1000;
  } finally {
    await producer.disconnect();
  }
  opts.log?.(`  peer: produced in ${produceSeconds.toFixed(2)} s; waiting for the Kafka-engine table to write them…`);
  // Done when every row is in, or when none came for SETTLE_MS (longer than the engine's 7.5 s
  // flush interval): then the time is that of the last row in, and the rows not in are `lost`.
  let seen = -1;
  let lastChange = performance.now();
  for (;;) {
    const n = await countRows(client, database, rowsTable);
    const now = performance.now();
    if (n >= opts.rows) return { seconds: (now - started) / 1000, produceSeconds, rows: n, lost: 0, inKafka: await messagesIn(kafka, opts.topic) };
    if (n !== seen) {
      seen = n;
      lastChange = now;
    } else if (now - lastChange > SETTLE_MS) {
      if (n === 0) throw new Error(`peer: expected ${opts.rows} rows in ${database}.${rowsTable}, found none after ${SETTLE_MS / 1000} s (is the Kafka engine reaching ${opts.settings.kafka.brokers.join(',')}? see ClickHouse's error log)`);
      return { seconds: (lastChange - started) / 1000, produceSeconds, rows: n, lost: opts.rows - n, inKafka: await messagesIn(kafka, opts.topic) };
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function messagesIn(kafka: ReturnType<typeof kafkaFrom>, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
  } finally {
    await admin.disconnect();
  }
}

/** Waits until the engine's consumer has joined its group and holds partitions, as a user would before sending. */
async function untilConsuming(kafka: ReturnType<typeof kafkaFrom>, group: string, timeoutMs = 120_000): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    let state = 'unknown';
    while (Date.now() < deadline) {
      const [described] = (await admin.describeGroups([group])).groups;
      state = described?.state ?? 'unknown';
      if (state === 'Stable' && described!.members.some((m) => m.memberAssignment.length > 0)) return;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(`peer: expected ClickHouse's Kafka consumer in group ${group} within ${timeoutMs / 1000} s, found the group ${state}`);
  } finally {
    await admin.disconnect();
  }
}

/** Stops the engine's consumer (the Kafka table goes first) and deletes the topic, best effort. */
export async function cleanPeer(client: ClickHouseClient, settings: StackSettings, database: string, topic: string): Promise<void> {
  await client.command({ query: `DROP TABLE IF EXISTS ${quoteTable(database, 'peer_mv')}` });
  await client.command({ query: `DROP TABLE IF EXISTS ${quoteTable(database, 'peer_queue')}` });
  const admin = kafkaFrom(settings.kafka, 'tally-bench-peer').admin();
  await admin.connect();
  try {
    await admin.deleteTopics({ topics: [topic] });
  } catch {
    // best effort: a broker may refuse topic deletion
  } finally {
    await admin.disconnect();
  }
}
