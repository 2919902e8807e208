// The editor's USB field in Chromium against `tessera serve --simulate adl-p`, whose tree has a
// touch panel in port 3-1.1 and a scanner in 3-1.2: a VM gets a port, a second claim of it is
// refused at the field naming the VM that has it, and the Host page lists the devices with
// their owners; a running VM's console header plugs its device out and in again.
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { requireBuiltRenderer, SCREENSHOT_DIR } from '../support/browser';
import { runCli } from '../support/cli-process';
import { makeTempHome, TINY_GUEST_DIR, type TempHome } from '../support/temp-home';
import { buildTinyGuest } from '../support/tiny-guest';
import { EditorPage } from './editor-page';
import {
  closeUiSession,
  createTinyVm,
  openUiSession,
  screenshotOnFailure,
  type UiSession,
} from './ui-session';

let home: TempHome | undefined;
let session: Partial<UiSession> = {};
let page: UiSession['browser']['page'];
let editor: EditorPage;

beforeAll(async () => {
  requireBuiltRenderer();
  home = makeTempHome();
  session = await openUiSession(home, ['--simulate', 'adl-p']);
  page = (session as UiSession).browser.page;
  editor = new EditorPage(page);
});

afterEach((context) => screenshotOnFailure(session, 'editor-usb', context.task));

afterAll(() => closeUiSession(session, home));

async function newVm(name: string): Promise<void> {
  await page.getByTestId('new-vm').click();
  await page.getByTestId('vm-editor').waitFor();
  await editor.field('name').fill(name);
}

describe('the USB field on a simulated Alder Lake-P', () => {
  it('gives port 3-1.1 to a VM, saying what is plugged in there', async () => {
    await newVm('seat-a');
    await expect(page.getByTestId('usb-simulated').textContent()).resolves.toMatch(/Simulated host/);
    await page.getByTestId('add-usb').click();
    await editor.field('usb.0').fill('3-1.1');
    await expect(page.locator('#field-usb-0-hint').textContent()).resolves.toBe(
      'Now: ILITEK Multi-Touch-V5100 (222a:0001 at 3-1.1)',
    );
    await editor.save();
    await page.getByTestId('vm-card-seat-a').waitFor();
  });

  it('refuses the same device to a second VM at its field, naming the VM that has it', async () => {
    await newVm('seat-b');
    await page.getByTestId('add-usb').click();
    await editor.field('usb.0').fill('3.1');
    await editor.field('usb.0').blur();
    await expect(editor.error('usb.0').textContent()).resolves.toMatch(/a USB device is a port path/);
    // The touch panel's ids name what is in seat-a's port.
    await editor.field('usb.0').fill('222a:0001');
    await expect(page.locator('#field-usb-0-hint').textContent()).resolves.toBe(
      'Now: ILITEK Multi-Touch-V5100 (222a:0001 at 3-1.1), owned by VM seat-a',
    );
    await editor.save();
    await expect(editor.error('usb.0').textContent()).resolves.toBe(
      "222a:0001 belongs to VM 'seat-a' as 3-1.1: take it out of that VM first, or choose another port",
    );
    await page.getByTestId('add-evdev').click();
    await editor.field('evdev.0').fill('/dev/input/by-id/usb-Honeywell-event-kbd');
    await page
      .getByTestId('usb-section')
      .screenshot({ path: path.join(SCREENSHOT_DIR, 'editor-usb-field.png') });
    await editor.field('usb.0').fill('3-1.2');
    await editor.save();
    await page.getByTestId('vm-card-seat-b').waitFor();
  });

  it('lists the devices on the Host page, a hub’s devices under it, with their VMs', async () => {
    await page.getByTestId('nav-host').click();
    const table = page.getByTestId('usb-devices');
    await table.getByTestId('usb-3-1.4.2').waitFor();
    await expect(table.getByTestId('usb-3-1.1').textContent()).resolves.toMatch(
      /ILITEK Multi-Touch-V5100.*seat-a/,
    );
    await expect(table.getByTestId('usb-3-1.2').textContent()).resolves.toMatch(/serial 17293B0135.*seat-b/);
    await expect(table.getByTestId('usb-3-1.4').textContent()).resolves.toMatch(/Hub: USB2.0 Hub/);
    await table.screenshot({ path: path.join(SCREENSHOT_DIR, 'host-usb-devices.png') });
  });
});

describe("a running VM's USB devices in the console header", () => {
  it('unplugs the receiver and plugs it in again', async () => {
    if (!home) throw new Error('beforeAll did not finish');
    const simulate = ['--simulate', 'adl-p'];
    await createTinyVm(home, buildTinyGuest(TINY_GUEST_DIR), 'seat-t', {
      extra: ['--gpu', 'none', '--usb', '3-1.4.2', ...simulate],
    });
    const started = await runCli(['vm', 'start', 'seat-t', ...simulate], home.env);
    expect(started.stderr).toBe('');
    await page.goto(`${new URL(page.url()).origin}/#/vm/seat-t/console`);
    const usb = page.getByTestId('console-usb');
    await usb.getByTestId('usb-detach-3-1.4.2').waitFor();
    await expect(usb.getByTestId('usb-detach-3-1.4.2').textContent()).resolves.toBe(
      '⏏ 3-1.4.2 (Logitech USB Receiver)',
    );
    await usb.screenshot({ path: path.join(SCREENSHOT_DIR, 'console-usb.png') });
    await usb.getByTestId('usb-detach-3-1.4.2').click();
    await usb.getByTestId('usb-attach-3-1.4.2').click();
    await usb.getByTestId('usb-detach-3-1.4.2').waitFor();
    const shown = await runCli(['vm', 'show', 'seat-t', '--json', ...simulate], home.env);
    expect(JSON.parse(shown.stdout)).toMatchObject({ state: 'running' });
    const listed = JSON.parse((await runCli(['usb', 'list', '--json', ...simulate], home.env)).stdout) as {
      devices: { portPath: string; heldBy: string | null }[];
    };
    expect(listed.devices.find((d) => d.portPath === '3-1.4.2')?.heldBy).toBe('seat-t');
  });
});
