// Issue 11 in the browser against `tessera serve`: a golden image added on the Images page, a
// VM put on it, a visitor's marker on its disk (typed on its serial console), "Reset to golden"
// on the card asks first because someone typed, and the marker is gone; the card shows the last
// and next reset; "Reset all" resets the booth. The golden image's SHA-256 never changes.
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, requireBuiltRenderer, SCREENSHOT_DIR } from '../support/browser';
import { runCli, startServe } from '../support/cli-process';
import { makeGoldenSource, sha256 } from '../support/golden-source';
import { GUEST_DISK_MOUNT, GUEST_READY_MARKER, buildTinyGuest } from '../support/tiny-guest';
import { TINY_GUEST_DIR, makeTempHome, type TempHome } from '../support/temp-home';
import { GalleryPage } from './gallery-page';
import { ImagesPage } from './images-page';
import { closeUiSession, createTinyVm, screenshotOnFailure, type UiSession } from './ui-session';

let home: TempHome | undefined;
let session: Partial<UiSession> = {};
let source = '';

beforeAll(async () => {
  requireBuiltRenderer();
  const guest = buildTinyGuest(TINY_GUEST_DIR, { virtioDisk: true });
  home = makeTempHome();
  source = makeGoldenSource(home.root, 16);
  await createTinyVm(home, guest, 'kiosk', { memoryMiB: 128 });
  const serve = await startServe(home.env);
  const browser = await launchBrowser();
  session = { home, serve, origin: new URL(serve.url).origin, browser };
  await browser.page.goto(serve.url);
});

afterEach((context) => screenshotOnFailure(session, 'golden-booth', context.task));
afterAll(() => closeUiSession(session, home));

/** Type into the VM's serial console as a visitor would (`tessera vm serial` with piped input). */
async function serial(input: string): Promise<string> {
  const result = await runCli(['vm', 'serial', 'kiosk'], home?.env ?? {}, input);
  return result.stdout;
}

/** Wait until the guest of this run printed its ready marker (the console replays the run's output). */
async function guestReady(): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if ((await serial('')).includes(GUEST_READY_MARKER)) return;
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error('the guest never became ready');
}

const hasMarker = async () =>
  (await serial(`test -e ${GUEST_DISK_MOUNT}/marker && echo M-$((40+2)) || echo M-$((50+5))\n`)).includes(
    'M-42',
  );

describe('the booth in the browser', () => {
  it('adds a golden image, resets a VM someone typed into after asking, and resets all', async () => {
    const page = session.browser?.page;
    if (!page) throw new Error('no browser');
    const images = new ImagesPage(page);
    const gallery = new GalleryPage(page);

    await images.open();
    await images.add(source, 'demo');
    await expect(images.row('demo').textContent()).resolves.toMatch(/v1 \(current\)/);
    await images.bind('kiosk', 'demo');
    await images.schedule('kiosk', 'daily@03:00');
    await page
      .getByTestId('vm-kiosk-next-reset')
      .filter({ hasText: /next reset/ })
      .waitFor();
    await expect(images.row('demo').textContent()).resolves.toContain('kiosk');
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'golden-images-page.png'), fullPage: true });

    await page.getByTestId('nav-gallery').click();
    await gallery.start('kiosk');
    await gallery.waitForState('kiosk', 'running', 60_000);
    await guestReady();
    await serial(`echo visitor > ${GUEST_DISK_MOUNT}/marker; sync\n`);
    await expect(hasMarker()).resolves.toBe(true);
    const golden = JSON.parse((await runCli(['image', 'list', '--json'], home?.env ?? {})).stdout).images[0]
      .versions[0];

    // Someone just typed: the reset asks first.
    await page.getByTestId('vm-kiosk-reset-golden').click();
    const dialog = page.getByTestId('vm-kiosk-reset-golden-dialog');
    await dialog.waitFor();
    await expect(dialog.textContent()).resolves.toMatch(/keyboard or mouse input/);
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'golden-reset-confirm.png') });
    await dialog.getByRole('button', { name: 'Reset to golden' }).click();
    await page
      .getByTestId('vm-kiosk-last-reset')
      .filter({ hasText: /last cold reset/ })
      .waitFor({ timeout: 120_000 });
    await gallery.waitForState('kiosk', 'running', 60_000);
    await guestReady();
    await expect(hasMarker()).resolves.toBe(false);
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'golden-card.png') });

    await images.open();
    await page.getByTestId('booth-reset-all').click();
    await images
      .notice()
      .filter({ hasText: /kiosk was reset cold/ })
      .waitFor({ timeout: 120_000 });
    expect(sha256(golden.path)).toBe(golden.sha256);
  });
});
