import { describe, expect, it } from 'vitest';
import type { VmInfo } from '../../shared/vm-spec';
import { testVmInfo } from '../../../tests/support/vm-info';
import { describeVm, formatVmList, vmListJson, vmSummary } from './vm-format';

// `tessera vm list` and `vm show` as text and as --json, one golden file each: a stopped VM
// with defaults, a running one with everything `show` can say, and a definition that did not load.
const stopped = testVmInfo('alpha');
const running: VmInfo = {
  ...testVmInfo('desk', {
    state: 'running',
    since: '2025-01-02T04:00:00.000Z',
    spec: {
      cpus: 4,
      memoryMiB: 4096,
      cpuPinning: [0, 1, 2, 3],
      firmware: 'uefi',
      disks: [
        { path: '/home/ada/vms/desk.qcow2', format: 'qcow2' },
        { path: '/home/ada/iso/tools.img', format: 'raw', readOnly: true },
      ],
      cdrom: '/home/ada/iso/debian.iso',
      kernel: { path: '/boot/vmlinuz', initrd: '/boot/initrd.img', append: 'console=ttyS0' },
      usb: ['1-2'],
      evdev: ['/dev/input/by-id/usb-kbd-event-kbd'],
      network: { mode: 'user', forwards: [{ hostPort: 2222, guestPort: 22 }] },
    },
  }),
  pid: 4242,
  restarts: 1,
  usbAttached: ['1-2'],
  accelerator: { accelerator: 'tcg', reason: '/dev/kvm is missing: QEMU emulates the CPU' },
  warning: 'no sign of life for 120 s',
  lastError: { message: 'QEMU exited with status 1', logTail: ['qemu: first line', 'qemu: last line'] },
};
const invalid = [{ file: 'broken.json', reason: 'cpus: expected a number' }];

describe('vm list and vm show output', () => {
  it('vm list', async () => {
    await expect(formatVmList([stopped, running], invalid)).toMatchFileSnapshot('./__golden__/vm-list.txt');
    await expect(formatVmList([], [])).toMatchFileSnapshot('./__golden__/vm-list-empty.txt');
  });

  it('vm list --json', async () => {
    await expect(JSON.stringify(vmListJson([stopped, running], invalid), null, 2) + '\n').toMatchFileSnapshot(
      './__golden__/vm-list.json',
    );
  });

  it.each([
    ['stopped', stopped],
    ['running', running],
  ])('vm show of a %s VM, text and --json', async (name, vm) => {
    await expect(describeVm(vm)).toMatchFileSnapshot(`./__golden__/vm-show-${name}.txt`);
    await expect(JSON.stringify(vmSummary(vm), null, 2) + '\n').toMatchFileSnapshot(
      `./__golden__/vm-show-${name}.json`,
    );
  });
});
