import { describe, expect, it } from 'vitest';
import { describeGpuLease } from './vm-describe';

describe('describeGpuLease', () => {
  it('names what the VM holds, and says when a virtual GPU runs in its place', () => {
    expect(describeGpuLease({ kind: 'vf', device: '0000:00:02.3', simulated: false })).toBe(
      'holds VF 0000:00:02.3',
    );
    expect(
      describeGpuLease({ kind: 'mdev', device: '83b8f4f2-509f-382f-3c1e-e6bfe0fa1001', simulated: true }),
    ).toBe('vGPU 83b8f4f2-509f-382f-3c1e-e6bfe0fa1001 (simulated GPU: QEMU runs a virtual GPU in its place)');
    expect(describeGpuLease({ kind: 'passthrough', device: '0000:00:02.0', simulated: false })).toBe(
      'holds whole GPU 0000:00:02.0',
    );
  });
});
