/**
 * The event log's vocabulary. Events are past-tense facts, defined once as zod schemas;
 * TypeScript types are derived with z.infer. An added optional field keeps the name; a breaking
 * change gets a `.v2` type and an upcaster, and the old shape stays frozen.
 *
 * Topics (see TOPICS): tally.drops carries DropReceived/DropProcessed, tally.observations carries
 * ObservationRecorded/RowDuplicated, tally.rejections carries RowRejected, tally.figures carries
 * FigureReconciled/DiscrepancyDetected/DiscrepancyResolved. The worker publishes the bulk ones
 * (ObservationRecorded, FigureReconciled, RowRejected, RowDuplicated) as their tables' rows on the
 * row topics instead (projections/engine.ts); a log written before holds them here as events,
 * and the projections read both.
 */
import { z } from 'zod';
import { DROP_ID_PATTERN, DROP_ID_RULE, PCODE_PATTERN, PCODE_RULE } from './codes.js';

export const TOPICS = {
  drops: 'tally.drops',
  observations: 'tally.observations',
  rejections: 'tally.rejections',
  figures: 'tally.figures',
} as const;
export type TopicName = keyof typeof TOPICS;
export type Topics = Record<TopicName, string>;

/** Topic names with an optional prefix (tests and parallel deployments use one each). */
export function topicsFor(prefix = ''): Topics {
  return {
    drops: `${prefix}${TOPICS.drops}`,
    observations: `${prefix}${TOPICS.observations}`,
    rejections: `${prefix}${TOPICS.rejections}`,
    figures: `${prefix}${TOPICS.figures}`,
  };
}

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date YYYY-MM-DD');
const isoDateTime = z.string().datetime({ offset: true });
const pcode = z.string().regex(PCODE_PATTERN, PCODE_RULE);

/** A stock describes a date; a flow describes a period from start to end (both inclusive). */
export const Period = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('stock'), date: isoDate }),
  z.object({ kind: z.literal('flow'), start: isoDate, end: isoDate }),
]);
export type Period = z.infer<typeof Period>;

/** Qualifiers of a figure (sex, age group, origin…). They never make it another indicator. */
export const Disaggregation = z.record(z.string().regex(/^[a-z_]+$/), z.string().min(1));
export type Disaggregation = z.infer<typeof Disaggregation>;

export const Unit = z.enum(['individuals', 'households']);
export type Unit = z.infer<typeof Unit>;

export const DropReceived = z.object({
  type: z.literal('DropReceived'),
  eventId: z.string(),
  dropId: z.string().regex(DROP_ID_PATTERN, DROP_ID_RULE),
  source: z.string(),
  fileName: z.string(),
  bytes: z.number().int().nonnegative(),
  format: z.enum(['csv', 'xlsx', 'json']),
  receivedAt: isoDateTime,
});

const count = z.number().int().nonnegative();

/** How a drop's rows were accounted for: accepted + rejected + duplicates = rows. */
export const DropCounts = z.object({
  rows: count,
  accepted: count,
  rejected: count,
  duplicates: count,
  /** Observations published (accepted rows summed by location/round become one observation). */
  observations: count,
  /** Observations published for a series this source reported in another drop: a new value there. */
  revisions: count,
});
export type DropCounts = z.infer<typeof DropCounts>;

/**
 * Something about a drop as a whole that is not a row's fate: a column that maps to nothing, a
 * place name that does not match its P-code (the P-code decided), the country the rows were read in.
 */
export const DropNotice = z.object({
  /**
   * no_total: the rows are one part of a total they do not give (one origin's, asked alone).
   * summed_parts: totals that sum several parts that are also series of their own (DTM operations).
   */
  kind: z.enum(['ignored_column', 'name_mismatch', 'country', 'no_total', 'summed_parts']),
  detail: z.string().min(1),
  /** Rows it concerns, when it concerns rows. */
  rows: count.optional(),
});
export type DropNotice = z.infer<typeof DropNotice>;

/** What a duplicate repeats: another row of this drop, an assessment copy (BA/SA), or an earlier drop. */
export const DuplicateReason = z.enum(['repeated_row', 'assessment_copy', 'earlier_drop']);
export type DuplicateReason = z.infer<typeof DuplicateReason>;

/**
 * Why a row was rejected, in one word: a value that is not a count of people (or one the store
 * cannot hold), a row with no value, a place, date or indicator that cannot be read, a second
 * value for one observation (conflict), a BA/SA copy that disagrees, an older round.
 */
export const RejectionKind = z.enum([
  'invalid_value',
  'no_value',
  'unknown_place',
  'invalid_date',
  'unknown_indicator',
  'conflict',
  'copy_mismatch',
  'older_round',
  'other',
]);
export type RejectionKind = z.infer<typeof RejectionKind>;

/** How many duplicates of each reason and rejections of each kind a drop had (kinds with none are left out). */
export const DropBreakdown = z.object({
  duplicates: z.partialRecord(DuplicateReason, count),
  rejected: z.partialRecord(RejectionKind, count),
});
export type DropBreakdown = z.infer<typeof DropBreakdown>;

export const DropProcessed = z.object({
  type: z.literal('DropProcessed'),
  eventId: z.string(),
  dropId: z.string(),
  source: z.string(),
  fileName: z.string(),
  status: z.enum(['processed', 'refused']),
  /** Why a refused drop could not be used at all. */
  reason: z.string().optional(),
  ...DropCounts.shape,
  /** At most MAX_NOTICES, the last one saying how many more there were. */
  notices: z.array(DropNotice).optional(),
  /** The duplicates and rejections by reason and kind (absent from drops processed before it was counted). */
  breakdown: DropBreakdown.optional(),
  receivedAt: isoDateTime,
});

export const ObservationRecorded = z.object({
  type: z.literal('ObservationRecorded'),
  /** `${observationId}@${dropId}`: the same figure in another drop is another event. */
  eventId: z.string(),
  /** Hash of source, indicator, area, period, disaggregation and value: the business identity. */
  observationId: z.string(),
  seriesKey: z.string(),
  groupKey: z.string(),
  dropId: z.string(),
  source: z.string(),
  /** 1-based data row numbers in the drop (several when rows were summed, e.g. per displacement reason). */
  rows: z.array(z.number().int().positive()).min(1),
  indicator: z.string(),
  area: pcode,
  areaLevel: z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(3)]),
  period: Period,
  value: z.number().finite().nonnegative(),
  unit: Unit,
  disaggregation: Disaggregation,
  /** Record time: when the drop was received. */
  recordedAt: isoDateTime,
});

export const RowDuplicated = z.object({
  type: z.literal('RowDuplicated'),
  eventId: z.string(),
  dropId: z.string(),
  source: z.string(),
  row: z.number().int().positive(),
  observationId: z.string(),
  /** What it repeats: another row of this drop, an assessment copy (BA/SA), or an earlier drop. */
  reason: DuplicateReason,
  detail: z.string(),
  recordedAt: isoDateTime,
});

export const RowRejected = z.object({
  type: z.literal('RowRejected'),
  eventId: z.string(),
  dropId: z.string(),
  source: z.string(),
  fileName: z.string(),
  row: z.number().int().nonnegative(),
  column: z.string().optional(),
  expected: z.string(),
  found: z.string(),
  /** One sentence a person can act on: `file row 12, column "X": expected …, found "…"`. */
  reason: z.string(),
  /** The reason in one word (absent from rejections recorded before kinds). */
  kind: RejectionKind.optional(),
  recordedAt: isoDateTime,
});

export const SourceValue = z.object({
  source: z.string(),
  value: z.number(),
  observationId: z.string(),
  dropId: z.string(),
  period: Period,
  unit: Unit,
  recordedAt: isoDateTime,
});
export type SourceValue = z.infer<typeof SourceValue>;

export const FigureReconciled = z.object({
  type: z.literal('FigureReconciled'),
  /** Hash of the series key and the figure's content: reconciling twice yields the same id. */
  eventId: z.string(),
  seriesKey: z.string(),
  groupKey: z.string(),
  indicator: z.string(),
  area: pcode,
  period: Period,
  disaggregation: Disaggregation,
  value: z.number(),
  unit: Unit,
  chosenSource: z.string(),
  /** The stated rule that chose the value, e.g. "priority(cmp>dtm) then recency". */
  rule: z.string(),
  sources: z.array(SourceValue).min(1),
  spread: z.object({ min: z.number(), max: z.number(), relative: z.number() }),
  /** Latest record time among the inputs: "as known on" uses it. */
  recordedAt: isoDateTime,
});

export const DiscrepancyCause = z.enum(['different_reference_dates', 'partial_coverage', 'definition_mismatch', 'unexplained']);
export type DiscrepancyCause = z.infer<typeof DiscrepancyCause>;

export const DiscrepancyDetected = z.object({
  type: z.literal('DiscrepancyDetected'),
  eventId: z.string(),
  /** Stable for one indicator, area, disaggregation and pair of sources. */
  discrepancyId: z.string(),
  groupKey: z.string(),
  indicator: z.string(),
  area: pcode,
  values: z.array(SourceValue).min(2),
  gap: z.object({ absolute: z.number(), relative: z.number() }),
  tolerance: z.number(),
  cause: DiscrepancyCause,
  /** The cause in words, with the figures. */
  explanation: z.string(),
  recordedAt: isoDateTime,
});

export const DiscrepancyResolved = z.object({
  type: z.literal('DiscrepancyResolved'),
  eventId: z.string(),
  discrepancyId: z.string(),
  groupKey: z.string(),
  indicator: z.string(),
  area: pcode,
  values: z.array(SourceValue).min(1),
  explanation: z.string(),
  recordedAt: isoDateTime,
});

export const TallyEvent = z.discriminatedUnion('type', [
  DropReceived,
  DropProcessed,
  ObservationRecorded,
  RowDuplicated,
  RowRejected,
  FigureReconciled,
  DiscrepancyDetected,
  DiscrepancyResolved,
]);

export type DropReceived = z.infer<typeof DropReceived>;
export type DropProcessed = z.infer<typeof DropProcessed>;
export type ObservationRecorded = z.infer<typeof ObservationRecorded>;
export type RowDuplicated = z.infer<typeof RowDuplicated>;
export type RowRejected = z.infer<typeof RowRejected>;
export type FigureReconciled = z.infer<typeof FigureReconciled>;
export type DiscrepancyDetected = z.infer<typeof DiscrepancyDetected>;
export type DiscrepancyResolved = z.infer<typeof DiscrepancyResolved>;
export type TallyEvent = z.infer<typeof TallyEvent>;
export type TallyEventType = TallyEvent['type'];

/** Which topic each event type lives on. */
export const TOPIC_OF: Record<TallyEventType, TopicName> = {
  DropReceived: 'drops',
  DropProcessed: 'drops',
  ObservationRecorded: 'observations',
  RowDuplicated: 'observations',
  RowRejected: 'rejections',
  FigureReconciled: 'figures',
  DiscrepancyDetected: 'figures',
  DiscrepancyResolved: 'figures',
};
