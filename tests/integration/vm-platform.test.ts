// What a VM's platform settings do to a real QEMU run: vCPUs pinned to host CPUs, a TPM served by
// swtpm for as long as QEMU holds it, guest RAM from a shared memfd, Hyper-V enlightenments and
// an e1000e NIC on a guest that boots.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '../../src/shared/client';
import type { Backend } from '../../src/main/backend';
import { searchPath } from '../../src/main/host/qemu-binary';
import { vmRuntimeFiles } from '../../src/main/paths';
import { connectBackend } from '../support/memory-backend';
import { GUEST_READY_MARKER, buildTinyGuest, type TinyGuest, tinyVmInput } from '../support/tiny-guest';
import { TINY_GUEST_DIR, killVms, makeTempHome, type TempHome } from '../support/temp-home';
import { GUEST_WAIT_MS, GUEST_WAIT_S } from '../support/patience';

let home: TempHome;
let backend: Backend;
let client: Client;
let guest: TinyGuest;

beforeAll(async () => {
  guest = buildTinyGuest(TINY_GUEST_DIR);
  home = makeTempHome('tessera-platform-');
  ({ backend, client } = await connectBackend({ paths: home.paths }));
});

afterAll(async () => {
  killVms(home.paths);
  await backend.close();
  home.cleanup();
});

const tiny = (name: string, extra: Record<string, unknown> = {}) => tinyVmInput(guest, name, 192, extra);

/** The CPUs a thread may run on, as the kernel lists them (`1`, `0-1`). */
function allowedCpus(pid: number, tid: number): string {
  const status = fs.readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
  return /^Cpus_allowed_list:\s*(\S+)$/m.exec(status)?.[1] ?? '';
}

async function stopped(id: string): Promise<void> {
  await client.call('vm.kill', { id });
  const deadline = Date.now() + GUEST_WAIT_MS;
  while ((await client.call('vm.get', { id })).state !== 'stopped') {
    if (Date.now() > deadline) throw new Error(`${id} did not stop`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('platform settings on a real QEMU run', () => {
  const lastCpu = os.availableParallelism() - 1;

  it.skipIf(lastCpu === 0)('pins each vCPU thread to its host CPU', async () => {
    await client.call('vm.create', tiny('pinned', { cpus: 1, cpuPinning: [lastCpu] }));
    const vm = await client.call('vm.start', { id: 'pinned' });
    const pid = vm.pid ?? 0;
    // One thread, the vCPU's, runs on that CPU alone; the rest of QEMU is left where it was.
    const threads = fs.readdirSync(`/proc/${pid}/task`).map(Number);
    const pinned = threads.filter((tid) => allowedCpus(pid, tid) === String(lastCpu));
    expect(pinned).toHaveLength(1);
    expect(pinned).not.toContain(pid);
    expect(allowedCpus(pid, pid)).toBe(`0-${lastCpu}`);
    await stopped('pinned');
  });

  it.skipIf(searchPath('swtpm', process.env) === undefined)(
    'serves a TPM through swtpm while QEMU runs, alongside memfd RAM, Hyper-V and e1000e',
    async () => {
      await client.call('vm.create', {
        ...tiny('tpm', { append: `${guest.append} tpm_tis.interrupts=0` }),
        tpm: true,
        hyperv: true,
        memoryBacking: { shared: true },
        network: { model: 'e1000e' },
      });
      await client.call('vm.start', { id: 'tpm' });
      await client.call('vm.waitSerial', {
        id: 'tpm',
        text: GUEST_READY_MARKER,
        timeoutSeconds: GUEST_WAIT_S,
      });
      const files = vmRuntimeFiles(home.paths.runtimeDir, 'tpm');
      const swtpmPid = Number(fs.readFileSync(path.join(files.dir, 'swtpm.pid'), 'utf8'));
      expect(fs.readFileSync(`/proc/${swtpmPid}/comm`, 'utf8').trim()).toBe('swtpm');
      // The TPM's state lives with the VM's data, so its keys survive a restart.
      expect(fs.readdirSync(path.join(home.paths.dataDir, 'vms', 'tpm', 'tpm')).length).toBeGreaterThan(0);
      await stopped('tpm');
      // swtpm ends with its client.
      const deadline = Date.now() + GUEST_WAIT_MS;
      while (fs.existsSync(`/proc/${swtpmPid}`) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      expect(fs.existsSync(`/proc/${swtpmPid}`)).toBe(false);
    },
  );
});
