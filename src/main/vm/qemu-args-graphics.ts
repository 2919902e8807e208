/**
 * The graphics half of the argv: the GPU device(s), the display backend and the remote console.
 * Command-line shapes follow the field's (../shared/reference/qemu-gpu-guests.md, "Command-line
 * shapes in use"); where the QEMU build lacks an option, the nearest stock one is used and
 * capabilityNotes (src/shared/qemu-capabilities.ts) says so in the editor.
 */
import {
  hasDevice,
  hasDeviceProperty,
  hasDisplay,
  hasDisplayOption,
  type QemuCapabilities,
} from '../../shared/qemu-capabilities';
import { xrandrOutputName } from '../../shared/host-displays';
import type { VmSpec } from '../../shared/vm-spec';
import type { VmRuntimeFiles } from '../paths';
import type { GpuPlacement } from './gpu-placement';
import { escapeOptionValue as opt } from './qemu-option';

export { xrandrOutputName };

export interface GraphicsArgs {
  /** `-display`, `-vnc`, `-spice`. */
  display: string[];
  /** `-device` pairs for the GPU and its display adapter. */
  devices: string[];
  /** Guest RAM must come from a memfd: virtio-gpu blob resources are memfd pages shared as dma-bufs. */
  needsMemfd: boolean;
}

/**
 * Whether the GPU's picture is a dma-buf, which only a GL display shows: a VF hands its frames to
 * virtio-gpu blob resources, a GVT-g vGPU exposes its planes (`display=on`), a virtio GPU with GL
 * renders through virglrenderer. Virtio's GL is used only where this QEMU and host can do it.
 */
function glPicture(spec: VmSpec, placement: GpuPlacement, caps: QemuCapabilities): boolean {
  switch (placement.kind) {
    case 'vf':
    case 'mdev':
      return spec.display.kind !== 'none';
    case 'virtio': {
      const wanted = spec.gpu.kind === 'virtio' && spec.gpu.gl && hasDevice(caps, 'virtio-vga-gl');
      if (spec.display.kind === 'local') return wanted;
      return wanted && hasDisplay(caps, 'egl-headless') && placement.renderNode !== null;
    }
    default:
      return false;
  }
}

function renderNodeOf(placement: GpuPlacement): string | null {
  return 'renderNode' in placement ? placement.renderNode : null;
}

/**
 * GTK options that keep a kiosk's window on the guest (ui/gtk.c, QAPI DisplayGTK in
 * qapi/ui.json): the close button does nothing, no menu bar (and so none of its shortcuts'
 * menu), the guest's screen scaled to the full-screen window, and the keyboard grabbed while the
 * pointer is over it so the window manager's shortcuts reach the guest. Set only where the probed
 * QEMU has them (show-menubar is QEMU 8.0+ upstream, earlier in Debian's 7.2).
 */
const KIOSK_GTK_OPTIONS = [
  ['window-close', 'off'],
  ['show-menubar', 'off'],
  ['zoom-to-fit', 'on'],
  ['grab-on-hover', 'on'],
] as const;

function displayArgs(
  spec: VmSpec,
  gl: boolean,
  renderNode: string | null,
  caps: QemuCapabilities,
  runtime: VmRuntimeFiles,
  kiosk: boolean,
): string[] {
  const { display } = spec;
  if (display.kind === 'local') {
    const options = ['gtk'];
    if (gl) options.push('gl=on');
    if (display.fullScreen) options.push('full-screen=on');
    if (kiosk) {
      for (const [option, value] of KIOSK_GTK_OPTIONS) {
        if (hasDisplayOption(caps, 'gtk', option)) options.push(`${option}=${value}`);
      }
    }
    // Only Intel's patched GTK display places its window on a monitor and counts frames; stock
    // QEMU refuses both options ("Parameter 'connectors' is unexpected"), so they are left out.
    if (display.monitor !== null && hasDisplayOption(caps, 'gtk', 'connectors')) {
      options.push(`connectors.0=${opt(xrandrOutputName(display.monitor))}`);
    }
    if (display.showFps && hasDisplayOption(caps, 'gtk', 'show-fps')) options.push('show-fps=on');
    if (!display.hostInput && hasDisplayOption(caps, 'gtk', 'input')) options.push('input=off');
    return ['-display', options.join(',')];
  }
  const args: string[] = [];
  // A GPU guest's frames reach VNC or SPICE only through egl-headless, which renders them on the
  // host GPU's render node and hands QEMU's console a plain surface (qemu-gpu-guests.md, "Remote
  // console of a GPU guest"). SPICE's own gl=on would do it too, but blocks QEMU's main loop.
  if (gl && (display.kind === 'vnc' || display.kind === 'spice')) {
    args.push(
      '-display',
      renderNode === null ? 'egl-headless' : `egl-headless,rendernode=${opt(renderNode)}`,
    );
  } else {
    args.push('-display', 'none');
  }
  if (display.kind === 'vnc') args.push('-vnc', `unix:${opt(runtime.vnc)}`);
  // No ticket: the socket sits in the VM's 0700 runtime dir, and the console bridge checks its
  // own one-time token before it connects.
  if (display.kind === 'spice')
    args.push('-spice', `unix=on,addr=${opt(runtime.spice)},disable-ticketing=on`);
  return args;
}

function deviceArgs(
  spec: VmSpec,
  placement: GpuPlacement,
  gl: boolean,
  caps: QemuCapabilities,
): GraphicsArgs['devices'] {
  const shows = spec.display.kind !== 'none';
  switch (placement.kind) {
    case 'none':
      return [];
    case 'std':
      return ['-device', 'VGA,id=video0'];
    case 'virtio':
      return ['-device', `${gl ? 'virtio-vga-gl' : 'virtio-vga'},id=video0`];
    case 'vf': {
      // The VF renders; its frames are shown through a virtio GPU whose blob resources share the
      // guest's pages with the host (edge-desktop-virtualization's launcher). A VF has no display
      // region of its own, so x-igd-opregion and display=on do not apply to it.
      const devices = ['-device', `vfio-pci,id=gpu0,host=${placement.address}`];
      if (shows) {
        const video = ['virtio-vga', 'id=video0'];
        if (hasDeviceProperty(caps, 'virtio-vga', 'max_outputs')) video.push('max_outputs=1');
        if (hasDeviceProperty(caps, 'virtio-vga', 'blob')) video.push('blob=true');
        devices.push('-device', video.join(','));
      }
      return devices;
    }
    case 'mdev': {
      // GVT-g (qemu-gpu-guests.md): the vGPU's planes are the display (display=on), the OpRegion
      // tells the guest driver its outputs, and ramfb shows firmware and boot loader before the
      // driver loads. ramfb exists only on vfio-pci-nohotplug, the variant the guides select
      // with `driver=`; here it is named as the device directly.
      const ramfb = shows && hasDeviceProperty(caps, 'vfio-pci-nohotplug', 'ramfb');
      const options = [
        ramfb ? 'vfio-pci-nohotplug' : 'vfio-pci',
        'id=gpu0',
        `sysfsdev=/sys/bus/mdev/devices/${placement.uuid}`,
      ];
      if (shows) options.push('display=on');
      if (hasDeviceProperty(caps, 'vfio-pci', 'x-igd-opregion')) options.push('x-igd-opregion=on');
      if (ramfb) options.push('ramfb=on');
      if (shows && placement.resolution) {
        options.push(`xres=${placement.resolution.width}`, `yres=${placement.resolution.height}`);
      }
      return ['-device', options.join(',')];
    }
    case 'passthrough': {
      // GVT-d in universal pass-through mode on q35: the OpRegion is all the guest driver needs.
      // x-igd-gms (stolen memory) belongs to legacy mode, which needs i440fx (QEMU's
      // docs/igd-assign.txt), so it is left out.
      const options = ['vfio-pci', 'id=gpu0', `host=${placement.address}`];
      if (hasDeviceProperty(caps, 'vfio-pci', 'x-igd-opregion')) options.push('x-igd-opregion=on');
      // The GPU's picture goes to its own ports; a console shows an emulated VGA beside it.
      return ['-device', options.join(','), ...(shows ? ['-device', 'VGA,id=video0'] : [])];
    }
  }
}

export function graphicsArgs(
  spec: VmSpec,
  placement: GpuPlacement,
  caps: QemuCapabilities,
  runtime: VmRuntimeFiles,
  kiosk = false,
): GraphicsArgs {
  const gl = glPicture(spec, placement, caps);
  const devices = deviceArgs(spec, placement, gl, caps);
  return {
    display: displayArgs(spec, gl, renderNodeOf(placement), caps, runtime, kiosk),
    devices,
    needsMemfd: devices.some((d) => d.includes('blob=true')),
  };
}
