import { describe, expect, it } from 'vitest';
import { acceleratorNote } from './accelerator-note';

describe('acceleratorNote', () => {
  it('says nothing under KVM', () => {
    expect(acceleratorNote({ accelerator: 'kvm', reason: 'KVM ran the test guest in 90 ms' })).toBeNull();
  });

  it('makes one sentence of a refusal, whether or not the reason names TCG already', () => {
    expect(
      acceleratorNote({
        accelerator: 'tcg',
        reason: 'KVM had not run the test guest after 2.0 s, so guests run in software (TCG)',
      }),
    ).toBe('KVM had not run the test guest after 2.0 s, so guests run in software (TCG).');
    expect(
      acceleratorNote({
        accelerator: 'tcg',
        reason: 'no permission on /dev/kvm: add your user to the kvm group',
      }),
    ).toBe('Guests run in software (TCG): no permission on /dev/kvm: add your user to the kvm group.');
    expect(acceleratorNote({ accelerator: 'tcg', reason: 'TESSERA_ACCEL=tcg' })).toBe(
      'Guests run in software (TCG): TESSERA_ACCEL=tcg.',
    );
  });
});
