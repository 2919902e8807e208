/**
 * What a new user meets first (issue 19, points 3 and 7) on `tessera serve --simulate adl-p` at
 * 1280×800: the header stays one row with its seven views and says "Theme" beside its selector
 * (screenshots in both themes); a missing kernel is said once, at its field; a VM with nothing to
 * boot is called so in the editor before saving, on its card and its console page, and its Shut
 * down offers Force off (asked first) instead of an ACPI request nothing answers for 60 s.
 */
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { SCREENSHOT_DIR } from '../support/browser';
import { GUEST_WAIT_MS } from '../support/patience';
import { EditorPage } from './editor-page';
import { GalleryPage } from './gallery-page';
import { uiSessionPerFile, type UiSession } from './ui-session';

const session = uiSessionPerFile('header-and-boot', { serveArgs: ['--simulate', 'adl-p'] });
let page: UiSession['browser']['page'];
let editor: EditorPage;
let gallery: GalleryPage;

beforeAll(async () => {
  page = session.browser?.page ?? (undefined as never);
  await page.setViewportSize({ width: 1280, height: 800 });
  editor = new EditorPage(page);
  gallery = new GalleryPage(page);
});

interface HeaderLayout {
  /** The header's height inside its padding, and its tallest item's. */
  contentHeight: number;
  tallestItem: number;
  /** Every item shares a horizontal band: the lowest top lies above the highest bottom. */
  lowestTop: number;
  highestBottom: number;
  overflowing: string[];
}

// A string: the tests compile without the DOM's types.
const MEASURE_HEADER = `(() => {
  const header = document.querySelector('.app-header');
  const style = getComputedStyle(header);
  const items = [...header.children].map((c) => c.getBoundingClientRect()).filter((r) => r.width > 0);
  const overflowing = [header, ...header.querySelectorAll('*')]
    .filter((e) => e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflow !== 'visible')
    .map((e) => e.className || e.tagName);
  if (header.scrollWidth > header.clientWidth) overflowing.push('the header itself');
  return {
    contentHeight: header.clientHeight - parseFloat(style.paddingTop) - parseFloat(style.paddingBottom),
    tallestItem: Math.max(...items.map((r) => r.height)),
    lowestTop: Math.max(...items.map((r) => r.top)),
    highestBottom: Math.min(...items.map((r) => r.bottom)),
    overflowing,
  };
})()`;

describe('a new user’s first steps at 1280×800', () => {
  it.each(['light', 'dark'] as const)(
    'keeps the header one row, nothing cut, with a visible Theme label (%s)',
    async (theme) => {
      await page.getByTestId('simulated-host-badge').waitFor();
      await page.getByTestId('host-info').waitFor();
      await page.getByTestId('theme').selectOption(theme);
      const layout = await page.evaluate<HeaderLayout>(MEASURE_HEADER);
      // One flex line: the header is exactly as tall as its tallest item, and all items overlap.
      expect(Math.abs(layout.contentHeight - layout.tallestItem)).toBeLessThan(1);
      expect(layout.lowestTop).toBeLessThan(layout.highestBottom);
      expect(layout.overflowing).toEqual([]);
      // The label's own words take room beside the select (a screen-reader-only label takes none).
      const label = await page.locator('.app-header label', { has: page.getByTestId('theme') }).boundingBox();
      const select = await page.getByTestId('theme').boundingBox();
      expect(await page.getByLabel('Theme').getAttribute('data-testid')).toBe('theme');
      expect((label?.width ?? 0) - (select?.width ?? 0)).toBeGreaterThan(20);
      await page.screenshot({
        path: path.join(SCREENSHOT_DIR, `header-1280-${theme}.png`),
        clip: { x: 0, y: 0, width: 1280, height: 120 },
      });
    },
  );

  it('says a missing kernel once, at its field', async () => {
    await page.getByTestId('theme').selectOption('light');
    await page.getByTestId('new-vm').click();
    await page.getByTestId('vm-editor').waitFor();
    await editor.field('name').fill('no-kernel');
    await editor.field('memoryMiB').fill('64');
    const missing = path.join(session.home?.root ?? '/', 'no-such-kernel');
    await editor.field('kernel.path').fill(missing);
    await expect(editor.pathCheck('kernel.path').textContent()).resolves.toMatch(/No such file/);
    await editor.save();
    await editor.error('kernel.path').waitFor();
    await expect(editor.error('kernel.path').textContent()).resolves.toContain(missing);
    const field = page.locator('.field', { has: editor.field('kernel.path') });
    await expect(field.locator('.field-error, .path-check').count()).resolves.toBe(1);
    await page.getByRole('link', { name: 'Cancel' }).click();
    await page.getByTestId('vm-list-empty').waitFor();
  });

  it(
    'calls a VM with nothing to boot so before saving, on its card and console page, and forces it off when asked to shut down',
    { timeout: 3 * GUEST_WAIT_MS },
    async () => {
      await page.getByTestId('new-vm').click();
      await page.getByTestId('vm-editor').waitFor();
      await editor.field('name').fill('empty');
      await editor.field('memoryMiB').fill('64');
      const warning = page.getByTestId('editor-no-boot');
      await expect(warning.textContent()).resolves.toMatch(/No bootable device/);
      // Derived from what the form holds: a CD-ROM image is something to boot; taken out, the warning is back.
      await editor.field('cdrom').fill('/some/installer.iso');
      await warning.waitFor({ state: 'detached' });
      await editor.field('cdrom').fill('');
      await warning.waitFor();
      await warning.scrollIntoViewIfNeeded();
      await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'no-boot-editor.png') });
      // Saving stays allowed: an empty VM is a choice, made knowingly.
      await editor.save();
      await gallery.card('empty').waitFor();
      await expect(page.getByTestId('vm-empty-no-boot').textContent()).resolves.toMatch(/No bootable device/);
      await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'no-boot-card.png') });

      await gallery.start('empty');
      await gallery.waitForState('empty', 'running', GUEST_WAIT_MS);
      await page.getByTestId('vm-empty-console').click();
      await expect(page.getByTestId('console-no-boot').textContent()).resolves.toMatch(/No bootable device/);
      await page.getByTestId('vm-empty-stop').click();
      const dialog = page.getByTestId('vm-empty-stop-dialog');
      await expect(dialog.textContent()).resolves.toMatch(/nothing to boot.*would wait 60 s/);
      await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'no-boot-stop-dialog.png') });
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      await gallery.waitForState('empty', 'running');
      await page.getByTestId('vm-empty-stop').click();
      await dialog.getByTestId('vm-empty-stop-dialog-confirm').click();
      await gallery.waitForState('empty', 'stopped', GUEST_WAIT_MS);
    },
  );
});
