/**
 * Less repetition and fewer hazards for four VMs (issue 19, point 7) on `tessera serve`: a VM is
 * duplicated from its card with its kernel, initrd and arguments (not its disks or forwards), the
 * wall starts every VM it shows at once, and Force off asks first.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { requireBuiltRenderer } from '../support/browser';
import { buildTinyGuest, type TinyGuest } from '../support/tiny-guest';
import { TINY_GUEST_DIR, makeTempHome, type TempHome } from '../support/temp-home';
import { GUEST_WAIT_MS } from '../support/patience';
import { GalleryPage } from './gallery-page';
import {
  closeUiSession,
  createTinyVm,
  openUiSession,
  screenshotOnFailure,
  type UiSession,
} from './ui-session';
import { freeTcpPort } from '../support/free-port';

let home: TempHome | undefined;
let guest: TinyGuest;
let session: Partial<UiSession> = {};
let gallery: GalleryPage;

beforeAll(async () => {
  requireBuiltRenderer();
  guest = buildTinyGuest(TINY_GUEST_DIR);
  home = makeTempHome('tessera-repeat-');
  await createTinyVm(home, guest, 'booth-1', { extra: ['--forward', `${await freeTcpPort()}:22`] });
  session = await openUiSession(home);
  gallery = new GalleryPage(session.browser?.page ?? (undefined as never));
});

afterEach((context) => screenshotOnFailure(session, 'repetition', context.task));
afterAll(() => closeUiSession(session, home));

const page = () => session.browser?.page ?? (undefined as never);

describe('four similar VMs', () => {
  it('duplicates a VM with its boot settings, without what two VMs cannot share', async () => {
    await gallery.card('booth-1').waitFor();
    await page().getByTestId('vm-booth-1-duplicate').click();
    await expect(page().locator('#editor-title').textContent()).resolves.toBe('New VM like booth-1');
    await expect(page().locator('#field-name').inputValue()).resolves.toBe('booth-2');
    await expect(page().locator('#field-kernel-path').inputValue()).resolves.toBe(guest.kernel);
    await expect(page().locator('#field-kernel-initrd').inputValue()).resolves.toBe(guest.initrd);
    await expect(page().getByTestId('editor-duplicate-note').textContent()).resolves.toMatch(
      /port forwards .* are not copied/,
    );
    await page().getByTestId('editor-save').click();
    await gallery.card('booth-2').waitFor();
  });

  it('starts every VM on the wall at once', async () => {
    await page().getByTestId('nav-wall').click();
    await page().getByTestId('wall-choose').click();
    for (const name of ['booth-1', 'booth-2'])
      await page().getByTestId('wall-picker').getByLabel(name).check();
    await page().getByTestId('wall-picker-save').click();
    await page().getByTestId('wall-start-all').click();
    for (const name of ['booth-1', 'booth-2'])
      await page()
        .getByTestId(`vm-wall-${name}-state`)
        .filter({ hasText: /running/i })
        .waitFor({ timeout: GUEST_WAIT_MS });
    await expect(page().getByTestId('wall-hint').textContent()).resolves.toContain('Alt+1…Alt+2');
  });

  it('asks before forcing a VM off, and a cancel leaves it running', async () => {
    await page().getByTestId('nav-gallery').click();
    await page().getByTestId('vm-booth-2-kill').click();
    await page().getByTestId('vm-booth-2-kill-dialog').getByRole('button', { name: 'Cancel' }).click();
    await gallery.waitForState('booth-2', 'running');
    await page().getByTestId('vm-booth-2-kill').click();
    await page().getByTestId('vm-booth-2-kill-dialog-confirm').click();
    await gallery.waitForState('booth-2', 'stopped', GUEST_WAIT_MS);
    await page().getByTestId('vm-booth-1-kill').click();
    await page().getByTestId('vm-booth-1-kill-dialog-confirm').click();
    await gallery.waitForState('booth-1', 'stopped', GUEST_WAIT_MS);
  });
});
