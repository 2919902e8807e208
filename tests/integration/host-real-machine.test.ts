import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type Client } from '../../src/shared/client';
import { GpuInventory } from '../../src/shared/gpu-inventory';
import { DoctorReport } from '../../src/shared/host-report';
import { createMemoryTransportPair } from '../../src/shared/memory-transport';
import { createBackend, type Backend } from '../../src/main/backend';
import { serveTransport } from '../../src/main/rpc/dispatcher';
import { runCli } from '../support/cli-process';
import { makeTempHome, type TempHome } from '../support/temp-home';

/** An oracle apart from the readers: Intel display-class functions in /sys, by plain reads. */
function intelDisplayFunctions(): string[] {
  const dir = '/sys/bus/pci/devices';
  return fs.readdirSync(dir).filter((bdf) => {
    const read = (name: string) => fs.readFileSync(path.join(dir, bdf, name), 'utf8').trim();
    return (
      read('vendor') === '0x8086' &&
      read('class').startsWith('0x03') &&
      !fs.existsSync(path.join(dir, bdf, 'physfn'))
    );
  });
}

let home: TempHome;
let backend: Backend;
let client: Client;

beforeAll(async () => {
  home = makeTempHome('tessera-realhost-');
  backend = await createBackend({
    paths: home.paths,
    accelerator: 'tcg',
    validateOutputs: true,
    skipReattach: true,
  });
  const [a, b] = createMemoryTransportPair();
  serveTransport(b, backend.dispatcher, backend.events);
  client = createClient(a);
});

afterAll(async () => {
  client.close();
  await backend.close();
  home.cleanup();
});

describe("this machine's own /", () => {
  it('lists exactly the Intel GPUs that /sys has (none on the test machine), without a crash', async () => {
    const inventory = GpuInventory.parse(await client.call('gpu.list', {}));
    expect(inventory.host).toEqual({ root: '/', simulated: null });
    expect(inventory.gpus.map((g) => g.address)).toEqual(intelDisplayFunctions());
  });

  it('the doctor answers every check and says plainly when there is no Intel GPU', async () => {
    const report = DoctorReport.parse(await client.call('host.doctor', {}));
    const gpu = report.checks.find((c) => c.id === 'gpu');
    if (intelDisplayFunctions().length === 0) {
      expect(gpu).toMatchObject({ status: 'fail', summary: expect.stringMatching(/^No Intel GPU/) });
      expect(report.verdict.summary).toBe('No Intel GPU here: there is nothing to split.');
    } else {
      expect(gpu?.status).not.toBe('fail');
    }
    // Programs come from this machine: the installed QEMU is found.
    expect(report.facts.qemu).toMatchObject({ path: expect.stringContaining('qemu-system-x86_64') });
  });

  it('tessera doctor exits 1 here with a report and nothing on stderr', async () => {
    const result = await runCli(['doctor'], home.env);
    expect(result.stderr).toBe('');
    expect(result.stdout.split('\n')[0]).toBe('Host: this machine');
    expect(result.code).toBe(result.stdout.includes('\nFAIL  ') ? 1 : 0);
  });
});
