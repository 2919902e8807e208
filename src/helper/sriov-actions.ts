/**
 * `set-vf-count`, `provision` and `set-pf-spare`: the SR-IOV writes of docs/sriov-sysfs.md#writing-sriov_numvfs (count to 0
 * before a new count), docs/sriov-sysfs.md#driver-binding (autoprobe off while VFs appear), docs/sriov-sysfs.md#i915-provisioning-files (i915 provisioning files) and
 * docs/sriov-sysfs.md#xe-sriov_admin (xe's sriov_admin profiles).
 */
import {
  PF_SETTING_ATTRIBUTES,
  VF_SETTING_ATTRIBUTES,
  type HelperStep,
  type PfSettings,
  type VfSettings,
} from '../shared/helper-plan';
import type { Action, ActionIo, CheckContext } from './actions';
import { moveDevice } from './binding-actions';
import { readPci, readSriov, readSriovHome, type PciFacts } from './device-facts';
import { HelperFailure } from './helper-failure';
import { fileIn } from './host-files';
import { findPf, findVf, nameOnce, requireUnused } from './targets';

function sriovFile(io: ActionIo, pf: PciFacts, name: string): string {
  return fileIn(io.files, `${pf.at}/${name}`, pf.at) ?? io.fail('BAD_TARGET', `${pf.address} has no ${name}`);
}

/**
 * Enable `count` VFs with autoprobe off, so no host driver grabs them as they appear (the desktop
 * probing new render nodes can hang the GPU; docs/sriov-sysfs.md#driver-binding), then put autoprobe back as the user had it:
 * it only affects VFs created later (docs/sriov-sysfs.md#pci-device-files).
 */
function enableVfs(io: ActionIo, pf: PciFacts, count: number, totalVfs: number): void {
  const autoprobe = sriovFile(io, pf, 'sriov_drivers_autoprobe');
  const wasOn = io.files.read(autoprobe)?.trim() === '1';
  if (wasOn) {
    io.write(autoprobe, '0', { kind: 'autoprobe', pf: pf.address });
    io.undo(`turn autoprobe of ${pf.address} back on`, (u) =>
      u.write(autoprobe, '1', { kind: 'autoprobe', pf: pf.address }),
    );
  }
  const numvfs = sriovFile(io, pf, 'sriov_numvfs');
  io.write(numvfs, String(count), { kind: 'sriov_numvfs', pf: pf.address, count, totalVfs });
  io.undo(`disable the VFs of ${pf.address}`, (u) =>
    u.write(numvfs, '0', { kind: 'sriov_numvfs', pf: pf.address, count: 0, totalVfs }),
  );
  if (wasOn) io.write(autoprobe, '1', { kind: 'autoprobe', pf: pf.address });
}

export function checkVfCount(
  ctx: CheckContext,
  step: Extract<HelperStep, { op: 'set-vf-count' }>,
  index: number,
): Action[] {
  const { pf, sriov } = findPf(ctx, step.pf, index);
  if (sriov === null)
    throw new HelperFailure('BAD_TARGET', `${step.pf} has no SR-IOV capability (no sriov_totalvfs)`, index);
  if (step.count > sriov.totalVfs) {
    throw new HelperFailure(
      'OUT_OF_RANGE',
      sriov.totalVfs === 0
        ? `${step.pf}: the driver allows no VFs (sriov_totalvfs is 0): set i915.max_vfs or xe.max_vfs on the kernel command line`
        : `${step.pf}: ${step.count} VFs is over the driver's limit of ${sriov.totalVfs} (sriov_totalvfs)`,
      index,
    );
  }
  for (const name of ['sriov_numvfs', 'sriov_drivers_autoprobe']) {
    if (fileIn(ctx.files, `${pf.at}/${name}`, pf.at) === null)
      throw new HelperFailure('BAD_TARGET', `${pf.at}/${name} is not the PF's own file`, index);
  }
  nameOnce(ctx, `VF count of ${step.pf}`, index);
  ctx.prediction.counts.set(pf.at, step.count);
  if (step.count === sriov.numVfs) return [];
  // The kernel blocks until a guest lets go of a VF being removed (docs/sriov-sysfs.md#writing-sriov_numvfs); refuse instead.
  const existing = ctx.files
    .list(pf.at)
    .filter((e) => /^virtfn\d+$/.test(e))
    .map((e) => ctx.files.real(`${pf.at}/${e}`))
    .map((at) => (at === null ? null : readPci(ctx.files, at.slice(at.lastIndexOf('/') + 1))));
  for (const vf of existing) if (vf) requireUnused(ctx, vf.iommuGroup, `VF ${vf.address}`, index);
  const actions: Action[] = [];
  if (sriov.numVfs > 0) {
    actions.push({
      step: index,
      op: 'set-vf-count',
      phase: 'disable-vfs',
      run(io) {
        const now = readSriov(io.files, pf.at);
        if (now === null || now.numVfs === 0) return;
        const before = existing.filter((v): v is PciFacts => v !== null);
        const numvfs = sriovFile(io, pf, 'sriov_numvfs');
        io.write(numvfs, '0', { kind: 'sriov_numvfs', pf: pf.address, count: 0, totalVfs: now.totalVfs });
        io.undo(`enable ${now.numVfs} VFs of ${pf.address} again, on their drivers`, (u) => {
          enableVfs(u, pf, now.numVfs, now.totalVfs);
          for (const vf of before) moveDevice(u, vf.address, vf.driver, vf.override ?? '\n');
        });
      },
    });
  }
  if (step.count > 0) {
    actions.push({
      step: index,
      op: 'set-vf-count',
      phase: 'enable-vfs',
      run: (io) => enableVfs(io, pf, step.count, sriov.totalVfs),
    });
  }
  return actions;
}

interface SettingWrite {
  path: string;
  attribute: string;
  value: string;
  /** Resource shares go back before they are taken (docs/sriov-sysfs.md#i915-provisioning-files EDQUOT); scheduling settings are never "given back". */
  pooled: boolean;
}

const POOLED = /_(quota|spare)$/;

/** The writes a provision or set-pf-spare step makes, after checking each against what the driver shows. */
function settingWrites(
  ctx: CheckContext,
  pf: PciFacts,
  slot: string,
  settings: VfSettings | PfSettings,
  names: Record<string, string>,
  index: number,
): SettingWrite[] {
  const home = readSriovHome(ctx.files, pf.at);
  if (home === null)
    throw new HelperFailure(
      'BAD_TARGET',
      `${pf.address} shows no SR-IOV provisioning files (the SR-IOV i915 module's prelim_iov or xe's sriov_admin)`,
      index,
    );
  const writes: SettingWrite[] = [];
  for (const [key, value] of Object.entries(settings) as [string, number | string | undefined][]) {
    if (value === undefined) continue;
    const i915Name = names[key] ?? key;
    let file: string;
    let attribute = i915Name;
    if (home.kind === 'i915') {
      if (typeof value === 'string')
        throw new HelperFailure(
          'BAD_TARGET',
          `${i915Name} on i915 is a number (0 low, 1 normal, 2 high)`,
          index,
        );
      file = `${home.dir}/${slot}/${home.gt}/${i915Name}`;
    } else {
      // docs/sriov-sysfs.md#xe-sriov_admin: xe's sysfs offers scheduling and VRAM; GGTT, contexts and doorbells are debugfs-only (docs/sriov-sysfs.md#xe-debugfs).
      attribute = i915Name === 'lmem_quota' ? 'vram_quota' : i915Name;
      if (!['exec_quantum_ms', 'preempt_timeout_us', 'sched_priority', 'vram_quota'].includes(attribute))
        throw new HelperFailure(
          'BAD_TARGET',
          `xe offers ${i915Name} only in debugfs; its sysfs takes exec_quantum_ms, preempt_timeout_us, sched_priority (PF) and vram_quota`,
          index,
        );
      if (attribute === 'sched_priority' && typeof value !== 'string')
        throw new HelperFailure('BAD_TARGET', 'sched_priority on xe is low, normal or high', index);
      file = `${home.dir}/${slot}/profile/${attribute}`;
    }
    if (fileIn(ctx.files, file, pf.at) === null)
      throw new HelperFailure('BAD_TARGET', `${pf.address} has no ${attribute} for ${slot} (${file})`, index);
    if (!ctx.files.writable(file))
      throw new HelperFailure('BAD_TARGET', `${pf.address} shows ${attribute} of ${slot} read-only`, index);
    if (home.kind === 'i915' && /_quota$/.test(attribute) && slot !== 'pf') {
      const pool = attribute.replace(/_quota$/, '');
      const max = Number(
        ctx.files.read(`${home.dir}/pf/${home.gt}/available/${pool}_max_quota`)?.trim() ?? NaN,
      );
      if (Number.isFinite(max) && Number(value) > max)
        throw new HelperFailure(
          'OUT_OF_RANGE',
          `${attribute} ${value} is over what the driver allows one VF (available/${pool}_max_quota is ${max})`,
          index,
        );
    }
    writes.push({ path: file, attribute, value: String(value), pooled: POOLED.test(attribute) });
  }
  return writes;
}

/**
 * Two actions per step: shares that shrink go back first, everything else is taken after. On i915
 * a VF quota write turns auto-provisioning off (docs/sriov-sysfs.md#i915-provisioning-files "marks the configuration manual"); undoing
 * it turns it back on once the quotas are restored, so VFs re-enabled by an undo get their
 * automatic shares again (docs/sriov-sysfs.md#i915-auto-provisioning).
 */
function settingActions(
  step: number,
  op: 'provision' | 'set-pf-spare',
  device: string,
  writes: SettingWrite[],
  autoProvisioning: string | null,
): Action[] {
  const apply = (shrinking: boolean) => (io: ActionIo) => {
    const auto = autoProvisioning === null ? null : io.files.read(autoProvisioning)?.trim();
    if (auto === '1' && autoProvisioning !== null && writes.some((w) => /_quota$/.test(w.attribute))) {
      const file = { kind: 'provisioning', attribute: 'auto_provisioning', value: '1', device } as const;
      io.undo(`turn auto-provisioning back on for ${device}'s GPU`, (u) =>
        u.write(autoProvisioning, '1', file),
      );
    }
    for (const w of writes) {
      const current = io.files.read(w.path)?.trim() ?? '';
      const shrinks = w.pooled && /^\d+$/.test(current) && Number(w.value) < Number(current);
      if (shrinks !== shrinking || current === w.value || current.includes(`[${w.value}]`)) continue;
      const file = { kind: 'provisioning', attribute: w.attribute, value: w.value, device } as const;
      io.write(w.path, w.value, file);
      // xe prints choices as `[low] normal high` (docs/sriov-sysfs.md#xe-sriov_admin): the bracketed word is what to write back.
      const previous = current.match(/\[(\w+)\]/)?.[1] ?? current;
      io.undo(`set ${w.attribute} of ${device} back to ${previous}`, (u) =>
        u.write(w.path, previous, { ...file, value: previous }),
      );
    }
  };
  return [
    { step, op, phase: 'give-back', run: apply(true) },
    { step, op, phase: 'take', run: apply(false) },
  ];
}

export function checkProvision(
  ctx: CheckContext,
  step: Extract<HelperStep, { op: 'provision' }>,
  index: number,
): Action[] {
  // Every VF slot exists whether the VF is enabled or not (docs/sriov-sysfs.md#i915-pf-and-vf-nodes, #xe-sriov_admin), so a share can be set first.
  const vf = findVf(ctx, step.vf, index);
  nameOnce(ctx, `share of ${step.vf}`, index);
  const writes = settingWrites(ctx, vf.pf, `vf${vf.index}`, step.settings, VF_SETTING_ATTRIBUTES, index);
  const home = readSriovHome(ctx.files, vf.pf.at);
  const auto = home?.kind === 'i915' ? fileIn(ctx.files, `${home.dir}/pf/auto_provisioning`, vf.pf.at) : null;
  return settingActions(index, 'provision', step.vf, writes, auto);
}

export function checkPfSpare(
  ctx: CheckContext,
  step: Extract<HelperStep, { op: 'set-pf-spare' }>,
  index: number,
): Action[] {
  const { pf } = findPf(ctx, step.pf, index);
  nameOnce(ctx, `spare of ${step.pf}`, index);
  const writes = settingWrites(ctx, pf, 'pf', step.settings, PF_SETTING_ATTRIBUTES, index);
  return settingActions(index, 'set-pf-spare', step.pf, writes, null);
}
