import fs from 'node:fs';
import path from 'node:path';
import { buildCpio, type CpioEntry } from './cpio';

/** What the guest prints on ttyS0 once its shell is ready. */
export const GUEST_READY_MARKER = 'TESSERA-GUEST-READY';

export interface TinyGuest {
  kernel: string;
  initrd: string;
  append: string;
}

const INIT = `#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
# The ACPI power button (QMP system_powerdown) powers off, as a real distribution would.
insmod /lib/evdev.ko 2>/dev/null
insmod /lib/button.ko 2>/dev/null
acpid -c /etc/acpi -l /dev/null -p /tmp/acpid.pid
echo ${GUEST_READY_MARKER} > /dev/tty0
echo ${GUEST_READY_MARKER}
exec setsid cttyhack sh
`;

/** `tessera vm create NAME ...` options that boot the tiny guest with `memoryMiB` of memory. */
export function tinyGuestCreateOptions(guest: TinyGuest, memoryMiB: number): string[] {
  return [
    '--memory',
    String(memoryMiB),
    '--kernel',
    guest.kernel,
    '--initrd',
    guest.initrd,
    '--append',
    guest.append,
  ];
}

/** Whether a 64-bit ELF asks for a dynamic loader: a PT_INTERP (3) program header (elf(5)). */
function hasInterpreter(elf: Buffer): boolean {
  const phoff = Number(elf.readBigUInt64LE(0x20));
  const size = elf.readUInt16LE(0x36);
  const count = elf.readUInt16LE(0x38);
  for (let i = 0; i < count; i++) if (elf.readUInt32LE(phoff + i * size) === 3) return true;
  return false;
}

function findKernel(): { kernel: string; modules: string } {
  const boot = '/boot';
  const names = fs.existsSync(boot)
    ? fs
        .readdirSync(boot)
        .filter((n) => n.startsWith('vmlinuz-'))
        .sort()
    : [];
  const preferred = names.find((n) => n.endsWith('-cloud-amd64')) ?? names.at(-1);
  if (!preferred) {
    throw new Error('no kernel in /boot: install the Debian package linux-image-cloud-amd64 (see .ci/run)');
  }
  const version = preferred.slice('vmlinuz-'.length);
  return { kernel: path.join(boot, preferred), modules: path.join('/lib/modules', version) };
}

/**
 * The test guest: Debian's cloud kernel and a busybox-static initramfs whose init prints
 * GUEST_READY_MARKER on ttyS0 and runs a shell there. Built once into `dir` and reused.
 */
export function buildTinyGuest(dir: string): TinyGuest {
  const { kernel, modules } = findKernel();
  const busybox = '/bin/busybox';
  if (!fs.existsSync(busybox)) throw new Error('no /bin/busybox: install the Debian package busybox-static');
  // Debian's plain busybox package is linked against libc, which the initramfs does not carry: the
  // guest's kernel would find no init it can run and the first VM would never say it is ready.
  if (hasInterpreter(fs.readFileSync(busybox))) {
    throw new Error('/bin/busybox is dynamically linked: install the Debian package busybox-static');
  }
  fs.mkdirSync(dir, { recursive: true });
  const initrd = path.join(dir, 'initramfs.cpio');
  const kernelCopy = path.join(dir, 'vmlinuz');
  const stamp = path.join(dir, 'stamp');
  const key = `${kernel} ${fs.statSync(kernel).mtimeMs} ${fs.statSync(busybox).mtimeMs} ${INIT.length}`;
  if (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === key) {
    return { kernel: kernelCopy, initrd, append: 'console=tty0 console=ttyS0 quiet' };
  }
  const dirs = ['bin', 'dev', 'proc', 'sys', 'lib', 'etc', 'etc/acpi', 'etc/acpi/PWRF', 'tmp', 'root'];
  const entries: CpioEntry[] = dirs.map((d) => ({ name: d, mode: 0o040755 }));
  entries.push({ name: 'bin/busybox', mode: 0o100755, data: fs.readFileSync(busybox) });
  entries.push({ name: 'init', mode: 0o100755, data: Buffer.from(INIT) });
  // busybox acpid runs /etc/acpi/PWRF/00000080 for the power button (its default action table).
  entries.push({
    name: 'etc/acpi/PWRF/00000080',
    mode: 0o100755,
    data: Buffer.from('#!/bin/sh\npoweroff -f\n'),
  });
  for (const [name, rel] of [
    ['lib/evdev.ko', 'kernel/drivers/input/evdev.ko'],
    ['lib/button.ko', 'kernel/drivers/acpi/button.ko'],
  ] as const) {
    const file = path.join(modules, rel);
    if (fs.existsSync(file)) entries.push({ name, mode: 0o100644, data: fs.readFileSync(file) });
  }
  fs.writeFileSync(initrd, buildCpio(entries));
  fs.copyFileSync(kernel, kernelCopy);
  fs.writeFileSync(stamp, key);
  return { kernel: kernelCopy, initrd, append: 'console=tty0 console=ttyS0 quiet' };
}

/** A `vm.create` input that boots the tiny guest; `extra` overrides or adds fields. */
export function tinyVmInput(
  guest: TinyGuest,
  name: string,
  memoryMiB: number,
  extra: Record<string, unknown> = {},
) {
  return {
    name,
    memoryMiB,
    kernel: { path: guest.kernel, initrd: guest.initrd, append: guest.append },
    ...extra,
  };
}
