/**
 * The read side: consumer groups that project the event log into ClickHouse tables, and the
 * queries analysts and the CLI ask of them.
 *
 * ```ts
 * const running = await startProjections({ settings });        // live, at-least-once, idempotent
 * const client = await openClickHouse(settings.clickhouse);
 * const rows = await queryFigures(client, { indicator: 'idps', area: 'ML05', asOf: '2020-01-01' });
 * await running.stop();
 * ```
 *
 * Values reach SQL only through adapters/sql.ts; table DDL lives only in schema.ts.
 */
export { PROJECTIONS, projectionOf } from './all.js';
export { migrate, MIGRATIONS, columnExists, addColumnIfMissing, type Migration } from './migrations.js';
export { defineProjection, type AnyProjection, type EventMeta, type Projection, type Row } from './projection.js';
export {
  queryFigures,
  listDiscrepancies,
  listRejections,
  listDrops,
  provenance,
  QueryInputError,
  type FigureQuery,
  type FigureRow,
  type ReconciledFigure,
  type Provenance,
  type ProvenanceObservation,
  type DiscrepancyRow,
  type RejectionRow,
  type DropRow,
} from './queries.js';
export { rebuildProjections, type RebuildOptions, type RebuildResult } from './rebuild.js';
export { startProjections, DEFAULT_GROUP_ID, type BatchInfo, type RunningProjections, type StartProjectionsOptions } from './runner.js';
export { TABLES, createTableSql, type TableName } from './schema.js';
export {
  engineRowRouting,
  engineRowsVisible,
  ensureEngineProjections,
  dropEngineProjections,
  engineGroupOf,
  rowTopicsFor,
  ENGINE_TABLES,
  type EngineTable,
  type RowTopics,
} from './engine.js';
export { projectedObservations, dropLedger, consumerLag, type TopicLag } from './watermark.js';
