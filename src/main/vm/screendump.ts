import fsp from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

/**
 * A running VM's screen as QEMU's `screendump` writes it: PNG, or PPM (raw pixels, cheapest to
 * read). QEMU writes a file, so it goes to a fresh name in the VM's runtime dir and is read back.
 */
export async function screendump(
  qmp: (name: string, args: Record<string, unknown>) => Promise<unknown>,
  runtimeDir: string,
  format: 'png' | 'ppm',
): Promise<Buffer> {
  const file = path.join(runtimeDir, `screen-${randomBytes(6).toString('hex')}.${format}`);
  try {
    await qmp('screendump', { filename: file, format });
    return await fsp.readFile(file);
  } finally {
    await fsp.rm(file, { force: true });
  }
}
