import { describe, expect, it } from 'vitest';
import { gpuFixture } from './gpu-fixture';
import {
  draftFromGpu,
  formatAmount,
  intentOf,
  resourceBars,
  withCount,
  withPreset,
  withShare,
} from './layout-draft';

const quota = (on: boolean, ggtt: number, contexts: number, doorbells: number) => ({
  exec_quantum_ms: 0,
  preempt_timeout_us: 0,
  ggtt_quota: on ? ggtt : 0,
  contexts_quota: on ? contexts : 0,
  doorbells_quota: on ? doorbells : 0,
});

/** The Alder Lake-P of docs/sriov-sysfs.md#alder-lake-p-with-two-vfs as the inventory reads it: 2 of 7 VFs, fair auto shares. */
const gpu = gpuFixture({
  sriov: { totalVfs: 7, numVfs: 2, autoprobe: true, vfDeviceId: '46a6', offset: 1, stride: 1 },
  sriovInterface: 'i915-prelim_iov',
  provisioning: {
    home: '/sys/devices/pci0000:00/0000:00:02.0/drm/card0/prelim_iov',
    mode: 'SR-IOV PF',
    autoProvisioning: true,
    gts: ['gt0'],
    slots: [
      {
        function: 'pf',
        values: {
          gt0: { exec_quantum_ms: 0, preempt_timeout_us: 0 },
          'gt0/available': {
            ggtt_free: 0,
            ggtt_max_quota: 3758096384,
            contexts_free: 0,
            contexts_max_quota: 63488,
            doorbells_free: 0,
            doorbells_max_quota: 224,
          },
        },
      },
      ...[1, 2, 3, 4, 5, 6, 7].map((n) => ({
        function: `vf${n}`,
        values: { gt0: quota(n <= 2, 1879048192, 31744, 112) },
      })),
    ],
  },
});

describe('the layout being edited', () => {
  it('starts as the GPU is, drawn as a bar per resource', () => {
    const draft = draftFromGpu(gpu);
    expect(draft.vfCount).toBe(2);
    expect(draft.shares[1]?.settings).toEqual({
      execQuantumMs: 0,
      preemptTimeoutUs: 0,
      ggttQuotaBytes: 1879048192,
      contextsQuota: 31744,
      doorbellsQuota: 112,
    });
    expect(resourceBars(gpu, draft).map((b) => [b.label, b.total, b.free, b.problem])).toEqual([
      ['GGTT', 3758096384, 0, null],
      ['GuC contexts', 63488, 0, null],
      ['Doorbells', 224, 0, null],
    ]);
  });

  it('a new count shares fairly and keeps the scheduling of VFs that stay', () => {
    const edited = withShare(draftFromGpu(gpu), 1, 'execQuantumMs', 7);
    const seven = withCount(gpu, edited, 7);
    expect(seven.shares).toHaveLength(7);
    expect(seven.shares[0]?.settings).toMatchObject({ execQuantumMs: 7, ggttQuotaBytes: 536870912 });
    expect(seven.shares[6]?.settings).toMatchObject({ execQuantumMs: 0, contextsQuota: 8960 });
  });

  it('presets set resources or scheduling, each leaving the other alone', () => {
    const seven = withCount(gpu, draftFromGpu(gpu), 7);
    const video = withPreset(gpu, seven, 'video-60fps');
    expect(video.shares[3]?.settings).toMatchObject({
      execQuantumMs: 2,
      preemptTimeoutUs: 8000,
      ggttQuotaBytes: 536870912,
    });
    const big = withPreset(gpu, video, 'one-big');
    expect(big.shares[0]?.settings).toMatchObject({ ggttQuotaBytes: 1879048192, execQuantumMs: 2 });
    expect(intentOf({ ...big, bind: 'vfio-pci' })).toMatchObject({
      kind: 'layout',
      pf: '0000:00:02.0',
      vfCount: 7,
      bind: 'vfio-pci',
    });
  });

  it('says when shares add up to more than there is, or one VF asks for more than the driver allows', () => {
    const seven = withCount(gpu, draftFromGpu(gpu), 7);
    const over = withShare(seven, 2, 'doorbellsQuota', 40);
    expect(resourceBars(gpu, over).find((b) => b.key === 'doorbells')?.problem).toBe(
      'Doorbells: the shares add up to 232, 8 more than there is',
    );
    const huge = withShare(withCount(gpu, draftFromGpu(gpu), 1), 1, 'ggttQuotaBytes', 4 * 1024 ** 3);
    expect(resourceBars(gpu, huge)[0]?.problem).toBe(
      'GGTT: the shares add up to 4.00 GiB, 512 MiB more than there is',
    );
    expect(formatAmount(536870912, true)).toBe('512 MiB');
  });
});
