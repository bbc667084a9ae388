import { executeChild, proxyActivities } from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Activities } from '../activities/index.js';
import type { ApiRequestOptions } from '../domain/api-request.js';
import { ingestDropWorkflow, ingestWorkflowId, type IngestDropResult } from './ingest-drop.js';
import { FETCH } from './options.js';

const { fetchSource } = proxyActivities<Activities>(FETCH);

export interface PollSourceWorkflowInput {
  source: string;
  url?: string;
  /** What to ask the source's API (`--country`, `--admin-level`, `--from`…): the activity builds the request. */
  request?: ApiRequestOptions;
  /** Prefix of the workflow ids this run starts. @default '' */
  idPrefix?: string;
}

export interface PollSourceResult {
  dropId: string;
  /** False when the responses' bytes had not changed: no new drop. */
  isNew: boolean;
  ingest?: IngestDropResult;
}

/** Run by a Temporal Schedule: fetch an API source; a changed response becomes a new drop. */
export async function pollSourceWorkflow(input: PollSourceWorkflowInput): Promise<PollSourceResult> {
  const fetched = await fetchSource({ source: input.source, url: input.url, ...(input.request ? { request: input.request } : {}) });
  if (!fetched.isNew) return { dropId: fetched.dropId, isNew: false };
  // The country the request asked for is the drop's country.
  const country = fetched.country ? { country: fetched.country } : {};
  try {
    const ingest = await executeChild(ingestDropWorkflow, {
      workflowId: ingestWorkflowId(fetched.dropId, input.idPrefix),
      args: [{ dropId: fetched.dropId, source: input.source, idPrefix: input.idPrefix, ...country }],
    });
    return { dropId: fetched.dropId, isNew: true, ingest };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return { dropId: fetched.dropId, isNew: true };
    throw err;
  }
}
