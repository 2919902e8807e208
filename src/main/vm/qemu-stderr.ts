/**
 * Why QEMU refused to start, from what it wrote to stderr: because something of the host that
 * the argv names is not there (a VF, a vGPU, a render node, swtpm's socket, hugepages), or
 * because QEMU did not accept the command line itself. Anything not recognised counts as the
 * latter, so a new kind of failure is never mistaken for a missing device.
 *
 * Messages are QEMU 7.2's: `qemu-system-x86_64: [OPTION VALUE: ]MESSAGE`, one per line, with
 * `warning:` lines in between.
 */

/** What the host lacks. */
export type HostResource =
  /** A VF or whole GPU (`host=`): `/sys/bus/pci/devices/<BDF>` is missing. */
  | 'vfio-device'
  /** A GVT-g vGPU (`sysfsdev=`): `/sys/bus/mdev/devices/<UUID>` is missing. */
  | 'mdev-device'
  /** The device's IOMMU group: not openable by this user, or not viable (docs/sriov-sysfs.md#unprivileged-qemu-with-vfio). */
  | 'vfio-group'
  /** Locked memory for the IOMMU's DMA mappings (RLIMIT_MEMLOCK, docs/sriov-sysfs.md#unprivileged-qemu-with-vfio). */
  | 'locked-memory'
  /** A DRM render node for egl-headless. */
  | 'render-node'
  /** /dev/udmabuf, which virtio-gpu blob resources need (the udmabuf module). */
  | 'udmabuf'
  /** swtpm's socket: no TPM emulator is listening. */
  | 'swtpm-socket'
  /** Guest RAM could not be mapped: no free hugepages of the size asked for, or no memory. */
  | 'guest-memory'
  /** No window system for QEMU's own window. */
  | 'window-system'
  /** KVM is missing or unusable. */
  | 'kvm'
  /** An evdev node for `input-linux`: not plugged in, or not readable by this user. */
  | 'evdev-device';

export type QemuFailure =
  | {
      kind: 'host-absent';
      resource: HostResource;
      /** The path, address or socket the message names. */
      subject: string;
      /** The argv option the message is about (`-device vfio-pci,…`), when QEMU says. */
      option: string | null;
      message: string;
    }
  | { kind: 'rejected'; option: string | null; message: string };

interface Line {
  option: string | null;
  message: string;
}

/** `qemu-system-x86_64: -device vfio-pci,host=X: vfio …` → option `-device vfio-pci,host=X`, message `vfio …`. */
function parseLine(raw: string): Line | null {
  const text = raw.replace(/^[\w./-]*qemu[\w.-]*: /, '').trim();
  if (text === '') return null;
  const located = /^(-[a-z][\w-]* \S+?): (.*)$/.exec(text);
  return located
    ? { option: located[1] ?? null, message: located[2] ?? '' }
    : { option: null, message: text };
}

const HOST_ABSENT: readonly { pattern: RegExp; resource: (subject: string) => HostResource }[] = [
  // hw/vfio/common.c vfio_get_device / vfio_realize: the sysfs path of the device
  {
    pattern: /^vfio (\S+): no such host device: No such file or directory$/,
    resource: (s) => (s.startsWith('/sys/bus/mdev/') ? 'mdev-device' : 'vfio-device'),
  },
  {
    pattern: /^vfio (\S+): failed to open \/dev\/vfio\/\d+: (?:Permission denied|No such file or directory)$/,
    resource: () => 'vfio-group',
  },
  { pattern: /^vfio (\S+): group \d+ is not viable$/, resource: () => 'vfio-group' },
  // A device without an IOMMU group: the IOMMU is off, or it is not a device VFIO can take.
  { pattern: /^vfio (\S+): no iommu_group found: No such file or directory$/, resource: () => 'vfio-group' },
  {
    pattern: /^vfio (\S+): failed to setup container for group \d+: .*\(Cannot allocate memory\)$/,
    resource: () => 'locked-memory',
  },
  // ui/egl-helpers.c
  {
    pattern: /^egl: (no drm render node available|rendernode open failed|render node init failed)$/,
    resource: () => 'render-node',
  },
  // hw/display/virtio-gpu.c
  { pattern: /^(cannot enable blob resources without udmabuf)$/, resource: () => 'udmabuf' },
  // chardev/char-socket.c, for the one socket Tessera connects to rather than serves
  {
    pattern: /^Failed to connect to '(\S*swtpm\.sock)': (?:No such file or directory|Connection refused)$/,
    resource: () => 'swtpm-socket',
  },
  // backends/hostmem.c, softmmu/physmem.c
  {
    pattern: /^(unable to map backing store for guest RAM): Cannot allocate memory$/,
    resource: () => 'guest-memory',
  },
  {
    pattern: /^cannot set up guest memory '([^']+)': Cannot allocate memory$/,
    resource: () => 'guest-memory',
  },
  // ui/gtk.c
  { pattern: /^(gtk initialization failed)$/, resource: () => 'window-system' },
  // ui/input-linux.c (error_setg_file_open)
  {
    pattern: /^Could not open '(\/dev\/input\/[^']+)': (?:No such file or directory|Permission denied)$/,
    resource: () => 'evdev-device',
  },
  // accel/kvm/kvm-all.c
  { pattern: /^(Could not access KVM kernel module): /, resource: () => 'kvm' },
  { pattern: /^(failed to initialize kvm): /, resource: () => 'kvm' },
];

/**
 * How a QEMU run that failed to start ended, or null when stderr holds no error. Every error line
 * must be a host absence for the failure to count as one; the first of them is reported.
 */
export function classifyQemuStderr(stderr: string): QemuFailure | null {
  const lines = stderr
    .split('\n')
    .map(parseLine)
    .filter((l): l is Line => l !== null)
    // Warnings do not stop QEMU; the udmabuf one is followed by the error that does.
    .filter((l) => !l.message.startsWith('warning:'))
    // What QEMU says when a signal ends it is not a failure of the command line.
    .filter((l) => !/^terminating on signal \d+/.test(l.message));
  if (lines.length === 0) return null;
  let first: QemuFailure | null = null;
  for (const line of lines) {
    const known = HOST_ABSENT.map((h) => ({ h, match: h.pattern.exec(line.message) })).find((m) => m.match);
    if (!known?.match) return { kind: 'rejected', option: line.option, message: line.message };
    const subject = known.match[1] ?? '';
    first ??= {
      kind: 'host-absent',
      resource: known.h.resource(subject),
      subject,
      option: line.option,
      message: line.message,
    };
  }
  return first;
}
