/**
 * A drop through the real worker to the real Kafka, read back from the beginning by a consumer
 * group of the test's own: exactly the expected events, on the expected topics, under the
 * expected keys; and the same drop again adds no event with a new id.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kafka } from 'kafkajs';
import { TallyEvent, topicsFor, type ObservationRecorded, type RowDuplicated, type RowRejected, type Topics } from '../../../domain/events.js';
import { ingestOne, type IngestSummary } from '../../../cli/ingest.js';
import { kafkaFrom } from '../../../adapters/kafka.js';
import { eventsOfMessage } from '../../../projections/apply.js';
import { startPipeline, type TestPipeline } from '../../support/pipeline.js';

const DTM = fileURLToPath(new URL('../../../examples/mali/dtm-mali-r47-2019-07-31.csv', import.meta.url));

interface Read {
  topic: string;
  key: string;
  typeHeader: string;
  event: TallyEvent;
}

/** Every message of `topics`, from the beginning, through a fresh consumer group. */
async function readAll(kafka: Kafka, topics: Topics, groupId: string, timeoutMs = 60_000): Promise<Read[]> {
  const names = Object.values(topics);
  // `expected` counts messages; a message may carry several events.
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
  const read: Read[] = [];
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
            // A message carries one event, or an array of events of one key and type.
            const events = eventsOfMessage(message.value);
            if (message.headers?.events?.toString() !== String(events.length)) failures.push(`${topic}/${partition}@${message.offset}: header events ≠ ${events.length}`);
            for (const json of events) {
              const parsed = TallyEvent.safeParse(json);
              if (!parsed.success) failures.push(`${topic}/${partition}@${message.offset}: ${parsed.error.message}`);
              else read.push({ topic, key: message.key?.toString('utf8') ?? '', typeHeader: message.headers?.type?.toString() ?? '', event: parsed.data });
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

function countBy(read: Read[]): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const r of read) {
    const byType = (out[r.topic] ??= {});
    byType[r.event.type] = (byType[r.event.type] ?? 0) + 1;
  }
  return out;
}

function ofType<T extends TallyEvent['type']>(read: Read[], type: T): Array<Read & { event: Extract<TallyEvent, { type: T }> }> {
  return read.filter((r): r is Read & { event: Extract<TallyEvent, { type: T }> } => r.event.type === type);
}

describe('publishing a DTM drop to the real Kafka', () => {
  let pipeline: TestPipeline;
  let kafka: Kafka;
  let topics: Topics;
  let summary: IngestSummary;
  let first: Read[];

  beforeAll(async () => {
    pipeline = await startPipeline('publish');
    kafka = kafkaFrom(pipeline.config.stack.kafka, `${pipeline.scope.id}-reader`);
    topics = topicsFor(pipeline.config.topicPrefix);
    summary = await pipeline.ingest(DTM, 'dtm');
    first = await readAll(kafka, topics, `${pipeline.scope.id}-read-1`);
  });
  afterAll(async () => {
    await pipeline?.stop();
  });

  it('accounts for all 13 rows', () => {
    expect(summary).toMatchObject({ status: 'processed', rows: 13, accepted: 10, rejected: 1, duplicates: 2 });
    expect(summary.accepted + summary.rejected + summary.duplicates).toBe(summary.rows);
  });

  it('publishes exactly the expected event types on each topic, each valid and labelled with its type', () => {
    expect(countBy(first)).toEqual({
      [topics.drops]: { DropReceived: 1, DropProcessed: 1 },
      [topics.observations]: { ObservationRecorded: 9, RowDuplicated: 2 },
      [topics.rejections]: { RowRejected: 1 },
      [topics.figures]: { FigureReconciled: 9 },
    });
    for (const r of first) expect(r.typeHeader).toBe(r.event.type);
    const processed = ofType(first, 'DropProcessed')[0]!.event;
    expect(processed).toMatchObject({ dropId: summary.dropId, status: 'processed', rows: 13, accepted: 10, rejected: 1, duplicates: 2, observations: 9 });
    expect(ofType(first, 'DropReceived')[0]!.event).toMatchObject({ dropId: summary.dropId, source: 'dtm', format: 'csv' });
  });

  it('keys observations and figures by series group, and drop, duplicate and rejection events by drop', () => {
    for (const r of first) {
      switch (r.event.type) {
        case 'ObservationRecorded':
        case 'FigureReconciled':
          expect(r.key).toBe(r.event.groupKey);
          break;
        default:
          expect(r.key).toBe(summary.dropId);
      }
    }
    expect(new Set(ofType(first, 'ObservationRecorded').map((r) => r.key)).size).toBe(9);
  });

  it('sums the displacement reasons into one observation, and reports the copy, the repeat and the bad row', () => {
    const byArea = new Map(ofType(first, 'ObservationRecorded').map((r): [string, ObservationRecorded] => [r.event.area, r.event]));
    expect(byArea.get('ML05')).toMatchObject({ rows: [3, 4], value: 61200 + 9312, indicator: 'idps', period: { kind: 'stock', date: '2019-07-31' } });
    expect(byArea.get('ML07')).toMatchObject({ rows: [5], value: 24770 });
    expect(byArea.get('ML09')).toMatchObject({ rows: [11], value: 3120 });
    expect(byArea.get('MLI')).toMatchObject({ rows: [15], value: 160180, areaLevel: 0 });
    expect(byArea.has('ML03')).toBe(false);

    const duplicates = ofType(first, 'RowDuplicated')
      .map((r): RowDuplicated => r.event)
      .sort((a, b) => a.row - b.row);
    expect(duplicates.map((d) => [d.row, d.reason])).toEqual([
      [6, 'assessment_copy'],
      [12, 'repeated_row'],
    ]);
    expect(duplicates.find((d) => d.row === 6)!.observationId).toBe(byArea.get('ML07')!.observationId);
    expect(duplicates.find((d) => d.row === 12)!.observationId).toBe(byArea.get('ML09')!.observationId);

    const [rejection] = ofType(first, 'RowRejected').map((r): RowRejected => r.event);
    expect(rejection).toMatchObject({ row: 14, found: 'Not available', dropId: summary.dropId });
  });

  it('publishes no event with a new id when the same drop comes again, as the same workflow or a rerun of its ingestion', async () => {
    const ids = new Set(first.map((r) => r.event.eventId));
    expect(ids.size).toBe(first.length);

    const again = (await pipeline.ingest(DTM, 'dtm')) as IngestSummary;
    expect(again.workflowId).toBe(summary.workflowId);
    const afterSame = await readAll(kafka, topics, `${pipeline.scope.id}-read-2`);
    expect(afterSame).toHaveLength(first.length);

    // Another workflow id for the same drop (as a second deployment prefix would start) reruns the activity.
    const rerunConfig = { ...pipeline.config, workflowIdPrefix: `${pipeline.config.workflowIdPrefix}rerun-` };
    const rerun = (await ingestOne(pipeline.client, rerunConfig, { file: DTM }, 'dtm', true)) as IngestSummary;
    expect(rerun.workflowId).not.toBe(summary.workflowId);
    expect(rerun).toMatchObject({ dropId: summary.dropId, rows: 13, accepted: 10, rejected: 1, duplicates: 2 });
    const afterRerun = await readAll(kafka, topics, `${pipeline.scope.id}-read-3`);
    expect(afterRerun.length).toBeGreaterThan(first.length);
    expect(new Set(afterRerun.map((r) => r.event.eventId))).toEqual(ids);
  });
});
