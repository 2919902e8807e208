/**
 * Script goldens (`__golden__/<scenario>.sh`): the fixtures' VMs with their argv golden's argv
 * and the lease's steps on the simulated hosts. tests/integration/export-tools.test.ts runs
 * `sh -n` and shellcheck on each, and runs one on a simulated host against Tessera's own start.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { GpuInventory } from '../../shared/gpu-inventory';
import { readSimulatedHost, type SimulatedRun } from '../../../tests/support/simulated-host';
import { leaseSteps } from '../vm/gpu-leases';
import { buildQemuArgs } from '../vm/qemu-args';
import { swtpmArgs } from '../vm/swtpm';
import { EXPORT_SCENARIOS } from './export-fixtures';
import { buildVmScript, shellQuote } from './script-export';

const runs: SimulatedRun[] = ['adl-p', 'flex170', 'cml'].map((n) => readSimulatedHost(n));
afterAll(() => runs.forEach((r) => r.cleanup()));
const [adlp, flex, cml] = runs.map((r) => r.inventory) as [GpuInventory, GpuInventory, GpuInventory];
const inventory: GpuInventory = { ...adlp, gpus: [...adlp.gpus, ...flex.gpus] };

describe('script export', () => {
  it.each(
    EXPORT_SCENARIOS.flatMap((s) => [
      [s.name, false] as const,
      ...(s.name === 'windows11' ? [[s.name, true] as const] : []),
    ]),
  )('%s (sudo: %s)', async (name, sudo) => {
    const s = EXPORT_SCENARIOS.find((x) => x.name === name);
    if (!s) throw new Error(name);
    const { gpu: placement } = s.host;
    const slice =
      placement.kind === 'vf' || placement.kind === 'mdev' || placement.kind === 'passthrough'
        ? {
            placement,
            steps: leaseSteps(s.spec, placement, s.spec.gpu.kind === 'mdev' ? cml : inventory).steps,
          }
        : null;
    const out = buildVmScript({
      spec: s.spec,
      argv: ['/usr/bin/qemu-system-x86_64', ...buildQemuArgs(s.spec, s.host)],
      slice,
      runtime: s.host.runtime,
      data: s.host.data,
      uefiVarsTemplate: s.host.firmware?.ovmfVarsTemplate ?? null,
      swtpm: s.spec.tpm ? { binary: '/usr/bin/swtpm', args: swtpmArgs(s.host.runtime, s.host.data) } : null,
      sudo,
    });
    await expect(out.script).toMatchFileSnapshot(`./__golden__/${name}${sudo ? '-sudo' : ''}.sh`);
    expect(/sudo (tee|chown)/.test(out.script)).toBe(sudo);
  });

  it('quotes words the shell would split or expand', () => {
    expect(['a', 'a b', "it's", '$HOME', 'x,y=1'].map(shellQuote)).toEqual([
      'a',
      "'a b'",
      "'it'\\''s'",
      "'$HOME'",
      'x,y=1',
    ]);
  });
});
