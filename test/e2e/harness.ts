/**
 * One explorer page for an e2e test: a whole pipeline of its own (topics, database, task queue and
 * workflow ids: drops shared with other tests never land in their database), the drops ingested
 * and reconciled, the explorer server, and Debian's Chromium driven by playwright-core, offline.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startExplorer, type RunningExplorer } from '../../web/server.js';
import type { IngestSummary } from '../../cli/ingest.js';
import { startPipeline, type TestPipeline } from '../support/pipeline.js';

const CHROMIUM = process.env.TALLY_CHROMIUM ?? '/usr/bin/chromium';

export interface ExplorerPage {
  pipeline: TestPipeline;
  explorer: RunningExplorer;
  page: Page;
  ingested: IngestSummary[];
  /** Errors the page threw or logged; a test ends by expecting none. */
  pageErrors: string[];
  /** The values of a select's options, in order. */
  options(id: string): Promise<string[]>;
  close(): Promise<void>;
}

export async function openExplorerPage(label: string, drops: ReadonlyArray<{ file: string; source: string }>, viewport = { width: 1400, height: 1000 }): Promise<ExplorerPage> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: the explorer tests need Debian's chromium; run 'bash infra/install.sh' (never a downloaded browser)`);
  const pipeline = await startPipeline(label);
  let explorer: RunningExplorer | undefined;
  let browser: Browser | undefined;
  try {
    const ingested: IngestSummary[] = [];
    for (const drop of drops) ingested.push(await pipeline.ingest(drop.file, drop.source));
    explorer = await startExplorer({ settings: pipeline.config.stack.clickhouse, port: 0 });
    // playwright gives the browser a fresh, throw-away profile directory.
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const context = await browser.newContext({ viewport });
    const url = explorer.url;
    // Offline by design: anything not served by the explorer is a bug in the page.
    await context.route((u) => !u.href.startsWith(url), (route) => route.abort());
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (msg) => {
      if (msg.type() === 'error') pageErrors.push(msg.text());
    });
    const opened = explorer;
    const launched = browser;
    return {
      pipeline,
      explorer: opened,
      page,
      ingested,
      pageErrors,
      options: (id) => page.locator(`#${id} option`).evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value)),
      async close() {
        await launched.close().catch(() => undefined);
        await opened.close();
        await pipeline.stop();
      },
    };
  } catch (err) {
    await browser?.close().catch(() => undefined);
    await explorer?.close();
    await pipeline.stop();
    throw err;
  }
}
