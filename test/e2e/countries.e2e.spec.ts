/**
 * The explorer's country picker in headless Chromium: Mali by default, Chad's areas once Chad is
 * picked, and an area in the address choosing its own country.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { configFromEnv, type TallyConfig } from '../../infra/config.js';
import { startServices, type RunningServices } from '../../worker/services.js';
import { ingestOne } from '../../cli/ingest.js';
import { temporalClient } from '../../cli/context.js';
import { startExplorer, type RunningExplorer } from '../../web/server.js';
import { testScope } from '../support/isolation.js';

const CHROMIUM = process.env.TALLY_CHROMIUM ?? '/usr/bin/chromium';
const dir = mkdtempSync(join(tmpdir(), 'tally-e2e-countries-'));
const CHAD = join(dir, 'dtm-tchad-2020-01-31.csv');
writeFileSync(CHAD, ['admin0Pcode,admin1Name,admin1Pcode,numPresentIdpInd,reportingDate', 'TCD,Lac,TD07,1500,2020-01-31', 'TCD,Batha,TD01,450,2020-01-31', 'TCD,,,3000,2020-01-31'].join('\n') + '\n');

describe('explorer country picker (headless Chromium)', () => {
  const scope = testScope('webcountries');
  let config: TallyConfig;
  let services: RunningServices | undefined;
  let explorer: RunningExplorer | undefined;
  let browser: Browser | undefined;
  let page: Page;
  const pageErrors: string[] = [];
  const options = (id: string) => page.locator(`#${id} option`).evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: the explorer test needs Debian's chromium; run 'bash infra/install.sh'`);
    config = configFromEnv(scope.stack, process.env, {
      topicPrefix: `${scope.id}.`,
      projectionsGroup: `${scope.id}-projections`,
      taskQueue: scope.taskQueue,
      landingDir: `.tally/test-landing-${scope.id}`,
    });
    services = await startServices(config);
    const temporal = await temporalClient(config);
    try {
      for (const [file, source] of [['examples/mali/dtm-mali-r47-2019-07-31.csv', 'dtm'], [CHAD, 'dtm']] as const) await ingestOne(temporal.client, config, { file }, source, true);
    } finally {
      await temporal.close();
    }
    explorer = await startExplorer({ settings: config.stack.clickhouse, port: 0 });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-sync'] });
    const context = await browser.newContext();
    await context.route((url) => !url.href.startsWith(explorer!.url), (route) => route.abort());
    page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
  });

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await explorer?.close();
    await services?.stop();
    if (config) rmSync(config.landingDir, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  });

  it("defaults to Mali, and lists Chad's areas once Chad is picked", async () => {
    await page.goto(explorer!.url);
    await page.locator('#country option[value=TCD]').waitFor({ state: 'attached' });
    expect(await options('country')).toEqual(['MLI', 'TCD']);
    expect(await page.inputValue('#country')).toBe('MLI');
    expect(await options('area')).toContain('ML05');
    await page.selectOption('#country', 'TCD');
    expect(await options('area')).toEqual(['TCD', 'TD01', 'TD07']);
    await page.selectOption('#area', 'TD07');
    await expect.poll(() => page.textContent('#status')).toMatch(/idps .* in Lac \(TD07\): 1 reconciled figure/);
    expect(await page.textContent('#subtitle')).toBe('Chad · explorer');
    const url = new URL(page.url());
    expect([url.searchParams.get('country'), url.searchParams.get('area')]).toEqual(['TCD', 'TD07']);
  });

  it('picks the country of an area named in the address', async () => {
    await page.goto(`${explorer!.url}?indicator=idps&area=TD01`);
    await page.locator('#area option[value=TD01]').waitFor({ state: 'attached' });
    expect(await page.inputValue('#country')).toBe('TCD');
    expect(await page.inputValue('#area')).toBe('TD01');
    expect(pageErrors).toEqual([]);
  });
});
