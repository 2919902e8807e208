import { describe, it, expect } from 'vitest';
import { z } from 'zod';
import { TesseraError } from '../../shared/errors';
import { VmSpec } from '../../shared/vm-spec';
import { vmDataFiles, vmRuntimeFiles } from '../paths';
import { buildQemuArgs, escapeOptionValue, type QemuHost } from './qemu-args';

// Golden paths are fixed, made-up host paths so the files read like a real host's argv;
// tests/integration/qemu-args-accepted.test.ts maps /home/ada and /run/user/1000 into a temp
// dir and runs every golden through the real QEMU.
const HOME = '/home/ada';
const RUNTIME_DIR = '/run/user/1000/tessera';
const DATA_DIR = `${HOME}/.local/share/tessera`;
const UUID = '0b5f3c1e-6a2d-4c8e-9f47-3d21a8b6e5c0';
const CREATED_AT = '2025-01-02T03:04:05.000Z';

type SpecInput = Omit<z.input<typeof VmSpec>, 'uuid' | 'createdAt'>;

function spec(input: SpecInput): VmSpec {
  return VmSpec.parse({ uuid: UUID, createdAt: CREATED_AT, ...input });
}

function host(
  vm: VmSpec,
  options: { accelerator?: QemuHost['accelerator']; runtimeDir?: string } = {},
): QemuHost {
  return {
    accelerator: options.accelerator ?? 'tcg',
    runtime: vmRuntimeFiles(options.runtimeDir ?? RUNTIME_DIR, vm.name),
    data: vmDataFiles(DATA_DIR, vm.name),
    firmware: {
      ovmfCode: '/usr/share/OVMF/OVMF_CODE_4M.fd',
      ovmfVarsTemplate: '/usr/share/OVMF/OVMF_VARS_4M.fd',
    },
  };
}

interface Scenario {
  name: string;
  spec: VmSpec;
  host: QemuHost;
}

function scenario(name: string, input: SpecInput, options: Parameters<typeof host>[1] = {}): Scenario {
  const vm = spec(input);
  return { name, spec: vm, host: host(vm, options) };
}

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
    vga: 'none',
    display: 'none',
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
  scenario('virtio-vga', { name: 'desktop', cpus: 4, memoryMiB: 8192, vga: 'virtio' }),
  scenario('spice', { name: 'spice', memoryMiB: 2048, vga: 'virtio', display: 'spice' }),
  scenario('headless', { name: 'headless', display: 'none', network: { mode: 'none' } }),
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
    const vm = spec({ name: 'uefi', firmware: 'uefi' });
    const error = catchError(() => buildQemuArgs(vm, { ...host(vm), firmware: null }));
    expect(error).toBeInstanceOf(TesseraError);
    expect(error).toMatchObject({
      code: 'UNAVAILABLE',
      message: expect.stringContaining('apt install ovmf'),
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
};

interface Leaf {
  /** `network.forwards[].hostPort`; array elements are taken at index 0. */
  label: string;
  path: (string | number)[];
  schema: z.ZodType;
}

function collectLeaves(schema: z.ZodType, label: string, path: (string | number)[]): Leaf[] {
  if (schema instanceof z.ZodDefault || schema instanceof z.ZodOptional) {
    return collectLeaves(schema.unwrap() as z.ZodType, label, path);
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
    // Appending fits names, paths and the command line; bumping a digit keeps a uuid or a date valid.
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
  disks: [{ path: `${HOME}/vms/rich.qcow2` }],
  cdrom: `${HOME}/isos/rich.iso`,
  kernel: { path: `${HOME}/kernels/bzImage`, initrd: `${HOME}/kernels/initrd`, append: 'console=ttyS0' },
  network: { forwards: [{ hostPort: 2222, guestPort: 22 }] },
});

describe('every VmSpec field reaches the argv', () => {
  const argvOf = (vm: VmSpec): string => buildQemuArgs(vm, host(vm)).join('\n');

  it('walks nested fields of the schema', () => {
    const labels = leaves.map((l) => l.label);
    expect(labels).toEqual(
      expect.arrayContaining(['cpus', 'disks[].readOnly', 'kernel.initrd', 'network.forwards[].hostPort']),
    );
    for (const leaf of leaves) expect(getAt(rich, leaf.path), leaf.label).not.toBeUndefined();
  });

  it('lists only real fields as kept out of the argv', () => {
    const labels = new Set(leaves.map((l) => l.label));
    for (const label of Object.keys(NOT_IN_ARGV)) expect(labels.has(label), label).toBe(true);
  });

  it.each(leaves.filter((l) => !(l.label in NOT_IN_ARGV)).map((l) => [l.label, l] as const))(
    'changing %s changes the argv',
    (_label, leaf) => {
      expect(argvOf(variantOf(rich, leaf))).not.toEqual(argvOf(rich));
    },
  );

  it.each(Object.keys(NOT_IN_ARGV))('%s is kept out of the argv by design', (label) => {
    const leaf = leaves.find((l) => l.label === label);
    if (!leaf) throw new Error(`no field ${label}`);
    expect(argvOf(variantOf(rich, leaf))).toEqual(argvOf(rich));
  });

  it.each(leaves.filter((l) => !(l.label in NOT_IN_ARGV)).map((l) => [l.label, l] as const))(
    'the goldens show every value of %s',
    (label, leaf) => {
      const seen = scenarios.flatMap((s) => valuesAt(s.spec, leaf.path));
      const choices = choicesOf(leaf.schema);
      if (choices) expect(new Set(seen), label).toEqual(new Set(choices));
      else expect(seen.length, `${label} is set in no golden`).toBeGreaterThan(0);
    },
  );
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
