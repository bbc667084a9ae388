/**
 * Every statement the project sends to ClickHouse, recorded against the local 18.16 server and
 * replayed in order on current ClickHouse (chdb-core 26.x, in-process): each must be accepted, and
 * each SELECT must answer what 18.16 answered on the same data. See docs/clickhouse-compat.md.
 *
 * The recording wraps @clickhouse/client's createClient, so every client the project opens (the
 * projection runner's, the rebuild's, the explorer's analyst client, openClickHouse's admin
 * client) is recorded, and the test checks that the recording passed through every SQL call site
 * of the project's source: a new query that this scenario does not drive fails it.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Kafka } from 'kafkajs';
import { pino } from 'pino';

vi.mock('@clickhouse/client', async (importOriginal) => {
  const real = await importOriginal<typeof import('@clickhouse/client')>();
  const { recorder, resultSetFactory } = await import('../../compat/recording.js');
  const make = resultSetFactory(real.ResultSet);
  return { ...real, createClient: (config: Parameters<typeof real.createClient>[0] = {}) => recorder.wrap(real.createClient(config), config, make) };
});

import {
  discrepancyEvent,
  groupsOf,
  indicatorsOfDrop,
  observationsOfPage,
  otherDropsObservations,
  previousStateOfPage,
  priorKnowledge,
} from '../../../activities/clickhouse.js';
import { openClickHouse, selectRows, type ClickHouseClient } from '../../../adapters/clickhouse.js';
import { kafkaFrom } from '../../../adapters/kafka.js';
import { buildReport } from '../../../cli/report.js';
import { PROJECTIONS } from '../../../projections/all.js';
import { addColumnIfMissing, migrate, MIGRATIONS } from '../../../projections/migrations.js';
import * as queries from '../../../projections/queries.js';
import { listDiscrepancies, listDrops, listRejections, provenance, queryFigures } from '../../../projections/queries.js';
import { rebuildProjections } from '../../../projections/rebuild.js';
import { startProjections } from '../../../projections/runner.js';
import * as watermark from '../../../projections/watermark.js';
import { dropLedger, projectedObservations } from '../../../projections/watermark.js';
import { startExplorer } from '../../../web/server.js';
import { sqlCallSites, uncovered } from '../../compat/call-sites.js';
import { compareAnswers } from '../../compat/compare.js';
import { recorder, type RecordedStatement } from '../../compat/recording.js';
import { CHDB_MISSING, chdbAvailable, replayOnChdb, type Replay } from '../../compat/replay.js';
import { testScope, type TestScope } from '../../support/isolation.js';
import { publish, waitForNoLag } from '../projections/harness.js';
import { scenario } from '../projections/scenario.js';

/** Kinds of statement the project sends; each must be in the recording. */
const KINDS: ReadonlyArray<[string, RegExp]> = [
  ['CREATE DATABASE', /^CREATE DATABASE IF NOT EXISTS /],
  ['CREATE TABLE (ReplacingMergeTree)', /^CREATE TABLE IF NOT EXISTS [\s\S]*ENGINE = ReplacingMergeTree/],
  ['ALTER TABLE ADD COLUMN', /^ALTER TABLE \S+ ADD COLUMN /],
  ['INSERT JSONEachRow', /^INSERT INTO \S+ FORMAT JSONEachRow$/],
  ['SELECT … FINAL', /^\s*SELECT [\s\S]*\bFINAL\b/],
  ['SELECT … LIMIT 1 BY', /\bLIMIT 1 BY\b/],
  ['SELECT argMax/argMaxIf', /\bargMaxIf?\(/],
  ['SELECT system.columns', /\bFROM system\.columns\b/],
  ['SELECT system.tables', /\bFROM system\.tables\b/],
  ['SELECT as-of (recorded_at <= toDateTime)', /recorded_at <= toDateTime\('/],
  ['RENAME TABLE (swap)', /^RENAME TABLE \S+ TO \S+_old`?, /],
  ['DROP TABLE IF EXISTS', /^DROP TABLE IF EXISTS /],
  ['TRUNCATE TABLE', /^TRUNCATE TABLE /],
];

/** The functions that send SQL, by name (wherever a refactor moves them); each must have sent some. */
const SENDERS = [
  'openClickHouse',
  'insertRows',
  'selectRows',
  'migrate',
  'columnExists',
  'addColumnIfMissing',
  'insertProjected',
  'queryFigures',
  'countryAreas',
  'provenance',
  'listDiscrepancies',
  'listRejections',
  'listDrops',
  'projectedObservations',
  'dropLedger',
  'recordedElsewhere',
  'knownSeries',
  'sourceHasOtherDrops',
  'indicatorsOfDrop',
  'groupsOf',
  'observationsOfPage',
  'otherDropsObservations',
  'previousStateOfPage',
  'discrepancyEvent',
  'buildReport',
  '/api/indicators',
  '/api/areas',
  '/api/countries',
  '/api/figures',
  '/api/series',
  '/api/provenance',
  '/api/discrepancies',
  '/api/rejections',
  '/api/drops',
  'startProjections',
  'rebuildProjections',
  'swapTables',
  'truncate',
];

/** Async exports of the read-model modules that send no SQL. */
const NOT_SQL = new Set(['consumerLag']);

const kindOf = (s: RecordedStatement) => KINDS.filter(([, re]) => re.test(s.sql)).map(([k]) => k);
const short = (sql: string, n = 400) => (sql.length > n ? `${sql.slice(0, n)}…` : sql).replace(/\s+/g, ' ');
const where = (s: RecordedStatement) => `#${s.seq} [${s.step}] ${s.kind} from ${s.frames.slice(0, 3).map((f) => `${f.fn} (${f.file}:${f.line})`).join(' < ')}`;

describe('the project\'s SQL on current ClickHouse (recorded on 18.16, replayed on chdb 26.x)', () => {
  let scope: TestScope;
  let kafka: Kafka;
  let client: ClickHouseClient;
  let replay: Replay;
  const timings: Record<string, number> = {};
  const s = scenario();
  const prefix = () => `${scope.id}.`;
  const silent = pino({ level: 'silent' });

  const timed = async <T>(step: string, fn: () => Promise<T>): Promise<T> => {
    recorder.at(step);
    const t = Date.now();
    try {
      return await fn();
    } finally {
      timings[step] = (Date.now() - t) / 1000;
    }
  };

  /** Each read model's questions with sample values, as the CLI, the API and the reconciler ask them. */
  const askEverything = async (c: ClickHouseClient) => {
    await queryFigures(c, { indicator: 'idps' });
    await queryFigures(c, { indicator: 'idps', area: 'ML05' });
    await queryFigures(c, { indicator: 'idps', from: '2020-01-01' });
    await queryFigures(c, { indicator: 'idps', to: '2019-12-31' });
    await queryFigures(c, { indicator: 'returned_migrants', area: 'MLI' });
    await queryFigures(c, { indicator: 'idps', area: 'ML05', disaggregation: 'sex=f' });
    for (const asOf of ['2019-08-01', '2019-08-10', '2019-09-01T00:00:00Z', '2019-09-15T10:00:00Z', '2019-12-31T23:59:59+01:00']) {
      await queryFigures(c, { indicator: 'idps', area: 'ML05', asOf });
    }
    await queryFigures(c, { indicator: 'idps', area: 'ML05', source: 'dtm' });
    await queryFigures(c, { indicator: 'idps', area: 'ML05', source: 'dtm', asOf: '2019-09-01T00:00:00Z' });
    await queryFigures(c, { indicator: 'idps', source: 'cmp', from: '2019-01-01', to: '2020-12-31' });
    await queryFigures(c, { indicator: 'idps', country: 'MLI' });
    await queryFigures(c, { indicator: 'idps', country: 'MLI', source: 'dtm' });
    // Brazil's 5,599 P-codes: narrowed to the areas the table holds first (countryAreas).
    await queryFigures(c, { indicator: 'idps', country: 'BRA' });
    await provenance(c, s.figMopti3.seriesKey);
    await provenance(c, s.figMopti3.seriesKey, '2019-08-31');
    await provenance(c, 'idps|ML09||1999-01-01');
    await listDiscrepancies(c);
    await listDiscrepancies(c, { open: true });
    await listRejections(c, { dropId: s.dropA.dropId });
    await listRejections(c, { dropId: s.dropA.dropId.slice(0, 8), limit: 1 });
    await listRejections(c);
    await listDrops(c);
    await projectedObservations(c, s.dropA.dropId);
    await dropLedger(c, s.dropA.dropId);
    await dropLedger(c, s.dropC.dropId);
  };

  /** What the activities read: the ingest's look-ups and the reconciler's pages. */
  const askActivities = async (c: ClickHouseClient) => {
    const prior = priorKnowledge(c);
    await prior.recordedElsewhere([s.dtmMopti.observationId, s.cmpMopti.observationId], s.dropC.dropId, [s.dtmMopti.seriesKey]);
    await prior.recordedElsewhere([s.dtmMopti.observationId], s.dropB.dropId);
    await prior.knownSeries([s.dtmMopti.seriesKey, s.cmpMopti.seriesKey], 'dtm', s.dropC.dropId);
    await prior.sourceHasOtherDrops!('dtm', s.dropA.dropId);
    await prior.sourceHasOtherDrops!('unhcr', s.dropA.dropId);
    await indicatorsOfDrop(c, s.dropA.dropId);
    await groupsOf(c, ['idps', 'returned_migrants']);
    const groups = await groupsOf(c, ['idps'], s.dropB.dropId);
    const page = { indicator: 'idps', areas: [...new Set(groups.map((g) => g.area))], groupKeys: groups.map((g) => g.groupKey), observations: 0 };
    await observationsOfPage(c, page);
    await otherDropsObservations(c, { indicator: 'idps', dropId: s.dropB.dropId, groupKeys: page.groupKeys, wideDisaggregations: [''] });
    await previousStateOfPage(c, page);
    await discrepancyEvent(c, s.openGap.eventId);
    await discrepancyEvent(c, s.closedGap.eventId);
  };

  // Without chdb every test fails with the same message (a missing engine is not a reason to skip).
  let chdb = { ok: false, detail: 'not checked' };
  const needChdb = () => {
    if (!chdb.ok) throw new Error(`${CHDB_MISSING}: ${chdb.detail}`);
  };

  beforeAll(async () => {
    chdb = await chdbAvailable();
    if (!chdb.ok) return;

    scope = testScope('compat');
    kafka = kafkaFrom(scope.stack.kafka, scope.id);
    recorder.start();

    await timed('migrations and projected inserts', async () => {
      const running = await startProjections({ settings: scope.stack, topicPrefix: prefix(), groupId: `${scope.id}-live`, batchSize: 7, logger: silent });
      try {
        // As the worker publishes them: observations and figures as rows on the row topics.
        await publish(kafka, prefix(), s.events, [], { rows: true });
        await waitForNoLag(kafka, `${scope.id}-live`, prefix());
      } finally {
        await running.stop();
      }
    });
    client = await openClickHouse(scope.stack.clickhouse);

    await timed('a later migration that adds a column', async () => {
      const probe = { version: 2, name: 'compat probe column', up: (c: ClickHouseClient, db: string) => addColumnIfMissing(c, db, 'schema_migrations', 'note', "String DEFAULT ''") };
      await migrate(client, scope.database, [...MIGRATIONS, probe]);
      await migrate(client, scope.database, [...MIGRATIONS, probe]);
      await addColumnIfMissing(client, scope.database, 'schema_migrations', 'note', "String DEFAULT ''");
    });

    await timed('read models', () => askEverything(client));
    await timed('activities', () => askActivities(client));

    await timed('explorer API (analyst)', async () => {
      const explorer = await startExplorer({ settings: scope.stack.clickhouse, port: 0 });
      try {
        const paths = [
          '/api/indicators',
          '/api/areas',
          '/api/areas?country=MLI',
          '/api/countries',
          '/api/figures?indicator=idps&area=ML05&asOf=2019-09-01',
          '/api/figures?indicator=idps&country=MLI',
          '/api/series?indicator=idps&area=ML05',
          `/api/provenance?series=${encodeURIComponent(s.figMopti3.seriesKey)}&asOf=2019-12-31T00:00:00Z`,
          '/api/discrepancies?open=true',
          `/api/rejections?drop=${s.dropA.dropId.slice(0, 12)}&limit=10`,
          '/api/drops?limit=10',
        ];
        for (const path of paths) {
          const res = await fetch(new URL(path, explorer.url));
          expect(res.status, path).toBe(200);
          await res.arrayBuffer();
        }
      } finally {
        await explorer.close();
      }
    });

    await timed('cli report and status', async () => {
      await buildReport(client, []);
      await listDrops(client, { limit: 5 }); // `tally status`
      await queryFigures(client, { indicator: 'idps', area: 'ML05', source: 'dtm', asOf: '2019-09-01T00:00:00Z' }); // `tally query`
    });

    await timed('docs/analysts.md examples', async () => {
      const doc = readFileSync(new URL('../../../docs/analysts.md', import.meta.url), 'utf8');
      const examples = [...doc.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1]!);
      expect(examples.length).toBeGreaterThanOrEqual(7);
      for (const sql of examples) await selectRows(client, sql);
    });

    await timed('rebuild (RENAME swap)', async () => {
      await rebuildProjections({ settings: scope.stack, topicPrefix: prefix(), logger: silent });
      await askEverything(client);
    });

    await timed('truncate', async () => {
      for (const p of PROJECTIONS) await p.truncate(client);
      await listDrops(client);
      await queryFigures(client, { indicator: 'idps' });
    });
    recorder.stop();

    replay = await timed('replay on chdb', () => replayOnChdb(recorder.statements));
  });

  afterAll(async () => {
    recorder.stop();
    if (scope) await client?.command({ query: `DROP DATABASE IF EXISTS ${scope.database}` });
    await client?.close();
    const counts = recorder.statements.reduce<Record<string, number>>((n, st) => ({ ...n, [st.kind]: (n[st.kind] ?? 0) + 1 }), {});
    if (!chdb.ok) return;
    console.log(`[compat] ${recorder.statements.length} statements (${JSON.stringify(counts)}), chdb ${replay?.chdb} / ClickHouse ${replay?.version}`);
    console.log(`[compat] seconds per step: ${JSON.stringify(timings)}`);
    if (replay) console.log(`[compat] 26.x defaults: ${JSON.stringify(replay.settings)}`);
    // The whole recording with both answers, to read when a comparison fails.
    mkdirSync('test-results', { recursive: true });
    const answers = new Map(replay?.results.map((r) => [r.seq, r]) ?? []);
    const dump = recorder.statements.map((st) => ({ ...st, current: answers.get(st.seq) }));
    writeFileSync('test-results/clickhouse-compat.json', JSON.stringify({ version: replay?.version, statements: dump }, null, 1));
  });

  it('fails on a statement that 26.x refuses or answers differently (the check itself)', async () => {
    needChdb();
    const base = { database: 'default', settings: {}, step: 'self-check', frames: [] };
    const probes: RecordedStatement[] = [
      { ...base, seq: 0, kind: 'query', sql: 'SELECT number AS n FROM system.numbers LIMIT 3', format: 'JSONEachRow', answer: '{"n":"0"}\n{"n":"1"}\n{"n":"2"}\n' },
      { ...base, seq: 1, kind: 'query', sql: 'SELECT 1 AS x', format: 'JSONEachRow', answer: '{"x":2}\n' },
      { ...base, seq: 2, kind: 'command', sql: 'SELEC 1' },
      { ...base, seq: 3, kind: 'insert', sql: 'INSERT INTO no_such_table FORMAT JSONEachRow', format: 'JSONEachRow', table: 'no_such_table', rows: [{ a: 1 }] },
    ];
    const out = await replayOnChdb(probes);
    expect(out.results.map((r) => r.ok)).toEqual([true, true, false, false]);
    expect(compareAnswers(probes[0]!.sql, probes[0]!.answer!, out.results[0]!.text!)).toBeUndefined();
    expect(compareAnswers(probes[1]!.sql, probes[1]!.answer!, out.results[1]!.text!)).toEqual({ ordered: false, expected: ['{"x":2}'], found: ['{"x":1}'] });
    expect(out.results[2]!.error).toMatch(/Syntax error/i);
    expect(out.results[3]!.error).toMatch(/no_such_table/);
  });

  it('records every kind of statement, from every function and SQL call site of the project', async () => {
    needChdb();
    const refused = recorder.statements.filter((st) => st.error !== undefined);
    expect(refused.map((st) => `${where(st)}: ${st.error}\n  ${short(st.sql)}`), '18.16 refused statements of the scenario').toEqual([]);

    const kinds = new Set(recorder.statements.flatMap(kindOf));
    expect(KINDS.map(([k]) => k).filter((k) => !kinds.has(k)), 'statement kinds missing from the recording').toEqual([]);

    const senders = new Set(recorder.statements.flatMap((st) => st.frames.map((f) => f.fn)));
    expect(SENDERS.filter((fn) => !senders.has(fn)), 'functions that sent nothing').toEqual([]);

    // Every async export of the read models sends SQL, so each must be on some recorded stack.
    const exported = Object.entries({ ...queries, ...watermark })
      .filter(([name, v]) => typeof v === 'function' && v.constructor.name === 'AsyncFunction' && !NOT_SQL.has(name))
      .map(([name]) => name);
    expect(exported.length).toBeGreaterThanOrEqual(7);
    expect(exported.filter((fn) => !senders.has(fn)), 'read-model exports the scenario does not ask').toEqual([]);

    const sites = sqlCallSites();
    expect(sites.length).toBeGreaterThanOrEqual(30);
    const missed = uncovered(sites, recorder.statements.map((st) => st.frames));
    expect(missed.map((m) => `${m.file}:${m.from}: ${m.text}`), 'SQL call sites that no recorded statement came from').toEqual([]);
  });

  it('runs every statement on ClickHouse 26.x', () => {
    needChdb();
    expect(replay.version).toMatch(/^26\./);
    expect(replay.results).toHaveLength(recorder.statements.length);
    const bySeq = new Map(recorder.statements.map((st) => [st.seq, st]));
    const refused = replay.results
      .filter((r) => !r.ok)
      .map((r) => {
        const st = bySeq.get(r.seq)!;
        return `${where(st)}\n  sql: ${short(st.sql)}\n  26.x: ${r.error?.slice(0, 600)}`;
      });
    expect(refused, '26.x refused statements that 18.16 ran').toEqual([]);
  });

  it('answers every SELECT on 26.x as 18.16 does, on the same data', () => {
    needChdb();
    const results = new Map(replay.results.map((r) => [r.seq, r]));
    const selects = recorder.statements.filter((st) => st.kind === 'query');
    expect(selects.length).toBeGreaterThan(50);
    const differ: string[] = [];
    for (const st of selects) {
      const r = results.get(st.seq);
      if (!r?.ok) continue; // reported by the test above
      const diff = compareAnswers(st.sql, st.answer ?? '', r.text ?? '');
      if (diff) {
        differ.push(
          `${where(st)}\n  sql: ${short(st.sql)}\n  rows ${diff.ordered ? 'in ORDER BY order' : 'as a set'}\n` +
            `  18.16: ${short(diff.expected.join('\n         '), 1500)}\n  26.x:  ${short(diff.found.join('\n         '), 1500)}`,
        );
      }
    }
    expect(differ, 'SELECTs answered differently').toEqual([]);
    // The replay compared real answers, not empty ones.
    expect(selects.filter((st) => (st.answer ?? '').trim() !== '').length).toBeGreaterThan(40);
  });
});
