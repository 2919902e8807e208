import { execFile } from 'node:child_process';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { TesseraError } from '../../shared/errors';
import type { VmDataFiles, VmRuntimeFiles } from '../paths';
import { readPidFile } from './qemu-process';
import { ensureVmRuntimeDir } from '../fsutil/private-dir';

/** swtpm's pidfile and log sit next to its socket, in the VM's runtime dir. */
function files(runtime: VmRuntimeFiles) {
  return { pid: path.join(runtime.dir, 'swtpm.pid'), log: path.join(runtime.dir, 'swtpm.log') };
}

/** swtpm's argv (without the binary); the script export starts it the same way. */
export function swtpmArgs(runtime: VmRuntimeFiles, data: VmDataFiles): string[] {
  const { pid, log } = files(runtime);
  return [
    'socket',
    '--tpm2',
    '--tpmstate',
    `dir=${data.tpmState},mode=0600`,
    '--ctrl',
    `type=unixio,path=${runtime.swtpm},mode=0600`,
    '--pid',
    `file=${pid}`,
    '--log',
    `file=${log}`,
    '--terminate',
    '--daemon',
  ];
}

/**
 * The VM's TPM emulator, on the socket its argv names (qemu-args-platform.ts). It daemonizes once
 * the socket listens, keeps the TPM's state in the VM's data dir, and ends by itself when QEMU
 * lets go of it (`--terminate`), so a stop, a crash or a backend restart needs nothing more.
 */
export async function startSwtpm(swtpm: string, runtime: VmRuntimeFiles, data: VmDataFiles): Promise<void> {
  await fsp.mkdir(data.tpmState, { recursive: true, mode: 0o700 });
  await ensureVmRuntimeDir(runtime.dir);
  await fsp.rm(runtime.swtpm, { force: true });
  const args = swtpmArgs(runtime, data);
  await new Promise<void>((resolve, reject) => {
    execFile(swtpm, args, { timeout: 10_000 }, (error, _stdout, stderr) => {
      if (!error) return resolve();
      reject(
        new TesseraError(
          'UNAVAILABLE',
          `the VM's TPM emulator (swtpm) did not start: ${stderr.trim() || error.message}`,
        ),
      );
    });
  });
}

/** For a start that failed before QEMU connected: swtpm would wait for it forever. */
export async function stopSwtpm(runtime: VmRuntimeFiles): Promise<void> {
  const pid = await readPidFile(files(runtime).pid);
  if (pid === undefined) return;
  // A pid left in the file may belong to another program by now.
  const name = await fsp.readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '');
  if (name.trim() !== 'swtpm') return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    // Gone meanwhile: it ends with its client.
  }
}
