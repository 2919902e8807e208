import fs from 'node:fs';
import { TesseraError } from '../../shared/errors';
import type { GpuInventory, HostIdentity } from '../../shared/gpu-inventory';
import type { DrmConnector } from '../../shared/host-displays';
import type { DoctorCheck, DoctorReport, HostFacts, KvmFindings } from '../../shared/host-report';
import type { QemuCapabilities } from '../../shared/qemu-capabilities';
import { createHostReader } from '../fsutil/host-reader';
import type { HostRoot } from '../fsutil/host-root';
import {
  acceleratorOverride,
  checkDevKvm,
  decideAccelerator,
  readCpuVirtualization,
  type AcceleratorChoice,
} from './accelerator';
import { readDrmConnectors } from './drm-connectors';
import { runDoctor } from './doctor/doctor';
import { memlockCheck } from './doctor/platform-checks';
import { readHugepagePools, readKernelFacts } from './kernel-facts';
import { KvmProbeCache } from './kvm-probe-cache';
import { readMemlock } from './machine-facts';
import { findOvmf, findQemu, findQemuImg, qemuVersion, searchPath } from './qemu-binary';
import { QemuCapabilityCache } from './qemu-capabilities';

export interface HostOptions {
  env?: NodeJS.ProcessEnv;
  /** A QEMU binary to use instead of the one on PATH. */
  qemuBinary?: string;
  /** Force an accelerator (tests force tcg); otherwise TESSERA_ACCEL or what /dev/kvm allows. */
  accelerator?: 'kvm' | 'tcg';
  devKvmPath?: string;
  /** The KVM probe's answers; tests give one with a fake probe. */
  kvmProbes?: Pick<KvmProbeCache, 'get'>;
}

function readCpuinfo(): string {
  try {
    return fs.readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return '';
  }
}

/** The host whose kernel state Tessera reads: this machine (`/`) or a directory standing for one. */
export interface HostRootChoice {
  root: HostRoot;
  identity: HostIdentity;
}

export interface HostService {
  /** Which host the facts describe; a simulated one is labelled as such. */
  identity(): HostIdentity;
  /** Decided once per backend: an override, or KVM when QEMU can really use it, else TCG. */
  accelerator(): Promise<AcceleratorChoice>;
  qemuBinary(): string;
  /** Throws QEMU_MISSING with the package to install. */
  qemuImg(): string;
  /** The OVMF code and variable template, the Secure Boot build when asked. */
  ovmf(secureBoot?: boolean): { ovmfCode: string; ovmfVarsTemplate: string } | null;
  /** What the QEMU in use can do, probed once per binary (QEMU_MISSING without one). */
  qemuCapabilities(): Promise<QemuCapabilities>;
  /** Display connectors of the host's cards and whether a monitor is on each. */
  connectors(): DrmConnector[];
  /** The TPM emulator on this machine's PATH; null when it is not installed. */
  swtpm(): string | null;
  /** The host's hugepage pools; null where the kernel has none. */
  hugepagePools(): HostFacts['hugepages'];
  info(): Promise<{
    accelerator: 'kvm' | 'tcg';
    acceleratorReason: string;
    qemu: { path: string; version: string } | { error: string };
  }>;
  /**
   * Facts for the doctor. The split is deliberate: kernel state (PCI, IOMMU, modules, vfio nodes,
   * hugepages) comes from the host root; what QEMU is and what it may do (binary, OVMF, swtpm,
   * accelerator, this process's memlock limit) comes from this machine, because the QEMU that runs
   * is this machine's even when the host is simulated.
   */
  facts(): Promise<{ facts: HostFacts; unreadable: DoctorReport['unreadable'] }>;
  doctor(inventory: GpuInventory, largestGuestMiB: number | null): Promise<DoctorReport>;
  /** The doctor's locked-memory check for one guest: whether QEMU may pin its RAM (docs/sriov-sysfs.md#unprivileged-qemu-with-vfio). */
  memlockFor(guestMiB: number): DoctorCheck;
  /** What a run record keeps of the host kernel (runs domain); each fact or why it is unreadable. */
  runFacts(drivers: string[]): RunHostFacts;
}

type HostFact = { value: string } | { unreadable: string };
export interface RunHostFacts {
  kernelRelease: HostFact;
  kernelCmdline: HostFact;
  /** `/sys/module/<driver>/version`, else its `srcversion` (out-of-tree builds have one of them). */
  moduleVersions: Record<string, HostFact>;
  /** Whether the host driver shows per-VF engine activity, and where. */
  engineActivity: { available: boolean; detail: string };
}

/** `cacheDir`: where what the QEMU binary can do is remembered (`$XDG_CACHE_HOME/tessera`). */
export function createHostService(options: HostOptions, host: HostRootChoice, cacheDir: string): HostService {
  const env = options.env ?? process.env;
  let accel: Promise<AcceleratorChoice> | undefined;
  const versions = new Map<string, Promise<string>>();
  const capabilities = QemuCapabilityCache.inCacheDir(cacheDir);
  const kvmProbes = options.kvmProbes ?? KvmProbeCache.inCacheDir(cacheDir);
  const service: HostService = {
    identity: () => host.identity,
    accelerator() {
      accel ??= (async (): Promise<AcceleratorChoice> => {
        const devKvm = checkDevKvm(options.devKvmPath ?? '/dev/kvm');
        const findings: KvmFindings = { cpu: readCpuVirtualization(readCpuinfo()), devKvm, probe: null };
        if (options.accelerator) {
          return { accelerator: options.accelerator, reason: 'chosen by the backend options', findings };
        }
        const override = acceleratorOverride(env);
        if (override === undefined && devKvm.access === 'read-write') {
          try {
            findings.probe = await kvmProbes.get(service.qemuBinary());
          } catch {
            // Without QEMU nothing starts anyway; the start says why.
          }
        }
        return { ...decideAccelerator(override, findings), findings };
      })();
      return accel;
    },
    qemuBinary() {
      return findQemu(options.qemuBinary === undefined ? { env } : { env, override: options.qemuBinary })
        .path;
    },
    qemuImg() {
      let qemu: string | undefined;
      try {
        qemu = service.qemuBinary();
      } catch {
        // No QEMU: qemu-img may still be on PATH, and creating a disk needs nothing else.
      }
      return findQemuImg(qemu, env);
    },
    ovmf(secureBoot = false) {
      return findOvmf({ secureBoot });
    },
    // async, so that a missing QEMU is a rejection: callers that go on without one (vm.create's
    // checks, the kiosk) catch it with .catch(), which a synchronous throw would get past.
    async qemuCapabilities() {
      return capabilities.get(service.qemuBinary());
    },
    swtpm() {
      return searchPath('swtpm', env) ?? null;
    },
    connectors() {
      return readDrmConnectors(createHostReader(host.root));
    },
    hugepagePools() {
      return readHugepagePools(createHostReader(host.root));
    },
    async info() {
      const { accelerator, reason } = await service.accelerator();
      try {
        const path = service.qemuBinary();
        let version = versions.get(path);
        if (!version) versions.set(path, (version = qemuVersion(path)));
        return { accelerator, acceleratorReason: reason, qemu: { path, version: await version } };
      } catch (error) {
        const message =
          error instanceof TesseraError || error instanceof Error ? error.message : String(error);
        return { accelerator, acceleratorReason: reason, qemu: { error: message } };
      }
    },
    async facts() {
      const reader = createHostReader(host.root);
      const info = await service.info();
      const facts: HostFacts = {
        ...readKernelFacts(reader),
        accelerator: { accelerator: info.accelerator, reason: info.acceleratorReason },
        kvm: (await service.accelerator()).findings,
        qemu: info.qemu,
        ovmf: service.ovmf(),
        swtpm: service.swtpm(),
        memlock: readMemlock(),
      };
      return { facts, unreadable: reader.unreadable };
    },
    memlockFor: (guestMiB) => memlockCheck(readMemlock(), guestMiB),
    runFacts(drivers) {
      const fact = (...paths: string[]): HostFact => {
        let reason = '';
        for (const p of paths) {
          const read = host.root.readText(p);
          if (read.ok) return { value: read.value.trim() };
          reason ||= read.reason;
        }
        return { unreadable: reason };
      };
      // xe's PMU counts engine-active-ticks/engine-total-ticks per function (the `function` format
      // field) on recent kernels (Documentation/gpu/xe/xe_pmu.rst); i915 has nothing per VF.
      const pmus = createHostReader(host.root)
        .list('/sys/bus/event_source/devices')
        .filter((d) => d.startsWith('xe_'))
        .filter(
          (d) =>
            host.root.readText(`/sys/bus/event_source/devices/${d}/events/engine-active-ticks`).ok &&
            host.root.readText(`/sys/bus/event_source/devices/${d}/format/function`).ok,
        );
      return {
        kernelRelease: fact('/proc/sys/kernel/osrelease'),
        kernelCmdline: fact('/proc/cmdline'),
        moduleVersions: Object.fromEntries(
          drivers.map((d) => [d, fact(`/sys/module/${d}/version`, `/sys/module/${d}/srcversion`)]),
        ),
        engineActivity:
          pmus.length > 0
            ? {
                available: true,
                detail: `the xe PMU (${pmus.join(', ')}) has engine-active-ticks per function; Tessera does not sample it yet (perf_event_open needs a native addon)`,
              }
            : { available: false, detail: 'not available on this driver' },
      };
    },
    async doctor(inventory, largestGuestMiB) {
      const { facts, unreadable } = await service.facts();
      return {
        host: host.identity,
        ...runDoctor({ facts, inventory, largestGuestMiB }),
        facts,
        unreadable: [...unreadable, ...inventory.unreadable],
      };
    },
  };
  return service;
}
