import { describe, expect, it } from 'vitest';
import type { VirtualFunction } from '../../../../shared/gpu-inventory';
import { gpuFixture } from './gpu-fixture';
import { layoutGpu } from './gpu-layout';

const gpu = gpuFixture;

function vf(index: number, driver: string | null, usedBy: string | null = null): VirtualFunction {
  return {
    ...gpu({}),
    address: `0000:00:02.${index}`,
    driver,
    iommuGroup: 16 + index,
    drmCard: null,
    drmRender: null,
    index,
    usedBy,
  };
}

const sriov = { totalVfs: 7, numVfs: 2, autoprobe: true, vfDeviceId: '46a6', offset: 1, stride: 1 };

describe('layoutGpu', () => {
  it('draws the PF, its VFs coloured by driver, and what more the driver allows', () => {
    const picture = layoutGpu(gpu({ sriov, vfs: [vf(1, 'vfio-pci'), vf(2, 'i915')] }));
    expect(picture.nodes.map((n) => [n.id, n.tone, n.testId, n.selectable])).toEqual([
      ['0000:00:02.0', 'host', 'gpu-0000:00:02.0', true],
      ['0000:00:02.1', 'vfio', 'gpu-0000:00:02.1', true],
      ['0000:00:02.2', 'host', 'gpu-0000:00:02.2', true],
      ['0000:00:02.0/more', 'more', null, false],
    ]);
    expect(picture.nodes[0]?.lines).toEqual(['Alder Lake-P', '0000:00:02.0', 'i915 · 2 of 7 VFs']);
    expect(picture.nodes[1]?.lines).toEqual(['VF1 · free', '0000:00:02.1', 'vfio-pci · group 17']);
    expect(picture.nodes[3]?.lines[0]).toBe('5 more VFs possible');
    expect(picture.edges.map((e) => [e.from, e.to])).toEqual([
      ['0000:00:02.0', '0000:00:02.1'],
      ['0000:00:02.0', '0000:00:02.2'],
      ['0000:00:02.0', '0000:00:02.0/more'],
    ]);
  });

  it('centres the PF on the column of functions, which do not overlap', () => {
    const picture = layoutGpu(gpu({ sriov, vfs: [vf(1, 'vfio-pci'), vf(2, null)] }));
    const [pf, a, b, c] = picture.nodes;
    if (!pf || !a || !b || !c) throw new Error('expected four boxes');
    expect(pf.y + picture.nodeHeight / 2).toBe(picture.height / 2);
    expect(b.y).toBeGreaterThanOrEqual(a.y + picture.nodeHeight);
    expect(c.y + picture.nodeHeight).toBe(picture.height);
    expect(b.tone).toBe('unbound');
  });

  it('draws a VM for each VF a VM holds, linked from that VF', () => {
    const picture = layoutGpu(
      gpu({
        sriov: { ...sriov, numVfs: 7 },
        vfs: [vf(1, 'vfio-pci', 'desk'), vf(2, 'vfio-pci', 'desk'), vf(3, null)],
      }),
    );
    expect(picture.nodes.filter((n) => n.tone === 'vm').map((n) => n.id)).toEqual(['vm:desk']);
    expect(picture.edges.filter((e) => e.to === 'vm:desk').map((e) => e.from)).toEqual([
      '0000:00:02.1',
      '0000:00:02.2',
    ]);
  });

  it('draws GVT-g types and their instances', () => {
    const uuid = '83b8f4f2-509f-382f-3c1e-e6bfe0fa1001';
    const picture = layoutGpu(
      gpu({
        name: 'Comet Lake',
        mdevTypes: [
          {
            id: 'i915-GVTg_V5_4',
            name: 'GVTg_V5_4',
            description: null,
            resources: null,
            availableInstances: 1,
            deviceApi: 'vfio-pci',
            instances: [uuid],
          },
        ],
        mdevInstances: [{ uuid, type: 'i915-GVTg_V5_4', iommuGroup: 13, usedBy: null }],
      }),
    );
    expect(picture.nodes.map((n) => [n.testId, n.tone])).toEqual([
      ['gpu-0000:00:02.0', 'host'],
      ['gpu-mdev-type-i915-GVTg_V5_4', 'type'],
      [`gpu-mdev-${uuid}`, 'mdev'],
    ]);
    expect(picture.nodes[0]?.lines[2]).toBe('i915 · 1 vGPU types');
  });

  it('draws a lone PF that is not split', () => {
    const picture = layoutGpu(gpu({ driver: null }));
    expect(picture.nodes).toHaveLength(1);
    expect(picture.nodes[0]).toMatchObject({
      tone: 'unbound',
      lines: ['Alder Lake-P', '0000:00:02.0', 'no driver · not split'],
    });
    expect(picture.edges).toEqual([]);
  });
});
