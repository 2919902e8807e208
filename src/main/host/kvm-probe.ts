import { spawn } from 'node:child_process';

/**
 * Can QEMU really run a KVM guest here? An openable /dev/kvm is not enough: nested or restricted
 * hypervisors let the device open and then abort vCPU setup ("failed to set MSR"). Creating a
 * paused q35 machine with `-cpu host` exercises exactly that path in about 50 ms, without a guest.
 */
export function probeKvm(
  qemuPath: string,
  timeoutMs = 10_000,
): Promise<{ ok: true } | { ok: false; reason: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      qemuPath,
      [
        '-machine',
        'q35,accel=kvm',
        '-cpu',
        'host',
        '-m',
        '64',
        '-nodefaults',
        '-no-user-config',
        '-display',
        'none',
        '-S',
        '-qmp',
        'stdio',
      ],
      { stdio: ['pipe', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      resolve({ ok: false, reason: error.message });
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolve({ ok: true });
      const last = stderr.trim().split('\n').filter(Boolean).at(-1);
      resolve({
        ok: false,
        reason: last ?? (signal ? `QEMU was killed by ${signal}` : `QEMU exited with code ${code}`),
      });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end('{"execute":"qmp_capabilities"}\n{"execute":"quit"}\n');
  });
}
