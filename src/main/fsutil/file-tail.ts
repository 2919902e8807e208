import fsp from 'node:fs/promises';

/**
 * The last `maxBytes` of a file as it is now (empty when it does not exist yet), and whether
 * that cut its start off.
 */
export async function readFileTail(file: string, maxBytes: number): Promise<{ data: Buffer; cut: boolean }> {
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(file, 'r');
  } catch {
    return { data: Buffer.alloc(0), cut: false };
  }
  try {
    const { size } = await handle.stat();
    const from = Math.max(0, size - maxBytes);
    const data = Buffer.alloc(size - from);
    const { bytesRead } = await handle.read(data, 0, data.length, from);
    return { data: data.subarray(0, bytesRead), cut: from > 0 };
  } finally {
    await handle.close();
  }
}
