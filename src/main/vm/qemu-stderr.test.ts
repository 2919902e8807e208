import { describe, expect, it } from 'vitest';
import { TEST_VM_UUID } from '../../../tests/support/vm-info';
import { classifyQemuStderr } from './qemu-stderr';

// Lines as Debian's QEMU 7.2.22 writes them, recorded on a machine without an Intel GPU; the
// VFIO group and locked-memory lines need a real VFIO device and are built from QEMU 7.2's format
// strings (hw/vfio/common.c: VFIO_MSG_PREFIX "vfio %s: " with the device's name).
const Q = 'qemu-system-x86_64: ';

describe('classifyQemuStderr: the host lacks what the argv names', () => {
  it.each([
    [
      'a VF or GPU',
      `${Q}-device vfio-pci,id=gpu0,host=0000:00:02.1: vfio /sys/bus/pci/devices/0000:00:02.1: no such host device: No such file or directory`,
      {
        resource: 'vfio-device',
        subject: '/sys/bus/pci/devices/0000:00:02.1',
        option: '-device vfio-pci,id=gpu0,host=0000:00:02.1',
      },
    ],
    [
      'a GVT-g vGPU',
      `${Q}-device vfio-pci-nohotplug,id=gpu0,sysfsdev=/sys/bus/mdev/devices/${TEST_VM_UUID},display=on: vfio /sys/bus/mdev/devices/${TEST_VM_UUID}: no such host device: No such file or directory`,
      { resource: 'mdev-device', subject: `/sys/bus/mdev/devices/${TEST_VM_UUID}` },
    ],
    [
      'the VF group node',
      `${Q}-device vfio-pci,id=gpu0,host=0000:00:02.1: vfio 0000:00:02.1: failed to open /dev/vfio/17: Permission denied`,
      { resource: 'vfio-group', subject: '0000:00:02.1' },
    ],
    [
      'an IOMMU group (a PCI device at that address, but the IOMMU is off)',
      `${Q}-device vfio-pci,id=gpu0,host=0000:00:02.0,x-igd-opregion=on: vfio 0000:00:02.0: no iommu_group found: No such file or directory`,
      { resource: 'vfio-group', subject: '0000:00:02.0' },
    ],
    [
      'a viable group',
      `${Q}-device vfio-pci,id=gpu0,host=0000:00:02.1: vfio 0000:00:02.1: group 17 is not viable`,
      { resource: 'vfio-group' },
    ],
    [
      'locked memory',
      `${Q}-device vfio-pci,id=gpu0,host=0000:00:02.1: vfio 0000:00:02.1: failed to setup container for group 17: memory listener initialization failed: Region pc.ram: vfio_dma_map(0x55d, 0x0, 0xa0000, 0x7f) = -12 (Cannot allocate memory)`,
      { resource: 'locked-memory' },
    ],
    [
      'a render node',
      `${Q}egl: no drm render node available\n${Q}egl: render node init failed`,
      { resource: 'render-node', option: null },
    ],
    [
      'udmabuf',
      `${Q}-device virtio-vga,id=video0,max_outputs=1,blob=true: warning: open /dev/udmabuf: No such file or directory\n${Q}-device virtio-vga,id=video0,max_outputs=1,blob=true: cannot enable blob resources without udmabuf`,
      { resource: 'udmabuf', option: '-device virtio-vga,id=video0,max_outputs=1,blob=true' },
    ],
    [
      "swtpm's socket",
      `${Q}-chardev socket,id=tpm0-sock,path=/run/user/1000/tessera/win11/swtpm.sock: Failed to connect to '/run/user/1000/tessera/win11/swtpm.sock': No such file or directory`,
      { resource: 'swtpm-socket', subject: '/run/user/1000/tessera/win11/swtpm.sock' },
    ],
    [
      'hugepages',
      `${Q}unable to map backing store for guest RAM: Cannot allocate memory`,
      { resource: 'guest-memory' },
    ],
    [
      'memory',
      `${Q}cannot set up guest memory 'pc.ram': Cannot allocate memory`,
      { resource: 'guest-memory', subject: 'pc.ram' },
    ],
    ['a window system', `${Q}gtk initialization failed`, { resource: 'window-system' }],
    [
      'KVM',
      `Could not access KVM kernel module: No such file or directory\n${Q}failed to initialize kvm: No such file or directory`,
      { resource: 'kvm' },
    ],
    [
      'an evdev keyboard (as QEMU 7.2 says it, without the option)',
      `${Q}Could not open '/dev/input/by-id/usb-Logitech_USB_Keyboard-event-kbd': No such file or directory`,
      { resource: 'evdev-device', subject: '/dev/input/by-id/usb-Logitech_USB_Keyboard-event-kbd' },
    ],
  ])('%s', (_what, stderr, expected) => {
    expect(classifyQemuStderr(stderr)).toMatchObject({ kind: 'host-absent', ...expected });
  });
});

describe('classifyQemuStderr: QEMU did not accept the command line', () => {
  it.each([
    [
      'an unknown display option',
      `${Q}-display gtk,connectors.0=HDMI-1: Parameter 'connectors' is unexpected`,
    ],
    [
      'an unknown device property',
      `${Q}-device vfio-pci,host=0000:00:02.1,ramfb=on: Property 'vfio-pci.ramfb' not found`,
    ],
    [
      'a device this build lacks',
      `${Q}-device virtio-vga-gl,help: missing object type 'virtio-gpu-gl-device'`,
    ],
    ['GL without a GL display', `${Q}-device virtio-vga-gl: opengl is not available`],
    ['a display this build lacks', `${Q}Display 'gtk' is not available.`],
    [
      'a malformed value',
      `${Q}-machine q35,kernel_irqchip=maybe: Parameter 'kernel-irqchip' expects 'on', 'off', or 'split'`,
    ],
    ['GL on a display without it', `${Q}OpenGL is not supported by the display`],
    [
      'a socket Tessera serves, not one it dials',
      `${Q}-chardev socket,id=x,path=/tmp/other.sock: Failed to connect to '/tmp/other.sock': No such file or directory`,
    ],
    [
      'a missing disk',
      `${Q}-blockdev driver=qcow2,node-name=d,file.driver=file,file.filename=/x.qcow2: Could not open '/x.qcow2': No such file or directory`,
    ],
  ])('%s', (_what, stderr) => {
    expect(classifyQemuStderr(stderr)).toMatchObject({ kind: 'rejected' });
  });

  it('counts a host absence next to a rejected option as rejected', () => {
    const stderr = `${Q}egl: no drm render node available\n${Q}-device foo: 'foo' is not a valid device model name`;
    expect(classifyQemuStderr(stderr)).toEqual({
      kind: 'rejected',
      option: '-device foo',
      message: "'foo' is not a valid device model name",
    });
  });
});

describe('classifyQemuStderr: no failure', () => {
  it('finds none in empty output, warnings alone or the signal that ended QEMU', () => {
    expect(classifyQemuStderr('')).toBeNull();
    expect(
      classifyQemuStderr(`${Q}warning: host doesn't support requested feature: CPUID.01H:ECX.vmx [bit 5]\n`),
    ).toBeNull();
    expect(classifyQemuStderr(`${Q}terminating on signal 15 from pid 21767 (timeout)\n`)).toBeNull();
  });
});
