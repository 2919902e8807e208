/**
 * The VMs every export format is tested with (libvirt, KubeVirt, script goldens, the real tools
 * in tests/integration/export-tools.test.ts), built on the argv tests' fixtures
 * (../vm/qemu-args-fixtures.ts) so a VM exports with the same paths and GPU placement its argv
 * golden has. The GPUs are the simulated ADL-P's and Flex 170's (this machine has no Intel GPU).
 */
import { HOME, scenario, type Scenario } from '../vm/qemu-args-fixtures';

export const EXPORT_SCENARIOS: Scenario[] = [
  scenario(
    'guide-flex-sriov',
    {
      name: 'flex-vf',
      cpus: 8,
      memoryMiB: 64 * 1024,
      disks: [{ path: `${HOME}/vms/ubuntu.qcow2` }],
      cdrom: `${HOME}/isos/ubuntu-22.04.iso`,
      network: { forwards: [{ hostPort: 10022, guestPort: 22 }] },
      gpu: { kind: 'vf', pf: '0000:4d:00.0', vf: '0000:4d:00.1' },
    },
    { accelerator: 'kvm' },
  ),
  scenario(
    'flex-passthrough',
    {
      name: 'flex-whole',
      cpus: 8,
      memoryMiB: 16 * 1024,
      disks: [{ path: `${HOME}/vms/ubuntu.qcow2` }],
      gpu: { kind: 'passthrough', device: '0000:4d:00.0' },
    },
    { accelerator: 'kvm' },
  ),
  scenario(
    'edge-kiosk-any-vf',
    {
      name: 'kiosk',
      cpus: 4,
      memoryMiB: 4096,
      memoryBacking: { hugepages: '2M' },
      machine: { kernelIrqchip: 'on' },
      disks: [{ path: `${HOME}/vms/kiosk.qcow2` }],
      gpu: { kind: 'vf', pf: '0000:00:02.0' },
      display: { kind: 'local', monitor: 'HDMI-A-1' },
      restartPolicy: 'always',
    },
    { accelerator: 'kvm', qemu: 'intel' },
  ),
  scenario('gvtg-vnc', {
    name: 'gvtg',
    memoryMiB: 2048,
    disks: [{ path: `${HOME}/vms/gvtg.qcow2` }],
    gpu: { kind: 'mdev', parent: '0000:00:02.0', type: 'i915-GVTg_V5_4' },
  }),
  scenario(
    'windows11',
    {
      name: 'win11',
      cpus: 4,
      memoryMiB: 8192,
      firmware: 'uefi-secure-boot',
      tpm: true,
      hyperv: true,
      disks: [{ path: `${HOME}/vms/win11.qcow2`, bus: 'sata' }],
      cdrom: `${HOME}/isos/Win11.iso`,
      network: { model: 'e1000e', forwards: [{ hostPort: 13389, guestPort: 3389 }] },
      gpu: { kind: 'vf', pf: '0000:00:02.0', vf: '0000:00:02.2' },
      display: { kind: 'spice' },
    },
    { accelerator: 'kvm' },
  ),
  scenario('tiny-headless', {
    name: 'tiny',
    memoryMiB: 128,
    kernel: {
      path: `${HOME}/tessera/tiny/bzImage`,
      initrd: `${HOME}/tessera/tiny/initramfs.cpio.gz`,
      append: 'console=ttyS0 panic=-1 quiet',
    },
    network: { mode: 'none' },
    gpu: { kind: 'none' },
    display: { kind: 'none' },
  }),
  scenario('virtio-gl-uefi', {
    name: 'desktop',
    cpus: 2,
    cpuPinning: [2, 3],
    memoryMiB: 4096,
    firmware: 'uefi',
    disks: [
      { path: `${HOME}/vms/system.qcow2` },
      { path: `${HOME}/vms/data.raw`, format: 'raw', bus: 'sata' },
      { path: `${HOME}/vms/base,v2.raw`, format: 'raw', readOnly: true, bus: 'nvme' },
    ],
    gpu: { kind: 'virtio', gl: true },
    restartPolicy: 'on-crash',
  }),
];
