import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startExplorer, type RunningExplorer } from '../../../web/server.js';
import { startPipeline, type TestPipeline } from '../../support/pipeline.js';

describe('the read-only HTTP API', () => {
  let pipeline: TestPipeline;
  let explorer: RunningExplorer;
  const get = async (path: string) => {
    const res = await fetch(new URL(path, explorer.url));
    return { status: res.status, body: (await res.json()) as unknown };
  };

  beforeAll(async () => {
    pipeline = await startPipeline('api');
    await pipeline.ingest('examples/mali/dtm-mali-r47-2019-07-31.csv', 'dtm');
    await pipeline.ingest('examples/mali/cmp-pdi-2020-03-31.csv', 'cmp');
    explorer = await startExplorer({ settings: pipeline.config.stack.clickhouse, port: 0 });
  });
  afterAll(async () => {
    await explorer?.close();
    await pipeline?.stop();
  });

  it('answers the same queries as the command line, as the read-only analyst', async () => {
    const figures = await get('/api/figures?indicator=idps&area=ML05');
    expect(figures.status).toBe(200);
    expect(figures.body).toEqual(
      expect.arrayContaining([expect.objectContaining({ indicator: 'idps', area: 'ML05', date: '2019-07-31', value: 82000, sources: { cmp: 82000, dtm: 70512 } })]),
    );
    const perSource = await get('/api/figures?indicator=idps&area=ML05&source=dtm');
    expect(perSource.body).toEqual([expect.objectContaining({ source: 'dtm', value: 70512, date: '2019-07-31' })]);
    const open = await get('/api/discrepancies?open=true');
    expect((open.body as Array<{ cause: string }>).map((d) => d.cause)).toContain('different_reference_dates');
    const rejections = await get('/api/rejections');
    expect((rejections.body as Array<{ reason: string }>).some((r) => r.reason.includes('140 8001'))).toBe(true);
    const drops = await get('/api/drops');
    expect((drops.body as unknown[]).length).toBe(2);
  });

  it('refuses SQL metacharacters, unknown endpoints and writes with a clear message', async () => {
    const injected = await get(`/api/figures?indicator=idps&area=${encodeURIComponent("ML05' OR 1=1 --")}`);
    expect(injected.status).toBe(400);
    expect((injected.body as { error: string }).error).toMatch(/expected a P-code/);
    const unknown = await get('/api/nothing');
    expect(unknown.status).toBe(404);
    const post = await fetch(new URL('/api/figures', explorer.url), { method: 'POST', body: '{}' });
    expect(post.status).toBe(405);
    // The tables are intact after the attempt.
    const figures = await get('/api/figures?indicator=idps&area=ML05');
    expect((figures.body as unknown[]).length).toBeGreaterThan(0);
  });
});
