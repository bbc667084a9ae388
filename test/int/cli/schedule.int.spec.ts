/**
 * `tally schedule` through the real subprocess, and the poll workflow the schedules start: the
 * same API bytes twice are one drop. The UNHCR API is served locally, paged like the real one.
 */
import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listDrops } from '../../../projections/queries.js';
import { pollSourceWorkflow } from '../../../workflows/index.js';
import { MALI, json, lines, startCliPipeline, type CliPipeline, type TallyRun } from './harness.js';

const PAGES = ['api/unhcr-page-1.json', 'api/unhcr-page-2.json'].map((p) => readFileSync(join(MALI, p)));

/** Answers ?page=N with the N-th page, as cli/run.ts serves the example API; counts the requests. */
async function serveUnhcr(): Promise<{ url: string; server: Server; requests: string[] }> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const page = Number(new URL(req.url ?? '/', 'http://127.0.0.1').searchParams.get('page') ?? '1');
    const body = PAGES[page - 1];
    res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' });
    res.end(body ?? '{"error":"no such page"}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { url: `http://127.0.0.1:${port}/population/v1/population/?coa=MLI&page=1`, server, requests };
}

function expectOk(run: TallyRun): void {
  expect(run.code, `exit ${run.code}\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`).toBe(0);
}

interface ListedSchedule {
  scheduleId: string;
  source?: string;
  every?: string;
  nextRun?: string;
}

describe('tally schedule and the poll workflow', () => {
  let p: CliPipeline;
  let api: Awaited<ReturnType<typeof serveUnhcr>>;
  beforeAll(async () => {
    api = await serveUnhcr();
    p = await startCliPipeline('clischedule');
  });
  afterAll(async () => {
    await p?.client.schedule.getHandle(`${p.config.workflowIdPrefix}poll-unhcr`).delete().catch(() => undefined);
    await p?.stop();
    api?.server.close();
  });

  /** The schedule list is read from Temporal's visibility store, which follows writes shortly after. */
  async function listUntil(check: (listed: ListedSchedule[]) => boolean): Promise<ListedSchedule[]> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const run = await p.tally('schedule', 'list', '--json');
      expectOk(run);
      const listed = json<ListedSchedule[]>(run);
      if (check(listed) || Date.now() > deadline) return listed;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }

  it('add, list and remove a daily poll of unhcr at a given url', async () => {
    const scheduleId = `${p.config.workflowIdPrefix}poll-unhcr`;
    const added = await p.tally('schedule', 'add', '--source', 'unhcr', '--every', '1d', '--url', api.url);
    expectOk(added);
    expect(lines(added.stdout)).toEqual([`scheduled ${scheduleId}: poll unhcr every 1d`]);

    // What Temporal holds: the poll workflow on this task queue, with the url and the id prefix.
    const described = await p.client.schedule.getHandle(scheduleId).describe();
    expect(described.action).toMatchObject({ type: 'startWorkflow', workflowType: 'pollSourceWorkflow', taskQueue: p.config.taskQueue });
    expect(described.action.type === 'startWorkflow' ? described.action.args : []).toEqual([{ source: 'unhcr', url: api.url, idPrefix: p.config.workflowIdPrefix }]);

    const listed = await listUntil((l) => l.some((s) => s.scheduleId === scheduleId));
    const mine = listed.find((s) => s.scheduleId === scheduleId);
    expect(mine).toMatchObject({ scheduleId, source: 'unhcr' });
    expect(Number(mine!.every)).toBe(24 * 3600 * 1000);
    expect(Date.parse(mine!.nextRun!)).toBeGreaterThan(Date.now());
    // Only this deployment's schedules (those with its workflow id prefix) are listed.
    expect(listed.every((s) => s.scheduleId.startsWith(p.config.workflowIdPrefix))).toBe(true);

    const removed = await p.tally('schedule', 'remove', '--source', 'unhcr');
    expectOk(removed);
    expect(lines(removed.stdout)).toEqual([`removed ${scheduleId}`]);
    await expect(p.client.schedule.getHandle(scheduleId).describe()).rejects.toThrow();
    const after = await listUntil((l) => !l.some((s) => s.scheduleId === scheduleId));
    expect(after.map((s) => s.scheduleId)).not.toContain(scheduleId);
  });

  it('refuses a malformed interval and an unknown source with a message naming the rule', async () => {
    const [interval, source] = await Promise.all([
      p.tally('schedule', 'add', '--source', 'unhcr', '--every', 'daily', '--url', api.url),
      p.tally('schedule', 'add', '--source', 'nosuchsource', '--every', '1d'),
    ]);
    expect(interval.code).toBe(1);
    expect(lines(interval.stderr)).toEqual(['tally: --every: expected an interval such as 30m, 6h or 1d, found "daily"']);
    expect(source.code).toBe(1);
    expect(source.stderr).toMatch(/^tally: unknown source "nosuchsource": expected one of .*\bunhcr\b/);
  });

  it('polling the same API bytes twice makes one drop; tally ingest --url finds the same drop', async () => {
    const poll = (n: number) =>
      p.client.workflow.execute(pollSourceWorkflow, {
        taskQueue: p.config.taskQueue,
        workflowId: `${p.config.workflowIdPrefix}poll-test-${n}`,
        args: [{ source: 'unhcr', url: api.url, idPrefix: p.config.workflowIdPrefix }],
      });
    const first = await poll(1);
    expect(first.isNew).toBe(true);
    expect(first.dropId).toMatch(/^[0-9a-f]{64}$/);
    expect(first.ingest).toMatchObject({ dropId: first.dropId, source: 'unhcr', status: 'processed' });
    expect(first.ingest!.accepted).toBeGreaterThan(0);
    expect(first.ingest!.accepted + first.ingest!.rejected + first.ingest!.duplicates).toBe(first.ingest!.rows);
    // Both pages were read: page 1 says maxPages 2.
    expect(api.requests.map((u) => new URL(u, 'http://x').searchParams.get('page'))).toEqual(['1', '2']);

    const second = await poll(2);
    expect(second).toEqual({ dropId: first.dropId, isNew: false });
    expect(api.requests).toHaveLength(4);

    const cli = await p.tally('ingest', '--source', 'unhcr', '--url', api.url, '--wait', '--json');
    expectOk(cli);
    const summary = json<Record<string, unknown>>(cli);
    const { rows, accepted, rejected, duplicates, revisions } = first.ingest!;
    expect(summary).toMatchObject({ dropId: first.dropId, source: 'unhcr', rows, accepted, rejected, duplicates, revisions });

    const drops = (await listDrops(p.clickhouse)).filter((d) => d.source === 'unhcr');
    expect(drops.map((d) => d.dropId)).toEqual([first.dropId]);
  });
});
