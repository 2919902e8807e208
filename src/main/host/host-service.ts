import { TesseraError } from '../../shared/errors';
import { detectAccelerator } from './accelerator';
import { findOvmf, findQemu, qemuVersion } from './qemu-binary';

export interface HostOptions {
  env?: NodeJS.ProcessEnv;
  /** A QEMU binary to use instead of the one on PATH. */
  qemuBinary?: string;
  /** Force an accelerator (tests force tcg); otherwise TESSERA_ACCEL or what /dev/kvm allows. */
  accelerator?: 'kvm' | 'tcg';
  devKvmPath?: string;
}

export interface HostService {
  accelerator(): { accelerator: 'kvm' | 'tcg'; reason: string };
  qemuBinary(): string;
  ovmf(): { ovmfCode: string; ovmfVarsTemplate: string } | null;
  info(): Promise<{
    accelerator: 'kvm' | 'tcg';
    acceleratorReason: string;
    qemu: { path: string; version: string } | { error: string };
  }>;
}

export function createHostService(options: HostOptions): HostService {
  const env = options.env ?? process.env;
  let accel: { accelerator: 'kvm' | 'tcg'; reason: string } | undefined;
  const versions = new Map<string, Promise<string>>();
  const service: HostService = {
    accelerator() {
      accel ??= options.accelerator
        ? { accelerator: options.accelerator, reason: 'chosen by the backend options' }
        : detectAccelerator({ env, devKvmPath: options.devKvmPath ?? '/dev/kvm' });
      return accel;
    },
    qemuBinary() {
      return findQemu(options.qemuBinary === undefined ? { env } : { env, override: options.qemuBinary }).path;
    },
    ovmf() {
      return findOvmf();
    },
    async info() {
      const { accelerator, reason } = service.accelerator();
      try {
        const path = service.qemuBinary();
        let version = versions.get(path);
        if (!version) versions.set(path, (version = qemuVersion(path)));
        return { accelerator, acceleratorReason: reason, qemu: { path, version: await version } };
      } catch (error) {
        const message = error instanceof TesseraError || error instanceof Error ? error.message : String(error);
        return { accelerator, acceleratorReason: reason, qemu: { error: message } };
      }
    },
  };
  return service;
}
