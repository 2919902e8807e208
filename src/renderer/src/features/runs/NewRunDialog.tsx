import { useState } from 'react';
import { useModal } from '../../hooks/use-modal';
import { messageOf } from '../../stores/failure';
import { useRunsStore, useVmStore } from '../../stores/context';

/** Starts a run: a VM, a plan file on the host, an optional label. A bad plan's line and field show here. */
export function NewRunDialog(props: { open: boolean; onClose: () => void }) {
  const vms = useVmStore((s) => s.vms) ?? [];
  const start = useRunsStore((s) => s.start);
  const [vm, setVm] = useState('');
  const [planPath, setPlanPath] = useState('');
  const [label, setLabel] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const ref = useModal(props.open, () => {
    setError(null);
    setBusy(false);
  });
  const chosen = vm || vms[0]?.id || '';

  async function submit() {
    setBusy(true);
    setError(null);
    try {
      await start({ vm: chosen, planPath, label });
      props.onClose();
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <dialog
      ref={ref}
      className="dialog"
      onClose={props.onClose}
      aria-labelledby="run-new-dialog-title"
      data-testid="run-new-dialog"
    >
      <h2 id="run-new-dialog-title">New run</h2>
      <form
        className="dialog-body run-form"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <label>
          VM
          <select value={chosen} onChange={(e) => setVm(e.target.value)} data-testid="run-new-vm">
            {vms.map((v) => (
              <option key={v.id} value={v.id}>
                {v.id} ({v.state})
              </option>
            ))}
          </select>
        </label>
        <label>
          Plan (a YAML or JSON file on the host)
          <input
            type="text"
            value={planPath}
            onChange={(e) => setPlanPath(e.target.value)}
            placeholder="/path/to/tessera/resources/plans/gpu-guest-smoke.yaml"
            required
            data-testid="run-new-plan"
          />
        </label>
        <label>
          Label (optional)
          <input
            type="text"
            value={label}
            onChange={(e) => setLabel(e.target.value)}
            maxLength={200}
            data-testid="run-new-label"
          />
        </label>
        <p className="muted">
          A stopped VM is started for the run and stopped after it; a running one is used as it is.
        </p>
        {error !== null && (
          <p className="notice notice-error" role="alert" data-testid="run-new-error">
            {error}
          </p>
        )}
        <div className="dialog-actions">
          <button type="button" className="button-secondary" onClick={props.onClose}>
            Cancel
          </button>
          <button
            type="submit"
            className="button"
            disabled={busy || chosen === '' || planPath === ''}
            data-testid="run-new-start"
          >
            {busy ? 'Starting…' : 'Start run'}
          </button>
        </div>
      </form>
    </dialog>
  );
}
