// The editor's USB field in Chromium against `tessera serve --simulate adl-p`, whose tree has a
// touch panel in port 3-1.1 and a scanner in 3-1.2: a VM gets a port, a second claim of it is
// refused at the field naming the VM that has it, and the Host page lists the devices with
// their owners.
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, requireBuiltRenderer, SCREENSHOT_DIR } from '../support/browser';
import { startServe } from '../support/cli-process';
import { makeTempHome, type TempHome } from '../support/temp-home';
import { EditorPage } from './editor-page';
import { closeUiSession, screenshotOnFailure, type UiSession } from './ui-session';

let home: TempHome | undefined;
let session: Partial<UiSession> = {};
let page: UiSession['browser']['page'];
let editor: EditorPage;

beforeAll(async () => {
  requireBuiltRenderer();
  home = makeTempHome();
  const serve = await startServe(home.env, ['--simulate', 'adl-p']);
  const browser = await launchBrowser();
  session = { home, serve, origin: new URL(serve.url).origin, browser };
  page = browser.page;
  editor = new EditorPage(page);
  await page.goto(serve.url);
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
