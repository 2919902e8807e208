// Which of QEMU's capabilities change the argv, and how: each case takes one thing away from
// Debian's QEMU 7.2 (or adds Intel's GTK options) and shows the argv's nearest stock equivalent
// next to the note the editor shows for it.
import { describe, expect, it } from 'vitest';
import { capabilityNotes, type QemuCapabilities } from '../../shared/qemu-capabilities';
import type { VmSpec } from '../../shared/vm-spec';
import { buildQemuArgs } from './qemu-args';
import { QEMU_BUILDS, UUID, host, spec, type SpecInput } from './qemu-args-fixtures';
import { xrandrOutputName } from './qemu-args-graphics';

const ADLP = '0000:00:02.0';
const debian = QEMU_BUILDS.debian;

function without(
  caps: QemuCapabilities,
  change: { device?: [string, string?]; display?: string; type?: string },
): QemuCapabilities {
  const [device, property] = change.device ?? [];
  const devices = Object.fromEntries(
    Object.entries(caps.devices)
      .filter(([d]) => d !== device || property !== undefined)
      .map(([d, props]) => [d, d === device ? props.filter((p) => p !== property) : props]),
  );
  return {
    ...caps,
    devices,
    displays: caps.displays.filter((d) => d !== change.display),
    types: caps.types.filter((t) => t !== change.type),
  };
}

const argv = (vm: VmSpec, caps: QemuCapabilities) => buildQemuArgs(vm, { ...host(vm), capabilities: caps });
const notes = (vm: VmSpec, caps: QemuCapabilities) =>
  capabilityNotes(caps, vm).map((n) => `${n.severity} ${n.id}`);

interface Case {
  name: string;
  vm: SpecInput;
  caps: QemuCapabilities;
  /** Arguments the stock build gets that this one does not, and the other way round. */
  lost: string[];
  gained: string[];
  notes: string[];
}

const vf = { kind: 'vf', pf: ADLP, vf: '0000:00:02.1' } as const;
const mdev = { kind: 'mdev', parent: ADLP, type: 'i915-GVTg_V5_4' } as const;
const local = { kind: 'local', monitor: 'HDMI-A-1', showFps: true } as const;

const cases: Case[] = [
  {
    name: "Intel's patched GTK: the window goes on the monitor and counts frames",
    vm: { name: 'v', gpu: vf, display: local },
    caps: QEMU_BUILDS.intel,
    lost: ['gtk,gl=on,full-screen=on'],
    gained: ['gtk,gl=on,full-screen=on,connectors.0=HDMI-1,show-fps=on'],
    notes: [],
  },
  {
    name: 'no virtio-vga-gl (qemu-system-gui missing): virtio-vga without GL',
    vm: { name: 'v', gpu: { kind: 'virtio', gl: true } },
    caps: without(debian, { device: ['virtio-vga-gl'] }),
    lost: ['egl-headless,rendernode=/dev/dri/renderD128', 'virtio-vga-gl,id=video0'],
    gained: ['none', 'virtio-vga,id=video0'],
    notes: ['info virtio-gl-missing'],
  },
  {
    name: 'no egl-headless: a virtio GPU shows without GL; a VF cannot be shown at all',
    vm: { name: 'v', gpu: { kind: 'virtio', gl: true } },
    caps: without(debian, { display: 'egl-headless' }),
    lost: ['egl-headless,rendernode=/dev/dri/renderD128', 'virtio-vga-gl,id=video0'],
    gained: ['none', 'virtio-vga,id=video0'],
    notes: ['info egl-headless-missing'],
  },
  {
    name: 'no blob resources (QEMU before 6.1): the VF frames are copied, guest RAM is ordinary',
    vm: { name: 'v', gpu: vf },
    caps: without(debian, { device: ['virtio-vga', 'blob'] }),
    lost: [
      'virtio-vga,id=video0,max_outputs=1,blob=true',
      'q35,accel=tcg,memory-backend=mem0',
      'memory-backend-memfd,id=mem0,size=1024M',
      '-object',
    ],
    gained: ['virtio-vga,id=video0,max_outputs=1', 'q35,accel=tcg'],
    notes: ['info virtio-blob-missing'],
  },
  {
    name: 'no ramfb on vfio: a GVT-g vGPU without boot screen, on the hotplug variant',
    vm: { name: 'v', gpu: mdev },
    caps: without(debian, { device: ['vfio-pci-nohotplug', 'ramfb'] }),
    lost: [
      `vfio-pci-nohotplug,id=gpu0,sysfsdev=/sys/bus/mdev/devices/${UUID},display=on,x-igd-opregion=on,ramfb=on,xres=1920,yres=1200`,
    ],
    gained: [
      `vfio-pci,id=gpu0,sysfsdev=/sys/bus/mdev/devices/${UUID},display=on,x-igd-opregion=on,xres=1920,yres=1200`,
    ],
    notes: ['info vfio-ramfb-missing'],
  },
  {
    name: 'no x-igd-opregion: the whole GPU without its OpRegion',
    vm: { name: 'v', gpu: { kind: 'passthrough', device: ADLP }, display: { kind: 'none' } },
    caps: without(debian, { device: ['vfio-pci', 'x-igd-opregion'] }),
    lost: ['vfio-pci,id=gpu0,host=0000:00:02.0,x-igd-opregion=on'],
    gained: ['vfio-pci,id=gpu0,host=0000:00:02.0'],
    notes: ['info vfio-igd-opregion-missing'],
  },
  {
    name: 'no qemu-vdagent (QEMU before 6.1): VNC without the clipboard channel',
    vm: { name: 'v' },
    caps: without(debian, { type: 'chardev-qemu-vdagent' }),
    lost: [
      'virtio-serial-pci,id=vserial0',
      'qemu-vdagent,id=vdagent0,name=vdagent,clipboard=on,mouse=off',
      'virtserialport,id=vdagentport0,bus=vserial0.0,chardev=vdagent0,name=com.redhat.spice.0',
      '-chardev',
    ],
    gained: [],
    notes: [],
  },
];

/** Arguments of `a` not in `b`, each as often as it is missing. */
function minus(a: readonly string[], b: readonly string[]): string[] {
  const left = [...b];
  return a.filter((x) => {
    const i = left.indexOf(x);
    if (i === -1) return true;
    left.splice(i, 1);
    return false;
  });
}

describe('what a QEMU build changes in the argv', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const vm = spec(c.vm);
    const stock = argv(vm, debian);
    const build = argv(vm, c.caps);
    const differ = (a: string[], b: string[]) =>
      minus(a, b)
        .filter((x) => x !== '-device')
        .sort();
    expect(differ(stock, build)).toEqual([...c.lost].sort());
    expect(differ(build, stock)).toEqual([...c.gained].sort());
    expect(notes(vm, c.caps)).toEqual(c.notes);
  });

  it('says what stock GTK does instead of placing the window and counting frames', () => {
    expect(notes(spec({ name: 'v', gpu: vf, display: local }), debian)).toEqual([
      'info gtk-connectors',
      'info gtk-show-fps',
    ]);
  });

  it('refuses what the build cannot show at all', () => {
    const noGtk = without(debian, { display: 'gtk' });
    expect(notes(spec({ name: 'v', display: { kind: 'local' } }), noGtk)).toEqual(['blocker gtk-missing']);
    const noEgl = without(debian, { display: 'egl-headless' });
    expect(notes(spec({ name: 'v', gpu: vf }), noEgl)).toEqual(['blocker egl-headless-missing']);
    expect(notes(spec({ name: 'v', gpu: mdev, display: { kind: 'spice' } }), noEgl)).toEqual([
      'blocker egl-headless-missing',
    ]);
  });
});

describe('xrandrOutputName', () => {
  it('names outputs as Xorg’s modesetting driver does', () => {
    expect(xrandrOutputName('HDMI-A-1')).toBe('HDMI-1');
    expect(xrandrOutputName('card1-HDMI-A-2')).toBe('HDMI-2');
    expect(xrandrOutputName('DP-3')).toBe('DP-3');
    expect(xrandrOutputName('eDP-1')).toBe('eDP-1');
    expect(xrandrOutputName('HDMI-B-1')).toBe('HDMI-B-1');
  });
});
