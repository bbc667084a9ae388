/**
 * Activities of a drop's ingestion: read the landed bytes, validate and normalise every row, and
 * publish the resulting events to Kafka in batches, heartbeating progress so that a retried
 * attempt (a worker killed mid-drop) resumes after what was already published.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Context } from '@temporalio/activity';
import type { DropBreakdown, DropCounts, DropNotice, DropProcessed, DropReceived, TallyEvent } from '../domain/events.js';
import { partitionsFor, removeSpill } from '../ingest/drop-partitions.js';
import { DropNotLandedError, DropUnusableError, ProjectionsBehindError, RefusedError } from '../domain/errors.js';
import { countryByIso3 } from '../domain/countries.js';
import { openDrop } from '../connectors/open.js';
import { processDrop, type ProcessedDrop } from '../ingest/process-drop.js';
import { getProfile } from '../connectors/profiles.js';
import { shortHash } from '../domain/series.js';
import { priorKnowledge } from './clickhouse.js';
import { groupCaughtUp, type EventPublisher } from '../adapters/publisher.js';
import { engineGroupOf, engineRowRouting, engineRowsVisible, rowTopicsFor, tableOfRowTopic } from '../projections/engine.js';
import type { ActivityDeps } from './deps.js';
import { ownObservationsWriter, sweepLeftOvers, type OwnObservations } from './own-observations.js';
import { activityLogger } from './log.js';

export interface IngestDropInput {
  dropId: string;
  source: string;
  /** `tally ingest --country` (ISO 3166 alpha-3): the country of rows that do not say theirs. */
  country?: string;
}

/** An ingest asked for with a country that is not an ISO 3166 alpha-3 code: bad input, never retried. */
export class IngestCountryError extends RefusedError {
  readonly type = 'IngestCountryInvalid';

  constructor(found: string) {
    super({ where: { at: 'ingestDrop.country' }, expected: 'an ISO 3166 alpha-3 country code such as MLI or TCD', found });
  }
}

export type Offsets = Record<string, Record<number, string>>;

export interface IngestDropOutput extends DropCounts {
  /** What the drop's summary says beyond its counts (ignored columns, names that do not match their P-code…). */
  notices: DropNotice[];
  /** The duplicates by reason and rejections by kind (absent for a refused drop). */
  breakdown?: DropBreakdown;
  dropId: string;
  source: string;
  fileName: string;
  status: 'processed' | 'refused';
  reason?: string;
  /** End offsets of the topics after publishing: the projections have caught up when they reach them. */
  offsets: Offsets;
  /** Where this attempt's time went: reading (parse, validate, map), settling, and the last publishes. */
  timings: IngestTimings;
  /** The drop's observations, kept on this machine for its reconcile (absent when there are none). */
  own?: OwnObservations;
}

export interface IngestTimings {
  readSeconds: number;
  settleSeconds: number;
  drainSeconds: number;
}

/** Events per publish call; the publisher splits them into requests of about 1 MB. */
const BATCH = 4000;
/** Publish calls in flight (encoded, queued or on the wire) while reading goes on. */
const IN_FLIGHT = 3;

/**
 * Batches events and keeps up to IN_FLIGHT batches in flight. `published` counts the events of
 * the batches acknowledged so far, all earlier batches included (they are awaited in order), so a
 * heartbeat of it is a safe point to resume from.
 */
export function pipelinedSender(publisher: EventPublisher, already: number, onPublished: (published: number) => void) {
  let published = already;
  let failed = false;
  let buffer: TallyEvent[] = [];
  const pending: Array<Promise<void>> = [];
  const flush = async () => {
    if (buffer.length > 0) {
      const count = buffer.length;
      const sent = publisher.publish(buffer);
      // The publisher sends calls in order, so acknowledgements come in order: count them as they
      // come (not when awaited), and never past a failed batch.
      sent.then(
        () => {
          if (failed) return;
          published += count;
          onPublished(published);
        },
        () => {
          failed = true;
        },
      );
      pending.push(sent);
      buffer = [];
    }
    while (pending.length > IN_FLIGHT) await pending.shift();
  };
  return {
    published: () => published,
    /** A promise to wait for when the batch was sent (and IN_FLIGHT are on their way), else undefined. */
    push(event: TallyEvent): Promise<void> | undefined {
      buffer.push(event);
      return buffer.length >= BATCH ? flush() : undefined;
    },
    async drain() {
      await flush();
      while (pending.length > 0) await pending.shift();
    },
  };
}

/** Second precision: ClickHouse DateTime keeps seconds, so events and their projection agree. */
function seconds(iso: string): string {
  return new Date(iso).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function round(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}

/** Heartbeats while reading without publishing, at most this often (the timeout is 20 s). */
const PROGRESS_BEAT_MS = 5000;

function heartbeat(details: { published: number; rows?: number }): void {
  try {
    Context.current().heartbeat(details);
  } catch {
    // outside an activity (unit use): nothing to report to
  }
}

function resumeFrom(): number {
  try {
    const details = Context.current().info.heartbeatDetails as { published?: number } | undefined;
    return details?.published ?? 0;
  } catch {
    return 0;
  }
}

export function createIngestActivities(deps: ActivityDeps) {
  return {
    async ingestDrop(input: IngestDropInput): Promise<IngestDropOutput> {
      const landed = await deps.landing.get(input.dropId);
      if (!landed) throw new DropNotLandedError(input.dropId, deps.config.landingDir);
      const profile = getProfile(input.source, deps.profiles);
      if (input.country !== undefined && countryByIso3(input.country)?.iso3 !== input.country) throw new IngestCountryError(input.country);
      const ctx = { dropId: input.dropId, source: input.source, fileName: landed.fileName, receivedAt: seconds(landed.receivedAt), country: input.country };
      const received: DropReceived = {
        type: 'DropReceived',
        eventId: shortHash('received', input.dropId),
        dropId: input.dropId,
        source: input.source,
        fileName: landed.fileName,
        bytes: landed.bytes,
        format: landed.fileName.toLowerCase().endsWith('.xlsx') ? 'xlsx' : landed.fileName.toLowerCase().endsWith('.json') ? 'json' : 'csv',
        receivedAt: ctx.receivedAt,
      };

      const skip = resumeFrom();
      const log = activityLogger({ dropId: input.dropId, source: input.source });
      log.info({ fileName: landed.fileName, bytes: landed.bytes, resumeFrom: skip }, 'drop reading');
      let index = 0;
      let lastBeat = Date.now();
      const beat = (details: { published: number; rows?: number }) => {
        lastBeat = Date.now();
        heartbeat(details);
      };
      const sender = pipelinedSender(deps.publisher, skip, (published) => beat({ published }));
      sweepLeftOvers();
      // Every observation settled, published by this attempt or an earlier one, is kept for reconcile,
      // as its row: built (and validated) once, kept here, and reused by the publisher.
      const routing = engineRowRouting(deps.config.topicPrefix);
      const own = ownObservationsWriter(partitionsFor(landed.bytes, received.format), undefined, (o) => routing.keep(o));
      const emit = (event: TallyEvent): Promise<void> | undefined => {
        if (event.type === 'ObservationRecorded') own.add(event);
        if (index++ < skip) return undefined;
        return sender.push(event);
      };

      await emit(received);
      let counts: ProcessedDrop;
      let refusal: string | undefined;
      // Partitions and parse threads' output go to a scratch directory of this attempt only.
      const spillDir = await mkdtemp(join(tmpdir(), 'tally-drop-'));
      const started = performance.now();
      let mappedAt = started;
      // Rows that take long to read (one 20 MB cell) send no progress: beat on a timer too, so a
      // busy attempt is not taken for a dead worker. A hung await still ends at its client's timeout.
      const ticker = setInterval(() => Date.now() - lastBeat >= PROGRESS_BEAT_MS && beat({ published: sender.published() }), PROGRESS_BEAT_MS);
      try {
        const table = await openDrop(landed.path, { fileName: landed.fileName });
        counts = await processDrop(table, profile, ctx, emit, {
          partitions: partitionsFor(landed.bytes, received.format),
          spillDir,
          threads: deps.config.parseThreads,
          pcodesFiles: deps.config.pcodesFiles,
          onMapped: () => {
            mappedAt = performance.now();
          },
          prior: priorKnowledge(deps.clickhouse),
          // The day the drop was received, not the clock: a retried attempt reads it the same way.
          today: ctx.receivedAt.slice(0, 10),
          horizonDays: deps.config.dateHorizonDays,
          // While reading, a heartbeat every few seconds keeps the attempt alive; the SDK throttles
          // heartbeats, so one per 10,000 rows would hold back the first one that says what was published.
          onProgress: (rows) => {
            if (Date.now() - lastBeat < PROGRESS_BEAT_MS) return;
            beat({ published: sender.published(), rows });
          },
        });
      } catch (err) {
        own.discard();
        if (!(err instanceof DropUnusableError)) {
          log.warn({ err: err instanceof Error ? err.message : String(err) }, 'drop attempt failed');
          throw err;
        }
        refusal = err.message;
        log.warn({ reason: refusal }, 'drop refused');
        counts = { rows: 0, accepted: 0, rejected: 0, duplicates: 0, observations: 0, revisions: 0, notices: [] };
      } finally {
        clearInterval(ticker);
        removeSpill(spillDir);
      }
      const processed: DropProcessed = {
        type: 'DropProcessed',
        eventId: shortHash('processed', input.dropId),
        dropId: input.dropId,
        source: input.source,
        fileName: landed.fileName,
        status: refusal ? 'refused' : 'processed',
        reason: refusal,
        ...counts,
        notices: counts.notices.length > 0 ? counts.notices : undefined,
        receivedAt: ctx.receivedAt,
      };
      await emit(processed);
      const settledAt = performance.now();
      try {
        await sender.drain();
      } catch (err) {
        own.discard();
        throw err;
      }
      const kept = refusal || counts.observations === 0 ? (own.discard(), undefined) : own.finish();
      const drainedAt = performance.now();
      const timings = {
        readSeconds: round((mappedAt - started) / 1000),
        settleSeconds: round((settledAt - mappedAt) / 1000),
        drainSeconds: round((drainedAt - settledAt) / 1000),
      };
      const { notices: _notices, ...tally } = counts;
      log.info({ status: processed.status, ...tally, published: sender.published(), ...timings }, 'drop published');
      return {
        dropId: input.dropId,
        source: input.source,
        fileName: landed.fileName,
        status: processed.status,
        reason: refusal,
        ...counts,
        offsets: await deps.publisher.endOffsets(),
        timings,
        ...(kept ? { own: kept } : {}),
      };
    },

    /** Succeeds once the projections have committed past `offsets` (`projectionsBehind`); otherwise a retryable failure. */
    async awaitProjected(input: { offsets: Offsets }): Promise<void> {
      const behind = await projectionsBehind(deps, input.offsets);
      if (behind) throw behind;
    },
  };
}

/** How long `untilProjected` waits at most. */
const UNTIL_PROJECTED_MS = 30 * 60 * 1000;

/** Waits (polling, 100 ms to 2 s apart) until the projections have committed past `offsets`. */
export async function untilProjected(deps: Pick<ActivityDeps, 'config' | 'kafka' | 'clickhouse'>, offsets: Offsets, timeoutMs = UNTIL_PROJECTED_MS): Promise<void> {
  const started = Date.now();
  for (let wait = 100; ; wait = Math.min(2000, wait * 1.5)) {
    const behind = await projectionsBehind(deps, offsets);
    if (!behind) return;
    if (Date.now() - started >= timeoutMs) throw behind;
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
}

/**
 * Undefined once the projections have committed past `offsets`: the row topics (engine path) by
 * ClickHouse's Kafka-engine group, every other topic by the projections' group; otherwise the
 * retryable failure naming the group that is behind.
 */
async function projectionsBehind(deps: Pick<ActivityDeps, 'config' | 'kafka' | 'clickhouse'>, offsets: Offsets): Promise<ProjectionsBehindError | undefined> {
  const rowTopics = rowTopicsFor(deps.config.topicPrefix);
  const events: Offsets = {};
  const rows = new Map<string, Offsets>();
  // On the node path the projections' group reads the row topics too.
  const engine = deps.config.projectionPath?.kind === 'engine';
  for (const [topic, partitions] of Object.entries(offsets)) {
    const table = engine ? tableOfRowTopic(rowTopics, topic) : undefined;
    if (table === undefined) {
      events[topic] = partitions;
      continue;
    }
    const group = engineGroupOf(deps.config.projectionsGroup, table);
    rows.set(group, { ...rows.get(group), [topic]: partitions });
  }
  const { caughtUp, lag } = await groupCaughtUp(deps.kafka, deps.config.projectionsGroup, events);
  if (!caughtUp) return new ProjectionsBehindError(deps.config.projectionsGroup, lag);
  const all: Offsets = {};
  for (const [group, groupOffsets] of rows) {
    const engine = await groupCaughtUp(deps.kafka, group, groupOffsets);
    if (!engine.caughtUp) return new ProjectionsBehindError(group, engine.lag);
    Object.assign(all, groupOffsets);
  }
  if (rows.size === 0) return undefined;
  // 18.16's Kafka engine commits before it writes its last block: the last rows must be there too.
  const seen = await engineRowsVisible(deps.kafka, deps.clickhouse, rowTopics, all);
  if (!seen.visible) return new ProjectionsBehindError([...rows.keys()].join(', '), seen.missing.length);
  return undefined;
}
