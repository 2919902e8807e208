import { useState, type DragEvent } from 'react';
import type { ImportSource } from '../../../../shared/vm-export';
import { describeDisplay, describeGpu } from '../../../../shared/vm-describe';
import { useModal } from '../../hooks/use-modal';
import { useExportStore } from '../../stores/context';
import type { VmImport } from '../../stores/export-store';

const KIND_LABELS: Record<VmImport['report'][number]['kind'], string> = {
  mapped: 'mapped',
  changed: 'changed',
  dropped: 'dropped',
  unresolved: 'unresolved',
};

/** A pasted QEMU command line or a libvirt XML file → the VM it would be, the report, and Create. */
export function ImportDialog({ open, onClose }: { open: boolean; onClose(): void }) {
  const previewImport = useExportStore((s) => s.previewImport);
  const createImported = useExportStore((s) => s.createImported);
  const [text, setText] = useState('');
  const [fileName, setFileName] = useState<string | null>(null);
  const [name, setName] = useState('');
  const [result, setResult] = useState<VmImport | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [created, setCreated] = useState<string | null>(null);
  const ref = useModal(open, () => {
    setText('');
    setFileName(null);
    setResult(null);
    setError(null);
    setCreated(null);
  });

  const source = (): ImportSource =>
    text.trimStart().startsWith('<') ? { kind: 'libvirt', xml: text } : { kind: 'qemu-cmdline', text };
  const show = async () => {
    setCreated(null);
    const outcome = await previewImport({ source: source(), ...(name.trim() ? { name: name.trim() } : {}) });
    setResult(outcome.ok ? outcome.value : null);
    setError(outcome.ok ? null : outcome.failure.message);
  };
  const create = async () => {
    if (!result) return;
    const outcome = await createImported(result.spec);
    if (outcome.ok) setCreated(outcome.value.id);
    else setError(outcome.failure.message);
  };
  const readFile = (file: File | undefined) => {
    if (!file) return;
    void file.text().then((content) => {
      setText(content);
      setFileName(file.name);
      setResult(null);
    });
  };
  const drop = (event: DragEvent) => {
    event.preventDefault();
    readFile(event.dataTransfer.files[0]);
  };

  return (
    <dialog
      ref={ref}
      className="dialog import-dialog"
      onClose={onClose}
      aria-labelledby="import-title"
      data-testid="import-dialog"
    >
      <h2 id="import-title">Import a VM</h2>
      <p className="muted">
        Paste a <code>qemu-system-x86_64</code> command line (as a guide prints it), or drop or choose a
        libvirt domain XML. Nothing is created until you press Create.
      </p>
      <textarea
        className="import-source"
        rows={7}
        value={text}
        placeholder="qemu-system-x86_64 -enable-kvm -m 4G ..."
        aria-label="QEMU command line or libvirt XML"
        data-testid="import-text"
        onChange={(e) => {
          setText(e.target.value);
          setFileName(null);
        }}
        onDragOver={(e) => e.preventDefault()}
        onDrop={drop}
      />
      <div className="export-options">
        <label className="inline-field">
          libvirt XML file
          <input
            type="file"
            accept=".xml,application/xml,text/xml"
            data-testid="import-file"
            onChange={(e) => readFile(e.target.files?.[0])}
          />
        </label>
        {fileName && <span className="muted">{fileName}</span>}
        <label className="inline-field">
          Name
          <input
            type="text"
            value={name}
            placeholder="from the input"
            onChange={(e) => setName(e.target.value)}
            data-testid="import-name"
          />
        </label>
        <button
          type="button"
          className="button-secondary"
          disabled={text.trim() === ''}
          onClick={() => void show()}
          data-testid="import-preview"
        >
          Show the VM
        </button>
      </div>
      {error !== null && (
        <p className="vm-error" role="alert" data-testid="import-error">
          {error}
        </p>
      )}
      {result && (
        <div className="import-result" data-testid="import-result">
          <h3>
            {result.spec.name}: {result.spec.cpus} vCPU · {result.spec.memoryMiB} MiB
          </h3>
          <p data-testid="import-gpu">
            <span className="label">GPU</span> {describeGpu(result.spec.gpu)} ·{' '}
            <span className="label">Display</span> {describeDisplay(result.spec.display)}
          </p>
          <ul className="import-facts">
            {result.spec.disks.map((d) => (
              <li key={d.path}>
                disk {d.path} ({d.format}, {d.bus})
              </li>
            ))}
            {result.spec.cdrom && <li>CD-ROM {result.spec.cdrom}</li>}
            {result.spec.network.forwards.map((f) => (
              <li key={`${f.protocol}${f.hostPort}`}>
                forward {f.protocol} {f.hostAddress}:{f.hostPort} → guest {f.guestPort}
              </li>
            ))}
          </ul>
          <table className="import-report" data-testid="import-report">
            <tbody>
              {result.report.map((n, i) => (
                <tr key={i} className={`import-${n.kind}`}>
                  <td>
                    <span className={`import-kind import-kind-${n.kind}`}>{KIND_LABELS[n.kind]}</span>
                  </td>
                  <td>
                    <code>{n.source}</code>
                  </td>
                  <td>{n.detail}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {created !== null && (
        <p className="import-created" role="status" data-testid="import-created">
          Created VM {created}.
        </p>
      )}
      <div className="dialog-actions">
        <button type="button" className="button-secondary" onClick={onClose}>
          Close
        </button>
        <button
          type="button"
          disabled={!result || created !== null}
          onClick={() => void create()}
          data-testid="import-create"
        >
          Create
        </button>
      </div>
    </dialog>
  );
}
