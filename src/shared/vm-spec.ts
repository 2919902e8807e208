import { z } from 'zod';
import { BDF_PATTERN } from './pci-address';
import { EvdevPath, UsbSelector } from './usb';

/** A VM's name is also its id and the name of its definition file, so it must be a safe file name. */
export const VM_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,47}$/;

export const VmName = z.string().regex(VM_NAME_PATTERN, {
  error:
    'a VM name is 1 to 48 letters, digits, ".", "_" or "-", starting with a letter or digit, because it names the definition file',
});

export const VM_LIMITS = {
  cpusMin: 1,
  cpusMax: 64,
  memoryMiBMin: 64,
  memoryMiBMax: 1024 * 1024,
  disksMax: 8,
  forwardsMax: 32,
  /** QEMU's xHCI controller has 15 ports (hw/usb/hcd-xhci.h MAXPORTS_3); the console's tablet takes one. */
  usbMax: 12,
  evdevMax: 8,
  /** Linux's NR_CPUS on x86-64 distribution kernels is at most 8192. */
  hostCpuMax: 8191,
} as const;

export const DiskFormat = z.enum(['qcow2', 'raw']);

/**
 * How the guest sees a disk. `virtio` is fastest but needs drivers a stock Windows installer lacks;
 * `sata` (the AHCI controller q35 always has) and `nvme` work with the drivers every current OS ships.
 */
export const DiskBus = z.enum(['virtio', 'sata', 'nvme']);

/** q35's AHCI controller has six ports; the CD-ROM keeps port 0, so five are left for SATA disks. */
export const SATA_DISKS_MAX = 5;

/**
 * A file on the host, as QEMU and the backend open it: always absolute. A relative path would be
 * resolved against whatever working dir the backend happens to have (the CLI makes its arguments
 * absolute before they are sent; the raw RPC must not be looser).
 */
export const hostPath = (missing = 'a path is needed') =>
  z
    .string()
    .min(1, { error: missing })
    .refine((p) => p === '' || p.startsWith('/'), {
      error: (issue) =>
        `give the full path, starting with / (got "${String(issue.input)}"): a relative path would depend on the backend's working dir`,
    });
export const HostPath = hostPath();

export const DiskSpec = z.object({
  path: hostPath('a disk needs a path'),
  format: DiskFormat.default('qcow2'),
  readOnly: z.boolean().default(false),
  bus: DiskBus.default('virtio'),
  /**
   * The golden image this disk is a qcow2 overlay of (src/main/images). QEMU opens it as the
   * overlay's backing node with read-only=on, so the guest can never write it.
   */
  backing: z.object({ path: z.string().min(1), format: DiskFormat }).optional(),
});

export const PortForward = z.object({
  protocol: z.enum(['tcp', 'udp']).default('tcp'),
  /** Loopback by default: a forwarded guest port should not be exposed to the network unless asked. */
  hostAddress: z.union([z.literal('127.0.0.1'), z.literal('0.0.0.0')]).default('127.0.0.1'),
  hostPort: z.int().min(1).max(65535),
  guestPort: z.int().min(1).max(65535),
});

/** `e1000e` is Intel's 82574L, which Windows drives without extra drivers; `virtio` needs virtio-win there. */
export const NicModel = z.enum(['virtio', 'e1000e']);

export const KernelBoot = z.object({
  path: HostPath,
  initrd: HostPath.optional(),
  append: z.string().max(4096).optional(),
});

/**
 * `uefi-secure-boot` is OVMF's Secure Boot build with Microsoft's keys enrolled in the variable
 * store (Debian's OVMF_CODE_4M.ms.fd + OVMF_VARS_4M.ms.fd), which Windows 11 asks for.
 */
export const Firmware = z.enum(['bios', 'uefi', 'uefi-secure-boot']);
export const RestartPolicy = z.enum(['never', 'on-crash', 'always']);

/** A PCI function as sysfs names it (docs/sriov-sysfs.md#pci-device-files): `0000:00:02.1`. */
export const PciAddress = z.string().regex(BDF_PATTERN, {
  error:
    'a PCI address is written as sysfs names it: 0000:00:02.1 (domain:bus:device.function, lower-case hex)',
});

/** A GVT-g type as its directory under mdev_supported_types is named (docs/sriov-sysfs.md#gvt-g-types): `i915-GVTg_V5_4`. */
export const MdevTypeName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.+-]{0,63}$/, {
  error: 'a vGPU type is named as its directory in mdev_supported_types, e.g. i915-GVTg_V5_4',
});

/**
 * What the VM gets for graphics.
 * - `none`: no graphics adapter at all (serial console, SSH, RDP).
 * - `std`: QEMU's emulated standard VGA, which every guest drives.
 * - `virtio`: a virtio GPU; `gl` renders the guest's OpenGL on the host where the host can.
 * - `vf`: an SR-IOV virtual function of the GPU at `pf`: the VF at `vf`, or any free one when
 *   `vf` is left out (picked when the VM starts, given back when it stops).
 * - `mdev`: a GVT-g vGPU of `type`, created under `parent` when the VM starts (docs/sriov-sysfs.md#gvt-g).
 * - `passthrough`: the whole GPU at `device` (GVT-d); the host loses it while the VM runs. Its
 *   picture goes to the monitors on its own ports, never to QEMU, so a display other than none
 *   shows an emulated VGA beside it (as the Flex guides' VNC does).
 */
export const GpuSpec = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('none') }),
  z.object({ kind: z.literal('std') }),
  z.object({ kind: z.literal('virtio'), gl: z.boolean().default(false) }),
  z.object({ kind: z.literal('vf'), pf: PciAddress, vf: PciAddress.optional() }),
  z.object({ kind: z.literal('mdev'), parent: PciAddress, type: MdevTypeName }),
  z.object({ kind: z.literal('passthrough'), device: PciAddress }),
]);
export type GpuSpec = z.infer<typeof GpuSpec>;
export type GpuKind = GpuSpec['kind'];

/**
 * A monitor as the kernel names its connector (`/sys/class/drm/card0-HDMI-A-1` → `HDMI-A-1`),
 * with its card (`card1-DP-1`) where two cards have a connector of that name.
 */
export const ConnectorName = z.string().regex(/^(card\d{1,3}-)?[A-Za-z][A-Za-z0-9]*(-[A-Z])?-\d{1,3}$/, {
  error: 'a monitor is named by its connector as /sys/class/drm shows it, e.g. HDMI-A-1, DP-2 or eDP-1',
});

/**
 * How the guest's screen is shown.
 * - `vnc`, `spice`: the embedded console (a GPU guest's frames reach it through egl-headless).
 * - `local`: QEMU's own window on this host's screen, on `monitor` (any when null), for kiosks.
 * - `none`: no screen; reach the guest over RDP, SSH or its serial console.
 */
export const DisplaySpec = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('vnc') }),
  z.object({ kind: z.literal('spice') }),
  z.object({
    kind: z.literal('local'),
    monitor: ConnectorName.nullable().default(null),
    fullScreen: z.boolean().default(true),
    /** A frame-rate counter in the window, where the QEMU build has one (Intel's patched QEMU). */
    showFps: z.boolean().default(false),
    /**
     * Whether the window passes the host's keyboard and mouse to the guest. Off (`input=off`, Intel's
     * patched GTK only) for a kiosk seat whose VM gets its own devices by USB or evdev, so typing on
     * one seat never reaches another seat's VM.
     */
    hostInput: z.boolean().default(true),
  }),
  z.object({ kind: z.literal('none') }),
]);
export type DisplaySpec = z.infer<typeof DisplaySpec>;
export type DisplayKind = DisplaySpec['kind'];

/**
 * Guest RAM from a memfd (`memory-backend-memfd`): on hugepages of the given size (fewer TLB
 * misses; VFIO pins less page-table memory), and/or `shared` with other processes (vhost-user).
 * A VF guest's virtio GPU needs memfd-backed RAM for its blob resources either way.
 */
export const MemoryBacking = z.object({
  hugepages: z.enum(['off', '2M', '1G']).default('off'),
  shared: z.boolean().default(false),
});

/** Machine options; `auto` leaves QEMU's default. `kernelIrqchip=on` is what Intel's SR-IOV launchers set. */
export const MachineOptions = z.object({
  kernelIrqchip: z.enum(['auto', 'on', 'split', 'off']).default('auto'),
});

/** Fields a user sets (VmConfig); the stored definition adds identity (VmSpec). */
const VmConfigFields = z.object({
  cpus: z
    .int({ error: 'vCPUs must be a whole number' })
    .min(VM_LIMITS.cpusMin, { error: `a VM needs at least ${VM_LIMITS.cpusMin} vCPU` })
    .max(VM_LIMITS.cpusMax, { error: `at most ${VM_LIMITS.cpusMax} vCPUs` })
    .default(1),
  /** Host CPU for each vCPU, in vCPU order; empty leaves the scheduler free. */
  cpuPinning: z
    .array(z.int({ error: 'a host CPU is a whole number' }).min(0).max(VM_LIMITS.hostCpuMax))
    .max(VM_LIMITS.cpusMax)
    .default([]),
  memoryMiB: z
    .int({ error: 'memory must be a whole number of MiB' })
    .min(VM_LIMITS.memoryMiBMin, { error: `memory must be at least ${VM_LIMITS.memoryMiBMin} MiB` })
    .max(VM_LIMITS.memoryMiBMax, { error: `memory must be at most ${VM_LIMITS.memoryMiBMax} MiB` })
    .default(1024),
  memoryBacking: MemoryBacking.default({ hugepages: 'off', shared: false }),
  machine: MachineOptions.default({ kernelIrqchip: 'auto' }),
  firmware: Firmware.default('bios'),
  /** A TPM 2.0 (swtpm), which Windows 11 requires. */
  tpm: z.boolean().default(false),
  /**
   * Hyper-V enlightenments (hv-relaxed, hv-vapic, hv-spinlocks, hv-time) for Windows guests. The
   * hypervisor is never hidden: a hidden one gives Code 43 with SR-IOV VFs (qemu-gpu-guests.md).
   */
  hyperv: z.boolean().default(false),
  disks: z.array(DiskSpec).max(VM_LIMITS.disksMax).default([]),
  cdrom: HostPath.optional(),
  kernel: KernelBoot.optional(),
  network: z
    .object({
      mode: z.enum(['user', 'none']).default('user'),
      model: NicModel.default('virtio'),
      forwards: z.array(PortForward).max(VM_LIMITS.forwardsMax).default([]),
    })
    .default({ mode: 'user', model: 'virtio', forwards: [] }),
  gpu: GpuSpec.default({ kind: 'std' }),
  display: DisplaySpec.default({ kind: 'vnc' }),
  /** Host USB devices the VM owns while it runs (src/shared/usb.ts): port paths or vendor:product[:serial]. */
  usb: z
    .array(UsbSelector)
    .max(VM_LIMITS.usbMax, { error: `at most ${VM_LIMITS.usbMax} USB devices` })
    .default([]),
  /**
   * Host input devices (evdev) the VM takes whole while it runs, QEMU's `input-linux`: the stock
   * QEMU way to give one keyboard or mouse to one VM, whatever window has the focus.
   */
  evdev: z
    .array(EvdevPath)
    .max(VM_LIMITS.evdevMax, { error: `at most ${VM_LIMITS.evdevMax} input devices` })
    .default([]),
  restartPolicy: RestartPolicy.default('never'),
  /** A virtio-serial channel for the QEMU guest agent (qemu-ga), which validation runs use when the guest runs one. */
  guestAgent: z.boolean().default(false),
});

type ConfigFields = z.infer<typeof VmConfigFields>;

/** Rules between fields that hold on any host; what depends on the host is checked by the backend. */
function checkConfig(config: ConfigFields, ctx: z.RefinementCtx): void {
  const issue = (path: (string | number)[], message: string) =>
    ctx.addIssue({ code: 'custom', path, message });
  if (config.cpuPinning.length > 0 && config.cpuPinning.length !== config.cpus) {
    issue(
      ['cpuPinning'],
      `pin every vCPU or none: the VM has ${config.cpus} vCPUs and ${config.cpuPinning.length} host CPUs are given`,
    );
  }
  const { gpu, display } = config;
  if (gpu.kind === 'none' && display.kind !== 'none') {
    issue(['display'], 'a VM without a graphics adapter has no screen to show: choose display none');
  }
  if (gpu.kind === 'virtio' && gpu.gl && display.kind === 'none') {
    issue(
      ['gpu', 'gl'],
      'GL needs a display to render to: choose VNC, SPICE or a local window, or turn GL off',
    );
  }
  if (gpu.kind === 'vf' && gpu.vf !== undefined && gpu.vf === gpu.pf) {
    issue(
      ['gpu', 'vf'],
      `${gpu.vf} is the GPU itself: name one of its VFs, or leave the VF out for any free one`,
    );
  }
  config.usb.forEach((selector, i) => {
    if (config.usb.indexOf(selector) !== i) issue(['usb', i], `${selector} is listed twice`);
  });
  config.evdev.forEach((node, i) => {
    if (config.evdev.indexOf(node) !== i) issue(['evdev', i], `${node} is listed twice`);
  });
  let sata = 0;
  config.disks.forEach((disk, i) => {
    if (disk.bus === 'sata' && disk.readOnly) {
      // QEMU's ide-hd refuses a read-only block node ("Block node is read-only").
      issue(
        ['disks', i, 'readOnly'],
        'a SATA disk cannot be read-only: choose virtio or NVMe for a read-only disk',
      );
    }
    if (disk.bus === 'sata' && ++sata > SATA_DISKS_MAX) {
      issue(
        ['disks', i, 'bus'],
        `at most ${SATA_DISKS_MAX} SATA disks: the AHCI controller has six ports and the CD-ROM keeps one`,
      );
    }
  });
}

export const VmConfig = VmConfigFields.superRefine(checkConfig);

export const VmSpec = VmConfigFields.extend({
  name: VmName,
  uuid: z.uuid(),
  createdAt: z.iso.datetime(),
}).superRefine(checkConfig);

export const VmCreateInput = VmConfigFields.extend({ name: VmName }).superRefine(checkConfig);

/**
 * Whether QEMU holds a picture of the guest's screen (screenshots, thumbnails): an emulated
 * adapter always has one; a GPU slice only when a display shows its frames (a passed-through
 * GPU's console is the emulated VGA beside it).
 */
export function hasScreen(spec: { gpu: GpuSpec; display: DisplaySpec }): boolean {
  switch (spec.gpu.kind) {
    case 'std':
    case 'virtio':
      return true;
    case 'vf':
    case 'mdev':
    case 'passthrough':
      return spec.display.kind !== 'none';
    default:
      return false;
  }
}

/**
 * Definitions written before the GPU field existed had `vga: 'std' | 'virtio' | 'none'` and
 * `display: 'vnc' | 'spice' | 'none'`. They still load: this zod preprocess turns them into
 * `gpu: {kind}` and `display: {kind}` before VmSpec checks them. With no adapter (`vga: 'none'`)
 * there never was a picture, so such a display becomes `none`. The file stays as it is until
 * the VM is next saved.
 */
export function upgradeLegacyDefinition(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const legacy = value as Record<string, unknown>;
  if (!('vga' in legacy) && typeof legacy['display'] !== 'string') return value;
  const { vga, ...rest } = legacy;
  const upgraded: Record<string, unknown> = rest;
  if (typeof legacy['display'] === 'string') upgraded['display'] = { kind: legacy['display'] };
  if (typeof vga === 'string' && !('gpu' in legacy)) upgraded['gpu'] = { kind: vga };
  if (vga === 'none') upgraded['display'] = { kind: 'none' };
  return upgraded;
}

/** A definition as read from disk: today's VmSpec, or an older one upgraded on the way in. */
export const StoredVmSpec = z.preprocess(upgradeLegacyDefinition, VmSpec);

export type VmSpec = z.infer<typeof VmSpec>;
export type VmConfig = z.infer<typeof VmConfig>;
export type VmCreateInput = z.input<typeof VmCreateInput>;
export type DiskSpec = z.infer<typeof DiskSpec>;
export type PortForward = z.infer<typeof PortForward>;
export type RestartPolicy = z.infer<typeof RestartPolicy>;
export type MemoryBacking = z.infer<typeof MemoryBacking>;

export const VmState = z.enum(['stopped', 'starting', 'running', 'paused', 'stopping', 'crashed']);
export type VmState = z.infer<typeof VmState>;

/**
 * The GPU slice a running VM holds (a VF, a vGPU, the whole GPU). `simulated`: the host is a
 * simulated tree, so QEMU runs with a virtual GPU in the slice's place.
 */
export const GpuLeaseInfo = z.object({
  kind: z.enum(['vf', 'mdev', 'passthrough']),
  /** The VF's or GPU's PCI address, or the vGPU's UUID. */
  device: z.string(),
  simulated: z.boolean(),
});
export type GpuLeaseInfo = z.infer<typeof GpuLeaseInfo>;

export const VmInfo = z.object({
  id: VmName,
  spec: VmSpec,
  state: VmState,
  pid: z.int().positive().optional(),
  /** When the VM entered its current state (ISO time). */
  since: z.iso.datetime(),
  restarts: z.int().min(0),
  /** Why the last run ended badly, with the tail of QEMU's log. */
  lastError: z.object({ message: z.string(), logTail: z.array(z.string()) }).optional(),
  /** What the VM holds of the GPU while it runs. */
  gpuLease: GpuLeaseInfo.optional(),
  /** A crashed VM is started again at this time (ISO) by its restart policy or the kiosk. */
  restartAt: z.iso.datetime().optional(),
  /** The restart limit was reached (e.g. 5 crashes in 10 minutes): restarted only by hand now. */
  gaveUp: z.boolean().optional(),
  /** The USB devices attached to it while it runs: its own, and any attached live (src/shared/usb.ts). */
  usbAttached: z.array(UsbSelector).optional(),
  /** The accelerator the current run uses and why (one sentence), for a run this backend started. */
  accelerator: z.object({ accelerator: z.enum(['kvm', 'tcg']), reason: z.string() }).optional(),
  /** A running guest that needs a look: no sign of life (serial output, a screen change) in time. */
  warning: z.string().optional(),
});
export type VmInfo = z.infer<typeof VmInfo>;

export const InvalidDefinition = z.object({
  file: z.string(),
  reason: z.string(),
});
export type InvalidDefinition = z.infer<typeof InvalidDefinition>;
