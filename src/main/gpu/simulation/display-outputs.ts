/**
 * The parts of a simulated host that concern what a VM can show: monitors on a card's connectors
 * and kvm's `ignore_msrs`. Kept apart from the GPU tree so that they are only new fields of a
 * host description, written by their own small functions.
 */

/** A connector of a simulated card and the monitor on it, if any. */
export interface SimConnector {
  /** As DRM names it: `HDMI-A-1`, `DP-2`, `eDP-1`. */
  name: string;
  connected: boolean;
  /** The monitor's modes, best first; nothing when disconnected. */
  modes?: string[];
}

interface TreeWriter {
  file(hostPath: string, content: string, mode?: number): void;
  link(hostPath: string, targetHostPath: string): void;
}

/**
 * DRM's connector directories, `<card>/card<N>-<name>/` with `status`, `enabled`, `dpms` and
 * `modes` (drivers/gpu/drm/drm_sysfs.c), linked from /sys/class/drm like the card itself.
 */
export function writeConnectors(
  w: TreeWriter,
  cardDir: string,
  card: number,
  connectors: readonly SimConnector[],
): void {
  for (const c of connectors) {
    const dir = `${cardDir}/card${card}-${c.name}`;
    w.file(`${dir}/status`, c.connected ? 'connected\n' : 'disconnected\n', 0o644);
    w.file(`${dir}/enabled`, c.connected ? 'enabled\n' : 'disabled\n', 0o444);
    w.file(`${dir}/dpms`, c.connected ? 'On\n' : 'Off\n', 0o444);
    w.file(`${dir}/modes`, (c.connected ? (c.modes ?? []) : []).map((m) => `${m}\n`).join(''), 0o444);
    w.link(`/sys/class/drm/card${card}-${c.name}`, dir);
  }
}

/**
 * `/sys/module/kvm/parameters/ignore_msrs` (`Y`/`N`, default N in arch/x86/kvm/x86.c): Windows
 * guests need it on (qemu-gpu-guests.md). Written wherever kvm is loaded, as the kernel would.
 */
export function writeKvmParameters(
  w: TreeWriter,
  host: { modules: readonly string[]; kvmIgnoreMsrs?: boolean },
): void {
  if (!host.modules.includes('kvm')) return;
  w.file('/sys/module/kvm/parameters/ignore_msrs', host.kvmIgnoreMsrs === true ? 'Y\n' : 'N\n', 0o644);
}
