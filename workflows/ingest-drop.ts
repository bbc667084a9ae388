import { defineQuery, executeChild, patched, proxyActivities, setHandler } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { IngestTimings } from '../activities/ingest.js';
import type { DropBreakdown, DropCounts, DropNotice } from '../domain/events.js';
import { INGEST, WATERMARK } from './options.js';
import { reconcileWorkflow } from './reconcile.js';
import { withSourceLock } from './source-lock.js';

const { ingestDrop } = proxyActivities<Activities>(INGEST);
const { awaitProjected } = proxyActivities<Activities>(WATERMARK);

export interface IngestDropWorkflowInput {
  dropId: string;
  source: string;
  /** Prefix of the workflow ids this run starts (deployments sharing a namespace use one each). @default '' */
  idPrefix?: string;
  /**
   * `tally ingest --country` (ISO 3166 alpha-3): the country of rows that do not say theirs. Not
   * part of the workflow id: a drop is its bytes, read once.
   */
  country?: string;
}

/** The drop's row accounting (from the ingest activity) and what reconciling it produced. */
export interface IngestDropResult extends DropCounts {
  dropId: string;
  source: string;
  fileName: string;
  status: 'processed' | 'refused';
  reason?: string;
  figures: number;
  discrepancies: number;
  resolved: number;
  /** Where the ingest activity's time went (absent from runs recorded before it was measured). */
  timings?: IngestTimings;
  /** What the drop's summary says beyond its counts (absent from runs recorded before notices). */
  notices?: DropNotice[];
  /** Duplicates by reason and rejections by kind (absent for refused drops and runs recorded before it). */
  breakdown?: DropBreakdown;
}

export type IngestStage = 'waiting' | 'reading' | 'projecting' | 'reconciling' | 'done';
export const ingestStageQuery = defineQuery<IngestStage>('stage');

/** The workflow id of a drop's ingestion: the same drop twice is one run. */
export function ingestWorkflowId(dropId: string, idPrefix = ''): string {
  return `${idPrefix}ingest-${dropId}`;
}

/** Runs recorded before the source lock replay without it; new runs record the marker and take the lock. */
export const SOURCE_LOCK_PATCH = 'source-lock';
/** Runs recorded before it wait for the projections, then reconcile from ClickHouse; new runs reconcile from the ingest's own observations. */
export const OWN_OBSERVATIONS_PATCH = 'reconcile-own-observations';

/**
 * One drop: read, validate, normalise and publish its rows; wait until the projections hold them;
 * then reconcile the indicators it touched. Carries references only (drop id, offsets). All of it
 * holds the source's lock (source-lock.ts): drops of one source are settled one at a time.
 */
export async function ingestDropWorkflow(input: IngestDropWorkflowInput): Promise<IngestDropResult> {
  let stage: IngestStage = 'waiting';
  setHandler(ingestStageQuery, () => stage);
  const settle = async (): Promise<IngestDropResult> => {
    stage = 'reading';
    const { offsets, own, ...ingested } = await ingestDrop({ dropId: input.dropId, source: input.source, ...(input.country ? { country: input.country } : {}) });
    const reconciles = ingested.status !== 'refused' && ingested.observations > 0;
    // The drop's reconcile reads its observations from what the ingest kept, not from ClickHouse:
    // it need not wait for the projections (its own wait, after the figures, covers everything).
    const fromOwn = reconciles && own !== undefined && patched(OWN_OBSERVATIONS_PATCH);
    if (!fromOwn) {
      stage = 'projecting';
      await awaitProjected({ offsets });
    }
    if (!reconciles) {
      stage = 'done';
      return { ...ingested, figures: 0, discrepancies: 0, resolved: 0 };
    }
    stage = 'reconciling';
    const reconciled = await executeChild(reconcileWorkflow, {
      workflowId: `${input.idPrefix ?? ''}reconcile-${input.dropId}`,
      args: [{ dropId: input.dropId, idPrefix: input.idPrefix, ...(fromOwn ? { own, ingestOffsets: offsets } : {}) }],
    });
    stage = 'done';
    return { ...ingested, figures: reconciled.figures, discrepancies: reconciled.detected.length, resolved: reconciled.resolved };
  };
  if (!patched(SOURCE_LOCK_PATCH)) return settle();
  return withSourceLock({ source: input.source, idPrefix: input.idPrefix }, settle);
}
