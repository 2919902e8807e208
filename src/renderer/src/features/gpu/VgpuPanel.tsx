import type { Gpu } from '../../../../shared/gpu-inventory';
import { useGpuStore } from '../../stores/context';

/** GVT-g: make a vGPU of a type while the GPU has room, remove one that no VM uses (docs/sriov-sysfs.md#gvt-g). */
export function VgpuPanel({ gpu }: { gpu: Gpu }) {
  const plan = useGpuStore((s) => s.plan);
  const busy = useGpuStore((s) => s.busy);
  const error = useGpuStore((s) => s.changeErrors[gpu.address]);
  if (gpu.mdevTypes.length === 0) return null;
  return (
    <section className="vgpu-panel" aria-label="GVT-g vGPUs">
      <h4>vGPUs (GVT-g)</h4>
      <ul>
        {gpu.mdevTypes.map((t) => (
          <li key={t.id}>
            <code>{t.id}</code> <span className="muted">{t.availableInstances ?? '?'} more possible</span>{' '}
            <button
              type="button"
              className="button-quiet"
              disabled={busy !== null || t.availableInstances === 0}
              onClick={() => void plan(gpu.address, { kind: 'mdev-create', parent: gpu.address, type: t.id })}
              data-testid={`mdev-create-${t.id}`}
            >
              Create one
            </button>
          </li>
        ))}
        {gpu.mdevInstances.map((m) => (
          <li key={m.uuid}>
            vGPU <code>{m.uuid}</code> <span className="muted">{m.type ?? ''}</span>{' '}
            <button
              type="button"
              className="button-quiet"
              disabled={busy !== null || m.usedBy !== null}
              onClick={() => void plan(gpu.address, { kind: 'mdev-remove', uuid: m.uuid })}
              data-testid={`mdev-remove-${m.uuid}`}
            >
              Remove
            </button>
          </li>
        ))}
      </ul>
      {error && gpu.sriov === null && (
        <p className="notice notice-error" role="alert" data-testid={`change-error-${gpu.address}`}>
          {error}
        </p>
      )}
    </section>
  );
}
