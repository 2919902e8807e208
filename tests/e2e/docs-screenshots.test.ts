import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { GUEST_READY_MARKER, buildTinyGuest } from '../support/tiny-guest';
import { REPO_ROOT, TINY_GUEST_DIR, makeTempHome, type TempHome } from '../support/temp-home';
import { runCli } from '../support/cli-process';
import { requireBuiltRenderer } from '../support/browser';
import { waitForTextInFile } from '../../src/main/fsutil/wait-for-text';
import { ConsolePage } from './console-page';
import { GalleryPage } from './gallery-page';
import { WallPage } from './wall-page';
import { closeUiSession, createTinyVm, openUiSession, type UiSession } from './ui-session';

/**
 * The screenshots in docs/, taken from a real backend with tiny guests. Not part of the normal
 * run (it rewrites files in the repository): `TESSERA_DOCS_SCREENSHOTS=1 npx vitest run --project
 * e2e tests/e2e/docs-screenshots.test.ts` after `npm run build`.
 */
const OUT = path.join(REPO_ROOT, 'docs', 'screenshots');
const RUNNING = ['build-server', 'demo-booth', 'kiosk-1', 'kiosk-2'];

let home: TempHome | undefined;
let session: Partial<UiSession> = {};
let browser: UiSession['browser'];

async function cli(args: string[]): Promise<void> {
  if (!home) throw new Error('no home yet');
  const result = await runCli(args, home.env);
  expect(result.stderr).toBe('');
}

describe.runIf(process.env['TESSERA_DOCS_SCREENSHOTS'] === '1')('screenshots for docs/', () => {
  beforeAll(async () => {
    requireBuiltRenderer();
    const guest = buildTinyGuest(TINY_GUEST_DIR);
    const created = makeTempHome();
    home = created;
    for (const id of RUNNING) await createTinyVm(created, guest, id);
    const disk = path.join(created.root, 'lab-archive.qcow2');
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', disk, '8G']);
    const lab = ['--cpus', '2', '--disk', disk, '--forward', '2222:22'];
    await createTinyVm(created, guest, 'lab-archive', { memoryMiB: 2048, extra: lab });
    await createTinyVm(created, guest, 'serial-only', { memoryMiB: 128, extra: ['--gpu', 'none'] });
    // A VM that ran once keeps its last frame, shown greyed.
    await cli(['vm', 'start', 'lab-archive', '--wait-serial', GUEST_READY_MARKER]);
    session = await openUiSession(created);
    browser = (session as UiSession).browser;
    await browser.page.setViewportSize({ width: 1440, height: 900 });
    const gallery = new GalleryPage(browser.page);
    await vi.waitFor(
      async () => expect((await gallery.thumbnailStats('lab-archive')).lit).toBeGreaterThan(50),
      {
        timeout: 30_000,
      },
    );
    await cli(['vm', 'kill', 'lab-archive']);
    for (const id of RUNNING) await cli(['vm', 'start', id]);
    for (const id of RUNNING) {
      await waitForTextInFile(path.join(created.paths.runtimeDir, id, 'serial.log'), GUEST_READY_MARKER, {
        timeoutMs: 60_000,
      });
    }
    fs.mkdirSync(OUT, { recursive: true });
  });

  afterAll(() => closeUiSession(session, home));

  for (const scheme of ['light', 'dark'] as const) {
    it(`takes every view in the ${scheme} theme`, async () => {
      const { page } = browser;
      const gallery = new GalleryPage(page);
      await page.emulateMedia({ colorScheme: scheme });

      await page.goto(`${(session as UiSession).origin}/#/`);
      for (const id of RUNNING) {
        await vi.waitFor(async () => expect((await gallery.thumbnailStats(id)).lit).toBeGreaterThan(50), {
          timeout: 30_000,
        });
      }
      await page.screenshot({ path: path.join(OUT, `gallery-${scheme}.png`) });

      await page.goto(`${(session as UiSession).origin}/#/vm/lab-archive/edit`);
      await page.getByTestId('field-disks-0-path-check').waitFor();
      await page.getByTestId('field-memoryMiB').fill('32');
      await page.getByTestId('field-cpus').click(); // leaving the field shows its error
      await page.screenshot({ path: path.join(OUT, `editor-${scheme}.png`) });

      const consoles = new ConsolePage(page);
      await page.goto(`${(session as UiSession).origin}/#/vm/kiosk-1/console`);
      await consoles.waitForScreen();
      await page.screenshot({ path: path.join(OUT, `console-${scheme}.png`) });
      await consoles.tab('serial').click();
      // Typed once: the dark pass replays the same scrollback.
      if (scheme === 'light') await consoles.typeInSerial('uname -a; free -m\n');
      await page.waitForTimeout(1000);
      await page.screenshot({ path: path.join(OUT, `serial-${scheme}.png`) });

      const wall = new WallPage(page);
      await page.goto(`${(session as UiSession).origin}/#/wall`);
      for (const id of RUNNING) await wall.waitForLive(id);
      await page.keyboard.press('Alt+3');
      await page.waitForTimeout(500);
      await page.screenshot({ path: path.join(OUT, `wall-${scheme}.png`) });
    });
  }
});
