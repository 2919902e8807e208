import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it, expect } from 'vitest';
import { TesseraError } from '../../shared/errors';
import type { KvmFindings } from '../../shared/host-report';
import { acceleratorOverride, checkDevKvm, decideAccelerator, readCpuVirtualization } from './accelerator';

function errno(code: string): () => never {
  return () => {
    throw Object.assign(new Error(code), { code });
  };
}

const READ_WRITE = checkDevKvm('/dev/kvm', () => undefined);
const NO_VMX_VM = { virtualization: null, hypervisor: true } as const;
const SLOW = {
  ok: false,
  reason: 'KVM had not run the test guest after 2.0 s, while software emulation ran it in 0.9 s',
  kvmMs: 2000,
  tcgMs: 900,
  cached: false,
};

function findings(over: Partial<KvmFindings>): KvmFindings {
  return { cpu: { virtualization: 'vmx', hypervisor: false }, devKvm: READ_WRITE, probe: null, ...over };
}

describe('readCpuVirtualization', () => {
  it('finds vmx or svm in the flags, and the hypervisor bit', () => {
    expect(readCpuVirtualization('processor\t: 0\nflags\t\t: fpu vme vmx sse2\n')).toEqual({
      virtualization: 'vmx',
      hypervisor: false,
    });
    expect(readCpuVirtualization('flags : fpu svm\n')).toEqual({ virtualization: 'svm', hypervisor: false });
    // A cloud VM without nested virtualization, as on the machine the tests were written on.
    expect(readCpuVirtualization('flags\t\t: fpu sse2 hypervisor avx2 vmxnet\n')).toEqual(NO_VMX_VM);
  });

  it('says null when there are no flags to read', () => {
    expect(readCpuVirtualization('')).toBeNull();
  });
});

describe('checkDevKvm', () => {
  it('passes a /dev/kvm that opens read-write, asking for both', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-accel-'));
    const kvm = path.join(dir, 'kvm');
    fs.writeFileSync(kvm, '');
    expect(checkDevKvm(kvm).access).toBe('read-write');
    let asked = 0;
    checkDevKvm('/dev/kvm', (_p: string, mode: number) => void (asked = mode));
    expect(asked).toBe(fs.constants.R_OK | fs.constants.W_OK);
    fs.rmSync(dir, { recursive: true });
  });

  it('says how to get a missing one, names the group without permission, and reports the rest', () => {
    expect(checkDevKvm('/nonexistent/tessera/kvm')).toMatchObject({
      access: 'missing',
      detail:
        '/nonexistent/tessera/kvm missing: enable virtualization in firmware and load kvm_intel (or kvm_amd)',
    });
    for (const code of ['EACCES', 'EPERM']) {
      expect(checkDevKvm('/dev/kvm', errno(code))).toEqual({
        path: '/dev/kvm',
        access: 'no-permission',
        detail: 'no permission on /dev/kvm: add your user to the kvm group',
      });
    }
    expect(checkDevKvm('/dev/kvm', errno('EBUSY'))).toMatchObject({
      access: 'error',
      detail: 'cannot open /dev/kvm (EBUSY)',
    });
  });
});

describe('decideAccelerator', () => {
  it('uses KVM only when the test guest ran under it', () => {
    const ran = {
      ok: true,
      reason: 'KVM ran the test guest in 120 ms',
      kvmMs: 120,
      tcgMs: null,
      cached: true,
    };
    expect(decideAccelerator(undefined, findings({ probe: ran }))).toEqual({
      accelerator: 'kvm',
      reason: 'KVM ran the test guest in 120 ms',
    });
  });

  it('refuses a KVM that opens but does not run the guest, in one sentence with the CPU flags’ reason', () => {
    expect(decideAccelerator(undefined, findings({ cpu: NO_VMX_VM, probe: SLOW }))).toEqual({
      accelerator: 'tcg',
      reason:
        'KVM had not run the test guest after 2.0 s, while software emulation ran it in 0.9 s (the CPU shows no vmx or svm flag: this machine is a VM without nested virtualization), so guests run in software (TCG)',
    });
    expect(decideAccelerator(undefined, findings({ probe: SLOW })).reason).toBe(
      `${SLOW.reason}, so guests run in software (TCG)`,
    );
  });

  it('falls back to TCG when /dev/kvm cannot be opened, with what to do', () => {
    const denied = checkDevKvm('/dev/kvm', errno('EACCES'));
    expect(decideAccelerator(undefined, findings({ devKvm: denied }))).toEqual({
      accelerator: 'tcg',
      reason: 'no permission on /dev/kvm: add your user to the kvm group',
    });
  });

  it('lets an override win over every finding', () => {
    expect(decideAccelerator('kvm', findings({ cpu: NO_VMX_VM, probe: SLOW }))).toEqual({
      accelerator: 'kvm',
      reason: 'TESSERA_ACCEL=kvm',
    });
  });
});

describe('acceleratorOverride', () => {
  it('reads TESSERA_ACCEL, ignoring an empty one', () => {
    expect(acceleratorOverride({ TESSERA_ACCEL: 'tcg' })).toBe('tcg');
    expect(acceleratorOverride({ TESSERA_ACCEL: '' })).toBeUndefined();
    expect(acceleratorOverride({})).toBeUndefined();
  });

  it('rejects any other value, naming the allowed ones', () => {
    let error: unknown;
    try {
      acceleratorOverride({ TESSERA_ACCEL: 'hvf' });
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
