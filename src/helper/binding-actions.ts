/**
 * `bind` and `grant-vfio`: moving a PF or VF between vfio-pci and the host's GPU driver the way
 * libvirt does it (docs/sriov-sysfs.md#driver-binding: `driver_override`, unbind, `drivers_probe`), and handing the
 * IOMMU group's node to the user (docs/sriov-sysfs.md#vfio-device-nodes, #unprivileged-qemu-with-vfio).
 */
import path from 'node:path';
import type { HelperStep } from '../shared/helper-plan';
import { isBdf } from '../shared/pci-address';
import type { Action, ActionIo, CheckContext } from './actions';
import { PCI_DRIVERS, deviceDir, readDriver, readPci, type PciFacts } from './device-facts';
import { HelperFailure } from './helper-failure';
import { fileIn, type HostFiles } from './host-files';
import { findMdev } from './mdev-actions';
import { findPf, findVf, nameOnce, requireUnused, requireVfExists } from './targets';

export const VFIO_PCI = 'vfio-pci';
const HOST_GPU_DRIVERS = ['i915', 'xe'];
const DRIVERS_PROBE = '/sys/bus/pci/drivers_probe';

function mustFile(io: ActionIo, hostPath: string, dir: string): string {
  return (
    fileIn(io.files, hostPath, dir) ?? io.fail('BAD_TARGET', `${hostPath} is not where the kernel keeps it`)
  );
}

/**
 * Put a device on `target` (null: no driver), libvirt's way (docs/sriov-sysfs.md#driver-binding): the override first, then
 * unbind, then `drivers_probe`, which attaches the override's driver even to a VF whose PF has
 * autoprobe off. `drivers_probe` answers success when no driver took the device, so the result is
 * read back.
 */
export function moveDevice(
  io: ActionIo,
  address: string,
  target: string | null,
  override: string,
  known?: PciFacts,
): void {
  const fn = known ?? readPci(io.files, address) ?? io.fail('BAD_TARGET', `${address} is gone`);
  if (fn.driver === target && (fn.override ?? '\n') === override) return;
  io.write(mustFile(io, `${fn.at}/driver_override`, fn.at), override, {
    kind: 'driver_override',
    device: address,
  });
  if (fn.driver !== null && fn.driver !== target) {
    const driverDir = `${PCI_DRIVERS}/${fn.driver}`;
    io.write(mustFile(io, `${driverDir}/unbind`, driverDir), address, {
      kind: 'unbind',
      device: address,
      driver: fn.driver,
    });
  }
  if (target === null || readDriver(io.files, fn.at) === target) return;
  io.write(mustFile(io, DRIVERS_PROBE, '/sys/bus/pci'), address, { kind: 'drivers_probe', device: address });
  const now = readDriver(io.files, fn.at);
  if (now !== target) {
    io.fail(
      'BUSY',
      `${target} did not take ${address} (it is ${now === null ? 'unbound' : `on ${now}`}); the kernel log (dmesg) says why`,
    );
  }
}

/** How to put a device back as it was; registered before the first write, so a half move is undone too. */
export function undoMove(io: ActionIo, before: PciFacts): void {
  io.undo(`put ${before.address} back on ${before.driver ?? 'no driver'}`, (u) =>
    moveDevice(u, before.address, before.driver, before.override ?? '\n'),
  );
}

function hostDriverFor(ctx: CheckContext, pf: PciFacts, step: number): string {
  const predicted = ctx.prediction.drivers.get(pf.address);
  const current = predicted === undefined ? pf.driver : predicted;
  if (current !== null && HOST_GPU_DRIVERS.includes(current)) return current;
  const loaded = HOST_GPU_DRIVERS.find((d) => ctx.files.real(`${PCI_DRIVERS}/${d}/bind`) !== null);
  if (loaded === undefined)
    throw new HelperFailure('BAD_TARGET', 'no host GPU driver is loaded (modprobe i915 or xe)', step);
  return loaded;
}

export function checkBind(
  ctx: CheckContext,
  step: Extract<HelperStep, { op: 'bind' }>,
  index: number,
): Action {
  const { device, driver } = step;
  const fn = readPci(ctx.files, device);
  const isPf = fn !== null && fn.pfAt === null && !fn.strayVf;
  const pfTarget = isPf ? findPf(ctx, device, index) : null;
  const vfTarget = isPf ? null : findVf(ctx, device, index);
  const pf = pfTarget?.pf ?? vfTarget?.pf;
  if (pf === undefined) throw new HelperFailure('BAD_TARGET', `there is no device ${device}`, index);
  if (vfTarget) requireVfExists(ctx, vfTarget, index);
  nameOnce(ctx, `bind ${device}`, index);
  const target = driver === VFIO_PCI ? VFIO_PCI : driver === 'none' ? null : hostDriverFor(ctx, pf, index);
  // docs/sriov-sysfs.md#driver-binding: with autoprobe off a VF binds only through an override naming its driver; a PF clears
  // it, and so does a device left on no driver (no later probe should pick one for it).
  const override = target === VFIO_PCI ? VFIO_PCI : target === null || isPf ? '\n' : target;
  const now = vfTarget ? vfTarget.now : fn;
  if (driver === VFIO_PCI) {
    if (ctx.files.real(`${PCI_DRIVERS}/${VFIO_PCI}/bind`) === null)
      throw new HelperFailure('BAD_TARGET', 'vfio-pci is not loaded: sudo modprobe vfio-pci', index);
    const group = now !== null ? now.iommuGroup : pf.iommuGroup;
    if (group === null)
      throw new HelperFailure(
        'BAD_TARGET',
        `${device} has no IOMMU group, and vfio-pci needs one: turn the IOMMU on (intel_iommu=on)`,
        index,
      );
    const vfs = isPf && pfTarget?.sriov ? ctx.sriovAfter(pf.at, pfTarget.sriov) : 0;
    if (vfs > 0)
      throw new HelperFailure(
        'BAD_TARGET',
        `${device} will have ${vfs} VFs, and vfio-pci refuses a PF with SR-IOV enabled: set its VF count to 0 in the same plan`,
        index,
      );
  }
  if (
    isPf &&
    fn !== null &&
    fn.driver !== null &&
    HOST_GPU_DRIVERS.includes(fn.driver) &&
    fn.driver !== target
  ) {
    if (step.takeHostDisplay !== true)
      throw new HelperFailure(
        'HOST_DISPLAY',
        `${device} runs on the host's GPU driver (${fn.driver}) and may drive the host's display; taking it blanks every screen on it. Say takeHostDisplay: true to do it anyway`,
        index,
      );
  }
  if (now !== null && now.driver !== null && now.driver !== target)
    requireUnused(ctx, now.iommuGroup, device, index);
  if (now !== null && now.driver !== target) {
    if (fileIn(ctx.files, `${now.at}/driver_override`, now.at) === null)
      throw new HelperFailure('BAD_TARGET', `${device}/driver_override is not the device's own file`, index);
  }
  ctx.prediction.drivers.set(device, target);
  return {
    step: index,
    op: 'bind',
    phase: isPf ? 'bind-pf' : 'bind-vf',
    run(io) {
      const before = readPci(io.files, device) ?? io.fail('BAD_TARGET', `${device} does not exist`);
      if (before.driver === target && (before.override ?? '\n') === override) return;
      undoMove(io, before);
      moveDevice(io, device, target, override, before);
    },
  };
}

/** The IOMMU group a grant is about: a PCI function's, or a vGPU's emulated one (docs/sriov-sysfs.md#gvt-g-instances). */
function groupOf(files: HostFiles, device: string): { group: number | null; at: string | null } {
  const at = isBdf(device) ? deviceDir(files, device) : files.real(`/sys/bus/mdev/devices/${device}`);
  if (at === null) return { group: null, at: null };
  const group = files.inside(`${at}/iommu_group`, '/sys/kernel/iommu_groups');
  return { group: group === null ? null : Number(path.posix.basename(group)), at };
}

export function checkGrant(
  ctx: CheckContext,
  step: Extract<HelperStep, { op: 'grant-vfio' }>,
  index: number,
): Action {
  const { device } = step;
  if (isBdf(device)) {
    const fn = readPci(ctx.files, device);
    if (fn === null || fn.pfAt !== null || fn.strayVf)
      requireVfExists(ctx, findVf(ctx, device, index), index);
    else findPf(ctx, device, index);
    const predicted = ctx.prediction.drivers.get(device);
    const driver = predicted === undefined ? (fn?.driver ?? null) : predicted;
    if (driver !== VFIO_PCI)
      throw new HelperFailure('BAD_TARGET', `${device} is not on vfio-pci; bind it to vfio-pci first`, index);
  } else if (!ctx.prediction.createdMdevs.has(device)) {
    findMdev(ctx, device, index);
    if (ctx.prediction.removedMdevs.has(device))
      throw new HelperFailure('BAD_PLAN', `the plan removes vGPU ${device} before granting it`, index);
  }
  nameOnce(ctx, `grant ${device}`, index);
  return {
    step: index,
    op: 'grant-vfio',
    phase: 'grant-vfio',
    run(io) {
      const { group } = groupOf(io.files, device);
      if (group === null) return io.fail('BAD_TARGET', `${device} has no IOMMU group`);
      // docs/sriov-sysfs.md#vfio-device-nodes: a group is usable only when every device in it is on vfio or unbound.
      for (const member of io.files.list(`/sys/kernel/iommu_groups/${group}/devices`)) {
        const other = isBdf(member) ? readPci(io.files, member) : null;
        if (other?.driver && other.driver !== VFIO_PCI)
          io.fail(
            'BUSY',
            `group ${group} is not viable: ${member} is on ${other.driver}; put it on vfio-pci too`,
          );
      }
      const node = `/dev/vfio/${group}`;
      if (fileIn(io.files, node, '/dev/vfio') === null)
        io.fail('BAD_TARGET', `${node} is missing or not a vfio node`);
      const owner = io.files.ownerOf(node);
      if (owner === null || owner === ctx.callerUid) return;
      io.chown(node, ctx.callerUid, { kind: 'vfio_node', node });
      io.undo(`give ${node} back to uid ${owner}`, (u) => u.chown(node, owner, { kind: 'vfio_node', node }));
    },
  };
}
