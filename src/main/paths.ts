import os from 'node:os';
import path from 'node:path';
import { fallbackRuntimeBase } from './fsutil/private-dir';

/** Where Tessera keeps state (DESIGN.md "Where state lives"). Every root can be overridden. */
export interface TesseraPaths {
  /** `$XDG_CONFIG_HOME/tessera`: vms/<id>.json, settings.json */
  configDir: string;
  /** `$XDG_RUNTIME_DIR/tessera`: control socket and one 0700 dir per running VM */
  runtimeDir: string;
  /** `$XDG_DATA_HOME/tessera`: disks, firmware vars, run logs */
  dataDir: string;
  /** `$XDG_CACHE_HOME/tessera`: what can be found out again (what the QEMU binary can do). */
  cacheDir: string;
}

export function defaultPaths(env: NodeJS.ProcessEnv = process.env): TesseraPaths {
  const home = env.HOME ?? os.homedir();
  const config = env.XDG_CONFIG_HOME || path.join(home, '.config');
  const data = env.XDG_DATA_HOME || path.join(home, '.local', 'share');
  const cache = env.XDG_CACHE_HOME || path.join(home, '.cache');
  // Without a session runtime dir (root shells, containers) fall back to a per-user dir in /tmp:
  // socket paths must stay short (108 bytes). Anyone can make that name first, so it is made
  // and checked (ours, 0700, no link) before any use: fsutil/private-dir.ts.
  const runtime = env.XDG_RUNTIME_DIR || fallbackRuntimeBase();
  return {
    configDir: path.join(config, 'tessera'),
    runtimeDir: path.join(runtime, 'tessera'),
    dataDir: path.join(data, 'tessera'),
    cacheDir: path.join(cache, 'tessera'),
  };
}

/** Per-VM files; one place so the argv builder, supervisor and re-attach agree. */
export function vmRuntimeFiles(runtimeDir: string, id: string) {
  const dir = path.join(runtimeDir, id);
  return {
    dir,
    qmp: path.join(dir, 'qmp.sock'),
    vnc: path.join(dir, 'vnc.sock'),
    spice: path.join(dir, 'spice.sock'),
    serial: path.join(dir, 'serial.sock'),
    monitor: path.join(dir, 'monitor.sock'),
    /** The QEMU guest agent's channel (VmSpec.guestAgent). */
    guestAgent: path.join(dir, 'qga.sock'),
    /** The TPM emulator's control socket (swtpm), for VMs with a TPM. */
    swtpm: path.join(dir, 'swtpm.sock'),
    pid: path.join(dir, 'qemu.pid'),
    log: path.join(dir, 'qemu.log'),
    serialLog: path.join(dir, 'serial.log'),
    monitorLog: path.join(dir, 'monitor.log'),
    state: path.join(dir, 'state.json'),
  };
}
export type VmRuntimeFiles = ReturnType<typeof vmRuntimeFiles>;

/** What a QEMU run leaves behind (sockets, pidfile) that the next run must not mistake for its own. */
export function qemuRunFiles(files: VmRuntimeFiles): string[] {
  return [files.qmp, files.vnc, files.spice, files.serial, files.monitor, files.guestAgent, files.pid];
}

export function vmDataFiles(dataDir: string, id: string) {
  const dir = path.join(dataDir, 'vms', id);
  return {
    dir,
    uefiVars: path.join(dir, 'OVMF_VARS.fd'),
    /** Secure Boot's variable store starts from another template (enrolled keys), so it is a file of its own. */
    uefiSecureBootVars: path.join(dir, 'OVMF_VARS.ms.fd'),
    /** swtpm's state: the TPM's keys live as long as the VM. */
    tpmState: path.join(dir, 'tpm'),
    runLogs: path.join(dir, 'runs'),
    /** The screen as it last looked, for the card of a stopped VM. */
    lastFrame: path.join(dir, 'last-frame.png'),
    /** Host keys of the guest's SSH server, apart from the user's own known_hosts. */
    knownHosts: path.join(dir, 'known_hosts'),
  };
}
export type VmDataFiles = ReturnType<typeof vmDataFiles>;
