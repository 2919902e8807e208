/**
 * Import goldens: the command lines of the public guides (../shared/reference/qemu-gpu-guests.md)
 * → the VmSpec Tessera would create and the report, each a golden file (`__golden__/import-*.json`).
 * GPU addresses are looked up on the simulated hosts the guides' hardware matches (flex170 for
 * the Flex guide, adl-p for the edge launcher and GVT-d), since this machine has no Intel GPU.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { TesseraError } from '../../shared/errors';
import type { GpuInventory } from '../../shared/gpu-inventory';
import { readSimulatedHost, type SimulatedRun } from '../../../tests/support/simulated-host';
import { importQemuCommandLine } from './qemu-cmdline-import';

const hosts: SimulatedRun[] = [];
const inventoryOf = (name: string): GpuInventory => {
  const run = readSimulatedHost(name);
  hosts.push(run);
  return run.inventory;
};
afterAll(() => hosts.forEach((h) => h.cleanup()));
const flex = inventoryOf('flex170');
const adlp = inventoryOf('adl-p');
const none = inventoryOf('no-intel-gpu');

/** The Intel GPU virtualization guide's Flex lines, as the guide prints them (with its $VARs). */
const GUIDE_SRIOV = `sudo su
qemu-system-x86_64 -enable-kvm -drive file=/home/ada/vms/ubuntu.qcow2 -cpu host -smp cores=8 -m 64G \\
  -serial mon:stdio -device vfio-pci,host=4d:00.1 \\
  -net nic -net user,hostfwd=tcp::10022-:22 -vnc $HOST_IP:40`;

const cases: { name: string; text: string; inventory: GpuInventory; vmName?: string }[] = [
  { name: 'guide-flex-sriov', text: GUIDE_SRIOV, inventory: flex },
  {
    name: 'guide-flex-sriov-cdrom',
    text: `${GUIDE_SRIOV} -cdrom /home/ada/isos/ubuntu-22.04.iso`,
    inventory: flex,
  },
  {
    name: 'guide-flex-passthrough',
    text: GUIDE_SRIOV.replace('host=4d:00.1', 'host=4d:00.0'),
    inventory: flex,
  },
  {
    name: 'guide-flex-passthrough-cdrom',
    text: `${GUIDE_SRIOV.replace('host=4d:00.1', 'host=4d:00.0')} -cdrom "/home/ada/isos/ubuntu 22.04.iso"`,
    inventory: flex,
  },
  {
    // The guide's headless variant: no window, no emulated VGA, the serial console only.
    name: 'guide-flex-sriov-headless',
    text: GUIDE_SRIOV.replace(' -vnc $HOST_IP:40', ' -vga none -nographic'),
    inventory: flex,
  },
  {
    // edge-desktop-virtualization's launcher (qemu-gpu-guests.md, "SR-IOV VF with a local display").
    name: 'edge-launcher-sriov',
    text: `/usr/bin/qemu-system-x86_64 -name edge-vm1 -enable-kvm -cpu host -smp 4 -m 4096M \\
  -drive file=/var/lib/edge/vm1.qcow2,if=virtio,format=qcow2 \\
  -device vfio-pci,host=0000:00:02.1 -device virtio-vga,max_outputs=1,blob=true \\
  -object memory-backend-memfd,hugetlb=on,id=mem,size=4096M -machine memory-backend=mem \\
  -machine kernel_irqchip=on -display gtk,gl=on,full-screen=on,connectors.0=HDMI-1 \\
  -netdev user,id=net0,hostfwd=tcp::2222-:22 -device virtio-net-pci,netdev=net0 -usb -device usb-tablet`,
    inventory: adlp,
  },
  {
    // Kata Containers' GVT-d shape: the whole iGPU, Kata's own devices and a direct kernel boot.
    name: 'kata-gvtd',
    text: `/opt/kata/bin/qemu-system-x86_64 -name sandbox-4f1c -uuid 5d3c4e1a-2b6f-4c1d-9e8a-7f6b5a4c3d2e \\
  -machine q35,accel=kvm,kernel_irqchip=split -cpu host,pmu=off \\
  -qmp unix:/run/vc/vm/4f1c/qmp.sock,server=on,wait=off -m 2048M,slots=10,maxmem=16G \\
  -device pci-bridge,bus=pcie.0,id=pci-bridge-0,chassis_nr=1,shpc=off,addr=2 \\
  -device virtio-serial-pci,disable-modern=false,id=serial0 \\
  -device virtconsole,chardev=charconsole0,id=console0 \\
  -chardev socket,id=charconsole0,path=/run/vc/vm/4f1c/console.sock,server=on,wait=off \\
  -device vfio-pci,host=00:02.0,x-igd-opregion=on,x-igd-gms=2 \\
  -device virtio-blk-pci,disable-modern=false,drive=image-1,scsi=off,config-wce=off \\
  -drive id=image-1,file=/opt/kata/share/kata-containers/kata-containers.img,aio=threads,format=raw,if=none,readonly=on \\
  -kernel /opt/kata/share/kata-containers/vmlinux.container \\
  -append "tsc=reliable no_timer_check rcupdate.rcu_expedited=1 console=hvc0 root=/dev/vda1 rootflags=data=ordered,errors=remount-ro ro" \\
  -object memory-backend-file,id=dimm1,size=2048M,mem-path=/dev/shm,share=on -numa node,memdev=dimm1 \\
  -vga none -no-user-config -nodefaults -nographic --no-reboot -daemonize -smp 1,cores=1,threads=1,sockets=4,maxcpus=4`,
    inventory: adlp,
  },
  {
    // The guide's SR-IOV line on a host without that GPU: imported with no GPU, and said so.
    name: 'guide-flex-sriov-elsewhere',
    text: GUIDE_SRIOV,
    inventory: none,
    vmName: 'flex-elsewhere',
  },
];

describe('QEMU command line import', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', async (name, c) => {
    const result = importQemuCommandLine(c.text, c.inventory, c.vmName);
    await expect(JSON.stringify(result, null, 2) + '\n').toMatchFileSnapshot(
      `./__golden__/import-${name}.json`,
    );
  });

  it('the guide’s SR-IOV line gives the right VF, memory, CPUs, disk, ISO and forward', () => {
    const { spec, report } = importQemuCommandLine(`${GUIDE_SRIOV} -cdrom /isos/u.iso`, flex);
    expect(spec.gpu).toEqual({ kind: 'vf', pf: '0000:4d:00.0', vf: '0000:4d:00.1' });
    expect([spec.memoryMiB, spec.cpus, spec.cdrom]).toEqual([65536, 8, '/isos/u.iso']);
    expect(spec.disks).toEqual([
      { path: '/home/ada/vms/ubuntu.qcow2', format: 'qcow2', readOnly: false, bus: 'virtio' },
    ]);
    expect(spec.network.forwards).toEqual([
      { protocol: 'tcp', hostAddress: '127.0.0.1', hostPort: 10022, guestPort: 22 },
    ]);
    expect(spec.display).toEqual({ kind: 'vnc' });
    const kinds = (source: string) => report.filter((n) => n.source.startsWith(source)).map((n) => n.kind);
    expect(kinds('-vnc')).toEqual(['changed']);
    expect(kinds('$HOST_IP')).toEqual(['unresolved']);
    expect(kinds('sudo su')).toEqual(['changed']);
  });

  const refusals: [string, string, RegExp][] = [
    ['no memory', 'qemu-system-x86_64 -enable-kvm -hda disk.qcow2', /-m: .*no memory size/],
    ['two machines', 'qemu-system-x86_64 -m 1G -machine q35 -machine pc', /second machine type/],
    ['a -device without driver', 'qemu-system-x86_64 -m 1G -device ,host=00:02.1', /names its driver first/],
    [
      'vfio-pci without a device',
      'qemu-system-x86_64 -m 1G -device vfio-pci,id=gpu',
      /needs host=ADDRESS or sysfsdev/,
    ],
    [
      'a bad PCI address',
      'qemu-system-x86_64 -m 1G -device vfio-pci,host=zz:02.1',
      /host=zz:02.1 is not a PCI address/,
    ],
    ['a bad memory size', 'qemu-system-x86_64 -m lots', /-m lots: the size is not a whole number/],
    ['an open quote', 'qemu-system-x86_64 -m 1G -append "console=ttyS0', /double quote is not closed/],
    ['no QEMU at all', 'ls -l /tmp', /no qemu-system-x86_64/],
    ['two QEMUs', 'qemu-system-x86_64 -m 1G\nqemu-system-x86_64 -m 2G', /2 QEMU commands/],
    ['a value missing at the end', 'qemu-system-x86_64 -m 1G -cdrom', /-cdrom: this option needs a value/],
    ['too many vCPUs', 'qemu-system-x86_64 -m 1G -smp 128', /cpus: at most 64 vCPUs/],
  ];
  it.each(refusals)('refuses %s, naming the option and why', (_name, text, message) => {
    let error: unknown;
    try {
      importQemuCommandLine(text, flex);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TesseraError);
    expect((error as TesseraError).code).toBe('BAD_INPUT');
    expect((error as TesseraError).message).toMatch(message);
  });

  it('imports an option it does not model without it, naming it', () => {
    const { report } = importQemuCommandLine(
      'qemu-system-x86_64 -m 1G -frobnicate yes -device ich9-intel-hda',
      flex,
    );
    expect(report.filter((n) => n.kind === 'dropped').map((n) => n.source)).toEqual([
      '-frobnicate yes',
      '-device ich9-intel-hda',
    ]);
  });
});
