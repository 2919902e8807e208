/**
 * A libvirt domain (virt-manager's, or Tessera's own export) → the VM Tessera would create and a
 * report, element by element (libvirt's docs/formatdomain.rst). `<qemu:commandline>` is read as a
 * QEMU command line, so what Tessera's export passes there comes back too.
 */
import { DOMParser, type Element } from '@xmldom/xmldom';
import type { GpuInventory } from '../../shared/gpu-inventory';
import type { ImportResult } from '../../shared/vm-export';
import { finishDraft, gpuForMdev, gpuForPciDevice, newDraft, note, refuse, type Draft } from './import-draft';
import { QEMU_NAMESPACE } from './libvirt-export';
import { readQemuArgv } from './qemu-cmdline-import';

const children = (parent: Element, name?: string): Element[] =>
  Array.from(parent.childNodes).filter(
    (n): n is Element => n.nodeType === 1 && (name === undefined || (n as Element).localName === name),
  );
const child = (parent: Element, name: string): Element | undefined => children(parent, name)[0];
const attr = (e: Element | undefined, name: string): string | null => e?.getAttribute(name) ?? null;
const text = (e: Element | undefined): string | null => (e?.textContent ?? '').trim() || null;

/** libvirt's memory units (formatdomain.rst "Memory Allocation"): KiB when none is given. */
function mebibytes(value: string, unit: string | null): number | null {
  const n = Number(value);
  const factors: Record<string, number> = {
    b: 1 / 1048576,
    bytes: 1 / 1048576,
    KB: 1000 / 1048576,
    k: 1 / 1024,
    KiB: 1 / 1024,
    MB: 1e6 / 1048576,
    M: 1,
    MiB: 1,
    GB: 1e9 / 1048576,
    G: 1024,
    GiB: 1024,
    T: 1048576,
    TiB: 1048576,
  };
  const factor = factors[unit ?? 'KiB'];
  if (!Number.isFinite(n) || factor === undefined) return null;
  const mib = n * factor;
  return Number.isInteger(mib) ? mib : Math.floor(mib);
}

/** `<address domain='0x0000' bus='0x4d' slot='0x00' function='0x1'/>` → `0000:4d:00.1`. */
function pciAddress(address: Element | undefined): string | null {
  if (!address) return null;
  const part = (name: string, width: number) => {
    const value = Number.parseInt(attr(address, name) ?? '0', 16);
    return Number.isNaN(value) ? null : value.toString(16).padStart(width, '0');
  };
  const [domain, bus, slot, fn] = [part('domain', 4), part('bus', 2), part('slot', 2), part('function', 1)];
  return domain && bus && slot && fn ? `${domain}:${bus}:${slot}.${fn}` : null;
}

/** Tessera's export passes these device defaults itself; on the way back they are its own again. */
const OWN_GLOBALS = /^(virtio-vga\.blob=true|vfio-pci(-nohotplug)?\.(x-igd-opregion=on|xres=\d+|yres=\d+))$/;

function readDevices(draft: Draft, devices: Element, inventory: GpuInventory): void {
  const remote: ('vnc' | 'spice')[] = [];
  for (const device of children(devices)) {
    const kind = device.localName;
    const type = attr(device, 'type');
    const source = `<${kind}${type ? ` type='${type}'` : ''}>`;
    switch (kind) {
      case 'emulator':
        note(draft, 'changed', source, 'Tessera runs its own QEMU (the one tessera host names)');
        break;
      case 'disk': {
        const what = attr(device, 'device') ?? 'disk';
        const src = child(device, 'source');
        const path = attr(src, 'file') ?? attr(src, 'dev');
        if (path === null) {
          note(
            draft,
            'dropped',
            source,
            `a ${what} without a file or block device (${type} disks are not modelled)`,
          );
          break;
        }
        if (what === 'cdrom') {
          draft.cdrom = path;
          note(draft, 'mapped', `${source} ${path}`, 'the CD-ROM', 'cdrom');
          break;
        }
        if (what !== 'disk') {
          note(draft, 'dropped', `${source} ${path}`, `a ${what} is not modelled`);
          break;
        }
        const format = attr(child(device, 'driver'), 'type');
        const bus = attr(child(device, 'target'), 'bus') ?? 'virtio';
        const tesseraBus = bus === 'sata' ? 'sata' : bus === 'nvme' ? 'nvme' : 'virtio';
        draft.disks.push({
          path,
          format: format === 'raw' ? 'raw' : 'qcow2',
          readOnly: child(device, 'readonly') !== undefined,
          bus: tesseraBus,
        });
        if (format !== 'raw' && format !== 'qcow2')
          note(
            draft,
            'changed',
            `${source} ${path}`,
            `format ${format ?? '(none)'} is read as qcow2`,
            'disks',
          );
        if (bus !== tesseraBus)
          note(draft, 'changed', `${source} ${path}`, `a virtio disk where the domain has ${bus}`, 'disks');
        else note(draft, 'mapped', `${source} ${path}`, `disk on ${bus}`, 'disks');
        break;
      }
      case 'interface': {
        draft.network.mode = 'user';
        const model = attr(child(device, 'model'), 'type');
        if (type === 'user') note(draft, 'mapped', source, 'user networking', 'network');
        else
          note(
            draft,
            'changed',
            source,
            `user networking: Tessera does not set up ${type} networking (that needs root)`,
            'network',
          );
        if (model === 'e1000e' || model === 'e1000') draft.network.model = 'e1000e';
        if (model !== null && model !== 'virtio' && model !== 'e1000e')
          note(
            draft,
            'changed',
            `<model type='${model}'>`,
            `${draft.network.model} NIC: ${model} is not modelled`,
            'network.model',
          );
        for (const forward of children(device, 'portForward')) {
          for (const range of children(forward, 'range')) {
            const hostPort = Number(attr(range, 'start'));
            const guestPort = Number(attr(range, 'to') ?? attr(range, 'start'));
            const address = attr(forward, 'address');
            draft.network.forwards.push({
              protocol: attr(forward, 'proto') === 'udp' ? 'udp' : 'tcp',
              hostAddress: address === '0.0.0.0' ? '0.0.0.0' : '127.0.0.1',
              hostPort,
              guestPort,
            });
            note(
              draft,
              'mapped',
              `<portForward> ${hostPort}`,
              `host port ${hostPort} to guest port ${guestPort}`,
              'network.forwards',
            );
          }
        }
        break;
      }
      case 'graphics':
        if (type === 'vnc' || type === 'spice') {
          remote.push(type);
          note(
            draft,
            'changed',
            source,
            `Tessera’s own ${type === 'vnc' ? 'VNC' : 'SPICE'} console on a unix socket, reached through the console bridge`,
            'display',
          );
        } else if (type === 'egl-headless') {
          note(
            draft,
            'mapped',
            source,
            'egl-headless on the GPU’s render node, which Tessera picks',
            'display',
          );
        } else if (type === 'sdl') {
          draft.display = { kind: 'local', monitor: null, fullScreen: false, showFps: false };
          note(draft, 'changed', source, 'QEMU’s own window (GTK)', 'display');
        } else note(draft, 'dropped', source, `${type} graphics are not modelled`);
        break;
      case 'video': {
        const model = attr(child(device, 'model'), 'type');
        const gl = attr(child(child(device, 'model') ?? device, 'acceleration'), 'accel3d') === 'yes';
        draft.video = model === 'none' ? 'none' : model === 'virtio' ? (gl ? 'virtio-gl' : 'virtio') : 'std';
        note(
          draft,
          model === 'vga' || model === 'virtio' || model === 'none' ? 'mapped' : 'changed',
          `<video> ${model}`,
          `the ${draft.video} adapter (or a GPU slice’s display adapter)`,
          'gpu',
        );
        break;
      }
      case 'hostdev': {
        const src = child(device, 'source');
        if (type === 'pci') {
          const address = pciAddress(child(src ?? device, 'address'));
          if (address === null)
            refuse(source, 'a PCI hostdev needs <source><address domain= bus= slot= function=/>');
          gpuForPciDevice(draft, inventory, address, `${source} ${address}`);
        } else if (type === 'mdev') {
          const uuid = attr(child(src ?? device, 'address'), 'uuid');
          if (uuid === null) refuse(source, 'an mdev hostdev needs <source><address uuid=/>');
          gpuForMdev(draft, inventory, uuid, `${source} ${uuid}`);
        } else note(draft, 'dropped', source, `${type} host devices are not modelled`);
        break;
      }
      case 'tpm':
        draft.tpm = true;
        note(draft, 'mapped', source, 'a TPM 2.0 from swtpm', 'tpm');
        break;
      case 'controller':
      case 'input':
      case 'channel':
      case 'serial':
      case 'console':
      case 'memballoon':
        note(
          draft,
          'changed',
          source,
          'Tessera adds its own (serial console, USB tablet, agent channel; no balloon)',
        );
        break;
      default:
        note(draft, 'dropped', source, `the ${kind} device is not modelled`);
    }
  }
  const [first] = remote;
  if (first) draft.display = { kind: first };
  else if (draft.display === undefined) draft.display = { kind: 'none' };
}

function readOs(draft: Draft, os: Element): void {
  const type = child(os, 'type');
  const machine = attr(type, 'machine') ?? 'pc';
  if (/q35/.test(machine)) note(draft, 'mapped', `<type machine='${machine}'>`, 'q35', 'machine');
  else note(draft, 'changed', `<type machine='${machine}'>`, 'Tessera’s VMs are q35 (PCIe)', 'machine');
  const loader = child(os, 'loader');
  const efi = attr(os, 'firmware') === 'efi' || /OVMF|edk2/i.test(text(loader) ?? '');
  if (efi) {
    const secure =
      attr(loader, 'secure') === 'yes' ||
      children(child(os, 'firmware') ?? os, 'feature').some(
        (f) => attr(f, 'name') === 'secure-boot' && attr(f, 'enabled') === 'yes',
      );
    draft.firmware = secure ? 'uefi-secure-boot' : 'uefi';
    note(
      draft,
      'mapped',
      '<os firmware>',
      `UEFI${secure ? ' with Secure Boot' : ''} (Debian’s OVMF, the VM’s own variable store)`,
      'firmware',
    );
  }
  const kernel = text(child(os, 'kernel'));
  if (kernel !== null) {
    const initrd = text(child(os, 'initrd'));
    const append = text(child(os, 'cmdline'));
    draft.kernel = {
      path: kernel,
      ...(initrd !== null ? { initrd } : {}),
      ...(append !== null ? { append } : {}),
    };
    note(draft, 'mapped', '<kernel>', 'a direct kernel boot', 'kernel');
  }
  if (children(os, 'boot').length > 0)
    note(draft, 'dropped', '<boot dev>', 'Tessera boots the disks first and the CD-ROM as the fallback');
}

export function importLibvirtDomain(xml: string, inventory: GpuInventory, name?: string): ImportResult {
  let root: Element | null;
  try {
    root = new DOMParser().parseFromString(xml, 'text/xml').documentElement;
  } catch (error) {
    refuse('the XML', `it is not well-formed: ${(error as Error).message.split('\n')[0]}`);
  }
  if (root?.localName !== 'domain')
    refuse('the XML', `its root is <${root?.localName ?? 'nothing'}>, not a libvirt <domain>`);
  const draft = newDraft();
  const domainName = text(child(root, 'name'));
  if (domainName !== null) draft.name = domainName;
  if (text(child(root, 'uuid'))) note(draft, 'dropped', '<uuid>', 'a new VM gets a new UUID');
  const memory = child(root, 'memory');
  if (memory) {
    const mib = mebibytes(text(memory) ?? '', attr(memory, 'unit'));
    if (mib === null) refuse('<memory>', 'its size or unit is not one libvirt knows');
    draft.memoryMiB = mib;
    note(draft, 'mapped', '<memory>', `${mib} MiB`, 'memoryMiB');
  }
  const backing = child(root, 'memoryBacking');
  if (backing) {
    const page = child(child(backing, 'hugepages') ?? backing, 'page');
    if (child(backing, 'hugepages')) {
      const kib = mebibytes(attr(page, 'size') ?? '2048', attr(page, 'unit'));
      draft.hugepages = kib === 1024 ? '1G' : '2M';
      note(draft, 'mapped', '<hugepages>', `${draft.hugepages} hugepages`, 'memoryBacking.hugepages');
    }
    if (attr(child(backing, 'access'), 'mode') === 'shared') {
      draft.sharedMemory = true;
      note(
        draft,
        'mapped',
        '<access mode=shared>',
        'guest RAM shared with other processes',
        'memoryBacking.shared',
      );
    }
  }
  const vcpu = text(child(root, 'vcpu'));
  if (vcpu !== null) {
    draft.cpus = Number(vcpu);
    note(draft, 'mapped', '<vcpu>', `${vcpu} vCPUs`, 'cpus');
  }
  const pins = children(child(root, 'cputune') ?? root, 'vcpupin');
  if (pins.length > 0) {
    const cpus = pins.map((p) => Number(attr(p, 'cpuset')));
    if (cpus.every((c) => Number.isInteger(c))) {
      draft.cpuPinning = cpus;
      note(draft, 'mapped', '<vcpupin>', `vCPUs pinned to host CPUs ${cpus.join(', ')}`, 'cpuPinning');
    } else
      note(
        draft,
        'dropped',
        '<vcpupin>',
        'a vCPU pinned to a set of host CPUs is not modelled: one host CPU per vCPU',
      );
  }
  const os = child(root, 'os');
  if (os) readOs(draft, os);
  const features = child(root, 'features');
  if (features) {
    if (child(features, 'hyperv')) {
      draft.hyperv = true;
      note(draft, 'mapped', '<hyperv>', 'Hyper-V enlightenments', 'hyperv');
    }
    const ioapic = attr(child(features, 'ioapic'), 'driver');
    if (ioapic === 'kvm' || ioapic === 'qemu') {
      draft.kernelIrqchip = ioapic === 'kvm' ? 'on' : 'split';
      note(
        draft,
        'mapped',
        `<ioapic driver='${ioapic}'>`,
        `kernel_irqchip=${draft.kernelIrqchip}`,
        'machine.kernelIrqchip',
      );
    }
  }
  const onCrash = text(child(root, 'on_crash'));
  const onPoweroff = text(child(root, 'on_poweroff'));
  if (onPoweroff === 'restart') draft.restartPolicy = 'always';
  else if (onCrash === 'restart' || onCrash === 'rename-restart') draft.restartPolicy = 'on-crash';
  if (draft.restartPolicy)
    note(draft, 'mapped', '<on_crash>', `restart policy ${draft.restartPolicy}`, 'restartPolicy');
  // A domain without an <interface> has no network.
  draft.network.mode = 'none';
  const devices = child(root, 'devices');
  if (devices) readDevices(draft, devices, inventory);
  const commandline = children(root, 'commandline').filter((c) => c.namespaceURI === QEMU_NAMESPACE);
  for (const block of commandline) {
    const args = children(block, 'arg').map((a) => attr(a, 'value') ?? '');
    const rest: string[] = [];
    for (let i = 0; i < args.length; i++) {
      if (args[i] === '-global' && OWN_GLOBALS.test(args[i + 1] ?? '')) {
        note(draft, 'mapped', `-global ${args[i + 1]}`, 'Tessera sets it itself for the GPU slice', 'gpu');
        i++;
      } else rest.push(args[i] ?? '');
    }
    readQemuArgv(draft, rest, inventory, true);
  }
  return finishDraft(draft, name);
}
