import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectRows } from '../../../adapters/clickhouse.js';
import { quoteString } from '../../../adapters/sql.js';
import { createActivityDeps, type ActivityDeps } from '../../../activities/index.js';
import { createReconcileActivities } from '../../../activities/reconcile.js';
import { INDICATOR_CODES } from '../../../domain/indicators.js';
import { reconcileWorkflow } from '../../../workflows/index.js';
import { startPipeline, type TestPipeline } from '../../support/pipeline.js';

const EXAMPLES = join(import.meta.dirname, '../../../examples/mali');
const DROPS: Array<[file: string, source: string]> = [
  ['dtm-mali-r47-2019-07-31.csv', 'dtm'],
  ['cmp-pdi-2020-03-31.csv', 'cmp'],
  ['cmp-pdi-2020-03-31-revision.csv', 'cmp'],
  ['mmeia-retours-diaspora.xlsx', 'mmeia'],
  ['instat-etrangers-2020.csv', 'instat'],
  ['iom-avr-2017-2024.csv', 'iom-avr'],
];

/** The input a drop's reconcile workflow was started with, from its history. */
async function reconcileInput(pipeline: TestPipeline, dropId: string): Promise<Record<string, unknown>> {
  const history = await pipeline.client.workflow.getHandle(`${pipeline.config.workflowIdPrefix}reconcile-${dropId}`).fetchHistory();
  const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0]?.data;
  if (!payload) throw new Error(`reconcile-${dropId}: expected a started event with an input, found none`);
  return JSON.parse(Buffer.from(payload).toString('utf8')) as Record<string, unknown>;
}

describe("a drop's reconcile from the observations its ingest kept", () => {
  let pipeline: TestPipeline;
  let deps: ActivityDeps;
  const dropIds: string[] = [];

  beforeAll(async () => {
    pipeline = await startPipeline('own');
    deps = await createActivityDeps(pipeline.config);
    for (const [file, source] of DROPS) {
      const summary = await pipeline.ingest(join(EXAMPLES, file), source);
      dropIds.push(summary.dropId);
    }
  }, 240_000);
  afterAll(async () => {
    await deps?.close();
    await pipeline?.stop();
  });

  it('is what every drop with observations used, and leaves nothing behind', async () => {
    const [count] = await selectRows<{ n: number }>(pipeline.clickhouse, 'SELECT toUInt32(count()) AS n FROM figures');
    expect(Number(count!.n)).toBeGreaterThan(20);
    for (const dropId of dropIds) {
      const input = await reconcileInput(pipeline, dropId);
      expect(input).toMatchObject({ dropId, own: { buckets: 1 } });
      expect((input.own as { observations: number }).observations).toBeGreaterThan(0);
      expect(Object.keys(input.ingestOffsets as object).length).toBeGreaterThan(0);
    }
  });

  it('plans what reconciling every indicator from ClickHouse plans: nothing is left to change', async () => {
    const result = await pipeline.client.workflow.execute(reconcileWorkflow, {
      taskQueue: pipeline.config.taskQueue,
      workflowId: `${pipeline.config.workflowIdPrefix}reconcile-everything`,
      args: [{ indicators: [...INDICATOR_CODES], idPrefix: pipeline.config.workflowIdPrefix }],
    });
    expect(result.indicators.length).toBe(INDICATOR_CODES.length);
    expect(result).toMatchObject({ figures: 0, detected: [], resolved: 0 });
  });

  it('falls back to ClickHouse, once the projections hold the drop, when this machine does not hold the set', async () => {
    const dropId = dropIds[0]!;
    const { own, ingestOffsets } = (await reconcileInput(pipeline, dropId)) as { own: { dir: string; buckets: number; observations: number }; ingestOffsets: Record<string, Record<number, string>> };
    const activities = createReconcileActivities(deps);
    const before = await deps.publisher.endOffsets();
    const out = await activities.reconcileIndicators({ dropId, own: { ...own, dir: join(own.dir, 'on-another-machine') }, ingestOffsets });
    // The drop's indicators, read from ClickHouse. Its figures and discrepancies were all published by the
    // reconcile that used the set: nothing is published again, and what the drop holds is counted as before.
    expect(out.indicators).toEqual(['idps']);
    expect(out.offsets).toEqual(before);
    // The figures (latest per series) with one of the drop's observations among their sources.
    const [held] = await selectRows<{ figures: number }>(
      pipeline.clickhouse,
      `SELECT toUInt32(count()) AS figures FROM (SELECT series_key, argMax(sources, recorded_at) AS src FROM figures GROUP BY series_key)
       WHERE position(src, ${quoteString(`"dropId":"${dropId}"`)}) > 0`,
    );
    expect(out.figures).toBeGreaterThan(0);
    expect(out).toMatchObject({ resolved: 0 });
    expect(out.figures).toBe(Number(held!.figures));
  });
});
