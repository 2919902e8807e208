import type {
  Gpu,
  GpuInventory,
  HostIdentity,
  MicrocontrollerState,
  Unreadable,
} from '../../shared/gpu-inventory';
import type { DoctorReport } from '../../shared/host-report';

/** First line of every host report: which host the facts are from, a simulated one said loudly. */
export function hostLine(host: HostIdentity): string {
  if (host.simulated) return `SIMULATED HOST ${host.simulated.name}: ${host.simulated.title}`;
  return host.root === '/' ? 'Host: this machine' : `Host root: ${host.root}`;
}

export function unreadableLines(unreadable: Unreadable[]): string[] {
  if (unreadable.length === 0) return [];
  return [
    '',
    `Could not read ${unreadable.length === 1 ? 'one thing' : `${unreadable.length} things`}:`,
    ...unreadable.map((u) => `  ${u.reason}`),
  ];
}

const STATUS_LABEL = { pass: 'PASS', warn: 'WARN', fail: 'FAIL', unknown: ' ?? ' } as const;

/**
 * One screen: a line per check (status, id, summary), fixes under the checks that need them with
 * each command on its own line, indented and without a prompt so it copies as it is.
 */
export function formatDoctor(report: DoctorReport): string {
  const width = Math.max(...report.checks.map((c) => c.id.length));
  const lines = [hostLine(report.host), ''];
  for (const check of report.checks) {
    const label = check.applies ? STATUS_LABEL[check.status] : 'n/a ';
    // On a simulated host, programs and limits are still this machine's: say which lines those are.
    const where = report.host.simulated && check.source === 'this-machine' ? ' [this machine]' : '';
    lines.push(`${label}  ${check.id.padEnd(width)}  ${check.summary}${where}`);
    const indent = ' '.repeat(6 + width + 2);
    if (check.status !== 'pass' && check.applies && check.fix) lines.push(`${indent}fix: ${check.fix}`);
    if (check.status !== 'pass' && check.applies)
      for (const command of check.commands) lines.push(`${indent}  ${command}`);
  }
  lines.push('', report.verdict.summary);
  if (report.host.simulated) {
    lines.push(
      'The fixes are for a real host like this one; the simulated host changes only through Tessera.',
    );
  }
  lines.push(...unreadableLines(report.unreadable));
  return lines.join('\n') + '\n';
}

function ucText(state: MicrocontrollerState): string {
  if (state.state === 'unknown') return `unknown (${state.reason})`;
  const version = state.foundVersion ? ` ${state.foundVersion}` : '';
  const wanted = state.wantedVersion ? ` (driver wants ${state.wantedVersion})` : '';
  const submission =
    state.submission === null ? '' : state.submission ? ', submission on' : ', submission off';
  const firmware = state.firmware ? ` (${state.firmware})` : '';
  return `${state.status}${version}${wanted}${submission}${firmware}`;
}

export function table(rows: string[][], indent: string): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map(
    (r) =>
      indent +
      r
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
  );
}

function formatGpu(gpu: Gpu): string[] {
  const placement = [
    `driver ${gpu.driver ?? 'none'}`,
    gpu.iommuGroup === null ? 'no IOMMU group' : `group ${gpu.iommuGroup}`,
    ...[gpu.drmCard, gpu.drmRender].filter((n): n is string => n !== null),
  ].join('  ');
  const lines = [`${gpu.address}  ${gpu.name} [${gpu.vendorId}:${gpu.deviceId}]  ${placement}`];
  if (gpu.sriov) {
    const autoprobe = gpu.sriov.autoprobe === null ? '' : `, autoprobe ${gpu.sriov.autoprobe ? 'on' : 'off'}`;
    const via = gpu.sriovInterface === 'none' ? '' : ` (${gpu.sriovInterface})`;
    lines.push(`  SR-IOV  ${gpu.sriov.numVfs} of ${gpu.sriov.totalVfs} VFs enabled${via}${autoprobe}`);
  }
  lines.push(`  GuC     ${ucText(gpu.guc)}`, `  HuC     ${ucText(gpu.huc)}`);
  if (gpu.vfs.length > 0) {
    lines.push(
      ...table(
        gpu.vfs.map((vf) => [
          `VF${vf.index}`,
          vf.address,
          vf.driver ?? 'unbound',
          vf.iommuGroup === null ? '-' : `group ${vf.iommuGroup}`,
          vf.drmCard ?? '',
          vf.usedBy === null ? 'free' : `used by ${vf.usedBy}`,
        ]),
        '  ',
      ),
    );
  }
  for (const type of gpu.mdevTypes) {
    const r = type.resources;
    const size = r ? `  ${r.lowGmSizeMiB}+${r.highGmSizeMiB} MiB, ${r.resolution}` : '';
    lines.push(
      `  vGPU type ${type.id}${size}  ${type.availableInstances ?? '?'} free, ${type.instances.length} created`,
    );
  }
  for (const m of gpu.mdevInstances) {
    lines.push(
      `  vGPU ${m.uuid}  ${m.type ?? '?'}  group ${m.iommuGroup ?? '-'}  ${m.usedBy === null ? 'free' : `used by ${m.usedBy}`}`,
    );
  }
  return lines;
}

export function formatGpuList(inventory: GpuInventory): string {
  const blocks = inventory.gpus.map((gpu) => formatGpu(gpu).join('\n'));
  if (inventory.gpus.length === 0) blocks.push('No Intel GPU.');
  if (inventory.otherDisplays.length > 0) {
    blocks.push(
      [
        'Other display devices:',
        ...inventory.otherDisplays.map(
          (d) => `  ${d.address}  [${d.vendorId}:${d.deviceId}]  driver ${d.driver ?? 'none'}`,
        ),
      ].join('\n'),
    );
  }
  return (
    [hostLine(inventory.host), ...blocks].join('\n\n') +
    '\n' +
    unreadableLines(inventory.unreadable).join('\n') +
    (inventory.unreadable.length ? '\n' : '')
  );
}
