import { spawn } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/**
 * Can QEMU really run guest code under KVM here? An openable /dev/kvm is not enough: nested or
 * paravirtual KVMs (a cloud VM whose CPU shows no vmx) let the device open, create vCPUs and
 * then run the guest so slowly that nothing ever boots, or abort vCPU setup ("failed to set MSR").
 *
 * So the probe boots a real guest: the same q35 machine and SeaBIOS a VM starts with, and a
 * 512-byte boot sector made on the fly that writes PROBE_MARKER to COM1 and ends QEMU through
 * `isa-debug-exit` (QEMU hw/misc/debugexit.c: exit status (value << 1) | 1). It runs under KVM and,
 * at the same time, under TCG: software emulation is the yardstick, so the deadline follows the
 * machine's load instead of a guess. KVM passes when it finishes; it is refused when it fails, or
 * when TCG has finished and KVM has not within the grace that follows.
 */

/** What the boot sector writes to COM1. */
export const PROBE_MARKER = 'TESSERA-KVM-PROBE';
const EXIT_VALUE = 0x2a;
/** QEMU's exit status for EXIT_VALUE written to isa-debug-exit. */
export const PROBE_EXIT_STATUS = (EXIT_VALUE << 1) | 1;

/**
 * Real-mode code at 0000:7C00 (where the BIOS loads a boot sector):
 *   xor ax, ax ; mov ds, ax ; mov si, msg ; mov dx, 0x3f8
 *   next: lodsb ; test al, al ; jz done ; out dx, al ; jmp next
 *   done: mov al, EXIT_VALUE ; out 0xf4, al ; hlt ; jmp $-1
 */
export function probeBootSector(): Buffer {
  const message = Buffer.from(`${PROBE_MARKER}\n\0`, 'latin1');
  const code = [
    0x31, 0xc0, 0x8e, 0xd8, 0xbe, 0, 0, 0xba, 0xf8, 0x03, 0xac, 0x84, 0xc0, 0x74, 0x03, 0xee, 0xeb, 0xf8,
  ];
  code.push(0xb0, EXIT_VALUE, 0xe6, 0xf4, 0xf4, 0xeb, 0xfd);
  const messageAt = 0x7c00 + code.length;
  code[5] = messageAt & 0xff;
  code[6] = messageAt >> 8;
  const sector = Buffer.alloc(512);
  Buffer.from(code).copy(sector, 0);
  message.copy(sector, code.length);
  sector[510] = 0x55;
  sector[511] = 0xaa;
  return sector;
}

/** The probe's disk: the boot sector in a sparse 1 MiB raw image. */
export async function writeProbeImage(file: string): Promise<void> {
  await fsp.writeFile(file, probeBootSector());
  // SeaBIOS reads a disk by its geometry: one of a single sector has no cylinder and "could not
  // read the boot disk". A 1 MiB one has.
  await fsp.truncate(file, 1024 * 1024);
}

/** The QEMU argv that boots `image` under `accel` (the machine type a VM uses). */
export function probeArgs(accel: 'kvm' | 'tcg', image: string): string[] {
  return [
    '-machine',
    `q35,accel=${accel}`,
    '-cpu',
    accel === 'kvm' ? 'host' : 'max',
    '-m',
    '32',
    '-nodefaults',
    '-no-user-config',
    '-display',
    'none',
    '-drive',
    `if=none,id=probe,format=raw,snapshot=on,file=${image}`,
    '-device',
    'ide-hd,drive=probe,bootindex=0',
    '-serial',
    'stdio',
    '-device',
    'isa-debug-exit,iobase=0xf4,iosize=0x04',
  ];
}

export type BootResult =
  { ok: true; elapsedMs: number } | { ok: false; elapsedMs: number; reason: string; timedOut: boolean };

/** Boot the probe image once; resolves when QEMU exits or is killed at `deadlineMs` or by `abort`. */
export function bootProbe(
  qemuPath: string,
  accel: 'kvm' | 'tcg',
  image: string,
  deadlineMs: number,
  abort: AbortSignal,
): Promise<BootResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(qemuPath, probeArgs(accel, image), { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('latin1').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const kill = () => child.kill('SIGKILL');
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, deadlineMs);
    abort.addEventListener('abort', kill, { once: true });
    const done = (result: BootResult) => {
      clearTimeout(timer);
      abort.removeEventListener('abort', kill);
      resolve(result);
    };
    child.once('error', (error) =>
      done({ ok: false, elapsedMs: Date.now() - started, reason: error.message, timedOut: false }),
    );
    child.once('close', (code, signal) => {
      const elapsedMs = Date.now() - started;
      if (code === PROBE_EXIT_STATUS && stdout.includes(PROBE_MARKER)) return done({ ok: true, elapsedMs });
      const last = stderr.trim().split('\n').filter(Boolean).at(-1);
      const reason =
        last ??
        (timedOut
          ? `no output in ${seconds(deadlineMs)}`
          : signal
            ? `QEMU was killed by ${signal}`
            : `QEMU exited with code ${code} before the test guest ran`);
      done({ ok: false, elapsedMs, reason, timedOut });
    });
  });
}

export interface KvmProbeResult {
  ok: boolean;
  /** One sentence: what the probe saw. */
  reason: string;
  kvmMs: number;
  /** How long TCG took for the same guest; null when KVM finished first. */
  tcgMs: number | null;
}

export interface KvmProbeOptions {
  /** The longest the probe waits for either accelerator. */
  deadlineMs?: number;
  /** How long KVM may still take after TCG finished: at least this, and at least TCG's own time. */
  graceMs?: number;
  boot?: typeof bootProbe;
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

export async function probeKvm(qemuPath: string, options: KvmProbeOptions = {}): Promise<KvmProbeResult> {
  const deadlineMs = options.deadlineMs ?? 20_000;
  const graceMs = options.graceMs ?? 1_000;
  const boot = options.boot ?? bootProbe;
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'tessera-kvm-probe-'));
  const image = path.join(dir, 'boot.img');
  const stopKvm = new AbortController();
  const stopTcg = new AbortController();
  let grace: NodeJS.Timeout | undefined;
  try {
    await writeProbeImage(image);
    const kvm = boot(qemuPath, 'kvm', image, deadlineMs, stopKvm.signal).then((r) => {
      stopTcg.abort();
      return r;
    });
    const tcg = boot(qemuPath, 'tcg', image, deadlineMs, stopTcg.signal).then((r) => {
      if (r.ok) grace = setTimeout(() => stopKvm.abort(), Math.max(graceMs, r.elapsedMs));
      return r;
    });
    const k = await kvm;
    if (k.ok) {
      await tcg;
      return {
        ok: true,
        reason: `KVM ran the test guest in ${k.elapsedMs} ms`,
        kvmMs: k.elapsedMs,
        tcgMs: null,
      };
    }
    const t = await tcg;
    if (t.ok && !k.timedOut && stopKvm.signal.aborted) {
      return {
        ok: false,
        reason: `KVM had not run the test guest after ${seconds(k.elapsedMs)}, while software emulation ran it in ${seconds(t.elapsedMs)}`,
        kvmMs: k.elapsedMs,
        tcgMs: t.elapsedMs,
      };
    }
    return {
      ok: false,
      reason: k.timedOut
        ? `KVM had not run the test guest after ${seconds(k.elapsedMs)}`
        : `QEMU could not run the test guest under KVM: ${k.reason}`,
      kvmMs: k.elapsedMs,
      tcgMs: t.ok ? t.elapsedMs : null,
    };
  } finally {
    clearTimeout(grace);
    stopKvm.abort();
    stopTcg.abort();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
