// Export and import in the browser (issue 13) on `tessera serve --simulate adl-p`: a card's Export
// menu shows the libvirt domain and the KubeVirt manifest with what they cannot express; the
// Import dialog takes the Intel guide's SR-IOV line (with the simulated ADL-P's VF), shows the VM
// and the report, and Create puts the VM in the gallery with that VF. Screenshots are kept.
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { SCREENSHOT_DIR } from '../support/browser';
import { buildTinyGuest } from '../support/tiny-guest';
import { TINY_GUEST_DIR } from '../support/temp-home';
import { GalleryPage } from './gallery-page';
import { createTinyVm, uiSessionPerFile } from './ui-session';

const session = uiSessionPerFile('export-import', {
  serveArgs: ['--simulate', 'adl-p'],
  async prepare(home) {
    const guest = buildTinyGuest(TINY_GUEST_DIR);
    await createTinyVm(home, guest, 'kiosk', { extra: ['--gpu', 'vf:00:02.0', '--simulate', 'adl-p'] });
  },
});
let gallery: GalleryPage;

beforeAll(async () => {
  const page = session.browser?.page ?? (undefined as never);
  gallery = new GalleryPage(page);
  await page.setViewportSize({ width: 1280, height: 900 });
});

/** The guide's line with files that exist (vm.create checks them). */
const guideLine = (dir: string) => `sudo su
qemu-system-x86_64 -enable-kvm -drive file=${dir}/ubuntu.qcow2 -cpu host -smp cores=8 -m 8G \\
  -serial mon:stdio -device vfio-pci,host=00:02.2 \\
  -net nic -net user,hostfwd=tcp::10022-:22 -vnc $HOST_IP:40 -cdrom ${dir}/ubuntu.iso`;

describe('export and import in the gallery', () => {
  it('exports a VF guest as a libvirt domain and a KubeVirt VM, saying what they cannot express', async () => {
    const page = session.browser?.page;
    if (!page) throw new Error('no browser');
    await gallery.card('kiosk').waitFor();
    await page.getByTestId('vm-kiosk-export').click();
    const preview = page.getByTestId('vm-kiosk-export-preview');
    await expect
      .poll(() => preview.textContent(), { timeout: 20_000 })
      .toContain("<hostdev mode='subsystem' type='pci' managed='yes'>");
    await expect(page.getByTestId('vm-kiosk-export-notes').textContent()).resolves.toMatch(
      /any free VF of 0000:00:02.0/,
    );
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'export-libvirt.png') });
    await page.getByTestId('vm-kiosk-export-format').selectOption('kubevirt');
    await expect
      .poll(() => preview.textContent(), { timeout: 20_000 })
      .toContain('deviceName: intel.com/sriov-gpudevice');
    await expect(preview.textContent()).resolves.toContain('kind: KubeVirt');
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'export-kubevirt.png') });
    await page.getByTestId('vm-kiosk-export-dialog').getByRole('button', { name: 'Close' }).click();
  });

  it('imports the guide’s SR-IOV line: the VM with its VF and the report, created on Create', async () => {
    const page = session.browser?.page;
    if (!page) throw new Error('no browser');
    await page.getByTestId('vm-import').click();
    const dir = session.home?.root ?? '';
    fs.writeFileSync(path.join(dir, 'ubuntu.qcow2'), '');
    fs.writeFileSync(path.join(dir, 'ubuntu.iso'), '');
    await page.getByTestId('import-text').fill(guideLine(dir));
    await page.getByTestId('import-name').fill('ubuntu-vf');
    await page.getByTestId('import-preview').click();
    const result = page.getByTestId('import-result');
    await result.waitFor({ timeout: 20_000 });
    await expect(page.getByTestId('import-gpu').textContent()).resolves.toContain('0000:00:02.2');
    const report = await page.getByTestId('import-report').textContent();
    expect(report).toContain('-vnc $HOST_IP:40');
    expect(report).toContain('unresolved');
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'import-guide-line.png') });
    await page.getByTestId('import-create').click();
    await page.getByTestId('import-created').waitFor({ timeout: 20_000 });
    await page.getByTestId('import-dialog').getByRole('button', { name: 'Close' }).click();
    await gallery.card('ubuntu-vf').waitFor({ timeout: 20_000 });
    await expect(page.getByTestId('vm-ubuntu-vf-gpu').textContent()).resolves.toContain('0000:00:02.2');
  });

  it('refuses a line that cannot become a VM, with the option and why', async () => {
    const page = session.browser?.page;
    if (!page) throw new Error('no browser');
    await page.getByTestId('vm-import').click();
    await page.getByTestId('import-text').fill('qemu-system-x86_64 -enable-kvm -hda disk.qcow2');
    await page.getByTestId('import-preview').click();
    await expect
      .poll(() => page.getByTestId('import-error').textContent(), { timeout: 20_000 })
      .toMatch(/-m: .*no memory size/);
    await expect(page.getByTestId('import-create').isDisabled()).resolves.toBe(true);
    await page.getByTestId('import-dialog').getByRole('button', { name: 'Close' }).click();
  });
});
