import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GpuInventory } from '../../shared/gpu-inventory';
import { failingFs } from '../../../tests/support/failing-fs';
import { createHostRoot, type HostFs } from '../fsutil/host-root';
import { readGpuInventory } from './inventory';
import { buildHostTree } from './simulation/host-tree-builder';
import { findSimulatedHost } from './simulation/simulated-hosts';

/** The value, failing the test when it is missing. */
function must<T>(value: T | null | undefined): T {
  if (value === null || value === undefined) throw new Error('expected a value');
  return value;
}

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-inv-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const host = { root: '/x', simulated: null };

function inventoryOf(name: string, hostFs?: HostFs): GpuInventory {
  buildHostTree(findSimulatedHost(name), dir);
  const inventory = readGpuInventory(createHostRoot(dir, hostFs), host);
  return GpuInventory.parse(inventory); // the contract's own schema accepts it
}

describe('readGpuInventory on the simulated hosts', () => {
  it('Alder Lake-P on strongtz i915: PF, two VFs, their drivers, groups, DRM nodes and firmware', () => {
    const { gpus, otherDisplays, unreadable } = inventoryOf('adl-p');
    expect(unreadable).toEqual([]);
    expect(otherDisplays).toEqual([]);
    expect(gpus).toHaveLength(1);
    const gpu = must(gpus[0]);
    expect(gpu).toMatchObject({
      address: '0000:00:02.0',
      vendorId: '8086',
      deviceId: '46a6',
      classCode: '030000',
      revision: '0c',
      subsystemVendorId: '8086',
      subsystemDeviceId: '2212',
      driver: 'i915',
      driverOverride: null,
      iommuGroup: 0,
      numaNode: null,
      drmCard: 'card0',
      drmRender: 'renderD128',
      name: 'Alder Lake-P',
      platform: 'ADL-P',
      sriov: { totalVfs: 7, numVfs: 2, autoprobe: true, vfDeviceId: '46a6', offset: 1, stride: 1 },
      sriovInterface: 'i915-prelim_iov',
      driverHasMaxVfs: true,
      mdevTypes: [],
      guc: {
        state: 'known',
        firmware: 'i915/adlp_guc_70.bin',
        status: 'RUNNING',
        foundVersion: '70.44.1',
        wantedVersion: null,
        submission: true,
        source: '/sys/kernel/debug/dri/0000:00:02.0/gt0/uc/guc_info',
      },
      huc: { state: 'known', firmware: 'i915/tgl_huc.bin', status: 'RUNNING' },
    });
    expect(
      gpu.vfs.map((v) => [v.index, v.address, v.driver, v.driverOverride, v.iommuGroup, v.drmCard, v.usedBy]),
    ).toEqual([
      [1, '0000:00:02.1', 'vfio-pci', 'vfio-pci', 17, null, null],
      [2, '0000:00:02.2', 'i915', null, 18, 'card1', null],
    ]);
    const provisioning = must(gpu.provisioning);
    expect(provisioning).toMatchObject({ mode: 'SR-IOV PF', autoProvisioning: true, gts: ['gt0'] });
    expect(provisioning.slots.map((s) => s.function)).toEqual([
      'pf',
      'vf1',
      'vf2',
      'vf3',
      'vf4',
      'vf5',
      'vf6',
      'vf7',
    ]);
    expect(must(provisioning.slots[0]).values['gt0']).toEqual({
      exec_quantum_ms: 0,
      preempt_timeout_us: 0,
      ggtt_spare: 268435456,
      contexts_spare: 1024,
      doorbells_spare: 32,
    });
    expect(must(provisioning.slots[0]).values['gt0/available']).toMatchObject({
      ggtt_free: 0,
      doorbells_max_quota: 224,
    });
    expect(must(provisioning.slots[1]).values['gt0']).toMatchObject({
      ggtt_quota: 1879048192,
      doorbells_quota: 112,
    });
    expect(must(provisioning.slots[7]).values['gt0']).toMatchObject({ ggtt_quota: 0 });
  });

  it('i915 with max_vfs=0: no VFs allowed, no provisioning directory, but the driver can do SR-IOV', () => {
    const gpu = must(inventoryOf('adl-p-maxvfs0').gpus[0]);
    expect(gpu.sriov).toMatchObject({ totalVfs: 0, numVfs: 0 });
    expect(gpu.sriovInterface).toBe('none');
    expect(gpu.provisioning).toBeNull();
    expect(gpu.driverHasMaxVfs).toBe(true);
  });

  it('Flex 170 on backports: iov link, single-tile gt, lmem, unbound VFs, a BMC VGA beside it', () => {
    const { gpus, otherDisplays, unreadable } = inventoryOf('flex170');
    expect(unreadable).toEqual([]);
    const gpu = must(gpus[0]);
    expect(gpu).toMatchObject({
      address: '0000:4d:00.0',
      name: 'Data Center GPU Flex 170',
      classCode: '038000',
      numaNode: 0,
      drmCard: 'card1',
      sriovInterface: 'i915-prelim_iov+iov',
      sriov: { totalVfs: 31, numVfs: 2, autoprobe: false },
      huc: { state: 'unknown', reason: 'no huc_info for 0000:4d:00.0 in /sys/kernel/debug/dri' },
    });
    expect(gpu.provisioning?.gts).toEqual(['gt']);
    expect(gpu.provisioning?.slots).toHaveLength(32);
    expect(gpu.provisioning?.slots[1]?.values['gt']).toMatchObject({
      lmem_quota: 8388608000,
      contexts_quota: 1024,
    });
    expect(gpu.vfs.map((v) => [v.address, v.driver])).toEqual([
      ['0000:4d:00.1', null],
      ['0000:4d:00.2', null],
    ]);
    expect(otherDisplays).toEqual([
      expect.objectContaining({ vendorId: '1a03', deviceId: '2000', driver: 'ast' }),
    ]);
  });

  it('Battlemage on xe: sriov_admin profiles, and GuC unknown because debugfs is not mounted', () => {
    const gpu = must(inventoryOf('bmg').gpus[0]);
    expect(gpu).toMatchObject({
      name: 'Battlemage',
      driver: 'xe',
      sriovInterface: 'xe-sriov_admin',
      sriov: { totalVfs: 24, numVfs: 2 },
      guc: {
        state: 'unknown',
        reason: 'debugfs is not mounted at /sys/kernel/debug (mount -t debugfs none /sys/kernel/debug)',
      },
    });
    expect(gpu.provisioning?.slots[0]).toEqual({
      function: 'pf',
      values: { profile: { exec_quantum_ms: 0, preempt_timeout_us: 0, sched_priority: 'low' } },
    });
    expect(gpu.provisioning?.slots[1]?.values['profile']).toEqual({
      exec_quantum_ms: 0,
      preempt_timeout_us: 0,
      sched_priority: 'low',
      vram_quota: 12079595520,
    });
  });

  it('Comet Lake with GVT-g: types with resources and free instances, one instance, no SR-IOV', () => {
    const gpu = must(inventoryOf('cml').gpus[0]);
    expect(gpu).toMatchObject({
      name: 'Comet Lake',
      sriov: null,
      vfs: [],
      provisioning: null,
      driverHasMaxVfs: false,
      guc: { state: 'known', status: 'disabled', submission: false },
      huc: { state: 'known', status: 'disabled' },
    });
    expect(gpu.mdevTypes).toEqual([
      {
        id: 'i915-GVTg_V5_4',
        name: 'GVTg_V5_4',
        description: 'low_gm_size: 128MB\nhigh_gm_size: 512MB\nfence: 4\nresolution: 1920x1200\nweight: 4',
        resources: { lowGmSizeMiB: 128, highGmSizeMiB: 512, fence: 4, resolution: '1920x1200', weight: 4 },
        availableInstances: 1,
        deviceApi: 'vfio-pci',
        instances: ['83b8f4f2-509f-382f-3c1e-e6bfe0fa1001'],
      },
      expect.objectContaining({ id: 'i915-GVTg_V5_8', availableInstances: 2, instances: [] }),
    ]);
    expect(gpu.mdevInstances).toEqual([
      { uuid: '83b8f4f2-509f-382f-3c1e-e6bfe0fa1001', type: 'i915-GVTg_V5_4', iommuGroup: 13, usedBy: null },
    ]);
  });

  it('IOMMU off: no groups anywhere', () => {
    const gpu = must(inventoryOf('iommu-off').gpus[0]);
    expect(gpu.iommuGroup).toBeNull();
    expect(gpu.sriov).toMatchObject({ totalVfs: 7, numVfs: 0 });
  });

  it('no Intel GPU: nothing in gpus, the other display listed, the Intel host bridge ignored', () => {
    const { gpus, otherDisplays } = inventoryOf('no-intel-gpu');
    expect(gpus).toEqual([]);
    expect(otherDisplays.map((d) => d.address)).toEqual(['0000:02:00.0']);
  });
});

describe('readGpuInventory on broken trees names what it could not read', () => {
  const vf2 = 'sys/devices/pci0000:00/0000:00:02.2';

  it('a VF link pointing nowhere: the other VF is still listed', () => {
    buildHostTree(findSimulatedHost('adl-p'), dir);
    fs.rmSync(path.join(dir, vf2), { recursive: true });
    const { gpus, unreadable } = readGpuInventory(createHostRoot(dir), host);
    expect(must(gpus[0]).vfs.map((v) => v.index)).toEqual([1]);
    expect(unreadable).toContainEqual({
      path: '/sys/devices/pci0000:00/0000:00:02.0/virtfn1',
      reason: '/sys/devices/pci0000:00/0000:00:02.0/virtfn1 -> ../0000:00:02.2 points to nothing',
    });
  });

  it('a file with unexpected content', () => {
    buildHostTree(findSimulatedHost('adl-p'), dir);
    fs.writeFileSync(path.join(dir, 'sys/devices/pci0000:00/0000:00:02.0/sriov_totalvfs'), 'seven\n');
    fs.writeFileSync(path.join(dir, vf2, 'class'), 'VGA\n');
    const { gpus, unreadable } = readGpuInventory(createHostRoot(dir), host);
    expect(must(gpus[0]).sriov).toBeNull();
    expect(must(gpus[0]).vfs.map((v) => v.index)).toEqual([1]);
    expect(unreadable).toEqual(
      expect.arrayContaining([
        {
          path: '/sys/devices/pci0000:00/0000:00:02.0/sriov_totalvfs',
          reason:
            'unexpected content "seven" in /sys/devices/pci0000:00/0000:00:02.0/sriov_totalvfs: expected a decimal number',
        },
        {
          path: '/sys/devices/pci0000:00/0000:00:02.2/class',
          reason:
            'unexpected content "VGA" in /sys/devices/pci0000:00/0000:00:02.2/class: expected 0x and 6 hex digits',
        },
      ]),
    );
  });

  it('a link that leaves the root is reported, not followed', () => {
    buildHostTree(findSimulatedHost('adl-p'), dir);
    const link = path.join(dir, 'sys/devices/pci0000:00/0000:00:02.0/virtfn1');
    fs.rmSync(link);
    fs.symlinkSync('../../../../../../etc', link);
    const { gpus, unreadable } = readGpuInventory(createHostRoot(dir), host);
    expect(must(gpus[0]).vfs).toHaveLength(1);
    expect(unreadable[0]?.reason).toMatch(
      /virtfn1 -> \.\.\/\.\.\/\.\.\/\.\.\/\.\.\/\.\.\/etc leads outside the host root/,
    );
  });

  it('debugfs without permission: GuC and HuC unknown with the reason, the rest read', () => {
    const denied = failingFs([{ op: 'readdirSync', suffix: '/sys/kernel/debug', code: 'EACCES' }]);
    const gpu = must(inventoryOf('adl-p', denied).gpus[0]);
    expect(gpu.guc).toEqual({
      state: 'unknown',
      reason: 'debugfs is readable by root only: run as root to see the GuC state',
    });
    expect(gpu.vfs).toHaveLength(2);
  });

  it('a root without sys/ at all', () => {
    const inventory = readGpuInventory(createHostRoot(dir), host);
    expect(inventory).toEqual({
      host,
      gpus: [],
      otherDisplays: [],
      unreadable: [{ path: '/sys/bus/pci/devices', reason: '/sys/bus/pci/devices does not exist' }],
    });
  });
});
