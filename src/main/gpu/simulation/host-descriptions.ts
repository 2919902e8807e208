/**
 * The simulated hosts. Layouts and formats follow the reference (../shared/reference/intel-gpu-
 * virtualization-sysfs.md): docs/sriov-sysfs.md#alder-lake-p-with-two-vfs for Alder Lake-P, docs/sriov-sysfs.md#flex-170-with-two-vfs for Flex 170, docs/sriov-sysfs.md#xe-sriov_admin for xe, docs/sriov-sysfs.md#gvt-g for GVT-g.
 * Values marked #illus are illustrative in the reference too (OEM ids, group numbers, quotas):
 * their shape is the kernel's, the number is not from a real machine.
 */
import type { SimConnector } from './display-outputs';
import type { SimGpu, SimPciDevice, SimulatedHostDescription } from './host-description';
import type { SimUsbBus } from './usb-tree';

const BOOT =
  'BOOT_IMAGE=/boot/vmlinuz-6.8.0-48-generic root=UUID=0f2d6c1e-3f5a-4c7e-9a51-2b7d9e4c8a10 ro quiet splash'; // #illus

const VFIO_MODULES = ['vfio_pci', 'vfio_pci_core', 'vfio_iommu_type1', 'vfio', 'kvm_intel', 'kvm'];
const NO_HUGEPAGES = [
  { sizeKiB: 2048, total: 0, free: 0 },
  { sizeKiB: 1048576, total: 0, free: 0 },
];

const INTEL_HOST_BRIDGE: SimPciDevice = {
  address: '0000:00:00.0',
  parent: 'pci0000:00',
  vendor: '8086',
  device: '4621', // #illus
  classCode: '060000',
  revision: '02',
  subsystem: ['8086', '7270'],
  driver: null,
  iommuGroup: 1,
  numaNode: -1,
};

/** A server's BMC VGA, the usual card0 next to a Flex card (docs/sriov-sysfs.md#flex-170-with-two-vfs note). */
const ASPEED_VGA: SimPciDevice = {
  address: '0000:02:00.0',
  parent: 'pci0000:00/0000:00:1c.0/0000:01:00.0', // #illus
  vendor: '1a03',
  device: '2000',
  classCode: '030000',
  revision: '41', // #illus
  subsystem: ['1a03', '2000'],
  driver: 'ast',
  iommuGroup: 12,
  numaNode: 0,
  drm: { card: 0 },
};

const ADLP_GUC = {
  firmware: 'i915/adlp_guc_70.bin',
  status: 'RUNNING',
  version: '70.44.1',
  submission: true,
}; // docs/sriov-sysfs.md#i915-kernel-messages
const ADLP_HUC = { firmware: 'i915/tgl_huc.bin', status: 'RUNNING', version: '7.9.3' }; // docs/sriov-sysfs.md#guc-and-huc-in-debugfs name; version #illus

/** A laptop's panel and one external monitor; the Type-C ports are empty. Names as DRM gives them. #illus */
const LAPTOP_MONITORS: SimConnector[] = [
  { name: 'eDP-1', connected: true, modes: ['1920x1200', '1920x1080', '1280x800'] },
  { name: 'DP-1', connected: false },
  { name: 'DP-2', connected: false },
  { name: 'HDMI-A-1', connected: true, modes: ['3840x2160', '2560x1440', '1920x1080'] },
];

/** docs/sriov-sysfs.md#alder-lake-p-with-two-vfs: 8086:46a6 at 00:02.0 on strongtz i915 (prelim_iov, gt0), fair-share quotas for the enabled VFs (docs/sriov-sysfs.md#i915-auto-provisioning). */
function adlpGpu(vfs: SimGpu['vfs'], overrides: Partial<SimGpu> = {}): SimGpu {
  const quota = { ggtt: 1879048192, contexts: 31744, doorbells: 112 }; // #illus, docs/sriov-sysfs.md#alder-lake-p-with-two-vfs
  const max = { ggtt: 3758096384, contexts: 63488, doorbells: 224 };
  return {
    address: '0000:00:02.0',
    parent: 'pci0000:00',
    vendor: '8086',
    device: '46a6',
    classCode: '030000',
    revision: '0c',
    subsystem: ['8086', '2212'], // #illus
    driver: 'i915',
    iommuGroup: 0,
    numaNode: -1,
    drm: { card: 0 },
    sriov: { totalVfs: 7, autoprobe: true, vfDevice: '46a6', offset: 1, stride: 1 },
    iov: {
      kind: 'i915',
      layout: 'prelim_iov',
      pf: {
        gt0: {
          exec_quantum_ms: 0,
          preempt_timeout_us: 0,
          ggtt_spare: 268435456,
          contexts_spare: 1024,
          doorbells_spare: 32,
        },
        'gt0/available': {
          ggtt_free: max.ggtt - vfs.length * quota.ggtt,
          ggtt_max_quota: max.ggtt,
          contexts_free: max.contexts - vfs.length * quota.contexts,
          contexts_max_quota: max.contexts,
          doorbells_free: max.doorbells - vfs.length * quota.doorbells,
          doorbells_max_quota: max.doorbells,
        },
        'gt0/policies': { sched_if_idle: 0, engine_reset: 0, sample_period_ms: 0 },
      },
      enabledVf: {
        gt0: {
          exec_quantum_ms: 0,
          preempt_timeout_us: 0,
          ggtt_quota: quota.ggtt,
          contexts_quota: quota.contexts,
          doorbells_quota: quota.doorbells,
        },
      },
    },
    vfs,
    guc: ADLP_GUC,
    huc: ADLP_HUC,
    connectors: LAPTOP_MONITORS,
    ...overrides,
  };
}

const ADLP_TWO_VFS: SimGpu['vfs'] = [
  { index: 1, driver: 'vfio-pci', iommuGroup: 17 },
  { index: 2, driver: 'i915', iommuGroup: 18, drm: { card: 1 } },
];

function withoutIov({ iov: _iov, ...gpu }: SimGpu): SimGpu {
  return gpu;
}

const HID = { interfaceClass: '03', driver: 'usbhid' };

/**
 * A kiosk's seats on the laptop's xHCI (bus 3): a 4-port hub with a touch panel and a barcode
 * scanner, a second hub behind it with a keyboard-and-mouse receiver (three HID interfaces), and
 * Bluetooth and a security key (HID plus smart card) on the machine's own ports. Ids are the
 * products' real ones; serials and addresses #illus.
 */
const LAPTOP_USB: SimUsbBus[] = [
  {
    bus: 3,
    controller: 'pci0000:00/0000:00:14.0',
    devices: [
      {
        portPath: '3-1',
        address: 2,
        vendorId: '05e3',
        productId: '0610',
        manufacturer: 'GenesysLogic',
        product: 'USB2.1 Hub',
        deviceClass: '09',
        speedMbps: 480,
        interfaces: [{ interfaceClass: '09', driver: 'hub' }],
      },
      {
        portPath: '3-1.1',
        address: 5,
        vendorId: '222a',
        productId: '0001',
        manufacturer: 'ILITEK',
        product: 'Multi-Touch-V5100',
        deviceClass: '00',
        speedMbps: 12,
        interfaces: [HID, HID],
      },
      {
        portPath: '3-1.2',
        address: 6,
        vendorId: '0c2e',
        productId: '0b61',
        manufacturer: 'Honeywell Imaging & Mobility',
        product: 'Honeywell Scanning and Mobility Scanner',
        serial: '17293B0135',
        deviceClass: '00',
        speedMbps: 12,
        interfaces: [HID],
      },
      {
        portPath: '3-1.4',
        address: 7,
        vendorId: '05e3',
        productId: '0608',
        product: 'USB2.0 Hub',
        deviceClass: '09',
        speedMbps: 480,
        interfaces: [{ interfaceClass: '09', driver: 'hub' }],
      },
      {
        portPath: '3-1.4.2',
        address: 9,
        vendorId: '046d',
        productId: 'c52b',
        manufacturer: 'Logitech',
        product: 'USB Receiver',
        deviceClass: '00',
        speedMbps: 12,
        interfaces: [HID, HID, HID],
      },
      {
        portPath: '3-2',
        address: 3,
        vendorId: '1050',
        productId: '0407',
        manufacturer: 'Yubico',
        product: 'YubiKey OTP+FIDO+CCID',
        deviceClass: '00',
        speedMbps: 12,
        interfaces: [HID, HID, { interfaceClass: '0b', driver: null }],
      },
      {
        portPath: '3-10',
        address: 4,
        vendorId: '8087',
        productId: '0033',
        deviceClass: 'e0',
        speedMbps: 12,
        interfaces: [
          { interfaceClass: 'e0', driver: 'btusb' },
          { interfaceClass: 'e0', driver: 'btusb' },
        ],
      },
    ],
  },
];

/** A server's BMC: its virtual keyboard and mouse on the chipset's xHCI. #illus */
const SERVER_USB: SimUsbBus[] = [
  {
    bus: 1,
    controller: 'pci0000:00/0000:00:14.0',
    devices: [
      {
        portPath: '1-3',
        address: 2,
        vendorId: '046b',
        productId: 'ff10',
        manufacturer: 'American Megatrends Inc.',
        product: 'Virtual Keyboard and Mouse',
        deviceClass: '00',
        speedMbps: 480,
        interfaces: [HID, HID],
      },
    ],
  },
];

const ADLP_I915_SRIOV: SimulatedHostDescription = {
  name: 'adl-p-i915-sriov',
  aliases: ['adl-p'],
  title: 'Alder Lake-P iGPU on the out-of-tree i915, 7 VFs allowed, 2 enabled (VF1 on vfio-pci, VF2 on i915)',
  // docs/sriov-sysfs.md#i915-module-parameters: the strongtz README's command line.
  cmdline: `${BOOT} intel_iommu=on i915.enable_guc=3 i915.max_vfs=7 module_blacklist=xe`,
  modules: ['i915', ...VFIO_MODULES],
  moduleParameters: { i915: { max_vfs: '7', enable_guc: '3' } },
  iommu: true,
  hugepages: NO_HUGEPAGES,
  debugfs: true,
  devices: [INTEL_HOST_BRIDGE],
  gpus: [adlpGpu(ADLP_TWO_VFS)],
  usb: LAPTOP_USB,
  // As the SR-IOV guides set it for Windows guests (qemu-gpu-guests.md).
  kvmIgnoreMsrs: true,
};

/** docs/sriov-sysfs.md#sriov_totalvfs: strongtz i915 with max_vfs=0 continues as native: totalvfs 0, no prelim_iov (docs/sriov-sysfs.md#i915-pf-and-vf-nodes). */
const ADLP_MAXVFS0: SimulatedHostDescription = {
  name: 'adl-p-i915-maxvfs0',
  aliases: ['adl-p-maxvfs0'],
  title: 'Alder Lake-P iGPU on the out-of-tree i915 with i915.max_vfs=0 (the default): no VFs allowed',
  cmdline: `${BOOT} intel_iommu=on i915.enable_guc=3`,
  modules: ['i915', ...VFIO_MODULES],
  moduleParameters: { i915: { max_vfs: '0', enable_guc: '3' } },
  iommu: true,
  hugepages: NO_HUGEPAGES,
  debugfs: true,
  devices: [INTEL_HOST_BRIDGE],
  gpus: [
    withoutIov(
      adlpGpu([], { sriov: { totalVfs: 0, autoprobe: true, vfDevice: '46a6', offset: 1, stride: 1 } }),
    ),
  ],
};

/** docs/sriov-sysfs.md#flex-170-with-two-vfs: Flex 170 on the backports i915 (prelim_iov + iov link, single-tile `gt`), 2 VFs, autoprobe 0. */
const FLEX170_BACKPORTS: SimulatedHostDescription = {
  name: 'flex170-backports',
  aliases: ['flex170'],
  title:
    'Data Center GPU Flex 170 on the backports i915, 31 VFs allowed, 2 enabled and unbound (autoprobe off)',
  cmdline: `${BOOT} intel_iommu=on iommu=pt i915.max_vfs=31`,
  modules: ['i915', 'ast', ...VFIO_MODULES],
  moduleParameters: { i915: { max_vfs: '31' } },
  iommu: true,
  hugepages: [
    { sizeKiB: 2048, total: 8192, free: 8192 }, // #illus
    { sizeKiB: 1048576, total: 0, free: 0 },
  ],
  debugfs: true,
  usb: SERVER_USB,
  devices: [ASPEED_VGA],
  gpus: [
    {
      address: '0000:4d:00.0',
      parent: 'pci0000:4a/0000:4a:01.0/0000:4b:00.0/0000:4c:01.0', // #illus chain
      vendor: '8086',
      device: '56c0',
      classCode: '038000',
      revision: '08',
      subsystem: ['8086', '4905'], // #illus
      driver: 'i915',
      iommuGroup: 40,
      numaNode: 0,
      drm: { card: 1 },
      sriov: { totalVfs: 31, autoprobe: false, vfDevice: '56c0', offset: 1, stride: 1 },
      iov: {
        kind: 'i915',
        layout: 'prelim_iov+iov',
        pf: {
          gt: {
            exec_quantum_ms: 0,
            preempt_timeout_us: 0,
            sched_priority: 0,
            ggtt_spare: 268435456, // #illus from here on
            contexts_spare: 1024,
            doorbells_spare: 16,
            lmem_spare: 402653184,
            contexts_quota: 62464,
            doorbells_quota: 0,
          },
          'gt/available': {
            ggtt_free: 0,
            ggtt_max_quota: 4026531840,
            contexts_free: 62464,
            contexts_max_quota: 64512,
            doorbells_free: 0,
            doorbells_max_quota: 240,
            lmem_free: 0,
            lmem_max_quota: 16777216000,
          },
          'gt/policies': { sched_if_idle: 0, engine_reset: 0, sample_period_ms: 0 },
        },
        // xpumanager's vgpu.conf profile 56c0N2 (docs/sriov-sysfs.md#flex-170-with-two-vfs).
        enabledVf: {
          gt: {
            exec_quantum_ms: 0,
            preempt_timeout_us: 0,
            lmem_quota: 8388608000,
            ggtt_quota: 2013265920,
            contexts_quota: 1024,
            doorbells_quota: 120,
          },
        },
      },
      vfs: [
        { index: 1, driver: null, iommuGroup: 141 },
        { index: 2, driver: null, iommuGroup: 142 },
      ],
      guc: { firmware: 'i915/dg2_guc_70.bin', status: 'RUNNING', version: '70.36.0', submission: true }, // version #illus
    },
  ],
  kvmIgnoreMsrs: true, // #illus: a server set up for Windows guests
};

/** docs/sriov-sysfs.md#xe-sriov_admin, #device-ids: a Battlemage card (e211, 24 VFs in xpumanager) on xe v6.19+ with sriov_admin. */
const BMG_XE: SimulatedHostDescription = {
  name: 'bmg-xe',
  aliases: ['bmg'],
  title:
    'Battlemage (Arc Pro, 8086:e211) on xe with sriov_admin, 24 VFs allowed, 2 enabled; debugfs not mounted',
  cmdline: `${BOOT} intel_iommu=on xe.max_vfs=24`,
  modules: ['xe', ...VFIO_MODULES],
  moduleParameters: { xe: { max_vfs: '24' } },
  iommu: true,
  hugepages: NO_HUGEPAGES,
  debugfs: false,
  devices: [INTEL_HOST_BRIDGE],
  gpus: [
    {
      address: '0000:03:00.0',
      parent: 'pci0000:00/0000:00:01.0/0000:01:00.0/0000:02:01.0', // #illus: a switch above the card
      vendor: '8086',
      device: 'e211',
      classCode: '030000',
      revision: '00', // #illus
      subsystem: ['8086', '1100'], // #illus
      driver: 'xe',
      iommuGroup: 15,
      numaNode: -1,
      drm: { card: 0 },
      sriov: { totalVfs: 24, autoprobe: false, vfDevice: 'e211', offset: 1, stride: 1 }, // vf id, offset #illus
      iov: {
        kind: 'xe',
        pfProfile: { exec_quantum_ms: 0, preempt_timeout_us: 0, sched_priority: '[low] normal high' },
        vfProfile: {
          exec_quantum_ms: 0,
          preempt_timeout_us: 0,
          sched_priority: '[low] normal',
          vram_quota: 12079595520, // #illus
        },
        discrete: true,
      },
      vfs: [
        { index: 1, driver: 'vfio-pci', iommuGroup: 16 },
        { index: 2, driver: null, iommuGroup: 17 },
      ],
      connectors: [
        { name: 'DP-1', connected: true, modes: ['2560x1440', '1920x1080'] }, // #illus
        { name: 'DP-2', connected: false },
        { name: 'HDMI-A-1', connected: false },
      ],
    },
  ],
};

/** docs/sriov-sysfs.md#gvt-g: Comet Lake (CML GT2 9bc5, include/drm/intel/pciids.h) with GVT-g: mainline i915, enable_gvt, kvmgt. */
const CML_GVTG: SimulatedHostDescription = {
  name: 'cml-gvtg',
  aliases: ['cml'],
  title: 'Comet Lake iGPU with GVT-g: two vGPU types, one vGPU created',
  cmdline: `${BOOT} intel_iommu=on i915.enable_gvt=1`,
  modules: ['kvmgt', 'mdev', 'i915', ...VFIO_MODULES],
  moduleParameters: { i915: { enable_gvt: 'Y' } },
  iommu: true,
  hugepages: NO_HUGEPAGES,
  debugfs: true,
  devices: [INTEL_HOST_BRIDGE],
  gpus: [
    {
      address: '0000:00:02.0',
      parent: 'pci0000:00',
      vendor: '8086',
      device: '9bc5',
      classCode: '030000',
      revision: '05', // #illus
      subsystem: ['1043', '8694'], // #illus
      driver: 'i915',
      iommuGroup: 2,
      numaNode: -1,
      drm: { card: 0 },
      vfs: [],
      // GVT-g runs without GuC submission (docs/sriov-sysfs.md#gvt-g), so GuC and HuC stay disabled.
      guc: { earlyOut: 'GuC disabled' },
      huc: { earlyOut: 'HuC disabled' },
      gvt: {
        // docs/sriov-sysfs.md#gvt-g-types type table; free instances #illus.
        types: [
          {
            sysfsName: 'GVTg_V5_4',
            lowGmMiB: 128,
            highGmMiB: 512,
            fence: 4,
            resolution: '1920x1200',
            weight: 4,
            available: 1,
          },
          {
            sysfsName: 'GVTg_V5_8',
            lowGmMiB: 64,
            highGmMiB: 384,
            fence: 4,
            resolution: '1024x768',
            weight: 2,
            available: 2,
          },
        ],
        instances: [{ uuid: '83b8f4f2-509f-382f-3c1e-e6bfe0fa1001', type: 'GVTg_V5_4', iommuGroup: 13 }],
      },
      connectors: [
        { name: 'HDMI-A-1', connected: true, modes: ['1920x1080', '1280x720'] }, // #illus
        { name: 'DP-1', connected: false },
      ],
    },
  ],
  kvmIgnoreMsrs: true, // #illus
};

/** The docs/sriov-sysfs.md#alder-lake-p-with-two-vfs machine with VT-d off: no IOMMU units, no groups, so vfio-pci cannot take a VF (docs/sriov-sysfs.md#driver-binding). */
const IOMMU_OFF: SimulatedHostDescription = {
  name: 'iommu-off',
  aliases: [],
  title: 'Alder Lake-P iGPU ready for SR-IOV (7 VFs allowed, none enabled) but with the IOMMU off',
  cmdline: `${BOOT} i915.enable_guc=3 i915.max_vfs=7`,
  modules: ['i915', ...VFIO_MODULES],
  moduleParameters: { i915: { max_vfs: '7', enable_guc: '3' } },
  iommu: false,
  hugepages: NO_HUGEPAGES,
  debugfs: true,
  devices: [{ ...INTEL_HOST_BRIDGE, iommuGroup: null }],
  gpus: [adlpGpu([], { iommuGroup: null })],
};

const NO_INTEL_GPU: SimulatedHostDescription = {
  name: 'no-intel-gpu',
  aliases: [],
  title: 'A server with only its BMC VGA (ASPEED) and no Intel GPU',
  cmdline: `${BOOT} intel_iommu=on`,
  modules: ['ast', ...VFIO_MODULES],
  moduleParameters: {},
  iommu: true,
  hugepages: NO_HUGEPAGES,
  debugfs: true,
  devices: [INTEL_HOST_BRIDGE, ASPEED_VGA],
  gpus: [],
};

export const SIMULATED_HOSTS: readonly SimulatedHostDescription[] = [
  ADLP_I915_SRIOV,
  ADLP_MAXVFS0,
  FLEX170_BACKPORTS,
  BMG_XE,
  CML_GVTG,
  IOMMU_OFF,
  NO_INTEL_GPU,
];
