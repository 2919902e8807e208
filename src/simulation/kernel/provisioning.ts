/**
 * i915 SR-IOV provisioning files (docs/sriov-sysfs.md#i915-pf-and-vf-nodes–docs/sriov-sysfs.md#i915-auto-provisioning) and xe's `sriov_admin` profiles (docs/sriov-sysfs.md#xe-sriov_admin) as
 * the drivers treat writes: parsers, limits against what `available/` shows, the pool of free
 * resources, and i915's auto-provisioning when VFs are enabled or disabled.
 */
import path from 'node:path';
import { fail, firstLine, kstrtobool, kstrtou } from './kernel-parse';
import type { SimTree } from './sim-tree';

/** i915 VF quota files, their parser width and the `available/` pool they draw from (docs/sriov-sysfs.md#i915-provisioning-files). */
const I915_QUOTAS: Record<string, { bits: number; pool: string }> = {
  ggtt_quota: { bits: 64, pool: 'ggtt' },
  lmem_quota: { bits: 64, pool: 'lmem' },
  contexts_quota: { bits: 16, pool: 'contexts' },
  doorbells_quota: { bits: 16, pool: 'doorbells' },
};
/** PF spares draw from the same pools; `contexts_quota`/`doorbells_quota` on the PF are deprecated aliases of the spares. */
const I915_SPARES: Record<string, { bits: number; pool: string; file: string }> = {
  ggtt_spare: { bits: 64, pool: 'ggtt', file: 'ggtt_spare' },
  lmem_spare: { bits: 64, pool: 'lmem', file: 'lmem_spare' },
  contexts_spare: { bits: 16, pool: 'contexts', file: 'contexts_spare' },
  doorbells_spare: { bits: 16, pool: 'doorbells', file: 'doorbells_spare' },
  contexts_quota: { bits: 16, pool: 'contexts', file: 'contexts_spare' },
  doorbells_quota: { bits: 16, pool: 'doorbells', file: 'doorbells_spare' },
};
const U32_ATTRIBUTES = ['exec_quantum_ms', 'preempt_timeout_us'];
/** GuC scheduling priorities: low, normal, high (GUC_KLV_VF_CFG_SCHED_PRIORITY_NUM_VALUES). */
const SCHED_PRIORITY_LEVELS = 3;
/** The GGTT of these GPUs spans 4 GiB; a quota beyond it is E2BIG (docs/sriov-sysfs.md#i915-provisioning-files). */
const GGTT_TOTAL_BYTES = 4n << 30n;
/**
 * docs/sriov-sysfs.md#i915-auto-provisioning says auto-provisioning aligns shares down without saying to what; 4 KiB (a GGTT page)
 * stands for it here, and 128 for contexts, which the reference gives.
 */
const ALIGN: Record<string, bigint> = { ggtt: 4096n, lmem: 4096n, contexts: 128n, doorbells: 1n };

const readNumber = (tree: SimTree, hostPath: string): bigint | null => {
  const text = tree.read(hostPath)?.trim();
  return text !== undefined && /^\d+$/.test(text) ? BigInt(text) : null;
};

/** `<home>` of the written path when it is inside an i915 SR-IOV home (docs/sriov-sysfs.md#i915-sr-iov-directory). */
export function i915HomeOf(hostPath: string): string | null {
  return hostPath.match(/^(.*\/drm\/card\d+\/(?:prelim_iov|iov))\//)?.[1] ?? null;
}

export function xeAdminOf(hostPath: string): string | null {
  return hostPath.match(/^(.*\/sriov_admin)\//)?.[1] ?? null;
}

function vfSlots(tree: SimTree, home: string): string[] {
  return tree.list(home).filter((e) => /^vf\d+$/.test(e));
}

/** A VF config is empty when none of its quotas holds anything (`intel_iov_provisioning_verify`, docs/sriov-sysfs.md#i915-auto-provisioning). */
function configEmpty(tree: SimTree, home: string, slot: string, gt: string): boolean {
  return Object.keys(I915_QUOTAS).every((q) => (readNumber(tree, `${home}/${slot}/${gt}/${q}`) ?? 0n) === 0n);
}

function gtsOf(tree: SimTree, home: string): string[] {
  return tree.list(`${home}/pf`).filter((e) => /^gt\d*$/.test(e));
}

function moveFromPool(tree: SimTree, available: string, pool: string, delta: bigint): void {
  const freeFile = `${available}/${pool}_free`;
  const free = readNumber(tree, freeFile);
  if (free === null) return; // a pool the driver does not show (no LMEM on an iGPU) is not tracked
  if (delta > free) fail('EDQUOT', `${delta} more ${pool} than the ${free} free`);
  tree.update(freeFile, `${free - delta}\n`);
}

/** A write inside an i915 SR-IOV home (docs/sriov-sysfs.md#i915-pf-and-vf-nodes, #i915-provisioning-files). */
export function storeI915(tree: SimTree, home: string, hostPath: string, value: string): void {
  const relative = hostPath.slice(home.length + 1).split('/');
  const [slot, second, third, fourth] = relative;
  if (slot === 'pf' && second === 'auto_provisioning' && relative.length === 2) {
    const on = kstrtobool(value);
    if (on) {
      const busy = gtsOf(tree, home).some((gt) =>
        vfSlots(tree, home).some((s) => !configEmpty(tree, home, s, gt)),
      );
      if (busy) fail('ESTALE', 'VF configs are not empty; auto-provisioning cannot take over');
    }
    tree.update(hostPath, on ? '1\n' : '0\n');
    return;
  }
  if (slot !== undefined && /^vf\d+$/.test(slot) && relative.length === 2) {
    if (second === 'id') fail('EIO', 'id is read-only');
    if (second === 'control') {
      if (!['stop', 'pause', 'resume', 'clear'].includes(firstLine(value)))
        fail('EINVAL', `unknown control ${value}`);
      return; // a command to the GuC; nothing in sysfs shows it
    }
  }
  if (slot === undefined || second === undefined || !/^gt\d*$/.test(second))
    return storePlain(tree, hostPath, value);
  const gt = second;
  const available = `${home}/pf/${gt}/available`;
  if (third === 'threshold' && fourth !== undefined && relative.length === 4) {
    tree.update(hostPath, `${kstrtou(value, 32)}\n`);
    return;
  }
  if (slot === 'pf' && third === 'policies' && fourth !== undefined && relative.length === 4) {
    const stored = fourth === 'sample_period_ms' ? kstrtou(value, 32) : kstrtobool(value) ? 1n : 0n;
    tree.update(hostPath, `${stored}\n`);
    return;
  }
  if (third === undefined || relative.length !== 3) return storePlain(tree, hostPath, value);
  if (U32_ATTRIBUTES.includes(third)) {
    tree.update(hostPath, `${kstrtou(value, 32)}\n`);
    return;
  }
  if (slot === 'pf' && third === 'sched_priority') {
    const level = kstrtou(value, 8);
    if (level >= BigInt(SCHED_PRIORITY_LEVELS))
      fail('EINVAL', `priority ${level} is not low, normal or high`);
    if (readNumber(tree, `${home}/pf/${gt}/policies/sched_if_idle`) === 1n)
      fail('EIO', 'sched_if_idle is set; per-function priorities do not apply');
    tree.update(hostPath, `${level}\n`);
    return;
  }
  const spare = slot === 'pf' ? I915_SPARES[third] : undefined;
  const quota = slot !== 'pf' ? I915_QUOTAS[third] : undefined;
  const rule = spare ?? quota;
  if (rule === undefined) return storePlain(tree, hostPath, value);
  // docs/sriov-sysfs.md#i915-provisioning-files: the media GT's GGTT quota is read-only (0444) and answers ENODEV.
  if (third === 'ggtt_quota' && !writable(tree, hostPath))
    fail('ENODEV', 'the GGTT belongs to the primary GT');
  const wanted = kstrtou(value, rule.bits);
  const target = spare ? `${home}/pf/${gt}/${spare.file}` : hostPath;
  const current = readNumber(tree, target) ?? 0n;
  if (third === 'ggtt_quota' && wanted > GGTT_TOTAL_BYTES)
    fail('E2BIG', `${wanted} is more than the whole GGTT`);
  const max = readNumber(tree, `${available}/${rule.pool}_max_quota`);
  if (quota && max !== null && wanted > max)
    fail('EDQUOT', `${wanted} is over the ${rule.pool} max quota ${max}`);
  moveFromPool(tree, available, rule.pool, wanted - current);
  tree.update(target, `${wanted}\n`);
  // "Writing a quota marks the configuration manual" (docs/sriov-sysfs.md#i915-provisioning-files); the auto_provisioning file shows it.
  if (quota) tree.update(`${home}/pf/auto_provisioning`, '0\n');
}

/**
 * On `sriov_numvfs = n` (docs/sriov-sysfs.md#i915-auto-provisioning): per GT, when VF1..n configs are empty and auto-provisioning is on,
 * each gets an equal share of what is free; otherwise the configs stay as they are.
 */
export function autoProvision(tree: SimTree, home: string, count: number): void {
  if (tree.read(`${home}/pf/auto_provisioning`)?.trim() !== '1') return;
  for (const gt of gtsOf(tree, home)) {
    const slots = Array.from({ length: count }, (_, i) => `vf${i + 1}`);
    if (!slots.every((s) => configEmpty(tree, home, s, gt))) continue;
    const available = `${home}/pf/${gt}/available`;
    for (const [file, rule] of Object.entries(I915_QUOTAS)) {
      const free = readNumber(tree, `${available}/${rule.pool}_free`);
      if (free === null || !tree.exists(`${home}/vf1/${gt}/${file}`)) continue;
      const align = ALIGN[rule.pool] ?? 1n;
      const share = (free / BigInt(count) / align) * align;
      for (const slot of slots) tree.update(`${home}/${slot}/${gt}/${file}`, `${share}\n`);
      tree.update(`${available}/${rule.pool}_free`, `${free - share * BigInt(count)}\n`);
    }
  }
}

/** On disable, auto-provisioned resources go back to the pool (docs/sriov-sysfs.md#i915-auto-provisioning); manual ones stay. */
export function releaseAutoProvisioned(tree: SimTree, home: string): void {
  if (tree.read(`${home}/pf/auto_provisioning`)?.trim() !== '1') return;
  for (const gt of gtsOf(tree, home)) {
    const available = `${home}/pf/${gt}/available`;
    for (const slot of vfSlots(tree, home)) {
      for (const [file, rule] of Object.entries(I915_QUOTAS)) {
        const held = readNumber(tree, `${home}/${slot}/${gt}/${file}`);
        if (held === null || held === 0n) continue;
        moveFromPool(tree, available, rule.pool, -held);
        tree.update(`${home}/${slot}/${gt}/${file}`, '0\n');
      }
    }
  }
}

const XE_PRIORITIES = ['low', 'normal', 'high'];

/** A write under xe's `sriov_admin` (docs/sriov-sysfs.md#xe-sriov_admin). */
export function storeXe(tree: SimTree, admin: string, hostPath: string, value: string): void {
  const relative = hostPath.slice(admin.length + 1).split('/');
  const [slot, second, third] = relative;
  const word = firstLine(value).trim();
  if (slot === '.bulk_profile' && second !== undefined && relative.length === 2) {
    // Write-only setters applied to the PF and every VF (sched_priority `high` is not offered to VFs).
    const targets = ['pf', ...vfSlots(tree, admin)];
    if (second === 'sched_priority') {
      if (!['low', 'normal'].includes(word)) fail('EINVAL', `${word} is not low or normal`);
      for (const t of targets) setChoice(tree, `${admin}/${t}/profile/sched_priority`, word);
      return;
    }
    const parsed = kstrtou(value, second === 'vram_quota' ? 64 : 32);
    for (const t of targets.filter((t) => t !== 'pf' || second !== 'vram_quota')) {
      const file = `${admin}/${t}/profile/${second}`;
      if (tree.exists(file)) tree.update(file, `${parsed}\n`);
    }
    return;
  }
  if (slot !== undefined && /^vf\d+$/.test(slot) && second === 'stop' && relative.length === 2) {
    kstrtobool(value);
    return; // stops the VF's scheduling until its FLR; nothing in sysfs shows it
  }
  if (second !== 'profile' || third === undefined || relative.length !== 3)
    return storePlain(tree, hostPath, value);
  if (U32_ATTRIBUTES.includes(third)) {
    tree.update(hostPath, `${kstrtou(value, 32)}\n`);
    return;
  }
  if (third === 'vram_quota' && slot !== 'pf') {
    tree.update(hostPath, `${kstrtou(value, 64)}\n`);
    return;
  }
  if (third === 'sched_priority' && slot === 'pf') {
    if (!XE_PRIORITIES.includes(word)) fail('EINVAL', `${word} is not low, normal or high`);
    setChoice(tree, hostPath, word);
    return;
  }
  storePlain(tree, hostPath, value);
}

/** `emit_choice` (docs/sriov-sysfs.md#xe-sriov_admin): the offered words with the active one in brackets. */
function setChoice(tree: SimTree, hostPath: string, word: string): void {
  const offered = (tree.read(hostPath) ?? '').replace(/[[\]]/g, '').trim().split(/\s+/);
  if (!offered.includes(word)) fail('EINVAL', `${word} is not offered here`);
  tree.update(hostPath, offered.map((w) => (w === word ? `[${w}]` : w)).join(' ') + '\n');
}

/** kernfs refuses to open a file without any write bit for writing, even for root (EACCES). */
export function writable(tree: SimTree, hostPath: string): boolean {
  return tree.modeOf(hostPath) !== null && ((tree.modeOf(hostPath) ?? 0) & 0o222) !== 0;
}

/** An attribute without a simulated meaning keeps what was written, if it may be written at all. */
export function storePlain(tree: SimTree, hostPath: string, value: string): void {
  if (!writable(tree, hostPath)) fail('EACCES', `${path.posix.basename(hostPath)} is not writable`);
  tree.update(hostPath, value);
}
