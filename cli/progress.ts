/** Progress of a drop's ingestion, read from the workflow: a bar on a terminal, plain lines otherwise. */
import type { Client } from '@temporalio/client';
import { SingleBar, Presets } from 'cli-progress';

interface Snapshot {
  stage: string;
  rows: number;
}

async function snapshot(client: Client, workflowId: string): Promise<Snapshot> {
  const handle = client.workflow.getHandle(workflowId);
  const d = await handle.describe().catch(() => undefined);
  const payload = d?.raw.pendingActivities?.[0]?.heartbeatDetails?.payloads?.[0]?.data;
  let rows = 0;
  if (payload) {
    try {
      rows = (JSON.parse(Buffer.from(payload).toString()) as { rows?: number }).rows ?? 0;
    } catch {
      rows = 0;
    }
  }
  const stage = await handle.query<string>('stage').catch(() => 'reading');
  return { stage, rows };
}

/** Waits for the ingestion to finish, showing its stage and the rows read so far on stderr. */
export async function waitWithProgress(client: Client, workflowId: string, label: string): Promise<void> {
  const tty = Boolean(process.stderr.isTTY);
  const bar = tty ? new SingleBar({ format: `${label} | {stage} | {rows} rows read`, hideCursor: true, stream: process.stderr }, Presets.shades_classic) : undefined;
  bar?.start(1, 0, { stage: 'reading', rows: 0 });
  let last = '';
  let stopped = false;
  const timer = setInterval(() => {
    void snapshot(client, workflowId).then(({ stage, rows }) => {
      // A snapshot still in flight when the ingestion ends must not print after the result.
      if (stopped) return;
      if (bar) return bar.update(0, { stage, rows });
      const line = `${label}: ${stage}${rows ? `, ${rows} rows read` : ''}`;
      if (line !== last) console.error(line);
      last = line;
    });
  }, 1000);
  try {
    await client.workflow.getHandle(workflowId).result();
  } finally {
    clearInterval(timer);
    stopped = true;
    bar?.stop();
  }
}
