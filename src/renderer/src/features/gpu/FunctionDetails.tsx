import type { ReactNode } from 'react';
import type {
  Gpu,
  MicrocontrollerState,
  PciFunction,
  ProvisioningValues,
} from '../../../../shared/gpu-inventory';

/** Quota and spare values of GGTT, local memory and VRAM are bytes (docs/sriov-sysfs.md#i915-provisioning-files, #xe-sriov_admin). */
function formatValue(name: string, value: number | string): string {
  if (typeof value !== 'number' || !/^(ggtt|lmem|vram)_/.test(name) || value < 1024 ** 2)
    return String(value);
  const gib = value / 1024 ** 3;
  return gib >= 1 ? `${gib.toFixed(2)} GiB (${value})` : `${(value / 1024 ** 2).toFixed(0)} MiB (${value})`;
}

function Facts({ rows }: { rows: [string, ReactNode][] }) {
  return (
    <dl className="facts">
      {rows.map(([term, value]) => (
        <div key={term}>
          <dt>{term}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

function ucText(state: MicrocontrollerState): string {
  if (state.state === 'unknown') return `unknown: ${state.reason}`;
  const parts = [state.status, state.foundVersion, state.firmware && `(${state.firmware})`];
  if (state.submission !== null) parts.push(state.submission ? '· submission on' : '· submission off');
  return parts.filter(Boolean).join(' ');
}

function pciRows(fn: PciFunction): [string, ReactNode][] {
  return [
    ['Address', fn.address],
    ['Device', `${fn.vendorId}:${fn.deviceId}${fn.revision ? ` rev ${fn.revision}` : ''}`],
    ['Class', fn.classCode],
    ['Subsystem', fn.subsystemVendorId ? `${fn.subsystemVendorId}:${fn.subsystemDeviceId ?? '?'}` : '—'],
    ['Driver', fn.driver ?? 'none'],
    ['driver_override', fn.driverOverride ?? '—'],
    ['IOMMU group', fn.iommuGroup ?? 'none'],
    ['NUMA node', fn.numaNode ?? '—'],
    ['DRM nodes', [fn.drmCard, fn.drmRender].filter(Boolean).join(', ') || '—'],
  ];
}

function Values({ title, values }: { title: string; values: ProvisioningValues }) {
  const groups = Object.entries(values).filter(([, v]) => Object.keys(v).length > 0);
  if (groups.length === 0) return null;
  return (
    <>
      <h4>{title}</h4>
      {groups.map(([group, attributes]) => (
        <div key={group} className="values">
          <span className="values-group">{group}</span>
          <Facts rows={Object.entries(attributes).map(([k, v]) => [k, formatValue(k, v)])} />
        </div>
      ))}
    </>
  );
}

/** Everything read about the selected function: identity, binding, SR-IOV, firmware, provisioning. */
export function FunctionDetails({ gpu, selected }: { gpu: Gpu; selected: string }) {
  const slot = (name: string) => gpu.provisioning?.slots.find((s) => s.function === name)?.values;
  if (selected === gpu.address) {
    const s = gpu.sriov;
    const pf = slot('pf');
    return (
      <div className="details" data-testid="function-details">
        <h3>
          {gpu.name} <span className="muted">physical function</span>
        </h3>
        <Facts
          rows={[
            ...pciRows(gpu),
            [
              'SR-IOV',
              s ? `${s.numVfs} of ${s.totalVfs} VFs enabled, autoprobe ${s.autoprobe ? 'on' : 'off'}` : 'no',
            ],
            ['VF device id', s?.vfDeviceId ?? '—'],
            [
              'Provisioning',
              gpu.sriovInterface === 'none'
                ? 'none'
                : `${gpu.sriovInterface} (${gpu.provisioning?.home ?? ''})`,
            ],
            ['GuC', ucText(gpu.guc)],
            ['HuC', ucText(gpu.huc)],
          ]}
        />
        {pf && <Values title="PF provisioning" values={pf} />}
      </div>
    );
  }
  const vf = gpu.vfs.find((v) => v.address === selected);
  if (vf) {
    const values = slot(`vf${vf.index}`);
    return (
      <div className="details" data-testid="function-details">
        <h3>
          VF{vf.index} <span className="muted">virtual function of {gpu.address}</span>
        </h3>
        <Facts rows={[...pciRows(vf), ['Used by', vf.usedBy ?? 'no VM']]} />
        {values && <Values title={`Provisioning of vf${vf.index}`} values={values} />}
      </div>
    );
  }
  const type = gpu.mdevTypes.find((t) => `${gpu.address}/${t.id}` === selected);
  if (type) {
    const r = type.resources;
    return (
      <div className="details" data-testid="function-details">
        <h3>
          {type.id} <span className="muted">GVT-g vGPU type</span>
        </h3>
        <Facts
          rows={[
            ['Free instances', type.availableInstances ?? 'unknown'],
            ['Created', type.instances.length],
            [
              'Graphics memory',
              r ? `${r.lowGmSizeMiB} MiB low + ${r.highGmSizeMiB} MiB high` : (type.description ?? '—'),
            ],
            ['Resolution', r?.resolution ?? '—'],
            ['Fences', r?.fence ?? '—'],
            ['Weight', r?.weight ?? '—'],
            ['Device API', type.deviceApi ?? '—'],
          ]}
        />
      </div>
    );
  }
  const mdev = gpu.mdevInstances.find((m) => m.uuid === selected);
  if (mdev) {
    return (
      <div className="details" data-testid="function-details">
        <h3>
          vGPU <span className="muted">GVT-g instance on {gpu.address}</span>
        </h3>
        <Facts
          rows={[
            ['UUID', mdev.uuid],
            ['Type', mdev.type ?? 'unknown'],
            ['IOMMU group', mdev.iommuGroup ?? 'none'],
            ['Used by', mdev.usedBy ?? 'no VM'],
          ]}
        />
      </div>
    );
  }
  return null;
}
