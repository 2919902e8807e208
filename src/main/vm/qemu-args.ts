import { TesseraError } from '../../shared/errors';
import type { VmSpec } from '../../shared/vm-spec';
import type { VmDataFiles, VmRuntimeFiles } from '../paths';

/** Facts about the host that shape the argv; the spec says what the VM is, these say where it runs. */
export interface QemuHost {
  accelerator: 'kvm' | 'tcg';
  runtime: VmRuntimeFiles;
  data: VmDataFiles;
  /** Only read when `spec.firmware === 'uefi'`. */
  firmware: { ovmfCode: string; ovmfVarsTemplate: string } | null;
}

/**
 * Escape a value that QEMU parses as part of a `key=value,...` option string (QemuOpts and
 * keyval both read `,,` as a literal comma). Only for those: `-kernel`, `-initrd`, `-append` and
 * `-pidfile` take their argument verbatim, and escaping there would name a different file.
 */
export function escapeOptionValue(value: string): string {
  return value.replaceAll(',', ',,');
}

const opt = (value: string): string => escapeOptionValue(value);

/**
 * The QEMU argv (without the binary) for one VM. Pure: the same spec and host give the same
 * argv, which the golden files in `__golden__/` pin down, one argument per line.
 *
 * Not here on purpose: `-daemonize` (the supervisor spawns QEMU detached and wants its pid) and
 * `-no-shutdown` (a guest that powers off should end the process, which is how the supervisor
 * tells a shutdown from a crash).
 */
export function buildQemuArgs(spec: VmSpec, host: QemuHost): string[] {
  const args: string[] = [];
  const { runtime } = host;

  // process= renames the thread group so `ps` and `top` show which VM this is (cut to 15 bytes
  // by the kernel); the full argv still has the name.
  args.push('-name', `${opt(spec.name)},process=tessera-${opt(spec.name)}`);
  args.push('-uuid', spec.uuid);

  const machine = ['q35', `accel=${host.accelerator}`];
  if (spec.firmware === 'uefi') machine.push('pflash0=ovmf-code', 'pflash1=ovmf-vars');
  args.push('-machine', machine.join(','));
  // `max` under TCG emulates every feature QEMU can, so guests built for x86-64-v2 and later
  // still boot; `host` needs KVM.
  args.push('-cpu', host.accelerator === 'kvm' ? 'host' : 'max');
  args.push('-smp', String(spec.cpus));
  args.push('-m', `${spec.memoryMiB}M`);
  // Every device below is asked for; nothing comes from QEMU's defaults or /etc/qemu.
  args.push('-nodefaults', '-no-user-config');

  args.push('-pidfile', runtime.pid);
  args.push(
    '-chardev',
    `socket,id=qmp,path=${opt(runtime.qmp)},server=on,wait=off`,
    '-mon',
    'chardev=qmp,mode=control',
  );
  // QEMU writes the log itself, so the serial output is kept while no console is attached and
  // survives a backend restart.
  args.push(
    '-chardev',
    `socket,id=serial0,path=${opt(runtime.serial)},server=on,wait=off,logfile=${opt(runtime.serialLog)},logappend=on`,
    '-serial',
    'chardev:serial0',
  );

  // The human monitor on its own socket, for the console's monitor tab; its log lets a viewer
  // that comes late see what was typed before.
  args.push(
    '-chardev',
    `socket,id=monitor0,path=${opt(runtime.monitor)},server=on,wait=off,logfile=${opt(runtime.monitorLog)}`,
    '-mon',
    'chardev=monitor0,mode=readline',
  );

  args.push('-display', 'none');
  if (spec.display === 'vnc') args.push('-vnc', `unix:${opt(runtime.vnc)}`);
  // No ticket: the socket sits in the VM's 0700 runtime dir, and the console bridge checks its
  // own one-time token before it connects.
  if (spec.display === 'spice') {
    args.push('-spice', `unix=on,addr=${opt(runtime.spice)},disable-ticketing=on`);
  }

  if (spec.firmware === 'uefi') args.push(...uefiArgs(spec, host));

  if (spec.kernel) {
    args.push('-kernel', spec.kernel.path);
    if (spec.kernel.initrd !== undefined) args.push('-initrd', spec.kernel.initrd);
    if (spec.kernel.append !== undefined) args.push('-append', spec.kernel.append);
  }

  // A direct kernel boot starts from fw_cfg, not from a device, so boot indexes would mean
  // nothing; otherwise disks come first and the CD-ROM is the fallback an installer boots from
  // while the disk is still blank.
  let bootIndex = spec.kernel ? undefined : 1;
  const nextBoot = (): string => (bootIndex === undefined ? '' : `,bootindex=${bootIndex++}`);

  spec.disks.forEach((disk, i) => {
    const readOnly = disk.readOnly ? ',read-only=on' : '';
    args.push(
      '-blockdev',
      `driver=${disk.format},node-name=drive-disk${i}${readOnly},file.driver=file,file.filename=${opt(disk.path)}`,
      '-device',
      `virtio-blk-pci,id=disk${i},drive=drive-disk${i}${nextBoot()}`,
    );
  });

  if (spec.cdrom !== undefined) {
    // ide.0 is the first port of the AHCI controller that q35 always has.
    args.push(
      '-blockdev',
      `driver=raw,node-name=drive-cdrom0,read-only=on,file.driver=file,file.filename=${opt(spec.cdrom)}`,
      '-device',
      `ide-cd,id=cdrom0,drive=drive-cdrom0,bus=ide.0${nextBoot()}`,
    );
  }

  if (spec.network.mode === 'user') {
    const forwards = spec.network.forwards.map(
      (f) => `,hostfwd=${f.protocol}:${f.hostAddress}:${f.hostPort}-:${f.guestPort}`,
    );
    args.push('-netdev', `user,id=net0${forwards.join('')}`, '-device', 'virtio-net-pci,id=nic0,netdev=net0');
  }

  if (spec.vga === 'std') args.push('-device', 'VGA,id=video0');
  else if (spec.vga === 'virtio') args.push('-device', 'virtio-vga,id=video0');

  if (spec.display !== 'none' && spec.vga !== 'none') {
    // An absolute pointer keeps the guest cursor under the client's; a PS/2 mouse drifts.
    args.push('-device', 'qemu-xhci,id=usb0', '-device', 'usb-tablet,id=tablet0,bus=usb0.0');
  }
  if (spec.display !== 'none') {
    // The agent's channel: a guest running spice-vdagent shares its clipboard with the console
    // (noVNC's clipboard reaches it through QEMU's own vdagent; SPICE speaks to the agent
    // itself) and, under SPICE, follows the client's window size. The pointer stays the
    // tablet's, so the agent's mouse is off.
    const agent =
      spec.display === 'spice'
        ? 'spicevmc,id=vdagent0,name=vdagent'
        : 'qemu-vdagent,id=vdagent0,name=vdagent,clipboard=on,mouse=off';
    args.push(
      '-device',
      'virtio-serial-pci,id=vserial0',
      '-chardev',
      agent,
      '-device',
      'virtserialport,id=vdagentport0,bus=vserial0.0,chardev=vdagent0,name=com.redhat.spice.0',
    );
  }

  return args;
}

/** OVMF as two flash chips: shared code read-only, and this VM's own copy of the variable store. */
function uefiArgs(spec: VmSpec, host: QemuHost): string[] {
  if (!host.firmware) {
    throw new TesseraError(
      'UNAVAILABLE',
      `VM '${spec.name}' uses UEFI firmware but no OVMF was found: install the Debian package ovmf (apt install ovmf)`,
    );
  }
  return [
    '-blockdev',
    `driver=raw,node-name=ovmf-code,read-only=on,file.driver=file,file.filename=${opt(host.firmware.ovmfCode)}`,
    '-blockdev',
    `driver=raw,node-name=ovmf-vars,file.driver=file,file.filename=${opt(host.data.uefiVars)}`,
  ];
}
