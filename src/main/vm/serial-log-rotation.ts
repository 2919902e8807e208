import fsp from 'node:fs/promises';
import path from 'node:path';
import type { VmDataFiles, VmRuntimeFiles } from '../paths';

/** How many earlier runs' serial output a VM keeps in its data dir. */
export const MAX_SAVED_RUNS = 10;

/**
 * Each run's serial output is kept apart, so `waitSerial` and late viewers see this run only:
 * the last run's log is copied to `run-logs/<time>-serial.log` and emptied, and only the newest
 * MAX_SAVED_RUNS copies are kept. An empty or missing log has nothing to keep.
 */
export async function rotateSerialLog(
  runtime: VmRuntimeFiles,
  data: VmDataFiles,
  now = new Date(),
): Promise<void> {
  try {
    const stat = await fsp.stat(runtime.serialLog);
    if (stat.size === 0) return;
  } catch {
    return;
  }
  await fsp.mkdir(data.runLogs, { recursive: true, mode: 0o700 });
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  await fsp.copyFile(runtime.serialLog, path.join(data.runLogs, `${stamp}-serial.log`));
  await fsp.truncate(runtime.serialLog, 0);
  const saved = (await fsp.readdir(data.runLogs)).sort();
  await Promise.all(
    saved.slice(0, -MAX_SAVED_RUNS).map((f) => fsp.rm(path.join(data.runLogs, f), { force: true })),
  );
}
