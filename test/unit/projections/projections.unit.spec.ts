import { describe, expect, it } from 'vitest';
import type { KafkaMessage } from 'kafkajs';
import { pino } from 'pino';
import type { TallyEventType } from '../../../domain/events.js';
import { PROJECTIONS, projectionOf } from '../../../projections/all.js';
import { eventsOfMessage, projectMessages } from '../../../projections/apply.js';
import { encodeEvents, eventKey, MESSAGE_BYTES } from '../../../adapters/publisher.js';
import { TOPIC_OF, topicsFor } from '../../../domain/events.js';
import { createTableSql, TABLES } from '../../../projections/schema.js';
import { scenario } from '../../int/projections/scenario.js';
import { dropProcessed, dropReceived, observation, rowRejected } from '../../int/projections/fixtures.js';
import { periodColumns } from '../../../projections/projection.js';
import { dropRowFrom, type RawDropRow } from '../../../projections/queries.js';
import { STORE_DATES } from '../../../domain/periods.js';
import { quoteDate } from '../../../adapters/sql.js';

const meta = { topic: 't', partition: 0, offset: '0', timestamp: '2020-03-01T10:00:00.123Z' };
const message = (value: string, offset = 0): KafkaMessage =>
  ({ key: null, value: Buffer.from(value), offset: String(offset), timestamp: '1583056800123', attributes: 0, headers: {} }) satisfies KafkaMessage;
const silent = pino({ level: 'silent' });

describe('projections', () => {
  it('give every event type exactly one projection, one per table', () => {
    const types: TallyEventType[] = ['DropReceived', 'DropProcessed', 'ObservationRecorded', 'RowDuplicated', 'RowRejected', 'FigureReconciled', 'DiscrepancyDetected', 'DiscrepancyResolved'];
    for (const t of types) expect(projectionOf(t).handles).toContain(t);
    expect(PROJECTIONS.flatMap((p) => p.handles).sort()).toEqual([...types].sort());
    expect(PROJECTIONS.map((p) => p.table).sort()).toEqual([...TABLES].sort());
  });

  it('turn an observation into a row with period columns, disaggregation key and UTC seconds', () => {
    const o = observation({ source: 'dtm', area: 'ML0501', value: 12, recordedAt: '2019-08-10T10:00:00.5+02:00', disaggregation: { sex: 'f', age: '0-4' }, period: { kind: 'flow', start: '2019-01-01', end: '2019-06-30' } });
    expect(projectionOf(o.type).toRow(o, meta)).toMatchObject({
      event_id: o.eventId,
      area_level: 2,
      period_kind: 'flow',
      ref_date: '2019-06-30',
      period_start: '2019-01-01',
      period_end: '2019-06-30',
      disaggregation: 'age=0-4,sex=f',
      recorded_at: '2019-08-10 08:00:00',
      rows: [1],
    });
  });

  it('refuses an event handed to the wrong projection', () => {
    const o = observation({ source: 'dtm', area: 'ML05', value: 1, recordedAt: '2019-08-10T00:00:00Z' });
    expect(() => projectionOf('FigureReconciled').toRow(o, meta)).toThrow(/figures does not handle ObservationRecorded/);
  });

  it('pass over messages that are not events, or not storable, and keep the rest', () => {
    const s = scenario();
    const old = observation({ source: 'dtm', area: 'ML05', value: 1, recordedAt: '2019-08-10T00:00:00Z', period: { kind: 'stock', date: '1960-01-01' } });
    const batch = projectMessages(
      't',
      0,
      [message('not json'), message('{"type":"Nope"}'), message(JSON.stringify(old)), ...s.events.map((e, i) => message(JSON.stringify(e), i + 3))],
      silent,
    );
    expect(batch.skipped).toBe(3);
    const total = [...batch.rows.values()].reduce((n, rows) => n + rows.length, 0);
    expect(total).toBe(s.events.length);
    const drops = batch.rows.get('drops')!;
    expect(drops.find((d) => d.stage === 2)).toMatchObject({ processed_at: '2020-03-01 10:00:00' });
  });

  it('carry several events of one topic, key and type in one message, and project every one of them', () => {
    const s = scenario();
    const requests = encodeEvents(s.events, topicsFor('p.'));
    const messages = requests.flatMap((r) => r.flatMap((t) => t.messages.map((m) => ({ topic: t.topic, ...m }))));
    // Every event once, in its own topic, under its own key and type header, in the order given per key.
    const carried = messages.flatMap((m) => eventsOfMessage(m.value).map((e) => ({ m, e: e as (typeof s.events)[number] })));
    expect(carried.map(({ e }) => e.eventId).sort()).toEqual(s.events.map((e) => e.eventId).sort());
    for (const { m, e } of carried) {
      expect(m.key).toBe(eventKey(e));
      expect(m.headers.type).toBe(e.type);
      expect(m.headers.events).toBe(String(eventsOfMessage(m.value).length));
    }
    const topics = topicsFor('p.');
    const where = (e: (typeof s.events)[number]) => `${topics[TOPIC_OF[e.type]]}|${eventKey(e)}`;
    for (const key of new Set(s.events.map(where))) {
      expect(carried.filter(({ e }) => where(e) === key).map(({ e }) => e.eventId)).toEqual(s.events.filter((e) => where(e) === key).map((e) => e.eventId));
    }
    expect(messages.length).toBeLessThan(s.events.length);
    const batch = projectMessages('t', 0, messages.map((m, i) => message(m.value, i)), silent);
    expect(batch.skipped).toBe(0);
    expect([...batch.rows.values()].reduce((n, rows) => n + rows.length, 0)).toBe(s.events.length);
  });

  it('cap a batched message by bytes', () => {
    const many = Array.from({ length: 2000 }, (_, i) => observation({ source: 'dtm', area: 'ML05', value: i, recordedAt: '2019-08-10T00:00:00Z' }));
    const messages = encodeEvents(many, topicsFor('')).flatMap((r) => r.flatMap((t) => t.messages));
    expect(messages.length).toBeGreaterThan(1);
    for (const m of messages) expect(Buffer.byteLength(m.value)).toBeLessThanOrEqual(MESSAGE_BYTES);
    expect(messages.flatMap((m) => eventsOfMessage(m.value))).toHaveLength(2000);
  });

  it('share one DDL between live and rebuild tables', () => {
    const live = createTableSql('tally', 'observations');
    const copy = createTableSql('tally', 'observations', 'observations_rebuild');
    expect(copy.replace('`observations_rebuild`', '`observations`')).toBe(live);
    expect(() => createTableSql('tally; DROP', 'figures')).toThrow(/identifier/);
  });

  it('keep a drop\'s duplicates and rejections by kind, and each rejection\'s kind', () => {
    const received = dropReceived('dtm.csv', 'dtm', '2020-03-01T10:00:00Z');
    const breakdown = { duplicates: { repeated_row: 2 }, rejected: { conflict: 1, invalid_value: 3 } };
    const processed = { ...dropProcessed(received, { rows: 10, accepted: 4, rejected: 4, duplicates: 2, observations: 3, revisions: 0 }), breakdown };
    const row = projectionOf('DropProcessed').toRow(processed, meta);
    expect(row).toMatchObject({ breakdown: JSON.stringify(breakdown) });
    expect(projectionOf('DropReceived').toRow(received, meta)).toMatchObject({ breakdown: '' });
    expect(projectionOf('DropProcessed').toRow(dropProcessed(received, { rows: 0, accepted: 0, rejected: 0, duplicates: 0, observations: 0, revisions: 0 }), meta)).toMatchObject({ breakdown: '' });
    // Read back as the drop ledger gives it.
    const raw = { ...(row as unknown as RawDropRow), status: 'processed' as const, received: '2020-03-01 10:00:00', processed: '' };
    expect(dropRowFrom(raw).breakdown).toEqual(breakdown);
    expect(dropRowFrom({ ...raw, breakdown: '' }).breakdown).toBeUndefined();
    const rejected = rowRejected(received, 3, '12.5');
    expect(projectionOf('RowRejected').toRow({ ...rejected, kind: 'invalid_value' }, meta)).toMatchObject({ kind: 'invalid_value' });
    expect(projectionOf('RowRejected').toRow(rejected, meta)).toMatchObject({ kind: '' });
  });

  it('store every period the ingest accepts, and none it rejects', () => {
    for (const date of [STORE_DATES.first, STORE_DATES.last]) {
      expect(periodColumns({ kind: 'stock', date })).toMatchObject({ ref_date: date });
      expect(() => quoteDate(date)).not.toThrow();
    }
    expect(() => periodColumns({ kind: 'stock', date: '1969-12-31' })).toThrow(/outside ClickHouse's Date range/);
    expect(() => periodColumns({ kind: 'stock', date: '2106-01-01' })).toThrow(/outside ClickHouse's Date range/);
  });
});
