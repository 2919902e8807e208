/**
 * A VM as a libvirt domain (libvirt's docs/formatdomain.rst). What libvirt has no element for is
 * passed to QEMU with `<qemu:commandline>` (libvirt's docs/drvqemu.rst, "Pass-through of
 * arbitrary qemu commands") and listed in a comment at the top, with the minimum libvirt version
 * the elements used need. Pure: the spec and where its GPU is on this host in, the XML out.
 */
import type { QemuCapabilities } from '../../shared/qemu-capabilities';
import { hasScreen, type VmSpec } from '../../shared/vm-spec';
import { graphicsArgs, type GpuPlacement } from '../vm';
import { vmRuntimeFiles } from '../paths';
import { el, renderXml, textEl, type XmlElement, type XmlNode } from './xml-text';

export const QEMU_NAMESPACE = 'http://libvirt.org/schemas/domain/qemu/1.0';

export interface LibvirtExportContext {
  /** Where the VM's GPU is on this host now (the VF "any free VF" would get). */
  placement: GpuPlacement;
  /** What this host's QEMU can do: a local window's options follow it, as Tessera's own argv does. */
  capabilities: QemuCapabilities;
}

export interface LibvirtExport {
  xml: string;
  /** What libvirt cannot say, each passed as `<qemu:commandline>` or left out, in words. */
  notExpressed: string[];
  minimumVersion: string;
}

const version = (text: string) => text.split('.').map(Number);
const newer = (a: string, b: string) => {
  const [x, y] = [version(a), version(b)];
  for (let i = 0; i < 3; i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) > (y[i] ?? 0);
  return false;
};

/** `0000:4d:00.1` → libvirt's `<address domain= bus= slot= function=/>`. */
export function pciAddressElement(bdf: string): XmlElement {
  const [domain = '0', bus = '0', rest = '0.0'] = bdf.split(':');
  const [slot = '0', fn = '0'] = rest.split('.');
  return el('address', {
    domain: `0x${domain}`,
    bus: `0x${bus}`,
    slot: `0x${slot}`,
    function: `0x${fn}`,
  });
}

const diskTarget = (prefix: string, index: number) => `${prefix}${String.fromCharCode(97 + index)}`;

export function buildLibvirtDomain(spec: VmSpec, context: LibvirtExportContext): LibvirtExport {
  const { placement } = context;
  let minimum = '2.0.0';
  /** An element needs libvirt `since`: the minimum is the newest such. */
  const needs = (since: string) => {
    if (newer(since, minimum)) minimum = since;
  };
  const commandline: string[][] = [];
  const notExpressed: string[] = [];
  const passThrough = (why: string, ...args: string[]) => {
    commandline.push(args);
    notExpressed.push(`${why}: passed as ${args.join(' ')}`);
  };

  const shows = spec.display.kind !== 'none';
  const slice = placement.kind === 'vf' || placement.kind === 'mdev';
  const blob = placement.kind === 'vf' && shows;
  const memfd = spec.memoryBacking.hugepages !== 'off' || spec.memoryBacking.shared || blob;

  // Memory and its backing.
  const backing: XmlElement[] = [];
  if (spec.memoryBacking.hugepages !== 'off') {
    const kib = spec.memoryBacking.hugepages === '2M' ? 2048 : 1048576;
    backing.push(el('hugepages', {}, [el('page', { size: kib, unit: 'KiB' })]));
  }
  if (memfd) {
    needs('4.10.0'); // <source type='memfd'/>
    backing.push(el('source', { type: 'memfd' }));
  }
  if (spec.memoryBacking.shared) backing.push(el('access', { mode: 'shared' }));

  // Firmware and boot.
  const os: XmlNode[] = [textEl('type', 'hvm', { arch: 'x86_64', machine: 'q35' })];
  const uefi = spec.firmware !== 'bios';
  if (uefi) {
    needs('7.2.0'); // firmware feature selection
    const secure = spec.firmware === 'uefi-secure-boot';
    if (secure) os.push(el('loader', { secure: 'yes' }));
    os.push(
      el('firmware', {}, [
        el('feature', { enabled: secure ? 'yes' : 'no', name: 'enrolled-keys' }),
        el('feature', { enabled: secure ? 'yes' : 'no', name: 'secure-boot' }),
      ]),
    );
  }
  if (spec.kernel) {
    os.push(textEl('kernel', spec.kernel.path));
    if (spec.kernel.initrd !== undefined) os.push(textEl('initrd', spec.kernel.initrd));
    if (spec.kernel.append !== undefined) os.push(textEl('cmdline', spec.kernel.append));
  }
  // Disks first, the CD-ROM as the fallback (qemu-args.ts); a kernel boot has no boot order.
  let bootOrder = spec.kernel ? undefined : 1;
  const boot = () => (bootOrder === undefined ? null : el('boot', { order: bootOrder++ }));

  const features: XmlNode[] = [el('acpi'), el('apic')];
  if (spec.hyperv) {
    features.push(
      el('hyperv', { mode: 'custom' }, [
        el('relaxed', { state: 'on' }),
        el('vapic', { state: 'on' }),
        el('spinlocks', { state: 'on', retries: 8191 }),
      ]),
    );
  }
  if (spec.machine.kernelIrqchip === 'on') features.push(el('ioapic', { driver: 'kvm' }));
  else if (spec.machine.kernelIrqchip === 'split') features.push(el('ioapic', { driver: 'qemu' }));
  else if (spec.machine.kernelIrqchip === 'off')
    passThrough('kernel_irqchip=off has no libvirt element', '-machine', 'kernel_irqchip=off');
  if (spec.firmware === 'uefi-secure-boot') features.push(el('smm', { state: 'on' }));

  const devices: XmlNode[] = [];
  let virtio = 0;
  let sata = 0;
  spec.disks.forEach((disk, i) => {
    if (disk.bus === 'nvme') {
      // libvirt 9.0's schema has no emulated NVMe disk bus.
      const node = `tessera-nvme${i}`;
      passThrough(
        `disk ${disk.path} on NVMe, which libvirt 9.0 cannot attach`,
        '-blockdev',
        `driver=${disk.format},node-name=${node}${disk.readOnly ? ',read-only=on' : ''},file.driver=file,file.filename=${disk.path.replaceAll(',', ',,')}`,
        '-device',
        `nvme,drive=${node},serial=disk${i}${bootOrder === undefined ? '' : `,bootindex=${bootOrder++}`}`,
      );
      return;
    }
    const target = disk.bus === 'sata' ? diskTarget('sd', sata++) : diskTarget('vd', virtio++);
    devices.push(
      el('disk', { type: 'file', device: 'disk' }, [
        el('driver', { name: 'qemu', type: disk.format }),
        el('source', { file: disk.path }),
        el('target', { dev: target, bus: disk.bus }),
        disk.readOnly && el('readonly'),
        boot(),
      ]),
    );
  });
  if (spec.cdrom !== undefined) {
    devices.push(
      el('disk', { type: 'file', device: 'cdrom' }, [
        el('driver', { name: 'qemu', type: 'raw' }),
        el('source', { file: spec.cdrom }),
        el('target', { dev: diskTarget('sd', sata++), bus: 'sata' }),
        el('readonly'),
        boot(),
      ]),
    );
  }

  if (spec.network.mode === 'user') {
    const { forwards, model } = spec.network;
    const nic = model === 'e1000e' ? 'e1000e' : 'virtio-net-pci';
    if (forwards.length === 0) {
      devices.push(el('interface', { type: 'user' }, [el('model', { type: model })]));
    } else {
      // User networking's hostfwd has no element; passt's <portForward> does, but Debian 12's
      // libvirt 9.0 refuses the passt backend. So the whole NIC goes to QEMU as Tessera runs it.
      const hostfwd = forwards.map(
        (f) => `,hostfwd=${f.protocol}:${f.hostAddress}:${f.hostPort}-:${f.guestPort}`,
      );
      passThrough(
        'port forwards of user networking (hostfwd) have no libvirt element',
        '-netdev',
        `user,id=tessera-net0${hostfwd.join('')}`,
        '-device',
        `${nic},netdev=tessera-net0`,
      );
    }
  }

  // Graphics: the console on a unix socket, as Tessera's own (libvirt's <listen type='socket'/>).
  const renderNode = 'renderNode' in placement ? placement.renderNode : null;
  const virtioGl = placement.kind === 'virtio' && spec.gpu.kind === 'virtio' && spec.gpu.gl;
  if (spec.display.kind === 'vnc' || spec.display.kind === 'spice') {
    if (slice || virtioGl) {
      needs('5.0.0'); // <gl rendernode=> under egl-headless
      devices.push(
        el('graphics', { type: 'egl-headless' }, [
          renderNode !== null && el('gl', { rendernode: renderNode }),
        ]),
      );
    }
    devices.push(el('graphics', { type: spec.display.kind }, [el('listen', { type: 'socket' })]));
  } else if (spec.display.kind === 'local') {
    const runtime = vmRuntimeFiles('/run/tessera', spec.name);
    const display = graphicsArgs(spec, placement, context.capabilities, runtime).display;
    passThrough('QEMU’s own window (GTK) has no libvirt graphics type', ...display);
    notExpressed.push(
      'a local window needs QEMU to reach your X or Wayland session: define it with qemu:///session, or give the system QEMU user your DISPLAY and its authority',
    );
  }

  // The guest's display adapter.
  const video = (model: XmlElement) => devices.push(el('video', {}, [model]));
  switch (placement.kind) {
    case 'none':
      video(el('model', { type: 'none' }));
      break;
    case 'std':
      video(el('model', { type: 'vga' }));
      break;
    case 'virtio':
      video(el('model', { type: 'virtio' }, [virtioGl && el('acceleration', { accel3d: 'yes' })]));
      break;
    case 'vf':
      video(shows ? el('model', { type: 'virtio', heads: 1 }) : el('model', { type: 'none' }));
      if (blob)
        passThrough(
          'virtio-gpu blob resources (the VF’s frames) need libvirt 9.2’s <model blob=on>',
          '-global',
          'virtio-vga.blob=true',
        );
      break;
    case 'mdev':
      video(el('model', { type: 'none' }));
      break;
    case 'passthrough':
      video(shows ? el('model', { type: 'vga' }) : el('model', { type: 'none' }));
      break;
  }

  // The GPU slice.
  if (placement.kind === 'vf' || placement.kind === 'passthrough') {
    devices.push(
      el('hostdev', { mode: 'subsystem', type: 'pci', managed: 'yes' }, [
        el('source', {}, [pciAddressElement(placement.address)]),
      ]),
    );
    if (placement.kind === 'passthrough')
      passThrough(
        'the OpRegion of a whole iGPU has no libvirt attribute',
        '-global',
        'vfio-pci.x-igd-opregion=on',
      );
  } else if (placement.kind === 'mdev') {
    needs(shows ? '5.10.0' : '3.2.0'); // mdev 3.2, display= 4.6, ramfb= 5.10
    devices.push(
      el(
        'hostdev',
        {
          mode: 'subsystem',
          type: 'mdev',
          model: 'vfio-pci',
          display: shows ? 'on' : undefined,
          ramfb: shows ? 'on' : undefined,
        },
        [el('source', {}, [el('address', { uuid: placement.uuid })])],
      ),
    );
    const device = shows ? 'vfio-pci-nohotplug' : 'vfio-pci';
    passThrough('the vGPU’s OpRegion has no libvirt attribute', '-global', `${device}.x-igd-opregion=on`);
    if (shows && placement.resolution)
      passThrough(
        'the vGPU’s EDID resolution has no libvirt attribute',
        '-global',
        `${device}.xres=${placement.resolution.width}`,
        '-global',
        `${device}.yres=${placement.resolution.height}`,
      );
    notExpressed.push(
      `libvirt does not create vGPUs: create ${spec.gpu.kind === 'mdev' ? spec.gpu.type : 'the'} vGPU ${placement.uuid} first (mdevctl, or echo ${placement.uuid} > …/mdev_supported_types/TYPE/create)`,
    );
  }

  if (shows && spec.gpu.kind !== 'none') {
    devices.push(
      el('controller', { type: 'usb', model: 'qemu-xhci' }),
      el('input', { type: 'tablet', bus: 'usb' }),
    );
  }
  if (spec.display.kind === 'spice') {
    devices.push(
      el('channel', { type: 'spicevmc' }, [el('target', { type: 'virtio', name: 'com.redhat.spice.0' })]),
    );
  } else if (shows && hasScreen(spec)) {
    needs('8.4.0'); // qemu-vdagent channel
    devices.push(
      el('channel', { type: 'qemu-vdagent' }, [
        el('source', {}, [el('clipboard', { copypaste: 'yes' }), el('mouse', { mode: 'server' })]),
        el('target', { type: 'virtio', name: 'com.redhat.spice.0' }),
      ]),
    );
  }
  devices.push(el('serial', { type: 'pty' }), el('console', { type: 'pty' }));
  if (spec.tpm)
    devices.push(el('tpm', { model: 'tpm-crb' }, [el('backend', { type: 'emulator', version: '2.0' })]));
  devices.push(el('memballoon', { model: 'none' }));

  if (spec.gpu.kind === 'vf' && spec.gpu.vf === undefined && placement.kind === 'vf')
    notExpressed.push(
      `"any free VF of ${spec.gpu.pf}" has no libvirt form: the domain names ${placement.address}, the VF that is free now`,
    );
  if (spec.restartPolicy === 'on-crash')
    notExpressed.push('restart on crash is <on_crash>restart</on_crash>, without Tessera’s back-off');

  const domain = el('domain', { type: 'kvm', 'xmlns:qemu': QEMU_NAMESPACE }, [
    {
      comment: [
        `Exported by Tessera from VM '${spec.name}'. Needs libvirt ${minimum} or later.`,
        ...(notExpressed.length > 0
          ? ['What libvirt cannot express, and how it is done here:', ...notExpressed.map((n) => `- ${n}`)]
          : []),
      ].join('\n'),
    },
    textEl('name', spec.name),
    textEl('uuid', spec.uuid),
    textEl('memory', String(spec.memoryMiB), { unit: 'MiB' }),
    textEl('currentMemory', String(spec.memoryMiB), { unit: 'MiB' }),
    backing.length > 0 && el('memoryBacking', {}, backing),
    textEl('vcpu', String(spec.cpus), { placement: 'static' }),
    spec.cpuPinning.length > 0 &&
      el(
        'cputune',
        {},
        spec.cpuPinning.map((cpu, vcpu) => el('vcpupin', { vcpu, cpuset: cpu })),
      ),
    el('os', { firmware: uefi ? 'efi' : undefined }, os),
    el('features', {}, features),
    el('cpu', { mode: 'host-passthrough', check: 'none', migratable: 'off' }),
    el('clock', { offset: 'utc' }, [spec.hyperv && el('timer', { name: 'hypervclock', present: 'yes' })]),
    textEl('on_poweroff', spec.restartPolicy === 'always' ? 'restart' : 'destroy'),
    textEl('on_reboot', 'restart'),
    textEl('on_crash', spec.restartPolicy === 'never' ? 'destroy' : 'restart'),
    el('devices', {}, devices),
    commandline.length > 0 &&
      el(
        'qemu:commandline',
        {},
        commandline.flat().map((value) => el('qemu:arg', { value })),
      ),
  ]);
  return { xml: renderXml(domain), notExpressed, minimumVersion: minimum };
}
