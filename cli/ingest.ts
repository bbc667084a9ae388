/** `tally ingest`: land each drop, start its workflow (id from the drop id), optionally wait for its figures. */
import { basename } from 'node:path';
import { existsSync, statSync } from 'node:fs';
import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy, type Client } from '@temporalio/client';
import { LandingStore } from '../connectors/landing.js';
import { apiDropOptions, apiTarget, fetchApiDrop } from '../connectors/api.js';
import type { ApiRequestOptions } from '../domain/api-request.js';
import { getProfile, loadProfiles } from '../connectors/profiles.js';
import type { DropBreakdown, DropCounts } from '../domain/events.js';
import { noticeText } from '../domain/notices.js';
import type { TallyConfig } from '../infra/config.js';
import { ingestDropWorkflow, ingestWorkflowId, type IngestDropResult } from '../workflows/index.js';
import { CliError, EXIT } from './context.js';

/** What `tally ingest --json` prints for a drop: the contract's fields, then its status and notices. */
export interface IngestSummary extends Pick<DropCounts, 'rows' | 'accepted' | 'rejected' | 'duplicates' | 'revisions'> {
  dropId: string;
  source: string;
  fileName: string;
  discrepancies: number;
  status?: 'processed' | 'refused';
  reason?: string;
  /** One line each: `name_mismatch: "Ouest" is not the name of HT01 (West) (12 rows)`. */
  notices?: string[];
  /** Duplicates by reason (repeated_row, assessment_copy, earlier_drop) and rejections by kind, kinds with none left out. */
  breakdown?: DropBreakdown;
  workflowId: string;
}

export function summarise(r: IngestDropResult, workflowId: string): IngestSummary {
  return {
    dropId: r.dropId,
    source: r.source,
    fileName: r.fileName,
    rows: r.rows,
    accepted: r.accepted,
    rejected: r.rejected,
    duplicates: r.duplicates,
    revisions: r.revisions,
    discrepancies: r.discrepancies,
    status: r.status,
    reason: r.reason,
    notices: r.notices && r.notices.length > 0 ? r.notices.map(noticeText) : undefined,
    breakdown: r.breakdown,
    workflowId,
  };
}

/** `duplicates: repeated_row 3, assessment_copy 1; rejected: invalid_value 2, conflict 1`; '' when there are none. */
export function breakdownText(b: DropBreakdown | undefined): string {
  if (!b) return '';
  const part = (label: string, counts: Record<string, number | undefined>) => {
    const listed = Object.entries(counts).filter(([, n]) => (n ?? 0) > 0);
    return listed.length === 0 ? [] : [`${label}: ${listed.map(([k, n]) => `${k} ${n}`).join(', ')}`];
  };
  return [...part('duplicates', b.duplicates), ...part('rejected', b.rejected)].join('; ');
}

/**
 * Starts (or finds) the ingestion of a landed drop; the same drop twice is one workflow, whatever
 * `country` (ISO 3166 alpha-3, `--country`) the second one names: a drop is read once.
 */
export async function startIngest(client: Client, config: TallyConfig, dropId: string, source: string, country?: string) {
  const workflowId = ingestWorkflowId(dropId, config.workflowIdPrefix);
  try {
    return await client.workflow.start(ingestDropWorkflow, {
      taskQueue: config.taskQueue,
      workflowId,
      args: [{ dropId, source, idPrefix: config.workflowIdPrefix, ...(country ? { country } : {}) }],
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return client.workflow.getHandle<typeof ingestDropWorkflow>(workflowId);
    throw err;
  }
}

export async function landFile(config: TallyConfig, file: string, source: string) {
  if (!existsSync(file) || !statSync(file).isFile()) throw new CliError(`${file}: no such file`, EXIT.unusable);
  getProfile(source, loadProfiles());
  return new LandingStore(config.landingDir).putFile(file, { source, fileName: basename(file) });
}

export async function landUrl(config: TallyConfig, url: string, source: string) {
  return landApi(config, source, { url });
}

/**
 * Fetches and lands an API drop: `url` as given, or the request the profile builds from `request`
 * (`--country`, `--admin-level`, `--from`…). Returns the landed drop and the country asked for.
 */
export async function landApi(config: TallyConfig, source: string, input: { url?: string; request?: ApiRequestOptions }) {
  const profile = getProfile(source, loadProfiles());
  const target = apiTarget(profile, input);
  const bytes = await fetchApiDrop(target.url, apiDropOptions(profile, target));
  const landed = await new LandingStore(config.landingDir).putBytes(bytes, { source, fileName: target.fileName });
  return { ...landed, country: target.country };
}

/** Lands and ingests one drop; with wait, returns once its figures are queryable and reconciled. */
export async function ingestOne(
  client: Client,
  config: TallyConfig,
  drop: { file?: string; url?: string },
  source: string,
  wait: boolean,
  country?: string,
): Promise<IngestSummary | { dropId: string; source: string; workflowId: string; fileName: string }> {
  const landed = drop.file ? await landFile(config, drop.file, source) : await landUrl(config, drop.url!, source);
  const handle = await startIngest(client, config, landed.dropId, source, country);
  if (!wait) return { dropId: landed.dropId, source, workflowId: handle.workflowId, fileName: landed.fileName };
  return summarise(await handle.result(), handle.workflowId);
}
