import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { probeKvm } from './kvm-probe';

function fakeQemu(script: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fake-qemu-'));
  const file = path.join(dir, 'qemu-system-x86_64');
  fs.writeFileSync(file, `#!/bin/sh\n${script}\n`, { mode: 0o755 });
  return file;
}

describe('probeKvm', () => {
  it('accepts a QEMU that creates the KVM machine and quits cleanly', async () => {
    expect(await probeKvm(fakeQemu('cat >/dev/null; exit 0'))).toEqual({ ok: true });
  });

  it("reports QEMU's last complaint when KVM setup aborts", async () => {
    const qemu = fakeQemu('echo "qemu-system-x86_64: failed to set MSR 0x10a to 0x0" >&2; kill -ABRT $$');
    expect(await probeKvm(qemu)).toEqual({
      ok: false,
      reason: 'qemu-system-x86_64: failed to set MSR 0x10a to 0x0',
    });
  });

  it('gives up on a QEMU that hangs', async () => {
    expect(await probeKvm(fakeQemu('exec sleep 30'), 200)).toEqual({
      ok: false,
      reason: 'QEMU was killed by SIGKILL',
    });
  });

  it('reports a binary that cannot run', async () => {
    expect(await probeKvm('/nonexistent/qemu')).toMatchObject({
      ok: false,
      reason: expect.stringContaining('ENOENT'),
    });
  });
});
