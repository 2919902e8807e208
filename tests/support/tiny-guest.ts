import { execFileSync } from 'node:child_process';
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

/** What the builder can add to the default guest; without options it builds exactly the default. */
export interface TinyGuestOptions {
  /**
   * Debian's qemu-guest-agent (the binary and the libraries `ldd` names) and the virtio console
   * modules, started on the `org.qemu.guest_agent.0` port before the ready marker.
   */
  guestAgent?: boolean;
  /** virtio_blk in the initramfs and the first virtio disk mounted at GUEST_DISK_MOUNT. */
  virtioDisk?: boolean;
}

// virtio_console needs the virtio PCI transport first (modules.dep of Debian's cloud kernel).
const AGENT_MODULES = [
  'kernel/drivers/virtio/virtio_ring.ko',
  'kernel/drivers/virtio/virtio.ko',
  'kernel/drivers/virtio/virtio_pci_legacy_dev.ko',
  'kernel/drivers/virtio/virtio_pci_modern_dev.ko',
  'kernel/drivers/virtio/virtio_pci.ko',
  'kernel/drivers/char/virtio_console.ko',
];
const QEMU_GA = '/usr/sbin/qemu-ga';

const AGENT_INIT = `for m in ${AGENT_MODULES.map((m) => path.basename(m, '.ko')).join(' ')}; do insmod /lib/agent/$m.ko 2>/dev/null; done
for i in 1 2 3 4 5 6 7 8 9 10; do
  for p in /sys/class/virtio-ports/*; do
    [ "$(cat $p/name 2>/dev/null)" = org.qemu.guest_agent.0 ] && qemu-ga -d -m virtio-serial -p /dev/\${p##*/} -t /tmp -f /tmp/qga.pid && break 2
  done
  sleep 1
done
`;

/**
 * virtio_blk and what it needs, in load order (modules.dep of Debian's cloud kernel): the kernel
 * has them as modules, and an initramfs without them sees no virtio disk.
 */
const VIRTIO_DISK_MODULES = [
  ['virtio_ring', 'kernel/drivers/virtio/virtio_ring.ko'],
  ['virtio', 'kernel/drivers/virtio/virtio.ko'],
  ['virtio_pci_legacy_dev', 'kernel/drivers/virtio/virtio_pci_legacy_dev.ko'],
  ['virtio_pci_modern_dev', 'kernel/drivers/virtio/virtio_pci_modern_dev.ko'],
  ['virtio_pci', 'kernel/drivers/virtio/virtio_pci.ko'],
  ['virtio_blk', 'kernel/drivers/block/virtio_blk.ko'],
] as const;

/** Where a `virtioDisk` guest mounts its first virtio disk (when it holds an ext2/3/4 file system). */
export const GUEST_DISK_MOUNT = '/mnt';

/** Loads the virtio disk driver and mounts /dev/vda before the guest says it is ready. */
const DISK_SETUP = `${VIRTIO_DISK_MODULES.map(([m]) => `insmod /lib/${m}.ko`).join('\n')}
mount -t ext4 /dev/vda ${GUEST_DISK_MOUNT} 2>/dev/null
`;

const initScript = (options: TinyGuestOptions) => `#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
# The ACPI power button (QMP system_powerdown) powers off, as a real distribution would.
insmod /lib/evdev.ko 2>/dev/null
insmod /lib/button.ko 2>/dev/null
acpid -c /etc/acpi -l /dev/null -p /tmp/acpid.pid
${options.virtioDisk ? DISK_SETUP : ''}${options.guestAgent ? AGENT_INIT : ''}echo ${GUEST_READY_MARKER} > /dev/tty0
echo ${GUEST_READY_MARKER}
exec setsid cttyhack sh
`;

/** `tessera vm create NAME ...` options that boot the tiny guest with `memoryMiB` of memory. */
export function tinyGuestCreateOptions(guest: TinyGuest, memoryMiB: number, append = guest.append): string[] {
  return [
    '--memory',
    String(memoryMiB),
    '--kernel',
    guest.kernel,
    '--initrd',
    guest.initrd,
    '--append',
    append,
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
export function buildTinyGuest(dir: string, options: TinyGuestOptions = {}): TinyGuest {
  const { kernel, modules } = findKernel();
  const busybox = '/bin/busybox';
  if (!fs.existsSync(busybox)) throw new Error('no /bin/busybox: install the Debian package busybox-static');
  // Debian's plain busybox package is linked against libc, which the initramfs does not carry: the
  // guest's kernel would find no init it can run and the first VM would never say it is ready.
  if (hasInterpreter(fs.readFileSync(busybox))) {
    throw new Error('/bin/busybox is dynamically linked: install the Debian package busybox-static');
  }
  fs.mkdirSync(dir, { recursive: true });
  const variant = `${options.virtioDisk ? '-virtio-disk' : ''}${options.guestAgent ? '-agent' : ''}`;
  const initrd = path.join(dir, `initramfs${variant}.cpio`);
  const kernelCopy = path.join(dir, 'vmlinuz');
  const stamp = path.join(dir, `stamp${variant}`);
  const INIT = initScript(options);
  if (options.guestAgent && !fs.existsSync(QEMU_GA))
    throw new Error(`no ${QEMU_GA}: install the Debian package qemu-guest-agent`);
  const key = `${kernel} ${fs.statSync(kernel).mtimeMs} ${fs.statSync(busybox).mtimeMs} ${INIT.length}${options.guestAgent ? ` agent ${fs.statSync(QEMU_GA).mtimeMs}` : ''}`;
  if (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === key) {
    return { kernel: kernelCopy, initrd, append: 'console=tty0 console=ttyS0 quiet' };
  }
  const dirs = ['bin', 'dev', 'proc', 'sys', 'lib', 'etc', 'etc/acpi', 'etc/acpi/PWRF', 'tmp', 'root'];
  if (options.virtioDisk) dirs.push(GUEST_DISK_MOUNT.slice(1));
  const entries: CpioEntry[] = dirs.map((d) => ({ name: d, mode: 0o040755 }));
  entries.push({ name: 'bin/busybox', mode: 0o100755, data: fs.readFileSync(busybox) });
  entries.push({ name: 'init', mode: 0o100755, data: Buffer.from(INIT) });
  // busybox acpid runs /etc/acpi/PWRF/00000080 for the power button (its default action table).
  entries.push({
    name: 'etc/acpi/PWRF/00000080',
    mode: 0o100755,
    data: Buffer.from('#!/bin/sh\npoweroff -f\n'),
  });
  const modulesWanted: [string, string][] = [
    ['lib/evdev.ko', 'kernel/drivers/input/evdev.ko'],
    ['lib/button.ko', 'kernel/drivers/acpi/button.ko'],
  ];
  if (options.virtioDisk)
    modulesWanted.push(...VIRTIO_DISK_MODULES.map(([m, rel]): [string, string] => [`lib/${m}.ko`, rel]));
  for (const [name, rel] of modulesWanted) {
    const file = path.join(modules, rel);
    if (fs.existsSync(file)) entries.push({ name, mode: 0o100644, data: fs.readFileSync(file) });
  }
  if (options.guestAgent) entries.push(...agentEntries(modules, new Set(entries.map((e) => e.name))));
  fs.writeFileSync(initrd, buildCpio(entries));
  fs.copyFileSync(kernel, kernelCopy);
  fs.writeFileSync(stamp, key);
  return { kernel: kernelCopy, initrd, append: 'console=tty0 console=ttyS0 quiet' };
}

/** qemu-ga, its libraries at the paths the dynamic loader looks in, and the modules, with their folders. */
function agentEntries(modules: string, have: Set<string>): CpioEntry[] {
  const files: [string, string][] = [[QEMU_GA, 'usr/sbin/qemu-ga']];
  const ldd = execFileSync('ldd', [QEMU_GA], { encoding: 'utf8' });
  for (const match of ldd.matchAll(/(\/\S+) \(0x/g)) {
    const lib = match[1] ?? '';
    files.push([lib, lib.slice(1)]);
  }
  for (const m of AGENT_MODULES) files.push([path.join(modules, m), `lib/agent/${path.basename(m)}`]);
  const entries: CpioEntry[] = [];
  for (const [from, to] of files) {
    const parts = to.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      if (!have.has(dir)) entries.push({ name: dir, mode: 0o040755 });
      have.add(dir);
    }
    if (have.has(to)) continue;
    have.add(to);
    entries.push({ name: to, mode: 0o100755, data: fs.readFileSync(from) });
  }
  return entries;
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
