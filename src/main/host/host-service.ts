import { TesseraError } from '../../shared/errors';
import { detectAccelerator, type AcceleratorChoice } from './accelerator';
import { probeKvm } from './kvm-probe';
import { findOvmf, findQemu, findQemuImg, qemuVersion } from './qemu-binary';

export interface HostOptions {
  env?: NodeJS.ProcessEnv;
  /** A QEMU binary to use instead of the one on PATH. */
  qemuBinary?: string;
  /** Force an accelerator (tests force tcg); otherwise TESSERA_ACCEL or what /dev/kvm allows. */
  accelerator?: 'kvm' | 'tcg';
  devKvmPath?: string;
}

export interface HostService {
  /** Decided once per backend: an override, or KVM when QEMU can really use it, else TCG. */
  accelerator(): Promise<AcceleratorChoice>;
  qemuBinary(): string;
  /** Throws QEMU_MISSING with the package to install. */
  qemuImg(): string;
  ovmf(): { ovmfCode: string; ovmfVarsTemplate: string } | null;
  info(): Promise<{
    accelerator: 'kvm' | 'tcg';
    acceleratorReason: string;
    qemu: { path: string; version: string } | { error: string };
  }>;
}

export function createHostService(options: HostOptions): HostService {
  const env = options.env ?? process.env;
  let accel: Promise<AcceleratorChoice> | undefined;
  const versions = new Map<string, Promise<string>>();
  const service: HostService = {
    accelerator() {
      accel ??= (async (): Promise<AcceleratorChoice> => {
        if (options.accelerator)
          return { accelerator: options.accelerator, reason: 'chosen by the backend options' };
        const choice = detectAccelerator({ env, devKvmPath: options.devKvmPath ?? '/dev/kvm' });
        if (choice.accelerator !== 'kvm' || env.TESSERA_ACCEL) return choice;
        let qemu: string;
        try {
          qemu = service.qemuBinary();
        } catch {
          return choice; // without QEMU nothing starts anyway; the start says why
        }
        const probe = await probeKvm(qemu);
        return probe.ok
          ? choice
          : {
              accelerator: 'tcg',
              reason: `KVM is present but QEMU cannot use it (${probe.reason}); guests run in software`,
            };
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
    ovmf() {
      return findOvmf();
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
  };
  return service;
}
