import { cpuVirtualizationCheck, devKvmCheck, kvmCheck } from './kvm-checks';
import type { GpuInventory } from '../../../shared/gpu-inventory';
import type { CheckStatus, DoctorCheck, DoctorReport, HostFacts } from '../../../shared/host-report';
import { makeCheck } from './check';
import {
  autoprobeCheck,
  driverCheck,
  gpuCheck,
  gpuContext,
  gucCheck,
  gvtCheck,
  sriovCheck,
  vfioAccessCheck,
} from './gpu-checks';
import {
  hugepagesCheck,
  ignoreMsrsCheck,
  iommuCheck,
  memlockCheck,
  ovmfCheck,
  qemuCheck,
  swtpmCheck,
  vfioCheck,
} from './platform-checks';

export interface DoctorInput {
  facts: HostFacts;
  inventory: GpuInventory;
  /** Memory of the largest defined VM, for the locked-memory rule; null when there is none. */
  largestGuestMiB: number | null;
}

const SEVERITY: Record<CheckStatus, number> = { pass: 0, warn: 1, unknown: 2, fail: 3 };

/** Whether guests can run under KVM here (kvm-checks.ts): not part of the split verdict. */
const ACCELERATOR_CHECKS: ReadonlySet<string> = new Set(['cpu-flags', 'dev-kvm', 'kvm']);

/** Checks that need a GPU, stated once when there is none (the `gpu` check says why). */
const GPU_CHECKS = [
  ['driver', 'GPU driver'],
  ['sriov', 'SR-IOV'],
  ['guc', 'GuC firmware'],
  ['gvt', 'GVT-g'],
  ['autoprobe', 'VF autoprobe'],
  ['vfio-access', 'VFIO groups'],
] as const;

/** Every check, in the order a user fixes things: hardware and kernel, then the GPU, then programs. */
export function runDoctor(input: DoctorInput): Omit<DoctorReport, 'host' | 'facts' | 'unreadable'> {
  const { facts, inventory } = input;
  const ctx = gpuContext(inventory);
  const gpuChecks: DoctorCheck[] = ctx
    ? [
        driverCheck(ctx),
        sriovCheck(ctx, facts),
        gucCheck(ctx, facts),
        gvtCheck(ctx, facts),
        autoprobeCheck(ctx),
        vfioAccessCheck(ctx, facts),
      ]
    : GPU_CHECKS.map(([id, title]) =>
        makeCheck(id, title, 'host-root', {
          status: 'unknown',
          applies: false,
          summary: 'No Intel GPU to check.',
        }),
      );
  const checks: DoctorCheck[] = [
    cpuVirtualizationCheck(facts),
    devKvmCheck(facts),
    kvmCheck(facts),
    ignoreMsrsCheck(facts),
    iommuCheck(facts),
    vfioCheck(facts),
    gpuCheck(inventory, ctx),
    ...gpuChecks,
    qemuCheck(facts),
    ovmfCheck(facts),
    swtpmCheck(facts),
    hugepagesCheck(facts),
    memlockCheck(facts.memlock, input.largestGuestMiB),
  ];
  // The verdict answers "can this host split its GPU?". Whether guests run under KVM or in
  // software does not change that (they are slow, not impossible): those checks are listed with
  // their fixes and count for the exit code, not for the verdict. On a simulated host they are
  // this machine's, not the simulated one's.
  const applying = checks.filter((c) => c.applies && !ACCELERATOR_CHECKS.has(c.id));
  const status = applying.reduce<CheckStatus>(
    (worst, c) => (SEVERITY[c.status] > SEVERITY[worst] ? c.status : worst),
    'pass',
  );
  const failing = applying.filter((c) => c.status === 'fail').map((c) => c.id);
  const unknown = applying.filter((c) => c.status === 'unknown').map((c) => c.id);
  let summary: string;
  if (!ctx) summary = 'No Intel GPU here: there is nothing to split.';
  else if (failing.length > 0) summary = `Not ready to split the GPU: fix ${failing.join(', ')}.`;
  else {
    const { gpu, mode } = ctx;
    const how =
      mode === 'gvt'
        ? `into GVT-g vGPUs (${gpu.mdevTypes.length} types)`
        : mode === 'sriov'
          ? `into ${gpu.sriov?.totalVfs ?? '?'} SR-IOV VFs`
          : 'in a way Tessera does not know';
    const pending = unknown.length > 0 ? ` (still unknown: ${unknown.join(', ')})` : '';
    summary = `Ready: ${gpu.name} at ${gpu.address} can be split ${how}${pending}.`;
  }
  return { verdict: { status, summary }, checks };
}
