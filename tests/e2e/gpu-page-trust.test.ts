/**
 * The GPU page says what it will do before it does it (issue 19): on `tessera serve --simulate
 * adl-p`, going from 7 fair-share VFs to 3 and back strands no share and keeps the drivers the
 * user left alone, every bind is in the review, a count over the limit and shares over the pool
 * are said at their fields, and the review opens in view; on `iommu-off`, vfio-pci is not offered.
 */
import type { ChildProcess } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { GpuInventory } from '../../src/shared/gpu-inventory';
import { readShares } from '../../src/shared/gpu-shares';
import { runCli, startServe, stopProcess } from '../support/cli-process';
import { launchBrowser, requireBuiltRenderer, screenshotOnFailure, SCREENSHOT_DIR } from '../support/browser';
import { makeTempHome, type TempHome } from '../support/temp-home';
import { GpuSplitPage } from './gpu-split-page';
import path from 'node:path';

const PF = '0000:00:02.0';

let home: TempHome;
let serve: { child: ChildProcess; url: string } | undefined;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let ui: GpuSplitPage;

beforeAll(async () => {
  requireBuiltRenderer();
  home = makeTempHome('tessera-gputrust-');
  browser = await launchBrowser();
  ui = new GpuSplitPage(browser.page, PF);
});

afterEach((context) => screenshotOnFailure(browser.page, context.task));

afterAll(async () => {
  await browser?.close();
  if (serve) await stopProcess(serve.child);
  home.cleanup();
});

async function open(simulate: string): Promise<void> {
  if (serve) await stopProcess(serve.child);
  serve = await startServe(home.env, ['--simulate', simulate]);
  await browser.page.goto(serve.url);
  await ui.open();
}

async function inventory(simulate: string): Promise<GpuInventory> {
  const result = await runCli(['gpu', 'list', '--json', '--simulate', simulate], home.env);
  return JSON.parse(result.stdout) as GpuInventory;
}

/** GGTT free plus every slot's quota: what the GPU has to share, wherever it sits. */
async function ggtt(): Promise<{ whole: number; quotas: number[] }> {
  const gpu = (await inventory('adl-p')).gpus[0];
  const pool = gpu ? readShares(gpu).pools.find((p) => p.key === 'ggtt') : undefined;
  if (!pool) throw new Error('no GGTT pool');
  return { whole: pool.free + pool.quotas.reduce((a, b) => a + b, 0), quotas: pool.quotas };
}

async function layout(count: number, bind: 'vfio-pci' | 'keep'): Promise<string[][]> {
  await ui.setCount(count);
  await ui.page.getByTestId(`bind-${PF}-${bind}`).check();
  await ui.page.getByTestId(`preset-${PF}-fair`).click();
  await ui.reviewButton().click();
  const changes = await ui.changes();
  // The review opens above the editor; it is brought into view.
  await expect
    .poll(() => ui.page.getByTestId(`review-${PF}`).evaluate((e) => e.getBoundingClientRect().top))
    .toBeLessThan((ui.page.viewportSize()?.height ?? 0) / 2);
  await ui.applyReview();
  return changes;
}

describe('the GPU page on a simulated Alder Lake-P', () => {
  it('7 → 3 → 7 fair-share VFs: no stranded share, drivers kept, every bind reviewed', async () => {
    await open('adl-p');
    const { whole } = await ggtt();
    await layout(7, 'vfio-pci');
    const seven = (await ggtt()).quotas;
    const three = await layout(3, 'keep');
    for (const i of [1, 2, 3])
      expect(three).toContainEqual([`VF${i} 0000:00:02.${i}`, 'driver', 'vfio-pci', 'vfio-pci']);
    expect(three).toContainEqual(['VF4 0000:00:02.4', 'ggtt_quota', `512 MiB (${seven[3]})`, '0']);
    expect((await inventory('adl-p')).gpus[0]?.vfs.map((v) => v.driver)).toEqual(Array(3).fill('vfio-pci'));
    const after3 = await ggtt();
    expect(after3.whole).toBe(whole);
    expect(after3.quotas.slice(3)).toEqual([0, 0, 0, 0]);
    // The bars offer all of it again: nothing sits in the removed VFs' slots.
    await ui.setCount(7);
    expect(await ui.page.getByTestId(`bar-${PF}-ggtt`).textContent()).toContain('of 3.50 GiB shared');
    const back = await layout(7, 'keep');
    expect(back).toContainEqual(['VF7 0000:00:02.7', 'driver', '—', 'none']);
    expect((await inventory('adl-p')).gpus[0]?.vfs.map((v) => v.driver)).toEqual([
      ...Array(3).fill('vfio-pci'),
      ...Array(4).fill(null),
    ]);
    expect((await ggtt()).whole).toBe(whole);
  });

  it('says at the field what it did with a count over the limit and with shares over the pool', async () => {
    await ui.setCount(8);
    expect(await ui.page.getByTestId(`vf-count-${PF}`).inputValue()).toBe('7');
    expect(await ui.page.getByTestId(`vf-count-${PF}-note`).textContent()).toBe(
      "This GPU allows at most 7 VFs (its driver's sriov_totalvfs), so 7 it is.",
    );
    await ui.page.getByTestId(`preset-${PF}-fair`).click();
    await ui.share(2, 'ggttQuotaBytes').fill('4000');
    expect(await ui.share(2, 'ggttQuotaBytes').getAttribute('aria-invalid')).toBe('true');
    expect(await ui.share(2, 'contextsQuota').getAttribute('aria-invalid')).toBe('false');
    expect(await ui.reviewButton().isDisabled()).toBe(true);
    expect(await ui.page.getByTestId(`review-${PF}-blocked`).textContent()).toMatch(
      /^Fix the shares first: GGTT: the shares add up to 6.91 GiB, 3.41 GiB more than there is/,
    );
    await browser.page.screenshot({
      path: path.join(SCREENSHOT_DIR, 'gpu-page-field-notes.png'),
      fullPage: true,
    });
    await ui.share(2, 'ggttQuotaBytes').fill('512');
    expect(await ui.reviewButton().isDisabled()).toBe(false);
  });
});

describe('the GPU page with the IOMMU off', () => {
  it('does not offer vfio-pci, and says why before any review', async () => {
    await open('iommu-off');
    expect(await ui.page.getByTestId(`bind-${PF}-vfio-pci`).isDisabled()).toBe(true);
    expect(await ui.page.getByTestId(`bind-${PF}-no-iommu`).textContent()).toMatch(
      /needs the IOMMU, which is off/,
    );
    // The command line is told the same before anything is reviewed.
    const cli = await runCli(
      ['gpu', 'vfs', PF, '7', '--bind', 'vfio', '--dry-run', '--simulate', 'iommu-off'],
      home.env,
    );
    expect(cli.code).not.toBe(0);
    expect(cli.stderr).toMatch(/the IOMMU is off, so vfio-pci cannot take its VFs/);
  });
});
