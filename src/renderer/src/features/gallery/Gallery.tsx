import { useDeferredValue, useState } from 'react';
import { ChoiceSelect } from '../../components/ChoiceSelect';
import { useSettingsStore, useVmStore } from '../../stores/context';
import { arrangeVms, type SortBy } from './arrange';
import { AcceleratorNotice } from './AcceleratorNotice';
import { EmptyState } from './EmptyState';
import { InvalidDefinitions } from './InvalidDefinitions';
import { VmCard } from './VmCard';
import { ImportDialog } from '../export/ImportDialog';
import '../export/export.css';
import './gallery.css';

const SORT_LABELS: Record<SortBy, string> = { name: 'Name', state: 'State', created: 'Newest' };

export function Gallery() {
  const vms = useVmStore((s) => s.vms);
  const stale = useVmStore((s) => s.connection === 'disconnected');
  const gallery = useSettingsStore((s) => s.settings.gallery);
  const updateSettings = useSettingsStore((s) => s.update);
  const [query, setQuery] = useState('');
  const [importing, setImporting] = useState(false);
  const deferredQuery = useDeferredValue(query);

  if (vms === null) return <p className="muted">Loading VMs…</p>;
  const shown = arrangeVms(vms, deferredQuery, gallery.sortBy);
  const importButton = (
    <button
      type="button"
      className="button-secondary"
      data-testid="vm-import"
      onClick={() => setImporting(true)}
    >
      Import…
    </button>
  );
  return (
    <>
      <ImportDialog open={importing} onClose={() => setImporting(false)} />
      <AcceleratorNotice />
      <InvalidDefinitions />
      {vms.length === 0 ? (
        <>
          <EmptyState />
          <p className="import-empty">
            Or take one in from a QEMU command line or a libvirt XML: {importButton}
          </p>
        </>
      ) : (
        <section aria-labelledby="vms-title" className="gallery">
          <div className="toolbar">
            <h2 id="vms-title" className="section-title">
              Virtual machines <span className="count">{vms.length}</span>
            </h2>
            <div className="toolbar-controls">
              {importButton}
              <label className="search">
                <span className="visually-hidden">Search VMs</span>
                <input
                  type="search"
                  placeholder="Search by name or state"
                  value={query}
                  onChange={(e) => setQuery(e.target.value)}
                  data-testid="vm-search"
                />
              </label>
              <ChoiceSelect
                label="Sort"
                value={gallery.sortBy}
                choices={SORT_LABELS}
                testId="vm-sort"
                onChange={(sortBy) => void updateSettings({ gallery: { ...gallery, sortBy } })}
              />
              <label
                className="inline-field"
                title="Live thumbnails take a screenshot of each visible running VM every second"
              >
                <input
                  type="checkbox"
                  checked={gallery.thumbnails}
                  onChange={(e) =>
                    void updateSettings({ gallery: { ...gallery, thumbnails: e.target.checked } })
                  }
                />
                Live thumbnails
              </label>
            </div>
          </div>
          {shown.length === 0 ? (
            <p className="muted" data-testid="vm-search-empty">
              No VM matches “{deferredQuery}”.
            </p>
          ) : (
            <ul className={stale ? 'vm-grid stale' : 'vm-grid'} data-testid="vm-list">
              {shown.map((vm) => (
                <VmCard key={vm.id} vm={vm} />
              ))}
            </ul>
          )}
        </section>
      )}
    </>
  );
}
