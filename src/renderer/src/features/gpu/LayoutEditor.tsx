import { useState } from 'react';
import type { Gpu } from '../../../../shared/gpu-inventory';
import { RESOURCES, readShares } from '../../../../shared/gpu-shares';
import { useGpuStore } from '../../stores/context';
import type { BindChoice } from '../../stores/gpu-store';
import {
  draftFromGpu,
  intentOf,
  resourceBars,
  withCount,
  withPreset,
  withShare,
  type PresetName,
} from './layout-draft';
import { ResourceBars } from './ResourceBars';
import { ShareTable } from './ShareTable';

const PRESETS: [PresetName, string][] = [
  ['fair', 'Fair share'],
  ['one-big', 'One big + small ones'],
  ['video-60fps', 'Scheduling for 60 fps video'],
];
const BIND: [BindChoice, string][] = [
  ['vfio-pci', 'vfio-pci, ready for VMs'],
  ['host', 'the host driver'],
  ['keep', 'leave as they are'],
];

/** Choose how many VFs, see and edit how the GPU's resources are shared, then review the exact change. */
export function LayoutEditor({ gpu }: { gpu: Gpu }) {
  const editing = useGpuStore((s) => s.drafts[gpu.address]);
  const edit = useGpuStore((s) => s.edit);
  const plan = useGpuStore((s) => s.plan);
  const busy = useGpuStore((s) => s.busy);
  const error = useGpuStore((s) => s.changeErrors[gpu.address]);
  const [consent, setConsent] = useState(false);
  /** A count typed over the driver's limit: said at the field, not silently changed. */
  const [countNote, setCountNote] = useState<string | null>(null);
  const sriov = gpu.sriov;
  const pf = gpu.address;
  if (!sriov) return null;
  if (sriov.totalVfs === 0) {
    return (
      <p className="notice notice-warning" data-testid={`layout-${pf}-none`}>
        The driver allows no VFs on this GPU (sriov_totalvfs is 0). The Host page says how to allow them.
      </p>
    );
  }
  const draft = editing ?? draftFromGpu(gpu);
  const shares = readShares(gpu);
  const resources = RESOURCES.filter((r) => shares.pools.some((p) => p.key === r.key));
  const bars = resourceBars(gpu, draft);
  const problems = bars.flatMap((b) => (b.problem ? [b.problem] : []));
  const setCount = (count: number) => {
    setCountNote(
      count > sriov.totalVfs
        ? `This GPU allows at most ${sriov.totalVfs} VFs (its driver's sriov_totalvfs), so ${sriov.totalVfs} it is.`
        : null,
    );
    edit(pf, withCount(gpu, draft, Math.min(Math.max(count, 0), sriov.totalVfs)));
  };
  // vfio-pci binds only devices in an IOMMU group; the doctor's IOMMU check says how to get one.
  const noIommu = gpu.iommuGroup === null;
  const reviewBlocked =
    problems.length > 0
      ? `Fix the shares first: ${problems.join(' ')}`
      : noIommu && draft.bind === 'vfio-pci' && draft.vfCount > 0
        ? 'The IOMMU is off, so the VFs cannot go to vfio-pci.'
        : null;
  return (
    <section className="layout-editor" aria-labelledby={`layout-${pf}-title`}>
      <h4 id={`layout-${pf}-title`}>Split this GPU</h4>
      <div className="layout-controls">
        <label className="vf-count">
          <span>Virtual functions</span>
          <input
            type="range"
            min={0}
            max={sriov.totalVfs}
            value={draft.vfCount}
            onChange={(e) => setCount(Number(e.target.value))}
            aria-label="Number of VFs"
          />
          <input
            type="number"
            min={0}
            max={sriov.totalVfs}
            value={draft.vfCount}
            onChange={(e) => setCount(Number(e.target.value))}
            data-testid={`vf-count-${pf}`}
            aria-label="Number of VFs, as a number"
            aria-describedby={countNote ? `vf-count-${pf}-note` : undefined}
          />
          <span className="muted">of {sriov.totalVfs}</span>
        </label>
        {countNote && (
          <p className="field-note" id={`vf-count-${pf}-note`} data-testid={`vf-count-${pf}-note`}>
            {countNote}
          </p>
        )}
        <fieldset className="bind-choice">
          <legend>VFs go to</legend>
          {BIND.map(([value, label]) => (
            <label key={value}>
              <input
                type="radio"
                name={`bind-${pf}`}
                checked={draft.bind === value}
                disabled={value === 'vfio-pci' && noIommu}
                onChange={() => edit(pf, { ...draft, bind: value })}
                data-testid={`bind-${pf}-${value}`}
              />
              {label}
            </label>
          ))}
          {noIommu && (
            <p className="field-note" data-testid={`bind-${pf}-no-iommu`}>
              vfio-pci needs the IOMMU, which is off on this host: the Host page says how to turn it on.
            </p>
          )}
        </fieldset>
        <div className="presets" role="group" aria-label="Presets">
          {PRESETS.map(([name, label]) => (
            <button
              key={name}
              type="button"
              className="button-quiet"
              disabled={draft.vfCount === 0 || (shares.driver === 'xe' && name !== 'video-60fps')}
              onClick={() => edit(pf, withPreset(gpu, draft, name))}
              data-testid={`preset-${pf}-${name}`}
            >
              {label}
            </button>
          ))}
        </div>
      </div>
      {shares.driver === 'xe' && (
        <p className="muted">
          xe shares GGTT, contexts, doorbells and VRAM by itself when it enables VFs; its sysfs lets Tessera
          set the scheduling (and VRAM with the command line).
        </p>
      )}
      <ResourceBars bars={bars} pf={pf} />
      <ShareTable
        draft={draft}
        resources={resources}
        bars={bars}
        onChange={(index, key, value) => edit(pf, withShare(draft, index, key, value))}
      />
      <div className="layout-actions">
        <button
          type="button"
          onClick={() => void plan(pf, intentOf(draft))}
          disabled={busy !== null || reviewBlocked !== null}
          aria-describedby={reviewBlocked ? `review-${pf}-blocked` : undefined}
          data-testid={`review-${pf}-open`}
        >
          {busy === 'planning' ? 'Working out the changes…' : 'Review changes'}
        </button>
        {reviewBlocked && (
          <span className="field-note" id={`review-${pf}-blocked`} data-testid={`review-${pf}-blocked`}>
            {reviewBlocked}
          </span>
        )}
        {editing && (
          <button type="button" className="button-quiet" onClick={() => edit(pf, null)}>
            Back to the GPU as it is
          </button>
        )}
      </div>
      {error && (
        <p
          className="notice notice-error"
          role="alert"
          id={`change-error-${pf}`}
          data-testid={`change-error-${pf}`}
        >
          {error}
        </p>
      )}
      <details className="passthrough">
        <summary>Give the whole GPU to one VM</summary>
        <p className="muted">
          Every VF and vGPU goes, and the GPU moves to vfio-pci. Whatever this GPU drives on the host, screens
          included, goes dark until it is given back.
        </p>
        <label>
          <input type="checkbox" checked={consent} onChange={(e) => setConsent(e.target.checked)} /> I
          understand the host loses this GPU and its display
        </label>{' '}
        <button
          type="button"
          className="button-danger"
          disabled={!consent || busy !== null}
          onClick={() => void plan(pf, { kind: 'passthrough', pf, takeHostDisplay: true })}
          data-testid={`passthrough-${pf}`}
        >
          Review passthrough
        </button>
      </details>
    </section>
  );
}
