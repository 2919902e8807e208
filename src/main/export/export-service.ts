/**
 * The export domain's one service (DESIGN.md "Domains"): a VM as a shell script, a libvirt
 * domain or KubeVirt manifests, written as this host would start it (the argv and GPU placement
 * of `vm args`); and imports of QEMU command lines and libvirt domains, checked against this
 * host's GPUs. It creates nothing: the front shows the import and calls vm.create when the user
 * accepts.
 */
import { TesseraError } from '../../shared/errors';
import type { GpuInventory } from '../../shared/gpu-inventory';
import type { ExportOptions, ExportResult, ImportResult, ImportSource } from '../../shared/vm-export';
import type { VmSpec } from '../../shared/vm-spec';
import { leaseSteps, swtpmArgs, type GpuPlacement, type QemuHost } from '../vm';

// Each format is loaded when it is first asked for: with their XML and YAML libraries they are a
// third of the CLI's code, and every `tessera` command that runs a backend would otherwise load
// them (a --cpu-prof of `vm list` showed @xmldom/xmldom's set-up alone as one of its largest costs).

export interface ExportDeps {
  /** What `vm args` is built from (VmService.argsPlan). */
  argsPlan(id: string): Promise<{
    spec: VmSpec;
    argv: string[];
    placement: GpuPlacement;
    host: QemuHost;
    swtpm: string | null;
  }>;
  /** Every VM's id, for `--all`. */
  ids(): Promise<string[]>;
  inventory(): GpuInventory;
}

export interface ExportService {
  exportVms(request: ExportOptions & { id?: string | undefined; all: boolean }): Promise<ExportResult>;
  importVm(source: ImportSource, name?: string): Promise<ImportResult>;
}

export function createExportService(deps: ExportDeps): ExportService {
  async function one(id: string, options: ExportOptions): Promise<ExportResult> {
    const plan = await deps.argsPlan(id);
    const { spec, placement, host } = plan;
    if (options.format === 'libvirt') {
      const { buildLibvirtDomain } = await import('./libvirt-export');
      const out = buildLibvirtDomain(spec, { placement, capabilities: host.capabilities });
      return {
        text: out.xml,
        fileName: `${spec.name}.xml`,
        mediaType: 'application/xml',
        notExpressed: out.notExpressed,
      };
    }
    const slice =
      placement.kind === 'vf' || placement.kind === 'mdev' || placement.kind === 'passthrough'
        ? { placement, steps: leaseSteps(spec, placement, deps.inventory()).steps }
        : null;
    if (spec.tpm && plan.swtpm === null)
      throw new TesseraError(
        'UNAVAILABLE',
        'swtpm is not installed: install the Debian package swtpm, then export again',
      );
    const { buildVmScript } = await import('./script-export');
    const out = buildVmScript({
      spec,
      argv: plan.argv,
      slice,
      runtime: host.runtime,
      data: host.data,
      uefiVarsTemplate: host.firmware?.ovmfVarsTemplate ?? null,
      swtpm:
        spec.tpm && plan.swtpm !== null
          ? { binary: plan.swtpm, args: swtpmArgs(host.runtime, host.data) }
          : null,
      sudo: options.sudo,
    });
    return {
      text: out.script,
      fileName: `${spec.name}.sh`,
      mediaType: 'text/x-shellscript',
      notExpressed: out.notExpressed,
    };
  }

  return {
    async exportVms(request) {
      const ids = request.all ? await deps.ids() : request.id !== undefined ? [request.id] : [];
      if (ids.length === 0) throw new TesseraError('NOT_FOUND', 'there are no VMs to export');
      if (request.format !== 'kubevirt') {
        if (ids.length > 1 || request.all)
          throw new TesseraError(
            'BAD_INPUT',
            `a ${request.format === 'libvirt' ? 'libvirt domain' : 'script'} is one VM: name it; all VMs in one file is --format kubevirt`,
          );
        return one(ids[0] ?? '', request);
      }
      const { buildKubevirtManifests, kubevirtGpuFacts, kubernetesName } = await import('./kubevirt-export');
      const inventory = deps.inventory();
      const vms = await Promise.all(
        ids.map(async (id) => {
          const { spec, placement } = await deps.argsPlan(id);
          return { spec, placement, ...kubevirtGpuFacts(inventory, spec, placement) };
        }),
      );
      const out = buildKubevirtManifests(vms, {
        diskSource: request.diskSource,
        withClusterConfig: request.withClusterConfig,
      });
      const fileName = request.all ? 'tessera-vms.yaml' : `${kubernetesName(vms[0]?.spec.name ?? 'vm')}.yaml`;
      return { text: out.yaml, fileName, mediaType: 'application/yaml', notExpressed: out.notExpressed };
    },
    async importVm(source, name) {
      if (source.kind === 'qemu-cmdline') {
        const { importQemuCommandLine } = await import('./qemu-cmdline-import');
        return importQemuCommandLine(source.text, deps.inventory(), name);
      }
      const { importLibvirtDomain } = await import('./libvirt-import');
      return importLibvirtDomain(source.xml, deps.inventory(), name);
    },
  };
}
