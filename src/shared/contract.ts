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
import { DiskFormat, HostPath, InvalidDefinition, VmConfig, VmCreateInput, VmInfo, VmName } from './vm-spec';
import { Settings, SettingsPatch } from './settings';
import { ExportRequest, ExportResult, ImportRequest, ImportResult } from './vm-export';
import { RunDiff, RunId, RunOutcome, RunRecord, RunSummary } from './run-record';
import { MatrixId, MatrixRecord } from './run-matrix';
import { GoldenStatus, ImageInfo, ImageName, parseResetSchedule, ResetMode, ResetOutcome } from './images';
import {
  KioskAssignment,
  KioskAutostart,
  KioskMonitors,
  KioskSettings,
  KioskStatus,
  MonitorName,
} from './kiosk';
import { UsbInventory, UsbSelector } from './usb';

const Grant = z.object({ token: z.string(), path: z.string() });

const VmRef = z.object({ id: VmName });

/** A plan by its file, or its text (the Runs page's dialog sends the text it read). */
const RunPlanSource = z.union([
  z.object({ path: z.string().min(1) }),
  z.object({
    text: z
      .string()
      .min(1)
      .max(1 << 20),
    source: z.string().min(1).max(200),
  }),
]);

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
      path: HostPath,
      sizeGiB: z.number().positive().max(65536),
      format: DiskFormat.default('qcow2'),
    }),
    z.object({ path: z.string(), format: DiskFormat, sizeBytes: z.int().nonnegative() }),
  ),
  'fs.stat': call(
    'Whether a path on the host exists and what it is, for typed paths in the browser front (which has no file dialog).',
    z.object({ path: HostPath }),
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
  // Export and import (issue 13).
  'vm.export': call(
    "A VM (or every VM, KubeVirt only) as a POSIX shell script, a libvirt domain XML or KubeVirt manifests, written as this host would start it (vm.args' argv and GPU placement); with what the format cannot express.",
    ExportRequest,
    ExportResult,
  ),
  'vm.import': call(
    'The VM a QEMU command line or a libvirt domain XML would become on this host, and a report of what was mapped, changed, dropped or left unresolved. Creates nothing: vm.create takes the spec once the user accepts. BAD_INPUT names the part that cannot become a VM and why.',
    ImportRequest,
    ImportResult,
  ),
  // ---- Driver-validation runs (issue 12; src/main/runs) ----
  'run.start': call(
    "Start a run of a plan on a VM: refused at once when the plan does not validate (every problem with its line and field) or the VM is in another run; otherwise resolves with the run's id while it goes on (run.changed events, run.wait).",
    z.object({
      vm: VmName,
      plan: RunPlanSource,
      label: z.string().max(200).nullable().default(null),
    }),
    z.object({ id: RunId }),
  ),
  'run.wait': call(
    "Resolves with a run's outcome once it has finished.",
    z.object({ id: RunId }),
    RunOutcome,
  ),
  'run.list': call(
    'Every run record, newest first, and record folders that failed to read.',
    z.object({}),
    z.object({
      runs: z.array(RunSummary),
      invalid: z.array(z.object({ id: z.string(), reason: z.string() })),
    }),
  ),
  'run.get': call("One run's record (run.json).", z.object({ id: RunId }), RunRecord),
  'run.diff': call(
    'What differs between two finished runs: host, firmware, driver, provisioning and QEMU line first, then step results, then probe output lines.',
    z.object({ a: RunId, b: RunId }),
    RunDiff,
  ),
  'run.export': call(
    'Write finished run records into one .tar.gz (to attach to a bug report).',
    z.object({ ids: z.array(RunId).min(1).max(100), path: z.string().min(1) }),
    z.object({ path: z.string(), bytes: z.int().min(0) }),
  ),
  'run.matrixStart': call(
    "Run a plan on a stopped VM once per combination of the axes' values (preset: the GPU layout preset of its VF's PF; image: the golden image it boots a fresh overlay of), one run after another; the VM definition is never edited. Refused at once for an unknown axis (with the known ones), an empty value list, an unknown image, a preset on a VM without a VF. Resolves with the matrix's id while it goes on.",
    z.object({
      vm: VmName,
      plan: RunPlanSource,
      vary: z.array(z.object({ axis: z.string(), values: z.array(z.string()) })).max(8),
      label: z.string().max(200).nullable().default(null),
    }),
    z.object({ id: MatrixId }),
  ),
  'run.matrixWait': call(
    "Resolves with a matrix's record once every combination has run.",
    z.object({ id: MatrixId }),
    MatrixRecord,
  ),
  'run.matrixList': call(
    'Every matrix record, newest first, and record folders that failed to read.',
    z.object({}),
    z.object({
      matrices: z.array(MatrixRecord),
      invalid: z.array(z.object({ id: z.string(), reason: z.string() })),
    }),
  ),
  'run.matrixGet': call(
    "One matrix's record: its axes, each combination's status and run id.",
    z.object({ id: MatrixId }),
    MatrixRecord,
  ),
  // ---- golden images and booth resets (issue 11; src/main/images) ----
  'image.list': call(
    'The golden images: each version with its file, size, SHA-256 and when it was last verified, and which VMs use it.',
    z.object({}),
    z.object({ images: z.array(ImageInfo) }),
  ),
  'image.add': call(
    "Register a disk image (qcow2 or raw, no backing file) as a golden image: copied into Tessera's images folder as version 1, read-only, with its SHA-256. The user's file is only read. image.progress events report how far it got.",
    z.object({ path: z.string().min(1), name: ImageName.optional() }),
    ImageInfo,
  ),
  'image.verify': call(
    "Hash a golden image's versions (or one) again and compare with the SHA-256 registered.",
    z.object({ name: ImageName, version: z.int().positive().optional() }),
    z.object({
      ok: z.boolean(),
      results: z.array(
        z.object({
          version: z.int().positive(),
          ok: z.boolean(),
          sha256: z.string(),
          reason: z.string().optional(),
        }),
      ),
    }),
  ),
  'image.delete': call(
    'Delete a version of a golden image (or all of it); refused while a VM uses it.',
    z.object({ name: ImageName, version: z.int().positive().optional() }),
    z.object({}),
  ),
  'vm.golden': call(
    "Put a stopped VM on a golden image (its first disk, or a new one, becomes a qcow2 overlay of the image's current version; the disk it had is left as it is), or take it off (`off`: the overlay's state is flattened into a new plain disk). `readyText`: serial text after which the warm-reset snapshot is taken by itself.",
    z.union([
      z.object({ id: VmName, image: ImageName, readyText: z.string().min(1).max(200).optional() }),
      z.object({ id: VmName, off: z.literal(true) }),
    ]),
    z.object({ status: GoldenStatus.nullable(), disk: z.string().optional() }),
  ),
  'booth.status': call(
    'Every VM on a golden image: its image and version, schedule, last and next reset, last console input, and whether warm resets can be had (or why not).',
    z.object({}),
    z.object({ vms: z.array(GoldenStatus) }),
  ),
  'vm.resetToGolden': call(
    'Back to golden: warm (load the ready snapshot) when possible or asked, else cold (stop, new overlay, start again if it was running). A warm reset that cannot be had is done cold, with the reason.',
    z.object({ id: VmName, mode: ResetMode.optional() }),
    ResetOutcome,
  ),
  'vm.markReady': call(
    'Take the warm-reset snapshot of a running VM on a golden image now (QMP snapshot-save into its overlay).',
    VmRef,
    GoldenStatus,
  ),
  'vm.promote': call(
    "A stopped VM's disk state becomes its golden image's next version (qemu-img convert into a copy, hashed, read-only; image.progress events); the version before stays. VMs move to it at their next reset.",
    VmRef,
    z.object({ image: ImageInfo, version: z.int().positive() }),
  ),
  'booth.resetAll': call(
    'Reset every VM on a golden image at once, in parallel; each result says how, or why it failed.',
    z.object({ mode: ResetMode.optional() }),
    z.object({ results: z.array(z.union([ResetOutcome, z.object({ id: VmName, error: z.string() })])) }),
  ),
  'vm.resetSchedule': call(
    'When a VM on a golden image is reset by itself: off, on-stop (fresh every boot), daily@HH:MM, every:N(m|h), idle:N(s|m|h) (no console input for that long).',
    z.object({
      id: VmName,
      schedule: z.string().transform((text, ctx) => {
        try {
          return parseResetSchedule(text);
        } catch (error) {
          ctx.addIssue({ code: 'custom', message: (error as Error).message });
          return z.NEVER;
        }
      }),
    }),
    GoldenStatus,
  ),
  // Kiosk (issue 10): VMs full-screen on the host's own monitors, kept there.
  'kiosk.monitors': call(
    "The host's monitors as the X server reports them (RandR 1.5: name, geometry, primary, outputs), each matched to its DRM connector; without X11 the server's kind and what works there.",
    z.object({}),
    KioskMonitors,
  ),
  'kiosk.get': call(
    'The kiosk settings: assignments (monitor, VM, how shown), operator chord, autostart, give-up limit.',
    z.object({}),
    KioskSettings,
  ),
  'kiosk.assign': call(
    "Show a VM on a monitor (qemu-window: QEMU's own window, placed; tessera-window: Tessera's kiosk page). Refused at its field when the monitor is not there or shows another VM, the VM is on another monitor, or its display cannot be shown that way.",
    KioskAssignment,
    KioskSettings,
  ),
  'kiosk.unassign': call(
    'Show nothing on this monitor any more.',
    z.object({ monitor: MonitorName }),
    KioskSettings,
  ),
  'kiosk.start': call(
    'Start every assigned VM not running, turn blanking off, and keep each window full-screen on its monitor; with waitSeconds, answers once all are in place or that time passed.',
    z.object({ waitSeconds: z.number().min(0).max(600).default(0) }),
    KioskStatus,
  ),
  'kiosk.stop': call(
    'Stop keeping the windows in place and restarting VMs for the kiosk; VMs keep running unless stopVms.',
    z.object({ stopVms: z.boolean().default(false) }),
    KioskStatus,
  ),
  'kiosk.status': call(
    "Per assignment: the VM's state, whether its window is in place, restarts so far, a pending restart, and the last problem in words.",
    z.object({}),
    KioskStatus,
  ),
  'kiosk.autostart': call(
    "Start the kiosk at login (a systemd user unit tessera-kiosk.service in the user's config) or no longer.",
    z.object({ enabled: z.boolean() }),
    KioskAutostart,
  ),
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
  'run.changed': {
    doc: 'A run started, finished a step, or finished.',
    payload: z.object({ run: RunSummary }),
  },
  'run.matrixChanged': {
    doc: 'A matrix started, one of its combinations started or finished, or it finished.',
    payload: z.object({ id: MatrixId, status: MatrixRecord.shape.status }),
  },
  // ---- golden images and booth resets (issue 11) ----
  'image.changed': {
    doc: 'A golden image was added, verified, promoted to a new version or deleted.',
    payload: z.object({ name: ImageName }),
  },
  'image.progress': {
    doc: 'How far an image.add, image.verify or vm.promote has got.',
    payload: z.object({
      name: ImageName,
      operation: z.enum(['add', 'verify', 'promote']),
      percent: z.number().min(0).max(100),
    }),
  },
  'booth.changed': {
    doc: "A VM's golden binding changed (reset, schedule, snapshot, input seen); status null: it left its golden image.",
    payload: z.object({ id: VmName, status: GoldenStatus.nullable() }),
  },
  'kiosk.changed': {
    doc: 'The kiosk status changed: a window placed or moved, a VM restarting or given up, a monitor gone.',
    payload: z.object({ status: KioskStatus }),
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
