/**
 * The map side of a drop: each row becomes a rejection (with its reason) or figure entries in the
 * partition of its place and reference date. The same function runs in the activity's thread and in parse threads.
 */
import { NoticeBook } from '../domain/notices.js';
import type { SourceProfile } from '../domain/profile.js';
import { referenceDate } from '../domain/periods.js';
import { seriesKey } from '../domain/series.js';
import { encodeEntry, fnv1a, observationKey, partitionOf, type PartitionStore } from './drop-partitions.js';
import type { ColumnPlan } from './mapping.js';
import { normaliseRow, type RowNotice, type RowOutcome, type RowPlaces } from './normalise.js';
import type { RawRow } from '../connectors/table.js';

export type RowRejection = Extract<RowOutcome, { kind: 'rejected' }>;

/**
 * Maps rows into a store. `figureCarried` remembers which observation keys already carried their
 * figure; `resetCarried()` bounds it (the reduce side needs the figure once per observation and
 * takes the first one it meets, so carrying it again after a reset only costs bytes).
 */
export class RowMapper {
  private carried = new Set<string>();
  private readonly book = new NoticeBook();
  /** Rows per notice not yet in the book: normalise.ts hands out one object per notice, counted here by identity. */
  private readonly counted = new Map<RowNotice, number>();
  constructor(
    private readonly plan: ColumnPlan,
    private readonly profile: SourceProfile,
    private readonly store: PartitionStore,
    private readonly places: RowPlaces = {},
  ) {}

  /** Returns the rejection for a rejected row, undefined when its figures went to the store. */
  map(row: RawRow): RowRejection | undefined {
    const outcome = normaliseRow(row, this.plan, this.profile, this.places);
    if (outcome.kind === 'rejected') return outcome;
    for (const n of outcome.notices ?? []) this.counted.set(n, (this.counted.get(n) ?? 0) + 1);
    const { round, assessment, sumOver } = outcome.context;
    for (const figure of outcome.figures) {
      const series = seriesKey(figure.indicator, figure.area.pcode, figure.period, figure.disaggregation);
      const key = observationKey({ series, round, assessment, unit: figure.unit });
      const first = !this.carried.has(key);
      if (first) this.carried.add(key);
      const line = encodeEntry({
        series,
        round,
        assessment,
        unit: figure.unit,
        row: row.rowNumber,
        part: fnv1a(`${sumOver}\u001f${figure.value}`),
        value: figure.value,
        figure: first ? figure : undefined,
      });
      this.store.add(partitionOf(figure.area.pcode, referenceDate(figure.period), this.store.partitions), line);
    }
    return undefined;
  }

  /** What the rows said about the drop as a whole (its country, names that do not match their P-code…). */
  get notices(): NoticeBook {
    this.book.merge([...this.counted].map(([n, rows]) => ({ kind: n.kind, detail: n.detail, rows })));
    this.counted.clear();
    return this.book;
  }

  resetCarried(): void {
    if (this.carried.size > 50_000) this.carried = new Set();
  }
}
