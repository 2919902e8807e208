/** Checks of a spec against the other VMs and this host that refuse a definition or a start. */
import os from 'node:os';
import { TesseraError } from '../../shared/errors';
import type { VmSpec } from '../../shared/vm-spec';
import { findForwardConflicts } from './preflight';

/** Two VMs never forward the same host port (preflight.ts findForwardConflicts). */
export function refuseForwardConflicts(spec: VmSpec, others: readonly VmSpec[]): void {
  const conflict = findForwardConflicts(spec, others);
  if (conflict.length > 0) throw new TesseraError('CONFLICT', conflict.join('; '));
}

/** More memory than the host has is refused before QEMU starts, with both sizes named. */
export function refuseMoreMemoryThanHost(spec: VmSpec, totalBytes: number = os.totalmem()): void {
  if (spec.memoryMiB * 1024 * 1024 > totalBytes) {
    throw new TesseraError(
      'BAD_INPUT',
      `VM '${spec.name}' asks for ${spec.memoryMiB} MiB but this host has only ${Math.floor(totalBytes / 1048576)} MiB`,
    );
  }
}
