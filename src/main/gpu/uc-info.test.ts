import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createHostReader } from '../fsutil/host-reader';
import { failingFs } from '../../../tests/support/failing-fs';
import { createHostRoot } from '../fsutil/host-root';
import { gucInfoText } from './simulation/uc-samples';
import { parseUcInfo, readUcInfo } from './uc-info';

// The shape of docs/sriov-sysfs.md#guc-and-huc-in-debugfs, with values as an Alder Lake-P PF shows them (docs/sriov-sysfs.md#i915-kernel-messages version line).
const GUC_INFO_PF = `GuC firmware: i915/adlp_guc_70.bin
\tstatus: RUNNING
\tversion: found 70.44.1
\tuCode: 339264 bytes
\tRSA: 384 bytes
GuC status 0x8002f0ec:
\tBootrom status = 0x76
\tuKernel status = 0xf0
\tMIA Core status = 0x3
Scratch registers:
\t 0: \t0xf0000000
\t 1: \t0x0
\t15: \t0x0

GuC log relay not created
CT enabled
H2G Space: 16320
Head: 84
Tail: 84
G2H Space: 65280
Head: 208
Tail: 208
GuC Submission API Version: 1.1.0
GuC Number Outstanding Submission G2H: 0
GuC tasklet count: 0
Requests in GuC submit tasklet:
`;

describe('parseUcInfo', () => {
  it('reads firmware, status, version and that GuC submission runs', () => {
    expect(parseUcInfo('GuC', GUC_INFO_PF, 'src')).toEqual({
      state: 'known',
      firmware: 'i915/adlp_guc_70.bin',
      status: 'RUNNING',
      foundVersion: '70.44.1',
      wantedVersion: null,
      submission: true,
      source: 'src',
    });
  });

  it('sees no submission when the CT and submission blocks are absent', () => {
    const text = GUC_INFO_PF.slice(0, GUC_INFO_PF.indexOf('CT enabled'));
    expect(parseUcInfo('GuC', text, 's')).toMatchObject({ status: 'RUNNING', submission: false });
  });

  it('reads "wanted X, found Y" when the firmware is older than the driver wants', () => {
    const text = GUC_INFO_PF.replace('version: found 70.44.1', 'version: wanted 70.49.4, found 70.44.1');
    expect(parseUcInfo('GuC', text, 's')).toMatchObject({
      foundVersion: '70.44.1',
      wantedVersion: '70.49.4',
    });
  });

  it('reads a failed load', () => {
    const text = GUC_INFO_PF.replace('status: RUNNING', 'status: LOAD FAIL');
    expect(parseUcInfo('GuC', text, 's')).toMatchObject({ status: 'LOAD FAIL' });
  });

  it('reads the early-outs', () => {
    expect(parseUcInfo('GuC', 'GuC disabled\n', 's')).toMatchObject({
      status: 'disabled',
      firmware: null,
      submission: false,
    });
    expect(parseUcInfo('HuC', 'HuC not supported\n', 's')).toMatchObject({
      status: 'not supported',
      submission: null,
    });
  });

  it('reads a VF with preloaded firmware, where only the first line is printed', () => {
    expect(parseUcInfo('GuC', 'GuC firmware: i915/adlp_guc_70.bin\n', 's')).toMatchObject({
      status: 'PRELOADED',
      submission: null,
    });
  });

  it('reads huc_info', () => {
    const text =
      'HuC firmware: i915/tgl_huc.bin\n\tstatus: RUNNING\n\tversion: found 7.9.3\n\tuCode: 589568 bytes\n\tRSA: 256 bytes\nHuC status: 0x00090001\n';
    expect(parseUcInfo('HuC', text, 's')).toMatchObject({
      firmware: 'i915/tgl_huc.bin',
      status: 'RUNNING',
      foundVersion: '7.9.3',
      submission: null,
    });
  });

  it('refuses text in another format instead of guessing', () => {
    expect(parseUcInfo('GuC', 'something else\n', 's')).toEqual({
      error: 'unexpected first line in s: "something else"',
    });
    expect(parseUcInfo('HuC', GUC_INFO_PF, 's')).toMatchObject({
      error: expect.stringContaining('unexpected first line'),
    });
    expect(parseUcInfo('GuC', GUC_INFO_PF.replace('found 70.44.1', 'seventy'), 's')).toEqual({
      error: 'unexpected version line in s: "seventy"',
    });
  });

  it('reads what the simulation writes', () => {
    const sample = {
      firmware: 'i915/dg2_guc_70.bin',
      status: 'RUNNING',
      version: '70.36.0',
      submission: true,
    };
    expect(parseUcInfo('GuC', gucInfoText(sample), 's')).toMatchObject({
      firmware: sample.firmware,
      foundVersion: '70.36.0',
      submission: true,
    });
    expect(parseUcInfo('GuC', gucInfoText({ ...sample, submission: false }), 's')).toMatchObject({
      submission: false,
    });
  });
});

describe('readUcInfo', () => {
  function tree(files: Record<string, string>): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-uc-'));
    fs.mkdirSync(path.join(dir, 'sys/kernel/debug'), { recursive: true });
    for (const [p, content] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
      fs.writeFileSync(path.join(dir, p), content);
    }
    return dir;
  }

  it('falls back to dri/<minor> when there is no directory named for the device', () => {
    const dir = tree({ 'sys/kernel/debug/dri/0/gt0/uc/guc_info': GUC_INFO_PF });
    const reader = createHostReader(createHostRoot(dir));
    expect(readUcInfo(reader, 'GuC', '0000:00:02.0', 'card0')).toMatchObject({
      status: 'RUNNING',
      source: '/sys/kernel/debug/dri/0/gt0/uc/guc_info',
    });
    fs.rmSync(dir, { recursive: true });
  });

  it('takes ENODEV from guc_info as "GuC not supported" (intel_guc_debugfs.c)', () => {
    const dir = tree({ 'sys/kernel/debug/dri/0000:00:02.0/gt0/uc/guc_info': '' });
    const enodev = failingFs([{ op: 'readFileSync', suffix: 'guc_info', code: 'ENODEV' }]);
    const reader = createHostReader(createHostRoot(dir, enodev));
    expect(readUcInfo(reader, 'GuC', '0000:00:02.0', 'card0')).toMatchObject({
      state: 'known',
      status: 'not supported',
    });
    fs.rmSync(dir, { recursive: true });
  });

  it('reports content it cannot parse as unknown and unreadable', () => {
    const dir = tree({ 'sys/kernel/debug/dri/0000:00:02.0/gt0/uc/guc_info': 'garbage\n' });
    const reader = createHostReader(createHostRoot(dir));
    expect(readUcInfo(reader, 'GuC', '0000:00:02.0', null)).toMatchObject({ state: 'unknown' });
    expect(reader.unreadable).toHaveLength(1);
    fs.rmSync(dir, { recursive: true });
  });
});
