/**
 * Specs, hosts and QEMU builds for the argv tests (qemu-args.test.ts, qemu-args-reference.test.ts).
 *
 * Golden paths are fixed, made-up host paths so the files read like a real host's argv;
 * tests/integration/qemu-args-accepted.test.ts maps /home/ada and /run/user/1000 into a temp
 * dir and runs every golden through the real QEMU.
 */
import type { z } from 'zod';
import type { QemuCapabilities } from '../../shared/qemu-capabilities';
import { vfAddress } from '../../shared/pci-address';
import { VmSpec } from '../../shared/vm-spec';
import DEBIAN_12 from '../host/debian-12-qemu-capabilities.json';
import { vmDataFiles, vmRuntimeFiles } from '../paths';
import { parseResolution, type GpuPlacement } from './gpu-placement';
import type { QemuHost } from './qemu-args';
import type { PresentUsbDevice } from './qemu-args-usb';
import { TEST_VM_UUID } from '../../../tests/support/vm-info';

export const HOME = '/home/ada';
export const RUNTIME_DIR = '/run/user/1000/tessera';
export const DATA_DIR = `${HOME}/.local/share/tessera`;
export const UUID = TEST_VM_UUID;
const CREATED_AT = '2025-01-02T03:04:05.000Z';

/**
 * QEMU builds: Debian 12's QEMU 7.2 as the probe reads it with qemu-system-gui installed (the
 * file is checked against the real probe by tests/integration/qemu-capabilities.test.ts), the
 * same without qemu-system-gui (no gtk, sdl or virtio-vga-gl modules), and Intel's patched
 * build, whose GTK display adds `connectors`, `show-fps` and `input` (qemu-gpu-guests.md).
 */
export const QEMU_BUILDS = {
  debian: DEBIAN_12 as QemuCapabilities,
  debianWithoutGui: {
    ...DEBIAN_12,
    displays: DEBIAN_12.displays.filter((d) => d !== 'gtk' && d !== 'sdl'),
    devices: Object.fromEntries(Object.entries(DEBIAN_12.devices).filter(([d]) => d !== 'virtio-vga-gl')),
  } as QemuCapabilities,
  intel: {
    ...DEBIAN_12,
    displayOptions: {
      ...DEBIAN_12.displayOptions,
      gtk: [...DEBIAN_12.displayOptions.gtk, 'connectors', 'input', 'show-fps'].sort(),
    },
  } as QemuCapabilities,
} satisfies Record<string, QemuCapabilities>;

export type SpecInput = Omit<z.input<typeof VmSpec>, 'uuid' | 'createdAt'>;

export function spec(input: SpecInput): VmSpec {
  return VmSpec.parse({ uuid: UUID, createdAt: CREATED_AT, ...input });
}

/** Render nodes of the GPUs the goldens name: the ADL-P iGPU (docs/sriov-sysfs.md#alder-lake-p-with-two-vfs) and a Flex 170 (docs/sriov-sysfs.md#flex-170-with-two-vfs). */
const RENDER_NODES: Record<string, string> = {
  '0000:00:02.0': '/dev/dri/renderD128',
  '0000:4d:00.0': '/dev/dri/renderD129',
};

/** docs/sriov-sysfs.md#gvt-g-types's type table: the resolution each GVT-g type's description gives. */
const GVTG_RESOLUTIONS: Record<string, string> = {
  'i915-GVTg_V5_8': '1024x768',
  'i915-GVTg_V5_4': '1920x1200',
  'i915-GVTg_V5_2': '1920x1200',
  'i915-GVTg_V5_1': '1920x1200',
};

/**
 * What the lease would resolve on those hosts: the VF asked for or the PF's VF1, the vGPU under
 * the VM's UUID, the PF's render node.
 */
export function placementFor(vm: VmSpec): GpuPlacement {
  const { gpu } = vm;
  switch (gpu.kind) {
    case 'none':
    case 'std':
      return { kind: gpu.kind };
    case 'virtio':
      return { kind: 'virtio', renderNode: '/dev/dri/renderD128' };
    case 'vf':
      return {
        kind: 'vf',
        address: gpu.vf ?? vfAddress(gpu.pf, 1, 1, 1) ?? gpu.pf,
        renderNode: RENDER_NODES[gpu.pf] ?? null,
      };
    case 'mdev': {
      const resolution = GVTG_RESOLUTIONS[gpu.type];
      return {
        kind: 'mdev',
        uuid: vm.uuid,
        resolution: resolution === undefined ? null : parseResolution(resolution),
        renderNode: RENDER_NODES[gpu.parent] ?? null,
      };
    }
    case 'passthrough':
      return { kind: 'passthrough', address: gpu.device };
  }
}

export interface HostOptions {
  accelerator?: QemuHost['accelerator'];
  runtimeDir?: string;
  qemu?: keyof typeof QEMU_BUILDS;
  gpu?: GpuPlacement;
  kiosk?: boolean;
  usb?: PresentUsbDevice[];
}

export function host(vm: VmSpec, options: HostOptions = {}): QemuHost {
  const secureBoot = vm.firmware === 'uefi-secure-boot';
  return {
    accelerator: options.accelerator ?? 'tcg',
    runtime: vmRuntimeFiles(options.runtimeDir ?? RUNTIME_DIR, vm.name),
    data: vmDataFiles(DATA_DIR, vm.name),
    firmware: {
      ovmfCode: secureBoot ? '/usr/share/OVMF/OVMF_CODE_4M.ms.fd' : '/usr/share/OVMF/OVMF_CODE_4M.fd',
      ovmfVarsTemplate: secureBoot ? '/usr/share/OVMF/OVMF_VARS_4M.ms.fd' : '/usr/share/OVMF/OVMF_VARS_4M.fd',
    },
    capabilities: QEMU_BUILDS[options.qemu ?? 'debian'],
    gpu: options.gpu ?? placementFor(vm),
    ...(options.kiosk ? { kiosk: true } : {}),
    usb: options.usb ?? [],
  };
}

export interface Scenario {
  name: string;
  spec: VmSpec;
  host: QemuHost;
}

export function scenario(name: string, input: SpecInput, options: HostOptions = {}): Scenario {
  const vm = spec(input);
  return { name, spec: vm, host: host(vm, options) };
}
