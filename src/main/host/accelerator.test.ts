import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it, expect } from 'vitest';
import { TesseraError } from '../../shared/errors';
import { detectAccelerator } from './accelerator';

function errno(code: string): () => never {
  return () => {
    throw Object.assign(new Error(code), { code });
  };
}

describe('detectAccelerator', () => {
  it('uses KVM when /dev/kvm opens read-write', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-accel-'));
    const kvm = path.join(dir, 'kvm');
    fs.writeFileSync(kvm, '');
    expect(detectAccelerator({ env: {}, devKvmPath: kvm })).toEqual({
      accelerator: 'kvm',
      reason: `${kvm} is usable`,
    });
    fs.rmSync(dir, { recursive: true });
  });

  it('falls back to TCG when /dev/kvm is missing, and says how to get it', () => {
    const choice = detectAccelerator({ env: {}, devKvmPath: '/nonexistent/tessera/kvm' });
    expect(choice.accelerator).toBe('tcg');
    expect(choice.reason).toMatch(
      /^\/nonexistent\/tessera\/kvm missing: enable virtualization in firmware and load kvm_intel/,
    );
  });

  it('falls back to TCG without permission, and names the group', () => {
    for (const code of ['EACCES', 'EPERM']) {
      expect(detectAccelerator({ env: {}, devKvmPath: '/dev/kvm', access: errno(code) })).toEqual({
        accelerator: 'tcg',
        reason: 'no permission on /dev/kvm: add your user to the kvm group',
      });
    }
  });

  it('asks for read and write access', () => {
    let asked = 0;
    detectAccelerator({ env: {}, devKvmPath: '/dev/kvm', access: (_p, mode) => void (asked = mode) });
    expect(asked).toBe(fs.constants.R_OK | fs.constants.W_OK);
  });

  it('reports other errors as they are', () => {
    const choice = detectAccelerator({ env: {}, devKvmPath: '/dev/kvm', access: errno('EBUSY') });
    expect(choice).toEqual({ accelerator: 'tcg', reason: 'cannot open /dev/kvm (EBUSY)' });
  });

  it('lets TESSERA_ACCEL override the guess', () => {
    const missing = '/nonexistent/tessera/kvm';
    expect(detectAccelerator({ env: { TESSERA_ACCEL: 'kvm' }, devKvmPath: missing })).toEqual({
      accelerator: 'kvm',
      reason: 'TESSERA_ACCEL=kvm',
    });
    expect(
      detectAccelerator({ env: { TESSERA_ACCEL: 'tcg' }, devKvmPath: '/dev/kvm', access: () => {} }),
    ).toEqual({
      accelerator: 'tcg',
      reason: 'TESSERA_ACCEL=tcg',
    });
  });

  it('ignores an empty TESSERA_ACCEL', () => {
    expect(
      detectAccelerator({ env: { TESSERA_ACCEL: '' }, devKvmPath: '/dev/kvm', access: () => {} }).accelerator,
    ).toBe('kvm');
  });

  it('rejects any other TESSERA_ACCEL, naming the allowed values', () => {
    let error: unknown;
    try {
      detectAccelerator({ env: { TESSERA_ACCEL: 'hvf' }, devKvmPath: '/dev/kvm' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TesseraError);
    expect(error).toMatchObject({
      code: 'BAD_INPUT',
      message: 'TESSERA_ACCEL=hvf is not an accelerator: use kvm or tcg',
    });
  });
});
