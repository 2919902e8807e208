/**
 * The runs an earlier backend (or the CLI) left in `$XDG_RUNTIME_DIR/tessera`: a QEMU still
 * running is attached to again; a pidfile whose QEMU is gone means it died unwatched (QEMU
 * deletes its pidfile when it exits normally).
 */
import fsp from 'node:fs/promises';
import { vmRuntimeFiles } from '../paths';
import { checkRuntimeDir, checkVmRuntimeDir } from '../fsutil/private-dir';
import { isQemuFor, readPidFile, tailFile } from './qemu-process';
import { VmRunner, type QemuSeam } from './vm-runner';

export type LeftRun =
  { id: string; runner: VmRunner } | { id: string; crashed: { message: string; logTail: string[] } };

/**
 * Hands each run left behind to `visit` as soon as it is found, so an attached QEMU is watched
 * before it can end unseen; a crashed one's pidfile is removed first (what it held is the
 * visitor's to give back).
 */
export async function visitLeftRuns(
  runtimeDir: string,
  visit: (run: LeftRun) => Promise<void> | void,
  qemu?: QemuSeam,
): Promise<void> {
  // Someone else's runtime dir is refused here too (an UnsafeRuntimeDir for whoever started the backend).
  if (!(await checkRuntimeDir(runtimeDir))) return;
  let names: string[];
  try {
    names = await fsp.readdir(runtimeDir);
  } catch {
    return;
  }
  await Promise.all(
    names.map(async (id) => {
      const run = await leftRun(runtimeDir, id, qemu);
      if (run !== null) await visit(run);
    }),
  );
}

async function leftRun(runtimeDir: string, id: string, qemu?: QemuSeam): Promise<LeftRun | null> {
  const files = vmRuntimeFiles(runtimeDir, id);
  // A VM dir that is a link or not ours was not made by Tessera: nothing in it is trusted.
  if (
    !(await checkVmRuntimeDir(files.dir).then(
      () => true,
      () => false,
    ))
  )
    return null;
  const pid = await readPidFile(files.pid);
  if (pid === undefined) return null;
  if (await isQemuFor(pid, files.pid)) {
    const runner = new VmRunner(id, files, qemu);
    try {
      await runner.attach(pid);
      return { id, runner };
    } catch {
      runner.detach();
      return null;
    }
  }
  const crashed = {
    message: 'QEMU ended while no Tessera backend was watching it',
    logTail: await tailFile(files.log, 20),
  };
  await fsp.rm(files.pid, { force: true });
  return { id, crashed };
}
