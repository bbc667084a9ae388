/**
 * Activities of a drop's ingestion: read the landed bytes, validate and normalise every row, and
 * publish the resulting events to Kafka in batches, heartbeating progress so that a retried
 * attempt (a worker killed mid-drop) resumes after what was already published.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { DropProcessed, DropReceived, TallyEvent } from '../domain/events.js';
import { DropUnusableError } from '../connectors/errors.js';
import { openDrop } from '../connectors/open.js';
import { processDrop, type DropCounts } from '../connectors/process-drop.js';
import { getProfile } from '../connectors/profiles.js';
import { shortHash } from '../domain/series.js';
import { priorKnowledge } from './clickhouse.js';
import { groupCaughtUp } from './kafka.js';
import type { ActivityDeps } from './deps.js';

export interface IngestDropInput {
  dropId: string;
  source: string;
}

export type Offsets = Record<string, Record<number, string>>;

export interface IngestDropOutput extends DropCounts {
  dropId: string;
  source: string;
  fileName: string;
  status: 'processed' | 'refused';
  reason?: string;
  /** End offsets of the topics after publishing: the projections have caught up when they reach them. */
  offsets: Offsets;
}

const BATCH = 2000;

/** Second precision: ClickHouse DateTime keeps seconds, so events and their projection agree. */
function seconds(iso: string): string {
  return new Date(iso).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

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
      if (!landed) {
        throw ApplicationFailure.nonRetryable(`drop ${input.dropId} is not in the landing store ${deps.config.landingDir}`, 'DropNotLanded');
      }
      let profile;
      try {
        profile = getProfile(input.source, deps.profiles);
      } catch (err) {
        throw ApplicationFailure.nonRetryable((err as Error).message, 'UnknownSource');
      }
      const ctx = { dropId: input.dropId, source: input.source, fileName: landed.fileName, receivedAt: seconds(landed.receivedAt) };
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
      let index = 0;
      let published = skip;
      let buffer: TallyEvent[] = [];
      const flush = async () => {
        if (buffer.length === 0) return;
        await deps.publisher.publish(buffer);
        published += buffer.length;
        buffer = [];
        heartbeat({ published });
      };
      const emit = async (event: TallyEvent) => {
        if (index++ < skip) return;
        buffer.push(event);
        if (buffer.length >= BATCH) await flush();
      };

      await emit(received);
      let counts: DropCounts;
      let refusal: string | undefined;
      try {
        const table = await openDrop(landed.path, { fileName: landed.fileName });
        counts = await processDrop(table, profile, ctx, emit, {
          prior: priorKnowledge(deps.clickhouse),
          onProgress: (rows) => heartbeat({ published, rows }),
        });
      } catch (err) {
        if (!(err instanceof DropUnusableError)) throw err;
        refusal = err.message;
        counts = { rows: 0, accepted: 0, rejected: 0, duplicates: 0, observations: 0, revisions: 0 };
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
        receivedAt: ctx.receivedAt,
      };
      await emit(processed);
      await flush();
      return {
        dropId: input.dropId,
        source: input.source,
        fileName: landed.fileName,
        status: processed.status,
        reason: refusal,
        ...counts,
        offsets: await deps.publisher.endOffsets(),
      };
    },

    /** Succeeds once the projections' consumer group has committed past `offsets`; otherwise a retryable failure. */
    async awaitProjected(input: { offsets: Offsets }): Promise<void> {
      const { caughtUp, lag } = await groupCaughtUp(deps.kafka, deps.config.projectionsGroup, input.offsets);
      if (!caughtUp) {
        throw ApplicationFailure.retryable(`projections are ${lag} events behind`, 'ProjectionsBehind');
      }
    },
  };
}
