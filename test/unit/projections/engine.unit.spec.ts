import { describe, expect, it } from 'vitest';
import { encodeEvents } from '../../../adapters/publisher.js';
import { topicsFor } from '../../../domain/events.js';
import { configFromEnv, configToEnv, projectionPathFromEnv } from '../../../infra/config.js';
import type { StackSettings } from '../../../infra/stack/settings.js';
import { engineGroupOf, engineRowRouting, rowTopicsFor, tableOfRowTopic } from '../../../projections/engine.js';
import { figuresProjection } from '../../../projections/figures.js';
import { observationsProjection } from '../../../projections/observations.js';
import type { EventMeta } from '../../../projections/projection.js';
import { figure, observation } from '../../int/projections/fixtures.js';

const meta: EventMeta = { topic: 't', partition: 0, offset: '0', timestamp: '2020-01-01T00:00:00.000Z' };
const stack: StackSettings = {
  provider: 'external',
  kafka: { brokers: ['k1:9092'], ssl: false },
  temporal: { address: 't:7233', namespace: 'default', tls: false },
  clickhouse: { url: 'http://ch:8123', username: 'default', password: '', database: 'tally' },
};

describe('the engine path: observations and figures as flat rows', () => {
  const obs = [
    observation({ source: 'dtm', area: 'ML05', value: 100, recordedAt: '2019-08-01T00:00:00Z' }),
    observation({ source: 'dtm', area: 'ML05', value: 120, recordedAt: '2019-08-01T00:00:00Z', period: { kind: 'stock', date: '2019-08-31' } }),
  ];
  const fig = figure(obs[0]!);

  it('puts each row on its row topic as the projection writes it, one JSON line per event, several per message', () => {
    const routing = engineRowRouting('p.');
    const requests = encodeEvents([...obs, fig], topicsFor('p.'), routing);
    const byTopic = new Map(requests.flat().map((t) => [t.topic, t.messages]));
    expect([...byTopic.keys()].sort()).toEqual(['p.tally.rows.figures', 'p.tally.rows.observations']);
    const [message] = byTopic.get('p.tally.rows.observations')!;
    expect(message!.headers).toMatchObject({ type: 'ObservationRecorded', events: '2', format: 'JSONEachRow' });
    expect(message!.value.split('\n').map((l) => JSON.parse(l) as unknown)).toEqual(obs.map((o) => observationsProjection.toRow(o, meta)));
    expect(JSON.parse(byTopic.get('p.tally.rows.figures')![0]!.value)).toEqual(figuresProjection.toRow(fig, meta));
  });

  it('leaves every other event on its event topic, as JSON events', () => {
    const requests = encodeEvents([...obs], topicsFor('p.'));
    expect(requests.flat().map((t) => t.topic)).toEqual(['p.tally.observations']);
  });

  it('refuses an event its schema refuses, saying what it expected, found and where', () => {
    const routing = engineRowRouting('');
    const bad = { ...obs[0]!, area: 'not a place' };
    expect(() => routing.encode(bad)).toThrow(/^engine rows: expected a valid ObservationRecorded, found .+ \(ObservationRecorded .+ at area\)$/);
    expect(() => encodeEvents([bad], topicsFor(''), routing)).toThrow(/expected a valid ObservationRecorded/);
  });

  it('names one engine group per table, and finds the table of a row topic', () => {
    expect(engineGroupOf('g', 'observations')).toBe('g-engine-observations');
    const topics = rowTopicsFor('x.');
    expect(tableOfRowTopic(topics, 'x.tally.rows.figures')).toBe('figures');
    expect(tableOfRowTopic(topics, 'x.tally.observations')).toBeUndefined();
  });
});

describe('TALLY_PROJECTION_PATH', () => {
  it('is the node path unless told otherwise', () => {
    expect(projectionPathFromEnv({})).toEqual({ kind: 'node' });
    expect(configFromEnv(stack, {}).projectionPath).toEqual({ kind: 'node' });
  });

  it('dials the Kafka brokers from ClickHouse unless TALLY_ENGINE_KAFKA_BROKERS says otherwise', () => {
    expect(configFromEnv(stack, { TALLY_PROJECTION_PATH: 'engine' }).projectionPath).toEqual({ kind: 'engine', brokers: ['k1:9092'] });
    const config = configFromEnv(stack, { TALLY_PROJECTION_PATH: 'engine', TALLY_ENGINE_KAFKA_BROKERS: 'kafka:29092, kafka2:29092' });
    expect(config.projectionPath).toEqual({ kind: 'engine', brokers: ['kafka:29092', 'kafka2:29092'] });
    expect(configToEnv(config)).toMatchObject({ TALLY_PROJECTION_PATH: 'engine', TALLY_ENGINE_KAFKA_BROKERS: 'kafka:29092,kafka2:29092' });
  });

  it('says what it expected and found', () => {
    expect(() => projectionPathFromEnv({ TALLY_PROJECTION_PATH: 'clickhouse' })).toThrow('TALLY_PROJECTION_PATH: expected "node" or "engine", found "clickhouse"');
    expect(() => projectionPathFromEnv({ TALLY_PROJECTION_PATH: 'engine', TALLY_ENGINE_KAFKA_BROKERS: 'kafka' })).toThrow('TALLY_ENGINE_KAFKA_BROKERS: expected host:port, found "kafka"');
    expect(() => projectionPathFromEnv({ TALLY_PROJECTION_PATH: 'engine' })).toThrow(/expected host:port brokers that ClickHouse can reach, found none/);
  });
});
