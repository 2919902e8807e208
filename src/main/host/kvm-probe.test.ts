import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  bootProbe,
  PROBE_EXIT_STATUS,
  PROBE_MARKER,
  probeArgs,
  probeBootSector,
  probeKvm,
  type BootResult,
} from './kvm-probe';

function fakeQemu(script: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fake-qemu-'));
  const file = path.join(dir, 'qemu-system-x86_64');
  fs.writeFileSync(file, `#!/bin/sh\n${script}\n`, { mode: 0o755 });
  return file;
}

const never = new AbortController().signal;

describe('probeBootSector', () => {
  it('is one boot sector with the BIOS signature, the marker, and the debug-exit write', () => {
    const sector = probeBootSector();
    expect(sector.length).toBe(512);
    expect(sector.readUInt16LE(510)).toBe(0xaa55);
    expect(sector.toString('latin1')).toContain(`${PROBE_MARKER}\n\0`);
    // mov si, <address of the marker>: the marker's offset in the sector, loaded at 0x7c00.
    const at = sector.indexOf(PROBE_MARKER);
    expect(sector[4]).toBe(0xbe);
    expect(sector.readUInt16LE(5)).toBe(0x7c00 + at);
    // out 0xf4, al with al = 0x2a: QEMU exits with (0x2a << 1) | 1.
    expect(sector.includes(Buffer.from([0xb0, 0x2a, 0xe6, 0xf4]))).toBe(true);
    expect(PROBE_EXIT_STATUS).toBe(85);
  });

  it('boots from a disk under the accelerator asked for, with -cpu host only for KVM', () => {
    expect(probeArgs('kvm', '/tmp/x.img')).toEqual(expect.arrayContaining(['q35,accel=kvm', 'host']));
    expect(probeArgs('tcg', '/tmp/x.img')).toEqual(expect.arrayContaining(['q35,accel=tcg', 'max']));
    expect(probeArgs('tcg', '/tmp/x.img').join(' ')).toContain('file=/tmp/x.img');
  });
});

describe('bootProbe', () => {
  it('passes a QEMU that prints the marker and exits through isa-debug-exit', async () => {
    const qemu = fakeQemu(`echo ${PROBE_MARKER}; exit ${PROBE_EXIT_STATUS}`);
    expect(await bootProbe(qemu, 'kvm', '/dev/null', 10_000, never)).toMatchObject({ ok: true });
  });

  it('does not pass the exit status without the marker, nor the marker with another status', async () => {
    expect(
      await bootProbe(fakeQemu(`exit ${PROBE_EXIT_STATUS}`), 'kvm', '/dev/null', 10_000, never),
    ).toMatchObject({
      ok: false,
      reason: `QEMU exited with code ${PROBE_EXIT_STATUS} before the test guest ran`,
    });
    expect(
      await bootProbe(fakeQemu(`echo ${PROBE_MARKER}; exit 1`), 'kvm', '/dev/null', 10_000, never),
    ).toMatchObject({
      ok: false,
    });
  });

  it("reports QEMU's last complaint when KVM setup aborts", async () => {
    const qemu = fakeQemu('echo "qemu-system-x86_64: failed to set MSR 0x10a to 0x0" >&2; kill -ABRT $$');
    expect(await bootProbe(qemu, 'kvm', '/dev/null', 10_000, never)).toMatchObject({
      ok: false,
      timedOut: false,
      reason: 'qemu-system-x86_64: failed to set MSR 0x10a to 0x0',
    });
  });

  it('kills a QEMU that shows nothing by the deadline', async () => {
    expect(await bootProbe(fakeQemu('exec sleep 30'), 'kvm', '/dev/null', 200, never)).toMatchObject({
      ok: false,
      timedOut: true,
      reason: 'no output in 0.2 s',
    });
  });

  it('reports a binary that cannot run', async () => {
    expect(await bootProbe('/nonexistent/qemu', 'kvm', '/dev/null', 10_000, never)).toMatchObject({
      ok: false,
      reason: expect.stringContaining('ENOENT'),
    });
  });
});

/** A fake boot: each accelerator finishes (or is killed) when told. */
function scriptedBoot(plan: Record<'kvm' | 'tcg', { afterMs: number; ok: boolean } | 'hang'>) {
  const seen: string[] = [];
  const boot = (_q: string, accel: 'kvm' | 'tcg', image: string, deadlineMs: number, abort: AbortSignal) =>
    new Promise<BootResult>((resolve) => {
      seen.push(`${accel} ${fs.existsSync(image) ? fs.statSync(image).size : 0}`);
      const started = Date.now();
      const step = plan[accel];
      const end = (r: BootResult) => {
        clearTimeout(finish);
        clearTimeout(deadline);
        resolve(r);
      };
      const finish =
        step === 'hang'
          ? undefined
          : setTimeout(
              () =>
                end(
                  step.ok
                    ? { ok: true, elapsedMs: Date.now() - started }
                    : { ok: false, elapsedMs: Date.now() - started, reason: 'boom', timedOut: false },
                ),
              step.afterMs,
            );
      const deadline = setTimeout(
        () => end({ ok: false, elapsedMs: deadlineMs, reason: 'no output', timedOut: true }),
        deadlineMs,
      );
      abort.addEventListener('abort', () =>
        end({
          ok: false,
          elapsedMs: Date.now() - started,
          reason: 'QEMU was killed by SIGKILL',
          timedOut: false,
        }),
      );
    });
  return { boot, seen };
}

describe('probeKvm: KVM raced against TCG on the same guest', () => {
  it('passes KVM when it finishes first, and stops TCG', async () => {
    const { boot, seen } = scriptedBoot({ kvm: { afterMs: 20, ok: true }, tcg: 'hang' });
    const result = await probeKvm('/usr/bin/qemu', { boot, deadlineMs: 10_000 });
    expect(result).toMatchObject({ ok: true, tcgMs: null });
    expect(result.reason).toMatch(/^KVM ran the test guest in \d+ ms$/);
    // Both boot the same 1 MiB image (one sector has no cylinder for SeaBIOS).
    expect(seen.sort()).toEqual([`kvm ${1024 * 1024}`, `tcg ${1024 * 1024}`]);
  });

  it('refuses a KVM that has not finished within the grace after TCG did', async () => {
    const { boot } = scriptedBoot({ kvm: 'hang', tcg: { afterMs: 30, ok: true } });
    const result = await probeKvm('/usr/bin/qemu', { boot, deadlineMs: 10_000, graceMs: 50 });
    expect(result.ok).toBe(false);
    expect(result.tcgMs).not.toBeNull();
    expect(result.reason).toMatch(
      /^KVM had not run the test guest after \d\.\d s, while software emulation ran it in \d\.\d s$/,
    );
  });

  it('waits out the grace: a KVM slower than TCG but within it passes', async () => {
    const { boot } = scriptedBoot({ kvm: { afterMs: 60, ok: true }, tcg: { afterMs: 10, ok: true } });
    expect(await probeKvm('/usr/bin/qemu', { boot, deadlineMs: 10_000, graceMs: 2_000 })).toMatchObject({
      ok: true,
    });
  });

  it("refuses a KVM that QEMU cannot start, with QEMU's reason", async () => {
    const { boot } = scriptedBoot({ kvm: { afterMs: 5, ok: false }, tcg: 'hang' });
    expect(await probeKvm('/usr/bin/qemu', { boot, deadlineMs: 10_000 })).toMatchObject({
      ok: false,
      reason: 'QEMU could not run the test guest under KVM: boom',
    });
  });

  it('refuses KVM when neither finishes by the deadline', async () => {
    const { boot } = scriptedBoot({ kvm: 'hang', tcg: 'hang' });
    expect(await probeKvm('/usr/bin/qemu', { boot, deadlineMs: 100 })).toMatchObject({
      ok: false,
      reason: 'KVM had not run the test guest after 0.1 s',
      tcgMs: null,
    });
  });
});
