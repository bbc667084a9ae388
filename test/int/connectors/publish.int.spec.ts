/**
 * A drop through the real worker to the real Kafka, read back from the beginning by a consumer
 * group of the test's own: exactly the expected events, on the expected topics, under the
 * expected keys; and the same drop again adds no event with a new id. Observations and figures
 * travel as JSONEachRow rows on the row topics (projections/engine.ts), on both projection paths:
 * the same facts are asserted there, row by row.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kafka } from 'kafkajs';
import { TallyEvent, topicsFor, type ObservationRecorded, type Topics } from '../../../domain/events.js';
import { ingestOne, type IngestSummary } from '../../../cli/ingest.js';
import { kafkaFrom } from '../../../adapters/kafka.js';
import { eventsOfMessage } from '../../../projections/apply.js';
import { rowTopicsFor, type RowTopics } from '../../../projections/engine.js';
import { startPipeline, type TestPipeline } from '../../support/pipeline.js';

const DTM = fileURLToPath(new URL('../../../examples/mali/dtm-mali-r47-2019-07-31.csv', import.meta.url));

interface Read {
  topic: string;
  key: string;
  typeHeader: string;
  event: TallyEvent;
}

/** One row of a row topic (engine path): an ObservationRecorded or FigureReconciled as its table's row. */
interface RowRead {
  topic: string;
  key: string;
  typeHeader: string;
  row: Record<string, unknown>;
}

interface ReadBack {
  events: Read[];
  /** Empty on the node path (no row topics). */
  rows: RowRead[];
}

/** Every message of `topics` (and of `rowTopics`, when given), from the beginning, through a fresh consumer group. */
async function readAll(kafka: Kafka, topics: Topics, rowTopics: RowTopics | undefined, groupId: string, timeoutMs = 60_000): Promise<ReadBack> {
  const rowNames = new Set(Object.values(rowTopics ?? {}));
  const names = [...Object.values(topics), ...rowNames];
  // `expected` counts messages; a message may carry several events (or rows).
  const admin = kafka.admin();
  await admin.connect();
  let expected = 0;
  try {
    for (const topic of names) {
      for (const p of await admin.fetchTopicOffsets(topic)) expected += Number(p.high) - Number(p.low);
    }
  } finally {
    await admin.disconnect();
  }
  const consumer = kafka.consumer({ groupId });
  const read: ReadBack = { events: [], rows: [] };
  const failures: string[] = [];
  let messages = 0;
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: names, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`read ${messages} of ${expected} messages in ${timeoutMs / 1000} s`)), timeoutMs);
      if (expected === 0) resolve();
      consumer
        .run({
          eachMessage: async ({ topic, partition, message }) => {
            const where = `${topic}/${partition}@${message.offset}`;
            const key = message.key?.toString('utf8') ?? '';
            const typeHeader = message.headers?.type?.toString() ?? '';
            if (rowNames.has(topic)) {
              // A row message carries JSONEachRow lines, one row each, of one key and type.
              const lines = (message.value?.toString('utf8') ?? '').split('\n');
              if (message.headers?.format?.toString() !== 'JSONEachRow') failures.push(`${where}: header format ≠ JSONEachRow`);
              if (message.headers?.events?.toString() !== String(lines.length)) failures.push(`${where}: header events ≠ ${lines.length}`);
              for (const line of lines) {
                try {
                  read.rows.push({ topic, key, typeHeader, row: JSON.parse(line) as Record<string, unknown> });
                } catch {
                  failures.push(`${where}: not a JSON row: ${line.slice(0, 200)}`);
                }
              }
            } else {
              // A message carries one event, or an array of events of one key and type.
              const events = eventsOfMessage(message.value);
              if (message.headers?.events?.toString() !== String(events.length)) failures.push(`${where}: header events ≠ ${events.length}`);
              for (const json of events) {
                const parsed = TallyEvent.safeParse(json);
                if (!parsed.success) failures.push(`${where}: ${parsed.error.message}`);
                else read.events.push({ topic, key, typeHeader, event: parsed.data });
              }
            }
            if (++messages >= expected) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  expect(failures).toEqual([]);
  return read;
}

/** Events by topic and type; rows by topic and the type their header names. */
function countBy({ events, rows }: ReadBack): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const [topic, type] of [...events.map((r) => [r.topic, r.event.type]), ...rows.map((r) => [r.topic, r.typeHeader])]) {
    const byType = (out[topic!] ??= {});
    byType[type!] = (byType[type!] ?? 0) + 1;
  }
  return out;
}

/** Every event id read: the events', and the rows' `event_id` (the row of an event keeps its id). */
function eventIds({ events, rows }: ReadBack): string[] {
  return [...events.map((r) => r.event.eventId), ...rows.map((r) => String(r.row.event_id))];
}

function ofType<T extends TallyEvent['type']>(read: Read[], type: T): Array<Read & { event: Extract<TallyEvent, { type: T }> }> {
  return read.filter((r): r is Read & { event: Extract<TallyEvent, { type: T }> } => r.event.type === type);
}

describe('publishing a DTM drop to the real Kafka', () => {
  let pipeline: TestPipeline;
  let kafka: Kafka;
  let topics: Topics;
  let rowTopics: RowTopics;
  let summary: IngestSummary;
  let first: ReadBack;
  const rowsOf = (read: ReadBack, table: keyof RowTopics) => read.rows.filter((r) => r.topic === rowTopics[table]);

  beforeAll(async () => {
    pipeline = await startPipeline('publish');
    kafka = kafkaFrom(pipeline.config.stack.kafka, `${pipeline.scope.id}-reader`);
    topics = topicsFor(pipeline.config.topicPrefix);
    rowTopics = rowTopicsFor(pipeline.config.topicPrefix);
    summary = await pipeline.ingest(DTM, 'dtm');
    first = await readAll(kafka, topics, rowTopics, `${pipeline.scope.id}-read-1`);
  });
  afterAll(async () => {
    await pipeline?.stop();
  });

  it('accounts for all 13 rows', () => {
    expect(summary).toMatchObject({ status: 'processed', rows: 13, accepted: 10, rejected: 1, duplicates: 2 });
    expect(summary.accepted + summary.rejected + summary.duplicates).toBe(summary.rows);
  });

  it('publishes exactly the expected event types on each topic, each valid and labelled with its type', () => {
    // The 9 observations, 9 figures, 2 duplicates and the rejection, as rows on their own topics; nothing else there.
    expect(countBy(first)).toEqual({
      [topics.drops]: { DropReceived: 1, DropProcessed: 1 },
      [rowTopics.observations]: { ObservationRecorded: 9 },
      [rowTopics.figures]: { FigureReconciled: 9 },
      [rowTopics.duplicates]: { RowDuplicated: 2 },
      [rowTopics.rejections]: { RowRejected: 1 },
    });
    for (const r of rowsOf(first, 'observations')) expect(r.row).toMatchObject({ drop_id: summary.dropId, source: 'dtm', indicator: 'idps' });
    for (const r of rowsOf(first, 'figures')) expect(r.row).toMatchObject({ indicator: 'idps', chosen_source: 'dtm' });
    for (const r of first.events) expect(r.typeHeader).toBe(r.event.type);
    const processed = ofType(first.events, 'DropProcessed')[0]!.event;
    expect(processed).toMatchObject({ dropId: summary.dropId, status: 'processed', rows: 13, accepted: 10, rejected: 1, duplicates: 2, observations: 9 });
    expect(ofType(first.events, 'DropReceived')[0]!.event).toMatchObject({ dropId: summary.dropId, source: 'dtm', format: 'csv' });
  });

  it('keys observations and figures by series group, and drop, duplicate and rejection events by drop', () => {
    for (const r of first.events) {
      switch (r.event.type) {
        case 'ObservationRecorded':
        case 'FigureReconciled':
          expect(r.key).toBe(r.event.groupKey);
          break;
        default:
          expect(r.key).toBe(summary.dropId);
      }
    }
    // A row keeps its event's key: the series group (its `group_key` column), or the drop.
    for (const r of first.rows) expect(r.key).toBe(r.typeHeader === 'RowDuplicated' || r.typeHeader === 'RowRejected' ? summary.dropId : r.row.group_key);
    expect(first.rows.filter((r) => r.key === summary.dropId)).toHaveLength(3);
    const observationKeys = rowsOf(first, 'observations').map((r) => r.key);
    expect(observationKeys).toHaveLength(9);
    expect(new Set(observationKeys).size).toBe(9);
  });

  it('sums the displacement reasons into one observation, and reports the copy, the repeat and the bad row', () => {
    // The facts of each observation, from its row.
    type Fact = Pick<ObservationRecorded, 'observationId' | 'rows' | 'value' | 'indicator'> & { areaLevel: number; period: unknown };
    const facts: Array<[string, Fact]> = rowsOf(first, 'observations').map(({ row }): [string, Fact] => [
      String(row.area),
      {
        observationId: String(row.observation_id),
        rows: (row.rows as number[]).map(Number),
        value: Number(row.value),
        indicator: String(row.indicator),
        period: { kind: String(row.period_kind), date: String(row.ref_date) },
        areaLevel: Number(row.area_level),
      },
    ]);
    const byArea = new Map(facts);
    expect(byArea.size).toBe(facts.length);
    expect(byArea.get('ML05')).toMatchObject({ rows: [3, 4], value: 61200 + 9312, indicator: 'idps', period: { kind: 'stock', date: '2019-07-31' } });
    expect(byArea.get('ML07')).toMatchObject({ rows: [5], value: 24770 });
    expect(byArea.get('ML09')).toMatchObject({ rows: [11], value: 3120 });
    expect(byArea.get('MLI')).toMatchObject({ rows: [15], value: 160180, areaLevel: 0 });
    expect(byArea.has('ML03')).toBe(false);

    // Duplicates and rejections as the rows of their tables.
    const duplicates = rowsOf(first, 'duplicates')
      .map(({ row }) => ({ row: Number(row.row), reason: String(row.reason), observationId: String(row.observation_id), dropId: String(row.drop_id) }))
      .sort((a, b) => a.row - b.row);
    expect(duplicates.map((d) => [d.row, d.reason, d.dropId])).toEqual([
      [6, 'assessment_copy', summary.dropId],
      [12, 'repeated_row', summary.dropId],
    ]);
    expect(duplicates.find((d) => d.row === 6)!.observationId).toBe(byArea.get('ML07')!.observationId);
    expect(duplicates.find((d) => d.row === 12)!.observationId).toBe(byArea.get('ML09')!.observationId);

    const [rejection] = rowsOf(first, 'rejections').map(({ row }) => row);
    expect(rejection).toMatchObject({ row: 14, found: 'Not available', drop_id: summary.dropId, source: 'dtm' });
  });

  it('publishes no event with a new id when the same drop comes again, as the same workflow or a rerun of its ingestion', async () => {
    // The rows count too: each row carries its event's id.
    const ids = new Set(eventIds(first));
    expect(ids.size).toBe(first.events.length + first.rows.length);

    const again = (await pipeline.ingest(DTM, 'dtm')) as IngestSummary;
    expect(again.workflowId).toBe(summary.workflowId);
    const afterSame = await readAll(kafka, topics, rowTopics, `${pipeline.scope.id}-read-2`);
    expect(afterSame.events).toHaveLength(first.events.length);
    expect(afterSame.rows).toHaveLength(first.rows.length);

    // Another workflow id for the same drop (as a second deployment prefix would start) reruns the activity.
    const rerunConfig = { ...pipeline.config, workflowIdPrefix: `${pipeline.config.workflowIdPrefix}rerun-` };
    const rerun = (await ingestOne(pipeline.client, rerunConfig, { file: DTM }, 'dtm', true)) as IngestSummary;
    expect(rerun.workflowId).not.toBe(summary.workflowId);
    expect(rerun).toMatchObject({ dropId: summary.dropId, rows: 13, accepted: 10, rejected: 1, duplicates: 2 });
    const afterRerun = await readAll(kafka, topics, rowTopics, `${pipeline.scope.id}-read-3`);
    expect(afterRerun.events.length + afterRerun.rows.length).toBeGreaterThan(first.events.length + first.rows.length);
    expect(afterRerun.rows.length).toBeGreaterThan(first.rows.length);
    expect(new Set(eventIds(afterRerun))).toEqual(ids);
  });
});
