import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TesseraError } from '../../shared/errors';
import type { HelperPlan } from '../../shared/helper-plan';
import { readSimulatedHost, type SimulatedRun } from '../../../tests/support/simulated-host';
import { withHolders } from '../gpu/inventory';
import { memlockCheck } from '../host/doctor/platform-checks';
import { helperGpuLeases, type GpuLeaseDeps } from './gpu-leases';
import { spec } from './qemu-args-fixtures';

const ADLP = '0000:00:02.0';
const GIB = 1024 ** 3;

let host: SimulatedRun;
let runtimeDir: string;
let plans: HelperPlan['steps'][];
beforeEach(() => {
  host = readSimulatedHost('adl-p');
  runtimeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-leases-'));
  plans = [];
});
afterEach(() => {
  host.cleanup();
  fs.rmSync(runtimeDir, { recursive: true, force: true });
});

/** Leases over the simulated ADL-P's inventory; the helper's plans are recorded, or refused. */
function leases(options: Partial<GpuLeaseDeps> & { refuse?: boolean } = {}) {
  const l = helperGpuLeases({
    gpu: {
      inventory: () => withHolders(host.inventory, l.holders()),
      async apply(plan) {
        if (options.refuse) throw new TesseraError('CONFLICT', 'the helper said no');
        plans.push(plan.steps);
      },
    },
    runtimeDir,
    simulated: false,
    memlockFor: (guestMiB) => memlockCheck({ softBytes: null, hardBytes: null, capIpcLock: false }, guestMiB),
    ...options,
  });
  return l;
}

const vm = (name: string, vf?: string) =>
  spec({
    name,
    memoryMiB: 2048,
    gpu: { kind: 'vf', pf: ADLP, ...(vf ? { vf } : {}) },
    display: { kind: 'vnc' },
  });
const dirOf = (name: string) => path.join(runtimeDir, name);
const leaseFileOf = (name: string) => path.join(dirOf(name), 'gpu-lease.json');

describe('helperGpuLeases', () => {
  it('binds a VF on the host driver to vfio-pci in one plan and binds it back once at stop', async () => {
    const l = leases();
    const vf2 = host.inventory.gpus[0]?.vfs.find((v) => v.index === 2);
    expect(vf2?.driver).toBe('i915');
    const placement = await l.attach(vm('a', '0000:00:02.2'), dirOf('a'));
    expect(placement).toEqual({ kind: 'vf', address: '0000:00:02.2', renderNode: '/dev/dri/renderD128' });
    expect(plans).toEqual([
      [
        { op: 'bind', device: '0000:00:02.2', driver: 'vfio-pci' },
        { op: 'grant-vfio', device: '0000:00:02.2' },
      ],
    ]);
    expect(l.held(vm('a'), dirOf('a'))).toEqual({ kind: 'vf', device: '0000:00:02.2', simulated: false });
    expect(l.holders()).toEqual(new Map([['0000:00:02.2', 'a']]));
    await l.detach(vm('a'), dirOf('a'));
    await l.detach(vm('a'), dirOf('a'));
    expect(plans.slice(1)).toEqual([[{ op: 'bind', device: '0000:00:02.2', driver: 'host' }]]);
    expect(fs.existsSync(leaseFileOf('a'))).toBe(false);
  });

  it('"any free VF" skips leased VFs, and a VF another VM holds is a CONFLICT naming it', async () => {
    const l = leases();
    await expect(l.attach(vm('a'), dirOf('a'))).resolves.toMatchObject({ address: '0000:00:02.1' });
    await expect(l.attach(vm('b'), dirOf('b'))).resolves.toMatchObject({ address: '0000:00:02.2' });
    await expect(l.attach(vm('c', '0000:00:02.1'), dirOf('c'))).rejects.toMatchObject({
      code: 'CONFLICT',
      message: "0000:00:02.1 is in use by VM 'a': stop that VM first, or give 'c' another GPU",
    });
    expect(fs.existsSync(leaseFileOf('c'))).toBe(false);
  });

  it('holds nothing when the helper refuses', async () => {
    const l = leases({ refuse: true });
    await expect(l.attach(vm('a'), dirOf('a'))).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(fs.existsSync(leaseFileOf('a'))).toBe(false);
  });

  it('refuses a start the locked-memory limit cannot cover, with the doctor’s fix, before any change', async () => {
    const l = leases({
      memlockFor: (guestMiB) => memlockCheck({ softBytes: GIB, hardBytes: GIB, capIpcLock: false }, guestMiB),
    });
    await expect(l.attach(vm('a'), dirOf('a'))).rejects.toMatchObject({
      code: 'UNAVAILABLE',
      message: expect.stringMatching(
        /locked-memory limit is 1 GiB.*needs 3 GiB \(RAM \+ 1 GiB\)\. Raise the limit for your user.*limits\.d\/tessera-memlock\.conf/,
      ),
    });
    expect(plans).toEqual([]);
    // A simulated host pins nothing: QEMU runs a virtual GPU there.
    const simulated = leases({
      simulated: true,
      memlockFor: (guestMiB) => memlockCheck({ softBytes: GIB, hardBytes: GIB, capIpcLock: false }, guestMiB),
    });
    await expect(simulated.attach(vm('a'), dirOf('a'))).resolves.toEqual({
      kind: 'virtio',
      renderNode: null,
    });
    expect(simulated.held(vm('a'), dirOf('a'))).toMatchObject({ simulated: true });
  });
});
