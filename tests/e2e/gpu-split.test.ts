/**
 * The GPU page on `tessera serve --simulate adl-p`: a new user goes from no VFs to seven
 * fair-share VFs on vfio-pci and back, reviewing each change before one click applies it.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { GpuInventory } from '../../src/shared/gpu-inventory';
import { runCli } from '../support/cli-process';
import { requireBuiltRenderer, screenshotWholePage, docsScreenshotPath } from '../support/browser';
import { makeTempHome, type TempHome } from '../support/temp-home';
import { GpuSplitPage } from './gpu-split-page';
import { closeUiSession, openUiSession, screenshotOnFailure, type UiSession } from './ui-session';

const PF = '0000:00:02.0';

let home: TempHome;
let session: Partial<UiSession> = {};
let browser: UiSession['browser'];
let ui: GpuSplitPage;

beforeAll(async () => {
  requireBuiltRenderer();
  home = makeTempHome('tessera-gpusplit-');
  session = await openUiSession(home, ['--simulate', 'adl-p']);
  browser = (session as UiSession).browser;
  ui = new GpuSplitPage(browser.page, PF);
  await ui.open();
});

afterEach((context) => screenshotOnFailure(session, 'gpu-split', context.task));

afterAll(() => closeUiSession(session, home));

/** What the backend sees, through the CLI beside the page: the host the user changed. */
async function vfDrivers(): Promise<(string | null)[]> {
  const result = await runCli(['gpu', 'list', '--json'], home.env);
  return (JSON.parse(result.stdout) as GpuInventory).gpus[0]?.vfs.map((v) => v.driver) ?? [];
}

describe('splitting the GPU from the GPU page', () => {
  it('starts from no VFs', async () => {
    await ui.setCount(0);
    await ui.reviewButton().click();
    expect(await ui.changes()).toEqual([[PF, 'VFs', '2', '0']]);
    await ui.applyReview();
    await ui.fn('0000:00:02.1').waitFor({ state: 'detached' });
    expect(await vfDrivers()).toEqual([]);
  });

  it('seven fair-share VFs on vfio-pci: bars, the reviewed diff, one click', async () => {
    await ui.setCount(7);
    await ui.page.getByTestId(`bind-${PF}-vfio-pci`).check();
    await ui.page.getByTestId(`preset-${PF}-fair`).click();
    expect(await ui.barLabel('ggtt')).toBe(
      'GGTT: VF1 512 MiB, VF2 512 MiB, VF3 512 MiB, VF4 512 MiB, VF5 512 MiB, VF6 512 MiB, VF7 512 MiB; 0 MiB free',
    );
    // Editing one share past what there is says so and blocks the review.
    await ui.share(3, 'doorbellsQuota').fill('40');
    expect(await ui.page.getByTestId(`bar-${PF}-doorbells-problem`).textContent()).toBe(
      'Doorbells: the shares add up to 232, 8 more than there is',
    );
    expect(await ui.reviewButton().isDisabled()).toBe(true);
    await ui.share(3, 'doorbellsQuota').fill('32');
    await ui.page.getByTestId(`preset-${PF}-video-60fps`).click();
    expect(await ui.share(7, 'execQuantumMs').inputValue()).toBe('2');
    await ui.reviewButton().click();
    const changes = await ui.changes();
    expect(changes[0]).toEqual([PF, 'VFs', '0', '7']);
    expect(changes).toContainEqual(['VF4 0000:00:02.4', 'ggtt_quota', '0', '512 MiB (536870912)']);
    expect(changes).toContainEqual(['VF7 0000:00:02.7', 'exec_quantum_ms', '0', '2']);
    expect(changes.at(-1)).toEqual(['VF7 0000:00:02.7', 'driver', '—', 'vfio-pci']);
    await screenshotWholePage(ui.page, docsScreenshotPath('gpu-split-review.png'));
    await ui.applyReview();
    await ui.fn('0000:00:02.7').waitFor();
    expect(await ui.fn('0000:00:02.7').getAttribute('aria-label')).toBe('VF7 0000:00:02.7, vfio-pci, free');
    expect(await vfDrivers()).toEqual(Array(7).fill('vfio-pci'));
    expect(await ui.page.getByTestId('gpu-log').locator('li').first().textContent()).toMatch(
      /^applied .* by \S+ from the GPU page.*: 7 VFs, on vfio-pci \(43 changes\)$/,
    );
    await screenshotWholePage(ui.page, docsScreenshotPath('gpu-split-7-vfs.png'));
  });

  it('a change made elsewhere shows at once; a whole-GPU passthrough is reviewed like any change', async () => {
    expect((await runCli(['gpu', 'bind', '0000:00:02.7', 'host'], home.env)).code).toBe(0);
    await expect
      .poll(() => ui.fn('0000:00:02.7').getAttribute('aria-label'))
      .toBe('VF7 0000:00:02.7, i915, free');
    await ui.page
      .getByTestId('gpu-log')
      .locator('li')
      .first()
      .filter({ hasText: 'from the command line' })
      .waitFor();
    await ui.page.getByText('Give the whole GPU to one VM').click();
    expect(await ui.page.getByTestId(`passthrough-${PF}`).isDisabled()).toBe(true);
    await ui.page.getByText('I understand the host loses this GPU').click();
    await ui.page.getByTestId(`passthrough-${PF}`).click();
    const changes = await ui.changes();
    expect(changes[0]).toEqual([PF, 'VFs', '7', '0']);
    expect(changes.at(-1)).toEqual([PF, 'driver', 'i915', 'vfio-pci']);
    await ui.page.getByRole('button', { name: 'Cancel' }).click();
  });

  it('and back to no VFs', async () => {
    await ui.setCount(0);
    await ui.reviewButton().click();
    await ui.applyReview();
    await ui.fn('0000:00:02.1').waitFor({ state: 'detached' });
    expect(await vfDrivers()).toEqual([]);
    expect(await ui.page.getByTestId(`gpu-${PF}`).getAttribute('aria-label')).toBe(
      'Alder Lake-P 0000:00:02.0, i915, 0 of 7 VFs',
    );
  });
});
