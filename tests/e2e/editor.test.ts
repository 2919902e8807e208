import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildTinyGuest, type TinyGuest } from '../support/tiny-guest';
import { TINY_GUEST_DIR, makeTempHome, type TempHome } from '../support/temp-home';
import { runCli } from '../support/cli-process';
import { requireBuiltRenderer } from '../support/browser';
import { EditorPage } from './editor-page';
import { GalleryPage } from './gallery-page';
import { closeUiSession, openUiSession, screenshotOnFailure, type UiSession } from './ui-session';

let home: TempHome | undefined;
let session: Partial<UiSession> = {};
let guest: TinyGuest;
let browser: UiSession['browser'];
let gallery: GalleryPage;
let editor: EditorPage;
let disks: string;

beforeAll(async () => {
  requireBuiltRenderer();
  guest = buildTinyGuest(TINY_GUEST_DIR);
  home = makeTempHome();
  disks = path.join(home.root, 'disks');
  fs.mkdirSync(disks);
  session = await openUiSession(home);
  browser = (session as UiSession).browser;
  gallery = new GalleryPage(browser.page);
  editor = new EditorPage(browser.page);
});

afterEach((context) => screenshotOnFailure(session, 'editor', context.task));

afterAll(() => closeUiSession(session, home));

describe('the VM editor in Chromium', () => {
  it('leads from the empty gallery to the editor', async () => {
    await browser.page.getByTestId('vm-list-empty').waitFor();
    await browser.page.getByTestId('empty-create-vm').click();
    await browser.page.getByTestId('vm-editor').waitFor();
  });

  it("shows the contract's own messages under the fields that are wrong", async () => {
    await editor.field('memoryMiB').fill('32');
    await editor.save();
    await expect(editor.error('name').textContent()).resolves.toMatch(/VM name is 1 to 48 letters/);
    await expect(editor.error('memoryMiB').textContent()).resolves.toBe('memory must be at least 64 MiB');
    await expect(editor.field('name').evaluate((e) => e === e.ownerDocument.activeElement)).resolves.toBe(
      true,
    );
  });

  it('checks typed paths on the host, and places the backend’s BAD_INPUT at its field', async () => {
    await editor.field('name').fill('web');
    await editor.field('memoryMiB').fill('192');
    const missing = path.join(disks, 'no-such-kernel');
    await editor.field('kernel.path').fill(missing);
    await expect(editor.pathCheck('kernel.path').textContent()).resolves.toMatch(/No such file/);
    // The schema cannot know the file is missing; the backend's preflight says so, at the kernel field.
    await editor.save();
    await editor.error('kernel.path').waitFor();
    await expect(editor.error('kernel.path').textContent()).resolves.toContain(missing);
    await editor.field('kernel.path').fill(guest.kernel);
    await expect(editor.pathCheck('kernel.path').textContent()).resolves.toMatch(/Found/);
  });

  it('creates a new disk with qemu-img and adds it to the VM', async () => {
    const disk = path.join(disks, 'web-1.qcow2');
    await editor.createDisk(disk, 1);
    await expect(editor.field('disks.0.path').inputValue()).resolves.toBe(disk);
    expect(fs.existsSync(disk)).toBe(true);
  });

  it('creates the VM, which then shows in the gallery and in the CLI', async () => {
    await editor.field('kernel.initrd').fill(guest.initrd);
    await editor.field('kernel.append').fill(guest.append);
    await editor.save();
    await gallery.card('web').waitFor();
    const listed = JSON.parse(
      (await runCli(['vm', 'list', '--json'], (session as UiSession).home.env)).stdout,
    ) as {
      vms: { id: string; spec: { memoryMiB: number; disks: { path: string }[] } }[];
    };
    expect(listed.vms).toEqual([
      expect.objectContaining({
        id: 'web',
        spec: expect.objectContaining({
          memoryMiB: 192,
          disks: [expect.objectContaining({ format: 'qcow2' })],
        }),
      }),
    ]);
  });

  it('edits a stopped VM and deletes it after a confirmation', async () => {
    await browser.page.getByTestId('vm-web-edit').click();
    await expect(editor.field('name').inputValue()).resolves.toBe('web');
    await editor.field('memoryMiB').fill('256');
    await editor.save();
    await gallery.card('web').filter({ hasText: '256 MiB' }).waitFor();

    await browser.page.getByTestId('vm-web-delete').click();
    const dialog = browser.page.getByTestId('vm-web-delete-dialog');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(gallery.card('web').count()).resolves.toBe(1);
    await browser.page.getByTestId('vm-web-delete').click();
    await dialog.getByTestId('vm-web-delete-dialog-confirm').click();
    await browser.page.getByTestId('vm-list-empty').waitFor();
  });
});
