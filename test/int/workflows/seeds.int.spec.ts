import { createServer, type IncomingMessage, type Server } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Worker } from '@temporalio/worker';
import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy } from '@temporalio/client';
import { listDiscrepancies, queryFigures } from '../../../projections/queries.js';
import { reconcileWorkflow, deliverAlertWorkflow } from '../../../workflows/index.js';
import { WORKFLOWS_PATH } from '../../../worker/services.js';
import { startPipeline, type TestPipeline } from '../../support/pipeline.js';

const dir = mkdtempSync(join(tmpdir(), 'tally-seeds-'));
function drop(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

const DTM = drop(
  'dtm-seed-000.csv',
  'admin0Name,admin0Pcode,numPresentIdpInd,reportingDate,roundNumber\n#country+name,#country+code,#affected+idps+ind,#date+reported,#round+code\nMali,MLI,160000,2019-07-31,47\n',
);
const CMP_2020 = drop('cmp-seed-001.csv', 'Région;Nombre de PDI;Date\nMali;171 000;31/03/2020\n');
const CMP_SAME_DATE = drop('cmp-same-date.csv', 'Région;Nombre de PDI;Date\nMali;171 000;31/07/2019\n');

interface Delivery {
  body: string;
  signature?: string;
  delivery?: string;
}

async function webhook(): Promise<{ url: string; deliveries: Delivery[]; server: Server }> {
  const deliveries: Delivery[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      deliveries.push({ body, signature: req.headers['x-tally-signature'] as string, delivery: req.headers['x-tally-delivery'] as string });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  return { url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/alerts`, deliveries, server };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('the seeds: 160,000 IDPs (dtm, 2019-07-31) against 171,000 (cmp, 2020-03-31)', () => {
  let pipeline: TestPipeline;
  let hook: Awaited<ReturnType<typeof webhook>>;
  const secret = 'seed-secret';

  beforeAll(async () => {
    hook = await webhook();
    pipeline = await startPipeline('seeds', { config: { alerts: { log: false, webhook: { url: hook.url, secret } } } });
  });
  afterAll(async () => {
    await pipeline?.stop();
    hook?.server.close();
  });

  it('raises one discrepancy whose cause is the different reference dates, and alerts once with a valid signature', async () => {
    const dtm = await pipeline.ingest(DTM, 'dtm');
    expect(dtm).toMatchObject({ rows: 1, accepted: 1, rejected: 0, duplicates: 0, discrepancies: 0 });
    const cmp = await pipeline.ingest(CMP_2020, 'cmp');
    expect(cmp).toMatchObject({ rows: 1, accepted: 1, rejected: 0, duplicates: 0, discrepancies: 1 });

    const open = await listDiscrepancies(pipeline.clickhouse, { open: true });
    expect(open).toHaveLength(1);
    expect(open[0]).toMatchObject({ indicator: 'idps', area: 'MLI', cause: 'different_reference_dates' });
    expect(open[0]!.gap!.relative).toBeCloseTo(11000 / 171000, 6);
    expect(open[0]!.values.map((v) => [v.source, v.value]).sort()).toEqual([
      ['cmp', 171000],
      ['dtm', 160000],
    ]);

    // Reconciled figures: one per reference date, each with its own source.
    const figures = await queryFigures(pipeline.clickhouse, { indicator: 'idps', area: 'MLI' });
    expect(figures.map((f) => [f.date, f.value])).toEqual([
      ['2019-07-31', 160000],
      ['2020-03-31', 171000],
    ]);

    const delivery = await until('the webhook delivery', async () => hook.deliveries[0]);
    const expected = 'sha256=' + createHmac('sha256', secret).update(delivery.body).digest('hex');
    expect(delivery.signature).toBe(expected);
    const payload = JSON.parse(delivery.body) as { text: string; discrepancy: { cause: string } };
    expect(payload.discrepancy.cause).toBe('different_reference_dates');
    expect(payload.text).toMatch(/idps/);
  });

  it('is idempotent: the same drop again is the same workflow, and reconciling again emits nothing and alerts nobody', async () => {
    const again = await pipeline.ingest(CMP_2020, 'cmp');
    expect(again).toMatchObject({ rows: 1, accepted: 1, discrepancies: 1 });
    const rerun = await pipeline.client.workflow.execute(reconcileWorkflow, {
      taskQueue: pipeline.config.taskQueue,
      workflowId: `reconcile-again-${pipeline.scope.id}`,
      args: [{ indicators: ['idps'] }],
    });
    expect(rerun).toMatchObject({ figures: 0, detected: [], resolved: 0 });

    const first = hook.deliveries[0]!.delivery!;
    await expect(
      pipeline.client.workflow.start(deliverAlertWorkflow, {
        taskQueue: pipeline.config.taskQueue,
        workflowId: `${pipeline.config.workflowIdPrefix}alert-${first}`,
        args: [{ eventId: first }],
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      }),
    ).rejects.toBeInstanceOf(WorkflowExecutionAlreadyStartedError);
    expect(hook.deliveries).toHaveLength(1);
  });

  it('replays every recorded history deterministically', async () => {
    const histories = [];
    for await (const execution of pipeline.client.workflow.list({ query: `TaskQueue = '${pipeline.config.taskQueue}'` })) {
      histories.push({ workflowId: execution.workflowId, history: await pipeline.client.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory() });
    }
    expect(histories.length).toBeGreaterThanOrEqual(5);
    const failures: string[] = [];
    for await (const result of Worker.runReplayHistories({ workflowsPath: WORKFLOWS_PATH }, histories)) {
      if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
    }
    expect(failures).toEqual([]);
  });
});

describe('the same figures on the same date', () => {
  let pipeline: TestPipeline;
  beforeAll(async () => {
    pipeline = await startPipeline('samedate');
  });
  afterAll(async () => {
    await pipeline?.stop();
  });

  it('raise a discrepancy whose cause is unexplained', async () => {
    await pipeline.ingest(DTM, 'dtm');
    const cmp = await pipeline.ingest(CMP_SAME_DATE, 'cmp');
    expect(cmp.discrepancies).toBe(1);
    const open = await listDiscrepancies(pipeline.clickhouse, { open: true });
    expect(open.map((d) => d.cause)).toEqual(['unexplained']);
    // The reconciled figure follows source priority (cmp above dtm for idps), with the spread beside it.
    const [figure] = await queryFigures(pipeline.clickhouse, { indicator: 'idps', area: 'MLI' });
    expect(figure).toMatchObject({ date: '2019-07-31', value: 171000, sources: { cmp: 171000, dtm: 160000 } });
  });
});
