import { useState } from 'react';
import { hasRecentInput } from '../../../../shared/images';
import type { VmInfo } from '../../../../shared/vm-spec';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { useBoothStore } from '../../stores/context';

/**
 * "Reset to golden" for a VM on a golden image (nothing for others). Someone typed into the VM
 * in the last two minutes: ask first, their work goes with the overlay.
 */
export function ResetGoldenButton({ vm, className = 'button-ghost' }: { vm: VmInfo; className?: string }) {
  const status = useBoothStore((s) => s.status[vm.id]);
  const pending = useBoothStore((s) => s.pending[vm.id]);
  const reset = useBoothStore((s) => s.resetToGolden);
  const [asking, setAsking] = useState(false);
  if (!status) return null;
  const busy = pending !== undefined || status.busy !== null;
  const warm = status.warm.blocker === null && status.warm.snapshotAt !== null && vm.state === 'running';
  const title = warm
    ? 'Load the ready snapshot (warm reset)'
    : status.warm.blocker
      ? `A fresh overlay and a cold boot: no warm reset because ${status.warm.blocker}`
      : 'A fresh overlay of the golden image, and a cold boot if it was running';
  return (
    <>
      <button
        type="button"
        className={className}
        data-testid={`vm-${vm.id}-reset-golden`}
        disabled={busy}
        title={title}
        onClick={() => (hasRecentInput(status, Date.now()) ? setAsking(true) : void reset(vm.id))}
      >
        {busy ? 'Resetting…' : 'Reset to golden'}
      </button>
      <ConfirmDialog
        open={asking}
        title={`Reset ${vm.spec.name} while someone uses it?`}
        confirmLabel="Reset to golden"
        testId={`vm-${vm.id}-reset-golden-dialog`}
        onCancel={() => setAsking(false)}
        onConfirm={() => {
          setAsking(false);
          void reset(vm.id);
        }}
      >
        <p>
          Its console had keyboard or mouse input at {new Date(status.lastInputAt ?? '').toLocaleTimeString()}
          . Everything changed since its golden image {status.image} goes.
        </p>
      </ConfirmDialog>
    </>
  );
}
