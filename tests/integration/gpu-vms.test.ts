// VMs that own a GPU slice, defined against simulated hosts through a whole backend and the CLI:
// what the host lacks is refused at the field that asks for it, and `vm args` prints the argv
// the real hardware would run.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '../../src/shared/client';
import type { CallInput } from '../../src/shared/contract';
import type { Backend } from '../../src/main/backend';
import { buildHostTree } from '../../src/main/gpu/simulation/host-tree-builder';
import { findSimulatedHost } from '../../src/main/gpu/simulation/simulated-hosts';
import { runCli } from '../support/cli-process';
import { connectBackend } from '../support/memory-backend';
import { makeTempHome, type TempHome } from '../support/temp-home';

const ADLP = '0000:00:02.0';
const PF_DIR = '/sys/devices/pci0000:00/0000:00:02.0';

let home: TempHome;
beforeAll(() => {
  home = makeTempHome('tessera-gpuvms-');
});
afterAll(() => home.cleanup());

const open: Backend[] = [];
afterEach(async () => {
  for (const b of open.splice(0)) await b.close();
  fs.rmSync(home.paths.configDir, { recursive: true, force: true });
});

/** A backend on simulated host `name`, its tree changed by `change` (host paths) before it starts. */
async function onHost(name: string, change?: (at: (hostPath: string) => string) => void): Promise<Client> {
  const root = fs.mkdtempSync(path.join(home.root, `${name}-`));
  buildHostTree(findSimulatedHost(name), root);
  change?.((hostPath) => path.join(root, hostPath));
  const { backend, client } = await connectBackend({ paths: home.paths, hostRoot: root });
  open.push(backend);
  return client;
}

type Create = CallInput<'vm.create'>;

/** The create is refused with BAD_INPUT, and the issue names `field`. */
async function refused(client: Client, input: Create, field: string, message: RegExp): Promise<void> {
  const error = await client.call('vm.create', input).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toMatchObject({ code: 'BAD_INPUT', message: expect.stringMatching(message) });
  // The schema's issues come as the details themselves, the backend's checks in `details.issues`.
  type Issue = { path: (string | number)[] };
  const details = (error as { details: Issue[] | { issues: Issue[] } }).details;
  const issues = Array.isArray(details) ? details : details.issues;
  expect(issues.map((i) => i.path.join('.'))).toContain(field);
  await expect(client.call('vm.list', {})).resolves.toMatchObject({ vms: [] });
}

describe('what the host lacks is refused at its field', () => {
  it('a VF that does not exist, and a VF named as a GPU', async () => {
    const client = await onHost('adl-p');
    await refused(
      client,
      { name: 'v', gpu: { kind: 'vf', pf: ADLP, vf: '0000:00:02.5' } },
      'gpu.vf',
      /0000:00:02.5 is not a VF of 0000:00:02.0 \(its VFs now: 0000:00:02.1, 0000:00:02.2\)/,
    );
    await refused(
      client,
      { name: 'v', gpu: { kind: 'vf', pf: '0000:00:02.1' } },
      'gpu.pf',
      /0000:00:02.1 is a VF of 0000:00:02.0, not a GPU/,
    );
    await refused(
      client,
      { name: 'v', gpu: { kind: 'vf', pf: '0000:03:00.0' } },
      'gpu.pf',
      /no Intel GPU at 0000:03:00.0 \(GPUs here: 0000:00:02.0 \(Alder Lake-P\)\)/,
    );
  });

  it('a GPU that is not SR-IOV capable, or has no VFs to pick from', async () => {
    const maxvfs0 = await onHost('adl-p-maxvfs0');
    await refused(
      maxvfs0,
      { name: 'v', gpu: { kind: 'vf', pf: ADLP } },
      'gpu.pf',
      /is not SR-IOV capable with its driver i915 \(sriov_totalvfs is 0\)/,
    );
    const none = await onHost('iommu-off');
    await refused(
      none,
      { name: 'v', gpu: { kind: 'vf', pf: ADLP } },
      'gpu.pf',
      /has no VFs enabled, so there is none to pick: enable VFs on the GPU page/,
    );
  });

  it('a GVT-g type with no free instance, one the GPU does not have, GVT-g on an SR-IOV GPU', async () => {
    const cml = await onHost('cml', (at) =>
      fs.writeFileSync(at(`${PF_DIR}/mdev_supported_types/i915-GVTg_V5_4/available_instances`), '0\n'),
    );
    await refused(
      cml,
      { name: 'g', gpu: { kind: 'mdev', parent: ADLP, type: 'i915-GVTg_V5_4' } },
      'gpu.type',
      /no i915-GVTg_V5_4 vGPU is free on 0000:00:02.0 \(available_instances is 0\)/,
    );
    await refused(
      cml,
      { name: 'g', gpu: { kind: 'mdev', parent: ADLP, type: 'i915-GVTg_V5_1' } },
      'gpu.type',
      /has no vGPU type i915-GVTg_V5_1 \(types: i915-GVTg_V5_4, i915-GVTg_V5_8\)/,
    );
    const adlp = await onHost('adl-p');
    await refused(
      adlp,
      { name: 'g', gpu: { kind: 'mdev', parent: ADLP, type: 'i915-GVTg_V5_4' } },
      'gpu.parent',
      /offers no GVT-g vGPUs/,
    );
  });

  it('the whole GPU while its VFs are enabled', async () => {
    const client = await onHost('adl-p');
    await refused(
      client,
      { name: 'p', gpu: { kind: 'passthrough', device: ADLP }, display: { kind: 'none' } },
      'gpu.device',
      /has 2 VFs enabled: set its VFs to 0/,
    );
  });

  it('displays the GPU cannot feed', async () => {
    // Rules of any host: the schema's.
    const client = await onHost('adl-p');
    await refused(
      client,
      { name: 'd', gpu: { kind: 'none' } },
      'display',
      /has no screen to show: choose display none/,
    );
    await refused(
      client,
      { name: 'd', gpu: { kind: 'virtio', gl: true }, display: { kind: 'none' } },
      'gpu.gl',
      /GL needs a display/,
    );
    // This host's: a VF guest's console renders on the GPU's render node.
    const noRender = await onHost('adl-p', (at) =>
      fs.rmSync(at(`${PF_DIR}/drm/renderD128`), { recursive: true }),
    );
    await refused(
      noRender,
      { name: 'd', gpu: { kind: 'vf', pf: ADLP } },
      'display',
      /renders its frames on the GPU's render node \(egl-headless\), and the GPU has none/,
    );
  });

  it('a monitor that is not there or has nothing connected, and a window without any monitor', async () => {
    const client = await onHost('adl-p');
    const local = (monitor: string | null) => ({ kind: 'local' as const, monitor });
    await refused(
      client,
      { name: 'm', display: local('DP-1') },
      'display.monitor',
      /no monitor is connected to DP-1 \(connected: card0-HDMI-A-1, card0-eDP-1\)/,
    );
    await refused(
      client,
      { name: 'm', display: local('HDMI-A-3') },
      'display.monitor',
      /this host has no connector HDMI-A-3 \(connectors: card0-DP-1 \(disconnected\)/,
    );
    const flex = await onHost('flex170');
    await refused(
      flex,
      { name: 'm', display: local(null) },
      'display',
      /no monitor is connected to this host/,
    );
    // A GPU given away whole takes its monitors along.
    const whole = await onHost('adl-p-maxvfs0');
    const passthrough = { kind: 'passthrough', device: ADLP } as const;
    await refused(
      whole,
      { name: 'm', gpu: passthrough, display: local('HDMI-A-1') },
      'display.monitor',
      /HDMI-A-1 hangs on 0000:00:02.0, which the VM takes whole/,
    );
    await refused(
      whole,
      { name: 'm', gpu: passthrough, display: local(null) },
      'display',
      /every monitor of this host hangs on 0000:00:02.0/,
    );
    await expect(
      whole.call('vm.create', { name: 'ok', gpu: passthrough, display: { kind: 'vnc' } }),
    ).resolves.toMatchObject({ id: 'ok' });
  });

  it('host CPUs and hugepage pools it does not have', async () => {
    const client = await onHost('adl-p', (at) =>
      fs.rmSync(at('/sys/kernel/mm/hugepages/hugepages-1048576kB'), { recursive: true }),
    );
    await refused(
      client,
      { name: 'c', cpus: 2, cpuPinning: [0, 4095] },
      'cpuPinning.1',
      /host CPU 4095 does not exist: this machine has CPUs 0 to/,
    );
    await refused(
      client,
      { name: 'c', memoryBacking: { hugepages: '1G' } },
      'memoryBacking.hugepages',
      /this host has no 1G hugepage pool \(pools: 2M\)/,
    );
  });
});

describe('GPU guests on a simulated host', () => {
  it('are defined and show their real-hardware argv (gpu-leases.test.ts starts them)', async () => {
    const client = await onHost('adl-p');
    const vm = await client.call('vm.create', {
      name: 'kiosk',
      gpu: { kind: 'vf', pf: ADLP },
      display: { kind: 'local', monitor: 'HDMI-A-1' },
      memoryBacking: { hugepages: '2M' },
    });
    expect(vm.spec.gpu).toEqual({ kind: 'vf', pf: ADLP });
    const { argv } = await client.call('vm.args', { id: 'kiosk' });
    // "Any free VF" is VF1, the one already on vfio-pci; QEMU renders on the host's GPU.
    expect(argv).toEqual(
      expect.arrayContaining([
        'vfio-pci,id=gpu0,host=0000:00:02.1',
        'virtio-vga,id=video0,max_outputs=1,blob=true',
        'gtk,gl=on,full-screen=on',
        `memory-backend-memfd,id=mem0,size=1024M,hugetlb=on,hugetlbsize=2M`,
      ]),
    );
  });

  it('through the CLI: --gpu vf: with a GPU or a VF address, --display local:CONNECTOR, vm args --json', async () => {
    const cli = (args: string[]) => runCli([...args, '--simulate', 'adl-p'], home.env);
    const any = await cli([
      'vm',
      'create',
      'any',
      '--gpu',
      'vf:00:02.0',
      '--display',
      'local:HDMI-A-1',
      '--hugepages',
    ]);
    expect(any).toMatchObject({ code: 0, stderr: '' });
    // Debian's QEMU has no gtk "connectors": the CLI says what it does instead.
    expect(any.stdout).toMatch(
      /^created VM 'any'\nnote: QEMU [\d.]+ cannot choose the monitor for its window/,
    );
    const one = await cli(['vm', 'create', 'one', '--gpu', 'vf:0000:00:02.2', '--display', 'vnc']);
    expect(one).toMatchObject({ code: 0, stderr: '' });
    const shown = await cli(['vm', 'show', 'one']);
    expect(shown.stdout).toContain('GPU: VF 0000:00:02.2 of 0000:00:02.0; display: VNC console');
    const args = await cli(['vm', 'args', 'one', '--json']);
    const argv = JSON.parse(args.stdout) as string[];
    expect(argv).toEqual(
      expect.arrayContaining([
        'egl-headless,rendernode=/dev/dri/renderD128',
        'vfio-pci,id=gpu0,host=0000:00:02.2',
        'virtio-vga,id=video0,max_outputs=1,blob=true',
      ]),
    );
    const bad = await cli(['vm', 'create', 'bad', '--gpu', 'vf:0000:00:02.7']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/no Intel GPU at 0000:00:02.7/);
  });
});
