/**
 * VMs as KubeVirt VirtualMachines (kubevirt.io/v1, the API in KubeVirt's
 * api/openapi-spec/swagger.json, kept for the tests in tests/data/kubevirt-v1.9.0), with the
 * KubeVirt CR patch that lets them have their GPU, in the shape Intel's kubevirt-gfx-sriov
 * manifests use (`featureGates: [GPU, HostDevices]`, `permittedHostDevices`). Pure: specs and
 * what this host says about their GPUs in, multi-document YAML out, each document with a comment
 * naming what KubeVirt cannot express.
 */
import { Document } from 'yaml';
import type { GpuInventory } from '../../shared/gpu-inventory';
import type { KubevirtDiskSource } from '../../shared/vm-export';
import type { VmSpec } from '../../shared/vm-spec';
import type { GpuPlacement } from '../vm';

/** The device plugin resource Intel's SR-IOV manifests name for a GPU VF. */
export const SRIOV_RESOURCE = 'intel.com/sriov-gpudevice';

export interface KubevirtVm {
  spec: VmSpec;
  placement: GpuPlacement;
  /** `vendor:device` of the GPU function the VM gets (the VF, or the whole GPU), from this host. */
  pciId: string | null;
  /** A vGPU type's `name` as mdev_supported_types shows it (`GVTg_V5_4`), what mdevNameSelector matches. */
  mdevTypeName: string | null;
}

export interface KubevirtOptions {
  diskSource: KubevirtDiskSource;
  withClusterConfig: boolean;
}

export interface KubevirtExport {
  yaml: string;
  notExpressed: string[];
}

/** A Kubernetes object name (RFC 1123 label): lower case, digits and `-`. */
export function kubernetesName(name: string): string {
  return (
    name
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 63) || 'vm'
  );
}

type Json = Record<string, unknown>;

const hex4 = (id: string) => id.replace(/^0x/, '').padStart(4, '0');

/** What KubeVirt's device plugin matches a VM's GPU by, read from this host's inventory. */
export function kubevirtGpuFacts(
  inventory: GpuInventory,
  spec: VmSpec,
  placement: GpuPlacement,
): Pick<KubevirtVm, 'pciId' | 'mdevTypeName'> {
  const address = placement.kind === 'vf' || placement.kind === 'passthrough' ? placement.address : null;
  const fn = inventory.gpus.flatMap((g) => [g, ...g.vfs]).find((f) => f.address === address);
  const { gpu } = spec;
  const type =
    gpu.kind === 'mdev'
      ? inventory.gpus.find((g) => g.address === gpu.parent)?.mdevTypes.find((t) => t.id === gpu.type)
      : undefined;
  return {
    pciId: fn ? `${hex4(fn.vendorId)}:${hex4(fn.deviceId)}` : null,
    mdevTypeName: type?.name ?? null,
  };
}

interface GpuRequest {
  kind: 'gpus' | 'hostDevices';
  resourceName: string;
  permitted: Json;
  deviceName: string;
}

function gpuRequest(vm: KubevirtVm): GpuRequest | null {
  const { placement } = vm;
  const vendorSelector = vm.pciId;
  switch (placement.kind) {
    case 'vf':
      return {
        kind: 'gpus',
        resourceName: SRIOV_RESOURCE,
        deviceName: SRIOV_RESOURCE,
        permitted: {
          pciVendorSelector: vendorSelector ?? '8086:0000',
          resourceName: SRIOV_RESOURCE,
          externalResourceProvider: false,
        },
      };
    case 'passthrough': {
      const resourceName = 'intel.com/gpu-passthrough';
      return {
        kind: 'hostDevices',
        resourceName,
        deviceName: resourceName,
        permitted: {
          pciVendorSelector: vendorSelector ?? '8086:0000',
          resourceName,
          externalResourceProvider: false,
        },
      };
    }
    case 'mdev': {
      const type = vm.spec.gpu.kind === 'mdev' ? vm.spec.gpu.type : 'vgpu';
      const resourceName = `intel.com/${type}`;
      return {
        kind: 'gpus',
        resourceName,
        deviceName: resourceName,
        permitted: { mdevNameSelector: vm.mdevTypeName ?? type, resourceName },
      };
    }
    default:
      return null;
  }
}

function volumeSource(source: KubevirtDiskSource, name: string): Json {
  switch (source) {
    case 'pvc':
      return { persistentVolumeClaim: { claimName: name } };
    case 'datavolume':
      return { dataVolume: { name } };
    case 'containerdisk':
      return { containerDisk: { image: `${name}:latest` } };
  }
}

function uploadHint(source: KubevirtDiskSource, name: string, file: string): string {
  switch (source) {
    case 'pvc':
      return `${name}: virtctl image-upload pvc ${name} --size=<at least the image's virtual size> --image-path=${file}`;
    case 'datavolume':
      return `${name}: virtctl image-upload dv ${name} --size=<at least the image's virtual size> --image-path=${file}`;
    case 'containerdisk':
      return `${name}: an image with the file at /disk/ (FROM scratch, ADD --chown=107:107 ${file} /disk/), pushed as ${name}:latest; its changes are lost at every restart`;
  }
}

function virtualMachine(vm: KubevirtVm, options: KubevirtOptions): { doc: Document; notes: string[] } {
  const { spec, placement } = vm;
  const name = kubernetesName(spec.name);
  const notes: string[] = [];
  const uploads: string[] = [];
  if (name !== spec.name) notes.push(`the name '${spec.name}' is '${name}' in Kubernetes (RFC 1123)`);

  const disks: Json[] = [];
  const volumes: Json[] = [];
  let bootOrder = spec.kernel ? undefined : 1;
  const boot = () => (bootOrder === undefined ? {} : { bootOrder: bootOrder++ });
  spec.disks.forEach((disk, i) => {
    const volume = `${name}-disk${i}`;
    // KubeVirt's disk buses are virtio, sata, scsi and usb.
    const bus = disk.bus === 'nvme' ? 'sata' : disk.bus;
    if (disk.bus === 'nvme') notes.push(`disk ${disk.path} is on SATA: KubeVirt has no NVMe disk bus`);
    disks.push({ name: `disk${i}`, disk: { bus, ...(disk.readOnly ? { readonly: true } : {}) }, ...boot() });
    volumes.push({ name: `disk${i}`, ...volumeSource(options.diskSource, volume) });
    uploads.push(uploadHint(options.diskSource, volume, disk.path));
  });
  if (spec.cdrom !== undefined) {
    const volume = `${name}-cdrom`;
    disks.push({ name: 'cdrom', cdrom: { bus: 'sata', readonly: true }, ...boot() });
    volumes.push({ name: 'cdrom', ...volumeSource(options.diskSource, volume) });
    uploads.push(uploadHint(options.diskSource, volume, spec.cdrom));
  }
  if (spec.kernel)
    notes.push(
      `the direct kernel boot (${spec.kernel.path}) is not exported: KubeVirt's kernelBoot takes the kernel from a container image, which would have to be built`,
    );

  const devices: Json = {};
  if (disks.length > 0) devices['disks'] = disks;
  const request = gpuRequest(vm);
  if (request) {
    const shows = spec.display.kind !== 'none';
    const entry: Json = { name: 'gpu0', deviceName: request.deviceName };
    if (placement.kind === 'mdev' && shows)
      entry['virtualGPUOptions'] = { display: { enabled: true, ramFB: { enabled: true } } };
    devices[request.kind] = [entry];
    // The VF or whole GPU is the guest's display adapter; KubeVirt's VGA would come first otherwise.
    devices['autoattachGraphicsDevice'] = false;
    notes.push(
      `the GPU comes from the device plugin resource ${request.resourceName}; the KubeVirt CR must permit it (${options.withClusterConfig ? 'the first document' : 'export with --with-cluster-config'})`,
    );
    if (placement.kind === 'vf' && spec.gpu.kind === 'vf' && spec.gpu.vf !== undefined)
      notes.push(`the VF ${spec.gpu.vf} is not named: the device plugin gives any free VF of its resource`);
  } else if (spec.gpu.kind === 'none') {
    devices['autoattachGraphicsDevice'] = false;
  } else if (spec.gpu.kind === 'virtio') {
    devices['video'] = { type: 'virtio' };
    notes.push('a virtio GPU needs the VideoConfig feature gate; there is no GL (virgl) in KubeVirt');
  }
  if (spec.display.kind === 'local')
    notes.push(
      'a window on a monitor of the node needs a virt-launcher with Intel’s patched QEMU (GTK) and a hook sidecar that adds -display gtk; stock KubeVirt gives a VNC console (virtctl vnc) only',
    );
  else if (spec.display.kind === 'spice') notes.push('KubeVirt’s console is VNC (virtctl vnc), not SPICE');
  if (request && spec.display.kind !== 'none' && spec.display.kind !== 'local')
    notes.push(
      'KubeVirt has no egl-headless: the GPU’s frames do not reach the VNC console, only its own outputs show them',
    );
  if (spec.tpm) devices['tpm'] = { persistent: true };

  let networks: Json[] | undefined;
  if (spec.network.mode === 'user') {
    const interfaces: Json = { name: 'default', masquerade: {}, model: spec.network.model };
    if (spec.network.forwards.length > 0) {
      interfaces['ports'] = spec.network.forwards.map((f) => ({
        port: f.guestPort,
        protocol: f.protocol.toUpperCase(),
      }));
      for (const f of spec.network.forwards)
        notes.push(
          `host port ${f.hostPort} → guest port ${f.guestPort}: a Service does that in a cluster (virtctl expose vm ${name} --name=${name}-${f.guestPort} --port=${f.hostPort} --target-port=${f.guestPort}${f.protocol === 'udp' ? ' --protocol=UDP' : ''})`,
        );
    }
    devices['interfaces'] = [interfaces];
    networks = [{ name: 'default', pod: {} }];
  } else {
    devices['autoattachPodInterface'] = false;
  }

  const memory: Json = { guest: `${spec.memoryMiB}Mi` };
  if (spec.memoryBacking.hugepages !== 'off')
    memory['hugepages'] = { pageSize: spec.memoryBacking.hugepages === '2M' ? '2Mi' : '1Gi' };
  if (spec.memoryBacking.shared) notes.push('shared guest RAM (memfd share=on) is not exposed by KubeVirt');

  const cpu: Json = { cores: spec.cpus, model: 'host-passthrough' };
  if (spec.cpuPinning.length > 0) {
    cpu['dedicatedCpuPlacement'] = true;
    notes.push(
      `the vCPUs get dedicated CPUs of the node (CPU manager), not host CPUs ${spec.cpuPinning.join(', ')}`,
    );
  }
  if (spec.machine.kernelIrqchip !== 'auto')
    notes.push(`kernel_irqchip=${spec.machine.kernelIrqchip} is KubeVirt’s to choose (libvirt's ioapic)`);

  const secure = spec.firmware === 'uefi-secure-boot';
  const features: Json = { acpi: {} };
  if (secure) features['smm'] = {};
  if (spec.hyperv) features['hyperv'] = { relaxed: {}, vapic: {}, spinlocks: { spinlocks: 8191 } };

  const domain: Json = {
    machine: { type: 'q35' },
    cpu,
    memory,
    resources: { requests: { memory: `${spec.memoryMiB}Mi` } },
    firmware: {
      uuid: spec.uuid,
      bootloader: spec.firmware === 'bios' ? { bios: {} } : { efi: { secureBoot: secure } },
    },
    features,
    ...(spec.hyperv ? { clock: { utc: {}, timer: { hyperv: {} } } } : {}),
    devices,
  };
  const runStrategy =
    spec.restartPolicy === 'always'
      ? 'Always'
      : spec.restartPolicy === 'on-crash'
        ? 'RerunOnFailure'
        : 'Halted';
  const manifest = {
    apiVersion: 'kubevirt.io/v1',
    kind: 'VirtualMachine',
    metadata: { name, labels: { 'kubevirt.io/vm': name } },
    spec: {
      runStrategy,
      template: {
        metadata: { labels: { 'kubevirt.io/vm': name } },
        spec: {
          domain,
          ...(networks ? { networks } : {}),
          ...(volumes.length > 0 ? { volumes } : {}),
        },
      },
    },
  };
  const doc = new Document(manifest);
  doc.commentBefore = [
    ` VM '${spec.name}', exported by Tessera.`,
    ...(uploads.length > 0 ? [' Disks to create first:', ...uploads.map((u) => `   ${u}`)] : []),
    ...(notes.length > 0
      ? [' What KubeVirt cannot express, or does its own way:', ...notes.map((n) => ` - ${n}`)]
      : []),
  ].join('\n');
  return { doc, notes: [...notes] };
}

/** The KubeVirt CR patch that permits these VMs' GPUs: one entry per resource. */
function clusterConfig(vms: KubevirtVm[]): Document | null {
  const requests = vms.map(gpuRequest).filter((r): r is GpuRequest => r !== null);
  const video = vms.some((v) => v.spec.gpu.kind === 'virtio');
  if (requests.length === 0 && !video) return null;
  const unique = (list: GpuRequest[]) => [
    ...new Map(list.map((r) => [JSON.stringify(r.permitted), r.permitted])).values(),
  ];
  const pci = unique(requests.filter((r) => 'pciVendorSelector' in r.permitted));
  const mdev = unique(requests.filter((r) => 'mdevNameSelector' in r.permitted));
  const gates = [...(requests.length > 0 ? ['GPU', 'HostDevices'] : []), ...(video ? ['VideoConfig'] : [])];
  const doc = new Document({
    apiVersion: 'kubevirt.io/v1',
    kind: 'KubeVirt',
    metadata: { name: 'kubevirt', namespace: 'kubevirt' },
    spec: {
      configuration: {
        developerConfiguration: { featureGates: gates },
        ...(pci.length + mdev.length > 0
          ? {
              permittedHostDevices: {
                ...(pci.length > 0 ? { pciHostDevices: pci } : {}),
                ...(mdev.length > 0 ? { mediatedDevices: mdev } : {}),
              },
            }
          : {}),
      },
    },
  });
  doc.commentBefore = [
    ' The KubeVirt CR, as far as these VMs need it: the feature gates and the host devices they may have.',
    ' kubectl apply replaces the featureGates list: add the gates your cluster has already.',
    ' Each node needs its GPU split into VFs (or the vGPUs created) and bound to vfio-pci before',
    ' KubeVirt’s device plugin advertises them; Intel’s kubevirt-gfx-sriov does that per node.',
  ].join('\n');
  return doc;
}

export function buildKubevirtManifests(vms: KubevirtVm[], options: KubevirtOptions): KubevirtExport {
  const docs: Document[] = [];
  const notExpressed: string[] = [];
  if (options.withClusterConfig) {
    const config = clusterConfig(vms);
    if (config) docs.push(config);
  }
  for (const vm of vms) {
    const { doc, notes } = virtualMachine(vm, options);
    docs.push(doc);
    notExpressed.push(...notes.map((n) => (vms.length > 1 ? `${vm.spec.name}: ${n}` : n)));
  }
  return { yaml: docs.map((d) => d.toString({ lineWidth: 0 })).join('---\n'), notExpressed };
}
