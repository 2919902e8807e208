import fsp from 'node:fs/promises';
import { TesseraError } from '../../shared/errors';
import type { VmSpec } from '../../shared/vm-spec';
import type { QemuHost } from './qemu-args';

/**
 * The VM's own copy of OVMF's variable store, made from the firmware's template at its first
 * UEFI start and kept from then on (boot entries, Secure Boot keys live in it). The Secure Boot
 * build keeps a store of its own: its template has Microsoft's keys enrolled (vm-spec.ts
 * `Firmware`).
 */
export async function prepareUefiVars(
  spec: VmSpec,
  host: Pick<QemuHost, 'firmware' | 'data'>,
): Promise<void> {
  const secureBoot = spec.firmware === 'uefi-secure-boot';
  if (!host.firmware) {
    throw new TesseraError(
      'BAD_INPUT',
      `UEFI firmware (OVMF${secureBoot ? ' with Secure Boot' : ''}) is not installed: install the Debian package ovmf`,
      {
        issues: [{ path: ['firmware'], message: 'OVMF is not installed: install the Debian package ovmf' }],
      },
    );
  }
  await fsp.mkdir(host.data.dir, { recursive: true, mode: 0o700 });
  const vars = secureBoot ? host.data.uefiSecureBootVars : host.data.uefiVars;
  try {
    await fsp.copyFile(host.firmware.ovmfVarsTemplate, vars, fsp.constants.COPYFILE_EXCL);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}
