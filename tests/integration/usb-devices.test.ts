/**
 * USB devices per VM (issue 17) through a whole backend on the simulated Alder Lake-P host, whose
 * tree has a hub with a touch panel (3-1.1) and a scanner (3-1.2), a receiver behind a second hub
 * (3-1.4.2) and more. QEMU is real (TCG, the tiny guest): the simulated devices are not on this
 * machine, so each usb-host waits for its device, and QEMU's own `info usb` over the human monitor
 * shows which devices each guest has. Definitions never share a device; a running VM's device is
 * refused to another VM's start and to a live attach.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../../src/main/backend';
import type { Client } from '../../src/shared/client';
import { vmRuntimeFiles } from '../../src/main/paths';
import { connectBackend } from '../support/memory-backend';
import { TINY_GUEST_DIR, killVms, makeTempHome, type TempHome } from '../support/temp-home';
import { buildTinyGuest, tinyVmInput, type TinyGuest } from '../support/tiny-guest';

let home: TempHome;
let backend: Backend;
let client: Client;
let guest: TinyGuest;

beforeAll(async () => {
  guest = buildTinyGuest(TINY_GUEST_DIR);
  home = makeTempHome();
  ({ backend, client } = await connectBackend({ paths: home.paths, simulate: 'adl-p' }));
});

afterAll(async () => {
  killVms(home.paths);
  await backend.close();
  home.cleanup();
});

const seat = (name: string, usb: string[]) =>
  tinyVmInput(guest, name, 128, { gpu: { kind: 'none' }, display: { kind: 'none' }, usb });

/** A terminal escape sequence (CSI), as the readline monitor writes them. */
const ESCAPE = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*[A-Za-z]`, 'g');

/** One command on the VM's human monitor socket (HMP), its output without the prompt and echo. */
async function hmp(id: string, command: string): Promise<string> {
  const socket = net.createConnection(vmRuntimeFiles(home.paths.runtimeDir, id).monitor);
  let text = '';
  socket.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
  const until = async (done: () => boolean) => {
    const deadline = Date.now() + 15_000;
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`no monitor prompt from ${id}: ${JSON.stringify(text)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  try {
    await until(() => text.includes('(qemu) '));
    const start = text.length;
    socket.write(`${command}\n`);
    await until(() => text.slice(start).includes('(qemu) '));
    // The readline monitor echoes what was typed, with terminal escapes; the output follows it.
    return text
      .slice(start)
      .replaceAll(ESCAPE, '')
      .replace(/\(qemu\) $/, '');
  } finally {
    socket.destroy();
  }
}

/** QEMU's ids of the USB devices the guest has (`info usb`: "… Product USB Host Device, ID: usbhost0"). */
async function guestUsb(id: string): Promise<string[]> {
  const out = await hmp(id, 'info usb');
  return [...out.matchAll(/ID: (\S+)/g)].map((m) => m[1] ?? '').sort();
}

describe('USB devices per VM on a simulated host', () => {
  it('lists the host devices with hubs, tiers and interfaces', async () => {
    const inventory = await client.call('usb.list', {});
    expect(inventory.simulated).toBe(true);
    expect(inventory.devices.map((d) => d.portPath)).toEqual([
      '3-1',
      '3-1.1',
      '3-1.2',
      '3-1.4',
      '3-1.4.2',
      '3-2',
      '3-10',
    ]);
    expect(inventory.devices.every((d) => d.heldBy === null && d.assignedTo.length === 0)).toBe(true);
  });

  it('gives 3-1.1 to one VM and 3-1.2 to another, and refuses a second claim at its field, naming the owner', async () => {
    await client.call('vm.create', seat('seat-a', ['3-1.1']));
    await client.call('vm.create', seat('seat-b', ['3-1.2']));
    await expect(client.call('vm.create', seat('seat-c', ['3-1.1']))).rejects.toMatchObject({
      code: 'BAD_INPUT',
      details: { issues: [{ path: ['usb', 0], message: expect.stringContaining("belongs to VM 'seat-a'") }] },
    });
    // The scanner's ids name what is plugged into seat-b's port.
    await expect(client.call('vm.create', seat('seat-c', ['0c2e:0b61']))).rejects.toMatchObject({
      code: 'BAD_INPUT',
      details: {
        issues: [
          {
            path: ['usb', 0],
            message:
              "0c2e:0b61 belongs to VM 'seat-b' as 3-1.2: take it out of that VM first, or choose another port",
          },
        ],
      },
    });
    await expect(
      client.call('vm.update', {
        id: 'seat-b',
        config: { ...(await client.call('vm.get', { id: 'seat-b' })).spec, usb: ['3-1.2', '3-1.1'] },
      }),
    ).rejects.toMatchObject({
      code: 'BAD_INPUT',
      details: { issues: [{ path: ['usb', 1] }] },
    });
    expect(await client.call('vm.list', {}).then((l) => l.vms.map((v) => v.id).sort())).toEqual([
      'seat-a',
      'seat-b',
    ]);
    const owners = (await client.call('usb.list', {})).devices.filter((d) => d.assignedTo.length > 0);
    expect(owners.map((d) => [d.portPath, d.assignedTo])).toEqual([
      ['3-1.1', ['seat-a']],
      ['3-1.2', ['seat-b']],
    ]);
  });

  it('starts both, each guest with its own device; detach and attach again bring it back to the same VM', async () => {
    const a = await client.call('vm.start', { id: 'seat-a' });
    const b = await client.call('vm.start', { id: 'seat-b' });
    expect(a.usbAttached).toEqual(['3-1.1']);
    expect(b.usbAttached).toEqual(['3-1.2']);
    expect(await guestUsb('seat-a')).toEqual(['usbhost0']);
    expect(await guestUsb('seat-b')).toEqual(['usbhost0']);
    expect(await hmp('seat-a', 'info qtree')).toMatch(
      /dev: usb-host, id "usbhost0"\s+hostbus = 3 \(0x3\)\s+hostaddr = 0 \(0x0\)\s+hostport = "1\.1"/,
    );
    const held = (await client.call('usb.list', {})).devices.filter((d) => d.heldBy !== null);
    expect(held.map((d) => [d.portPath, d.heldBy])).toEqual([
      ['3-1.1', 'seat-a'],
      ['3-1.2', 'seat-b'],
    ]);

    // Unplugged and plugged in again, as the console header's buttons do it.
    expect((await client.call('vm.usbDetach', { id: 'seat-a', device: '3-1.1' })).usbAttached).toEqual([]);
    expect(await guestUsb('seat-a')).toEqual([]);
    expect((await client.call('vm.usbAttach', { id: 'seat-a', device: '3-1.1' })).usbAttached).toEqual([
      '3-1.1',
    ]);
    expect(await guestUsb('seat-a')).toEqual(['usbhost0']);
    expect(await guestUsb('seat-b')).toEqual(['usbhost0']);
  });

  it('attaches a device live, refuses it to another VM while it is held, and frees it when detached', async () => {
    const a = await client.call('vm.usbAttach', { id: 'seat-a', device: '046d:c52b' });
    expect(a.usbAttached).toEqual(['3-1.1', '046d:c52b']);
    expect(await guestUsb('seat-a')).toEqual(['usbhost0', 'usblive0']);
    await expect(client.call('vm.usbAttach', { id: 'seat-a', device: '046d:c52b' })).rejects.toMatchObject({
      code: 'CONFLICT',
      message: "046d:c52b is already attached to VM 'seat-a'",
    });
    await expect(client.call('vm.usbAttach', { id: 'seat-a', device: '3-1.2' })).rejects.toMatchObject({
      code: 'CONFLICT',
      message: expect.stringContaining("in use by running VM 'seat-b'"),
    });
    // No definition owns the receiver's port, but a running VM has the receiver: its start is refused.
    await client.call('vm.create', seat('seat-e', ['3-1.4.2']));
    await expect(client.call('vm.start', { id: 'seat-e' })).rejects.toMatchObject({
      code: 'CONFLICT',
      message:
        "USB device 3-1.4.2 is in use by running VM 'seat-a' (as 046d:c52b): stop that VM or detach the device from it first",
    });
    expect((await client.call('vm.get', { id: 'seat-e' })).state).toBe('stopped');
    await expect(client.call('vm.usbDetach', { id: 'seat-b', device: '046d:c52b' })).rejects.toMatchObject({
      code: 'INVALID_STATE',
      message: "046d:c52b is not attached to VM 'seat-b': it has 3-1.2",
    });
    await client.call('vm.usbDetach', { id: 'seat-a', device: '046d:c52b' });
    expect(await guestUsb('seat-a')).toEqual(['usbhost0']);
    expect((await client.call('vm.start', { id: 'seat-e' })).usbAttached).toEqual(['3-1.4.2']);
    expect(await guestUsb('seat-e')).toEqual(['usbhost0']);
  });

  it('refuses a device named by a serial that is not plugged in, and a VM that is not running', async () => {
    await expect(
      client.call('vm.usbAttach', { id: 'seat-b', device: '1050:0407:0009876543' }),
    ).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      message: expect.stringContaining('no USB device 1050:0407:0009876543 is plugged in'),
    });
    await client.call('vm.create', seat('seat-f', []));
    await expect(client.call('vm.usbAttach', { id: 'seat-f', device: '3-2' })).rejects.toMatchObject({
      code: 'INVALID_STATE',
      message: "VM 'seat-f' is not running",
    });
  });

  it('gives every device back when the VMs stop', async () => {
    for (const id of ['seat-a', 'seat-b', 'seat-e']) await client.call('vm.kill', { id });
    for (const id of ['seat-a', 'seat-b', 'seat-e'])
      expect(fs.existsSync(path.join(home.paths.runtimeDir, id, 'usb.json'))).toBe(false);
    const inventory = await client.call('usb.list', {});
    expect(inventory.devices.every((d) => d.heldBy === null)).toBe(true);
    expect((await client.call('vm.get', { id: 'seat-a' })).usbAttached).toBeUndefined();
  });
});
