import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { GpuInventory } from '../../src/shared/gpu-inventory';
import type { DoctorReport, HostFacts } from '../../src/shared/host-report';
import { createHostReader } from '../../src/main/fsutil/host-reader';
import { createHostRoot, type HostFs } from '../../src/main/fsutil/host-root';
import { readGpuInventory } from '../../src/main/gpu/inventory';
import { buildHostTree } from '../../src/main/gpu/simulation/host-tree-builder';
import { findSimulatedHost } from '../../src/main/gpu/simulation/simulated-hosts';
import { readKernelFacts } from '../../src/main/host/kernel-facts';
import { runDoctor } from '../../src/main/host/doctor/doctor';

/** This machine's side of the facts, all in order, so reports do not depend on the test machine. */
export const MACHINE_IN_ORDER: Pick<
  HostFacts,
  'accelerator' | 'kvm' | 'qemu' | 'ovmf' | 'swtpm' | 'memlock'
> = {
  accelerator: { accelerator: 'kvm', reason: 'KVM ran the test guest in 180 ms' },
  kvm: {
    cpu: { virtualization: 'vmx', hypervisor: false },
    devKvm: { path: '/dev/kvm', access: 'read-write', detail: '/dev/kvm is readable and writable' },
    probe: { ok: true, reason: 'KVM ran the test guest in 180 ms', kvmMs: 180, tcgMs: null, cached: false },
  },
  qemu: { path: '/usr/bin/qemu-system-x86_64', version: '7.2.22' },
  ovmf: { ovmfCode: '/usr/share/OVMF/OVMF_CODE_4M.fd', ovmfVarsTemplate: '/usr/share/OVMF/OVMF_VARS_4M.fd' },
  swtpm: '/usr/bin/swtpm',
  memlock: { softBytes: null, hardBytes: null, capIpcLock: false },
};

export interface SimulatedRun {
  report: DoctorReport;
  inventory: GpuInventory;
  dir: string;
  cleanup(): void;
}

export interface SimulatedHostOptions {
  /** Break the tree after it is built; `at` maps a host path into it. */
  change?: (at: (hostPath: string) => string) => void;
  machine?: Partial<HostFacts>;
  hostFs?: HostFs;
  largestGuestMiB?: number | null;
}

/** Build simulated host `name` in a temp dir, let `change` break it, and read it as the backend would. */
export function readSimulatedHost(name: string, options: SimulatedHostOptions = {}): SimulatedRun {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-simhost-'));
  const host = findSimulatedHost(name);
  buildHostTree(host, dir);
  options.change?.((hostPath) => path.join(dir, hostPath));
  const root = createHostRoot(dir, options.hostFs);
  const identity = { root: '/simulated', simulated: { name: host.name, title: host.title } };
  const reader = createHostReader(root);
  const facts: HostFacts = { ...readKernelFacts(reader), ...MACHINE_IN_ORDER, ...options.machine };
  const inventory = readGpuInventory(root, identity);
  const report: DoctorReport = {
    host: identity,
    ...runDoctor({ facts, inventory, largestGuestMiB: options.largestGuestMiB ?? null }),
    facts,
    unreadable: [...reader.unreadable, ...inventory.unreadable],
  };
  return { report, inventory, dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
