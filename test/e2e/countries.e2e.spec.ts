/**
 * The explorer's country picker in headless Chromium: Mali by default, Chad's areas once Chad is
 * picked, and an area in the address choosing its own country.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { openExplorerPage, type ExplorerPage } from './harness.js';

const dir = mkdtempSync(join(tmpdir(), 'tally-e2e-countries-'));
const CHAD = join(dir, 'dtm-tchad-2020-01-31.csv');
writeFileSync(CHAD, ['admin0Pcode,admin1Name,admin1Pcode,numPresentIdpInd,reportingDate', 'TCD,Lac,TD07,1500,2020-01-31', 'TCD,Batha,TD01,450,2020-01-31', 'TCD,,,3000,2020-01-31'].join('\n') + '\n');

describe('explorer country picker (headless Chromium)', () => {
  let web: ExplorerPage | undefined;
  let page: Page;
  const options = (id: string) => web!.options(id);

  beforeAll(async () => {
    web = await openExplorerPage('webcountries', [
      { file: 'examples/mali/dtm-mali-r47-2019-07-31.csv', source: 'dtm' },
      { file: CHAD, source: 'dtm' },
    ]);
    page = web.page;
  });

  afterAll(async () => {
    await web?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("defaults to Mali, and lists Chad's areas once Chad is picked", async () => {
    await page.goto(web!.explorer.url);
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
    await page.goto(`${web!.explorer.url}?indicator=idps&area=TD01`);
    await page.locator('#area option[value=TD01]').waitFor({ state: 'attached' });
    expect(await page.inputValue('#country')).toBe('TCD');
    expect(await page.inputValue('#area')).toBe('TD01');
    expect(web!.pageErrors).toEqual([]);
  });
});
