import { useEffect, useRef } from 'react';
import { useGpuStore } from '../../stores/context';
import type { Review } from '../../stores/gpu-store';
import { formatAmount } from './layout-draft';

/** Byte counts read better in MiB and GiB; the exact number stays beside them. */
function shown(what: string, value: string): string {
  return /^(ggtt|lmem|vram)_/.test(what) && /^\d+$/.test(value) && Number(value) >= 1024 ** 2
    ? `${formatAmount(Number(value), true)} (${value})`
    : value;
}

/** The exact changes the helper will make, and the one button that makes them. */
export function PlanReview({ review, simulated }: { review: Review; simulated: boolean }) {
  const busy = useGpuStore((s) => s.busy);
  const apply = useGpuStore((s) => s.apply);
  const cancel = useGpuStore((s) => s.cancelReview);
  const { preview } = review;
  // It opens above the editor whose button asked for it, often off-screen: bring it into view.
  const panel = useRef<HTMLElement>(null);
  useEffect(() => {
    panel.current?.scrollIntoView({ block: 'start' });
  }, [preview]);
  return (
    <section
      ref={panel}
      className="plan-review"
      aria-label="Review the changes"
      data-testid={`review-${review.pf}`}
    >
      <h4>{preview.summary}</h4>
      {preview.plan === null ? (
        <p className="muted">Nothing to apply.</p>
      ) : (
        <>
          <table className="diff-table" data-testid={`review-${review.pf}-changes`}>
            <thead>
              <tr>
                <th scope="col">Function</th>
                <th scope="col">What</th>
                <th scope="col">Now</th>
                <th scope="col">After</th>
              </tr>
            </thead>
            <tbody>
              {preview.changes.map((c, i) => (
                <tr key={i}>
                  <td>{c.target}</td>
                  <td>
                    <code>{c.what}</code>
                  </td>
                  <td>{shown(c.what, c.from)}</td>
                  <td>
                    <strong>{shown(c.what, c.to)}</strong>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <p className="muted">
            {simulated
              ? 'This is a simulated host: Tessera’s helper applies it to the simulated kernel, without a password.'
              : 'Tessera’s helper makes these changes as root: your system asks for your password once.'}
          </p>
        </>
      )}
      <div className="review-actions">
        {preview.plan !== null && (
          <button
            type="button"
            onClick={() => void apply()}
            disabled={busy !== null}
            data-testid={`review-${review.pf}-apply`}
          >
            {busy === 'applying'
              ? 'Applying…'
              : `Apply ${preview.changes.length} change${preview.changes.length === 1 ? '' : 's'}`}
          </button>
        )}
        <button type="button" className="button-quiet" onClick={cancel} disabled={busy === 'applying'}>
          {preview.plan === null ? 'Close' : 'Cancel'}
        </button>
      </div>
    </section>
  );
}
