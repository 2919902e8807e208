import { useEffect, useState } from 'react';
import type { ExportFormat, KubevirtDiskSource } from '../../../../shared/vm-export';
import { ChoiceSelect } from '../../components/ChoiceSelect';
import { useModal } from '../../hooks/use-modal';
import { useExportStore } from '../../stores/context';
import type { VmExport } from '../../stores/export-store';

const FORMATS: Record<ExportFormat, string> = {
  script: 'Shell script',
  libvirt: 'libvirt domain XML',
  kubevirt: 'KubeVirt VirtualMachine',
};
const DISK_SOURCES: Record<KubevirtDiskSource, string> = {
  pvc: 'PersistentVolumeClaim',
  datavolume: 'DataVolume',
  containerdisk: 'containerDisk',
};

/** The card's Export menu: a format, its options, the text to read, copy or save. */
export function ExportDialog({ id, open, onClose }: { id: string; open: boolean; onClose(): void }) {
  const exportVm = useExportStore((s) => s.exportVm);
  const ref = useModal(open);
  const [format, setFormat] = useState<ExportFormat>('libvirt');
  const [diskSource, setDiskSource] = useState<KubevirtDiskSource>('pvc');
  const [clusterConfig, setClusterConfig] = useState(true);
  const [sudo, setSudo] = useState(false);
  const [result, setResult] = useState<VmExport | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);

  useEffect(() => {
    if (!open) return;
    let current = true;
    setCopied(false);
    void exportVm({ id, format, diskSource, withClusterConfig: clusterConfig, sudo }).then((outcome) => {
      if (!current) return;
      setResult(outcome.ok ? outcome.value : null);
      setError(outcome.ok ? null : outcome.failure.message);
    });
    return () => {
      current = false;
    };
  }, [open, id, format, diskSource, clusterConfig, sudo, exportVm]);

  const save = () => {
    if (!result) return;
    const link = document.createElement('a');
    link.href = URL.createObjectURL(new Blob([result.text], { type: result.mediaType }));
    link.download = result.fileName;
    link.click();
    URL.revokeObjectURL(link.href);
  };
  const copy = () => {
    if (!result) return;
    void navigator.clipboard.writeText(result.text).then(
      () => setCopied(true),
      () => setError('the browser did not allow copying: select the text and copy it, or save it'),
    );
  };

  return (
    <dialog
      ref={ref}
      className="dialog export-dialog"
      onClose={onClose}
      aria-labelledby={`vm-${id}-export-title`}
      data-testid={`vm-${id}-export-dialog`}
    >
      <h2 id={`vm-${id}-export-title`}>Export {id}</h2>
      <div className="export-options">
        <ChoiceSelect
          label="Format"
          value={format}
          choices={FORMATS}
          testId={`vm-${id}-export-format`}
          onChange={setFormat}
        />
        {format === 'kubevirt' && (
          <>
            <ChoiceSelect
              label="Disks as"
              value={diskSource}
              choices={DISK_SOURCES}
              testId={`vm-${id}-export-disks`}
              onChange={setDiskSource}
            />
            <label className="inline-field">
              <input
                type="checkbox"
                checked={clusterConfig}
                onChange={(e) => setClusterConfig(e.target.checked)}
              />
              KubeVirt CR patch for the GPU
            </label>
          </>
        )}
        {format === 'script' && (
          <label className="inline-field">
            <input type="checkbox" checked={sudo} onChange={(e) => setSudo(e.target.checked)} />
            sysfs steps through sudo
          </label>
        )}
      </div>
      {error !== null && (
        <p className="vm-error" role="alert" data-testid={`vm-${id}-export-error`}>
          {error}
        </p>
      )}
      {result && result.notExpressed.length > 0 && (
        <details className="export-notes" open data-testid={`vm-${id}-export-notes`}>
          <summary>What this format cannot express ({result.notExpressed.length})</summary>
          <ul>
            {result.notExpressed.map((n) => (
              <li key={n}>{n}</li>
            ))}
          </ul>
        </details>
      )}
      <pre className="export-preview" data-testid={`vm-${id}-export-preview`} tabIndex={0}>
        {result?.text ?? ''}
      </pre>
      <div className="dialog-actions">
        <button type="button" className="button-secondary" onClick={onClose}>
          Close
        </button>
        <button
          type="button"
          className="button-secondary"
          disabled={!result}
          onClick={copy}
          data-testid={`vm-${id}-export-copy`}
        >
          {copied ? 'Copied' : 'Copy'}
        </button>
        <button type="button" disabled={!result} onClick={save} data-testid={`vm-${id}-export-save`}>
          Save {result?.fileName ?? ''}
        </button>
      </div>
    </dialog>
  );
}
