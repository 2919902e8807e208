// The editor's GPU and display fields in Chromium against `tessera serve --simulate adl-p`: what
// the simulated Alder Lake-P offers (its PF, its two VFs, no GVT-g), the displays each GPU can
// feed, the host's monitors, what Debian's QEMU does instead of Intel's GTK options, and the
// card of the VM that was made.
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { SCREENSHOT_DIR } from '../support/browser';
import { EditorPage } from './editor-page';
import { uiSessionPerFile, type UiSession } from './ui-session';

const session = uiSessionPerFile('editor-gpu', { serveArgs: ['--simulate', 'adl-p'] });
let page: UiSession['browser']['page'];
let editor: EditorPage;

beforeAll(() => {
  page = session.browser?.page ?? (undefined as never);
  editor = new EditorPage(page);
});

/** The options of a select as shown, the disabled ones marked. */
function options(key: string): Promise<string[]> {
  return editor
    .field(key)
    .locator('option')
    .evaluateAll((els) =>
      els.map(
        (e) => `${(e as unknown as { disabled: boolean }).disabled ? '(off) ' : ''}${e.textContent ?? ''}`,
      ),
    );
}

describe('the GPU field on a simulated Alder Lake-P', () => {
  it('offers what the host has, and says why the rest cannot be chosen', async () => {
    await page.getByTestId('new-vm').click();
    await page.getByTestId('vm-editor').waitFor();
    await editor.field('name').fill('kiosk-vf');
    await expect(options('gpu')).resolves.toEqual([
      'None (serial console only)',
      'Standard VGA (emulated)',
      'Virtual GPU (virtio)',
      'SR-IOV virtual function (VF)',
      '(off) GVT-g vGPU — no GVT-g GPU on this host',
      'Whole GPU (GVT-d passthrough)',
    ]);
  });

  it('offers any free VF of the GPU or one of its VFs, with who holds it', async () => {
    await editor.field('gpu').selectOption('vf');
    await expect(editor.field('gpu.pf').inputValue()).resolves.toBe('0000:00:02.0');
    await expect(options('gpu.vf')).resolves.toEqual([
      'Any free VF, picked at start (2 free now)',
      'VF1 at 0000:00:02.1 (vfio-pci)',
      'VF2 at 0000:00:02.2 (i915)',
    ]);
    await expect(editor.field('gpu.vf').inputValue()).resolves.toBe('');
  });

  it('offers the displays a GPU can feed, and the monitors that are connected', async () => {
    await expect(options('display')).resolves.toEqual([
      'Console in Tessera (VNC)',
      'Console in Tessera (SPICE)',
      'QEMU’s own window on a monitor of this host',
      'None (RDP, SSH or serial)',
    ]);
    await editor.field('display').selectOption('local');
    // The monitors arrive from host.monitors after the editor opens: slower under load (issue 9).
    await expect
      .poll(() => options('display.monitor'), { timeout: 30_000 })
      .toEqual([
        'Wherever the window manager puts it',
        '(off) DP-1 (card0) — nothing connected',
        '(off) DP-2 (card0) — nothing connected',
        'HDMI-A-1 (card0, 3840x2160)',
        'eDP-1 (card0, 1920x1200)',
      ]);
    await editor.field('display.monitor').selectOption('HDMI-A-1');
    // Debian's QEMU has no gtk "connectors": the editor says what happens instead.
    await expect(page.getByTestId('capability-note-gtk-connectors').textContent()).resolves.toMatch(
      /cannot choose the monitor for its window \(only Intel's patched QEMU has gtk "connectors"\)/,
    );
    await page
      .locator('fieldset', { hasText: 'Graphics and display' })
      .screenshot({ path: path.join(SCREENSHOT_DIR, 'editor-gpu-field.png') });
  });

  it('leaves only display none for a VM without a GPU, and comes back to a VF as it was', async () => {
    await editor.field('gpu').selectOption('none');
    await expect(options('display')).resolves.toEqual(['None (RDP, SSH or serial)']);
    await editor.field('gpu').selectOption('vf');
    await expect(editor.field('gpu.pf').inputValue()).resolves.toBe('0000:00:02.0');
    await editor.field('display').selectOption('local');
    await editor.field('display.monitor').selectOption('HDMI-A-1');
  });

  it('saves the VM, and its card shows the GPU and the display', async () => {
    await editor.save();
    const card = page.getByTestId('vm-card-kiosk-vf');
    await card.waitFor();
    await expect(page.getByTestId('vm-kiosk-vf-gpu').textContent()).resolves.toBe(
      'GPU any free VF of 0000:00:02.0',
    );
    await expect(page.getByTestId('vm-kiosk-vf-display').textContent()).resolves.toBe(
      'Display full-screen window on HDMI-A-1',
    );
  });

  it('puts what the host refuses at its field: the whole GPU while its VFs are enabled', async () => {
    await page.getByTestId('vm-kiosk-vf-edit').click();
    await page.getByTestId('vm-editor').waitFor();
    await expect(editor.field('gpu.vf').inputValue()).resolves.toBe('');
    await editor.field('gpu').selectOption('passthrough');
    await editor.field('display').selectOption('vnc');
    await editor.save();
    await expect(editor.error('gpu.device').textContent()).resolves.toMatch(
      /0000:00:02.0 has 2 VFs enabled: set its VFs to 0 on the GPU page/,
    );
  });
});
