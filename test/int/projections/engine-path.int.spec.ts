/**
 * The engine projection path on the real engines: the Mali example drops ingested once with the
 * Node projections and once with ClickHouse's Kafka engine projecting observations and figures
 * give the same answers, `--wait` waits for the engine's consumer group, and `projections
 * rebuild` keeps them on the engine path.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openClickHouse, selectRows, toNumber, type ClickHouseClient } from '../../../adapters/clickhouse.js';
import { kafkaFrom } from '../../../adapters/kafka.js';
import { createPublisher } from '../../../adapters/publisher.js';
import { topicsFor } from '../../../domain/events.js';
import { applyProjectionPath, checkEngineServer, engineRowRouting, ensureEngineProjections } from '../../../projections/engine.js';
import { migrate } from '../../../projections/migrations.js';
import { observation } from './fixtures.js';
import { waitUntil } from './harness.js';
import { quoteIdentifier, quoteString } from '../../../adapters/sql.js';
import { engineGroupOf, rowTopicsFor, type EngineTable } from '../../../projections/engine.js';
import { listDiscrepancies, listDrops, listRejections, queryFigures } from '../../../projections/queries.js';
import { rebuildProjections } from '../../../projections/rebuild.js';
import type { IngestDropResult } from '../../../workflows/ingest-drop.js';
import { startPipeline, type TestPipeline } from '../../support/pipeline.js';

const MALI = join(import.meta.dirname, '../../../examples/mali');
const DROPS: ReadonlyArray<[string, string]> = [
  ['dtm-mali-r47-2019-07-31.csv', 'dtm'],
  ['cmp-pdi-2020-03-31.csv', 'cmp'],
  ['cmp-pdi-2020-03-31-revision.csv', 'cmp'],
  ['mmeia-retours-diaspora.xlsx', 'mmeia'],
  ['instat-etrangers-2020.csv', 'instat'],
  ['iom-avr-2017-2024.csv', 'iom-avr'],
];

/** What the tables and the queries say, without the times of this run (received, recorded) and the ids that hash them. */
async function answers(client: ClickHouseClient) {
  const indicators = (await selectRows<{ indicator: string }>(client, 'SELECT DISTINCT indicator FROM figures ORDER BY indicator')).map((r) => r.indicator);
  const figures: Record<string, unknown> = {};
  for (const indicator of indicators) {
    figures[indicator] = (await queryFigures(client, { indicator })).map((f) => ({ ...f, recordedAt: undefined }));
    figures[`${indicator}@2020-01-01`] = (await queryFigures(client, { indicator, asOf: '2020-01-01' })).length;
  }
  return {
    indicators,
    figures,
    observations: await selectRows(
      client,
      `SELECT observation_id, series_key, group_key, drop_id, source, rows, indicator, area, area_level, period_kind, ref_date, period_start, period_end, value, unit, disaggregation
       FROM observations FINAL ORDER BY event_id`,
    ),
    figureRows: await selectRows(
      client,
      `SELECT series_key, group_key, indicator, area, period_kind, ref_date, disaggregation, value, unit, chosen_source, rule, spread_min, spread_max, spread_relative
       FROM figures FINAL ORDER BY series_key, ref_date, value, chosen_source, rule`,
    ),
    discrepancies: (await listDiscrepancies(client)).map((d) => ({ indicator: d.indicator, area: d.area, status: d.status, cause: d.cause })).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    rejections: (await listRejections(client, { limit: 1000 })).map((r) => ({ dropId: r.dropId, row: r.row, reason: r.reason })),
    drops: (await listDrops(client)).map((d) => ({ dropId: d.dropId, status: d.status, rows: d.rows, accepted: d.accepted, rejected: d.rejected, duplicates: d.duplicates, observations: d.observations })).sort((a, b) => a.dropId.localeCompare(b.dropId)),
  };
}

async function ingestAll(p: TestPipeline): Promise<IngestDropResult[]> {
  const results: IngestDropResult[] = [];
  for (const [file, source] of DROPS) {
    const summary = await p.ingest(join(MALI, file), source);
    results.push((await p.client.workflow.getHandle(summary.workflowId).result()) as IngestDropResult);
  }
  return results;
}

describe('the engine projection path: ClickHouse projects observations and figures itself (real Kafka and ClickHouse)', () => {
  let node: Awaited<ReturnType<typeof answers>>;
  let nodeResults: IngestDropResult[];
  let p: TestPipeline | undefined;

  beforeAll(async () => {
    const q = await startPipeline('enginenode');
    try {
      nodeResults = await ingestAll(q);
      node = await answers(q.clickhouse);
    } finally {
      await q.stop();
    }
    // Locally ClickHouse and Kafka share the loopback: the brokers the tests dial are the ones it reaches.
    p = await startPipeline('engine', { config: { projectionPath: { kind: 'engine', brokers: [...inject('stack').kafka.brokers] } } });
  }, 300_000);

  afterAll(async () => {
    await p?.stop();
  });

  async function rebuildLeftovers(): Promise<string[]> {
    const db = p!.config.stack.clickhouse.database;
    const rows = await selectRows<{ name: string }>(p!.clickhouse, `SELECT name FROM system.tables WHERE database = ${quoteString(db)} AND match(name, '_rebuild|_old$') ORDER BY name`);
    return rows.map((r) => r.name);
  }

  async function groupsNow(): Promise<string[]> {
    const admin = kafkaFrom(p!.config.stack.kafka, `${p!.scope.id}-groups`).admin();
    await admin.connect();
    try {
      return (await admin.listGroups()).groups.map((g) => g.groupId);
    } finally {
      await admin.disconnect();
    }
  }

  async function rowTopicMessages(): Promise<number> {
    const admin = kafkaFrom(p!.config.stack.kafka, `${p!.scope.id}-ends`).admin();
    await admin.connect();
    try {
      let n = 0;
      for (const topic of Object.values(rowTopicsFor(p!.config.topicPrefix))) for (const o of await admin.fetchTopicOffsets(topic)) n += Number(o.high) - Number(o.low);
      return n;
    } finally {
      await admin.disconnect();
    }
  }

  it('ingests the Mali drops with --wait and answers every query as the Node path does', async () => {
    const results = await ingestAll(p!);
    expect(results.map((r) => ({ status: r.status, rows: r.rows, accepted: r.accepted, figures: r.figures, discrepancies: r.discrepancies }))).toEqual(
      nodeResults.map((r) => ({ status: r.status, rows: r.rows, accepted: r.accepted, figures: r.figures, discrepancies: r.discrepancies })),
    );
    const engine = await answers(p!.clickhouse);
    expect(node.observations.length).toBeGreaterThan(0);
    expect(node.figureRows.length).toBeGreaterThan(0);
    expect(engine).toEqual(node);
  }, 300_000);

  it('had ClickHouse read the row topics: its Kafka tables, their groups at the end of them, every row in its table', async () => {
    const client = p!.clickhouse;
    const db = p!.config.stack.clickhouse.database;
    const tables = (await selectRows<{ name: string; engine: string }>(client, `SELECT name, engine FROM system.tables WHERE database = ${quoteString(db)} AND name LIKE '%_queue' ORDER BY name`));
    expect(tables).toEqual([
      { name: 'duplicates_queue', engine: 'Kafka' },
      { name: 'figures_queue', engine: 'Kafka' },
      { name: 'observations_queue', engine: 'Kafka' },
      { name: 'rejections_queue', engine: 'Kafka' },
    ]);
    const kafka = kafkaFrom(p!.config.stack.kafka, `${p!.scope.id}-check`);
    const admin = kafka.admin();
    await admin.connect();
    try {
      const topics = rowTopicsFor(p!.config.topicPrefix);
      for (const [table, topic] of Object.entries(topics) as Array<[EngineTable, string]>) {
        const ends = await admin.fetchTopicOffsets(topic);
        const committed = (await admin.fetchOffsets({ groupId: engineGroupOf(p!.config.projectionsGroup, table), topics: [topic] }))[0]!.partitions;
        const end = ends.reduce((n, e) => n + Number(e.high), 0);
        expect(end, topic).toBeGreaterThan(0);
        expect(committed.reduce((n, c) => n + Math.max(0, Number(c.offset)), 0), topic).toBe(end);
      }
    } finally {
      await admin.disconnect();
    }
    const rows = await selectRows<{ n: string }>(client, 'SELECT uniqExact(event_id) AS n FROM observations');
    expect(toNumber(rows[0]?.n)).toBe(node.observations.length);
    // Rejections and duplicates came through ClickHouse's own Kafka tables too: one row per rejected or duplicated row.
    const counted = await selectRows<{ r: string; d: string }>(client, 'SELECT (SELECT uniqExact(event_id) FROM rejections) AS r, (SELECT uniqExact(event_id) FROM duplicates) AS d');
    const results = nodeResults.reduce((n, r) => ({ rejected: n.rejected + r.rejected, duplicates: n.duplicates + r.duplicates }), { rejected: 0, duplicates: 0 });
    expect({ rejected: toNumber(counted[0]?.r), duplicates: toNumber(counted[0]?.d) }).toEqual(results);
  });

  it.each(['clickhouse', 'node'] as const)('rebuilds the same answers on the engine path (row topics replayed by %s), and the views fill the rebuilt tables afterwards', async (replay) => {
    const before = await answers(p!.clickhouse);
    const result = await rebuildProjections({ settings: p!.config.stack, topicPrefix: p!.config.topicPrefix, path: p!.config.projectionPath, replay });
    // Every message of the log counts, the row topics' included, whoever replayed them.
    expect(result.consumed).toBe(result.total);
    expect(await rowTopicMessages()).toBeGreaterThan(0);
    expect(await answers(p!.clickhouse)).toEqual(before);
    // The replay's Kafka tables, views and groups are gone.
    expect(await rebuildLeftovers()).toEqual([]);
    expect((await groupsNow()).filter((g) => g.startsWith(result.groupId))).toEqual([]);
    // The views write into the live tables by name: after the swap, a new row lands in the rebuilt ones.
    const kafka = kafkaFrom(p!.config.stack.kafka, `${p!.scope.id}-late`);
    const publisher = await createPublisher(kafka, topicsFor(p!.config.topicPrefix), { rows: engineRowRouting(p!.config.topicPrefix) });
    const late = observation({ source: 'dtm', area: 'ML07', value: replay === 'node' ? 9001 : 9000, recordedAt: '2020-05-01T00:00:00Z' });
    try {
      await publisher.publish([late]);
    } finally {
      await publisher.close();
    }
    await waitUntil('the engine to project a row published after the rebuild', async () => {
      const rows = await selectRows<{ n: string }>(p!.clickhouse, `SELECT count() AS n FROM observations WHERE event_id = ${quoteString(late.eventId)}`);
      return toNumber(rows[0]?.n) > 0;
    });
  }, 300_000);

  it('fails a rebuild whose engine replay makes no progress, naming the brokers, and leaves the live tables as they were', async () => {
    const before = await answers(p!.clickhouse);
    const unreachable = { kind: 'engine' as const, brokers: ['127.0.0.1:1'] };
    await expect(
      rebuildProjections({ settings: p!.config.stack, topicPrefix: p!.config.topicPrefix, path: unreachable, replay: 'clickhouse', engineStallMs: 3000 }),
    ).rejects.toThrow(/replay the row topics, found \d+ message\(s\) or row\(s\) still missing after 3 s without progress; can ClickHouse reach 127\.0\.0\.1:1\?/);
    expect(await answers(p!.clickhouse)).toEqual(before);
    expect((await rebuildLeftovers()).filter((t) => t.endsWith('_queue') || t.endsWith('_mv'))).toEqual([]);
  }, 300_000);

  it('is set up by the worker and the projections at once (the groups start at the beginning), and torn down on the node path', async () => {
    const db = `${p!.config.stack.clickhouse.database}_twice`;
    const client = await openClickHouse(p!.config.stack.clickhouse, { database: db });
    const prefix = `${p!.config.topicPrefix}twice.`;
    const group = `${p!.config.projectionsGroup}-twice`;
    const kafka = kafkaFrom(p!.config.stack.kafka, `${p!.scope.id}-twice`);
    try {
      await migrate(client, db);
      const publisher = await createPublisher(kafka, topicsFor(prefix), { rows: engineRowRouting(prefix) });
      const early = observation({ source: 'dtm', area: 'ML08', value: 4321, recordedAt: '2020-06-01T00:00:00Z' });
      try {
        await publisher.publish([early]);
      } finally {
        await publisher.close();
      }
      const setup = { database: db, topicPrefix: prefix, projectionsGroup: group, brokers: [...inject('stack').kafka.brokers] };
      await Promise.all([ensureEngineProjections(client, kafka, setup), ensureEngineProjections(client, kafka, setup)]);
      // A row published before either set the path up is read: the group did not start at the end.
      await waitUntil('the engine to project the row published before the setup', async () => {
        const rows = await selectRows<{ n: string }>(client, `SELECT count() AS n FROM observations WHERE event_id = ${quoteString(early.eventId)}`);
        return toNumber(rows[0]?.n) > 0;
      });
      // Back on the node path, the Kafka tables go (they would write every row a second time); the rows stay.
      await applyProjectionPath(client, kafka, { kind: 'node' }, setup);
      const left = await selectRows<{ name: string }>(client, `SELECT name FROM system.tables WHERE database = ${quoteString(db)} AND match(name, '_queue$|_mv$') ORDER BY name`);
      expect(left).toEqual([]);
      const kept = await selectRows<{ n: string }>(client, `SELECT count() AS n FROM observations WHERE event_id = ${quoteString(early.eventId)}`);
      expect(toNumber(kept[0]?.n)).toBeGreaterThan(0);
    } finally {
      await client.command({ query: `DROP DATABASE IF EXISTS ${quoteIdentifier(db)}` });
      await client.close();
    }
  }, 300_000);

  it('finds the local 18.16 server fit for the engine path: its default profile reads until a topic runs dry', async () => {
    await expect(checkEngineServer(p!.clickhouse)).resolves.toBeUndefined();
    const [row] = await selectRows<{ value: string }>(p!.clickhouse, "SELECT value FROM system.settings WHERE name = 'stream_flush_interval_ms'");
    expect(Number(row?.value)).toBeGreaterThanOrEqual(600_000);
  });
});
