import fs from 'node:fs';
import path from 'node:path';
import type { HostSnapshot } from '../../shared/run-record';
import type { VmSpec } from '../../shared/vm-spec';
import type { GpuService } from '../gpu';
import type { HostService } from '../host';
import { packageRoot } from '../fsutil/package-root';
import type { VmService } from '../vm';

export interface SnapshotSources {
  host: Pick<HostService, 'identity' | 'info' | 'runFacts'>;
  gpu: Pick<GpuService, 'inventory'>;
  vms: Pick<VmService, 'get'>;
}

let version: string | undefined;
export function tesseraVersion(): string {
  version ??= (
    JSON.parse(fs.readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string }
  ).version;
  return version;
}

/** The argv QEMU really runs with, from /proc (on a simulated host: with a virtual GPU in the slice's place). */
function runningArgv(pid: number | undefined): string[] | null {
  if (pid === undefined) return null;
  try {
    const raw = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return raw.split('\0').filter((a, i, all) => a !== '' || i < all.length - 1);
  } catch {
    return null;
  }
}

/** The host, Tessera and the VM as they are now, through the host, gpu and vm services. */
export async function takeHostSnapshot(
  sources: SnapshotSources,
  vmId: string,
  variant?: (spec: VmSpec) => VmSpec,
): Promise<HostSnapshot> {
  const inventory = sources.gpu.inventory();
  const drivers = [...new Set(inventory.gpus.flatMap((g) => (g.driver ? [g.driver] : [])))];
  const facts = sources.host.runFacts(drivers);
  const vm = await sources.vms.get(vmId);
  const info = await sources.host.info();
  let provisioning: NonNullable<HostSnapshot['lease']>['provisioning'] = null;
  if (vm.gpuLease?.kind === 'vf') {
    const device = vm.gpuLease.device;
    for (const gpu of inventory.gpus) {
      const vf = gpu.vfs.find((v) => v.address === device);
      const slot = vf && gpu.provisioning?.slots.find((s) => s.function === `vf${vf.index}`);
      if (slot) provisioning = slot.values;
    }
  }
  return {
    takenAt: new Date().toISOString(),
    host: sources.host.identity(),
    kernelRelease: facts.kernelRelease,
    kernelCmdline: facts.kernelCmdline,
    gpus: inventory.gpus.map((g) => ({
      address: g.address,
      name: g.name,
      platform: g.platform,
      driver: g.driver,
      moduleVersion: g.driver
        ? (facts.moduleVersions[g.driver] ?? { unreadable: 'not read' })
        : { unreadable: 'no driver bound' },
      guc: g.guc,
      huc: g.huc,
    })),
    lease: vm.gpuLease ? { ...vm.gpuLease, provisioning } : null,
    qemu:
      'error' in info.qemu
        ? {
            binary: 'qemu-system-x86_64',
            version: { unreadable: info.qemu.error },
            argv: runningArgv(vm.pid),
          }
        : { binary: info.qemu.path, version: { value: info.qemu.version }, argv: runningArgv(vm.pid) },
    tesseraVersion: tesseraVersion(),
    // What QEMU was started with: a matrix cell's run has a variant of the definition.
    vm: variant ? variant(vm.spec) : vm.spec,
    engineActivity: facts.engineActivity,
  };
}
