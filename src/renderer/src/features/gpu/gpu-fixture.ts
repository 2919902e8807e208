import type { Gpu } from '../../../../shared/gpu-inventory';

const unknownUc = { state: 'unknown', reason: 'r' } as const;

/** A GPU as gpu.list reports it, for tests: the Alder Lake-P of docs/sriov-sysfs.md#alder-lake-p-with-two-vfs, without SR-IOV unless given. */
export function gpuFixture(overrides: Partial<Gpu>): Gpu {
  return {
    address: '0000:00:02.0',
    vendorId: '8086',
    deviceId: '46a6',
    classCode: '030000',
    revision: '0c',
    subsystemVendorId: null,
    subsystemDeviceId: null,
    driver: 'i915',
    driverOverride: null,
    iommuGroup: 0,
    numaNode: null,
    drmCard: 'card0',
    drmRender: 'renderD128',
    name: 'Alder Lake-P',
    platform: 'ADL-P',
    support: null,
    sriov: null,
    sriovInterface: 'none',
    driverHasMaxVfs: true,
    provisioning: null,
    vfs: [],
    mdevTypes: [],
    mdevInstances: [],
    guc: unknownUc,
    huc: unknownUc,
    ...overrides,
  };
}
