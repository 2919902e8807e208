/**
 * One sentence for a VM or host that runs guests in software, with why (the accelerator choice's
 * reason, src/main/host/accelerator.ts); null under KVM. Shown by `vm start`, the VM card and the header.
 */
export function acceleratorNote(choice: { accelerator: 'kvm' | 'tcg'; reason: string }): string | null {
  if (choice.accelerator === 'kvm') return null;
  const reason = choice.reason;
  if (reason.includes('(TCG)')) return `${reason.charAt(0).toUpperCase()}${reason.slice(1)}.`;
  return `Guests run in software (TCG): ${reason}.`;
}

/** The accelerator was forced (TESSERA_ACCEL or the backend's options), not chosen from what the host can do. */
export function isForcedAccelerator(reason: string): boolean {
  return reason.startsWith('TESSERA_ACCEL=') || reason === 'chosen by the backend options';
}
