import fs from 'node:fs';
import type { HostFacts } from '../../shared/host-report';
import type { HostReader } from '../fsutil/host-reader';

export type KernelFacts = Pick<
  HostFacts,
  'cmdline' | 'modules' | 'iommu' | 'vfioDriver' | 'devVfio' | 'hugepages' | 'kvmIgnoreMsrs'
>;

/** Module names from /proc/modules: the first field of each line (kernel/module/procfs.c). */
export function parseProcModules(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.split(' ', 1)[0] ?? '')
    .filter(Boolean);
}

/**
 * `key=value` (or a bare `key`) from a kernel command line; the last occurrence wins, as the
 * kernel's module parameter parsing does. Arguments after `--` belong to init, not the kernel.
 */
export function kernelParam(cmdline: string | null, key: string): string | undefined {
  if (cmdline === null) return undefined;
  let found: string | undefined;
  for (const word of cmdline.split(/\s+/)) {
    if (word === '--') break;
    if (word === key) found = '';
    else if (word.startsWith(`${key}=`)) found = word.slice(key.length + 1);
  }
  return found;
}

/** Kernel state from the host root: command line, modules, IOMMU, vfio nodes, hugepage pools. */
export function readKernelFacts(reader: HostReader): KernelFacts {
  const modules = reader.text('/proc/modules', { required: true });
  // docs/sriov-sysfs.md#iommu-groups: an IOMMU is on when /sys/class/iommu has units (the xpumanager precheck's test).
  const iommuUnits = reader.root.readDir('/sys/class/iommu');
  if (!iommuUnits.ok) reader.report({ path: iommuUnits.path, reason: iommuUnits.reason });
  const devVfio = reader.list('/dev/vfio').filter((e) => e !== 'devices');
  return {
    cmdline: reader.text('/proc/cmdline', { required: true }),
    modules: modules === null ? null : parseProcModules(modules),
    iommu: iommuUnits.ok
      ? { units: iommuUnits.value, groups: reader.list('/sys/kernel/iommu_groups').length }
      : null,
    vfioDriver: reader.exists('/sys/bus/pci/drivers/vfio-pci'),
    devVfio: devVfio.map((name) => {
      const node = `/dev/vfio/${name}`;
      return { node, readWrite: reader.root.access(node, fs.constants.R_OK | fs.constants.W_OK).ok };
    }),
    hugepages: readHugepagePools(reader),
    kvmIgnoreMsrs: readBoolParameter(reader.text('/sys/module/kvm/parameters/ignore_msrs')),
  };
}

/** A module's bool parameter as sysfs prints it: `Y`/`N` (kernel/params.c param_get_bool). */
function readBoolParameter(text: string | null): boolean | null {
  if (text === 'Y') return true;
  if (text === 'N') return false;
  return null;
}

/** Pools by page size: Documentation/admin-guide/mm/hugetlbpage.rst (not part of the GPU reference). */
export function readHugepagePools(reader: HostReader): HostFacts['hugepages'] {
  const pools = reader.root.readDir('/sys/kernel/mm/hugepages');
  if (!pools.ok) return null;
  return pools.value.flatMap((entry) => {
    const size = /^hugepages-(\d+)kB$/.exec(entry)?.[1];
    if (size === undefined) return [];
    const dir = `/sys/kernel/mm/hugepages/${entry}`;
    return [
      {
        sizeKiB: Number(size),
        total: reader.int(`${dir}/nr_hugepages`) ?? 0,
        free: reader.int(`${dir}/free_hugepages`) ?? 0,
      },
    ];
  });
}
