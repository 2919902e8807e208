/**
 * What the installed QEMU can do, as far as Tessera's command lines depend on it, and the notes
 * the editor shows where the build falls short of what a VM asks for. Pure: the backend probes
 * (src/main/host/qemu-capabilities.ts), the argv builder and the editor read.
 */
import { z } from 'zod';
import type { DisplaySpec, GpuSpec } from './vm-spec';

/** Devices whose properties decide the argv (`-device NAME,help`, QMP device-list-properties). */
export const PROBED_DEVICES = [
  'VGA',
  'virtio-vga',
  'virtio-vga-gl',
  'vfio-pci',
  'vfio-pci-nohotplug',
  'tpm-crb',
  'e1000e',
  'nvme',
] as const;

/** Other QOM types the argv may use (`qom-list-types`). */
export const PROBED_TYPES = ['memory-backend-memfd', 'tpm-emulator', 'chardev-qemu-vdagent'] as const;

export const QemuCapabilities = z.object({
  binary: z.string(),
  version: z.string(),
  /** Display backends this QEMU can load (`-display help`): gtk and sdl come in qemu-system-gui. */
  displays: z.array(z.string()),
  /** Options of each display type, from the QMP schema of `query-display-options`. */
  displayOptions: z.record(z.string(), z.array(z.string())),
  /** Properties of each probed device this QEMU can create; a device it cannot is absent. */
  devices: z.record(z.string(), z.array(z.string())),
  /** The probed QOM types this QEMU has. */
  types: z.array(z.string()),
});
export type QemuCapabilities = z.infer<typeof QemuCapabilities>;

export function hasDisplay(caps: QemuCapabilities, type: string): boolean {
  return caps.displays.includes(type);
}

export function hasDisplayOption(caps: QemuCapabilities, type: string, option: string): boolean {
  return caps.displayOptions[type]?.includes(option) ?? false;
}

export function hasDevice(caps: QemuCapabilities, device: (typeof PROBED_DEVICES)[number]): boolean {
  return caps.devices[device] !== undefined;
}

export function hasDeviceProperty(
  caps: QemuCapabilities,
  device: (typeof PROBED_DEVICES)[number],
  property: string,
): boolean {
  return caps.devices[device]?.includes(property) ?? false;
}

export function hasType(caps: QemuCapabilities, type: (typeof PROBED_TYPES)[number]): boolean {
  return caps.types.includes(type);
}

export const CapabilityNote = z.object({
  id: z.enum([
    'gtk-missing',
    'gtk-connectors',
    'gtk-show-fps',
    'gtk-input',
    'egl-headless-missing',
    'virtio-gl-missing',
    'virtio-blob-missing',
    'vfio-ramfb-missing',
    'vfio-igd-opregion-missing',
  ]),
  /** The editor field it belongs next to. */
  field: z.enum(['gpu', 'display']),
  /** Whether the VM still starts (`info`: with the nearest stock equivalent) or cannot (`blocker`). */
  severity: z.enum(['info', 'blocker']),
  message: z.string(),
});
export type CapabilityNote = z.infer<typeof CapabilityNote>;

/** Whether this GPU's picture is a dma-buf that only a GL display (gtk gl=on, egl-headless) can show. */
export function gpuNeedsGlDisplay(gpu: GpuSpec): boolean {
  return gpu.kind === 'vf' || gpu.kind === 'mdev' || (gpu.kind === 'virtio' && gpu.gl);
}

/**
 * What this QEMU does differently from what the VM asks for, in the words the editor shows.
 * `info` notes describe the stock equivalent the argv falls back to; `blocker` notes are also
 * refused when the VM is saved or started.
 */
export function capabilityNotes(
  caps: QemuCapabilities,
  vm: { gpu: GpuSpec; display: DisplaySpec },
): CapabilityNote[] {
  const notes: CapabilityNote[] = [];
  const qemu = `QEMU ${caps.version}`;
  const { gpu, display } = vm;
  if (display.kind === 'local') {
    if (!hasDisplay(caps, 'gtk')) {
      notes.push({
        id: 'gtk-missing',
        field: 'display',
        severity: 'blocker',
        message: `${qemu} has no window of its own here (its GTK display is not installed): install the Debian package qemu-system-gui.`,
      });
    } else {
      if (display.monitor !== null && !hasDisplayOption(caps, 'gtk', 'connectors')) {
        notes.push({
          id: 'gtk-connectors',
          field: 'display',
          severity: 'info',
          message: `${qemu} cannot choose the monitor for its window (only Intel's patched QEMU has gtk "connectors"): the window opens ${display.fullScreen ? 'full-screen ' : ''}where the window manager puts it, so make ${display.monitor} the primary monitor.`,
        });
      }
      if (display.showFps && !hasDisplayOption(caps, 'gtk', 'show-fps')) {
        notes.push({
          id: 'gtk-show-fps',
          field: 'display',
          severity: 'info',
          message: `${qemu} has no frame-rate counter (only Intel's patched QEMU has gtk "show-fps"): the window shows none.`,
        });
      }
      if (!display.hostInput && !hasDisplayOption(caps, 'gtk', 'input')) {
        notes.push({
          id: 'gtk-input',
          field: 'display',
          severity: 'info',
          message: `${qemu}'s window cannot refuse the host's keyboard and mouse (only Intel's patched QEMU has gtk "input=off"): whatever is typed into the window reaches the guest, so give the seat its own keyboard by evdev or USB.`,
        });
      }
    }
  }
  if (
    (display.kind === 'vnc' || display.kind === 'spice') &&
    gpuNeedsGlDisplay(gpu) &&
    !hasDisplay(caps, 'egl-headless')
  ) {
    notes.push({
      id: 'egl-headless-missing',
      field: 'display',
      severity: gpu.kind === 'virtio' ? 'info' : 'blocker',
      message:
        gpu.kind === 'virtio'
          ? `${qemu} has no egl-headless display, so the console shows the virtio GPU without GL.`
          : `${qemu} has no egl-headless display, which brings this GPU's picture to the console: choose a local window or none.`,
    });
  }
  if (gpu.kind === 'virtio' && gpu.gl && !hasDevice(caps, 'virtio-vga-gl')) {
    notes.push({
      id: 'virtio-gl-missing',
      field: 'gpu',
      severity: 'info',
      message: `${qemu} cannot create virtio-vga-gl here (install the Debian package qemu-system-gui): the VM gets virtio-vga without GL.`,
    });
  }
  if (gpu.kind === 'vf' && display.kind !== 'none' && !hasDeviceProperty(caps, 'virtio-vga', 'blob')) {
    notes.push({
      id: 'virtio-blob-missing',
      field: 'gpu',
      severity: 'info',
      message: `${qemu}'s virtio-vga has no blob resources (QEMU 6.1+): the VF's frames are copied to the display instead of shared.`,
    });
  }
  if (gpu.kind === 'mdev' && !hasDeviceProperty(caps, 'vfio-pci-nohotplug', 'ramfb')) {
    notes.push({
      id: 'vfio-ramfb-missing',
      field: 'gpu',
      severity: 'info',
      message: `${qemu} has no ramfb for vfio devices: the screen stays dark until the guest's graphics driver loads.`,
    });
  }
  if (
    (gpu.kind === 'mdev' || gpu.kind === 'passthrough') &&
    !hasDeviceProperty(caps, 'vfio-pci', 'x-igd-opregion')
  ) {
    notes.push({
      id: 'vfio-igd-opregion-missing',
      field: 'gpu',
      severity: 'info',
      message: `${qemu} cannot pass the IGD OpRegion: the guest driver may find no display outputs.`,
    });
  }
  return notes;
}
