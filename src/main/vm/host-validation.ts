/**
 * What a VM asks of this host, checked against what the host has: the GPU function it names, the
 * vGPU type, the display the GPU can feed, the monitor, host CPUs and hugepage pools. Pure: the
 * facts come in, field issues (as zod paths) come out, so the editor shows each at its field.
 * Rules that hold on any host are in the schema (src/shared/vm-spec.ts `checkConfig`).
 */
import type { Gpu, GpuInventory } from '../../shared/gpu-inventory';
import { findConnectors, type DrmConnector } from '../../shared/host-displays';
import type { HostFacts } from '../../shared/host-report';
import { capabilityNotes, type QemuCapabilities } from '../../shared/qemu-capabilities';
import type { VmSpec } from '../../shared/vm-spec';
import type { FieldIssue } from './preflight';

export interface VmHostFacts {
  inventory: GpuInventory;
  connectors: DrmConnector[];
  /** Null when the QEMU cannot be asked (missing); QEMU_MISSING is reported when the VM starts. */
  capabilities: QemuCapabilities | null;
  hugepages: HostFacts['hugepages'];
  /** CPUs of this machine, where QEMU runs. */
  hostCpus: number;
  /** The TPM emulator on this machine; null when it is not installed. */
  swtpm: string | null;
}

const HUGEPAGE_KIB = { '2M': 2048, '1G': 1024 * 1024 } as const;

function gpuList(inventory: GpuInventory): string {
  return inventory.gpus.length === 0
    ? 'this host has no Intel GPU'
    : `GPUs here: ${inventory.gpus.map((g) => `${g.address} (${g.name})`).join(', ')}`;
}

function findGpu(
  inventory: GpuInventory,
  address: string,
  field: FieldIssue['path'],
  issues: FieldIssue[],
): Gpu | undefined {
  const gpu = inventory.gpus.find((g) => g.address === address);
  if (!gpu) {
    const vfOf = inventory.gpus.find((g) => g.vfs.some((v) => v.address === address));
    issues.push({
      path: field,
      message: vfOf
        ? `${address} is a VF of ${vfOf.address}, not a GPU: name the GPU ${vfOf.address}`
        : `no Intel GPU at ${address} (${gpuList(inventory)})`,
    });
  }
  return gpu;
}

function gpuIssues(spec: VmSpec, inventory: GpuInventory): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const { gpu } = spec;
  if (gpu.kind === 'vf') {
    const pf = findGpu(inventory, gpu.pf, ['gpu', 'pf'], issues);
    if (!pf) return issues;
    if (!pf.sriov || pf.sriov.totalVfs === 0) {
      issues.push({
        path: ['gpu', 'pf'],
        message: `${pf.name} at ${pf.address} is not SR-IOV capable with its driver ${pf.driver ?? '(none)'}${pf.sriov ? ' (sriov_totalvfs is 0)' : ''}: see the Host page for what it needs`,
      });
    } else if (gpu.vf !== undefined) {
      if (!pf.vfs.some((v) => v.address === gpu.vf)) {
        const now = pf.vfs.map((v) => v.address);
        issues.push({
          path: ['gpu', 'vf'],
          message: `${gpu.vf} is not a VF of ${pf.address} (${now.length > 0 ? `its VFs now: ${now.join(', ')}` : 'it has no VFs enabled'}): enable VFs on the GPU page`,
        });
      }
    } else if (pf.vfs.length === 0) {
      issues.push({
        path: ['gpu', 'pf'],
        message: `${pf.name} at ${pf.address} has no VFs enabled, so there is none to pick: enable VFs on the GPU page`,
      });
    }
  }
  if (gpu.kind === 'mdev') {
    const parent = findGpu(inventory, gpu.parent, ['gpu', 'parent'], issues);
    if (!parent) return issues;
    const type = parent.mdevTypes.find((t) => t.id === gpu.type);
    if (parent.mdevTypes.length === 0) {
      issues.push({
        path: ['gpu', 'parent'],
        message: `${parent.name} at ${parent.address} offers no GVT-g vGPUs (it needs i915.enable_gvt=1 and kvmgt, and a GPU before Ice Lake): see the Host page`,
      });
    } else if (!type) {
      issues.push({
        path: ['gpu', 'type'],
        message: `${parent.address} has no vGPU type ${gpu.type} (types: ${parent.mdevTypes.map((t) => t.id).join(', ')})`,
      });
    } else if (type.availableInstances === 0) {
      issues.push({
        path: ['gpu', 'type'],
        message: `no ${gpu.type} vGPU is free on ${parent.address} (available_instances is 0): remove a vGPU on the GPU page or choose a smaller type`,
      });
    }
  }
  if (gpu.kind === 'passthrough') {
    const device = findGpu(inventory, gpu.device, ['gpu', 'device'], issues);
    if (device?.sriov && device.sriov.numVfs > 0) {
      issues.push({
        path: ['gpu', 'device'],
        message: `${device.address} has ${device.sriov.numVfs} VFs enabled: set its VFs to 0 on the GPU page before giving the whole GPU to a VM`,
      });
    }
  }
  return issues;
}

/** The render node a GPU guest's console goes through: the PF's (docs/sriov-sysfs.md#i915-sr-iov-directory DRM nodes). */
function renderNodeOf(spec: VmSpec, inventory: GpuInventory): string | null | undefined {
  const address =
    spec.gpu.kind === 'vf' ? spec.gpu.pf : spec.gpu.kind === 'mdev' ? spec.gpu.parent : undefined;
  if (address === undefined) return undefined;
  return inventory.gpus.find((g) => g.address === address)?.drmRender ?? null;
}

function displayIssues(spec: VmSpec, facts: VmHostFacts): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const { display } = spec;
  if (facts.capabilities) {
    for (const note of capabilityNotes(facts.capabilities, spec)) {
      if (note.severity === 'blocker') issues.push({ path: [note.field], message: note.message });
    }
  }
  const node = renderNodeOf(spec, facts.inventory);
  if ((display.kind === 'vnc' || display.kind === 'spice') && node === null) {
    const kind = spec.gpu.kind === 'vf' ? 'VF' : 'vGPU';
    issues.push({
      path: ['display'],
      message: `the console of a ${kind} guest renders its frames on the GPU's render node (egl-headless), and the GPU has none: bind the GPU to its host driver, or choose a local window or none`,
    });
  }
  if (display.kind === 'local') {
    // A GPU the VM takes whole takes its monitors with it; QEMU's window needs another's.
    const takenAway = spec.gpu.kind === 'passthrough' ? spec.gpu.device : null;
    const connected = facts.connectors.filter((c) => c.status === 'connected' && c.device !== takenAway);
    const describe = (c: DrmConnector) => `${c.card}-${c.name}`;
    if (display.monitor === null) {
      if (connected.length === 0) {
        issues.push({
          path: ['display'],
          message:
            takenAway === null
              ? 'no monitor is connected to this host, so a window on it shows nobody anything: choose VNC, SPICE or none'
              : `every monitor of this host hangs on ${takenAway}, which the VM takes whole: its guest shows on them itself, so choose VNC, SPICE or none`,
        });
      }
    } else {
      const found = findConnectors(facts.connectors, display.monitor);
      const all = facts.connectors.map((c) => `${describe(c)} (${c.status})`).join(', ');
      if (found.length === 0) {
        issues.push({
          path: ['display', 'monitor'],
          message: `this host has no connector ${display.monitor} (${all === '' ? 'it has no display connectors' : `connectors: ${all}`})`,
        });
      } else if (found.length > 1) {
        issues.push({
          path: ['display', 'monitor'],
          message: `${display.monitor} names connectors of several cards: write ${found.map(describe).join(' or ')}`,
        });
      } else if (found[0]?.device === takenAway) {
        issues.push({
          path: ['display', 'monitor'],
          message: `${display.monitor} hangs on ${takenAway}, which the VM takes whole: the guest shows there itself`,
        });
      } else if (found[0]?.status !== 'connected') {
        issues.push({
          path: ['display', 'monitor'],
          message: `no monitor is connected to ${display.monitor}${connected.length > 0 ? ` (connected: ${connected.map(describe).join(', ')})` : ''}`,
        });
      }
    }
  }
  return issues;
}

function platformIssues(spec: VmSpec, facts: VmHostFacts): FieldIssue[] {
  const issues: FieldIssue[] = [];
  spec.cpuPinning.forEach((cpu, i) => {
    if (cpu >= facts.hostCpus) {
      issues.push({
        path: ['cpuPinning', i],
        message: `host CPU ${cpu} does not exist: this machine has CPUs 0 to ${facts.hostCpus - 1}`,
      });
    }
  });
  if (spec.tpm && facts.swtpm === null) {
    issues.push({
      path: ['tpm'],
      message: 'a TPM needs swtpm, which is not installed: install the Debian package swtpm',
    });
  }
  const { hugepages } = spec.memoryBacking;
  if (hugepages !== 'off') {
    const pools = facts.hugepages ?? [];
    if (!pools.some((p) => p.sizeKiB === HUGEPAGE_KIB[hugepages])) {
      const sizes = pools.map((p) =>
        p.sizeKiB >= 1048576 ? `${p.sizeKiB / 1048576}G` : `${p.sizeKiB / 1024}M`,
      );
      issues.push({
        path: ['memoryBacking', 'hugepages'],
        message: `this host has no ${hugepages} hugepage pool (${sizes.length > 0 ? `pools: ${sizes.join(', ')}` : 'it has no hugepage pools'})`,
      });
    }
  }
  return issues;
}

/** Everything about this host that keeps the VM from running as its spec says. */
export function findHostProblems(spec: VmSpec, facts: VmHostFacts): FieldIssue[] {
  return [...gpuIssues(spec, facts.inventory), ...displayIssues(spec, facts), ...platformIssues(spec, facts)];
}
