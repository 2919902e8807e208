import { useEffect, useRef } from 'react';
import { PageHead } from '../../components/PageHead';
import { UnreadableList } from '../../components/UnreadableList';
import { useGpuStore } from '../../stores/context';
import { ChangeLogPanel } from './ChangeLogPanel';
import { FunctionDetails } from './FunctionDetails';
import { GpuPicture } from './GpuPicture';
import { LayoutEditor } from './LayoutEditor';
import { PlanReview } from './PlanReview';
import { VgpuPanel } from './VgpuPanel';
import './gpu.css';

/** The GPU as the kernel shows it: a picture per GPU and the details of the selected function. */
export function GpuPage() {
  const inventory = useGpuStore((s) => s.inventory);
  const error = useGpuStore((s) => s.error);
  const loading = useGpuStore((s) => s.loading);
  const selected = useGpuStore((s) => s.selected);
  const refresh = useGpuStore((s) => s.refresh);
  const review = useGpuStore((s) => s.review);
  const simulated = inventory?.host.simulated ?? null;
  const changeErrors = useGpuStore((s) => s.changeErrors);
  // When a review closes (applied, failed or cancelled), show its outcome: the GPU as it is now,
  // or why the change failed, which sits by the editor's button.
  const reviewed = useRef<string | null>(null);
  useEffect(() => {
    if (review) {
      reviewed.current = review.pf;
      return;
    }
    const pf = reviewed.current;
    reviewed.current = null;
    if (pf === null) return;
    const target = changeErrors[pf] ? `change-error-${pf}` : `gpu-card-${pf}`;
    document.getElementById(target)?.scrollIntoView({ block: 'start' });
  }, [review, changeErrors]);
  return (
    <section aria-labelledby="gpu-title" className="gpu-page">
      <PageHead
        id="gpu"
        title="GPU"
        loading={loading}
        idleLabel="Read again"
        busyLabel="Reading…"
        onRefresh={() => void refresh()}
        error={error}
        errorPrefix="Could not read the GPU"
      />
      {inventory === null ? (
        <p className="muted">Reading the GPU…</p>
      ) : (
        <>
          {inventory.gpus.length === 0 && (
            <div className="empty" data-testid="gpu-none">
              <h2>No Intel GPU</h2>
              <p>
                {inventory.otherDisplays.length > 0
                  ? `The display devices here are ${inventory.otherDisplays.map((d) => `${d.vendorId}:${d.deviceId} (${d.driver ?? 'no driver'}) at ${d.address}`).join(', ')}.`
                  : 'There is no display device on the PCI bus.'}{' '}
                Tessera splits Intel GPUs only.
              </p>
            </div>
          )}
          {inventory.gpus.map((gpu) => (
            <article
              key={gpu.address}
              id={`gpu-card-${gpu.address}`}
              className="gpu-card"
              aria-label={`${gpu.name} at ${gpu.address}`}
            >
              <h3 className="gpu-card-title">
                {gpu.name} <span className="muted">{gpu.address}</span>
                {simulated && (
                  <span className="tag tag-simulated" title={simulated.title}>
                    simulated
                  </span>
                )}
              </h3>
              <div className="gpu-card-body">
                <GpuPicture gpu={gpu} />
                {review?.pf === gpu.address && <PlanReview review={review} simulated={simulated !== null} />}
                <LayoutEditor gpu={gpu} />
                <VgpuPanel gpu={gpu} />
                {selected !== null && <FunctionDetails gpu={gpu} selected={selected} />}
              </div>
            </article>
          ))}
          <UnreadableList items={inventory.unreadable} testId="gpu-unreadable" />
          <ChangeLogPanel />
        </>
      )}
    </section>
  );
}
