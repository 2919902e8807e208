import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { REPO_ROOT } from './temp-home';

export const CHROMIUM = process.env.TESSERA_CHROMIUM ?? '/usr/bin/chromium';

/** Debian's Chromium with a fresh profile; the flags keep it off the (closed) network. */
export async function launchBrowser(): Promise<{
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}> {
  if (!fs.existsSync(CHROMIUM))
    throw new Error(`no Chromium at ${CHROMIUM}: install the Debian package chromium`);
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    async close() {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Screenshots worth keeping (failures, docs) go here; CI can collect the folder. */
export const SCREENSHOT_DIR = path.join(REPO_ROOT, 'test-results', 'screenshots');

/** Keep a screenshot of the page, named for the test, when that test failed. */
export async function screenshotOnFailure(
  page: Page,
  task: { name: string; result?: { state?: string } | undefined },
): Promise<void> {
  if (task.result?.state !== 'fail') return;
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${task.name.replace(/\W+/g, '-')}.png`) });
}

export function requireBuiltRenderer(): void {
  if (!fs.existsSync(path.join(REPO_ROOT, 'out', 'renderer', 'index.html'))) {
    throw new Error('out/renderer is missing: run `npm run build` first (npm test does)');
  }
}

/**
 * The whole page in one picture for docs/: the page scrolls inside `.page`, so the viewport is made
 * as tall as its content for the shot and put back afterwards.
 */
export async function screenshotWholePage(page: Page, file: string): Promise<void> {
  const before = page.viewportSize();
  // A string, because the tests compile without the DOM's types.
  const height = await page.evaluate<number>(
    `(() => { const s = document.querySelector('.page'); return Math.ceil(s ? s.getBoundingClientRect().top + s.scrollHeight : document.body.scrollHeight); })()`,
  );
  await page.setViewportSize({ width: before?.width ?? 1280, height: Math.max(height, before?.height ?? 0) });
  try {
    await page.screenshot({ path: file });
  } finally {
    if (before) await page.setViewportSize(before);
  }
}

/**
 * Where a test keeps a picture meant for docs/: there only when TESSERA_DOCS_SCREENSHOTS=1 (a
 * deliberate refresh), otherwise beside the other test screenshots, so a test run never edits
 * the repository.
 */
export function docsScreenshotPath(name: string): string {
  const dir = process.env['TESSERA_DOCS_SCREENSHOTS'] === '1' ? path.join(REPO_ROOT, 'docs') : SCREENSHOT_DIR;
  fs.mkdirSync(dir, { recursive: true });
  return path.join(dir, name);
}
