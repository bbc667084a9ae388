/**
 * The explorer page end to end: real engines, the worker and projections in this process, two
 * example drops that disagree, the explorer server, and Debian's Chromium driven by playwright-core.
 */
import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { IngestSummary } from '../../cli/ingest.js';
import { openExplorerPage, type ExplorerPage } from './harness.js';

const SCREENSHOT = 'test-results/explorer.png';
const DROPS = [
  { file: 'examples/mali/dtm-mali-r47-2019-07-31.csv', source: 'dtm' },
  { file: 'examples/mali/cmp-pdi-2020-03-31.csv', source: 'cmp' },
];

describe('explorer page (headless Chromium)', () => {
  let web: ExplorerPage | undefined;
  let page: Page;
  let pageErrors: string[] = [];
  let ingested: IngestSummary[] = [];

  beforeAll(async () => {
    web = await openExplorerPage('web', DROPS);
    ({ page, pageErrors, ingested } = web);
  });

  afterAll(async () => {
    await web?.close();
  });

  it('the drops produce idps discrepancies', () => {
    expect(ingested.map((d) => d.source)).toEqual(['dtm', 'cmp']);
    expect(ingested.reduce((n, d) => n + d.discrepancies, 0)).toBeGreaterThan(0);
  });

  it('shows the chart, a discrepancy and a point’s provenance for idps', async () => {
    await page.goto(web!.explorer.url);
    await page.locator('#indicator option[value=idps]').waitFor({ state: 'attached' });
    await page.selectOption('#indicator', 'idps');
    await page.locator('#area option[value=ML05]').waitFor({ state: 'attached' });
    await page.selectOption('#area', 'ML05');
    await expect.poll(() => page.evaluate(() => new URL(window.location.href).searchParams.get('area'))).toBe('ML05');

    const svg = page.locator('#chart svg');
    await svg.waitFor();
    await expect.poll(() => svg.locator('[data-testid=line-source]').count()).toBeGreaterThanOrEqual(1);
    expect(await svg.locator('[data-testid=line-reconciled]').count()).toBe(1);
    const sources = await svg.locator('[data-testid=line-source]').evaluateAll((ls) => ls.map((l) => l.getAttribute('data-source')));
    expect(sources.sort()).toEqual(['cmp', 'dtm']);
    expect(await svg.locator('[data-testid=discrepancy-marker]').count()).toBeGreaterThanOrEqual(1);

    const listed = page.locator('[data-testid=discrepancy]');
    await listed.first().waitFor();
    const idps = page.locator('[data-testid=discrepancy][data-indicator=idps]');
    expect(await idps.count()).toBeGreaterThanOrEqual(1);
    expect(await page.locator('[data-testid=discrepancy].current [data-testid=explanation]').first().textContent()).toMatch(/\S/);

    await svg.locator('circle[data-testid=point][data-source=dtm]').first().click();
    const table = page.locator('#provenance [data-testid=provenance-table]');
    await table.waitFor();
    const dropIds = await table.locator('[data-testid=drop-id]').allTextContents();
    expect(dropIds.length).toBeGreaterThanOrEqual(1);
    for (const id of dropIds) expect(id).toMatch(/^[0-9a-f]{12}$/);
    expect(ingested.some((d) => d.dropId.startsWith(dropIds[0]!))).toBe(true);
    const rows = await table.locator('[data-testid=rows]').allTextContents();
    expect(rows.some((r) => /^\d+(, \d+)*$/.test(r))).toBe(true);
    expect(await table.locator('[data-testid=file]').allTextContents()).toContain('dtm-mali-r47-2019-07-31.csv');

    expect(await page.locator('#status').getAttribute('class')).not.toContain('error');
    expect(pageErrors).toEqual([]);
    mkdirSync('test-results', { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  });

  it('shows empty data and API errors visibly', async () => {
    await page.goto(`${web!.explorer.url}?indicator=refugees&area=ML05`);
    await expect.poll(() => page.locator('[data-testid=chart-empty]').textContent()).toMatch(/No figures for refugees/);

    await page.route('**/api/series?*', (route) =>
      route.fulfill({ status: 500, contentType: 'application/json', body: JSON.stringify({ error: 'ClickHouse is unreachable' }) }),
    );
    await page.goto(`${web!.explorer.url}?indicator=idps&area=ML05`);
    await expect.poll(() => page.locator('#status.error').textContent()).toMatch(/ClickHouse is unreachable/);
    expect(await page.locator('#chart [role=alert]').textContent()).toMatch(/api\/series.*ClickHouse is unreachable/);
    await page.screenshot({ path: 'test-results/explorer-error.png' });
    await page.unroute('**/api/series?*');
  });
});
