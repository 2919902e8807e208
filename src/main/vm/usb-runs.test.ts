import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TesseraError } from '../../shared/errors';
import type { UsbDeviceFacts, UsbGrant } from '../usb';
import { rejection } from '../../../tests/support/rejection';
import { spec as fixture } from './qemu-args-fixtures';
import type { VmUsb } from './usb-attachments';
import { UsbRuns, type UsbQmp } from './usb-runs';

let dir: string;
let granted: { vm: string; grants: UsbGrant[] }[];
let released: { vm: string; grants: readonly UsbGrant[] }[];
let runs: UsbRuns;

function device(portPath: string, address: number, vendorId = '046d', productId = 'c52b'): UsbDeviceFacts {
  return {
    portPath,
    bus: 3,
    address,
    vendorId,
    productId,
    manufacturer: null,
    product: null,
    serial: null,
    deviceClass: '00',
    speedMbps: 12,
    hub: false,
    interfaces: [],
    node: `/dev/bus/usb/003/${String(address).padStart(3, '0')}`,
  };
}
const present = [device('3-1.1', 5), device('3-1.2', 6, '0c2e', '0b61')];

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-usb-runs-'));
  granted = [];
  released = [];
  const usb: VmUsb = {
    devices: () => present,
    grant: async (devices, vm) => {
      const grants = devices.map((d) => ({ bus: d.bus, address: d.address }));
      granted.push({ vm, grants });
      return grants;
    },
    release: async (grants, vm) => {
      released.push({ vm, grants });
    },
  };
  runs = new UsbRuns(usb, dir);
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A QMP that records its commands; `qom-list` lists the peripherals device_add plugged in. */
function fakeQmp(fail?: string): { qmp: UsbQmp; sent: string[] } {
  const sent: string[] = [];
  const plugged = new Set<string>();
  const qmp = async (name: string, args?: Record<string, unknown>) => {
    sent.push(`${name} ${JSON.stringify(args ?? {})}`);
    if (name === fail) throw new TesseraError('UNAVAILABLE', `QEMU refused ${name}`);
    if (name === 'device_add') plugged.add(String(args?.id));
    if (name === 'device_del') plugged.delete(String(args?.id));
    if (name === 'qom-list') return [...plugged].map((n) => ({ name: n }));
    return {};
  };
  return { qmp: qmp as UsbQmp, sent };
}

const spec = (name: string, usb: string[] = []) => fixture({ name, usb });

describe('UsbRuns', () => {
  it('takes a start’s devices, refuses them to another VM, and gives them back at the end', async () => {
    await runs.take(spec('a', ['3-1.1']));
    expect(granted).toEqual([{ vm: 'a', grants: [{ bus: 3, address: 5 }] }]);
    expect(runs.attached('a')).toEqual(['3-1.1']);
    const error = await rejection(runs.take(spec('b', ['046d:c52b'])));
    expect((error as TesseraError).code).toBe('CONFLICT');
    expect((error as TesseraError).message).toContain("in use by running VM 'a' (as 3-1.1)");
    await runs.release('a');
    await runs.release('a'); // idempotent: nothing is given back twice
    expect(released).toEqual([{ vm: 'a', grants: [{ bus: 3, address: 5 }] }]);
    expect(runs.attached('a')).toBeNull();
    await runs.take(spec('b', ['046d:c52b']));
  });

  it('attaches live under the definition’s id or the first free usblive id, and detaches', async () => {
    const { qmp, sent } = fakeQmp();
    const a = spec('a', ['3-1.1']);
    await runs.take(a);
    await runs.detach('a', qmp, '3-1.1');
    expect(runs.attached('a')).toEqual([]);
    await runs.attach(a, qmp, '3-1.2');
    await runs.attach(a, qmp, '3-1.1');
    expect(sent.filter((c) => c.startsWith('device_add'))).toEqual([
      'device_add {"driver":"usb-host","id":"usblive0","bus":"usb0.0","hostbus":3,"hostport":"1.2"}',
      'device_add {"driver":"usb-host","id":"usbhost0","bus":"usb0.0","hostbus":3,"hostport":"1.1"}',
    ]);
    expect(runs.attached('a')).toEqual(['3-1.2', '3-1.1']);
    const twice = await rejection(runs.attach(a, qmp, '3-1.1'));
    expect((twice as TesseraError).message).toBe("3-1.1 is already attached to VM 'a'");
    const gone = await rejection(runs.detach('a', qmp, '3-1.9'));
    expect((gone as TesseraError).message).toBe("3-1.9 is not attached to VM 'a': it has 3-1.2, 3-1.1");
  });

  it('refuses what another VM holds, what is not plugged in and bad selectors, granting nothing', async () => {
    const { qmp } = fakeQmp();
    await runs.take(spec('a', ['3-1.1']));
    const b = spec('b', ['3-1.2']);
    const held = await rejection(runs.attach(b, qmp, '046d:c52b'));
    expect((held as TesseraError).message).toContain("in use by running VM 'a'");
    const absent = await rejection(runs.attach(b, qmp, '1050:0407:0009876543'));
    expect((absent as TesseraError).code).toBe('UNAVAILABLE');
    const bad = await rejection(runs.attach(b, qmp, 'usb-stick'));
    expect((bad as TesseraError).code).toBe('BAD_INPUT');
    expect(granted.map((g) => g.vm)).toEqual(['a']);
  });

  it('gives the node back when QEMU refuses the device', async () => {
    const { qmp } = fakeQmp('device_add');
    const b = spec('b', ['3-1.1']);
    const error = await rejection(runs.attach(b, qmp, '3-1.2'));
    expect((error as TesseraError).message).toBe('QEMU refused device_add');
    expect(released).toEqual([{ vm: 'b', grants: [{ bus: 3, address: 6 }] }]);
    expect(runs.attached('b')).toBeNull();
  });
});
