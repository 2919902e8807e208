import { describe, expect, it } from 'vitest';
import { RunRecord, type HostSnapshot } from '../../shared/run-record';
import { VmSpec } from '../../shared/vm-spec';
import { junitXml } from './junit';
import { diffRuns } from './run-diff';

const vm = VmSpec.parse({
  name: 'g',
  uuid: '00000000-0000-4000-8000-000000000001',
  createdAt: '2026-12-01T00:00:00.000Z',
});
const snapshot = (execQuantumMs: number, takenAt: string): HostSnapshot => ({
  takenAt,
  host: { root: '/sim', simulated: { name: 'adl-p-i915-sriov', title: 'ADL-P' } },
  kernelRelease: { unreadable: 'no such file' },
  kernelCmdline: { value: 'quiet' },
  gpus: [
    {
      address: '0000:00:02.0',
      name: 'Alder Lake-P',
      platform: 'ADL-P',
      driver: 'i915',
      moduleVersion: { value: '1.0' },
      guc: { state: 'unknown', reason: 'debugfs' },
      huc: { state: 'unknown', reason: 'debugfs' },
    },
  ],
  lease: {
    kind: 'vf',
    device: '0000:00:02.1',
    simulated: true,
    provisioning: { gt0: { exec_quantum_ms: execQuantumMs, preempt_timeout_us: 0 } },
  },
  qemu: {
    binary: '/usr/bin/qemu-system-x86_64',
    version: { value: '7.2.22' },
    argv: ['-name', 'g', '-m', '128M'],
  },
  tesseraVersion: '0.1.0',
  vm,
  engineActivity: { available: false, detail: 'not available on this driver' },
});

function record(id: string, execQuantumMs: number, dmesg: string[], status: 'passed' | 'failed'): RunRecord {
  return RunRecord.parse({
    schemaVersion: 1,
    id,
    label: null,
    vm: 'g',
    status,
    transport: 'serial',
    transportNote: '',
    startedAt: '2026-12-02T01:00:00.000Z',
    finishedAt: '2026-12-02T01:01:00.000Z',
    startedVm: true,
    backendPid: 1,
    plan: {
      source: 'p',
      sha256: 'x',
      plan: {
        version: 1,
        steps: [
          { name: 'log', probe: 'dmesg-gpu' },
          { name: 'x', exec: 'true' },
        ],
      },
    },
    host: { start: snapshot(execQuantumMs, `2026-12-02T01:00:0${dmesg.length}.000Z`), end: null },
    steps: [
      {
        name: 'log',
        kind: 'probe',
        status: 'passed',
        exitCode: 0,
        required: false,
        startedAt: null,
        durationMs: 5,
        message: null,
        stdout: { file: 'steps/001.stdout', bytes: 1, truncated: false },
        stderr: null,
      },
      {
        name: 'x',
        kind: 'exec',
        status,
        exitCode: status === 'passed' ? 0 : 1,
        required: false,
        startedAt: null,
        durationMs: 7,
        message: status === 'failed' ? 'exit 1 & <more>' : null,
        stdout: null,
        stderr: null,
      },
    ],
    problem: null,
    files: { junit: 'junit.xml', serialLog: 'serial.log', qemuLog: 'qemu.log' },
  });
}

describe('diffRuns', () => {
  it('names a changed VF quantum first, then the step, then probe lines, and ignores boot timestamps', () => {
    const a = record('20261202T010000Z-aaaaaa', 0, ['[    1.0] i915 0000:00:02.0: GuC loaded'], 'passed');
    const b = record(
      '20261202T010100Z-bbbbbb',
      25,
      ['[    1.2] i915 0000:00:02.0: GuC loaded', 'GPU HANG'],
      'failed',
    );
    const probes = (lines: string[]) =>
      new Map([['log', { probe: 'dmesg-gpu' as const, stdout: lines.join('\n') }]]);
    const diff = diffRuns(
      a,
      b,
      probes(['[    1.0] i915 0000:00:02.0: GuC loaded']),
      probes(['[    1.2] i915 0000:00:02.0: GuC loaded', 'GPU HANG']),
    );
    expect(diff.setup).toEqual([{ category: 'provisioning', key: 'gt0/exec_quantum_ms', a: '0', b: '25' }]);
    expect(diff.steps).toEqual([
      { name: 'x', a: { status: 'passed', exitCode: 0 }, b: { status: 'failed', exitCode: 1 } },
    ]);
    expect(diff.probes).toEqual([{ step: 'log', onlyA: [], onlyB: ['GPU HANG'] }]);
  });

  it('two runs of the same setup differ in nothing', () => {
    const a = record('20261202T010000Z-aaaaaa', 8, [], 'passed');
    const diff = diffRuns(a, { ...a, id: '20261202T010100Z-bbbbbb' }, new Map(), new Map());
    expect([diff.setup, diff.steps, diff.probes]).toEqual([[], [], []]);
  });

  it('two cells of a matrix: the preset asked for comes with the provisioning it gave', () => {
    const cell = (id: string, quantum: number, preset: string, index: number) => ({
      ...record(id, quantum, [], 'passed'),
      matrix: { id: '20261202T005900Z-cccccc', cell: index, values: { preset } },
    });
    const diff = diffRuns(
      cell('20261202T010000Z-aaaaaa', 0, 'fair', 0),
      cell('20261202T010100Z-bbbbbb', 25, 'one-big', 1),
      new Map(),
      new Map(),
    );
    expect(diff.setup).toEqual([
      { category: 'provisioning', key: 'matrix preset', a: 'fair', b: 'one-big' },
      { category: 'provisioning', key: 'gt0/exec_quantum_ms', a: '0', b: '25' },
    ]);
  });
});

describe('junitXml', () => {
  it('one testcase per step, failures counted, text escaped', () => {
    const xml = junitXml(
      record('20261202T010000Z-aaaaaa', 0, [], 'failed'),
      new Map([['log', { stdout: 'a <b> & \u0001c', stderr: '' }]]),
    );
    expect(xml).toContain(
      '<testsuites name="tessera run 20261202T010000Z-aaaaaa" tests="2" failures="1" errors="0" skipped="0" time="0.012">',
    );
    expect(xml).toContain('<system-out>a &lt;b&gt; &amp; c</system-out>');
    expect(xml).toContain('<failure message="exit 1 &amp; &lt;more&gt;" type="failed"/>');
  });
});
