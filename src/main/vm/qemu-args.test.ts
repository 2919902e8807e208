import { describe, it, expect } from 'vitest';
import { z } from 'zod';
import { TesseraError } from '../../shared/errors';
import { applyWindows11Profile } from '../../shared/vm-presets';
import { VmSpec } from '../../shared/vm-spec';
import { buildQemuArgs } from './qemu-args';
import { HOME, host, scenario, spec, type Scenario, type SpecInput } from './qemu-args-fixtures';
import { escapeOptionValue } from './qemu-option';

const ADLP = '0000:00:02.0';
const GVTG_TYPE = 'i915-GVTg_V5_4';

/** A kiosk as edge-desktop-virtualization's launcher makes one: a VF, its own window, hugepages. */
const VF_KIOSK: SpecInput = {
  name: 'vf-local',
  cpus: 4,
  memoryMiB: 8192,
  memoryBacking: { hugepages: '2M' },
  machine: { kernelIrqchip: 'on' },
  gpu: { kind: 'vf', pf: ADLP, vf: '0000:00:02.2' },
  display: { kind: 'local', monitor: 'HDMI-A-1', showFps: true },
};

const scenarios: Scenario[] = [
  scenario('minimal', { name: 'minimal' }),
  scenario('tiny-guest', {
    name: 'tiny',
    memoryMiB: 128,
    kernel: {
      path: `${HOME}/tessera/tiny/bzImage`,
      initrd: `${HOME}/tessera/tiny/initramfs.cpio.gz`,
      append: 'console=ttyS0 panic=-1 quiet',
    },
    gpu: { kind: 'none' },
    display: { kind: 'none' },
  }),
  scenario('disks', {
    name: 'disks',
    disks: [
      { path: `${HOME}/vms/system.qcow2` },
      { path: `${HOME}/vms/base.qcow2`, readOnly: true },
      { path: `${HOME}/vms/scratch.raw`, format: 'raw' },
      { path: `${HOME}/vms/tools.img`, format: 'raw', readOnly: true },
    ],
  }),
  scenario('disk-buses', {
    name: 'buses',
    disks: [
      { path: `${HOME}/vms/nvme.qcow2`, bus: 'nvme' },
      { path: `${HOME}/vms/sata-a.qcow2`, bus: 'sata' },
      { path: `${HOME}/vms/sata-b.raw`, format: 'raw', bus: 'sata' },
      { path: `${HOME}/vms/nvme-ro.raw`, format: 'raw', bus: 'nvme', readOnly: true },
      { path: `${HOME}/vms/virtio.qcow2` },
    ],
    cdrom: `${HOME}/isos/tools.iso`,
  }),
  scenario('golden-overlay', {
    name: 'booth',
    disks: [
      {
        path: `${HOME}/.local/share/tessera/overlays/booth/2026-12-02T01-00-00-000Z.qcow2`,
        backing: { path: `${HOME}/.local/share/tessera/images/kiosk,base/v2.qcow2`, format: 'qcow2' },
      },
      {
        path: `${HOME}/.local/share/tessera/overlays/booth/data.qcow2`,
        backing: { path: `${HOME}/.local/share/tessera/images/data/v1.raw`, format: 'raw' },
      },
    ],
  }),
  scenario('cdrom-install', {
    name: 'debian-install',
    cpus: 2,
    memoryMiB: 4096,
    disks: [{ path: `${HOME}/vms/debian.qcow2` }],
    cdrom: `${HOME}/Downloads/debian-12.8.0-amd64-netinst.iso`,
  }),
  scenario('uefi', {
    name: 'uefi',
    firmware: 'uefi',
    memoryMiB: 2048,
    disks: [{ path: `${HOME}/vms/uefi.qcow2` }],
  }),
  scenario('port-forwards', {
    name: 'web',
    network: {
      forwards: [
        { hostPort: 2222, guestPort: 22 },
        { protocol: 'tcp', hostAddress: '0.0.0.0', hostPort: 8080, guestPort: 80 },
        { protocol: 'udp', hostPort: 5353, guestPort: 53 },
        { protocol: 'udp', hostAddress: '0.0.0.0', hostPort: 27015, guestPort: 27015 },
      ],
    },
  }),
  scenario('virtio-vga', { name: 'desktop', cpus: 4, memoryMiB: 8192, gpu: { kind: 'virtio' } }),
  scenario('spice', { name: 'spice', memoryMiB: 2048, gpu: { kind: 'virtio' }, display: { kind: 'spice' } }),
  scenario('headless', { name: 'headless', display: { kind: 'none' }, network: { mode: 'none' } }),
  scenario('guest-agent', { name: 'validated', display: { kind: 'none' }, guestAgent: true }),
  scenario('guest-agent-vnc', { name: 'validated-vnc', guestAgent: true }),
  scenario('kvm', { name: 'fast', cpus: 8, memoryMiB: 16384 }, { accelerator: 'kvm' }),
  // QEMU reads `,,` as a comma in option strings, but takes -kernel and -initrd verbatim.
  scenario(
    'commas-in-paths',
    {
      name: 'commas',
      disks: [{ path: `${HOME}/vms/a,b/disk,1.qcow2` }],
      cdrom: `${HOME}/isos/x,y.iso`,
      kernel: { path: `${HOME}/kernels/k,1/bzImage`, initrd: `${HOME}/kernels/k,1/initrd,gz` },
    },
    { runtimeDir: '/run/user/1000/odd,dir/tessera' },
  ),
  // Emulated GPUs with GL and QEMU's own window.
  scenario('virtio-gl-vnc', { name: 'gl', memoryMiB: 2048, gpu: { kind: 'virtio', gl: true } }),
  scenario('virtio-gl-local', {
    name: 'gl-local',
    memoryMiB: 2048,
    gpu: { kind: 'virtio', gl: true },
    display: { kind: 'local', fullScreen: false },
    machine: { kernelIrqchip: 'split' },
  }),
  // Without qemu-system-gui there is no virtio-vga-gl: the nearest stock equivalent, no GL.
  scenario(
    'virtio-gl-without-gui',
    { name: 'gl-nogui', memoryMiB: 2048, gpu: { kind: 'virtio', gl: true } },
    { qemu: 'debianWithoutGui' },
  ),
  scenario('std-local', {
    name: 'kiosk',
    memoryMiB: 2048,
    display: { kind: 'local', monitor: 'HDMI-A-1' },
    restartPolicy: 'always',
  }),
  // The kiosk shows it: stock QEMU's lockdown options (window-close=off, zoom-to-fit…), no connectors.
  scenario(
    'std-local-kiosk',
    { name: 'kiosk', memoryMiB: 2048, display: { kind: 'local', monitor: 'HDMI-A-1' } },
    { kiosk: true },
  ),
  // SR-IOV VFs (qemu-gpu-guests.md, edge-desktop-virtualization's launcher).
  scenario(
    'sriov-vf-vnc',
    { name: 'vf-vnc', cpus: 4, memoryMiB: 8192, gpu: { kind: 'vf', pf: ADLP, vf: '0000:00:02.1' } },
    { accelerator: 'kvm' },
  ),
  scenario(
    'sriov-vf-spice-any-free',
    { name: 'vf-any', cpus: 4, memoryMiB: 8192, gpu: { kind: 'vf', pf: ADLP }, display: { kind: 'spice' } },
    { accelerator: 'kvm', gpu: { kind: 'vf', address: '0000:00:02.3', renderNode: '/dev/dri/renderD128' } },
  ),
  scenario('sriov-vf-local', VF_KIOSK, { accelerator: 'kvm' }),
  scenario('sriov-vf-local-intel-qemu', VF_KIOSK, { accelerator: 'kvm', qemu: 'intel' }),
  scenario(
    'sriov-vf-headless',
    {
      name: 'vf-rdp',
      cpus: 2,
      memoryMiB: 4096,
      gpu: { kind: 'vf', pf: ADLP, vf: '0000:00:02.4' },
      display: { kind: 'none' },
    },
    { accelerator: 'kvm' },
  ),
  // GVT-g vGPUs (docs/sriov-sysfs.md#gvt-g) and GVT-d.
  scenario(
    'gvtg-vnc',
    { name: 'gvtg', memoryMiB: 4096, gpu: { kind: 'mdev', parent: ADLP, type: GVTG_TYPE } },
    { accelerator: 'kvm' },
  ),
  scenario(
    'gvtg-local',
    {
      name: 'gvtg-local',
      memoryMiB: 4096,
      gpu: { kind: 'mdev', parent: ADLP, type: 'i915-GVTg_V5_8' },
      display: { kind: 'local' },
    },
    { accelerator: 'kvm' },
  ),
  scenario(
    'gvtg-headless',
    {
      name: 'gvtg-rdp',
      memoryMiB: 4096,
      machine: { kernelIrqchip: 'off' },
      gpu: { kind: 'mdev', parent: ADLP, type: GVTG_TYPE },
      display: { kind: 'none' },
    },
    { accelerator: 'kvm' },
  ),
  scenario(
    'gvtd-passthrough',
    {
      name: 'gvtd',
      cpus: 4,
      memoryMiB: 8192,
      firmware: 'uefi',
      disks: [{ path: `${HOME}/vms/gvtd.qcow2` }],
      gpu: { kind: 'passthrough', device: ADLP },
      display: { kind: 'none' },
    },
    { accelerator: 'kvm' },
  ),
  scenario('memory-1g-shared', {
    name: 'shared',
    memoryMiB: 2048,
    memoryBacking: { hugepages: '1G', shared: true },
  }),
  scenario(
    'windows11',
    applyWindows11Profile({
      name: 'win11',
      disks: [{ path: `${HOME}/vms/win11.qcow2` }],
      cdrom: `${HOME}/Downloads/Win11_24H2_English_x64.iso`,
      network: { forwards: [{ hostPort: 3389, guestPort: 3389 }] },
      gpu: { kind: 'vf', pf: ADLP, vf: '0000:00:02.1' },
      memoryBacking: { hugepages: '2M' },
    }),
    { accelerator: 'kvm' },
  ),
  // USB and input for kiosk seats (issue 17). The devices are absent on the machine that runs the
  // goldens through QEMU, which starts anyway: usb-host attaches a device when it appears.
  scenario('usb-port-paths', {
    name: 'seat-1',
    memoryMiB: 2048,
    display: { kind: 'local', monitor: 'HDMI-A-1' },
    usb: ['3-1.1', '3-1.4.2'],
  }),
  scenario(
    'usb-vendor-product',
    {
      name: 'scanner',
      gpu: { kind: 'none' },
      display: { kind: 'none' },
      // The second is found by its serial where it is plugged in now; the third is not plugged in.
      usb: ['05e0:1200', '0c2e:0b61:17293B0135', '1050:0407:0009876543'],
    },
    {
      usb: [
        { bus: 3, portPath: '3-1.4.2', vendorId: '0c2e', productId: '0b61', serial: '17293B0135' },
        { bus: 3, portPath: '3-2', vendorId: '1050', productId: '0407', serial: '0001234567' },
      ],
    },
  ),
  scenario(
    'usb-evdev-kiosk-intel-qemu',
    {
      name: 'seat-2',
      memoryMiB: 2048,
      display: { kind: 'local', monitor: 'DP-1', hostInput: false },
      usb: ['3-1.2'],
      evdev: [
        '/dev/input/by-id/usb-Logitech_USB_Keyboard-event-kbd',
        '/dev/input/by-path/pci-0000:00:14.0-usb-0:1.3:1.0-event-mouse',
      ],
    },
    { qemu: 'intel' },
  ),
];

describe('buildQemuArgs goldens', () => {
  it.each(scenarios.map((s) => [s.name, s] as const))('%s', async (name, s) => {
    const argv = buildQemuArgs(s.spec, s.host);
    await expect(argv.join('\n') + '\n').toMatchFileSnapshot(`./__golden__/${name}.args`);
  });

  it('never daemonizes nor keeps a powered-off guest around', () => {
    for (const s of scenarios) {
      const argv = buildQemuArgs(s.spec, s.host);
      expect(argv).not.toContain('-daemonize');
      expect(argv).not.toContain('-no-shutdown');
      expect(argv.every((a) => a.length > 0 && !a.includes('\n'))).toBe(true);
    }
  });
});

describe('buildQemuArgs', () => {
  it('boots disks before the CD-ROM', () => {
    const s = scenarios.find((x) => x.name === 'cdrom-install');
    if (!s) throw new Error('scenario missing');
    const argv = buildQemuArgs(s.spec, s.host);
    expect(argv).toContain('virtio-blk-pci,id=disk0,drive=drive-disk0,bootindex=1');
    expect(argv).toContain('ide-cd,id=cdrom0,drive=drive-cdrom0,bus=ide.0,bootindex=2');
  });

  it('gives no boot index when a kernel is booted directly', () => {
    const s = scenarios.find((x) => x.name === 'commas-in-paths');
    if (!s) throw new Error('scenario missing');
    expect(buildQemuArgs(s.spec, s.host).some((a) => a.includes('bootindex'))).toBe(false);
  });

  it('refuses UEFI when the host has no OVMF', () => {
    const vm = spec({ name: 'uefi', firmware: 'uefi-secure-boot' });
    const error = catchError(() => buildQemuArgs(vm, { ...host(vm), firmware: null }));
    expect(error).toBeInstanceOf(TesseraError);
    expect(error).toMatchObject({
      code: 'UNAVAILABLE',
      message: expect.stringContaining(
        'no OVMF Secure Boot build was found: install the Debian package ovmf',
      ),
    });
  });

  it('does not need OVMF for a BIOS guest', () => {
    const vm = spec({ name: 'bios' });
    expect(buildQemuArgs(vm, { ...host(vm), firmware: null })).toEqual(buildQemuArgs(vm, host(vm)));
  });
});

describe('escapeOptionValue', () => {
  it('doubles every comma', () => {
    expect(escapeOptionValue('/a,b/c,,d,')).toBe('/a,,b/c,,,,d,,');
  });
  it('leaves other characters alone', () => {
    expect(escapeOptionValue('/home/ada/My VMs/disk=1.qcow2')).toBe('/home/ada/My VMs/disk=1.qcow2');
    expect(escapeOptionValue('')).toBe('');
  });
});

// ---- Coverage: every VmSpec field must reach the argv (DESIGN.md "Tests") ----

/** Fields that by design never reach QEMU's argv, and why. */
const NOT_IN_ARGV: Record<string, string> = {
  restartPolicy: 'the supervisor applies it when QEMU exits',
  createdAt: 'bookkeeping for the gallery',
  'cpuPinning[]':
    'QEMU has no option for it: the VM service pins the vCPU threads after start (cpu-pinning.ts)',
};

/**
 * One value of each variant of the spec's unions, and a display (or GPU) each can go with, so
 * that a variant's own fields can be changed one at a time.
 */
const RICH_GPUS = {
  none: { kind: 'none' },
  std: { kind: 'std' },
  virtio: { kind: 'virtio', gl: true },
  vf: { kind: 'vf', pf: ADLP, vf: '0000:00:02.3' },
  mdev: { kind: 'mdev', parent: ADLP, type: GVTG_TYPE },
  passthrough: { kind: 'passthrough', device: ADLP },
} as const;
const RICH_DISPLAYS = {
  vnc: { kind: 'vnc' },
  spice: { kind: 'spice' },
  local: { kind: 'local', monitor: 'HDMI-A-1', fullScreen: true, showFps: true },
  none: { kind: 'none' },
} as const;
const RICH_UNIONS: Record<string, Record<string, object>> = { gpu: RICH_GPUS, display: RICH_DISPLAYS };

/** The display a GPU variant can feed, the GPU a display variant can show. */
function withUnion(base: VmSpec, union: string, kind: string): VmSpec {
  const input = structuredClone(base) as Record<string, unknown>;
  input[union] = RICH_UNIONS[union]?.[kind];
  if (union === 'gpu') input['display'] = kind === 'none' ? RICH_DISPLAYS.none : RICH_DISPLAYS.vnc;
  else input['gpu'] = RICH_GPUS.vf;
  return VmSpec.parse(input);
}

interface Leaf {
  /** `network.forwards[].hostPort`, `gpu<vf>.pf`; array elements are taken at index 0. */
  label: string;
  path: (string | number)[];
  schema: z.ZodType;
  /** A field of one variant of a union (`gpu`, kind `vf`): changed on a spec with that variant. */
  variant?: { union: string; kind: string };
}

function collectLeaves(schema: z.ZodType, label: string, path: (string | number)[]): Leaf[] {
  if (schema instanceof z.ZodDefault || schema instanceof z.ZodOptional) {
    return collectLeaves(schema.unwrap() as z.ZodType, label, path);
  }
  if (schema instanceof z.ZodDiscriminatedUnion) {
    const union = String(path.at(-1));
    const options = schema.options as z.ZodObject[];
    return options.flatMap((option) => {
      const { kind, ...fields } = option.shape as Record<string, z.ZodType>;
      const name = [...(kind as z.ZodLiteral).values][0] as string;
      return Object.entries(fields).flatMap(([key, child]) =>
        collectLeaves(child, `${label}<${name}>.${key}`, [...path, key]).map((leaf) => ({
          ...leaf,
          variant: { union, kind: name },
        })),
      );
    });
  }
  if (schema instanceof z.ZodObject) {
    const shape = schema.shape as Record<string, z.ZodType>;
    return Object.entries(shape).flatMap(([key, child]) =>
      collectLeaves(child, label ? `${label}.${key}` : key, [...path, key]),
    );
  }
  if (schema instanceof z.ZodArray) {
    return collectLeaves(schema.element as z.ZodType, `${label}[]`, [...path, 0]);
  }
  return [{ label, path, schema }];
}

const leaves = collectLeaves(VmSpec, '', []);

/** The finite set of values a leaf can take, or undefined for open ones (strings, numbers). */
function choicesOf(schema: z.ZodType): unknown[] | undefined {
  if (schema instanceof z.ZodEnum) return [...schema.options];
  if (schema instanceof z.ZodBoolean) return [false, true];
  if (schema instanceof z.ZodUnion) {
    const options = schema.options as readonly z.ZodType[];
    if (options.every((o) => o instanceof z.ZodLiteral)) {
      return options.flatMap((o) => [...(o as z.ZodLiteral).values]);
    }
  }
  return undefined;
}

function getAt(value: unknown, path: (string | number)[]): unknown {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}

function setAt(value: unknown, path: (string | number)[], next: unknown): void {
  const parent = getAt(value, path.slice(0, -1));
  const key = path.at(-1);
  if (parent === null || typeof parent !== 'object' || key === undefined) {
    throw new Error(`cannot set ${path.join('.')}`);
  }
  (parent as Record<string | number, unknown>)[key] = next;
}

/** A copy of `base` with one leaf changed to another valid value. */
function variantOf(base: VmSpec, leaf: Leaf): VmSpec {
  const current = getAt(base, leaf.path);
  const candidates: unknown[] = [];
  const choices = choicesOf(leaf.schema);
  if (choices) candidates.push(...choices.filter((c) => c !== current));
  else if (typeof current === 'number') candidates.push(current + 1, current - 1);
  else if (typeof current === 'string') {
    // Appending fits names, paths and the command line; bumping a digit keeps a uuid, a date or a
    // PCI address valid.
    candidates.push(
      `${current}b`,
      current.replace(/(\d)(\D*)$/, (_, d: string, rest: string) => `${(Number(d) + 1) % 10}${rest}`),
    );
  }
  for (const candidate of candidates) {
    const copy = structuredClone(base);
    setAt(copy, leaf.path, candidate);
    const parsed = VmSpec.safeParse(copy);
    if (parsed.success) return parsed.data;
  }
  throw new Error(`no valid variant of ${leaf.label} (current value ${JSON.stringify(current)})`);
}

// Every optional field present and every array non-empty, so each leaf has a value to change.
const rich = spec({
  name: 'rich',
  cpus: 2,
  memoryMiB: 2048,
  disks: [{ path: `${HOME}/vms/rich.qcow2`, backing: { path: `${HOME}/images/rich.raw`, format: 'raw' } }],
  cdrom: `${HOME}/isos/rich.iso`,
  kernel: { path: `${HOME}/kernels/bzImage`, initrd: `${HOME}/kernels/initrd`, append: 'console=ttyS0' },
  network: { forwards: [{ hostPort: 2222, guestPort: 22 }] },
  usb: ['3-1.4'],
  evdev: ['/dev/input/by-id/usb-rich-event-kbd'],
});

/** The rich spec with the leaf's union variant in place; pinned only for the pinning (cpus could not change). */
function baseFor(leaf: Leaf): VmSpec {
  if (leaf.variant) return withUnion(rich, leaf.variant.union, leaf.variant.kind);
  return leaf.label === 'cpuPinning[]' ? VmSpec.parse({ ...rich, cpuPinning: [0, 1] }) : rich;
}

describe('every VmSpec field reaches the argv', () => {
  // Intel's build, so that the GTK options only it has are seen too.
  const argvOf = (vm: VmSpec): string => buildQemuArgs(vm, host(vm, { qemu: 'intel' })).join('\n');

  it('walks nested fields of the schema and of each union variant', () => {
    const labels = leaves.map((l) => l.label);
    expect(labels).toEqual(
      expect.arrayContaining([
        'cpus',
        'disks[].readOnly',
        'kernel.initrd',
        'network.forwards[].hostPort',
        'gpu<vf>.pf',
        'gpu<mdev>.type',
        'display<local>.monitor',
      ]),
    );
    for (const leaf of leaves) expect(getAt(baseFor(leaf), leaf.path), leaf.label).not.toBeUndefined();
  });

  it('lists only real fields as kept out of the argv', () => {
    const labels = new Set(leaves.map((l) => l.label));
    for (const label of Object.keys(NOT_IN_ARGV)) expect(labels.has(label), label).toBe(true);
  });

  it.each(leaves.filter((l) => !(l.label in NOT_IN_ARGV)).map((l) => [l.label, l] as const))(
    'changing %s changes the argv',
    (_label, leaf) => {
      const base = baseFor(leaf);
      expect(argvOf(variantOf(base, leaf))).not.toEqual(argvOf(base));
    },
  );

  it.each(Object.keys(RICH_UNIONS))('each kind of %s gives its own argv', (union) => {
    const kinds = Object.keys(RICH_UNIONS[union] ?? {});
    const argvs = new Set(kinds.map((kind) => argvOf(withUnion(rich, union, kind))));
    expect(argvs.size).toBe(kinds.length);
  });

  it.each(Object.keys(NOT_IN_ARGV))('%s is kept out of the argv by design', (label) => {
    const leaf = leaves.find((l) => l.label === label);
    if (!leaf) throw new Error(`no field ${label}`);
    expect(argvOf(variantOf(baseFor(leaf), leaf))).toEqual(argvOf(baseFor(leaf)));
  });

  it.each(leaves.filter((l) => !(l.label in NOT_IN_ARGV)).map((l) => [l.label, l] as const))(
    'the goldens show every value of %s',
    (label, leaf) => {
      const inVariant = scenarios.filter(
        (s) => !leaf.variant || getAt(s.spec, [leaf.variant.union, 'kind']) === leaf.variant.kind,
      );
      const seen = inVariant.flatMap((s) => valuesAt(s.spec, leaf.path));
      const choices = choicesOf(leaf.schema);
      if (choices) expect(new Set(seen), label).toEqual(new Set(choices));
      else expect(seen.length, `${label} is set in no golden`).toBeGreaterThan(0);
    },
  );

  it.each(Object.keys(RICH_UNIONS))('the goldens show every kind of %s', (union) => {
    const seen = new Set(scenarios.map((s) => getAt(s.spec, [union, 'kind'])));
    expect(seen).toEqual(new Set(Object.keys(RICH_UNIONS[union] ?? {})));
  });
});

/** Values at a leaf path across all elements of the arrays on the way. */
function valuesAt(value: unknown, path: (string | number)[]): unknown[] {
  const [head, ...rest] = path;
  if (head === undefined) return value === undefined ? [] : [value];
  if (typeof head === 'number') return Array.isArray(value) ? value.flatMap((v) => valuesAt(v, rest)) : [];
  if (value === null || typeof value !== 'object') return [];
  return valuesAt((value as Record<string, unknown>)[head], rest);
}

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}
