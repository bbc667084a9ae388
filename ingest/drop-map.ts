/**
 * The map side of a drop: each row becomes a rejection (with its reason and kind) or figure
 * entries in the partition of its place and reference date. The same function runs in the
 * activity's thread and in parse threads.
 */
import type { RejectionKind } from '../domain/events.js';
import { NoticeBook } from '../domain/notices.js';
import type { SourceProfile } from '../domain/profile.js';
import { checkPeriodLimits, dateLimits, referenceDate, type DateLimits } from '../domain/periods.js';
import { seriesKey } from '../domain/series.js';
import { encodeEntry, fnv1a, hash52, observationKey, partitionOf, type PartitionStore } from './drop-partitions.js';
import { PART_KEY, type ColumnPlan, type Role } from './mapping.js';
import { sumOverColumns } from './parts.js';
import { normaliseRow, type RowFigure, type RowNotice, type RowOutcome, type RowPlaces } from './normalise.js';
import type { RawRow } from '../connectors/table.js';

export type RowRejection = Extract<RowOutcome, { kind: 'rejected' }> & { rejection?: RejectionKind };

const SEP = '\u001f';

/** The kind of a rejection by the role of the column it names. */
const KIND_OF_ROLE: Partial<Record<Role, RejectionKind>> = {
  country: 'unknown_place',
  region: 'unknown_place',
  regionCode: 'unknown_place',
  cercle: 'unknown_place',
  cercleCode: 'unknown_place',
  commune: 'unknown_place',
  communeCode: 'unknown_place',
  adminLevel: 'unknown_place',
  date: 'invalid_date',
  periodStart: 'invalid_date',
  periodEnd: 'invalid_date',
  year: 'invalid_date',
  indicator: 'unknown_indicator',
};

/** Roles whose cells make the observation's key (place, date, round, assessment…): equal keys compare them already. */
const KEY_ROLES: readonly Role[] = ['country', 'region', 'regionCode', 'cercle', 'cercleCode', 'adminLevel', 'date', 'periodStart', 'periodEnd', 'year', 'round', 'assessment', 'indicator'];

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
  private readonly kindOfColumn = new Map<string, RejectionKind>();
  private readonly summed: number[];
  /** Columns outside the observation's key: a row's cells there tell a repeated row from another report. */
  private readonly keyColumns: Set<number>;
  private readonly limits: DateLimits;
  constructor(
    private readonly plan: ColumnPlan,
    private readonly profile: SourceProfile,
    private readonly store: PartitionStore,
    private readonly places: RowPlaces = {},
  ) {
    for (const [role, index] of Object.entries(plan.roles) as Array<[Role, number]>) {
      const kind = KIND_OF_ROLE[role];
      const header = plan.headers[index];
      if (kind && header !== undefined && !this.kindOfColumn.has(header)) this.kindOfColumn.set(header, kind);
    }
    for (const v of plan.values) {
      const header = plan.headers[v.index];
      if (header !== undefined && !this.kindOfColumn.has(header)) this.kindOfColumn.set(header, 'invalid_value');
    }
    this.summed = sumOverColumns(plan);
    this.keyColumns = new Set([
      ...KEY_ROLES.flatMap((role) => (plan.roles[role] === undefined ? [] : [plan.roles[role]!])),
      ...plan.disaggregations.map((d) => d.index),
    ]);
    this.limits = plan.dates ?? dateLimits();
  }

  /** Returns the rejection for a rejected row, undefined when its figures went to the store. */
  map(row: RawRow): RowRejection | undefined {
    const outcome = normaliseRow(row, this.plan, this.profile, this.places);
    if (outcome.kind === 'rejected') return this.withKind(outcome);
    const refused = this.checkLevel(row, outcome.figures) ?? this.checkDates(outcome.figures);
    if (refused) return refused;
    for (const n of outcome.notices ?? []) this.counted.set(n, (this.counted.get(n) ?? 0) + 1);
    const { round, assessment } = outcome.context;
    const summedCells = this.summed.map((i) => (row.cells[i] ?? '').trim()).join(SEP);
    const rest = this.restHash(row);
    for (const found of outcome.figures) {
      const { group = '', ...stored } = found;
      const { [PART_KEY]: columnPart = '', ...disaggregation } = stored.disaggregation;
      const figure: RowFigure = columnPart === '' ? stored : { ...stored, disaggregation };
      const series = seriesKey(figure.indicator, figure.area.pcode, figure.period, figure.disaggregation);
      const key = observationKey({ series, round, assessment, unit: figure.unit, group });
      const first = !this.carried.has(key);
      if (first) this.carried.add(key);
      const line = encodeEntry({
        series,
        round,
        assessment,
        group,
        unit: figure.unit,
        row: row.rowNumber,
        part: fnv1a(`${summedCells}${SEP}${columnPart}`),
        rest,
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

  private withKind(r: Extract<RowOutcome, { kind: 'rejected' }>): RowRejection {
    if (r.expected === 'at least one value') return { ...r, rejection: 'no_value' };
    return { ...r, rejection: (r.column !== undefined && this.kindOfColumn.get(r.column)) || 'other' };
  }

  /** A hash of the row's cells outside its observations' key: the same hash in one observation is a repeated row. */
  private restHash(row: RawRow): number {
    const cells: string[] = [];
    for (let i = 0; i < row.cells.length; i++) if (!this.keyColumns.has(i)) cells.push((row.cells[i] ?? '').trim());
    return hash52(cells.join(SEP));
  }

  /** With `#adm+level`, the place read must be at the level the row says. */
  private checkLevel(row: RawRow, figures: RowFigure[]): RowRejection | undefined {
    const index = this.plan.roles.adminLevel;
    const text = index === undefined ? '' : (row.cells[index] ?? '').trim();
    if (text === '' || !/^\d$/.test(text)) return undefined;
    const place = figures.find((f) => f.area.level !== Number(text))?.area;
    if (!place) return undefined;
    return {
      kind: 'rejected',
      rejection: 'unknown_place',
      column: this.plan.headers[index!],
      expected: `a place at admin level ${text}`,
      found: text,
      hint: `the most specific place in the row is ${place.pcode} (${place.name}), at level ${place.level}`,
    };
  }

  /** Every figure's period within what the store holds and the horizon after the drop's day. */
  private checkDates(figures: RowFigure[]): RowRejection | undefined {
    for (const f of figures) {
      const checked = checkPeriodLimits(f.period, this.limits);
      if (checked.ok) continue;
      const r = this.plan.roles;
      const index = r.date ?? r.periodEnd ?? r.year ?? r.periodStart;
      return { kind: 'rejected', rejection: 'invalid_date', column: index === undefined ? undefined : this.plan.headers[index], expected: checked.expected, found: checked.found, hint: checked.hint };
    }
    return undefined;
  }
}
