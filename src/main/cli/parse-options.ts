import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { TesseraError } from '../../shared/errors';
import type { VmCreateInput } from '../../shared/vm-spec';

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
      vga: { type: 'string' },
      display: { type: 'string' },
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

/** CLI flags → the contract's create input. Values are checked by the contract's schema, not here. */
export function createInputFromOptions(name: string, values: Options['values']): VmCreateInput {
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
  if (values.vga !== undefined) input.vga = values.vga;
  if (values.display !== undefined) input.display = values.display;
  if (values.restart !== undefined) input.restartPolicy = values.restart;
  return input as VmCreateInput;
}

export function requireName(positionals: string[], command: string): string {
  const name = positionals[0];
  if (!name) throw new UsageError(`usage: tessera vm ${command} NAME`);
  return name;
}

export { TesseraError };
