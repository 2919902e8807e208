import path from 'node:path';
import type { MdevResources, MdevType } from '../../shared/gpu-inventory';
import type { HostReader } from '../fsutil/host-reader';

/**
 * The five-line `description` of a GVT-g type (docs/sriov-sysfs.md#gvt-g-types, `intel_vgpu_show_description`):
 * `low_gm_size: %dMB`, `high_gm_size: %dMB`, `fence: %d`, `resolution: %s`, `weight: %d`.
 */
export function parseMdevDescription(text: string): MdevResources | null {
  const fields = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^(\w+): (.+)$/.exec(line.trim());
    if (match?.[1] && match[2]) fields.set(match[1], match[2]);
  }
  const mib = (key: string) => /^(\d+)MB$/.exec(fields.get(key) ?? '')?.[1];
  const int = (key: string) => /^(\d+)$/.exec(fields.get(key) ?? '')?.[1];
  const low = mib('low_gm_size');
  const high = mib('high_gm_size');
  const fence = int('fence');
  const weight = int('weight');
  const resolution = fields.get('resolution');
  if (!low || !high || !fence || !weight || !resolution || !/^\d+x\d+$/.test(resolution)) return null;
  return {
    lowGmSizeMiB: Number(low),
    highGmSizeMiB: Number(high),
    fence: Number(fence),
    resolution,
    weight: Number(weight),
  };
}

export interface MdevInventory {
  types: MdevType[];
  instances: { uuid: string; type: string | null; iommuGroup: number | null; usedBy: null }[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Types under `mdev_supported_types/` (docs/sriov-sysfs.md#gvt-g-types) and their instances, found through each type's `devices/` (docs/sriov-sysfs.md#gvt-g-instances). */
export function readMdev(reader: HostReader, deviceDir: string): MdevInventory {
  const typesDir = `${deviceDir}/mdev_supported_types`;
  const types: MdevType[] = [];
  const instances: MdevInventory['instances'] = [];
  for (const id of reader.list(typesDir)) {
    const dir = `${typesDir}/${id}`;
    const description = reader.text(`${dir}/description`);
    const resources = description === null ? null : parseMdevDescription(description);
    if (description !== null && resources === null) {
      reader.unexpected(`${dir}/description`, description, 'the five GVT-g lines (low_gm_size … weight)');
    }
    const uuids = reader.list(`${dir}/devices`).filter((e) => UUID.test(e));
    types.push({
      id,
      name: reader.text(`${dir}/name`),
      description,
      resources,
      availableInstances: reader.int(`${dir}/available_instances`),
      deviceApi: reader.text(`${dir}/device_api`),
      instances: uuids,
    });
    for (const uuid of uuids) {
      const at = reader.resolve(`${dir}/devices/${uuid}`);
      const group = at === null ? null : reader.linkName(`${at}/iommu_group`);
      instances.push({
        uuid,
        type: at === null ? null : (reader.linkName(`${at}/mdev_type`) ?? path.posix.basename(dir)),
        iommuGroup: group === null ? null : Number(group),
        // No VM can hold a vGPU before VMs get GPU settings (issue 6); null is the truth until then.
        usedBy: null,
      });
    }
  }
  return { types, instances };
}
