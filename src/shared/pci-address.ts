/** PCI addresses and mdev UUIDs as sysfs names them (docs/sriov-sysfs.md#pci-device-files, #gvt-g-instances); pure, used on both sides of pkexec. */

/** `0000:00:02.1`: domain, bus, device, function, lower-case hex as sysfs writes them. */
export const BDF_PATTERN = /^[0-9a-f]{4}:[0-9a-f]{2}:[0-1][0-9a-f]\.[0-7]$/;

/** A 36-character UUID as the mdev core accepts it in `create` (docs/sriov-sysfs.md#gvt-g-types), lower case as sysfs shows it. */
export const MDEV_UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function isBdf(text: string): boolean {
  return BDF_PATTERN.test(text);
}

/**
 * The VF's address: routing ID = PF's + First VF Offset + (n-1) × VF Stride (docs/sriov-sysfs.md#pci-device-files `sriov_offset`,
 * `sriov_stride`; docs/sriov-sysfs.md#flex-170-with-two-vfs: with ARI, VF8 of 4d:00.0 is 4d:01.0). Null when the result leaves the bus.
 */
export function vfAddress(pf: string, index: number, offset: number, stride: number): string | null {
  if (!isBdf(pf)) return null;
  const [domain, bus, devFn] = pf.split(':') as [string, string, string];
  const [dev, fn] = devFn.split('.') as [string, string];
  const rid =
    (parseInt(bus, 16) << 8) + (parseInt(dev, 16) << 3) + parseInt(fn, 16) + offset + stride * (index - 1);
  if (rid > 0xffff || rid < 0) return null;
  const h = (v: number, n: number) => v.toString(16).padStart(n, '0');
  return `${domain}:${h(rid >> 8, 2)}:${h((rid >> 3) & 0x1f, 2)}.${(rid & 7).toString(16)}`;
}
