/**
 * Reference cases: VMs equivalent to the command lines in the public guides
 * (../shared/reference/qemu-gpu-guests.md, "Command-line shapes in use"), built by Tessera and
 * compared with the guide's line aspect by aspect. Every aspect where the two differ must be
 * listed below with the reason; an aspect that differs without one, or a listed difference that
 * is no longer one, fails the test. The argv also becomes a golden, so the real QEMU reads it
 * (tests/integration/qemu-args-accepted.test.ts).
 */
import { describe, expect, it } from 'vitest';
import type { VmSpec } from '../../shared/vm-spec';
import { buildQemuArgs, type QemuHost } from './qemu-args';
import { HOME, scenario } from './qemu-args-fixtures';

/** What a command line does, by aspect: `vcpus` → `8`, `device vfio-pci` → `host=0000:4d:00.1`. */
type Aspects = Map<string, string>;

const MIB_PER_G = 1024;

/** `4d:00.1` → `0000:4d:00.1`, so a short address and a full one compare equal. */
const fullBdf = (text: string) => (/^[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/.test(text) ? `0000:${text}` : text);

function keyval(text: string): Map<string, string> {
  return new Map(
    text.split(',').map((part) => {
      const eq = part.indexOf('=');
      return eq === -1 ? [part, ''] : [part.slice(0, eq), part.slice(eq + 1)];
    }),
  );
}

const megabytes = (size: string) => {
  const match = /^(\d+)([MG])$/.exec(size);
  if (!match) throw new Error(`size ${size}`);
  return `${Number(match[1]) * (match[2] === 'G' ? MIB_PER_G : 1)}M`;
};

/**
 * The aspects of an argv, as far as the guides' lines and Tessera's speak of them. An option
 * not understood here fails the test, so the comparison cannot miss what either line adds.
 */
function aspects(argv: readonly string[]): Aspects {
  const out: Aspects = new Map();
  const add = (aspect: string, value: string) => {
    const seen = out.get(aspect);
    if (seen === undefined) out.set(aspect, value);
    else if (!seen.split(' ').includes(value)) out.set(aspect, `${seen} ${value}`);
  };
  for (let i = 0; i < argv.length; i++) {
    const option = argv[i] ?? '';
    const value = argv[i + 1] ?? '';
    const props = keyval(value);
    const takesValue = !['-enable-kvm', '-nodefaults', '-no-user-config', '-S'].includes(option);
    switch (option) {
      case '-enable-kvm':
        add('accelerator', 'kvm');
        break;
      case '-machine':
        for (const [k, v] of props) {
          if (k === 'accel') add('accelerator', v);
          else if (k === 'q35' || k === 'pc') add('machine type', k);
          else if (k === 'pflash0' || k === 'pflash1') add('firmware', 'UEFI');
          // The backend's id is a name either side picks; that there is one is the point.
          else if (k === 'memory-backend') add('guest RAM from', 'the -object below');
          else add(`machine ${k}`, v);
        }
        break;
      case '-cpu':
        add('cpu model', value);
        break;
      case '-smp':
        add('vcpus', props.get('cores') ?? value);
        add('cpu topology', props.has('cores') ? 'cores' : 'QEMU default');
        break;
      case '-m':
        add('memory', megabytes(value));
        break;
      case '-object':
        add(
          `guest RAM`,
          [...props]
            .filter(([k]) => !['id', 'size'].includes(k))
            .map(([k, v]) => (v ? `${k}=${v}` : k))
            .join(','),
        );
        if (props.has('size')) add('memory', megabytes(props.get('size') ?? ''));
        break;
      case '-drive':
        add(`disk ${props.get('file')}`, `${props.get('if') ?? 'ide'} (-drive default)`);
        break;
      case '-blockdev':
        if (props.get('node-name')?.startsWith('drive-disk')) add(`disk ${props.get('file.filename')}`, '');
        break;
      case '-device': {
        const [driver = ''] = value.split(',', 1);
        if (driver === 'virtio-blk-pci' || driver === 'ide-hd' || driver === 'nvme') {
          const disk = [...out.keys()].find((k) => k.startsWith('disk ') && out.get(k) === '');
          if (disk) out.set(disk, driver);
        } else if (driver === 'vfio-pci' || driver === 'vfio-pci-nohotplug') {
          const rest = [...props].filter(([k]) => k !== driver && k !== 'id');
          add(`device ${driver}`, rest.map(([k, v]) => `${k}=${k === 'host' ? fullBdf(v) : v}`).join(','));
        } else if (driver === 'virtio-net-pci' || driver === 'e1000e' || driver === 'e1000') {
          add('network card', driver);
        } else if (driver === 'usb-tablet' || driver === 'qemu-xhci') {
          add('pointer', driver);
        } else if (driver === 'virtio-serial-pci' || driver === 'virtserialport') {
          add('guest agent channel', driver);
        } else {
          const rest = [...props].filter(([k]) => k !== driver && k !== 'id');
          add(`device ${driver}`, rest.map(([k, v]) => `${k}=${v}`).join(','));
        }
        break;
      }
      case '-net':
        if (value === 'nic') add('network card', 'e1000 (-net nic default)');
        else
          add(
            'user networking',
            [...props]
              .filter(([k]) => k === 'hostfwd')
              .map(([, v]) => v.replace(/^tcp::/, 'tcp:*:'))
              .join(' '),
          );
        break;
      case '-netdev':
        add(
          'user networking',
          [...props]
            .filter(([k]) => k === 'hostfwd')
            .map(([, v]) => v)
            .join(' '),
        );
        break;
      case '-serial':
        add('serial console', value === 'mon:stdio' ? 'stdio, with the monitor' : 'unix socket');
        break;
      case '-mon':
        add(props.get('mode') === 'control' ? 'QMP' : 'human monitor', 'unix socket');
        break;
      case '-chardev':
        // The sockets the -serial and -mon above use, and the agent's channel.
        if (value.startsWith('qemu-vdagent') || value.startsWith('spicevmc'))
          add('guest agent channel', 'vdagent');
        break;
      case '-display':
        add('display backend', value);
        break;
      case '-vnc':
        add('vnc', value.startsWith('unix:') ? 'unix socket in the VM’s 0700 runtime dir' : `TCP ${value}`);
        break;
      case '-name':
      case '-uuid':
      case '-pidfile':
        add('identity and supervision', option);
        break;
      case '-nodefaults':
      case '-no-user-config':
        add('QEMU defaults', 'off');
        break;
      default:
        throw new Error(`aspects(): option ${option} is not understood`);
    }
    if (takesValue) i++;
  }
  return out;
}

interface Reference {
  name: string;
  /** The guide's line, as qemu-gpu-guests.md quotes it (placeholders filled in). */
  guide: string;
  spec: VmSpec;
  host: QemuHost;
  /** Aspect → why Tessera's argv differs there. */
  deliberate: Record<string, string>;
}

const SUPERVISION = {
  'identity and supervision':
    'VMs outlive every front: named in ps, with a uuid and a pidfile to re-attach to',
  QMP: 'the supervisor drives the VM over QMP on a socket in its runtime dir',
  'human monitor': 'the console’s monitor tab, on its own socket instead of stdio',
  'serial console':
    'serial on a socket with a log, so a console can attach late and output is kept (stdio dies with the terminal)',
  'QEMU defaults': 'every device is asked for; nothing comes from QEMU’s defaults or /etc/qemu',
  'machine type': 'q35 (PCIe), where the guides leave QEMU’s default i440fx',
};

// The Intel GPU virtualization guide's Flex line (qemu-gpu-guests.md, "Flex SR-IOV / passthrough").
const FLEX_GUIDE = (device: string) =>
  `-enable-kvm -drive file=${HOME}/vms/ubuntu.qcow2 -cpu host -smp cores=8 -m 64G -serial mon:stdio -device vfio-pci,host=${device} -net nic -net user,hostfwd=tcp::10022-:22 -vnc 192.168.1.10:40`;

const FLEX_SPEC = {
  cpus: 8,
  memoryMiB: 64 * 1024,
  disks: [{ path: `${HOME}/vms/ubuntu.qcow2` }],
  network: { forwards: [{ hostPort: 10022, guestPort: 22 }] },
};
const FLEX_NETWORK = {
  'cpu topology':
    '-smp N: QEMU 7.2 makes the vCPUs cores of one socket by default (machine 6.2 and later), as `cores=N` does',
  'network card': 'virtio-net-pci, the fastest NIC for a Linux guest, where -net nic gives e1000',
  'user networking':
    'forwarded ports listen on loopback unless asked (hostfwd=tcp:127.0.0.1:…), not on every address',
  vnc: 'VNC on a unix socket in the VM’s 0700 runtime dir, reached through the console bridge’s one-time token, never on the network',
  pointer: 'a USB tablet keeps the guest pointer under the console’s',
  'guest agent channel': 'clipboard sharing with the console through the vdagent channel',
};

const flexVf = scenario(
  'guide-flex-sriov',
  { name: 'flex-vf', ...FLEX_SPEC, gpu: { kind: 'vf', pf: '0000:4d:00.0', vf: '0000:4d:00.1' } },
  { accelerator: 'kvm' },
);
const flexWhole = scenario(
  'guide-flex-passthrough',
  { name: 'flex-whole', ...FLEX_SPEC, gpu: { kind: 'passthrough', device: '0000:4d:00.0' } },
  { accelerator: 'kvm' },
);
const edge = scenario(
  'guide-edge-launcher-sriov',
  {
    name: 'edge-vf',
    cpus: 4,
    memoryMiB: 4096,
    memoryBacking: { hugepages: '2M' },
    machine: { kernelIrqchip: 'on' },
    gpu: { kind: 'vf', pf: '0000:00:02.0', vf: '0000:00:02.1' },
    display: { kind: 'local' },
  },
  { accelerator: 'kvm' },
);

const references: Reference[] = [
  {
    ...flexVf,
    guide: FLEX_GUIDE('4d:00.1'),
    deliberate: {
      ...SUPERVISION,
      ...FLEX_NETWORK,
      'disk /home/ada/vms/ubuntu.qcow2': 'virtio-blk, where -drive defaults to IDE',
      'display backend':
        'the VF’s frames reach VNC through virtio-gpu blob resources and egl-headless on the PF’s render node; the guide’s VNC shows QEMU’s default VGA while the VF renders off-screen',
      'device virtio-vga': 'the VF’s display adapter, in place of the default VGA',
      'guest RAM from': 'blob resources need guest RAM from a memfd',
      'guest RAM': 'the memfd those blob resources live in',
    },
  },
  {
    ...flexWhole,
    guide: FLEX_GUIDE('4d:00.0'),
    deliberate: {
      ...SUPERVISION,
      ...FLEX_NETWORK,
      'disk /home/ada/vms/ubuntu.qcow2': 'virtio-blk, where -drive defaults to IDE',
      'device vfio-pci':
        'x-igd-opregion=on is added for every whole GPU (an iGPU’s driver needs it; a Flex card ignores it)',
      'device VGA':
        'the console’s emulated VGA is asked for explicitly (-nodefaults), as the guide gets it by default',
      'display backend': 'an explicit -display none: the console is VNC, never a window',
    },
  },
  {
    ...edge,
    // edge-desktop-virtualization's launcher (qemu-gpu-guests.md, "SR-IOV VF with a local
    // display"), its placeholders filled in: VF 00:02.1, one output, 4 GiB, 4 vCPUs.
    guide:
      '-enable-kvm -cpu host -smp 4 -m 4096M -device vfio-pci,host=0000:00:02.1 -device virtio-vga,max_outputs=1,blob=true -object memory-backend-memfd,hugetlb=on,id=mem,size=4096M -machine memory-backend=mem -machine kernel_irqchip=on -display gtk,gl=on,full-screen=on',
    deliberate: {
      ...SUPERVISION,
      'network card': 'user networking with a virtio NIC, which the launcher leaves to its own setup',
      'user networking': 'user networking with a virtio NIC, which the launcher leaves to its own setup',
      pointer: 'a USB tablet keeps the guest pointer under the window’s',
      'guest agent channel': 'clipboard sharing with the window through the vdagent channel',
      'guest RAM': 'the hugepage size is named (hugetlbsize=2M) rather than left to the kernel’s default',
    },
  },
];

describe('reference cases from the public guides', () => {
  it.each(references.map((r) => [r.name, r] as const))(
    '%s: differs only where it means to',
    async (name, r) => {
      const ours = buildQemuArgs(r.spec, r.host);
      await expect(ours.join('\n') + '\n').toMatchFileSnapshot(`./__golden__/${name}.args`);
      const guide = aspects(r.guide.split(' '));
      const mine = aspects(ours);
      const differing = [...new Set([...guide.keys(), ...mine.keys()])]
        .filter((aspect) => guide.get(aspect) !== mine.get(aspect))
        .sort();
      const table = differing.map(
        (a) => `${a}: guide ${guide.get(a) ?? '(none)'} | ours ${mine.get(a) ?? '(none)'}`,
      );
      expect(differing, table.join('\n')).toEqual(Object.keys(r.deliberate).sort());
    },
  );

  it('keeps what the guides are for: the same device, vCPUs, memory and accelerator', () => {
    for (const r of references) {
      const guide = aspects(r.guide.split(' '));
      const mine = aspects(buildQemuArgs(r.spec, r.host));
      for (const aspect of ['accelerator', 'cpu model', 'vcpus', 'memory']) {
        expect(mine.get(aspect), `${r.name}: ${aspect}`).toBe(guide.get(aspect));
      }
      const vfio = [...guide.keys()].find((k) => k.startsWith('device vfio-pci'));
      expect(mine.get('device vfio-pci'), r.name).toContain(guide.get(vfio ?? '')?.split(',')[0]);
    }
  });
});
