/**
 * What the GPU and display fields offer, from the host's GPU inventory (gpu.list), its monitors
 * (host.monitors) and its QEMU (host.qemuCapabilities). Pure, so the wording is tested apart
 * from React.
 */
import type { Gpu, GpuInventory } from '../../../../shared/gpu-inventory';
import type { DrmConnector } from '../../../../shared/host-displays';
import { hasDisplay, type QemuCapabilities } from '../../../../shared/qemu-capabilities';
import type { DisplayKind, GpuKind } from '../../../../shared/vm-spec';
import type { Choice } from './Field';
import { displaysFor } from './form-model';

const GPU_LABELS: Record<GpuKind, string> = {
  none: 'None (serial console only)',
  std: 'Standard VGA (emulated)',
  virtio: 'Virtual GPU (virtio)',
  vf: 'SR-IOV virtual function (VF)',
  mdev: 'GVT-g vGPU',
  passthrough: 'Whole GPU (GVT-d passthrough)',
};

export function sriovGpus(inventory: GpuInventory | null): Gpu[] {
  return (inventory?.gpus ?? []).filter((g) => (g.sriov?.totalVfs ?? 0) > 0);
}

export function gvtGpus(inventory: GpuInventory | null): Gpu[] {
  return (inventory?.gpus ?? []).filter((g) => g.mdevTypes.length > 0);
}

/** Every kind, those this host cannot give disabled with the reason (the current one stays choosable). */
export function gpuKindChoices(inventory: GpuInventory | null, current: GpuKind): Choice[] {
  const unavailable: Partial<Record<GpuKind, string | undefined>> = {
    vf: sriovGpus(inventory).length === 0 ? 'no SR-IOV GPU on this host' : undefined,
    mdev: gvtGpus(inventory).length === 0 ? 'no GVT-g GPU on this host' : undefined,
    passthrough: (inventory?.gpus.length ?? 0) === 0 ? 'no Intel GPU on this host' : undefined,
  };
  return (Object.keys(GPU_LABELS) as GpuKind[]).map((kind) => {
    const reason = kind === current ? undefined : unavailable[kind];
    return { value: kind, label: GPU_LABELS[kind], ...(reason !== undefined && { disabled: reason }) };
  });
}

const gpuLabel = (g: Gpu) => `${g.name} at ${g.address}`;

export function gpuChoices(gpus: readonly Gpu[]): Choice[] {
  return gpus.map((g) => ({ value: g.address, label: gpuLabel(g) }));
}

/** "Any free VF of this GPU", then each VF with its driver and whether a VM holds it. */
export function vfChoices(pf: Gpu | undefined): Choice[] {
  const free = pf?.vfs.filter((v) => v.usedBy === null).length ?? 0;
  return [
    { value: '', label: `Any free VF, picked at start (${free} free now)` },
    ...(pf?.vfs ?? []).map((vf) => ({
      value: vf.address,
      label: `VF${vf.index} at ${vf.address} (${vf.driver ?? 'no driver'}${vf.usedBy === null ? '' : `, used by ${vf.usedBy}`})`,
    })),
  ];
}

/** GVT-g types with their resolution and free instances (docs/sriov-sysfs.md#gvt-g-types); a type with none free is disabled. */
export function mdevTypeChoices(parent: Gpu | undefined, current: string): Choice[] {
  return (parent?.mdevTypes ?? []).map((t) => {
    const free = t.availableInstances;
    const resolution = t.resources ? `, up to ${t.resources.resolution}` : '';
    const label = `${t.id}${resolution}, ${free ?? '?'} free`;
    return free === 0 && t.id !== current
      ? { value: t.id, label, disabled: 'none free' }
      : { value: t.id, label };
  });
}

const DISPLAY_LABELS: Record<DisplayKind, string> = {
  vnc: 'Console in Tessera (VNC)',
  spice: 'Console in Tessera (SPICE)',
  local: 'QEMU’s own window on a monitor of this host',
  none: 'None (RDP, SSH or serial)',
};

/** The displays this GPU can feed, local disabled without QEMU's GTK window or a monitor. */
export function displayChoices(
  gpu: GpuKind,
  qemu: QemuCapabilities | null,
  monitors: readonly DrmConnector[] | null,
): Choice[] {
  return displaysFor(gpu).map((kind) => {
    let disabled: string | undefined;
    if (kind === 'local' && qemu !== null && !hasDisplay(qemu, 'gtk'))
      disabled = 'QEMU has no GTK window here';
    else if (kind === 'local' && monitors !== null && !monitors.some((m) => m.status === 'connected')) {
      disabled = 'no monitor connected';
    }
    return { value: kind, label: DISPLAY_LABELS[kind], ...(disabled !== undefined && { disabled }) };
  });
}

/** Monitors by connector; only connected ones can be chosen. */
export function monitorChoices(monitors: readonly DrmConnector[] | null): Choice[] {
  const all = monitors ?? [];
  // A connector name seen on two cards is written with its card (`card1-DP-1`).
  const name = (m: DrmConnector) =>
    all.filter((o) => o.name === m.name).length > 1 ? `${m.card}-${m.name}` : m.name;
  return [
    { value: '', label: 'Wherever the window manager puts it' },
    ...all.map((m) => {
      const mode = m.modes[0] === undefined ? '' : `, ${m.modes[0]}`;
      return m.status === 'connected'
        ? { value: name(m), label: `${name(m)} (${m.card}${mode})` }
        : { value: name(m), label: `${name(m)} (${m.card})`, disabled: 'nothing connected' };
    }),
  ];
}
