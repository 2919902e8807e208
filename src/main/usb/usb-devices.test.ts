import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHostReader } from '../fsutil/host-reader';
import { createHostRoot } from '../fsutil/host-root';
import { buildHostTree } from '../gpu/simulation/host-tree-builder';
import { findSimulatedHost } from '../gpu/simulation/simulated-hosts';
import { readUsbDevices } from './usb-devices';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-usb-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function read(host: string) {
  const tree = path.join(dir, host);
  buildHostTree(findSimulatedHost(host), tree);
  const reader = createHostReader(createHostRoot(tree));
  return { devices: readUsbDevices(reader), reader, tree };
}

describe('readUsbDevices', () => {
  it('reads hubs, devices behind two hubs and multi-interface devices, in port order', () => {
    const { devices, reader } = read('adl-p');
    expect(reader.unreadable).toEqual([]);
    expect(devices.map((d) => d.portPath)).toEqual([
      '3-1',
      '3-1.1',
      '3-1.2',
      '3-1.4',
      '3-1.4.2',
      '3-2',
      '3-10',
    ]);
    const hub = devices.find((d) => d.portPath === '3-1.4');
    expect(hub).toMatchObject({
      hub: true,
      deviceClass: '09',
      interfaces: [{ name: '3-1.4:1.0', driver: 'hub' }],
    });
    const receiver = devices.find((d) => d.portPath === '3-1.4.2');
    expect(receiver).toEqual({
      portPath: '3-1.4.2',
      bus: 3,
      address: 9,
      vendorId: '046d',
      productId: 'c52b',
      manufacturer: 'Logitech',
      product: 'USB Receiver',
      serial: null,
      deviceClass: '00',
      speedMbps: 12,
      hub: false,
      interfaces: [0, 1, 2].map((n) => ({ name: `3-1.4.2:1.${n}`, interfaceClass: '03', driver: 'usbhid' })),
      node: '/dev/bus/usb/003/009',
    });
    const key = devices.find((d) => d.portPath === '3-2');
    expect(key?.interfaces.map((i) => i.driver)).toEqual(['usbhid', 'usbhid', null]);
    expect(devices.find((d) => d.portPath === '3-1.2')?.serial).toBe('17293B0135');
  });

  it('leaves the root hubs and their interfaces out', () => {
    const { devices, tree } = read('adl-p');
    expect(fs.readdirSync(path.join(tree, 'sys/bus/usb/devices'))).toEqual(
      expect.arrayContaining(['usb3', '3-0:1.0']),
    );
    expect(devices.some((d) => d.portPath.startsWith('usb') || d.portPath.endsWith('-0'))).toBe(false);
  });

  it('gives a host without USB no devices and no complaints', () => {
    const { devices, reader } = read('bmg');
    expect(devices).toEqual([]);
    expect(reader.unreadable).toEqual([]);
  });

  it('reports a device whose ids it cannot read, and lists the others', () => {
    const { tree } = read('adl-p');
    const at = path.join(tree, 'sys/devices/pci0000:00/0000:00:14.0/usb3/3-1/3-1.2/idVendor');
    fs.writeFileSync(at, 'scanner\n');
    const reader = createHostReader(createHostRoot(tree));
    const devices = readUsbDevices(reader);
    expect(devices.map((d) => d.portPath)).not.toContain('3-1.2');
    expect(devices).toHaveLength(6);
    expect(reader.unreadable).toEqual([
      expect.objectContaining({ reason: expect.stringContaining('expected four hex digits') }),
    ]);
  });
});
