import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { requireBuiltRenderer, screenshotWholePage, docsScreenshotPath } from '../support/browser';
import { makeTempHome, type TempHome } from '../support/temp-home';
import { HostGpuPages } from './host-gpu-pages';
import { closeUiSession, openUiSession, screenshotOnFailure, type UiSession } from './ui-session';

let home: TempHome;
let session: Partial<UiSession> = {};
let browser: UiSession['browser'];
let ui: HostGpuPages;

beforeAll(async () => {
  requireBuiltRenderer();
  home = makeTempHome('tessera-hostui-');
  session = await openUiSession(home, ['--simulate', 'adl-p']);
  browser = (session as UiSession).browser;
  await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], {
    origin: (session as UiSession).origin,
  });
  ui = new HostGpuPages(browser.page);
});

afterEach((context) => screenshotOnFailure(session, 'host-gpu-pages', context.task));

afterAll(() => closeUiSession(session, home));

describe('Host and GPU pages on tessera serve --simulate adl-p', () => {
  it('labels the simulated host on every page', async () => {
    await ui.badge().waitFor();
    expect(await ui.badge().textContent()).toBe('Simulated host: adl-p-i915-sriov');
    await ui.openGpu();
    expect(await ui.badge().isVisible()).toBe(true);
    expect(await browser.page.locator('.tag-simulated').first().textContent()).toBe('simulated');
  });

  it('the Host page shows the checklist, the verdict, and fixes that copy', async () => {
    await ui.openHost();
    expect(await browser.page.getByTestId('doctor-verdict').textContent()).toBe(
      'Ready: Alder Lake-P at 0000:00:02.0 can be split into 7 SR-IOV VFs.',
    );
    expect(await ui.checkStatus('sriov')).toBe('pass');
    expect(await ui.checkStatus('guc')).toBe('pass');
    expect(await ui.checkStatus('autoprobe')).toBe('warn');
    expect(await ui.check('gvt').getByText('N/A').count()).toBe(1);
    await ui.copyButton('autoprobe', 0).click();
    await ui.copyButton('autoprobe', 0).filter({ hasText: 'Copied' }).waitFor();
    expect(await browser.page.evaluate('navigator.clipboard.readText()')).toBe(
      'echo 0 | sudo tee /sys/bus/pci/devices/0000:00:02.0/sriov_drivers_autoprobe',
    );
    await screenshotWholePage(browser.page, docsScreenshotPath('host-page.png'));
  });

  it('the GPU page draws PF → VFs, and the keyboard selects a function to show its details', async () => {
    await ui.openGpu();
    await ui.fn('0000:00:02.0').waitFor();
    expect(await ui.details().locator('h3').textContent()).toBe('Alder Lake-P physical function');
    expect(await ui.fn('0000:00:02.1').getAttribute('aria-label')).toBe('VF1 0000:00:02.1, vfio-pci, free');
    expect(await browser.page.getByTestId('gpu-no-vm').isVisible()).toBe(true);

    await ui.fn('0000:00:02.0').focus();
    await browser.page.keyboard.press('Tab');
    await browser.page.keyboard.press('Tab');
    await browser.page.keyboard.press('Enter');
    expect(await ui.fn('0000:00:02.2').getAttribute('aria-pressed')).toBe('true');
    expect(await ui.details().locator('h3').textContent()).toBe('VF2 virtual function of 0000:00:02.0');
    expect(await ui.details().textContent()).toContain('i915');

    await ui.fn('0000:00:02.1').click();
    expect(await ui.details().textContent()).toContain('1.75 GiB (1879048192)');
    await screenshotWholePage(browser.page, docsScreenshotPath('gpu-page.png'));
  });

  it('the VM list still works behind its tab', async () => {
    await browser.page.getByTestId('nav-gallery').click();
    await browser.page.getByText('No VMs yet', { exact: false }).first().waitFor();
  });
});
