import { useState } from 'react';
import { hasNothingToBoot, nothingToShutDown } from '../../../../shared/boot-media';
import type { VmInfo, VmState } from '../../../../shared/vm-spec';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { canForceOff, canPause, canReset, canResume, canShutDown, canStart } from './vm-actions';
import { useVmStore } from '../../stores/context';

export type PowerAction = 'start' | 'stop' | 'kill' | 'reset' | 'pause' | 'resume';

interface ActionMeta {
  label: string;
  busy: string;
  allowed(state: VmState): boolean;
  title?: string;
  className?: string;
}

const ACTIONS: Record<PowerAction, ActionMeta> = {
  start: { label: 'Start', busy: 'Starting…', allowed: canStart },
  stop: {
    label: 'Shut down',
    busy: 'Shutting down…',
    allowed: canShutDown,
    title: 'Ask the guest to shut down (ACPI); forced off after 60 s',
    className: 'button-secondary',
  },
  kill: {
    label: 'Force off',
    busy: 'Forcing off…',
    allowed: canForceOff,
    title: 'Turn the VM off at once, like pulling the plug',
    className: 'button-danger',
  },
  reset: {
    label: 'Reset',
    busy: 'Resetting…',
    allowed: canReset,
    title: 'Hard reset, like the reset button',
  },
  pause: { label: 'Pause', busy: 'Pausing…', allowed: canPause, title: 'Freeze the vCPUs; memory stays' },
  resume: { label: 'Resume', busy: 'Resuming…', allowed: canResume },
};

interface VmActionButtonProps {
  vm: VmInfo;
  action: PowerAction;
  className?: string;
  /** `vm-<id>-<action>` unless a second copy on the same page needs its own. */
  testId?: string;
}

/** One power action of one VM, shown only in the states that allow it, so a card holds only what applies. */
export function VmActionButton({ vm, action, className, testId }: VmActionButtonProps) {
  const busy = useVmStore((s) => s.busy[vm.id]);
  const run = useVmStore((s) => s[action]);
  // While disconnected the state shown may be stale and every call would fail anyway.
  const offline = useVmStore((s) => s.connection !== 'connected');
  const meta = ACTIONS[action];
  // Force off stays usable while a shutdown waits on a guest that ignores ACPI, or a start hangs.
  const blocked = action === 'kill' ? busy === 'kill' : busy !== undefined;
  // Pulling the plug loses whatever the guest had not written: asked first, as Delete is.
  const [confirming, setConfirming] = useState(false);
  const kill = useVmStore((s) => s.kill);
  // Shut down of a VM with nothing to boot would wait on an ACPI request no OS answers: Force off, asked first.
  const forcesOff = action === 'kill' || (action === 'stop' && hasNothingToBoot(vm.spec));
  if (!meta.allowed(vm.state) && busy !== action) return null;
  const id = testId ?? `vm-${vm.id}-${action}`;
  return (
    <>
      <button
        type="button"
        className={[meta.className, className].filter(Boolean).join(' ') || undefined}
        data-testid={id}
        disabled={offline || blocked}
        title={
          forcesOff && action === 'stop'
            ? 'Nothing to boot answers a shutdown: this forces it off, after asking'
            : meta.title
        }
        onClick={() => (forcesOff ? setConfirming(true) : void run(vm.id))}
      >
        {busy === action ? meta.busy : meta.label}
      </button>
      {forcesOff && (
        <ConfirmDialog
          open={confirming}
          title={`Force ${vm.spec.name} off?`}
          confirmLabel="Force off"
          testId={`${id}-dialog`}
          onCancel={() => setConfirming(false)}
          onConfirm={() => {
            setConfirming(false);
            void kill(vm.id);
          }}
        >
          {action === 'stop' && <p>{nothingToShutDown(vm.spec.name)}</p>}
          <p>
            The VM stops at once, like pulling the plug: what the guest has not saved is lost.
            {action === 'kill' && ' Shut down asks the guest to stop by itself.'}
          </p>
        </ConfirmDialog>
      )}
    </>
  );
}
