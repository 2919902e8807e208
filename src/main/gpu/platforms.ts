import type { PlatformSupport } from '../../shared/gpu-inventory';

/**
 * Intel GPU platforms by PCI device id and which drivers can run them as an SR-IOV PF: docs/sriov-sysfs.md#device-ids
 * (ids from include/drm/intel/pciids.h, support per driver, typical `sriov_totalvfs`). Comet Lake,
 * the GVT-g platform Tessera simulates, is not in docs/sriov-sysfs.md#device-ids; its ids are from the same pciids.h
 * (INTEL_CML_*_IDS) and its GVT-g support from docs/sriov-sysfs.md#gvt-g.
 */

/** Drivers that can make VFs (docs/sriov-sysfs.md#device-ids columns): the strongtz DKMS i915, Intel's backports i915, upstream xe. */
export type SriovDriver = PlatformSupport['sriovDrivers'][number];

export interface Platform {
  code: string;
  name: string;
  discrete: boolean;
  /** Only drivers docs/sriov-sysfs.md#device-ids says "yes" for; UNCONFIRMED entries are left out. */
  sriovDrivers: readonly SriovDriver[];
  /** GVT-g (docs/sriov-sysfs.md#gvt-g): BDW, SKL, KBL, BXT, CFL, CML only. */
  gvt: boolean;
  /** docs/sriov-sysfs.md#device-ids "Typical sriov_totalvfs", per device id where it differs. */
  typicalVfs: number | null;
  typicalVfsById?: Readonly<Record<string, number>>;
  ids: readonly string[];
}

const ids = (text: string) => text.toLowerCase().split(/\s+/).filter(Boolean);

export const PLATFORMS: readonly Platform[] = [
  {
    code: 'TGL',
    name: 'Tiger Lake',
    discrete: false,
    sriovDrivers: ['i915-sriov-dkms', 'i915-backports', 'xe'],
    gvt: false,
    typicalVfs: 7,
    ids: ids('9A60 9A68 9A70 9A40 9A49 9A59 9A78 9AC0 9AC9 9AD9 9AF8'),
  },
  {
    code: 'ADL-S',
    name: 'Alder Lake-S',
    discrete: false,
    sriovDrivers: ['i915-sriov-dkms', 'i915-backports', 'xe'],
    gvt: false,
    typicalVfs: 7,
    ids: ids('4680 4682 4688 468A 468B 4690 4692 4693'),
  },
  {
    code: 'RPL-S',
    name: 'Raptor Lake-S',
    discrete: false,
    sriovDrivers: ['i915-sriov-dkms', 'xe'],
    gvt: false,
    typicalVfs: 7,
    ids: ids('A780 A781 A782 A783 A788 A789 A78A A78B'),
  },
  {
    code: 'ADL-P',
    name: 'Alder Lake-P',
    discrete: false,
    sriovDrivers: ['i915-sriov-dkms', 'i915-backports', 'xe'],
    gvt: false,
    typicalVfs: 7,
    ids: ids('46A0 46A1 46A2 46A3 46A6 46A8 46AA 462A 4626 4628 46B0 46B1 46B2 46B3 46C0 46C1 46C2 46C3'),
  },
  {
    code: 'ADL-N',
    name: 'Alder Lake-N',
    discrete: false,
    sriovDrivers: ['i915-sriov-dkms', 'xe'],
    gvt: false,
    typicalVfs: 7,
    ids: ids('46D0 46D1 46D2 46D3 46D4'),
  },
  {
    code: 'RPL-U/P',
    name: 'Raptor Lake-U/P',
    discrete: false,
    sriovDrivers: ['i915-sriov-dkms', 'xe'],
    gvt: false,
    typicalVfs: 7,
    ids: ids('A721 A7A1 A7A9 A7AC A7AD A720 A7A0 A7A8 A7AA A7AB'),
  },
  {
    code: 'MTL',
    name: 'Meteor Lake',
    discrete: false,
    sriovDrivers: ['i915-sriov-dkms', 'i915-backports'],
    gvt: false,
    typicalVfs: 7,
    ids: ids('7D40 7D45 7D55 7D60 7DD5'),
  },
  {
    code: 'ARL',
    name: 'Arrow Lake',
    discrete: false,
    sriovDrivers: ['i915-sriov-dkms'],
    gvt: false,
    typicalVfs: null,
    ids: ids('7D51 7DD1 7D41 7D67 B640'),
  },
  {
    code: 'LNL',
    name: 'Lunar Lake',
    discrete: false,
    sriovDrivers: [],
    gvt: false,
    typicalVfs: null,
    ids: ids('6420 64A0 64B0'),
  },
  {
    code: 'BMG',
    name: 'Battlemage',
    discrete: true,
    sriovDrivers: ['xe'],
    gvt: false,
    typicalVfs: null,
    typicalVfsById: { e211: 24, e212: 24, e222: 24, e223: 12 },
    ids: ids('E202 E209 E20B E20C E20D E210 E211 E212 E216 E220 E221 E222 E223'),
  },
  {
    code: 'PTL',
    name: 'Panther Lake',
    discrete: false,
    sriovDrivers: ['xe'],
    gvt: false,
    typicalVfs: null,
    ids: ids('B080 B081 B082 B083 B084 B085 B086 B087 B08F B090 B0A0 B0B0'),
  },
  {
    code: 'ATS-M150',
    name: 'Data Center GPU Flex 170',
    discrete: true,
    sriovDrivers: ['i915-backports', 'xe'],
    gvt: false,
    typicalVfs: 31,
    ids: ids('56C0 56C2'),
  },
  {
    code: 'ATS-M75',
    name: 'Data Center GPU Flex 140',
    discrete: true,
    sriovDrivers: ['i915-backports', 'xe'],
    gvt: false,
    typicalVfs: 31,
    ids: ids('56C1'),
  },
  {
    code: 'PVC',
    name: 'Data Center GPU Max',
    discrete: true,
    sriovDrivers: ['i915-backports'],
    gvt: false,
    typicalVfs: 62,
    typicalVfsById: { '0bda': 63, '0bdb': 63, '0b6e': 63 },
    ids: ids('0BD4 0BD5 0BD6 0BDA 0BDB 0B6E'),
  },
  {
    code: 'CML',
    name: 'Comet Lake',
    discrete: false,
    sriovDrivers: [],
    gvt: true,
    typicalVfs: null,
    ids: ids('9BA2 9BA4 9BA5 9BA8 9B21 9BAA 9BAC 9BC2 9BC4 9BC5 9BC6 9BC8 9BE6 9BF6 9B41 9BCA 9BCC'),
  },
];

export function findPlatform(deviceId: string): Platform | undefined {
  const id = deviceId.toLowerCase();
  return PLATFORMS.find((p) => p.ids.includes(id));
}

export function platformSupport(platform: Platform, deviceId: string): PlatformSupport {
  return {
    discrete: platform.discrete,
    sriovDrivers: [...platform.sriovDrivers],
    gvt: platform.gvt,
    typicalVfs: platform.typicalVfsById?.[deviceId.toLowerCase()] ?? platform.typicalVfs,
  };
}
