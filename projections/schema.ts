/**
 * The tables' DDL, in one place: migrations create the live tables from it and a rebuild creates
 * `<table>_rebuild` from it, so the two never diverge. A later migration that adds a column
 * changes the DDL here and adds the column to existing tables (see migrations.ts).
 *
 * Every table is a ReplacingMergeTree whose sorting key ends in the event id: a redelivered
 * event collapses into its first copy, and queries read with FINAL (or LIMIT 1 BY) so that
 * copies not yet merged never show.
 */
import { quoteTable } from '../adapters/sql.js';

export const TABLES = ['observations', 'figures', 'discrepancies', 'drops', 'rejections', 'duplicates'] as const;
export type TableName = (typeof TABLES)[number];

const PERIOD = `
  period_kind Enum8('stock' = 1, 'flow' = 2),
  ref_date Date,
  period_start Date,
  period_end Date`;

const COLUMNS: Record<TableName, { columns: string; engine: string }> = {
  observations: {
    columns: `
  event_id String,
  observation_id String,
  series_key String,
  group_key String,
  drop_id String,
  source String,
  rows Array(UInt32),
  indicator String,
  area String,
  area_level UInt8,${PERIOD},
  value Float64,
  unit String,
  disaggregation String,
  recorded_at DateTime('UTC')`,
    engine: 'ReplacingMergeTree() ORDER BY (indicator, area, series_key, event_id)',
  },
  figures: {
    columns: `
  event_id String,
  series_key String,
  group_key String,
  indicator String,
  area String,${PERIOD},
  disaggregation String,
  value Float64,
  unit String,
  chosen_source String,
  rule String,
  sources String,
  spread_min Float64,
  spread_max Float64,
  spread_relative Float64,
  recorded_at DateTime('UTC')`,
    engine: 'ReplacingMergeTree() ORDER BY (indicator, area, series_key, event_id)',
  },
  discrepancies: {
    columns: `
  event_id String,
  discrepancy_id String,
  status Enum8('open' = 1, 'resolved' = 2),
  group_key String,
  indicator String,
  area String,
  cause String,
  gap_absolute Float64,
  gap_relative Float64,
  tolerance Float64,
  \`values\` String,
  explanation String,
  recorded_at DateTime('UTC')`,
    engine: 'ReplacingMergeTree() ORDER BY (discrepancy_id, event_id)',
  },
  drops: {
    // One row per drop: DropProcessed (stage 2) replaces DropReceived (stage 1) whatever the order.
    columns: `
  drop_id String,
  source String,
  file_name String,
  status Enum8('received' = 1, 'processed' = 2, 'refused' = 3),
  reason String,
  rows UInt32,
  accepted UInt32,
  rejected UInt32,
  duplicates UInt32,
  observations UInt32,
  revisions UInt32,
  notices Array(String),
  breakdown String,
  received_at DateTime('UTC'),
  processed_at Nullable(DateTime('UTC')),
  stage UInt8`,
    engine: 'ReplacingMergeTree(stage) ORDER BY drop_id',
  },
  rejections: {
    columns: `
  event_id String,
  drop_id String,
  source String,
  file_name String,
  row UInt32,
  \`column\` String,
  expected String,
  found String,
  reason String,
  kind String,
  recorded_at DateTime('UTC')`,
    engine: 'ReplacingMergeTree() ORDER BY (drop_id, row, event_id)',
  },
  duplicates: {
    columns: `
  event_id String,
  drop_id String,
  source String,
  row UInt32,
  observation_id String,
  reason String,
  detail String,
  recorded_at DateTime('UTC')`,
    engine: 'ReplacingMergeTree() ORDER BY (drop_id, row, event_id)',
  },
};

/** The column list of `table`'s DDL (the engine path's Kafka tables have the same columns). */
export function columnsSql(table: TableName): string {
  return COLUMNS[table].columns;
}

/** `CREATE TABLE IF NOT EXISTS db.name (...)` with the columns and engine of `table`. */
export function createTableSql(database: string, table: TableName, name: string = table): string {
  const { columns, engine } = COLUMNS[table];
  return `CREATE TABLE IF NOT EXISTS ${quoteTable(database, name)} (${columns}\n) ENGINE = ${engine}`;
}
