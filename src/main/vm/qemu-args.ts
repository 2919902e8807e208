import { hasType, type QemuCapabilities } from '../../shared/qemu-capabilities';
import type { VmSpec } from '../../shared/vm-spec';
import type { VmDataFiles, VmRuntimeFiles } from '../paths';
import type { GpuPlacement } from './gpu-placement';
import { graphicsArgs } from './qemu-args-graphics';
import {
  cpuOption,
  machineOption,
  memoryBackendArgs,
  tpmArgs,
  uefiArgs,
  usesMemfd,
} from './qemu-args-platform';
import { escapeOptionValue } from './qemu-option';
import {
  USB_CONTROLLER,
  hasTablet,
  hasUsbController,
  usbAndInputArgs,
  type PresentUsbDevice,
} from './qemu-args-usb';

/** Facts about the host that shape the argv; the spec says what the VM is, these say where it runs. */
export interface QemuHost {
  accelerator: 'kvm' | 'tcg';
  runtime: VmRuntimeFiles;
  data: VmDataFiles;
  /** The OVMF pair for the spec's firmware; only read when it is UEFI. */
  firmware: { ovmfCode: string; ovmfVarsTemplate: string } | null;
  /** What the QEMU that will run can do (src/main/host/qemu-capabilities.ts). */
  capabilities: QemuCapabilities;
  /** Where the VM's GPU is for this run (gpu-placement.ts). */
  gpu: GpuPlacement;
  /** The kiosk shows this run: QEMU's own window gets its lockdown options. */
  kiosk?: boolean;
  /** The host's USB devices plugged in now: a device named by its serial is given by where it is. */
  usb: readonly PresentUsbDevice[];
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
  const graphics = graphicsArgs(spec, host.gpu, host.capabilities, runtime, host.kiosk ?? false);
  const memfd = usesMemfd(spec, graphics.needsMemfd);

  // process= renames the thread group so `ps` and `top` show which VM this is (cut to 15 bytes
  // by the kernel); the full argv still has the name.
  args.push('-name', `${opt(spec.name)},process=tessera-${opt(spec.name)}`);
  args.push('-uuid', spec.uuid);

  args.push('-machine', machineOption(spec, host, memfd));
  args.push('-cpu', cpuOption(spec, host));
  args.push('-smp', String(spec.cpus));
  args.push('-m', `${spec.memoryMiB}M`);
  if (memfd) args.push(...memoryBackendArgs(spec));
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

  args.push(...graphics.display);

  if (spec.firmware !== 'bios') args.push(...uefiArgs(spec, host));
  if (spec.tpm) args.push(...tpmArgs(host));

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

  // SATA disks take the AHCI ports after the CD-ROM's (port 0, below).
  let sataPort = 1;
  spec.disks.forEach((disk, i) => {
    const readOnly = disk.readOnly ? ',read-only=on' : '';
    const drive = `drive=drive-disk${i}`;
    // QEMU's NVMe controller refuses to start without a serial number.
    const device =
      disk.bus === 'sata'
        ? `ide-hd,id=disk${i},${drive},bus=ide.${sataPort++}`
        : disk.bus === 'nvme'
          ? `nvme,id=disk${i},${drive},serial=disk${i}`
          : `virtio-blk-pci,id=disk${i},${drive}`;
    // The golden image under an overlay is named here rather than taken from the overlay's
    // header, so QEMU opens exactly the checked file, and read-only (docs/system/qemu-block-drivers
    // "backing"; a blockdev's backing is a BlockdevRef in qapi/block-core.json).
    const backing = disk.backing
      ? `,backing.driver=${disk.backing.format},backing.node-name=golden-disk${i},backing.read-only=on,backing.file.driver=file,backing.file.filename=${opt(disk.backing.path)}`
      : '';
    args.push(
      '-blockdev',
      `driver=${disk.format},node-name=drive-disk${i}${readOnly},file.driver=file,file.filename=${opt(disk.path)}${backing}`,
      '-device',
      `${device}${nextBoot()}`,
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
    const nic = spec.network.model === 'e1000e' ? 'e1000e' : 'virtio-net-pci';
    args.push('-netdev', `user,id=net0${forwards.join('')}`, '-device', `${nic},id=nic0,netdev=net0`);
  }

  args.push(...graphics.devices);

  const shows = spec.display.kind !== 'none';
  if (hasUsbController(spec)) args.push('-device', `qemu-xhci,id=${USB_CONTROLLER}`);
  if (hasTablet(spec)) args.push('-device', `usb-tablet,id=tablet0,bus=${USB_CONTROLLER}.0`);
  args.push(...usbAndInputArgs(spec, host.usb));
  // The agent's channel: a guest running spice-vdagent shares its clipboard with the console
  // (noVNC's and GTK's clipboards reach it through QEMU's own vdagent, QEMU 6.1+; SPICE speaks to
  // the agent itself) and, under SPICE, follows the client's window size. The pointer stays the
  // tablet's, so the agent's mouse is off.
  const agent =
    spec.display.kind === 'spice'
      ? 'spicevmc,id=vdagent0,name=vdagent'
      : hasType(host.capabilities, 'chardev-qemu-vdagent')
        ? 'qemu-vdagent,id=vdagent0,name=vdagent,clipboard=on,mouse=off'
        : undefined;
  const vdagent = shows && agent !== undefined;
  if (vdagent || spec.guestAgent) args.push('-device', 'virtio-serial-pci,id=vserial0');
  if (vdagent) {
    args.push(
      '-chardev',
      agent,
      '-device',
      'virtserialport,id=vdagentport0,bus=vserial0.0,chardev=vdagent0,name=com.redhat.spice.0',
    );
  }
  // The QEMU guest agent's port, by the name qemu-ga looks for (/dev/virtio-ports/org.qemu.guest_agent.0).
  if (spec.guestAgent) {
    args.push(
      '-chardev',
      `socket,id=qga0,path=${opt(runtime.guestAgent)},server=on,wait=off`,
      '-device',
      'virtserialport,id=qgaport0,bus=vserial0.0,chardev=qga0,name=org.qemu.guest_agent.0',
    );
  }

  return args;
}
