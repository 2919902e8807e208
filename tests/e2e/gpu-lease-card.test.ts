// A VF guest on `tessera serve --simulate adl-p`, started from the gallery: its card and its
// console say which VF it holds and that a virtual GPU runs in its place, and the VF is free
// again once it stops.
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { SCREENSHOT_DIR } from '../support/browser';
import { runCli } from '../support/cli-process';
import { buildTinyGuest } from '../support/tiny-guest';
import { TINY_GUEST_DIR } from '../support/temp-home';
import { GalleryPage } from './gallery-page';
import { HostGpuPages } from './host-gpu-pages';
import { createTinyVm, uiSessionPerFile } from './ui-session';

const session = uiSessionPerFile('gpu-lease-card', {
  serveArgs: ['--simulate', 'adl-p'],
  async prepare(home) {
    const guest = buildTinyGuest(TINY_GUEST_DIR);
    await createTinyVm(home, guest, 'vf-guest', { extra: ['--gpu', 'vf:00:02.0', '--simulate', 'adl-p'] });
  },
});
let gallery: GalleryPage;

beforeAll(() => {
  gallery = new GalleryPage(session.browser?.page ?? (undefined as never));
});

const usedBy = async () => {
  const listed = await runCli(['gpu', 'list', '--json', '--simulate', 'adl-p'], session.home?.env ?? {});
  const inventory = JSON.parse(listed.stdout) as {
    gpus: { vfs: { address: string; usedBy: string | null }[] }[];
  };
  return Object.fromEntries(inventory.gpus[0]?.vfs.map((v) => [v.address, v.usedBy]) ?? []);
};

describe('a VF guest on a simulated host', () => {
  it('shows the VF it holds and "simulated GPU" on its card and console, and frees it at stop', async () => {
    const page = session.browser?.page;
    if (!page) throw new Error('no browser');
    await gallery.card('vf-guest').waitFor();
    await gallery.start('vf-guest');
    await gallery.waitForState('vf-guest', 'running');
    const lease = page.getByTestId('vm-vf-guest-gpu-lease');
    await expect(lease.textContent()).resolves.toBe(
      'VF 0000:00:02.1 (simulated GPU: QEMU runs a virtual GPU in its place)',
    );
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'gpu-lease-card.png') });
    await expect(usedBy()).resolves.toEqual({ '0000:00:02.1': 'vf-guest', '0000:00:02.2': null });
    await gallery.openConsole('vf-guest');
    await expect(page.getByTestId('console-gpu-lease').textContent()).resolves.toMatch(
      /^VF 0000:00:02.1 \(simulated GPU/,
    );
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'gpu-lease-console.png') });
    await page.getByTestId('vm-vf-guest-kill').click();
    await page.getByTestId('vm-vf-guest-kill-dialog-confirm').click();
    await page.getByTestId('console-gpu-lease').waitFor({ state: 'detached' });
    await expect(usedBy()).resolves.toEqual({ '0000:00:02.1': null, '0000:00:02.2': null });
  });

  it('an open GPU page follows a VM started and stopped from the CLI, without "Read again"', async () => {
    const page = session.browser?.page;
    const home = session.home;
    if (!page || !home) throw new Error('no browser');
    const pages = new HostGpuPages(page);
    await pages.openGpu();
    await page.getByTestId('gpu-no-vm').waitFor();
    // The CLI talks to the backend `serve` runs: the page hears of it only through events.
    await expect(runCli(['vm', 'start', 'vf-guest'], home.env)).resolves.toMatchObject({ code: 0 });
    await page.getByTestId('gpu-vm-vf-guest').waitFor({ timeout: 10_000 });
    await pages.fn('0000:00:02.1').click();
    await expect(pages.details().textContent()).resolves.toContain('Used byvf-guest');
    await expect(runCli(['vm', 'kill', 'vf-guest'], home.env)).resolves.toMatchObject({ code: 0 });
    await page.getByTestId('gpu-vm-vf-guest').waitFor({ state: 'detached', timeout: 10_000 });
    await page.getByTestId('gpu-no-vm').waitFor();
    await expect(pages.details().textContent()).resolves.toContain('Used byno VM');
  });
});
