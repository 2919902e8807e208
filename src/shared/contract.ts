/**
 * The one contract every front speaks: each call and event with its schemas.
 * Types come from the schemas; nothing here is written twice.
 */
import { z } from 'zod';
import { GpuInventory, HostIdentity } from './gpu-inventory';
import { ChangeLogEntry, ChangeOrigin, GpuIntent, GpuPersistence, PlanPreview } from './gpu-plan';
import { AppliedStep, HelperPlan } from './helper-plan';
import { DoctorReport } from './host-report';
import { InvalidDefinition, VmConfig, VmCreateInput, VmInfo, VmName } from './vm-spec';

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
  'console.open': call(
    "A one-time token for a console bridge to the VM's serial or VNC socket; it expires if unused.",
    z.object({ id: VmName, kind: z.enum(['serial', 'vnc']) }),
    z.object({ token: z.string(), path: z.string() }),
  ),
} as const;

export const events = {
  'vm.changed': { doc: 'A VM was created, changed state or settings.', payload: z.object({ vm: VmInfo }) },
  'vm.removed': { doc: 'A VM definition was deleted.', payload: z.object({ id: VmName }) },
  'gpu.changed': {
    doc: 'A GPU change was applied or tried (see its log entry); the inventory may differ now.',
    payload: z.object({ entry: ChangeLogEntry }),
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
