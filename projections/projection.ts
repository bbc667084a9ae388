import type { ClickHouseClient } from '@clickhouse/client';
import type { Period, TallyEvent, TallyEventType } from '../domain/events.js';
import { STORE_DATES } from '../domain/periods.js';
import type { TableName } from './schema.js';
import { quoteIdentifier, SqlValueError, toClickHouseDateTime } from '../adapters/sql.js';

/** What the log says about a message besides the event itself. */
export interface EventMeta {
  topic: string;
  partition: number;
  offset: string;
  /** The broker's timestamp of the message, ISO: deterministic on replay. */
  timestamp: string;
}

export type Row = Record<string, unknown>;

/** A projection of some event types into one table. */
export interface Projection<T extends TallyEventType = TallyEventType> {
  readonly name: string;
  /** Raised when `toRow` changes meaning: the tables then need a rebuild. */
  readonly version: number;
  readonly handles: readonly T[];
  readonly table: TableName;
  toRow(event: Extract<TallyEvent, { type: T }>, meta: EventMeta): Row;
  /** Empties the table (or the given copy of it, e.g. `observations_rebuild`). */
  truncate(client: ClickHouseClient, table?: string): Promise<void>;
}

/** The erased form the runner holds: any event in, after checking `handles`. */
export interface AnyProjection {
  readonly name: string;
  readonly version: number;
  readonly handles: readonly TallyEventType[];
  readonly table: TableName;
  toRow(event: TallyEvent, meta: EventMeta): Row;
  truncate(client: ClickHouseClient, table?: string): Promise<void>;
}

export function defineProjection<T extends TallyEventType>(
  p: Omit<Projection<T>, 'truncate'> & Partial<Pick<Projection<T>, 'truncate'>>,
): AnyProjection {
  return {
    name: p.name,
    version: p.version,
    handles: p.handles,
    table: p.table,
    toRow(event, meta) {
      if (!(p.handles as readonly TallyEventType[]).includes(event.type)) {
        throw new Error(`projection ${p.name} does not handle ${event.type}; it handles ${p.handles.join(', ')}`);
      }
      return p.toRow(event as Extract<TallyEvent, { type: T }>, meta);
    },
    truncate:
      p.truncate ??
      (async (client, table = p.table) => {
        await client.command({ query: `TRUNCATE TABLE ${quoteIdentifier(table)}` });
      }),
  };
}

/** The period as the four columns every figure table has; a flow is dated by its end. */
export function periodColumns(period: Period): { period_kind: 'stock' | 'flow'; ref_date: string; period_start: string; period_end: string } {
  const [start, end] = period.kind === 'stock' ? [period.date, period.date] : [period.start, period.end];
  for (const d of [start, end]) {
    // The ingest rejects these (domain/periods.ts checkPeriodLimits): only an event from elsewhere gets here.
    if (d < STORE_DATES.first || d > STORE_DATES.last) throw new SqlValueError(`date ${d} is outside ClickHouse's Date range`, `a date ${STORE_DATES.first}..${STORE_DATES.last}`, d);
  }
  return { period_kind: period.kind, ref_date: end, period_start: start, period_end: end };
}

export const dateTime = toClickHouseDateTime;
