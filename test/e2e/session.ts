import type { Browser, Page } from 'playwright-core';
import { startHeadless, type Headless } from '../helpers/headless';
import { tempDir } from '../helpers/tmp';
import { launchChromium, watchConsole } from './browser';

export interface AppSession {
  app: Headless;
  browser: Browser;
  page: Page;
  /** Console errors and CSP violations seen so far. */
  errors: string[];
  dataDir: string;
  close(): Promise<void>;
}

/**
 * The app as a person opens it: headless mode on a fresh data folder (optionally
 * prepared first, e.g. seeded users), then Chromium on the printed openUrl.
 */
export async function openApp(
  opts: {
    prepare?: (dataDir: string) => Promise<void>;
    /** Runs before the page opens (e.g. routes that intercept the API). */
    beforeOpen?: (page: Page, app: Headless) => Promise<void>;
    viewport?: { width: number; height: number };
    acceptDownloads?: boolean;
  } = {},
): Promise<AppSession> {
  const t = await tempDir();
  await opts.prepare?.(t.dir);
  const app = await startHeadless(['--data-dir', t.dir, '--ingest-host', '127.0.0.1', '--ingest-port', '0', '--admin-port', '0']);
  const browser = await launchChromium();
  const context = await browser.newContext({ viewport: opts.viewport ?? { width: 1360, height: 860 }, acceptDownloads: opts.acceptDownloads });
  const page = await context.newPage();
  const errors = watchConsole(page);
  await opts.beforeOpen?.(page, app);
  await page.goto(app.openUrl);
  return {
    app,
    browser,
    page,
    errors,
    dataDir: t.dir,
    async close() {
      await browser.close();
      await app.stop();
      await t.cleanup();
    },
  };
}
