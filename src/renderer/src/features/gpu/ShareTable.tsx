import type { VfSettings } from '../../../../shared/helper-plan';
import type { RESOURCES } from '../../../../shared/gpu-shares';
import type { LayoutDraft } from '../../stores/gpu-store';
import { problemId, type Bar } from './layout-draft';
import { vfHue } from './ResourceBars';

const SCHEDULING = [
  { setting: 'execQuantumMs', label: 'Quantum (ms)' },
  { setting: 'preemptTimeoutUs', label: 'Preemption timeout (µs)' },
] as const;

/** Every VF's share as numbers the user can change; 0 scheduling means "unlimited" to the GuC. */
export function ShareTable({
  draft,
  resources,
  bars,
  onChange,
}: {
  draft: LayoutDraft;
  /** The resources this driver lets Tessera share (none on xe, which provisions them itself). */
  resources: readonly (typeof RESOURCES)[number][];
  /** Their bars: a field a bar's problem is about is marked, and names the problem. */
  bars: Bar[];
  onChange: (index: number, key: keyof VfSettings, value: number) => void;
}) {
  const problemOf = (setting: string, index: number) =>
    bars.find((b) => b.setting === setting && b.problemVfs.includes(index)) ?? null;
  if (draft.shares.length === 0) return null;
  const columns = [
    ...resources.map((r) => ({
      setting: r.setting,
      label: r.bytes ? `${r.label} (MiB)` : r.label,
      mib: r.bytes,
    })),
    ...SCHEDULING.map((s) => ({ ...s, mib: false })),
  ];
  return (
    <table className="share-table">
      <thead>
        <tr>
          <th scope="col">VF</th>
          {columns.map((c) => (
            <th key={c.setting} scope="col">
              {c.label}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {draft.shares.map((share) => (
          <tr key={share.index}>
            <th scope="row">
              <span className="swatch" style={{ background: vfHue(share.index) }} aria-hidden="true" /> VF
              {share.index}
            </th>
            {columns.map((c) => {
              const value = share.settings[c.setting] ?? 0;
              const problem = problemOf(c.setting, share.index);
              return (
                <td key={c.setting}>
                  <input
                    aria-invalid={problem !== null}
                    aria-describedby={problem ? problemId(draft.pf, problem.key) : undefined}
                    type="number"
                    min={0}
                    step={c.mib ? 2 : 1}
                    value={c.mib ? Math.floor(value / 1024 ** 2) : value}
                    aria-label={`VF${share.index} ${c.label}`}
                    data-testid={`share-${draft.pf}-vf${share.index}-${c.setting}`}
                    onChange={(event) => {
                      const n = Number(event.target.value);
                      if (Number.isFinite(n) && n >= 0)
                        onChange(share.index, c.setting, c.mib ? Math.round(n) * 1024 ** 2 : Math.round(n));
                    }}
                  />
                </td>
              );
            })}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
