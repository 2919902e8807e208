import type { InvalidDefinition, VmInfo } from '../../shared/vm-spec';
import { describeDisplay, describeGpu } from '../../shared/vm-describe';
import { table } from './host-format';

// What `tessera vm list` and `vm show` print, as text and as --json (goldens in __golden__/).

/** A VM as `--json` shows it: its state and its whole spec. */
export function vmSummary(vm: VmInfo) {
  const { spec } = vm;
  return {
    id: vm.id,
    name: spec.name,
    state: vm.state,
    cpus: spec.cpus,
    memoryMiB: spec.memoryMiB,
    since: vm.since,
    ...(vm.pid !== undefined ? { pid: vm.pid } : {}),
    restarts: vm.restarts,
    ...(vm.lastError ? { lastError: vm.lastError } : {}),
    ...(vm.accelerator ? { accelerator: vm.accelerator } : {}),
    ...(vm.warning !== undefined ? { warning: vm.warning } : {}),
    spec,
  };
}

/** `vm list --json`. */
export function vmListJson(vms: VmInfo[], invalid: InvalidDefinition[]) {
  return { vms: vms.map(vmSummary), invalid };
}

/** `vm list`: a table, then a warning per VM that has one and per definition that did not load. */
export function formatVmList(vms: VmInfo[], invalid: InvalidDefinition[]): string {
  const out = vms.length
    ? table(
        [
          ['NAME', 'STATE', 'VCPUS', 'MEMORY'],
          ...vms.map((v) => [v.id, v.state, String(v.spec.cpus), `${v.spec.memoryMiB} MiB`]),
        ],
        '',
      ).join('\n') + '\n'
    : 'no VMs yet: create one with `tessera vm create NAME ...`\n';
  const warnings = vms.flatMap((v) => (v.warning === undefined ? [] : [`warning: ${v.id}: ${v.warning}\n`]));
  return (
    out + warnings.join('') + invalid.map((i) => `warning: ${i.file} was not loaded: ${i.reason}\n`).join('')
  );
}

/** `vm show`. */
export function describeVm(vm: VmInfo): string {
  const s = vm.spec;
  const lines = [
    `${s.name}: ${vm.state}${vm.pid !== undefined ? ` (pid ${vm.pid})` : ''} since ${vm.since}`,
    `  uuid ${s.uuid}`,
    `  ${s.cpus} vCPU${s.cpuPinning.length > 0 ? ` on host CPUs ${s.cpuPinning.join(',')}` : ''}, ${s.memoryMiB} MiB${s.memoryBacking.hugepages === 'off' ? '' : ` on ${s.memoryBacking.hugepages} hugepages`}, firmware ${s.firmware}${s.tpm ? ', TPM' : ''}${s.hyperv ? ', Hyper-V' : ''}, restart ${s.restartPolicy}`,
    `  GPU: ${describeGpu(s.gpu)}; display: ${describeDisplay(s.display)}`,
    ...s.disks.map((d) => `  disk ${d.path} (${d.format}${d.readOnly ? ', read-only' : ''})`),
    ...(s.cdrom ? [`  cdrom ${s.cdrom}`] : []),
    ...(s.kernel
      ? [
          `  kernel ${s.kernel.path}${s.kernel.initrd ? ` initrd ${s.kernel.initrd}` : ''}${s.kernel.append ? ` append "${s.kernel.append}"` : ''}`,
        ]
      : []),
    ...(s.usb.length > 0
      ? [
          `  usb ${s.usb.join(' ')}${vm.usbAttached ? ` (attached now: ${vm.usbAttached.join(' ') || 'none'})` : ''}`,
        ]
      : []),
    ...(s.evdev.length > 0 ? [`  evdev ${s.evdev.join(' ')}`] : []),
    `  network ${s.network.mode}${s.network.forwards.map((f) => ` ${f.protocol}:${f.hostAddress}:${f.hostPort}->${f.guestPort}`).join('')}`,
  ];
  if (vm.accelerator) lines.push(`  accelerator ${vm.accelerator.accelerator}: ${vm.accelerator.reason}`);
  if (vm.warning !== undefined) lines.push(`  warning: ${vm.warning}`);
  if (vm.lastError)
    lines.push(`  last error: ${vm.lastError.message}`, ...vm.lastError.logTail.map((l) => `    | ${l}`));
  return lines.join('\n') + '\n';
}
