/**
 * Thousands of random and hostile plans against the helper: path traversal in every string field,
 * links in the tree that lead outside it, huge, negative and fractional numbers, wrong types,
 * unknown ops, devices that are not Intel GPUs, a VF claimed by the wrong PF. Whatever arrives,
 * nothing outside the allowed files may change, and a plan refused while checking writes nothing.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HelperResult } from '../../src/shared/helper-plan';
import { runSimulatedPlan } from '../../src/simulation/run-simulated-plan';
import { createSimulatedKernel, type KernelWriter } from '../../src/simulation/kernel';
import { buildHostTree } from '../../src/main/gpu/simulation/host-tree-builder';
import type { SimulatedHostDescription } from '../../src/main/gpu/simulation/host-description';
import { findSimulatedHost } from '../../src/main/gpu/simulation/simulated-hosts';
import { changedPaths, snapshotTree } from '../support/helper-host';

const ADL_PF = '0000:00:02.0';
const FLEX_PF = '0000:4d:00.0';
const ASPEED = '0000:02:00.0';
const HOST_BRIDGE = '0000:00:00.0';
const CML_UUID = '83b8f4f2-509f-382f-3c1e-e6bfe0fa1001';

/** Two Intel GPUs and a foreign VGA in one host, so a step can name the wrong one. */
function twoGpuHost(): SimulatedHostDescription {
  const adl = findSimulatedHost('adl-p');
  const flex = findSimulatedHost('flex170');
  const flexGpu = flex.gpus[0];
  const aspeed = flex.devices[0];
  if (!flexGpu || !aspeed || !adl.gpus[0] || !adl.devices[0]) throw new Error('fixtures changed');
  return {
    ...adl,
    name: 'two-gpus',
    modules: [...new Set([...adl.modules, ...flex.modules])],
    devices: [adl.devices[0], { ...aspeed, drm: { card: 3 } }],
    gpus: [adl.gpus[0], { ...flexGpu, drm: { card: 2 } }],
  };
}

interface Recorded {
  writer: KernelWriter;
  writes: string[];
}

/** The simulated kernel, with every write and ownership change the helper asks for noted. */
function recording(dir: string): Recorded {
  const kernel = createSimulatedKernel(dir);
  const writes: string[] = [];
  const hostPath = (machinePath: string) => `/${path.relative(dir, machinePath)}`;
  return {
    writes,
    writer: {
      write(machinePath, value) {
        writes.push(hostPath(machinePath));
        kernel.write(machinePath, value);
      },
      chown(machinePath, uid) {
        writes.push(hostPath(machinePath));
        kernel.chown(machinePath, uid);
      },
    },
  };
}

/** The files a plan may write: the Intel GPUs' own sysfs files, driver bind files, vfio nodes (docs/sriov-sysfs.md#pci-device-files–docs/sriov-sysfs.md#vfio-device-nodes, #i915-sr-iov, #xe-sr-iov, #gvt-g). */
function allowedWrite(hostPath: string): boolean {
  const gpuDirs = [
    '/sys/devices/pci0000:00/0000:00:02.',
    '/sys/devices/pci0000:4a/0000:4a:01.0/0000:4b:00.0/0000:4c:01.0/0000:4d:',
  ];
  const own =
    /\/(sriov_numvfs|sriov_drivers_autoprobe|driver_override|remove)$|\/(prelim_iov|sriov_admin)\/|\/mdev_supported_types\/[^/]+\/create$/;
  if (gpuDirs.some((d) => hostPath.startsWith(d)) && own.test(hostPath)) return true;
  if (/^\/sys\/bus\/pci\/drivers\/(vfio-pci|i915|xe)\/unbind$/.test(hostPath)) return true;
  return hostPath === '/sys/bus/pci/drivers_probe' || /^\/dev\/vfio\/\d+$/.test(hostPath);
}

/** Where the kernel's reactions to those writes may show: the GPUs, their VFs, groups, nodes. */
function allowedChange(relative: string): boolean {
  const hostPath = `/${relative}`;
  const areas = [
    '/sys/devices/pci0000:00/0000:00:02.',
    '/sys/devices/pci0000:4a/0000:4a:01.0/0000:4b:00.0/0000:4c:01.0/0000:4d:',
    '/sys/bus/pci/devices/0000:00:02.',
    '/sys/bus/pci/devices/0000:4d:',
    '/sys/bus/pci/drivers/',
    '/sys/kernel/iommu_groups',
    '/sys/class/drm',
    '/sys/bus/mdev',
    '/sys/kernel/debug/dri',
    '/dev/vfio',
    '/dev/dri',
    '/.tessera-kernel',
  ];
  return areas.some((a) => hostPath.startsWith(a)) && !hostPath.startsWith('/sys/bus/pci/drivers/ast');
}

// Strings that must never reach a path: traversal, absolute paths, NUL, shell, near-miss addresses.
const evilString = fc.oneof(
  fc.constantFrom(
    '../../../etc/passwd',
    '/etc/shadow',
    '0000:00:02.0/../../..',
    '0000:00:02.1/..',
    '..',
    '.',
    '',
    ' 0000:00:02.1',
    '0000:00:02.1\n',
    '0000:00:02.1\u0000',
    '0000:00:02.10',
    '0000:00:2.1',
    '00:02.1',
    '0000:00:02.1; reboot',
    '$(id)',
    '`id`',
    '%2e%2e%2f',
    '..\\..\\',
    'i915-GVTg_V5_4/../../../..',
    '../mdev_supported_types/i915-GVTg_V5_4',
    '83B8F4F2-509F-382F-3C1E-E6BFE0FA1001',
    `${CML_UUID}/../..`,
    'x'.repeat(5000),
  ),
  fc.string({ maxLength: 60 }),
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc
    .stringMatching(/^[./a-z0-9:_-]{0,40}$/)
    .filter((s) => !/^[0-9a-f]{4}:[0-9a-f]{2}:[01][0-9a-f]\.[0-7]$/.test(s)),
);
// Numbers no field takes: negative, fractional, beyond any kernel width or JSON's exact range.
const evilNumber = fc.oneof(
  fc.constantFrom(-1, -0.5, 0.5, 1.5, 2 ** 53, 2 ** 64, 1e308, -1e308, Number.MAX_SAFE_INTEGER + 2),
  fc.integer({ min: -(2 ** 31), max: -1 }),
  fc.double({ noNaN: true }).filter((n) => !Number.isInteger(n)),
);
const wrongType = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string(), fc.integer(), { maxKeys: 2 }),
);
/** Addresses of functions the helper must not change, or that do not exist. */
const foreignDevice = fc.constantFrom(
  ASPEED,
  HOST_BRIDGE,
  '0000:00:1f.7',
  '0000:ff:1f.7',
  '0000:00:03.0',
  '0000:4d:1f.7',
);

const goodSteps = [
  { op: 'provision', vf: '0000:00:02.1', settings: { execQuantumMs: 5 } },
  { op: 'set-vf-count', pf: ADL_PF, count: 2 },
  { op: 'bind', device: '0000:00:02.1', driver: 'vfio-pci' },
  { op: 'grant-vfio', device: '0000:00:02.1' },
  { op: 'set-pf-spare', pf: FLEX_PF, settings: { execQuantumMs: 20 } },
];
const goodStep = fc.constantFrom(...goodSteps);

/** A step with one field made hostile; every one of these is refused whatever else the plan holds. */
const hostileStep: fc.Arbitrary<unknown> = fc.oneof(
  fc.record({
    op: fc.constant('set-vf-count'),
    pf: fc.oneof(evilString, wrongType, foreignDevice),
    count: fc.constant(1),
  }),
  fc.record({
    op: fc.constant('set-vf-count'),
    pf: fc.constant(ADL_PF),
    count: fc.oneof(evilNumber, wrongType, fc.integer({ min: 8, max: 70000 })),
  }),
  fc.record({
    op: fc.constant('set-vf-count'),
    pf: fc.constantFrom('0000:00:02.1', '0000:4d:00.1'),
    count: fc.constant(1),
  }),
  fc.record({
    op: fc.constant('provision'),
    vf: fc.oneof(evilString, foreignDevice, fc.constant(ADL_PF)),
    settings: fc.constant({ execQuantumMs: 1 }),
  }),
  fc.record({
    op: fc.constant('provision'),
    vf: fc.constant('0000:00:02.1'),
    settings: fc.oneof(
      fc.record({ ggttQuotaBytes: fc.oneof(evilNumber, fc.integer({ min: 3758096385, max: 2 ** 52 })) }),
      fc.record({ contextsQuota: fc.oneof(evilNumber, fc.integer({ min: 65536, max: 2 ** 40 })) }),
      fc.record({
        execQuantumMs: fc.oneof(evilNumber, wrongType, fc.integer({ min: 2 ** 32, max: 2 ** 50 })),
      }),
      fc.record({ [`../../${'x'}`]: fc.constant(1) }),
      fc.constant({}),
      fc.constant({ lmemQuotaBytes: 1 }), // an iGPU has no local memory
      fc.constant({ schedPriority: 1 }), // not a VF setting
    ),
  }),
  fc.record({
    op: fc.constant('set-pf-spare'),
    pf: fc.oneof(evilString, foreignDevice, fc.constant('0000:00:02.1')),
    settings: fc.constant({ execQuantumMs: 1 }),
  }),
  fc.record({
    op: fc.constant('set-pf-spare'),
    pf: fc.constant(ADL_PF),
    settings: fc.constant({ schedPriority: 'high' }),
  }),
  fc.record({
    op: fc.constant('bind'),
    device: fc.oneof(evilString, foreignDevice),
    driver: fc.constant('vfio-pci'),
  }),
  fc.record({
    op: fc.constant('bind'),
    device: fc.constant('0000:00:02.1'),
    driver: fc.oneof(evilString, fc.constantFrom('ast', 'i915', 'nvidia', '../vfio-pci')),
  }),
  fc.record({ op: fc.constant('bind'), device: fc.constant(ADL_PF), driver: fc.constant('vfio-pci') }), // the host's display, unasked
  fc.record({
    op: fc.constant('grant-vfio'),
    device: fc.oneof(evilString, foreignDevice, fc.constant('0000:00:02.2')),
  }),
  fc.record({
    op: fc.constant('set-memlock'),
    pid: fc.oneof(evilNumber, fc.constant(1), fc.constant(999999)),
    bytes: fc.constant(1),
  }),
  fc.record({
    op: fc.constant('create-mdev'),
    parent: fc.oneof(evilString, foreignDevice, fc.constant(ADL_PF)),
    type: fc.oneof(evilString, fc.constant('i915-GVTg_V5_4')),
    uuid: fc.constant(CML_UUID),
  }),
  fc.record({ op: fc.constant('remove-mdev'), uuid: fc.oneof(evilString, fc.uuid()) }),
  fc.record({
    op: fc.oneof(evilString, fc.constantFrom('exec', 'run', 'write-file', 'chmod', 'SET-VF-COUNT')),
    pf: fc.constant(ADL_PF),
    count: fc.constant(1),
  }),
  fc.record({
    ...Object.fromEntries(Object.entries(goodSteps[0] ?? {}).map(([k, v]) => [k, fc.constant(v)])),
    extra: fc.oneof(evilString, wrongType),
  }),
  wrongType,
);

const hostilePlan: fc.Arbitrary<unknown> = fc.oneof(
  fc
    .tuple(
      fc.array(goodStep, { maxLength: 4 }),
      fc.array(hostileStep, { minLength: 1, maxLength: 3 }),
      fc.nat(),
    )
    .map(([good, bad, seed]) => {
      const steps = [...good, ...bad];
      // Put the hostile steps anywhere: the helper checks all before writing any.
      for (let i = steps.length - 1; i > 0; i--) {
        const j = (seed + i * 7919) % (i + 1);
        [steps[i], steps[j]] = [steps[j], steps[i]];
      }
      return { version: 1, steps };
    }),
  fc.record({
    version: fc.oneof(evilNumber, wrongType, fc.constant(2)),
    steps: fc.array(goodStep, { maxLength: 2 }),
  }),
  fc.record({
    version: fc.constant(1),
    steps: fc.oneof(fc.constant([]), wrongType, fc.array(goodStep, { minLength: 513, maxLength: 513 })),
  }),
  wrongType,
);

let root: string;
let tree: string;
let before: Map<string, ReturnType<typeof snapshotTree> extends Map<string, infer E> ? E : never>;
let outside: string;

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-hostile-'));
  tree = path.join(root, 'host');
  buildHostTree(twoGpuHost(), tree);
  outside = path.join(root, 'outside');
  fs.mkdirSync(outside);
  before = snapshotTree(tree);
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const run = (plan: unknown, writer: KernelWriter, env: Record<string, string> = {}): HelperResult =>
  runSimulatedPlan(typeof plan === 'string' ? plan : JSON.stringify(plan), {
    env: { TESSERA_HOST_ROOT: tree, ...env },
    uid: 1000,
    writer,
  });

describe('hostile plans', () => {
  it('are refused before any write, thousands of them, and the tree stays byte for byte', () => {
    const recorder = recording(tree);
    fc.assert(
      fc.property(hostilePlan, (plan) => {
        const result = run(plan, recorder.writer);
        expect(result.ok).toBe(false);
        expect(result.applied).toEqual([]);
        expect(recorder.writes).toEqual([]);
      }),
      { numRuns: 3000, seed: 20261121 },
    );
    expect(changedPaths(before, snapshotTree(tree))).toEqual([]);
  });

  it('that are not even JSON, or far too large, are refused as such', () => {
    const recorder = recording(tree);
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary' }),
          fc.constant('{"version":1,"steps":['.padEnd(2 ** 20 + 10, ' ')),
        ),
        (text) => {
          let isJson = true;
          try {
            JSON.parse(text);
          } catch {
            isJson = false;
          }
          const result = run(text, recorder.writer);
          expect(result.ok).toBe(false);
          if (!isJson) expect(result.ok === false && result.error.code).toBe('BAD_PLAN');
        },
      ),
      { numRuns: 500, seed: 7 },
    );
    expect(recorder.writes).toEqual([]);
  });
});

describe('random plans', () => {
  // Valid-looking steps on both GPUs; many apply, many fail in the kernel and are undone.
  const device = fc.constantFrom(
    ADL_PF,
    '0000:00:02.1',
    '0000:00:02.2',
    '0000:00:02.5',
    FLEX_PF,
    '0000:4d:00.1',
    '0000:4d:00.9',
    ASPEED,
  );
  const anyStep = fc.oneof(
    fc.record({ op: fc.constant('set-vf-count'), pf: device, count: fc.integer({ min: 0, max: 9 }) }),
    fc.record({
      op: fc.constant('provision'),
      vf: device,
      settings: fc.record(
        {
          execQuantumMs: fc.integer({ min: 0, max: 50 }),
          ggttQuotaBytes: fc.integer({ min: 0, max: 4 * 2 ** 30 }),
          contextsQuota: fc.integer({ min: 0, max: 70000 }),
          lmemQuotaBytes: fc.integer({ min: 0, max: 2 ** 34 }),
        },
        { requiredKeys: ['execQuantumMs'] },
      ),
    }),
    fc.record({
      op: fc.constant('bind'),
      device,
      driver: fc.constantFrom('vfio-pci', 'host'),
      takeHostDisplay: fc.constantFrom(true, undefined),
    }),
    fc.record({ op: fc.constant('grant-vfio'), device }),
  );

  it('write only the allowed files, and change nothing outside the GPUs', () => {
    fc.assert(
      fc.property(fc.array(anyStep, { minLength: 1, maxLength: 6 }), (steps) => {
        const start = snapshotTree(tree);
        const recorder = recording(tree);
        const plan = { version: 1, steps: steps.map((s) => JSON.parse(JSON.stringify(s)) as unknown) };
        const result = run(plan, recorder.writer);
        for (const written of recorder.writes) expect(allowedWrite(written), written).toBe(true);
        const changed = changedPaths(start, snapshotTree(tree));
        for (const relative of changed) expect(allowedChange(relative), relative).toBe(true);
        if (!result.ok && result.applied.every((a) => a.writes.length === 0)) expect(changed).toEqual([]);
      }),
      { numRuns: 150, seed: 42 },
    );
  });
});

describe('links in the tree that lead outside it', () => {
  const cases: { name: string; plant(at: (p: string) => string): void; steps: unknown[] }[] = [
    {
      name: 'sriov_numvfs is a link to a file outside',
      plant: (at) => {
        fs.rmSync(at('/sys/devices/pci0000:00/0000:00:02.0/sriov_numvfs'));
        fs.symlinkSync(path.join(outside, 'target'), at('/sys/devices/pci0000:00/0000:00:02.0/sriov_numvfs'));
      },
      steps: [{ op: 'set-vf-count', pf: ADL_PF, count: 3 }],
    },
    {
      name: 'the PF itself is a link to a directory outside',
      plant: (at) => {
        fs.cpSync(at('/sys/devices/pci0000:00/0000:00:02.0'), path.join(outside, '0000:00:02.0'), {
          recursive: true,
          verbatimSymlinks: true,
        });
        fs.rmSync(at('/sys/bus/pci/devices/0000:00:02.0'));
        fs.symlinkSync(path.join(outside, '0000:00:02.0'), at('/sys/bus/pci/devices/0000:00:02.0'));
      },
      steps: [{ op: 'set-vf-count', pf: ADL_PF, count: 3 }],
    },
    {
      name: "i915's prelim_iov is a link outside",
      plant: (at) => {
        const home = at('/sys/devices/pci0000:00/0000:00:02.0/drm/card0/prelim_iov');
        fs.cpSync(home, path.join(outside, 'prelim_iov'), { recursive: true, verbatimSymlinks: true });
        fs.rmSync(home, { recursive: true });
        fs.symlinkSync(path.join(outside, 'prelim_iov'), home);
      },
      steps: [{ op: 'provision', vf: '0000:00:02.1', settings: { execQuantumMs: 9 } }],
    },
    {
      name: 'a quota file is a link to /etc',
      plant: (at) => {
        const file = at('/sys/devices/pci0000:00/0000:00:02.0/drm/card0/prelim_iov/vf1/gt0/exec_quantum_ms');
        fs.rmSync(file);
        fs.symlinkSync(path.join(outside, 'target'), file);
      },
      steps: [{ op: 'provision', vf: '0000:00:02.1', settings: { execQuantumMs: 9 } }],
    },
    {
      name: "a VF's driver_override is a link outside",
      plant: (at) => {
        const file = at('/sys/devices/pci0000:00/0000:00:02.2/driver_override');
        fs.rmSync(file);
        fs.symlinkSync(path.join(outside, 'target'), file);
      },
      steps: [{ op: 'bind', device: '0000:00:02.2', driver: 'vfio-pci' }],
    },
    {
      name: "the VF's driver link leads to a fake driver outside",
      plant: (at) => {
        fs.mkdirSync(path.join(outside, 'i915'));
        fs.writeFileSync(path.join(outside, 'i915', 'unbind'), '');
        fs.rmSync(at('/sys/devices/pci0000:00/0000:00:02.2/driver'));
        fs.symlinkSync(path.join(outside, 'i915'), at('/sys/devices/pci0000:00/0000:00:02.2/driver'));
      },
      steps: [{ op: 'bind', device: '0000:00:02.2', driver: 'vfio-pci' }],
    },
    {
      name: 'the vfio group node is a link to a file outside',
      plant: (at) => {
        fs.rmSync(at('/dev/vfio/17'));
        fs.symlinkSync(path.join(outside, 'target'), at('/dev/vfio/17'));
      },
      steps: [{ op: 'grant-vfio', device: '0000:00:02.1' }],
    },
    {
      name: "a VF's iommu_group leads outside",
      plant: (at) => {
        fs.mkdirSync(path.join(outside, '17', 'devices'), { recursive: true });
        fs.rmSync(at('/sys/devices/pci0000:00/0000:00:02.1/iommu_group'));
        fs.symlinkSync(path.join(outside, '17'), at('/sys/devices/pci0000:00/0000:00:02.1/iommu_group'));
      },
      steps: [{ op: 'grant-vfio', device: '0000:00:02.1' }],
    },
    {
      name: 'a VF names the other GPU as its PF (physfn), which does not list it',
      plant: (at) => {
        const physfn = at('/sys/devices/pci0000:00/0000:00:02.1/physfn');
        fs.rmSync(physfn);
        fs.symlinkSync('../../pci0000:4a/0000:4a:01.0/0000:4b:00.0/0000:4c:01.0/0000:4d:00.0', physfn);
      },
      steps: [{ op: 'provision', vf: '0000:00:02.1', settings: { execQuantumMs: 9 } }],
    },
    {
      name: 'virtfn0 of the PF leads outside',
      plant: (at) => {
        fs.cpSync(at('/sys/devices/pci0000:00/0000:00:02.1'), path.join(outside, '0000:00:02.1'), {
          recursive: true,
          verbatimSymlinks: true,
        });
        fs.rmSync(at('/sys/devices/pci0000:00/0000:00:02.0/virtfn0'));
        fs.symlinkSync(
          path.join(outside, '0000:00:02.1'),
          at('/sys/devices/pci0000:00/0000:00:02.0/virtfn0'),
        );
      },
      steps: [
        { op: 'set-vf-count', pf: ADL_PF, count: 0 },
        { op: 'bind', device: '0000:00:02.1', driver: 'vfio-pci' },
      ],
    },
  ];

  it.each(cases)('$name: refused, and nothing outside changes', ({ plant, steps }) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-links-'));
    const host = path.join(dir, 'host');
    fs.rmSync(outside, { recursive: true, force: true });
    fs.mkdirSync(outside);
    fs.writeFileSync(path.join(outside, 'target'), 'untouched\n');
    try {
      buildHostTree(twoGpuHost(), host);
      plant((p) => path.join(host, p));
      const outsideBefore = snapshotTree(outside);
      const recorder = recording(host);
      const result = runSimulatedPlan(JSON.stringify({ version: 1, steps }), {
        env: { TESSERA_HOST_ROOT: host },
        uid: 1000,
        writer: recorder.writer,
      });
      expect(result.ok).toBe(false);
      expect(changedPaths(outsideBefore, snapshotTree(outside))).toEqual([]);
      for (const written of recorder.writes) expect(written.startsWith('/')).toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

// Issue 18: the simulated kernel itself (not only the helper's checks) followed links planted in the
// tree: a VF directory linked elsewhere received `class`, `device`, `driver_override`, …
describe('the simulated kernel, in a tree with links it did not make', () => {
  const plantedCases = [
    // The kernel would make a directory there: it refuses to make it through the link.
    { name: 'the next VF directory', at: '/sys/devices/pci0000:00/0000:00:02.3', refused: true },
    // The kernel would make a link there: the planted one is replaced, never written through.
    { name: "the next VF's bus link", at: '/sys/bus/pci/devices/0000:00:02.4', refused: false },
  ];
  it.each(plantedCases)('$name linked outside: nothing is written through it', ({ at, refused }) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-planted-'));
    const host = path.join(dir, 'host');
    const elsewhere = path.join(dir, 'elsewhere');
    try {
      buildHostTree(findSimulatedHost('adl-p'), host);
      fs.rmSync(path.join(host, at), { recursive: true, force: true });
      fs.mkdirSync(elsewhere);
      fs.symlinkSync(elsewhere, path.join(host, at));
      const kernel = createSimulatedKernel(host);
      const result = runSimulatedPlan(
        JSON.stringify({
          version: 1,
          // adl-p has 2 VFs: 4 makes 0000:00:02.3 and 0000:00:02.4 and binds them.
          steps: [{ op: 'set-vf-count', pf: ADL_PF, count: 4 }],
        }),
        { env: { TESSERA_HOST_ROOT: host }, uid: 1000, writer: kernel },
      );
      expect(fs.readdirSync(elsewhere)).toEqual([]);
      expect(result.ok).toBe(!refused);
      if (!refused) expect(fs.readlinkSync(path.join(host, at))).toMatch(/^\.\.\//);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('still makes and removes VFs in a clean tree (its own links are followed)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-planted-'));
    try {
      const host = path.join(dir, 'host');
      buildHostTree(findSimulatedHost('adl-p'), host);
      const plan = (count: number) =>
        runSimulatedPlan(JSON.stringify({ version: 1, steps: [{ op: 'set-vf-count', pf: ADL_PF, count }] }), {
          env: { TESSERA_HOST_ROOT: host },
          uid: 1000,
          writer: createSimulatedKernel(host),
        });
      expect(plan(0).ok).toBe(true);
      expect(plan(7).ok).toBe(true);
      expect(fs.readlinkSync(path.join(host, '/sys/devices/pci0000:00/0000:00:02.0/virtfn6'))).toBe(
        '../0000:00:02.7',
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
