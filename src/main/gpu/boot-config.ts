import type { GpuInventory } from '../../shared/gpu-inventory';
import type { SavedLayout } from '../../shared/gpu-plan';
import { VF_SETTING_ATTRIBUTES } from '../../shared/helper-plan';
import { vfAddress } from '../../shared/pci-address';

/**
 * Saved layouts as sysfsutils lines (`/etc/sysfs.conf`: `attribute = value`, relative to /sys,
 * written in file order at boot), the way people recreate VFs after a reboot without Tessera
 * running. The order is the helper's: autoprobe off, shares, the count, the drivers (docs/sriov-sysfs.md#writing-sriov_numvfs, #driver-binding, #i915-auto-provisioning).
 */
export function bootConfigLines(inventory: GpuInventory, layouts: SavedLayout[]): string[] {
  const lines: string[] = [];
  for (const layout of layouts) {
    const gpu = inventory.gpus.find((g) => g.address === layout.pf);
    if (!gpu?.sriov || layout.vfCount === 0) continue;
    const { sriov } = gpu;
    const pf = `bus/pci/devices/${layout.pf}`;
    const home = gpu.provisioning?.home.replace(/^\/sys\//, '') ?? null;
    const gt = gpu.provisioning?.gts[0] ?? null;
    lines.push(
      `# Tessera: ${gpu.name} ${layout.pf}, ${layout.vfCount} VFs; needs ${gpu.driver ?? 'its driver'} loaded before sysfsutils runs`,
      `${pf}/sriov_drivers_autoprobe = 0`,
    );
    for (const share of layout.shares) {
      for (const [key, value] of Object.entries(share.settings)) {
        if (value === undefined || home === null) continue;
        const attribute = VF_SETTING_ATTRIBUTES[key as keyof typeof VF_SETTING_ATTRIBUTES];
        lines.push(
          gpu.sriovInterface === 'xe-sriov_admin'
            ? `${home}/vf${share.index}/profile/${attribute === 'lmem_quota' ? 'vram_quota' : attribute} = ${value}`
            : `${home}/vf${share.index}/${gt}/${attribute} = ${value}`,
        );
      }
    }
    lines.push(`${pf}/sriov_numvfs = ${layout.vfCount}`);
    for (const [index, driver] of Object.entries(layout.drivers)) {
      const vf = vfAddress(layout.pf, Number(index), sriov.offset ?? 1, sriov.stride ?? 1);
      if (driver === null || vf === null) continue;
      lines.push(`bus/pci/devices/${vf}/driver_override = ${driver}`, `bus/pci/drivers_probe = ${vf}`);
    }
    if (sriov.autoprobe) lines.push(`${pf}/sriov_drivers_autoprobe = 1`);
  }
  return lines;
}
