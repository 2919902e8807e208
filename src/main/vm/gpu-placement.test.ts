import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { GpuInventory } from '../../shared/gpu-inventory';
import type { VmSpec } from '../../shared/vm-spec';
import { TEST_VM_UUID, testVmSpec } from '../../../tests/support/vm-info';
import { createHostRoot } from '../fsutil/host-root';
import { readGpuInventory } from '../gpu/inventory';
import { buildHostTree } from '../gpu/simulation/host-tree-builder';
import { findSimulatedHost } from '../gpu/simulation/simulated-hosts';
import { parseResolution, resolveGpuPlacement } from './gpu-placement';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

/** The inventory of a simulated host, its tree changed first if asked. */
function inventoryOf(name: string, change?: (at: (p: string) => string) => void): GpuInventory {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-placement-'));
  dirs.push(dir);
  buildHostTree(findSimulatedHost(name), dir);
  change?.((p) => path.join(dir, p));
  return readGpuInventory(createHostRoot(dir), { root: dir, simulated: null });
}

const vm = (gpu: object) => testVmSpec('v', { gpu: gpu as VmSpec['gpu'], display: { kind: 'vnc' } });
const ADLP = '0000:00:02.0';

describe('resolveGpuPlacement', () => {
  const adlp = inventoryOf('adl-p');

  it('gives "any free VF" the one already on vfio-pci, with the PF’s render node', () => {
    expect(resolveGpuPlacement(vm({ kind: 'vf', pf: ADLP }), adlp)).toEqual({
      kind: 'vf',
      address: '0000:00:02.1',
      renderNode: '/dev/dri/renderD128',
    });
  });

  it('takes the VF asked for, and the one a lease holds over both', () => {
    const asked = vm({ kind: 'vf', pf: ADLP, vf: '0000:00:02.2' });
    expect(resolveGpuPlacement(asked, adlp)).toMatchObject({ address: '0000:00:02.2' });
    expect(resolveGpuPlacement(vm({ kind: 'vf', pf: ADLP }), adlp, { vf: '0000:00:02.2' })).toMatchObject({
      address: '0000:00:02.2',
    });
  });

  it('picks an unbound VF before one the host’s driver uses, and none that a VM holds', () => {
    const vfs = (g: GpuInventory['gpus'][number]) => g.vfs;
    const adjusted = (change: (v: ReturnType<typeof vfs>[number], i: number) => object) => ({
      ...adlp,
      gpus: adlp.gpus.map((g) => ({ ...g, vfs: g.vfs.map((v, i) => ({ ...v, ...change(v, i) })) })),
    });
    // VF1 held, VF2 on i915: VF2 is what is left.
    expect(
      resolveGpuPlacement(
        vm({ kind: 'vf', pf: ADLP }),
        adjusted((_v, i) => ({ usedBy: i === 0 ? 'kiosk' : null })),
      ),
    ).toMatchObject({ address: '0000:00:02.2' });
    // VF1 on i915, VF2 unbound: VF2 comes first.
    expect(
      resolveGpuPlacement(
        vm({ kind: 'vf', pf: ADLP }),
        adjusted((_v, i) => ({ driver: i === 0 ? 'i915' : null })),
      ),
    ).toMatchObject({ address: '0000:00:02.2' });
    const full = {
      ...adlp,
      gpus: adlp.gpus.map((g) => ({ ...g, vfs: g.vfs.map((v) => ({ ...v, usedBy: 'kiosk' })) })),
    };
    expect(() => resolveGpuPlacement(vm({ kind: 'vf', pf: ADLP }), full)).toThrow(
      expect.objectContaining({
        code: 'CONFLICT',
        message: expect.stringContaining('every VF of 0000:00:02.0 is in use (by kiosk)'),
      }),
    );
  });

  it('creates the vGPU under the VM’s own UUID, at its type’s resolution', () => {
    const cml = inventoryOf('cml');
    expect(resolveGpuPlacement(vm({ kind: 'mdev', parent: ADLP, type: 'i915-GVTg_V5_8' }), cml)).toEqual({
      kind: 'mdev',
      uuid: TEST_VM_UUID,
      resolution: { width: 1024, height: 768 },
      renderNode: '/dev/dri/renderD128',
    });
  });

  it('names no render node where the GPU has none', () => {
    const bare = inventoryOf('adl-p', (at) =>
      fs.rmSync(at(`/sys/devices/pci0000:00/${ADLP}/drm/renderD128`), { recursive: true }),
    );
    expect(resolveGpuPlacement(vm({ kind: 'vf', pf: ADLP }), bare)).toMatchObject({ renderNode: null });
    expect(resolveGpuPlacement(vm({ kind: 'virtio', gl: true }), inventoryOf('no-intel-gpu'))).toEqual({
      kind: 'virtio',
      renderNode: '/dev/dri/renderD128',
    });
  });
});

describe('parseResolution', () => {
  it('reads a GVT-g description’s resolution', () => {
    expect(parseResolution('1920x1200')).toEqual({ width: 1920, height: 1200 });
    expect(parseResolution('large')).toBeNull();
  });
});
