import fs from 'node:fs';
import { TesseraError } from '../../shared/errors';

export type Accelerator = 'kvm' | 'tcg';

export interface AcceleratorChoice {
  accelerator: Accelerator;
  /** Why this one, in words a user can act on when it is the slow one. */
  reason: string;
}

export interface DetectAcceleratorOptions {
  env: NodeJS.ProcessEnv;
  devKvmPath: string;
  /** fs.accessSync by default; tests replace it because root passes every permission check. */
  access?: (path: string, mode: number) => void;
}

const ACCELERATORS: readonly Accelerator[] = ['kvm', 'tcg'];

/**
 * KVM when this user can open /dev/kvm read-write (what QEMU needs for `accel=kvm`), else TCG.
 * `TESSERA_ACCEL` overrides the guess, e.g. TCG in tests or on a host whose KVM is broken.
 */
export function detectAccelerator(opts: DetectAcceleratorOptions): AcceleratorChoice {
  const override = opts.env.TESSERA_ACCEL;
  if (override !== undefined && override !== '') {
    if (!isAccelerator(override)) {
      throw new TesseraError(
        'BAD_INPUT',
        `TESSERA_ACCEL=${override} is not an accelerator: use ${ACCELERATORS.join(' or ')}`,
      );
    }
    return { accelerator: override, reason: `TESSERA_ACCEL=${override}` };
  }

  const access = opts.access ?? fs.accessSync;
  const kvm = opts.devKvmPath;
  try {
    access(kvm, fs.constants.R_OK | fs.constants.W_OK);
    return { accelerator: 'kvm', reason: `${kvm} is usable` };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      return {
        accelerator: 'tcg',
        reason: `${kvm} missing: enable virtualization in firmware and load kvm_intel (or kvm_amd)`,
      };
    }
    if (code === 'EACCES' || code === 'EPERM') {
      return { accelerator: 'tcg', reason: `no permission on ${kvm}: add your user to the kvm group` };
    }
    return { accelerator: 'tcg', reason: `cannot open ${kvm} (${code ?? String(error)})` };
  }
}

function isAccelerator(value: string): value is Accelerator {
  return (ACCELERATORS as readonly string[]).includes(value);
}
