/**
 * Export of a VM to other engines (a POSIX shell script, a libvirt domain, a KubeVirt
 * VirtualMachine) and import of QEMU command lines and libvirt domains (issue 13). The formats'
 * builders and parsers live in src/main/export; these are the shapes every front sees.
 */
import { z } from 'zod';
import { VmCreateInput, VmName } from './vm-spec';

export const ExportFormat = z.enum(['script', 'libvirt', 'kubevirt']);
export type ExportFormat = z.infer<typeof ExportFormat>;

/** How a KubeVirt VM gets its disks: a PVC, a CDI DataVolume, or a container image (containerDisk). */
export const KubevirtDiskSource = z.enum(['pvc', 'datavolume', 'containerdisk']);
export type KubevirtDiskSource = z.infer<typeof KubevirtDiskSource>;

export const ExportOptions = z.object({
  format: ExportFormat,
  /** KubeVirt: add the KubeVirt CR patch that permits the VM's GPU (permittedHostDevices). */
  withClusterConfig: z.boolean().default(false),
  diskSource: KubevirtDiskSource.default('pvc'),
  /** Script: make each privileged write through sudo; without it the script writes as its user. */
  sudo: z.boolean().default(false),
});
export type ExportOptions = z.infer<typeof ExportOptions>;

export const ExportRequest = ExportOptions.extend({
  /** One VM, or every VM when `all` (KubeVirt: one multi-document YAML; the others: concatenated). */
  id: VmName.optional(),
  all: z.boolean().default(false),
}).refine((r) => r.all !== (r.id !== undefined), {
  error: 'name one VM (id) or ask for all of them (all), not both',
});

export const ExportResult = z.object({
  text: z.string(),
  /** A file name for saving it (`office.xml`, `office.yaml`, `office.sh`). */
  fileName: z.string(),
  mediaType: z.string(),
  /** What the format could not express, each in words (also written as comments in the text). */
  notExpressed: z.array(z.string()),
});
export type ExportResult = z.infer<typeof ExportResult>;

export const ImportSource = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('qemu-cmdline'),
    text: z
      .string()
      .min(1)
      .max(256 * 1024),
  }),
  z.object({
    kind: z.literal('libvirt'),
    xml: z
      .string()
      .min(1)
      .max(4 * 1024 * 1024),
  }),
]);
export type ImportSource = z.infer<typeof ImportSource>;

/**
 * One line of an import report: what became of a piece of the input.
 * - `mapped`: it means the same in Tessera.
 * - `changed`: Tessera does it its own way (a `-vnc HOST:40` becomes the VM's own console).
 * - `dropped`: left out, with why (an option Tessera does not model).
 * - `unresolved`: a shell variable (`$HOST_IP`) left as it is.
 */
export const ImportNote = z.object({
  kind: z.enum(['mapped', 'changed', 'dropped', 'unresolved']),
  /** The option or element as written (`-vnc $HOST_IP:40`, `<hostdev>`). */
  source: z.string(),
  /** The VmSpec field it lands in, when it does (`gpu`, `network.forwards`). */
  field: z.string().optional(),
  detail: z.string(),
});
export type ImportNote = z.infer<typeof ImportNote>;

export const ImportRequest = z.object({
  source: ImportSource,
  /** The new VM's name; by default the input's own (`-name`, `<name>`), made a valid VM name. */
  name: VmName.optional(),
});

export const ImportResult = z.object({
  /** The VM this would create (`vm.create` takes it as it is). */
  spec: VmCreateInput,
  report: z.array(ImportNote),
});
export type ImportResult = z.infer<typeof ImportResult>;
