import { formatAmount, problemId, type Bar } from './layout-draft';

/**
 * A colour per VF that stays the same across bars, so VF3 is the same colour in every resource;
 * light enough for the segment's dark label to pass WCAG AA on every hue (tests/e2e/contrast.test.ts).
 */
export function vfHue(index: number): string {
  return `hsl(${(index * 53 + 200) % 360} 65% 72%)`;
}

/** One stacked bar per resource: a segment per VF's share and what stays free. */
export function ResourceBars({ bars, pf }: { bars: Bar[]; pf: string }) {
  if (bars.length === 0) return null;
  return (
    <div className="resource-bars">
      {bars.map((bar) => (
        <div key={bar.key} className="resource-bar" data-testid={`bar-${pf}-${bar.key}`}>
          <div className="resource-bar-label">
            <span>{bar.label}</span>
            <span className="muted">
              {formatAmount(bar.total - bar.free, bar.bytes)} of {formatAmount(bar.total, bar.bytes)} shared
            </span>
          </div>
          <div
            className={`resource-bar-track${bar.problem ? ' over' : ''}`}
            role="img"
            aria-label={`${bar.label}: ${bar.segments.map((s) => `VF${s.index} ${formatAmount(s.value, bar.bytes)}`).join(', ')}; ${formatAmount(bar.free, bar.bytes)} free`}
          >
            {bar.segments.map((s) =>
              s.value > 0 && bar.total > 0 ? (
                <span
                  key={s.index}
                  className="resource-bar-segment"
                  style={{
                    width: `${Math.min((s.value / bar.total) * 100, 100)}%`,
                    background: vfHue(s.index),
                  }}
                  title={`VF${s.index}: ${formatAmount(s.value, bar.bytes)}`}
                >
                  {s.value / bar.total > 0.06 ? `VF${s.index}` : ''}
                </span>
              ) : null,
            )}
          </div>
          {bar.problem && (
            <p
              className="text-error"
              id={problemId(pf, bar.key)}
              data-testid={`bar-${pf}-${bar.key}-problem`}
            >
              {bar.problem}
            </p>
          )}
        </div>
      ))}
    </div>
  );
}
