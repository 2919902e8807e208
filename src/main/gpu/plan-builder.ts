/**
 * From what the user asked (an intent) to the helper's plan and the diff a person reviews, by
 * comparing with the GPU as the inventory read it. Pure: the inventory in, a preview out. The
 * helper checks everything again against the host itself; this is where the user gets told early,
 * in the words of the page they are on.
 */
import { TesseraError } from '../../shared/errors';
import type { Gpu, GpuInventory, VirtualFunction } from '../../shared/gpu-inventory';
import type { ParsedGpuIntent, PlanChange, PlanPreview, VfShare } from '../../shared/gpu-plan';
import {
  PF_SETTING_ATTRIBUTES,
  PfSettings,
  VF_SETTING_ATTRIBUTES,
  VfSettings,
  type HelperStep,
} from '../../shared/helper-plan';
import { describeZodError } from '../../shared/errors';
import { vfAddress } from '../../shared/pci-address';
import { presetShares, readShares } from '../../shared/gpu-shares';

type Settings = Record<string, number | string | undefined>;

interface Draft {
  steps: HelperStep[];
  changes: PlanChange[];
}

function findGpu(inventory: GpuInventory, address: string): Gpu {
  const gpu = inventory.gpus.find((g) => g.address === address);
  if (gpu) return gpu;
  const owner = inventory.gpus.find((g) => g.vfs.some((v) => v.address === address));
  if (owner)
    throw new TesseraError('BAD_INPUT', `${address} is a VF of ${owner.address}; name the GPU (its PF)`);
  throw new TesseraError('NOT_FOUND', `there is no Intel GPU at ${address} (tessera gpu list shows them)`);
}

function findFunction(inventory: GpuInventory, address: string): { gpu: Gpu; vf: VirtualFunction | null } {
  for (const gpu of inventory.gpus) {
    if (gpu.address === address) return { gpu, vf: null };
    const vf = gpu.vfs.find((v) => v.address === address);
    if (vf) return { gpu, vf };
  }
  throw new TesseraError(
    'NOT_FOUND',
    `there is no Intel GPU or VF at ${address} (tessera gpu list shows them)`,
  );
}

/** Why no function of this GPU can go to vfio-pci. */
const noIommu = (address: string) =>
  `${address} is in no IOMMU group: the IOMMU is off, so vfio-pci cannot take its VFs; the Host page (tessera doctor) says how to turn it on`;

const vfLabel = (index: number, address: string) => `VF${index} ${address}`;

/** The host GPU driver of a PF (`i915`, `xe`): what "host" means for its VFs. */
function hostDriver(gpu: Gpu): string {
  if (gpu.driver === 'i915' || gpu.driver === 'xe') return gpu.driver;
  throw new TesseraError(
    'INVALID_STATE',
    `${gpu.address} is on ${gpu.driver ?? 'no driver'}, not i915 or xe`,
  );
}

function requireFree(vfs: VirtualFunction[], what: string): void {
  const used = vfs.filter((v) => v.usedBy !== null);
  if (used.length > 0) {
    throw new TesseraError(
      'CONFLICT',
      `${what}: ${used.map((v) => `VF${v.index} is used by ${v.usedBy}`).join(', ')}; stop those VMs first`,
    );
  }
}

/** The kernel attribute a setting is written to on this GPU's driver (docs/sriov-sysfs.md#i915-provisioning-files on i915, docs/sriov-sysfs.md#xe-sriov_admin on xe). */
function attributeName(gpu: Gpu, key: string, names: Record<string, string>): string {
  const name = names[key] ?? key;
  return gpu.sriovInterface === 'xe-sriov_admin' && name === 'lmem_quota' ? 'vram_quota' : name;
}

/** Current values of one provisioning slot by kernel attribute name, as the inventory read them. */
function slotValues(gpu: Gpu, slot: string): Record<string, number | string> {
  const values = gpu.provisioning?.slots.find((s) => s.function === slot)?.values ?? {};
  const group = gpu.sriovInterface === 'xe-sriov_admin' ? 'profile' : (gpu.provisioning?.gts[0] ?? 'gt0');
  return values[group] ?? {};
}

/**
 * The settings that differ from what the slot will hold when the step runs (`baseline`: what the
 * files say now, unless the driver clears them first), and a diff line for each that shows what the
 * files say now.
 */
function diffSettings(
  gpu: Gpu,
  target: string,
  wanted: Settings,
  current: Record<string, number | string>,
  names: Record<string, string>,
  baseline: Record<string, number | string> = current,
): { changed: Settings; changes: PlanChange[] } {
  const changed: Settings = {};
  const changes: PlanChange[] = [];
  for (const [key, value] of Object.entries(wanted)) {
    if (value === undefined) continue;
    const attribute = attributeName(gpu, key, names);
    const then = baseline[attribute];
    if (then !== undefined && String(then) === String(value)) continue;
    const now = current[attribute];
    changed[key] = value;
    changes.push({ target, what: attribute, from: now === undefined ? '—' : String(now), to: String(value) });
  }
  return { changed, changes };
}

/**
 * Shares when a layout names none: the driver's own auto-provisioning shares fairly (docs/sriov-sysfs.md#i915-auto-provisioning, #xe-auto-provisioning),
 * but an i915 whose auto-provisioning is off would enable the VFs with nothing; then fair shares
 * are written.
 */
function defaultShares(gpu: Gpu, count: number): VfShare[] {
  const shares = readShares(gpu);
  return shares.driver === 'i915' && shares.autoProvisioning === false && count > 0
    ? presetShares(gpu, count, 'fair', 'keep')
    : [];
}

function layout(gpu: Gpu, intent: Extract<ParsedGpuIntent, { kind: 'layout' }>): Draft {
  const sriov = gpu.sriov;
  if (!sriov)
    throw new TesseraError('INVALID_STATE', `${gpu.name} at ${gpu.address} has no SR-IOV capability`);
  if (intent.vfCount > sriov.totalVfs) {
    throw new TesseraError(
      'BAD_INPUT',
      sriov.totalVfs === 0
        ? `${gpu.address}: the driver allows no VFs (sriov_totalvfs is 0); tessera doctor says how to allow them`
        : `${gpu.address}: ${intent.vfCount} VFs is over the driver's limit of ${sriov.totalVfs}`,
    );
  }
  // vfio-pci binds a device only inside an IOMMU group (drivers/vfio/vfio_main.c): without the
  // IOMMU the helper would refuse every bind, after the user reviewed them.
  if (intent.bind === 'vfio-pci' && intent.vfCount > 0 && gpu.iommuGroup === null)
    throw new TesseraError('BAD_INPUT', noIommu(gpu.address));
  const draft: Draft = { steps: [], changes: [] };
  const countChanges = intent.vfCount !== sriov.numVfs;
  const address = (index: number) =>
    vfAddress(gpu.address, index, sriov.offset ?? 1, sriov.stride ?? 1) ??
    (() => {
      throw new TesseraError('INVALID_STATE', `VF${index} of ${gpu.address} would leave the PCI bus`);
    })();
  if (countChanges) {
    requireFree(gpu.vfs, `changing the VF count of ${gpu.address} removes every VF`);
    draft.steps.push({ op: 'set-vf-count', pf: gpu.address, count: intent.vfCount });
    draft.changes.push({
      target: gpu.address,
      what: 'VFs',
      from: String(sriov.numVfs),
      to: String(intent.vfCount),
    });
  }
  if (intent.pfSettings) {
    const { changed, changes } = diffSettings(
      gpu,
      gpu.address,
      intent.pfSettings,
      slotValues(gpu, 'pf'),
      PF_SETTING_ATTRIBUTES,
    );
    if (Object.keys(changed).length > 0) {
      draft.steps.push({ op: 'set-pf-spare', pf: gpu.address, settings: changed as PfSettings });
      draft.changes.push(...changes);
    }
  }
  // docs/sriov-sysfs.md#i915-auto-provisioning: with auto-provisioning on, disabling the VFs gives their shares back: they read 0 afterwards.
  const released = countChanges && readShares(gpu).autoProvisioning === true;
  for (const share of intent.shares ?? defaultShares(gpu, intent.vfCount)) {
    if (share.index > intent.vfCount)
      throw new TesseraError(
        'BAD_INPUT',
        `a share names VF${share.index}, but the layout has ${intent.vfCount} VFs`,
      );
    const current = slotValues(gpu, `vf${share.index}`);
    const baseline = { ...current };
    if (released && share.index <= sriov.numVfs)
      for (const key of Object.keys(baseline)) if (/_quota$/.test(key)) baseline[key] = 0;
    const vf = address(share.index);
    const { changed, changes } = diffSettings(
      gpu,
      vfLabel(share.index, vf),
      share.settings,
      current,
      VF_SETTING_ATTRIBUTES,
      baseline,
    );
    if (Object.keys(changed).length > 0) {
      draft.steps.push({ op: 'provision', vf, settings: changed as VfSettings });
      draft.changes.push(...changes);
    }
  }
  if (countChanges && !released) releaseUnusedSlots(gpu, intent.vfCount, address, draft);
  bindVfs(gpu, intent, countChanges, address, draft);
  return draft;
}

/**
 * Manually provisioned shares stay with a VF slot when its VF goes away (docs/sriov-sysfs.md#i915-auto-provisioning releases only
 * auto-provisioned ones; every slot's files remain, docs/sriov-sysfs.md#i915-pf-and-vf-nodes): on i915 a layout with fewer VFs gives
 * the shares of the slots past its count back to the pool, or they are stranded there.
 */
function releaseUnusedSlots(gpu: Gpu, count: number, address: (index: number) => string, draft: Draft): void {
  if (readShares(gpu).driver !== 'i915') return;
  const quotas = Object.entries(VF_SETTING_ATTRIBUTES).filter(([, attribute]) => /_quota$/.test(attribute));
  for (let index = count + 1; index <= (gpu.sriov?.totalVfs ?? 0); index++) {
    const current = slotValues(gpu, `vf${index}`);
    const held = Object.fromEntries(
      quotas.filter(([, attribute]) => Number(current[attribute] ?? 0) > 0).map(([key]) => [key, 0]),
    );
    const { changed, changes } = diffSettings(
      gpu,
      vfLabel(index, address(index)),
      held,
      current,
      VF_SETTING_ATTRIBUTES,
    );
    if (Object.keys(changed).length === 0) continue;
    draft.steps.push({ op: 'provision', vf: address(index), settings: changed as VfSettings });
    draft.changes.push(...changes);
  }
}

/**
 * The drivers the VFs end on. A count change removes every VF and makes them again with no driver
 * (the helper keeps autoprobe off while they appear, docs/sriov-sysfs.md#driver-binding), so "leave them as they are" binds each
 * VF that stays back to the driver it had; a new VF stays on none, and the review says so.
 */
function bindVfs(
  gpu: Gpu,
  intent: Extract<ParsedGpuIntent, { kind: 'layout' }>,
  countChanges: boolean,
  address: (index: number) => string,
  draft: Draft,
): void {
  for (let index = 1; index <= intent.vfCount; index++) {
    const before = gpu.vfs.find((v) => v.index === index) ?? null;
    const driver =
      intent.bind !== 'keep'
        ? intent.bind
        : before?.driver === 'vfio-pci'
          ? 'vfio-pci'
          : before?.driver
            ? 'host'
            : null;
    const target = driver === null ? null : driver === 'vfio-pci' ? 'vfio-pci' : hostDriver(gpu);
    const vf = address(index);
    const from = before === null ? '—' : (before.driver ?? 'none');
    if (target === null) {
      if (countChanges && before === null)
        draft.changes.push({ target: vfLabel(index, vf), what: 'driver', from, to: 'none' });
      continue;
    }
    if (!countChanges && before?.driver === target) continue;
    if (!countChanges && before && before.usedBy !== null)
      requireFree([before], `moving VF${index} to ${target}`);
    draft.steps.push({ op: 'bind', device: vf, driver: driver === 'vfio-pci' ? 'vfio-pci' : 'host' });
    draft.changes.push({ target: vfLabel(index, vf), what: 'driver', from, to: target });
  }
}

function provision(gpu: Gpu, vf: VirtualFunction | null, attributes: Record<string, number | string>): Draft {
  const names: Record<string, string> = vf ? VF_SETTING_ATTRIBUTES : PF_SETTING_ATTRIBUTES;
  const byAttribute = new Map(Object.entries(names).map(([key, attribute]) => [attribute, key]));
  if (gpu.sriovInterface === 'xe-sriov_admin') byAttribute.set('vram_quota', 'lmemQuotaBytes');
  const settings: Settings = {};
  for (const [attribute, value] of Object.entries(attributes)) {
    const key = byAttribute.get(attribute);
    if (key === undefined) {
      const hint =
        vf && attribute === 'sched_priority'
          ? ': priorities are set on the PF (i915 hides sched_priority on VFs, xe shows it read-only)'
          : '';
      throw new TesseraError(
        'BAD_INPUT',
        `${attribute} is not a ${vf ? 'VF' : 'PF'} attribute${hint}; use ${[...byAttribute.keys()].join(', ')}`,
      );
    }
    settings[key] = value;
  }
  const parsed = (vf ? VfSettings : PfSettings).safeParse(settings);
  if (!parsed.success) throw new TesseraError('BAD_INPUT', describeZodError(parsed.error));
  const slot = vf ? `vf${vf.index}` : 'pf';
  const target = vf ? vfLabel(vf.index, vf.address) : gpu.address;
  const { changed, changes } = diffSettings(gpu, target, parsed.data, slotValues(gpu, slot), names);
  if (Object.keys(changed).length === 0) return { steps: [], changes: [] };
  const step: HelperStep = vf
    ? { op: 'provision', vf: vf.address, settings: changed as VfSettings }
    : { op: 'set-pf-spare', pf: gpu.address, settings: changed as PfSettings };
  return { steps: [step], changes };
}

/** Taking a PF from i915/xe takes whatever screens it drives: the user must have said so. */
function requireDisplayConsent(gpu: Gpu, takeHostDisplay: boolean): void {
  if (takeHostDisplay || (gpu.driver !== 'i915' && gpu.driver !== 'xe')) return;
  throw new TesseraError(
    'CONFLICT',
    `${gpu.address} runs on the host's ${gpu.driver} and may drive this machine's display, which goes dark when a VM takes the GPU: confirm it (--take-host-display on the command line)`,
  );
}

function bind(
  gpu: Gpu,
  vf: VirtualFunction | null,
  driver: 'vfio-pci' | 'host',
  takeHostDisplay: boolean,
): Draft {
  const fn = vf ?? gpu;
  const onHost = fn.driver === 'i915' || fn.driver === 'xe';
  if (driver === 'vfio-pci' ? fn.driver === 'vfio-pci' : onHost) return { steps: [], changes: [] };
  // A PF away from its host driver gets whichever of i915 and xe the kernel has loaded.
  const target = driver === 'vfio-pci' ? 'vfio-pci' : vf ? hostDriver(gpu) : 'the host GPU driver';
  if (vf?.usedBy) requireFree([vf], `moving VF${vf.index}`);
  if (driver === 'vfio-pci' && fn.iommuGroup === null)
    throw new TesseraError('BAD_INPUT', noIommu(fn.address));
  if (!vf && driver === 'vfio-pci' && (gpu.sriov?.numVfs ?? 0) > 0)
    throw new TesseraError(
      'CONFLICT',
      `${gpu.address} has ${gpu.sriov?.numVfs} VFs, and vfio-pci refuses a PF with VFs: use passthrough (it removes them), or set the VF count to 0 first`,
    );
  if (!vf) requireDisplayConsent(gpu, takeHostDisplay);
  const step: HelperStep = { op: 'bind', device: fn.address, driver };
  if (!vf && takeHostDisplay) step.takeHostDisplay = true;
  return {
    steps: [step],
    changes: [
      {
        target: vf ? vfLabel(vf.index, vf.address) : gpu.address,
        what: 'driver',
        from: fn.driver ?? 'none',
        to: target,
      },
    ],
  };
}

function passthrough(gpu: Gpu, takeHostDisplay: boolean): Draft {
  requireDisplayConsent(gpu, takeHostDisplay);
  requireFree(gpu.vfs, `giving ${gpu.address} to one VM removes its VFs`);
  const draft: Draft = { steps: [], changes: [] };
  for (const m of gpu.mdevInstances) {
    if (m.usedBy)
      throw new TesseraError('CONFLICT', `vGPU ${m.uuid} is used by ${m.usedBy}; stop that VM first`);
    draft.steps.push({ op: 'remove-mdev', uuid: m.uuid });
    draft.changes.push({ target: m.uuid, what: 'vGPU', from: m.type ?? 'vGPU', to: 'removed' });
  }
  if ((gpu.sriov?.numVfs ?? 0) > 0) {
    draft.steps.push({ op: 'set-vf-count', pf: gpu.address, count: 0 });
    draft.changes.push({ target: gpu.address, what: 'VFs', from: String(gpu.sriov?.numVfs), to: '0' });
  }
  if (gpu.driver !== 'vfio-pci') {
    draft.steps.push({
      op: 'bind',
      device: gpu.address,
      driver: 'vfio-pci',
      ...(takeHostDisplay ? { takeHostDisplay: true as const } : {}),
    });
    draft.changes.push({ target: gpu.address, what: 'driver', from: gpu.driver ?? 'none', to: 'vfio-pci' });
  }
  return draft;
}

function summarize(intent: ParsedGpuIntent, inventory: GpuInventory, draft: Draft): string {
  if (draft.steps.length === 0) return 'Nothing to change: the GPU already is as asked.';
  switch (intent.kind) {
    case 'layout': {
      const name = inventory.gpus.find((g) => g.address === intent.pf)?.name ?? 'GPU';
      const bound =
        intent.bind === 'keep' ? '' : `, on ${intent.bind === 'vfio-pci' ? 'vfio-pci' : 'the host driver'}`;
      return `${name} ${intent.pf}: ${intent.vfCount} VF${intent.vfCount === 1 ? '' : 's'}${bound} (${draft.changes.length} change${draft.changes.length === 1 ? '' : 's'})`;
    }
    case 'provision':
      return `${intent.device}: ${draft.changes.map((c) => `${c.what} ${c.from} → ${c.to}`).join(', ')}`;
    case 'bind':
      return `${intent.device} to ${intent.driver === 'vfio-pci' ? 'vfio-pci' : 'the host driver'}`;
    case 'mdev-create':
      return `new ${intent.type} vGPU on ${intent.parent}`;
    case 'mdev-remove':
      return `remove vGPU ${intent.uuid}`;
    case 'passthrough':
      return `${intent.pf} whole to one VM (vfio-pci)`;
  }
}

export function buildPlan(
  inventory: GpuInventory,
  intent: ParsedGpuIntent,
  newUuid: () => string,
): PlanPreview {
  let draft: Draft;
  switch (intent.kind) {
    case 'layout':
      draft = layout(findGpu(inventory, intent.pf), intent);
      break;
    case 'provision': {
      const { gpu, vf } = findFunction(inventory, intent.device);
      draft = provision(gpu, vf, intent.attributes);
      break;
    }
    case 'bind': {
      const { gpu, vf } = findFunction(inventory, intent.device);
      draft = bind(gpu, vf, intent.driver, intent.takeHostDisplay);
      break;
    }
    case 'mdev-create': {
      const gpu = findGpu(inventory, intent.parent);
      const type = gpu.mdevTypes.find((t) => t.id === intent.type);
      if (!type)
        throw new TesseraError(
          'NOT_FOUND',
          `${intent.parent} has no vGPU type ${intent.type}${gpu.mdevTypes.length ? `; it offers ${gpu.mdevTypes.map((t) => t.id).join(', ')}` : ' (no GVT-g here)'}`,
        );
      if (type.availableInstances === 0)
        throw new TesseraError(
          'CONFLICT',
          `${intent.parent} has no room for another ${type.id} vGPU; remove one first`,
        );
      const uuid = intent.uuid ?? newUuid();
      draft = {
        steps: [{ op: 'create-mdev', parent: intent.parent, type: intent.type, uuid }],
        changes: [{ target: intent.parent, what: 'vGPU', from: '—', to: `${intent.type} ${uuid}` }],
      };
      break;
    }
    case 'mdev-remove': {
      const owner = inventory.gpus.find((g) => g.mdevInstances.some((m) => m.uuid === intent.uuid));
      const instance = owner?.mdevInstances.find((m) => m.uuid === intent.uuid);
      if (!owner || !instance) throw new TesseraError('NOT_FOUND', `there is no vGPU ${intent.uuid}`);
      if (instance.usedBy)
        throw new TesseraError(
          'CONFLICT',
          `vGPU ${intent.uuid} is used by ${instance.usedBy}; stop that VM first`,
        );
      draft = {
        steps: [{ op: 'remove-mdev', uuid: intent.uuid }],
        changes: [{ target: intent.uuid, what: 'vGPU', from: instance.type ?? 'vGPU', to: 'removed' }],
      };
      break;
    }
    case 'passthrough':
      draft = passthrough(findGpu(inventory, intent.pf), intent.takeHostDisplay);
      break;
  }
  return {
    plan: draft.steps.length === 0 ? null : { version: 1, steps: draft.steps },
    changes: draft.changes,
    summary: summarize(intent, inventory, draft),
  };
}
