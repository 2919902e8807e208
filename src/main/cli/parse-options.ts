import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { TesseraError } from '../../shared/errors';
import type { GpuInventory } from '../../shared/gpu-inventory';
import { isBdf } from '../../shared/pci-address';
import { applyWindows11Profile } from '../../shared/vm-presets';
import type { DisplaySpec, GpuSpec, VmCreateInput } from '../../shared/vm-spec';

export class UsageError extends Error {}

type Options = ReturnType<typeof parseCreateOptions>;

export function parseCreateOptions(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    options: {
      cpus: { type: 'string' },
      memory: { type: 'string' },
      disk: { type: 'string', multiple: true },
      cdrom: { type: 'string' },
      kernel: { type: 'string' },
      initrd: { type: 'string' },
      append: { type: 'string' },
      firmware: { type: 'string' },
      forward: { type: 'string', multiple: true },
      network: { type: 'string' },
      gpu: { type: 'string' },
      // The spelling before --gpu: std, virtio or none.
      vga: { type: 'string' },
      display: { type: 'string' },
      windowed: { type: 'boolean' },
      'show-fps': { type: 'boolean' },
      'no-host-input': { type: 'boolean' },
      usb: { type: 'string', multiple: true },
      evdev: { type: 'string', multiple: true },
      hugepages: { type: 'boolean' },
      'pin-cpus': { type: 'string' },
      windows11: { type: 'boolean' },
      'guest-agent': { type: 'boolean' },
      restart: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
}

/** qcow2 images start with "QFI\xfb"; anything else is used as raw. */
function detectDiskFormat(file: string): 'qcow2' | 'raw' {
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const magic = Buffer.alloc(4);
      fs.readSync(fd, magic, 0, 4, 0);
      return magic.equals(Buffer.from([0x51, 0x46, 0x49, 0xfb])) ? 'qcow2' : 'raw';
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    // The backend's file checks report a missing or unreadable disk with a clear message.
    return 'raw';
  }
}

/** `[tcp:|udp:][ADDR:]HOSTPORT:GUESTPORT`, e.g. `2222:22`, `udp:5353:53`, `0.0.0.0:8080:80`. */
export function parseForward(text: string) {
  const parts = text.split(':');
  let protocol = 'tcp';
  if (parts[0] === 'tcp' || parts[0] === 'udp') protocol = parts.shift() as string;
  let hostAddress = '127.0.0.1';
  if (parts.length === 3) hostAddress = parts.shift() as string;
  const [host, guest] = parts;
  if (parts.length !== 2 || !/^\d+$/.test(host ?? '') || !/^\d+$/.test(guest ?? '')) {
    throw new UsageError(`--forward ${text}: expected HOSTPORT:GUESTPORT, e.g. 2222:22 or udp:5353:53`);
  }
  return { protocol, hostAddress, hostPort: Number(host), guestPort: Number(guest) };
}

const abs = (p: string) => path.resolve(p);
const num = (flag: string, v: string) => {
  if (!/^-?\d+$/.test(v.trim())) throw new UsageError(`--${flag} ${v}: expected a whole number`);
  return Number(v);
};

/** `00:02.1` as lspci prints it, or `0000:00:02.1` as sysfs does; both become the latter. */
export function fullPciAddress(text: string): string {
  const lower = text.trim().toLowerCase();
  return /^[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/.test(lower) ? `0000:${lower}` : lower;
}

const GPU_OPTION_FORMS =
  '--gpu none|std|virtio|virtio-gl|vf:ADDRESS|mdev:GPU:TYPE|passthrough:ADDRESS (e.g. vf:0000:00:02.0, mdev:0000:00:02.0:i915-GVTg_V5_4)';

/** Whether `--gpu` names a VF or a GPU's VFs, so the caller fetches the inventory first. */
export function gpuOptionNeedsInventory(text: string | undefined): boolean {
  return text?.startsWith('vf:') === true;
}

/**
 * `--gpu` → the spec's GPU. For `vf:` a GPU's address means any free VF of it and a VF's address
 * that VF, which only the inventory can tell apart; an address it does not know is passed on as
 * a GPU's, for the backend to say what is wrong with it.
 */
export function parseGpuOption(text: string, inventory?: GpuInventory): GpuSpec {
  const [kind = '', ...rest] = text.split(':');
  const value = rest.join(':');
  if (rest.length === 0 && (kind === 'none' || kind === 'std' || kind === 'virtio')) {
    return kind === 'virtio' ? { kind, gl: false } : { kind };
  }
  if (text === 'virtio-gl') return { kind: 'virtio', gl: true };
  if (kind === 'vf' && value !== '') {
    const address = fullPciAddress(value);
    const pf = inventory?.gpus.find((g) => g.vfs.some((v) => v.address === address));
    return pf ? { kind: 'vf', pf: pf.address, vf: address } : { kind: 'vf', pf: address };
  }
  if (kind === 'mdev') {
    // The parent's address has colons of its own: the type is what follows the last one.
    const cut = value.lastIndexOf(':');
    const parent = fullPciAddress(value.slice(0, Math.max(cut, 0)));
    if (isBdf(parent)) return { kind: 'mdev', parent, type: value.slice(cut + 1) };
  }
  if (kind === 'passthrough' && value !== '') return { kind: 'passthrough', device: fullPciAddress(value) };
  throw new UsageError(`--gpu ${text}: expected ${GPU_OPTION_FORMS}`);
}

/**
 * `--display vnc|spice|none|local[:CONNECTOR]`; `--windowed`, `--show-fps` and `--no-host-input`
 * only mean something locally.
 */
export function parseDisplayOption(
  text: string,
  windowed: boolean,
  showFps: boolean,
  hostInput = true,
): DisplaySpec {
  const [kind, ...rest] = text.split(':');
  const monitor = rest.join(':');
  if (kind === 'local') {
    return { kind, monitor: monitor === '' ? null : monitor, fullScreen: !windowed, showFps, hostInput };
  }
  if (windowed || showFps || !hostInput) {
    throw new UsageError(
      `--windowed, --show-fps and --no-host-input go with --display local: QEMU's own window`,
    );
  }
  if (rest.length === 0 && (kind === 'vnc' || kind === 'spice' || kind === 'none')) return { kind };
  throw new UsageError(
    `--display ${text}: expected vnc, spice, none, local or local:CONNECTOR (e.g. local:HDMI-A-1)`,
  );
}

/**
 * `--usb 3-1.4` or `--usb 046D:C52B[:SERIAL]`: ids as lsusb prints them, in either case (the
 * spec keeps them lower-case; a serial keeps its own case).
 */
export function parseUsbOption(text: string): string {
  const trimmed = text.trim();
  return /^[0-9a-fA-F]{4}:[0-9a-fA-F]{4}(:|$)/.test(trimmed)
    ? trimmed.slice(0, 9).toLowerCase() + trimmed.slice(9)
    : trimmed;
}

/** `--pin-cpus 2,3`: the host CPU for each vCPU, in order. */
function parsePinning(text: string): number[] {
  const cpus = text.split(',').map((c) => c.trim());
  if (!cpus.every((c) => /^\d+$/.test(c))) {
    throw new UsageError(`--pin-cpus ${text}: expected host CPU numbers, one per vCPU, e.g. 2,3`);
  }
  return cpus.map(Number);
}

/**
 * CLI flags → the contract's create input. Values are checked by the contract's schema, not here.
 * `inventory` is needed for `--gpu vf:` (see parseGpuOption).
 */
export function createInputFromOptions(
  name: string,
  values: Options['values'],
  inventory?: GpuInventory,
): VmCreateInput {
  const input: Record<string, unknown> = { name };
  if (values.cpus !== undefined) input.cpus = num('cpus', values.cpus);
  if (values.memory !== undefined) input.memoryMiB = num('memory', values.memory);
  if (values.firmware !== undefined) input.firmware = values.firmware;
  if (values.disk) input.disks = values.disk.map((d) => ({ path: abs(d), format: detectDiskFormat(abs(d)) }));
  if (values.cdrom !== undefined) input.cdrom = abs(values.cdrom);
  if (values.initrd !== undefined && values.kernel === undefined) {
    throw new UsageError('--initrd needs --kernel: an initrd is only used with direct kernel boot');
  }
  if (values.append !== undefined && values.kernel === undefined) {
    throw new UsageError('--append needs --kernel: kernel arguments are only used with direct kernel boot');
  }
  if (values.kernel !== undefined) {
    const kernel: Record<string, string> = { path: abs(values.kernel) };
    if (values.initrd !== undefined) kernel.initrd = abs(values.initrd);
    if (values.append !== undefined) kernel.append = values.append;
    input.kernel = kernel;
  }
  if (values.forward || values.network) {
    input.network = { mode: values.network ?? 'user', forwards: (values.forward ?? []).map(parseForward) };
  }
  if (values.gpu !== undefined && values.vga !== undefined) {
    throw new UsageError('--vga is the older spelling of --gpu: give one of them');
  }
  const gpu = values.gpu ?? values.vga;
  if (gpu !== undefined) input.gpu = parseGpuOption(gpu, inventory);
  const windowed = values.windowed === true;
  const showFps = values['show-fps'] === true;
  const hostInput = values['no-host-input'] !== true;
  if (values.display !== undefined)
    input.display = parseDisplayOption(values.display, windowed, showFps, hostInput);
  else if (windowed || showFps || !hostInput) parseDisplayOption('vnc', windowed, showFps, hostInput);
  // A VM without a graphics adapter has no screen to show, so its display follows unless given.
  else if ((input.gpu as GpuSpec | undefined)?.kind === 'none') input.display = { kind: 'none' };
  if (values.hugepages === true) input.memoryBacking = { hugepages: '2M' };
  if (values['guest-agent'] === true) input.guestAgent = true;
  if (values['pin-cpus'] !== undefined) input.cpuPinning = parsePinning(values['pin-cpus']);
  if (values.restart !== undefined) input.restartPolicy = values.restart;
  if (values.usb) input.usb = values.usb.map(parseUsbOption);
  if (values.evdev) input.evdev = values.evdev;
  // The profile wins over the flags for what it sets (firmware, TPM, buses); the rest stays as given.
  return (values.windows11 === true ? applyWindows11Profile(input as VmCreateInput) : input) as VmCreateInput;
}

export function requireName(positionals: string[], command: string): string {
  const name = positionals[0];
  if (!name) throw new UsageError(`usage: tessera vm ${command} NAME`);
  return name;
}

export { TesseraError };
