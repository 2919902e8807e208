import { acceleratorNote } from '../../../../shared/accelerator-note';
import { hasNothingToBoot, NOTHING_TO_BOOT } from '../../../../shared/boot-media';
import { useState } from 'react';
import { describeDisplay, describeGpu, describeGpuLease } from '../../../../shared/vm-describe';
import type { VmInfo } from '../../../../shared/vm-spec';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { VmActionButton } from './VmActionButton';
import { formatRoute } from '../../navigation/route';
import { useVmStore } from '../../stores/context';
import type { VmAction } from '../../stores/vm-store';
import { formatCpus, formatMemory } from './format';
import { StateBadge } from './StateBadge';
import { canEdit, canResume } from './vm-actions';
import { VmThumbnail } from './VmThumbnail';
import { ExportDialog } from '../export/ExportDialog';
import { GoldenLine } from '../images/GoldenLine';
import { ResetGoldenButton } from '../images/ResetGoldenButton';

const FAILED: Record<VmAction, string> = {
  start: 'Could not start',
  stop: 'Could not shut down',
  kill: 'Could not force off',
  reset: 'Could not reset',
  pause: 'Could not pause',
  resume: 'Could not resume',
  delete: 'Could not delete',
  usb: 'Could not plug the USB device in or out',
};

export function VmCard({ vm }: { vm: VmInfo }) {
  const busy = useVmStore((s) => s.busy[vm.id]);
  const error = useVmStore((s) => s.errors[vm.id]);
  const remove = useVmStore((s) => s.remove);
  const offline = useVmStore((s) => s.connection !== 'connected');
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [exporting, setExporting] = useState(false);
  const { id, state, spec } = vm;
  const headingId = `vm-${id}-name`;
  const stopped = canEdit(state);
  const consoleHref = formatRoute({ view: 'console', id, tab: null });

  return (
    <li className={`vm-card vm-card-${state}`} data-testid={`vm-card-${id}`} aria-labelledby={headingId}>
      {/* The thumbnail is a shortcut for the mouse; keyboard users have the Console button. */}
      <a className="thumb-link" href={consoleHref} tabIndex={-1} aria-hidden="true">
        <VmThumbnail vm={vm} />
      </a>
      <div className="vm-card-body">
        <div className="vm-card-head">
          <h3 className="vm-name" id={headingId}>
            {spec.name}
          </h3>
          <StateBadge id={id} state={state} />
        </div>
        <p className="vm-facts">
          {formatCpus(spec.cpus)} · {formatMemory(spec.memoryMiB)}
        </p>
        <p className="vm-gpu" data-testid={`vm-${id}-gpu`}>
          <span className="label">GPU</span> {describeGpu(spec.gpu)}
        </p>
        {vm.gpuLease && (
          <p className="vm-gpu-lease" data-testid={`vm-${id}-gpu-lease`}>
            {describeGpuLease(vm.gpuLease)}
          </p>
        )}
        <p className="vm-display" data-testid={`vm-${id}-display`}>
          <span className="label">Display</span> {describeDisplay(spec.display)}
        </p>
        <GoldenLine id={id} />
        <div className="vm-actions" role="group" aria-label={`Actions: ${spec.name}`}>
          <VmActionButton vm={vm} action="start" />
          <a
            className={stopped ? 'button button-secondary' : 'button'}
            data-testid={`vm-${id}-console`}
            href={consoleHref}
          >
            Console
          </a>
          <VmActionButton vm={vm} action="stop" />
          <VmActionButton vm={vm} action="kill" />
        </div>
        <div className="vm-actions vm-actions-more" role="group" aria-label={`More actions: ${spec.name}`}>
          <VmActionButton vm={vm} action={canResume(state) ? 'resume' : 'pause'} className="button-ghost" />
          <VmActionButton vm={vm} action="reset" className="button-ghost" />
          <a
            className="button button-ghost"
            data-testid={`vm-${id}-duplicate`}
            href={formatRoute({ view: 'duplicate', id })}
            title="A new VM with this one's settings"
          >
            Duplicate
          </a>
          <button
            type="button"
            className="button-ghost"
            data-testid={`vm-${id}-export`}
            disabled={offline}
            onClick={() => setExporting(true)}
            title="This VM as a shell script, a libvirt domain or a KubeVirt VirtualMachine"
          >
            Export
          </button>
          <ResetGoldenButton vm={vm} />
          {stopped && (
            <>
              <a
                className="button button-ghost"
                data-testid={`vm-${id}-edit`}
                href={formatRoute({ view: 'edit', id })}
              >
                Edit
              </a>
              <button
                type="button"
                className="button-ghost button-danger"
                data-testid={`vm-${id}-delete`}
                disabled={offline || busy !== undefined}
                onClick={() => setConfirmDelete(true)}
                title="Delete this VM definition; its disks stay"
              >
                {busy === 'delete' ? 'Deleting…' : 'Delete'}
              </button>
            </>
          )}
        </div>
        {error !== undefined && (
          <p className="vm-error" role="alert" data-testid={`vm-${id}-error`}>
            {FAILED[error.action]}: {error.message}
          </p>
        )}
        {hasNothingToBoot(spec) && (
          <p className="vm-warning" role="status" data-testid={`vm-${id}-no-boot`}>
            {NOTHING_TO_BOOT}
          </p>
        )}
        {vm.warning !== undefined && (
          <p className="vm-warning" role="status" data-testid={`vm-${id}-warning`}>
            {vm.warning}
          </p>
        )}
        {vm.accelerator && acceleratorNote(vm.accelerator) !== null && (
          // The gallery's notice says why at length; the card keeps it to a line, the reason on hover.
          <p
            className="vm-note muted"
            data-testid={`vm-${id}-accelerator`}
            title={acceleratorNote(vm.accelerator) ?? undefined}
          >
            Runs in software (TCG), slowly.
          </p>
        )}
        {error === undefined && vm.lastError && state !== 'running' && (
          <details className="vm-last-error" data-testid={`vm-${id}-last-error`}>
            <summary>Last run ended: {vm.lastError.message}</summary>
            {vm.lastError.logTail.length > 0 && <pre>{vm.lastError.logTail.join('\n')}</pre>}
          </details>
        )}
      </div>
      <ExportDialog id={id} open={exporting} onClose={() => setExporting(false)} />
      <ConfirmDialog
        open={confirmDelete}
        title={`Delete ${spec.name}?`}
        confirmLabel="Delete VM"
        testId={`vm-${id}-delete-dialog`}
        onCancel={() => setConfirmDelete(false)}
        onConfirm={() => {
          setConfirmDelete(false);
          void remove(id);
        }}
      >
        <p>
          The definition and its runtime files are removed. Disk images stay where they are
          {spec.disks.length > 0 ? `: ${spec.disks.map((d) => d.path).join(', ')}` : ''}.
        </p>
      </ConfirmDialog>
    </li>
  );
}
