import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kafka } from 'kafkajs';
import { groupsOf, observationsOfPage, previousStateOfPage } from '../../../activities/clickhouse.js';
import { topicsFor } from '../../../domain/events.js';
import { openClickHouse, selectRows, toNumber, type ClickHouseClient } from '../../../adapters/clickhouse.js';
import { kafkaFrom } from '../../../adapters/kafka.js';
import { migrate } from '../../../projections/migrations.js';
import { listDiscrepancies, listDrops, listRejections, provenance, queryFigures } from '../../../projections/queries.js';
import { startProjections, type RunningProjections } from '../../../projections/runner.js';
import { TABLES } from '../../../projections/schema.js';
import { dropLedger, projectedObservations } from '../../../projections/watermark.js';
import { testScope, type TestScope } from '../../support/isolation.js';
import { publish, waitForNoLag } from './harness.js';
import { NASTY, scenario } from './scenario.js';

describe('projections and queries (real Kafka and ClickHouse)', () => {
  let scope: TestScope;
  let kafka: Kafka;
  let client: ClickHouseClient;
  let running: RunningProjections;
  let skipped = 0;
  const s = scenario();
  const prefix = () => `${scope.id}.`;
  const group = () => `${scope.id}-projections`;

  beforeAll(async () => {
    scope = testScope('proj');
    kafka = kafkaFrom(scope.stack.kafka, scope.id);
    running = await startProjections({
      settings: scope.stack,
      topicPrefix: prefix(),
      groupId: group(),
      batchSize: 7,
      onBatch: (info) => (skipped += info.skipped),
    });
    const topics = topicsFor(prefix());
    // Garbage among valid events: logged and passed over, never a stuck consumer.
    await publish(kafka, prefix(), s.events, [
      { topic: topics.observations, value: 'not json' },
      { topic: topics.figures, value: '{"type":"FigureInvented"}' },
      { topic: topics.observations, value: JSON.stringify({ ...s.dtmMopti, area: "ML05' OR 1=1 --" }) },
    ]);
    await waitForNoLag(kafka, group(), prefix());
    client = await openClickHouse(scope.stack.clickhouse);
  });

  afterAll(async () => {
    await running?.stop();
    await client?.command({ query: `DROP DATABASE IF EXISTS ${scope.database}` });
    await client?.close();
  });

  it('skips messages that are not valid events, and projects the rest', async () => {
    expect(skipped).toBe(3);
    expect(await projectedObservations(client, s.dropA.dropId)).toBe(4);
    expect(await projectedObservations(client, s.dropB.dropId)).toBe(2);
  });

  it('answers reconciled figures: the latest per series, total only, ordered by area and date', async () => {
    const rows = await queryFigures(client, { indicator: 'idps' });
    expect(rows.map((r) => [r.area, r.date, r.value, r.sources])).toEqual([
      ['ML05', '2019-07-31', 75000, { cmp: 75000, dtm: 71000 }],
      ['ML06', '2019-07-31', 20000, { dtm: 20000 }],
      ['MLI', '2020-02-29', 171000, { cmp: 171000 }],
    ]);
    expect(rows[0]).toMatchObject({ indicator: 'idps', unit: 'individuals', seriesKey: 'idps|ML05||2019-07-31', disaggregation: '', recordedAt: '2020-03-01T09:30:00Z' });
    expect(rows[0]!.source).toBeUndefined();
  });

  it('filters by area and reference dates, and returns flows with their period', async () => {
    expect((await queryFigures(client, { indicator: 'idps', area: 'ML06' })).map((r) => r.value)).toEqual([20000]);
    expect((await queryFigures(client, { indicator: 'idps', from: '2020-01-01' })).map((r) => r.area)).toEqual(['MLI']);
    expect((await queryFigures(client, { indicator: 'idps', to: '2019-12-31' })).map((r) => r.area)).toEqual(['ML05', 'ML06']);
    const flows = await queryFigures(client, { indicator: 'returned_migrants', area: 'MLI' });
    expect(flows).toEqual([
      expect.objectContaining({ periodStart: '2018-01-01', periodEnd: '2019-08-15', value: 12166, sources: { 'iom-avr': 12166 } }),
    ]);
    expect(flows[0]!.date).toBeUndefined();
    const women = await queryFigures(client, { indicator: 'idps', area: 'ML05', disaggregation: 'sex=f' });
    expect(women.map((r) => [r.value, r.disaggregation])).toEqual([[36000, 'sex=f']]);
  });

  it('answers "as known on" a date, before and after a revision', async () => {
    const at = (asOf: string) => queryFigures(client, { indicator: 'idps', area: 'ML05', asOf });
    expect(await at('2019-08-01')).toEqual([]);
    expect((await at('2019-08-10')).map((r) => r.value)).toEqual([70512]); // a date alone includes that day
    expect((await at('2019-09-01T00:00:00Z')).map((r) => r.value)).toEqual([70512]);
    expect((await at('2019-09-15T10:00:00Z')).map((r) => r.value)).toEqual([71000]);
    expect((await at('2019-12-31T23:59:59+01:00')).map((r) => [r.value, r.sources])).toEqual([[71000, { dtm: 71000 }]]);
  });

  it("answers one source's own figures: its latest revision, or an older one with asOf", async () => {
    const dtm = await queryFigures(client, { indicator: 'idps', area: 'ML05', source: 'dtm' });
    expect(dtm).toEqual([expect.objectContaining({ value: 71000, source: 'dtm', date: '2019-07-31', recordedAt: '2019-09-15T10:00:00Z' })]);
    expect(dtm[0]!.sources).toBeUndefined();
    const before = await queryFigures(client, { indicator: 'idps', area: 'ML05', source: 'dtm', asOf: '2019-09-01T00:00:00Z' });
    expect(before.map((r) => r.value)).toEqual([70512]);
    expect((await queryFigures(client, { indicator: 'idps', source: 'cmp' })).map((r) => [r.area, r.value])).toEqual([
      ['ML05', 75000],
      ['MLI', 171000],
    ]);
    expect(await queryFigures(client, { indicator: 'idps', source: 'unhcr' })).toEqual([]);
  });

  it('traces a figure to its observations, drops and rows', async () => {
    const p = await provenance(client, s.figMopti3.seriesKey);
    expect(p.figure).toMatchObject({ value: 75000, chosenSource: 'cmp', spread: { min: 71000, max: 75000 } });
    expect(p.figure!.inputs.map((i) => i.source)).toEqual(['cmp', 'dtm']);
    expect(p.observations.map((o) => [o.source, o.value, o.rows, o.dropId, o.usedInFigure])).toEqual([
      ['dtm', 70512, [2, 3], s.dropA.dropId, false],
      ['dtm', 71000, [2], s.dropC.dropId, true],
      ['cmp', 75000, [1], s.dropB.dropId, true],
    ]);
    const earlier = await provenance(client, s.figMopti3.seriesKey, '2019-08-31');
    expect(earlier.figure?.value).toBe(70512);
    expect(earlier.observations).toHaveLength(1);
    expect((await provenance(client, 'idps|ML09||1999-01-01')).figure).toBeNull();
  });

  it('lists discrepancies with their current status', async () => {
    const all = await listDiscrepancies(client);
    expect(all.map((d) => [d.discrepancyId, d.status])).toEqual(
      expect.arrayContaining([
        [s.openGap.discrepancyId, 'open'],
        [s.closedGap.discrepancyId, 'resolved'],
      ]),
    );
    expect(all).toHaveLength(2);
    const closed = all.find((d) => d.status === 'resolved')!;
    expect(closed).toMatchObject({ cause: 'different_reference_dates', detectedAt: '2019-08-10T08:00:00Z', resolvedAt: '2019-09-15T10:00:00Z' });
    const open = await listDiscrepancies(client, { open: true });
    expect(open).toEqual([
      expect.objectContaining({
        discrepancyId: s.openGap.discrepancyId,
        indicator: 'idps',
        area: 'ML05',
        gap: { absolute: 4000, relative: 4000 / 75000 },
        tolerance: 0.05,
        values: s.openGap.values,
      }),
    ]);
    expect(open[0]!.resolvedAt).toBeUndefined();
  });

  it('lists rejected rows of a drop, text with SQL metacharacters intact', async () => {
    const rejected = await listRejections(client, { dropId: s.dropA.dropId });
    expect(rejected.map((r) => [r.row, r.column, r.found])).toEqual([
      [7, 'Nombre de PDI', '140 8001'],
      [9, "Région'--", NASTY],
    ]);
    expect(await listRejections(client, { dropId: s.dropA.dropId.slice(0, 8), limit: 1 })).toHaveLength(1);
    expect(await listRejections(client, { dropId: s.dropB.dropId })).toEqual([]);
    expect(await listRejections(client)).toHaveLength(2);
  });

  it('keeps the drop ledger, newest first', async () => {
    const drops = await listDrops(client);
    expect(drops.map((d) => [d.fileName, d.status])).toEqual([
      ['cmp-2020.csv', 'processed'],
      ['dtm-r47-rev.csv', 'received'],
      ['dtm-r47.csv', 'processed'],
    ]);
    const a = await dropLedger(client, s.dropA.dropId);
    expect(a).toMatchObject({ rows: 9, accepted: 6, rejected: 2, duplicates: 1, observations: 4, receivedAt: '2019-08-10T08:00:00Z' });
    expect(a!.processedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(a!.accepted + a!.rejected + a!.duplicates).toBe(a!.rows);
    expect((await dropLedger(client, s.dropC.dropId))?.processedAt).toBeUndefined();
    expect(await dropLedger(client, '0'.repeat(64))).toBeNull();
    const dups = await selectRows<{ row: number; reason: string }>(client, 'SELECT row, reason FROM duplicates FINAL');
    expect(dups).toEqual([{ row: 6, reason: 'repeated_row' }]);
  });

  it('leaves no trace of redelivered events, and re-running migrations changes nothing', async () => {
    const snapshot = async () => ({
      figures: await queryFigures(client, { indicator: 'idps' }),
      dtm: await queryFigures(client, { indicator: 'idps', source: 'dtm', asOf: '2019-09-01' }),
      provenance: await provenance(client, s.figMopti3.seriesKey),
      discrepancies: await listDiscrepancies(client),
      rejections: await listRejections(client),
      drops: (await listDrops(client)).map(({ processedAt: _p, ...d }) => d),
      observations: await projectedObservations(client, s.dropA.dropId),
      counts: await Promise.all(
        TABLES.map(async (t) => toNumber((await selectRows<{ n: string }>(client, `SELECT count() AS n FROM ${t} FINAL`))[0]!.n)),
      ),
      // What reconciliation reads, without FINAL: each event once, the same latest state.
      page: await (async () => {
        const groups = await groupsOf(client, ['idps']);
        const page = { indicator: 'idps', areas: [...new Set(groups.map((g) => g.area))], groupKeys: groups.map((g) => g.groupKey), observations: groups.reduce((n, g) => n + g.observations, 0) };
        const state = await previousStateOfPage(client, page);
        return {
          observations: (await observationsOfPage(client, page)).map((o) => o.eventId).sort(),
          figures: [...state.figures].sort(),
          open: [...state.openDiscrepancies].sort(),
        };
      })(),
    });
    const before = await snapshot();
    expect(before.page.observations.length).toBe(6);
    expect(before.page.open.length).toBe(1);
    expect(await migrate(client, scope.database)).toEqual([]);
    // Copies of redelivered events stay unmerged until this test ends, as on a busy server.
    const reconcileTables = ['observations', 'figures', 'discrepancies'];
    for (const t of reconcileTables) await client.command({ query: `SYSTEM STOP MERGES ${scope.database}.${t}` });

    // The same events again, and a second consumer group that replays the whole log into the same tables.
    await publish(kafka, prefix(), s.events);
    await waitForNoLag(kafka, group(), prefix());
    let replayed = 0;
    const again = await startProjections({
      settings: scope.stack,
      topicPrefix: prefix(),
      groupId: `${group()}-2`,
      onBatch: (info) => (replayed += info.messages),
    });
    try {
      await waitForNoLag(kafka, `${group()}-2`, prefix());
    } finally {
      await again.stop();
    }
    expect(replayed).toBe(2 * s.events.length + 3);
    try {
      const copies = await selectRows<{ n: string }>(client, 'SELECT count() AS n FROM observations');
      expect(toNumber(copies[0]!.n)).toBeGreaterThan(before.counts[TABLES.indexOf('observations')]!);
      expect(await snapshot()).toEqual(before);
    } finally {
      for (const t of reconcileTables) await client.command({ query: `SYSTEM START MERGES ${scope.database}.${t}` });
    }
  });

  it('runs every SQL example of docs/analysts.md as the analyst, with answers', async () => {
    const doc = readFileSync(new URL('../../../docs/analysts.md', import.meta.url), 'utf8');
    const examples = [...doc.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(examples.length).toBeGreaterThanOrEqual(7);
    const analyst = scope.stack.clickhouse.analyst!;
    const ro = await openClickHouse({ ...scope.stack.clickhouse, username: analyst.username, password: analyst.password }, { createDatabase: false });
    try {
      for (const sql of examples) {
        const rows = await selectRows<Record<string, unknown>>(ro, sql).catch((e: Error) => {
          throw new Error(`${e.message}\nin:\n${sql}`);
        });
        expect(rows.length, sql).toBeGreaterThan(0);
      }
      const regions = await selectRows<{ area: string; value: number }>(ro, examples[0]!);
      expect(regions.map((r) => [r.area, r.value])).toEqual([['ML05', 75000], ['ML06', 20000]]);
      const open = await selectRows<{ discrepancy_id: string }>(ro, examples.find((e) => e.includes("current_status = 'open'"))!);
      expect(open.map((r) => r.discrepancy_id)).toEqual([s.openGap.discrepancyId]);
    } finally {
      await ro.close();
    }
  });

  it('lets the read-only analyst user query but not write', async () => {
    const analyst = scope.stack.clickhouse.analyst;
    expect(analyst).toBeDefined();
    const ro = await openClickHouse({ ...scope.stack.clickhouse, username: analyst!.username, password: analyst!.password }, { createDatabase: false });
    try {
      expect((await queryFigures(ro, { indicator: 'idps', area: 'ML06' })).map((r) => r.value)).toEqual([20000]);
      await expect(ro.command({ query: 'TRUNCATE TABLE figures' })).rejects.toThrow(/readonly|Cannot execute query in readonly mode/i);
    } finally {
      await ro.close();
    }
  });
});
