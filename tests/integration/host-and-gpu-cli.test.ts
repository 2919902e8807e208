import fs from 'node:fs';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GpuInventory } from '../../src/shared/gpu-inventory';
import { CHECK_IDS, DoctorReport } from '../../src/shared/host-report';
import { SIMULATION_MARKER_FILE } from '../../src/shared/simulated-host';
import { buildHostTree } from '../../src/main/gpu/simulation/host-tree-builder';
import { SIMULATED_HOSTS } from '../../src/main/gpu/simulation/host-descriptions';
import { findSimulatedHost } from '../../src/main/gpu/simulation/simulated-hosts';
import { runCli, startServe, stopProcess } from '../support/cli-process';
import { makeTempHome, type TempHome } from '../support/temp-home';

let home: TempHome;
beforeAll(() => {
  home = makeTempHome('tessera-hostcli-');
});
afterAll(() => home.cleanup());

async function json<T>(args: string[], env = home.env): Promise<{ code: number; value: T; stderr: string }> {
  const result = await runCli(args, env);
  return { code: result.code, value: JSON.parse(result.stdout) as T, stderr: result.stderr };
}

// With TESSERA_ACCEL=tcg (temp homes set it) the kvm check warns; the rest decides the exit code.
const EXPECTED_EXIT: Record<string, number> = {
  'adl-p-i915-sriov': 0,
  'adl-p-i915-maxvfs0': 1,
  'flex170-backports': 0,
  'bmg-xe': 0,
  'cml-gvtg': 0,
  'iommu-off': 1,
  'no-intel-gpu': 1,
};

describe('tessera doctor --json', () => {
  it.each(SIMULATED_HOSTS.map((h) => h.name))(
    'on %s: the contract shape, every check, the exit code',
    async (name) => {
      const { code, value, stderr } = await json<DoctorReport>(['doctor', '--json', '--simulate', name]);
      expect(stderr).toBe('');
      const report = DoctorReport.parse(value);
      expect(report.host).toEqual({
        root: path.join(home.root, 'data', 'tessera', 'simulated', name),
        simulated: { name, title: findSimulatedHost(name).title },
      });
      expect(report.checks.map((c) => c.id).sort()).toEqual([...CHECK_IDS].sort());
      for (const check of report.checks) {
        expect(Object.keys(check)).toEqual(expect.arrayContaining(['id', 'status', 'summary', 'fix']));
      }
      // What the simulated host itself says decides; checks of this machine (its CPU flags, KVM)
      // depend on where the test runs, so they only count through the exit code's rule.
      const hostFails = report.checks.some((c) => c.status === 'fail' && c.source === 'host-root');
      expect(hostFails ? 1 : 0).toBe(EXPECTED_EXIT[name]);
      expect(code === 1).toBe(report.checks.some((c) => c.status === 'fail'));
    },
  );

  it('prints one screen for people, with the simulated host named first', async () => {
    const { code, stdout } = await runCli(['--simulate', 'iommu-off', 'doctor'], home.env);
    expect(code).toBe(1);
    const lines = stdout.split('\n');
    expect(lines[0]).toBe(`SIMULATED HOST iommu-off: ${findSimulatedHost('iommu-off').title}`);
    expect(lines).toContain(
      'FAIL  iommu        The IOMMU is off, and vfio-pci cannot give a VF to a VM without it.',
    );
    expect(lines).toContain(
      "                     sudo sed -i 's/^GRUB_CMDLINE_LINUX_DEFAULT=\"/&intel_iommu=on /' /etc/default/grub",
    );
    expect(lines.length).toBeLessThan(50);
  });
});

describe('tessera gpu list --json', () => {
  it.each(SIMULATED_HOSTS.map((h) => h.name))('on %s: the documented shape', async (name) => {
    const { code, value } = await json<GpuInventory>(['gpu', 'list', '--json', '--simulate', name]);
    expect(code).toBe(0);
    const inventory = GpuInventory.parse(value);
    expect(inventory.unreadable).toEqual([]);
    for (const gpu of inventory.gpus) {
      expect(Object.keys(gpu)).toEqual(
        expect.arrayContaining([
          'address',
          'vendorId',
          'deviceId',
          'driver',
          'name',
          'sriov',
          'vfs',
          'mdevTypes',
        ]),
      );
      if (gpu.sriov)
        expect(Object.keys(gpu.sriov)).toEqual(expect.arrayContaining(['totalVfs', 'numVfs', 'autoprobe']));
      for (const vf of gpu.vfs) {
        expect(Object.keys(vf)).toEqual(
          expect.arrayContaining(['address', 'index', 'driver', 'iommuGroup', 'usedBy']),
        );
        expect(vf.usedBy).toBeNull(); // no VM can hold a VF before issue 6
      }
    }
    const host = findSimulatedHost(name);
    expect(inventory.gpus.map((g) => [g.address, g.vfs.length])).toEqual(
      host.gpus.map((g) => [g.address, g.vfs.length]),
    );
  });

  it('names the GPU and its VFs for people', async () => {
    const { code, stdout } = await runCli(['gpu', 'list', '--simulate', 'adl-p'], home.env);
    expect(code).toBe(0);
    expect(stdout).toContain(
      '0000:00:02.0  Alder Lake-P [8086:46a6]  driver i915  group 0  card0  renderD128\n',
    );
    expect(stdout).toContain('  VF1  0000:00:02.1  vfio-pci  group 17         free\n');
  });
});

describe('--host-root and TESSERA_HOST_ROOT', () => {
  let tree: string;
  beforeAll(() => {
    tree = path.join(home.root, 'trees', 'flex');
    buildHostTree(findSimulatedHost('flex170'), tree);
  });

  it('reads a tree the simulation built, and labels it simulated because its marker says so', async () => {
    const { value } = await json<GpuInventory>(['gpu', 'list', '--json', '--host-root', tree]);
    expect(value.host).toEqual({
      root: tree,
      simulated: expect.objectContaining({ name: 'flex170-backports' }),
    });
    expect(value.gpus[0]?.name).toBe('Data Center GPU Flex 170');
  });

  it('reads any tree, labelled by its directory when it has no marker', async () => {
    const copy = path.join(home.root, 'trees', 'copy');
    fs.cpSync(tree, copy, { recursive: true, verbatimSymlinks: true });
    fs.rmSync(path.join(copy, SIMULATION_MARKER_FILE));
    const { value } = await json<GpuInventory>(['gpu', 'list', '--json'], {
      ...home.env,
      TESSERA_HOST_ROOT: copy,
    });
    expect(value.host).toEqual({ root: copy, simulated: null });
    expect(value.gpus).toHaveLength(1);
  });

  it('reports a half-missing tree by what it could not read, without a stack trace', async () => {
    const broken = path.join(home.root, 'trees', 'broken');
    buildHostTree(findSimulatedHost('adl-p'), broken);
    fs.rmSync(path.join(broken, 'sys/devices/pci0000:00/0000:00:02.2'), { recursive: true });
    fs.writeFileSync(path.join(broken, 'sys/devices/pci0000:00/0000:00:02.0/sriov_numvfs'), 'two\n');
    fs.rmSync(path.join(broken, 'proc'), { recursive: true });
    const { code, value, stderr } = await json<DoctorReport>(['doctor', '--json', '--host-root', broken]);
    expect(stderr).toBe('');
    expect(code).toBe(1);
    expect(value.unreadable.map((u) => u.reason)).toEqual(
      expect.arrayContaining([
        '/proc/modules does not exist',
        '/proc/cmdline does not exist',
        '/sys/devices/pci0000:00/0000:00:02.0/virtfn1 -> ../0000:00:02.2 points to nothing',
        'unexpected content "two" in /sys/devices/pci0000:00/0000:00:02.0/sriov_numvfs: expected a decimal number',
      ]),
    );
    const human = await runCli(['doctor', '--host-root', broken], home.env);
    expect(human.stdout).toMatch(/Could not read \d+ things:/);
    expect(human.stderr).toBe('');
  });

  it.each([
    [
      ['doctor', '--host-root', '/nonexistent/host'],
      1,
      'tessera: host root /nonexistent/host is not a directory',
    ],
    [['doctor', '--simulate', 'rtx4090'], 1, "tessera: there is no simulated host 'rtx4090'"],
    [['doctor', '--simulate'], 2, 'tessera: --simulate needs a value'],
    [
      ['doctor', '--simulate', 'cml', '--host-root', '/'],
      1,
      'tessera: --simulate and --host-root both name a host',
    ],
    [['gpu', 'show'], 2, "tessera: unknown command 'gpu show'"],
  ])('refuses %j clearly', async (args, exit, message) => {
    const result = await runCli(args, home.env);
    expect(result.code).toBe(exit);
    expect(result.stderr.startsWith(message)).toBe(true);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('beside a running backend of another host', () => {
  let serve: { child: ChildProcess; url: string } | undefined;
  let other: TempHome;
  beforeAll(async () => {
    other = makeTempHome('tessera-hostcli-serve-');
    serve = await startServe(other.env, ['--simulate', 'adl-p']);
  });
  afterAll(async () => {
    if (serve) await stopProcess(serve.child);
    other.cleanup();
  });

  it('a command without host options reports the running backend’s (simulated) host', async () => {
    const { value } = await json<DoctorReport>(['doctor', '--json'], other.env);
    expect(value.host.simulated?.name).toBe('adl-p-i915-sriov');
    const host = await runCli(['host'], other.env);
    expect(host.stdout.split('\n')[0]).toMatch(/^SIMULATED HOST adl-p-i915-sriov: /);
  });

  it('a read-only command for another host runs beside it', async () => {
    const { value } = await json<GpuInventory>(['gpu', 'list', '--json', '--simulate', 'cml'], other.env);
    expect(value.host.simulated?.name).toBe('cml-gvtg');
  });

  it('a VM command for another host is refused, and serving another host too', async () => {
    const list = await runCli(['vm', 'list', '--simulate', 'cml'], other.env);
    expect(list.code).toBe(1);
    expect(list.stderr).toMatch(
      /^tessera: the running Tessera backend reads the host at .*adl-p-i915-sriov, not .*cml-gvtg/,
    );
    const second = await runCli(['serve', '--simulate', 'cml'], other.env);
    expect(second.code).toBe(2);
    expect(second.stderr).toMatch(
      /^tessera: a Tessera backend already runs for SIMULATED HOST adl-p-i915-sriov/,
    );
  });
});
