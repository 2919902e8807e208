/**
 * A QEMU command line as the guides write it (../shared/reference/qemu-gpu-guests.md) → the VM
 * Tessera would create, and a report of what was mapped, changed and dropped. Options are read
 * as QEMU reads them (qemu-options.hx; `key=value,...` with `,,` for a comma, QemuOpts), and
 * every option Tessera does not model is named in the report rather than lost silently.
 */
import type { GpuInventory } from '../../shared/gpu-inventory';
import type { ImportResult } from '../../shared/vm-export';
import { BDF_PATTERN, MDEV_UUID_PATTERN } from '../../shared/pci-address';
import { finishDraft, gpuForMdev, gpuForPciDevice, newDraft, note, refuse, type Draft } from './import-draft';
import { ShellSyntaxError, splitShellCommands } from './shell-words';

/** `a=1,b,,c,d` → [['a','1'], ['b,c',''], ['d','']]: QemuOpts' split, `,,` being a literal comma. */
export function parseKeyval(text: string): [string, string][] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    if (text[i] === ',' && text[i + 1] === ',') {
      current += ',';
      i++;
    } else if (text[i] === ',') {
      parts.push(current);
      current = '';
    } else current += text[i];
  }
  parts.push(current);
  return parts.map((part) => {
    const eq = part.indexOf('=');
    return eq === -1 ? [part, ''] : [part.slice(0, eq), part.slice(eq + 1)];
  });
}

/** QEMU's sizes (`4G`, `4096`, `4096M`, `512k`), in MiB; a bare number is MiB for -m. */
function mebibytes(text: string, bareUnit: 'M' | 'B'): number | null {
  const match = /^(\d+(?:\.\d+)?)([kKmMgGtT]?)[bB]?$/.exec(text.trim());
  if (!match) return null;
  const value = Number(match[1]);
  const unit = (match[2] || bareUnit).toUpperCase();
  const factor = { B: 1 / 1048576, K: 1 / 1024, M: 1, G: 1024, T: 1024 * 1024 }[unit] ?? null;
  if (factor === null) return null;
  const mib = value * factor;
  return Number.isInteger(mib) ? mib : null;
}

/** `4d:00.1` → `0000:4d:00.1`; null when it is not a PCI address. */
function fullBdf(text: string): string | null {
  const lower = text.toLowerCase();
  const full = /^[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/.test(lower) ? `0000:${lower}` : lower;
  return BDF_PATTERN.test(full) ? full : null;
}

/** Options that take no value (qemu-options.hx), beside those handled by name below. */
const FLAGS = new Set([
  '-enable-kvm',
  '-nographic',
  '-nodefaults',
  '-no-user-config',
  '-daemonize',
  '-no-reboot',
  '-no-shutdown',
  '-S',
  '-snapshot',
  '-usb',
  '-full-screen',
  '-no-hpet',
  '-no-acpi',
  '-enable-fips',
  '-s',
]);

/** Why an option Tessera leaves out is left out, for the report. */
const DROPPED: Record<string, string> = {
  '-daemonize': 'Tessera starts QEMU detached itself and keeps its pid',
  '-pidfile': 'Tessera keeps the pidfile in the VM’s runtime dir',
  '-no-reboot': 'a reboot restarts the guest; Tessera’s restart policy covers a crashed or stopped VM',
  '-no-shutdown': 'a guest that powers off ends QEMU, which is how Tessera tells a shutdown from a crash',
  '-S': 'Tessera starts the vCPUs at once',
  '-snapshot':
    'discarding changes at exit is not modelled: keep a golden image and reset its overlay instead',
  '-boot': 'Tessera boots the disks first and the CD-ROM as the fallback',
  '-usb': 'Tessera adds its own USB controller and tablet when the VM has a screen',
  '-usbdevice': 'Tessera adds its own USB controller and tablet when the VM has a screen',
  '-rtc': 'the guest clock is QEMU’s default (UTC)',
  '-global': 'device defaults are not modelled',
  '-k': 'the console sends the client’s keys as they are',
  '-D': 'QEMU’s log goes to the VM’s runtime dir',
  '-d': 'debug logging is not modelled',
  '-msg': 'message formatting is not modelled',
  '-sandbox': 'seccomp is not modelled',
  '-overcommit': 'memory locking is decided by the GPU slice (vfio pins guest RAM)',
  '-numa': 'Tessera gives a VM one NUMA node',
  '-L': 'firmware comes from Debian’s ovmf and QEMU’s own paths',
  '-no-hpet': 'the machine’s default timers are kept',
  '-no-acpi': 'q35 always has ACPI',
  '-readconfig': 'a config file outside the command line is not read',
  '-runas': 'QEMU runs as the user in Tessera, never as root, so there is no one to switch to',
  '-chroot': 'not modelled',
  '-uuid': 'a new VM gets a new UUID',
  '-qmp': 'Tessera runs its own QMP socket in the VM’s runtime dir',
  '-monitor': 'the console’s monitor tab is on Tessera’s own socket',
  '-mon': 'Tessera runs its own monitor sockets',
  '-chardev': 'Tessera makes its own character devices (QMP, monitor, serial, agent)',
  '-enable-fips': 'not modelled',
  '-s': 'a gdb stub is not modelled',
  '-gdb': 'a gdb stub is not modelled',
  '-fsdev': 'host directory sharing is not modelled',
  '-virtfs': 'host directory sharing is not modelled',
  '-audiodev': 'sound is not modelled',
  '-soundhw': 'sound is not modelled',
  '-incoming': 'migration is not modelled',
  '-loadvm': 'snapshots are not modelled',
};

/** Devices Tessera adds on its own, or leaves out, by driver name. */
const OWN_DEVICES: Record<string, string> = {
  'usb-tablet': 'Tessera adds its own USB tablet when the VM has a screen',
  'qemu-xhci': 'Tessera adds its own USB controller when the VM has a screen',
  'nec-usb-xhci': 'Tessera adds its own USB controller when the VM has a screen',
  'usb-ehci': 'Tessera adds its own USB controller when the VM has a screen',
  'ich9-usb-ehci1': 'Tessera adds its own USB controller when the VM has a screen',
  'usb-kbd': 'the console sends keys through the emulated keyboard',
  'usb-mouse': 'Tessera’s tablet keeps the pointer under the console’s',
  'virtio-serial-pci': 'Tessera adds its own agent channel (clipboard) when the VM has a screen',
  virtserialport: 'Tessera adds its own agent channel (clipboard) when the VM has a screen',
  virtconsole: 'the serial console is Tessera’s',
  'pci-bridge': 'Tessera’s devices sit on q35’s root bus',
  'pcie-root-port': 'Tessera’s devices sit on q35’s root bus',
  ramfb: 'ramfb comes with a vGPU (display=on) only',
};

interface Device {
  driver: string;
  props: Map<string, string>;
  source: string;
}
interface BlockNode {
  path: string | null;
  format: 'qcow2' | 'raw' | null;
  readOnly: boolean;
  /** `file=` naming another node (the -blockdev chain's protocol node). */
  fileNode: string | null;
  media: 'disk' | 'cdrom';
  source: string;
  used: boolean;
}

/** Reading one QEMU argv (without the binary) into a draft. */
class ArgvReader {
  private readonly devices: Device[] = [];
  private readonly blocks = new Map<string, BlockNode>();
  private machineType: { type: string; source: string } | null = null;
  private nicModelSet = false;
  private remote: 'vnc' | 'spice' | null = null;
  private displayKind: 'gtk' | 'egl-headless' | 'none' | null = null;
  private localOptions: Map<string, string> | null = null;
  private fullScreen = false;
  private nographic = false;

  constructor(
    private readonly draft: Draft,
    private readonly inventory: GpuInventory,
    /** Extra options to a libvirt domain: only a window they open sets the display. */
    private readonly extra: boolean,
  ) {}

  read(argv: string[]): void {
    for (let i = 0; i < argv.length; i++) {
      const word = argv[i] ?? '';
      if (!word.startsWith('-') || word === '-') {
        // QEMU takes a bare word as the first disk (-hda).
        this.disk(word, 'raw?', 'ide', word);
        continue;
      }
      const option = word.startsWith('--') ? word.slice(1) : word;
      const takesValue = !FLAGS.has(option);
      const value = takesValue ? argv[i + 1] : undefined;
      if (takesValue) {
        if (value === undefined) refuse(option, 'this option needs a value and the line ends before it');
        i++;
      }
      this.option(option, value ?? '', value === undefined ? option : `${option} ${value}`);
    }
  }

  private option(option: string, value: string, source: string): void {
    const { draft } = this;
    const props = () => parseKeyval(value);
    switch (option) {
      case '-enable-kvm':
        note(draft, 'changed', source, 'Tessera uses KVM where /dev/kvm works and TCG otherwise');
        return;
      case '-accel':
        note(draft, 'changed', source, 'Tessera uses KVM where /dev/kvm works and TCG otherwise');
        return;
      case '-machine':
      case '-M':
        return this.machine(props(), source);
      case '-cpu':
        return this.cpu(value, source);
      case '-smp':
        return this.smp(props(), source);
      case '-m':
        return this.memory(props(), source);
      case '-object':
        return this.object(props(), source);
      case '-drive':
        return this.drive(props(), source);
      case '-blockdev':
        return this.blockdev(props(), source);
      case '-hda':
      case '-hdb':
      case '-hdc':
      case '-hdd':
        return this.disk(value, 'raw?', 'ide', source);
      case '-cdrom':
        return this.cdrom(value, source);
      case '-kernel':
        draft.kernel = { ...draft.kernel, path: value };
        this.mapped(source, 'kernel.path', 'the kernel, booted directly');
        return;
      case '-initrd':
        draft.kernel = { path: draft.kernel?.path ?? '', ...draft.kernel, initrd: value };
        this.mapped(source, 'kernel.initrd', 'the initrd');
        return;
      case '-append':
        draft.kernel = { path: draft.kernel?.path ?? '', ...draft.kernel, append: value };
        this.mapped(source, 'kernel.append', 'the kernel command line');
        return;
      case '-bios':
        return this.firmwareFile(value, source);
      case '-net':
        return this.net(props(), source);
      case '-netdev':
        return this.netdev(props(), source);
      case '-nic':
        return this.nic(props(), source);
      case '-device':
        return this.device(value, source);
      case '-vga':
        return this.vga(value, source);
      case '-nographic':
        this.nographic = true;
        note(
          draft,
          'changed',
          source,
          'no window; the serial console is Tessera’s (a socket with a log), not stdio',
        );
        return;
      case '-display':
        return this.display(props(), source);
      case '-nodefaults':
      case '-no-user-config':
        note(
          draft,
          'mapped',
          source,
          'Tessera always asks for every device itself (-nodefaults -no-user-config)',
        );
        return;
      case '-full-screen':
        this.fullScreen = true;
        return;
      case '-vnc':
        if (value === 'none') return this.mapped(source, 'display', 'no VNC');
        this.remote = 'vnc';
        note(
          draft,
          'changed',
          source,
          'becomes Tessera’s own console: VNC on a unix socket in the VM’s 0700 runtime dir, reached through the console bridge, never listening on the network',
          'display',
        );
        return;
      case '-spice':
        this.remote = 'spice';
        note(
          draft,
          'changed',
          source,
          'becomes Tessera’s own SPICE console on a unix socket, reached through the console bridge (a GPU guest’s frames go through egl-headless)',
          'display',
        );
        return;
      case '-serial':
        if (value === 'none')
          return note(draft, 'dropped', source, 'Tessera always gives the VM a serial console');
        note(
          draft,
          'changed',
          source,
          'the serial console is Tessera’s: a socket with a log, shown in the console’s serial tab',
        );
        return;
      case '-name': {
        const [first] = props();
        const guest = props().find(([k]) => k === 'guest')?.[1];
        const named = first?.[1] === '' ? first[0] : guest;
        if (named !== undefined) draft.name = named;
        this.mapped(source, 'name', 'the VM’s name');
        return;
      }
      case '-tpmdev':
        draft.tpm = true;
        this.mapped(source, 'tpm', 'a TPM 2.0 from swtpm, which Tessera starts with the VM');
        return;
      default:
        if (option in DROPPED) return note(draft, 'dropped', source, DROPPED[option] ?? '');
        note(draft, 'dropped', source, `Tessera does not model ${option}`);
    }
  }

  private mapped(source: string, field: string, detail: string): void {
    note(this.draft, 'mapped', source, detail, field);
  }

  private machine(props: [string, string][], source: string): void {
    const { draft } = this;
    for (const [key, value] of props) {
      const type = value === '' && key !== '' ? key : key === 'type' ? value : null;
      if (type !== null) {
        if (this.machineType && this.machineType.type !== type)
          refuse(
            source,
            `a second machine type (${this.machineType.source} names ${this.machineType.type}): a VM has one machine; keep one -machine`,
          );
        this.machineType = { type, source };
        if (type === 'q35' || type.startsWith('pc-q35')) this.mapped(source, 'machine', 'q35');
        else
          note(draft, 'changed', source, `Tessera’s VMs are q35 (PCIe); ${type} is not modelled`, 'machine');
      } else if (key === 'accel') {
        note(
          draft,
          'changed',
          `${source} (accel=${value})`,
          'Tessera uses KVM where /dev/kvm works and TCG otherwise',
        );
      } else if (key === 'kernel_irqchip' || key === 'kernel-irqchip') {
        const mode = value === '' || value === 'on' || value === 'true' ? 'on' : value;
        if (mode !== 'on' && mode !== 'split' && mode !== 'off')
          refuse(source, `kernel_irqchip=${value}: it is on, split or off`);
        draft.kernelIrqchip = mode;
        this.mapped(`${source} (kernel_irqchip=${value})`, 'machine.kernelIrqchip', `kernel_irqchip=${mode}`);
      } else if (key === 'memory-backend') {
        this.mapped(
          `${source} (memory-backend=${value})`,
          'memoryBacking',
          'guest RAM from the -object it names',
        );
      } else if (key === 'pflash0' || key === 'pflash1') {
        const node = this.blocks.get(value);
        if (node) node.used = true;
        if (node?.path) this.firmwareFile(node.path, `${source} (${key}=${value})`);
      } else {
        note(
          draft,
          'dropped',
          `${source} (${key}${value ? `=${value}` : ''})`,
          `the machine option ${key} is not modelled`,
        );
      }
    }
  }

  private cpu(value: string, source: string): void {
    const [model = '', ...flags] = parseKeyval(value);
    if (model[0] === 'host' || model[0] === 'max')
      this.mapped(
        `-cpu ${model[0]}`,
        'cpu',
        'Tessera gives the guest the host’s CPU under KVM (max under TCG)',
      );
    else
      note(
        this.draft,
        'changed',
        `-cpu ${model[0]}`,
        'Tessera gives the guest the host’s CPU under KVM (max under TCG)',
      );
    for (const [flag, v] of flags) {
      const name = flag.replace(/^[+-]/, '').replace(/_/g, '-');
      if (name.startsWith('hv-')) {
        this.draft.hyperv = true;
        this.mapped(`${source} (${flag})`, 'hyperv', 'Hyper-V enlightenments for a Windows guest');
      } else if (name === 'kvm' && (v === 'off' || flag.startsWith('-'))) {
        note(
          this.draft,
          'dropped',
          `${source} (${flag}${v ? `=${v}` : ''})`,
          'the hypervisor is never hidden: that gives Code 43 with SR-IOV VFs (qemu-gpu-guests.md)',
        );
      } else {
        note(this.draft, 'dropped', `${source} (${flag}${v ? `=${v}` : ''})`, 'CPU flags are not modelled');
      }
    }
  }

  private smp(props: [string, string][], source: string): void {
    const numbers = new Map<string, number>();
    for (const [key, value] of props) {
      const n = Number(value === '' ? key : value);
      if (!Number.isInteger(n) || n < 1)
        refuse(source, `${key}${value ? `=${value}` : ''} is not a whole number of CPUs`);
      numbers.set(value === '' ? 'cpus' : key, n);
    }
    const topology = ['sockets', 'dies', 'clusters', 'cores', 'threads'].reduce(
      (p, k) => p * (numbers.get(k) ?? 1),
      1,
    );
    this.draft.cpus = numbers.get('cpus') ?? topology;
    const extra = [...numbers.keys()].filter((k) => k !== 'cpus');
    this.mapped(source, 'cpus', `${this.draft.cpus} vCPU${this.draft.cpus === 1 ? '' : 's'}`);
    if (extra.length > 0)
      note(
        this.draft,
        'changed',
        source,
        `the topology (${extra.join(', ')}) is QEMU’s default: the vCPUs are cores of one socket`,
        'cpus',
      );
  }

  private memory(props: [string, string][], source: string): void {
    let size: number | null = null;
    for (const [key, value] of props) {
      if (value === '' || key === 'size') size = mebibytes(value === '' ? key : value, 'M');
      else note(this.draft, 'dropped', `${source} (${key}=${value})`, 'memory hotplug is not modelled');
    }
    if (size === null) refuse(source, 'the size is not a whole number of MiB (write it like 4G or 4096M)');
    this.draft.memoryMiB = size;
    this.mapped(source, 'memoryMiB', `${size} MiB`);
  }

  private object(props: [string, string][], source: string): void {
    const [type] = props[0] ?? [''];
    const map = new Map(props.slice(1));
    if (!type.startsWith('memory-backend-')) {
      note(this.draft, 'dropped', source, `the ${type} object is not modelled`);
      return;
    }
    const size = map.get('size');
    const mib = size === undefined ? null : mebibytes(size, 'B');
    if (this.draft.memoryMiB === undefined && mib !== null) this.draft.memoryMiB = mib;
    const huge = map.get('hugetlb') === 'on' || map.get('mem-path')?.includes('huge') === true;
    if (huge) {
      const pageSize = map.get('hugetlbsize');
      this.draft.hugepages = pageSize !== undefined && mebibytes(pageSize, 'B') === 1024 ? '1G' : '2M';
      this.mapped(source, 'memoryBacking.hugepages', `guest RAM on ${this.draft.hugepages} hugepages`);
    } else
      this.mapped(
        source,
        'memoryBacking',
        'guest RAM from a memfd (Tessera makes one when blob resources need it)',
      );
    if (map.get('share') === 'on') {
      this.draft.sharedMemory = true;
      this.mapped(`${source} (share=on)`, 'memoryBacking.shared', 'guest RAM shared with other processes');
    }
    if (type === 'memory-backend-file' && !huge)
      note(this.draft, 'changed', source, 'a file-backed RAM becomes a memfd', 'memoryBacking');
  }

  private drive(props: [string, string][], source: string): void {
    const map = new Map(props);
    const file = map.get('file');
    const iface = map.get('if') ?? 'ide';
    const format = map.get('format');
    if (iface === 'pflash') {
      if (file) this.firmwareFile(file, source);
      return;
    }
    if (file === undefined)
      return note(this.draft, 'dropped', source, 'a drive without a file is not modelled');
    for (const key of map.keys())
      if (
        [
          'cache',
          'aio',
          'discard',
          'snapshot',
          'werror',
          'rerror',
          'detect-zeroes',
          'index',
          'cache.direct',
        ].includes(key)
      )
        note(
          this.draft,
          'dropped',
          `${source} (${key}=${map.get(key)})`,
          `the drive option ${key} is not modelled`,
        );
    const node: BlockNode = {
      path: file,
      format: format === 'qcow2' || format === 'raw' ? format : null,
      readOnly: map.get('readonly') === 'on',
      fileNode: null,
      media: map.get('media') === 'cdrom' ? 'cdrom' : 'disk',
      source,
      used: false,
    };
    if (format !== undefined && node.format === null)
      note(
        this.draft,
        'changed',
        source,
        `format=${format} is read as raw; Tessera knows qcow2 and raw`,
        'disks',
      );
    if (iface === 'none') {
      this.blocks.set(map.get('id') ?? `drive${this.blocks.size}`, node);
      return;
    }
    if (node.media === 'cdrom') return this.cdrom(file, source);
    this.disk(file, node.format ?? 'raw?', iface, source, node.readOnly);
  }

  private blockdev(props: [string, string][], source: string): void {
    const map = new Map(props);
    const driver = map.get('driver');
    const name = map.get('node-name');
    if (name === undefined)
      return note(this.draft, 'dropped', source, 'a block node without node-name cannot be attached');
    const filename = map.get('file.filename') ?? map.get('filename') ?? null;
    this.blocks.set(name, {
      path: filename,
      format: driver === 'qcow2' ? 'qcow2' : driver === 'raw' ? 'raw' : null,
      readOnly: map.get('read-only') === 'on',
      fileNode: map.get('file') ?? null,
      media: 'disk',
      source,
      used: false,
    });
  }

  /** A block node's file and format, following `file=` to its protocol node. */
  private resolveBlock(name: string): BlockNode | null {
    const node = this.blocks.get(name);
    if (!node) return null;
    node.used = true;
    if (node.path !== null || node.fileNode === null) return node;
    const inner = this.resolveBlock(node.fileNode);
    return inner ? { ...node, path: inner.path, readOnly: node.readOnly || inner.readOnly } : node;
  }

  private disk(
    path: string,
    format: 'qcow2' | 'raw' | 'raw?',
    bus: string,
    source: string,
    readOnly = false,
  ): void {
    let known: 'qcow2' | 'raw';
    if (format === 'raw?') {
      // QEMU probes a file whose format is not given; the name is all a text has.
      known = /\.qcow2?$/i.test(path) ? 'qcow2' : 'raw';
      note(
        this.draft,
        'changed',
        source,
        `no format= given: ${known}, from the file name (QEMU would probe the file)`,
        'disks',
      );
    } else known = format;
    const tesseraBus =
      bus === 'virtio' ? 'virtio' : bus === 'nvme' ? 'nvme' : bus === 'sata' ? 'sata' : 'virtio';
    if (tesseraBus === 'virtio' && bus !== 'virtio')
      note(
        this.draft,
        'changed',
        source,
        `a virtio disk where QEMU’s -drive gives ${bus}: faster; choose SATA in the editor for a guest without virtio drivers`,
        'disks',
      );
    this.draft.disks.push({ path, format: known, readOnly, bus: tesseraBus });
    this.mapped(source, 'disks', `disk ${path}`);
  }

  private cdrom(path: string, source: string): void {
    if (this.draft.cdrom !== undefined)
      return note(this.draft, 'dropped', source, 'Tessera gives a VM one CD-ROM; the first is kept');
    this.draft.cdrom = path;
    this.mapped(source, 'cdrom', `the CD-ROM ${path}, booted after the disks`);
  }

  private firmwareFile(file: string, source: string): void {
    const name = file.split('/').pop() ?? file;
    if (/VARS/i.test(name)) {
      note(
        this.draft,
        'changed',
        source,
        'Tessera keeps the VM’s own copy of the UEFI variable store',
        'firmware',
      );
      return;
    }
    if (/OVMF|edk2|\.fd$/i.test(name)) {
      const secure = /secboot|\.ms\.|\.secure/i.test(name);
      this.draft.firmware = secure ? 'uefi-secure-boot' : 'uefi';
      note(
        this.draft,
        'changed',
        source,
        `UEFI${secure ? ' with Secure Boot' : ''}: Debian’s OVMF, with the VM’s own variable store`,
        'firmware',
      );
    } else {
      this.draft.firmware = 'bios';
      note(this.draft, 'changed', source, 'BIOS (QEMU’s SeaBIOS)', 'firmware');
    }
  }

  private forwards(hostfwds: string[], source: string): void {
    for (const rule of hostfwds) {
      const match = /^(tcp|udp)?:([^:]*):(\d+)-([^:]*):(\d+)$/.exec(rule);
      if (!match)
        refuse(
          `${source} (hostfwd=${rule})`,
          'a forward is written [tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT',
        );
      const [, protocol = 'tcp', address = '', hostPort = '', , guestPort = ''] = match;
      const hostAddress = address === '0.0.0.0' ? '0.0.0.0' : '127.0.0.1';
      this.draft.network.forwards.push({
        protocol: protocol === 'udp' ? 'udp' : 'tcp',
        hostAddress,
        hostPort: Number(hostPort),
        guestPort: Number(guestPort),
      });
      if (address === '0.0.0.0' || address === '127.0.0.1')
        this.mapped(
          `hostfwd=${rule}`,
          'network.forwards',
          `host port ${hostPort} to guest port ${guestPort}`,
        );
      else
        note(
          this.draft,
          'changed',
          `hostfwd=${rule}`,
          `host port ${hostPort} to guest port ${guestPort}, listening on loopback only (${address === '' ? 'QEMU listens on every address' : `was ${address}`}); choose 0.0.0.0 in the editor to expose it`,
          'network.forwards',
        );
    }
  }

  private nicModel(model: string | undefined, source: string): void {
    if (model === undefined) {
      if (!this.nicModelSet)
        note(
          this.draft,
          'changed',
          source,
          'a virtio NIC, where QEMU’s default is an e1000; choose e1000e in the editor for a guest without virtio drivers',
          'network.model',
        );
      return;
    }
    this.nicModelSet = true;
    if (model === 'virtio' || model === 'virtio-net-pci') {
      this.draft.network.model = 'virtio';
      this.mapped(source, 'network.model', 'a virtio NIC');
    } else if (model === 'e1000e' || model === 'e1000' || model === 'e1000-82545em') {
      this.draft.network.model = 'e1000e';
      if (model === 'e1000e') this.mapped(source, 'network.model', 'an e1000e NIC');
      else
        note(
          this.draft,
          'changed',
          source,
          `an e1000e NIC (Intel’s 82574L), where ${model} is the older 82540EM`,
          'network.model',
        );
    } else {
      note(this.draft, 'changed', source, `a virtio NIC: ${model} is not modelled`, 'network.model');
    }
  }

  private userNet(props: Map<string, string> | [string, string][], source: string): void {
    this.draft.network.mode = 'user';
    const hostfwds = [...props].filter(([k]) => k === 'hostfwd').map(([, v]) => v);
    this.mapped(source, 'network', 'user networking');
    this.forwards(hostfwds, source);
    for (const [key, value] of props)
      if (!['user', 'id', 'hostfwd', 'model', 'mac', 'type'].includes(key) && key !== '')
        note(
          this.draft,
          'dropped',
          `${source} (${key}=${value})`,
          `the user-network option ${key} is not modelled`,
        );
  }

  private net(props: [string, string][], source: string): void {
    const [kind] = props[0] ?? [''];
    const map = new Map(props.slice(1));
    if (kind === 'nic') return this.nicModel(map.get('model'), source);
    if (kind === 'user') return this.userNet(props.slice(1), source);
    if (kind === 'none') {
      this.draft.network.mode = 'none';
      return this.mapped(source, 'network.mode', 'no network');
    }
    this.otherNet(kind, source);
  }

  private otherNet(kind: string, source: string): void {
    note(
      this.draft,
      'changed',
      source,
      `user networking: Tessera does not set up ${kind} networking (that needs root)`,
      'network',
    );
  }

  private netdev(props: [string, string][], source: string): void {
    const [kind] = props[0] ?? [''];
    if (kind === 'user') return this.userNet(props.slice(1), source);
    this.otherNet(kind, source);
  }

  private nic(props: [string, string][], source: string): void {
    const [kind] = props[0] ?? [''];
    const map = new Map(props.slice(1));
    if (kind === 'none') {
      this.draft.network.mode = 'none';
      return this.mapped(source, 'network.mode', 'no network');
    }
    if (kind === 'user') this.userNet(props.slice(1), source);
    else this.otherNet(kind, source);
    this.nicModel(map.get('model') ?? 'virtio', source);
  }

  private device(value: string, source: string): void {
    const props = parseKeyval(value);
    const first = props[0];
    const driver = first && first[1] === '' ? first[0] : new Map(props).get('driver');
    if (!driver)
      refuse(source, 'a -device names its driver first (for example -device vfio-pci,host=00:02.1)');
    this.devices.push({ driver, props: new Map(props.slice(first?.[1] === '' ? 1 : 0)), source });
  }

  private vga(value: string, source: string): void {
    const video = value === 'std' ? 'std' : value === 'virtio' ? 'virtio' : value === 'none' ? 'none' : null;
    if (video === null) {
      this.draft.video = 'std';
      note(this.draft, 'changed', source, `QEMU’s standard VGA: ${value} is not modelled`, 'gpu');
    } else {
      this.draft.video = video;
      this.mapped(source, 'gpu', video === 'none' ? 'no emulated graphics adapter' : `the ${video} adapter`);
    }
  }

  private display(props: [string, string][], source: string): void {
    const [kind] = props[0] ?? [''];
    const map = new Map(props.slice(1));
    if (kind === 'gtk' || kind === 'sdl') {
      this.displayKind = 'gtk';
      this.localOptions = map;
      this.mapped(source, 'display', 'QEMU’s own window on this host');
      if (map.get('full-screen') === 'on') this.fullScreen = true;
      for (const key of map.keys())
        if (!['gl', 'full-screen', 'connectors.0', 'show-fps', 'zoom-to-fit'].includes(key))
          note(this.draft, 'dropped', `${source} (${key})`, `the display option ${key} is not modelled`);
    } else if (kind === 'egl-headless') {
      this.displayKind = 'egl-headless';
      note(
        this.draft,
        'changed',
        source,
        'egl-headless on the GPU’s own render node, which Tessera picks, for the console',
        'display',
      );
    } else if (kind === 'none') {
      this.displayKind = 'none';
      this.mapped(source, 'display', 'no window');
    } else {
      note(
        this.draft,
        'changed',
        source,
        `Tessera’s console (VNC): the ${kind} display is not modelled`,
        'display',
      );
    }
  }

  /** Devices after all options are read, since a -device may name a drive or netdev given later. */
  finish(): void {
    const { draft } = this;
    for (const d of this.devices) this.applyDevice(d);
    for (const [name, node] of this.blocks)
      if (!node.used) note(draft, 'dropped', node.source, `block node ${name} is attached to no device`);
    const slice = draft.gpu?.kind === 'vf' || draft.gpu?.kind === 'mdev' || draft.gpu?.kind === 'passthrough';
    if (this.extra && this.displayKind !== 'gtk') return;
    if (
      this.displayKind === 'gtk' ||
      (this.displayKind === null && this.remote === null && !this.nographic)
    ) {
      const options = this.localOptions ?? new Map<string, string>();
      const connector = options.get('connectors.0');
      draft.display = {
        kind: 'local',
        monitor: connector === undefined ? null : kernelConnectorName(connector),
        fullScreen: this.fullScreen,
        showFps: options.get('show-fps') === 'on',
      };
      if (this.displayKind === null)
        note(
          draft,
          'changed',
          'no -display, -vnc or -nographic',
          'QEMU’s own window (its default), windowed',
          'display',
        );
      if (options.get('gl') === 'on' && !slice && draft.video === 'virtio') draft.video = 'virtio-gl';
    } else if (this.remote !== null) {
      draft.display = { kind: this.remote };
    } else {
      draft.display = { kind: 'none' };
    }
    if (this.nographic && draft.video === undefined && !slice) {
      // -nographic keeps QEMU's default VGA, but nothing shows it.
      draft.video = 'none';
    }
  }

  private applyDevice({ driver, props, source }: Device): void {
    const { draft } = this;
    const drive = props.get('drive');
    const block = drive === undefined ? null : this.resolveBlock(drive);
    if (drive !== undefined && block === null) refuse(source, `drive=${drive} names no -drive or -blockdev`);
    switch (driver) {
      case 'vfio-pci':
      case 'vfio-pci-nohotplug':
        return this.vfio(props, source);
      case 'virtio-vga':
      case 'virtio-gpu-pci':
      case 'virtio-vga-gl':
      case 'virtio-gpu-gl-pci': {
        const gl = driver.includes('-gl');
        const slice = draft.gpu?.kind === 'vf';
        if (!slice) draft.video = gl ? 'virtio-gl' : 'virtio';
        this.mapped(
          source,
          'gpu',
          slice
            ? 'the VF’s display adapter (virtio-gpu with blob resources where QEMU has them)'
            : `a virtio GPU${gl ? ' with GL' : ''}`,
        );
        return;
      }
      case 'VGA':
      case 'bochs-display':
      case 'cirrus-vga':
      case 'qxl-vga':
      case 'vmware-svga':
        if (draft.gpu?.kind === 'passthrough')
          return this.mapped(source, 'display', 'the console’s emulated VGA beside the whole GPU');
        draft.video = 'std';
        if (driver === 'VGA') this.mapped(source, 'gpu', 'QEMU’s standard VGA');
        else note(draft, 'changed', source, `QEMU’s standard VGA: ${driver} is not modelled`, 'gpu');
        return;
      case 'virtio-blk-pci':
      case 'virtio-blk':
      case 'ide-hd':
      case 'scsi-hd':
      case 'nvme':
      case 'ide-cd':
      case 'scsi-cd': {
        if (!block?.path)
          return refuse(source, 'a disk device needs drive= naming a -drive or -blockdev with a file');
        if (driver.endsWith('-cd')) return this.cdrom(block.path, `${block.source} + ${source}`);
        const bus =
          driver === 'nvme'
            ? 'nvme'
            : driver === 'ide-hd'
              ? 'sata'
              : driver === 'scsi-hd'
                ? 'scsi'
                : 'virtio';
        return this.disk(
          block.path,
          block.format ?? 'raw?',
          bus,
          `${block.source} + ${source}`,
          block.readOnly,
        );
      }
      case 'virtio-net-pci':
      case 'virtio-net':
      case 'e1000':
      case 'e1000e':
      case 'rtl8139':
        return this.nicModel(driver === 'virtio-net' ? 'virtio' : driver, source);
      case 'tpm-crb':
      case 'tpm-tis':
        draft.tpm = true;
        return this.mapped(source, 'tpm', 'a TPM 2.0 on the CRB interface');
      default:
        if (driver in OWN_DEVICES) return note(draft, 'dropped', source, OWN_DEVICES[driver] ?? '');
        note(draft, 'dropped', source, `Tessera does not model the ${driver} device`);
    }
  }

  private vfio(props: Map<string, string>, source: string): void {
    const host = props.get('host');
    const sysfsdev = props.get('sysfsdev');
    if (host !== undefined) {
      const address = fullBdf(host);
      if (address === null)
        refuse(source, `host=${host} is not a PCI address (write it like 0000:00:02.1 or 00:02.1)`);
      gpuForPciDevice(this.draft, this.inventory, address, source);
    } else if (sysfsdev !== undefined) {
      const uuid = /^\/sys\/bus\/mdev\/devices\/([^/]+)\/?$/.exec(sysfsdev)?.[1];
      const pci = /^\/sys\/bus\/pci\/devices\/([^/]+)\/?$/.exec(sysfsdev)?.[1];
      if (uuid !== undefined && MDEV_UUID_PATTERN.test(uuid))
        gpuForMdev(this.draft, this.inventory, uuid, source);
      else if (pci !== undefined && fullBdf(pci) !== null)
        gpuForPciDevice(this.draft, this.inventory, fullBdf(pci) ?? pci, source);
      else
        refuse(
          source,
          `sysfsdev=${sysfsdev} is neither /sys/bus/mdev/devices/UUID nor /sys/bus/pci/devices/ADDRESS`,
        );
    } else {
      refuse(source, 'vfio-pci needs host=ADDRESS or sysfsdev=PATH to say which device it passes');
    }
    for (const [key, value] of props) {
      if (['host', 'sysfsdev', 'id', 'driver', 'bus', 'addr'].includes(key)) continue;
      const detail =
        key === 'x-igd-opregion' || key === 'display' || key === 'ramfb' || key === 'xres' || key === 'yres'
          ? 'Tessera sets it itself where the GPU slice and QEMU have it'
          : key === 'x-igd-gms'
            ? 'stolen memory belongs to legacy GVT-d, which needs i440fx; Tessera’s q35 uses universal mode (QEMU’s docs/igd-assign.txt)'
            : `the vfio-pci option ${key} is not modelled`;
      note(
        this.draft,
        detail.startsWith('Tessera sets') ? 'changed' : 'dropped',
        `${source} (${key}${value ? `=${value}` : ''})`,
        detail,
        'gpu',
      );
    }
  }
}

/** Intel's GTK `connectors` names outputs as xrandr does (HDMI-1); the kernel says HDMI-A-1. */
function kernelConnectorName(xrandr: string): string {
  return xrandr.replace(/^HDMI-(\d+)$/, 'HDMI-A-$1');
}

/**
 * Read an argv (without the binary) into `draft`. `extra`: the options are a libvirt domain's
 * `<qemu:commandline>`, added to what its elements already said.
 */
export function readQemuArgv(draft: Draft, argv: string[], inventory: GpuInventory, extra = false): void {
  const reader = new ArgvReader(draft, inventory, extra);
  reader.read(argv);
  reader.finish();
}

const QEMU_PROGRAM = /(^|\/)(qemu-system-[a-z0-9_]+|qemu-kvm|kvm)$/;
const PREFIXES = new Set(['sudo', 'exec', 'env', 'nohup', 'taskset', 'numactl', 'chrt', 'nice']);

/**
 * A pasted command line (or a script with one QEMU command in it) → the VM and the report.
 * Refused when nothing in it is a QEMU command, when there are two, or when a part of it cannot
 * become a VM.
 */
export function importQemuCommandLine(text: string, inventory: GpuInventory, name?: string): ImportResult {
  let commands;
  try {
    commands = splitShellCommands(text);
  } catch (error) {
    if (error instanceof ShellSyntaxError)
      refuse('the command line', `${error.message}: the shell would not run it either`);
    throw error;
  }
  const draft = newDraft();
  const qemu: { argv: string[]; variables: string[] }[] = [];
  for (const command of commands) {
    const words = [...command.words];
    const prefix: string[] = [];
    while (
      words.length > 0 &&
      (PREFIXES.has(words[0] ?? '') || /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0] ?? ''))
    ) {
      prefix.push(words.shift() ?? '');
      while (
        prefix.at(-1) !== 'env' &&
        (words[0] ?? '').startsWith('-') &&
        !QEMU_PROGRAM.test(words[0] ?? '')
      )
        prefix.push(words.shift() ?? '');
    }
    const program = words[0] ?? '';
    const joined = command.words.join(' ');
    if (QEMU_PROGRAM.test(program)) {
      if (prefix.includes('sudo'))
        note(
          draft,
          'changed',
          prefix.join(' '),
          'QEMU runs as you in Tessera, never as root; the helper makes the few root changes a GPU slice needs',
        );
      qemu.push({ argv: words.slice(1), variables: command.variables });
    } else if (program.startsWith('-') && commands.length === 1) {
      qemu.push({ argv: words, variables: command.variables });
    } else if (prefix.includes('sudo') && (program === 'su' || program === '-i' || program === '')) {
      note(draft, 'changed', joined, 'not needed: QEMU runs as you, and the helper makes the root changes');
    } else {
      note(draft, 'dropped', joined, 'not a QEMU command; Tessera runs only the VM');
    }
  }
  if (qemu.length === 0)
    refuse(
      'the command line',
      'there is no qemu-system-x86_64 (or qemu-kvm) command in it, nor options starting with -',
    );
  if (qemu.length > 1) refuse('the command line', `it has ${qemu.length} QEMU commands: paste one VM’s`);
  const [line] = qemu;
  if (!line) refuse('the command line', 'it is empty');
  for (const variable of line.variables)
    note(
      draft,
      'unresolved',
      `$${variable}`,
      `left as written: its value is on the machine the line came from${/HOST|IP|ADDR/i.test(variable) ? ' (a listen address becomes Tessera’s own console anyway)' : ''}; check the fields that name it`,
    );
  readQemuArgv(draft, line.argv, inventory);
  return finishDraft(draft, name);
}
