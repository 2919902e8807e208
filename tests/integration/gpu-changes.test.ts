/**
 * GPU changes through a whole backend on simulated hosts: plan, apply through the bundled helper
 * (a child process, as on any simulated host), the log, the event, the saved layout and making it
 * again at start; and the same from the CLI.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ChangeLogEntry, GpuPersistence, PlanPreview } from '../../src/shared/gpu-plan';
import type { GpuInventory } from '../../src/shared/gpu-inventory';
import { presetShares, readShares } from '../../src/shared/gpu-shares';
import { runSimulatedPlan } from '../../src/simulation/run-simulated-plan';
import { createBackend, type Backend } from '../../src/main/backend';
import { runCli } from '../support/cli-process';
import { makeTempHome, type TempHome } from '../support/temp-home';

const ADL = '0000:00:02.0';

let home: TempHome;
let backends: Backend[] = [];
beforeAll(() => {
  home = makeTempHome('tessera-gpuchanges-');
});
afterEach(async () => {
  for (const b of backends) await b.close();
  backends = [];
});
afterAll(() => home.cleanup());

async function backend(simulate = 'adl-p'): Promise<Backend> {
  const b = await createBackend({
    simulate,
    paths: home.paths,
    env: home.env,
    validateOutputs: true,
    skipReattach: true,
  });
  backends.push(b);
  return b;
}

async function call<T>(b: Backend, method: string, params: unknown): Promise<T> {
  const result = await b.dispatcher.dispatch(method, params);
  if (!result.ok) throw new Error(`${method}: ${result.error.code} ${result.error.message}`);
  return result.value as T;
}

describe('the gpu service on a simulated Alder Lake-P', () => {
  it('plans, applies through the helper, logs, tells the fronts and saves the layout', async () => {
    const b = await backend();
    const events: ChangeLogEntry[] = [];
    b.events.subscribe((name, payload) => {
      if (name === 'gpu.changed') events.push((payload as { entry: ChangeLogEntry }).entry);
    });
    const preview = await call<PlanPreview>(b, 'gpu.plan', {
      kind: 'layout',
      pf: ADL,
      vfCount: 7,
      bind: 'vfio-pci',
    });
    expect(preview.plan?.steps[0]).toEqual({ op: 'set-vf-count', pf: ADL, count: 7 });
    // Planning changed nothing.
    expect((await call<GpuInventory>(b, 'gpu.list', {})).gpus[0]?.sriov?.numVfs).toBe(2);

    const done = await call<{ entry: ChangeLogEntry }>(b, 'gpu.apply', {
      plan: preview.plan,
      summary: preview.summary,
    });
    expect(done.entry).toMatchObject({
      origin: 'gpu-page',
      result: 'applied',
      summary: preview.summary,
      steps: 8,
    });
    expect(events).toEqual([done.entry]);
    const gpu = (await call<GpuInventory>(b, 'gpu.list', {})).gpus[0];
    expect(gpu?.vfs.map((v) => v.driver)).toEqual(Array(7).fill('vfio-pci'));
    // Auto-provisioning shared the GPU fairly (docs/sriov-sysfs.md#i915-auto-provisioning): no shares were named.
    expect(gpu?.provisioning?.slots.find((s) => s.function === 'vf7')?.values.gt0?.ggtt_quota).toBe(
      536870912,
    );

    const { entries } = await call<{ entries: ChangeLogEntry[] }>(b, 'gpu.log', {});
    expect(entries[0]).toEqual(done.entry);
    const saved = await call<GpuPersistence>(b, 'gpu.persistence', {});
    expect(saved.reapplyAtStart).toBe(false);
    expect(saved.layouts).toMatchObject([
      { pf: ADL, vfCount: 7, drivers: { '1': 'vfio-pci', '7': 'vfio-pci' } },
    ]);
    expect(saved.bootConfig).toContain(`bus/pci/devices/${ADL}/sriov_numvfs = 7`);
    expect(saved.bootConfig).toContain('bus/pci/devices/0000:00:02.7/driver_override = vfio-pci');
    expect(
      JSON.parse(fs.readFileSync(path.join(home.paths.configDir, 'gpu-layout.json'), 'utf8')),
    ).toMatchObject({
      reapplyAtStart: false,
      layouts: [{ pf: ADL, vfCount: 7 }],
    });
  });

  it("fails with the helper's reason and code, and logs the failure", async () => {
    const b = await backend();
    const result = await b.dispatcher.dispatch('gpu.apply', {
      plan: {
        version: 1,
        steps: [
          { op: 'set-vf-count', pf: ADL, count: 0 },
          { op: 'bind', device: ADL, driver: 'vfio-pci' },
        ],
      },
      origin: 'cli',
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('CONFLICT');
    expect(result.error.message).toMatch(/may drive the host's display/);
    const { entries } = await call<{ entries: ChangeLogEntry[] }>(b, 'gpu.log', {});
    expect(entries[0]).toMatchObject({ origin: 'cli', result: 'failed', writes: 0 });
    const bad = await b.dispatcher.dispatch('gpu.apply', { plan: { version: 1, steps: [{ op: 'reboot' }] } });
    expect(bad.ok === false && bad.error.code).toBe('BAD_INPUT');
  });

  it('makes the saved layout again at start when asked (VFs do not survive a reboot)', async () => {
    const b = await backend();
    await call(b, 'gpu.setReapplyAtStart', { enabled: true });
    const root = (await call<{ host: { root: string } }>(b, 'host.info', {})).host.root;
    // A reboot: the VFs are gone, the saved layout is not.
    const reboot = runSimulatedPlan(
      JSON.stringify({ version: 1, steps: [{ op: 'set-vf-count', pf: ADL, count: 0 }] }),
      {
        env: { TESSERA_HOST_ROOT: root },
        uid: 0,
      },
    );
    expect(reboot.ok).toBe(true);
    const next = await backend();
    await next.gpu.reapplySavedLayouts();
    const gpu = next.gpu.inventory().gpus[0];
    expect(gpu?.vfs.map((v) => v.driver)).toEqual(Array(7).fill('vfio-pci'));
    const persistence = await call<GpuPersistence>(next, 'gpu.persistence', {});
    expect(persistence.startup).toBe('The saved GPU layouts were made again at start.');
    expect((await next.gpu.log())[0]).toMatchObject({ origin: 'startup', result: 'applied' });
    await next.gpu.reapplySavedLayouts();
    expect((await call<GpuPersistence>(next, 'gpu.persistence', {})).startup).toBe(
      'The saved GPU layouts were already in place.',
    );
  });
});

describe('tessera gpu … on simulated hosts', () => {
  // A home of its own: the simulated trees start as built.
  let cliHome: TempHome;
  beforeAll(() => {
    cliHome = makeTempHome('tessera-gpucli-');
  });
  afterAll(() => cliHome.cleanup());
  const cli = (args: string[]) => runCli(args, cliHome.env);

  it('vfs: --dry-run prints the plan and changes nothing; then 0 → 7 on vfio-pci and back', async () => {
    const dry = await cli([
      'gpu',
      'vfs',
      ADL,
      '7',
      '--bind',
      'vfio',
      '--preset',
      'fair',
      '--dry-run',
      '--simulate',
      'adl-p',
      '--json',
    ]);
    expect(dry.code).toBe(0);
    const preview = JSON.parse(dry.stdout) as PlanPreview;
    expect(preview.plan?.steps.filter((s) => s.op === 'bind')).toHaveLength(7);
    const human = await cli(['--simulate', 'adl-p', 'gpu', 'vfs', ADL, '0', '--dry-run']);
    expect(human.stdout).toBe(
      `Alder Lake-P ${ADL}: 0 VFs (1 change)\n  ${ADL}  VFs  2 → 0\nDry run: nothing was changed.\n`,
    );
    expect((await cli(['--simulate', 'adl-p', 'gpu', 'vfs', ADL, '0'])).stdout).toMatch(
      /Applied: 1 write by the helper\.\n$/,
    );
    const up = await cli([
      '--simulate',
      'adl-p',
      'gpu',
      'vfs',
      ADL,
      '7',
      '--bind',
      'vfio',
      '--preset',
      'fair',
      '--scheduling',
      'video-60fps',
    ]);
    expect(up.code).toBe(0);
    const list = JSON.parse(
      (await cli(['gpu', 'list', '--json', '--simulate', 'adl-p'])).stdout,
    ) as GpuInventory;
    expect(list.gpus[0]?.vfs.map((v) => [v.index, v.driver])).toEqual(
      [1, 2, 3, 4, 5, 6, 7].map((n) => [n, 'vfio-pci']),
    );
    expect(list.gpus[0]?.provisioning?.slots.find((s) => s.function === 'vf3')?.values.gt0).toMatchObject({
      exec_quantum_ms: 2,
      preempt_timeout_us: 8000,
      ggtt_quota: 536870912,
    });
    expect((await cli(['--simulate', 'adl-p', 'gpu', 'vfs', ADL, '0'])).code).toBe(0);
  });

  it('provision, bind and the log, through TESSERA_HOST_ROOT too', async () => {
    const root = path.join(cliHome.root, 'data', 'tessera', 'simulated', 'flex170-backports');
    expect((await cli(['--simulate', 'flex170', 'gpu', 'list'])).code).toBe(0); // builds the tree
    const env = { ...cliHome.env, TESSERA_HOST_ROOT: root };
    const provision = await runCli(
      ['gpu', 'provision', '0000:4d:00.1', 'exec_quantum_ms=16', 'preempt_timeout_us=0x3e80'],
      env,
    );
    expect(provision.stdout).toBe(
      '0000:4d:00.1: exec_quantum_ms 0 → 16, preempt_timeout_us 0 → 16000\n' +
        '  VF1 0000:4d:00.1  exec_quantum_ms     0 → 16\n' +
        '  VF1 0000:4d:00.1  preempt_timeout_us  0 → 16000\n' +
        'Applied: 2 writes by the helper.\n',
    );
    expect((await runCli(['gpu', 'bind', '0000:4d:00.2', 'vfio'], env)).code).toBe(0);
    const log = JSON.parse((await runCli(['gpu', 'log', '--json'], env)).stdout) as ChangeLogEntry[];
    expect(log.slice(0, 2).map((e) => [e.origin, e.result, e.host])).toEqual([
      ['cli', 'applied', root],
      ['cli', 'applied', root],
    ]);
  });

  it('vGPUs on Comet Lake, and clear refusals', async () => {
    const uuid = '6f0b7d4e-2a1c-4e5f-9a8b-7c6d5e4f3a2b';
    const create = await cli([
      '--simulate',
      'cml',
      'gpu',
      'mdev',
      'create',
      ADL,
      'i915-GVTg_V5_8',
      '--uuid',
      uuid,
    ]);
    expect(create.stdout).toMatch(/^new i915-GVTg_V5_8 vGPU on 0000:00:02\.0\n/);
    expect((await cli(['--simulate', 'cml', 'gpu', 'mdev', 'remove', uuid])).code).toBe(0);
    for (const [args, code, message] of [
      [['gpu', 'vfs', ADL], 2, 'tessera: usage: tessera gpu vfs PF COUNT'],
      [['gpu', 'bind', ADL, 'nvidia'], 2, 'tessera: usage: tessera gpu bind DEVICE vfio|host'],
      [['gpu', 'provision', '0000:00:02.1', 'ggtt_quota'], 2, 'tessera: ggtt_quota: expected KEY=VALUE'],
      [['gpu', 'vfs', ADL, '9'], 1, "tessera: 0000:00:02.0: 9 VFs is over the driver's limit of 7"],
      [['gpu', 'passthrough', ADL], 1, "tessera: 0000:00:02.0 runs on the host's i915"],
      [
        ['gpu', 'mdev', 'create', ADL, 'i915-GVTg_V5_1'],
        1,
        'tessera: 0000:00:02.0 has no vGPU type i915-GVTg_V5_1',
      ],
    ] as const) {
      const result = await cli([
        '--simulate',
        args[0] === 'gpu' && args[1] === 'mdev' ? 'cml' : 'adl-p',
        ...args,
      ]);
      expect([result.code, result.stderr.startsWith(message)], result.stderr).toEqual([code, true]);
    }
  });
});

describe('fewer VFs and back (7 → 3 → 7 with fair shares) on a simulated Alder Lake-P', () => {
  it('strands no share, keeps the drivers the user left alone, and the review lists every write', async () => {
    const own = makeTempHome('tessera-gpu-7-3-7-');
    const b = await createBackend({ simulate: 'adl-p', paths: own.paths, env: own.env, skipReattach: true });
    backends.push(b);
    try {
      const gpu = () => b.gpu.inventory().gpus[0] ?? (undefined as never);
      const layout = async (vfCount: number, bind: 'vfio-pci' | 'keep') => {
        const preview = await call<PlanPreview>(b, 'gpu.plan', {
          kind: 'layout',
          pf: ADL,
          vfCount,
          shares: presetShares(gpu(), vfCount, 'fair', 'keep'),
          bind,
        });
        await call(b, 'gpu.apply', { plan: preview.plan, summary: preview.summary });
        return preview;
      };
      const ggtt = () => {
        const shares = readShares(gpu());
        const pool = shares.pools.find((p) => p.key === 'ggtt');
        return { free: pool?.free ?? NaN, quotas: pool?.quotas ?? [] };
      };
      const { free: startFree, quotas: startQuotas } = ggtt();
      const whole = startFree + startQuotas.reduce((a, b) => a + b, 0);

      await layout(7, 'vfio-pci');
      const vf4Share = ggtt().quotas[3];
      // Fair shares written by hand are manual: the driver keeps them when their VFs go (docs/sriov-sysfs.md#i915-auto-provisioning).
      const three = await layout(3, 'keep');
      expect(three.changes).toContainEqual({
        target: 'VF4 0000:00:02.4',
        what: 'ggtt_quota',
        from: String(vf4Share),
        to: '0',
      });
      expect(three.changes.filter((c) => c.what === 'driver')).toEqual(
        [1, 2, 3].map((i) => ({
          target: `VF${i} 0000:00:02.${i}`,
          what: 'driver',
          from: 'vfio-pci',
          to: 'vfio-pci',
        })),
      );
      expect(gpu().vfs.map((v) => v.driver)).toEqual(['vfio-pci', 'vfio-pci', 'vfio-pci']);
      const after3 = ggtt();
      expect(after3.quotas.slice(3).every((q) => q === 0)).toBe(true);
      expect(after3.free + after3.quotas.reduce((a, b) => a + b, 0)).toBe(whole);

      await layout(7, 'keep');
      const after7 = ggtt();
      expect(after7.free + after7.quotas.reduce((a, b) => a + b, 0)).toBe(whole);
      expect(after7.quotas.every((q) => q > 0)).toBe(true);
      // VF1-3 stay on vfio-pci; VF4-7 are new and, with "leave as they are", on no driver.
      expect(gpu().vfs.map((v) => v.driver)).toEqual([...Array(3).fill('vfio-pci'), ...Array(4).fill(null)]);
    } finally {
      own.cleanup();
    }
  });
});
