/**
 * The one contract every front speaks: each call and event with its schemas.
 * Types come from the schemas; nothing here is written twice.
 */
import { z } from 'zod';
import { GpuInventory, HostIdentity } from './gpu-inventory';
import { ChangeLogEntry, ChangeOrigin, GpuIntent, GpuPersistence, PlanPreview } from './gpu-plan';
import { AppliedStep, HelperPlan } from './helper-plan';
import { DrmConnector } from './host-displays';
import { DoctorReport } from './host-report';
import { QemuCapabilities } from './qemu-capabilities';
import { DiskFormat, InvalidDefinition, VmConfig, VmCreateInput, VmInfo, VmName } from './vm-spec';
import { Settings, SettingsPatch } from './settings';
import { UsbInventory, UsbSelector } from './usb';

const Grant = z.object({ token: z.string(), path: z.string() });

const VmRef = z.object({ id: VmName });

function call<I extends z.ZodType, O extends z.ZodType>(doc: string, input: I, output: O) {
  return { doc, input, output };
}

export const calls = {
  'host.info': call(
    'What the backend runs on: accelerator, QEMU binary and version, where state lives.',
    z.object({}),
    z.object({
      accelerator: z.enum(['kvm', 'tcg']),
      acceleratorReason: z.string(),
      qemu: z.union([z.object({ path: z.string(), version: z.string() }), z.object({ error: z.string() })]),
      configDir: z.string(),
      runtimeDir: z.string(),
      dataDir: z.string(),
      backendPid: z.int(),
      /** The host whose GPU and kernel state the backend reads; `simulated` is set for a simulated one. */
      host: HostIdentity,
    }),
  ),
  'host.doctor': call(
    'Whether this host can split its Intel GPU across VMs: each check pass / warn / fail / unknown with the fix, and the facts read.',
    z.object({}),
    DoctorReport,
  ),
  'host.qemuCapabilities': call(
    "What the installed QEMU can do where VMs' command lines depend on it (displays and their options, device properties), probed once per binary; QEMU_MISSING without one. capabilityNotes() in src/shared/qemu-capabilities.ts words what it means for a VM.",
    z.object({}),
    QemuCapabilities,
  ),
  'host.monitors': call(
    "The host's display connectors (/sys/class/drm/card*-*) and whether a monitor is on each: where a VM's local window can go.",
    z.object({}),
    z.object({ connectors: z.array(DrmConnector) }),
  ),
  'gpu.list': call(
    'The GPU as the kernel shows it: physical functions, VFs, drivers, IOMMU groups, mdev types, GuC/HuC state.',
    z.object({}),
    GpuInventory,
  ),
  'gpu.plan': call(
    'What a GPU change would do: the helper plan and the diff to review, against the GPU as it is now. Changes nothing.',
    GpuIntent,
    PlanPreview,
  ),
  'gpu.apply': call(
    "Apply a reviewed plan through the privileged helper (one password prompt on a real host, none on a simulated one); the change is logged and every front told. Fails with the helper's reason; what was done before a failure is undone.",
    z.object({
      plan: HelperPlan,
      summary: z.string().max(500).optional(),
      origin: ChangeOrigin.default('gpu-page'),
    }),
    z.object({ applied: z.array(AppliedStep), entry: ChangeLogEntry }),
  ),
  'gpu.log': call(
    'The GPU changes Tessera made or tried, newest first: who, when, what, and how it ended.',
    z.object({}),
    z.object({ entries: z.array(ChangeLogEntry) }),
  ),
  'gpu.persistence': call(
    'The saved GPU layouts (made again at start when asked), and the same as lines for the boot configuration.',
    z.object({}),
    GpuPersistence,
  ),
  'gpu.setReapplyAtStart': call(
    'Turn re-making the saved GPU layouts when Tessera starts on or off.',
    z.object({ enabled: z.boolean() }),
    GpuPersistence,
  ),
  'vm.list': call(
    'Every VM definition with its live state, plus definition files that failed to load.',
    z.object({}),
    z.object({ vms: z.array(VmInfo), invalid: z.array(InvalidDefinition) }),
  ),
  'vm.get': call('One VM with its live state.', VmRef, VmInfo),
  'vm.create': call('Define a new VM; files it names must exist and be readable.', VmCreateInput, VmInfo),
  'vm.update': call(
    'Replace the settings of a stopped VM (name and uuid stay).',
    z.object({ id: VmName, config: VmConfig }),
    VmInfo,
  ),
  'vm.delete': call('Delete a stopped VM definition and its runtime files; disks stay.', VmRef, z.object({})),
  'vm.start': call('Start QEMU for a VM; resolves once QEMU answers on QMP.', VmRef, VmInfo),
  'vm.stop': call(
    'ACPI shutdown; forced off if the guest has not stopped within the timeout.',
    z.object({ id: VmName, timeoutSeconds: z.number().positive().max(3600).default(60) }),
    VmInfo,
  ),
  'vm.kill': call('Force the VM off at once (like pulling the plug).', VmRef, VmInfo),
  'vm.reset': call('Hard reset, like the reset button.', VmRef, VmInfo),
  'vm.pause': call('Pause the vCPUs.', VmRef, VmInfo),
  'vm.resume': call('Resume paused vCPUs.', VmRef, VmInfo),
  'vm.args': call('The exact QEMU argv this VM starts with.', VmRef, z.object({ argv: z.array(z.string()) })),
  'vm.screenshot': call(
    "A PNG of the VM's screen, base64.",
    VmRef,
    z.object({ pngBase64: z.string(), width: z.int(), height: z.int() }),
  ),
  'vm.log': call(
    "The tail of QEMU's log for a VM.",
    z.object({ id: VmName, lines: z.int().min(1).max(10000).default(50) }),
    z.object({ lines: z.array(z.string()) }),
  ),
  'vm.waitSerial': call(
    "Resolve when TEXT appears on the VM's serial console during its current run.",
    z.object({
      id: VmName,
      text: z.string().min(1),
      timeoutSeconds: z.number().positive().max(3600).default(60),
    }),
    z.object({ elapsedMs: z.number() }),
  ),
  'vm.thumbnail': call(
    "A small PNG of the VM's screen for gallery cards: live while it runs, its last frame once it stopped, null if it never showed one.",
    z.object({ id: VmName, maxWidth: z.int().min(16).max(1920).default(320) }),
    z.object({
      pngBase64: z.string().nullable(),
      width: z.int().min(0),
      height: z.int().min(0),
      takenAt: z.iso.datetime().nullable(),
      live: z.boolean(),
    }),
  ),
  'console.open': call(
    "A one-time token for a bridge to one of the VM's consoles: graphics (VNC or SPICE, whichever its display is), serial, or the QEMU monitor. It expires within seconds if unused; the session ends when the VM stops.",
    z.object({ id: VmName, kind: z.enum(['vnc', 'spice', 'serial', 'monitor']) }),
    Grant,
  ),
  'terminal.open': call(
    "A one-time token for a pseudo-terminal: the user's shell on the host, or SSH into a VM through its forwarded SSH port.",
    z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('host') }),
      z.object({
        kind: z.literal('ssh'),
        id: VmName,
        user: z
          .string()
          .regex(/^[a-z_][a-z0-9_-]{0,31}$/, {
            error: 'a user name is lower-case letters, digits, "_" or "-"',
          })
          .default('root'),
      }),
    ]),
    Grant,
  ),
  'disk.create': call(
    'Create an empty disk image with qemu-img; disk.progress events report how far it got.',
    z.object({
      path: z.string().min(1),
      sizeGiB: z.number().positive().max(65536),
      format: DiskFormat.default('qcow2'),
    }),
    z.object({ path: z.string(), format: DiskFormat, sizeBytes: z.int().nonnegative() }),
  ),
  'fs.stat': call(
    'Whether a path on the host exists and what it is, for typed paths in the browser front (which has no file dialog).',
    z.object({ path: z.string().min(1) }),
    z.object({
      path: z.string(),
      exists: z.boolean(),
      kind: z.enum(['file', 'directory', 'other']).optional(),
      readable: z.boolean(),
      writable: z.boolean(),
      sizeBytes: z.int().nonnegative().optional(),
    }),
  ),
  'settings.get': call("The user's preferences.", z.object({}), Settings),
  'settings.update': call('Replace the given sections of the preferences.', SettingsPatch, Settings),
  // USB and input devices (issue 17)
  'usb.list': call(
    "The host's USB devices (sysfs /sys/bus/usb/devices through the host root): bus, port path, ids, names, class, drivers, which VMs own each and which running VM has it.",
    z.object({}),
    UsbInventory,
  ),
  'vm.usbAttach': call(
    'Plug a host USB device (port path or vendor:product[:serial]) into a running VM over QMP, for this run; refused while another running VM has it. Its node is given to the user through the helper unless a udev rule already does.',
    z.object({ id: VmName, device: UsbSelector }),
    VmInfo,
  ),
  'vm.usbDetach': call(
    'Unplug a USB device from a running VM over QMP (its own or one attached live) and give its node back; vm.usbAttach plugs it in again.',
    z.object({ id: VmName, device: UsbSelector }),
    VmInfo,
  ),
} as const;

export const events = {
  'vm.changed': { doc: 'A VM was created, changed state or settings.', payload: z.object({ vm: VmInfo }) },
  'vm.removed': { doc: 'A VM definition was deleted.', payload: z.object({ id: VmName }) },
  'gpu.changed': {
    doc: 'A GPU change was applied or tried (see its log entry); the inventory may differ now.',
    payload: z.object({ entry: ChangeLogEntry }),
  },
  'disk.progress': {
    doc: 'How far a disk.create has got.',
    payload: z.object({ path: z.string(), percent: z.number().min(0).max(100) }),
  },
  'settings.changed': {
    doc: 'Preferences changed (from any front).',
    payload: z.object({ settings: Settings }),
  },
} as const;

export type Calls = typeof calls;
export type CallName = keyof Calls;
export type CallInput<K extends CallName> = z.input<Calls[K]['input']>;
export type ParsedCallInput<K extends CallName> = z.output<Calls[K]['input']>;
export type CallOutput<K extends CallName> = z.output<Calls[K]['output']>;
export type Events = typeof events;
export type EventName = keyof Events;
export type EventPayload<K extends EventName> = z.output<Events[K]['payload']>;

export const callNames = Object.keys(calls) as CallName[];
export const eventNames = Object.keys(events) as EventName[];

export function isCallName(name: unknown): name is CallName {
  return typeof name === 'string' && Object.hasOwn(calls, name);
}
