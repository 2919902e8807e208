import { useState } from 'react';
import { useModal } from '../../hooks/use-modal';
import type { DiskSpec } from '../../../../shared/vm-spec';
import { useFilesStore } from '../../stores/context';
import { desktopBridge } from '../../transport/desktop';

interface NewDiskDialogProps {
  open: boolean;
  /** Where the path box starts: a free name beside the VM's other files. */
  suggestedPath: string;
  onCreated(disk: { path: string; format: Format }): void;
  onClose(): void;
}

type Format = DiskSpec['format'];

/** "Create a new disk": qemu-img on the host, with its progress, then the disk joins the form. */
export function NewDiskDialog({ open, suggestedPath, onCreated, onClose }: NewDiskDialogProps) {
  const createDisk = useFilesStore((s) => s.createDisk);
  const [path, setPath] = useState(suggestedPath);
  const [sizeGiB, setSizeGiB] = useState('16');
  const [format, setFormat] = useState<Format>('qcow2');
  const [creating, setCreating] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const percent = useFilesStore((s) => s.progress[path.trim()]);
  const desktop = desktopBridge();

  const ref = useModal(open, () => {
    setPath(suggestedPath);
    setError(null);
  });

  const submit = async () => {
    const size = Number(sizeGiB);
    if (path.trim() === '') return setError('Give the new disk a path on the host.');
    if (!Number.isFinite(size) || size <= 0) return setError('The size is a positive number of GiB.');
    setCreating(true);
    setError(null);
    const result = await createDisk({ path: path.trim(), sizeGiB: size, format });
    setCreating(false);
    if (!result.ok) return setError(result.failure.message);
    onCreated({ path: result.value.path, format: result.value.format });
  };

  return (
    <dialog
      ref={ref}
      className="dialog"
      aria-labelledby="new-disk-title"
      data-testid="new-disk-dialog"
      onClose={onClose}
      onCancel={(e) => {
        if (creating) e.preventDefault(); // qemu-img keeps running; the answer must land somewhere
      }}
    >
      <form
        method="dialog"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <h2 id="new-disk-title">Create a new disk</h2>
        <div className="dialog-body form-grid">
          <div className="field field-wide">
            <label htmlFor="new-disk-path">Path on the host</label>
            <div className="input-row">
              <input
                id="new-disk-path"
                data-testid="new-disk-path"
                type="text"
                spellCheck={false}
                value={path}
                onChange={(e) => setPath(e.target.value)}
                disabled={creating}
              />
              {desktop && (
                <button
                  type="button"
                  className="button-secondary"
                  disabled={creating}
                  onClick={() =>
                    void desktop.chooseFile({ purpose: 'new-disk' }).then((chosen) => {
                      if (chosen !== null) setPath(chosen);
                    })
                  }
                >
                  Browse…
                </button>
              )}
            </div>
          </div>
          <div className="field">
            <label htmlFor="new-disk-size">Size (GiB)</label>
            <input
              id="new-disk-size"
              data-testid="new-disk-size"
              type="number"
              min="1"
              step="1"
              value={sizeGiB}
              onChange={(e) => setSizeGiB(e.target.value)}
              disabled={creating}
            />
          </div>
          <div className="field">
            <label htmlFor="new-disk-format">Format</label>
            <select
              id="new-disk-format"
              value={format}
              onChange={(e) => setFormat(e.target.value as Format)}
              disabled={creating}
            >
              <option value="qcow2">qcow2 (grows as used, snapshots)</option>
              <option value="raw">raw (fastest, takes its full size)</option>
            </select>
          </div>
          {creating && (
            <div className="field field-wide">
              <label htmlFor="new-disk-progress">Creating…</label>
              <progress
                id="new-disk-progress"
                max={100}
                value={percent ?? 0}
                data-testid="new-disk-progress"
              />
            </div>
          )}
          {error !== null && (
            <p className="field-error field-wide" role="alert" data-testid="new-disk-error">
              {error}
            </p>
          )}
        </div>
        <div className="dialog-actions">
          <button type="button" className="button-secondary" disabled={creating} onClick={onClose}>
            Cancel
          </button>
          <button type="submit" disabled={creating} data-testid="new-disk-create">
            {creating ? 'Creating…' : 'Create disk'}
          </button>
        </div>
      </form>
    </dialog>
  );
}
